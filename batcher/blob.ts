/**
 * EIP-4844 blobs for batch frames: a frame in a blob, the KZG commitments and proofs
 * (@crate-crypto/node-eth-kzg, its trusted setup embedded: nothing is downloaded), the two network
 * forms of a blob transaction, and reading blobs back from a beacon-style blobs API.
 *
 * A blob is 4,096 field elements of 32 bytes, each below the BLS modulus: a frame is written 31
 * bytes per element (bytes 1..31; byte 0 stays zero), 126,976 bytes per blob, followed by zeros.
 *
 * Network forms (what eth_sendRawTransaction takes; the transaction hash covers neither sidecar):
 *   version 0 (Cancun/Prague, what Anvil takes): 0x03 ‖ rlp([tx, blobs, commitments, proofs]),
 *     one KZG proof per blob;
 *   version 1 (Osaka, Ethereum today): 0x03 ‖ rlp([tx, 1, blobs, commitments, cellProofs]),
 *     128 cell proofs per blob (EIP-7594).
 * where tx is the signed transaction's RLP list. The devnet's Anvil takes version 0.
 */
import { RLP } from '@ethereumjs/rlp'
import { createHash } from 'node:crypto'
import type { Hex } from 'viem'
import { DivergenceError } from './errors.ts'

/** Bytes of one blob on L1. */
export const BLOB_BYTES = 131_072

/** Where blob contents come from (BeaconBlobSource below; tests: anything). */
export interface BlobSource {
  /** The blobs with these versioned hashes from L1 block `block`, in the order asked, each checked against its hash. */
  blobs(block: { number: bigint; hash: Hex; timestamp?: bigint }, versionedHashes: Hex[]): Promise<Uint8Array[]>
}

export const FIELD_ELEMENTS_PER_BLOB = 4096
/** Frame bytes one blob carries (31 per field element). */
export const BLOB_FRAME_BYTES = FIELD_ELEMENTS_PER_BLOB * 31
export const CELLS_PER_EXT_BLOB = 128
/** Blob gas per blob (EIP-4844). */
export const GAS_PER_BLOB = 131_072n

export type SidecarVersion = 0 | 1

/** A frame (at most BLOB_FRAME_BYTES) as a blob. */
export function frameToBlob(frame: Uint8Array): Uint8Array {
  if (frame.length > BLOB_FRAME_BYTES) throw new Error(`a frame of ${frame.length} bytes does not fit a blob (${BLOB_FRAME_BYTES})`)
  const blob = new Uint8Array(BLOB_BYTES)
  for (let i = 0, at = 0; at < frame.length; i++, at += 31) blob.set(frame.subarray(at, at + 31), i * 32 + 1)
  return blob
}

/** The bytes a blob carries (BLOB_FRAME_BYTES: a frame and zero padding); throws if a high byte is set. */
export function blobToBytes(blob: Uint8Array): Uint8Array {
  if (blob.length !== BLOB_BYTES) throw new DivergenceError(`a blob has ${BLOB_BYTES} bytes, got ${blob.length}`)
  const out = new Uint8Array(BLOB_FRAME_BYTES)
  for (let i = 0; i < FIELD_ELEMENTS_PER_BLOB; i++) {
    if (blob[i * 32] !== 0) throw new DivergenceError(`blob field element ${i} has a non-zero high byte`)
    out.set(blob.subarray(i * 32 + 1, i * 32 + 32), i * 31)
  }
  return out
}

interface KzgContext {
  blobToKzgCommitment(blob: Uint8Array): Uint8Array
  computeBlobKzgProof(blob: Uint8Array, commitment: Uint8Array): Uint8Array
  computeCellsAndKzgProofs(blob: Uint8Array): { cells: Uint8Array[]; proofs: Uint8Array[] }
  verifyBlobKzgProof(blob: Uint8Array, commitment: Uint8Array, proof: Uint8Array): boolean
}

let context: KzgContext | undefined

/** The KZG library, set up on first use (~2.7 s, then ~0.09 s per blob, ~0.16 s with cell proofs; its trusted setup ships in the package). */
export function kzg(): KzgContext {
  if (context === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DasContextJs } = require('@crate-crypto/node-eth-kzg') as { DasContextJs: { create(opts?: { usePrecomp: boolean }): KzgContext } }
    context = DasContextJs.create({ usePrecomp: true })
  }
  return context
}

/** EIP-4844 versioned hash of a commitment: 0x01 ‖ sha256(commitment)[1..]. */
export function versionedHash(commitment: Uint8Array): Hex {
  const h = createHash('sha256').update(commitment).digest()
  h[0] = 0x01
  return `0x${h.toString('hex')}`
}

export interface Sidecar {
  blobs: Uint8Array[]
  commitments: Uint8Array[]
  /** Version 0: one proof per blob; version 1: 128 cell proofs per blob, blob after blob. */
  proofs: Uint8Array[]
  versionedHashes: Hex[]
  version: SidecarVersion
}

export function makeSidecar(blobs: Uint8Array[], version: SidecarVersion): Sidecar {
  const k = kzg()
  const commitments = blobs.map((b) => k.blobToKzgCommitment(b))
  const proofs = version === 0 ? blobs.map((b, i) => k.computeBlobKzgProof(b, commitments[i])) : blobs.flatMap((b) => k.computeCellsAndKzgProofs(b).proofs)
  return { blobs, commitments, proofs, versionedHashes: commitments.map(versionedHash), version }
}

/** The network form of a signed type-3 transaction (without sidecar) and its sidecar. */
export function wrapBlobTransaction(signed: Hex, sidecar: Sidecar): Hex {
  if (!signed.startsWith('0x03')) throw new Error('not a type-3 transaction')
  const tx = RLP.decode(Buffer.from(signed.slice(4), 'hex'))
  const body = sidecar.version === 0 ? [tx, sidecar.blobs, sidecar.commitments, sidecar.proofs] : [tx, Uint8Array.of(1), sidecar.blobs, sidecar.commitments, sidecar.proofs]
  return `0x03${Buffer.from(RLP.encode(body as never)).toString('hex')}`
}

/**
 * Blobs from a beacon-style API: `GET {url}/eth/v1/beacon/blobs/{block_id}?versioned_hashes=…`.
 * Anvil serves it on its RPC port with the execution block number as block_id; a beacon node
 * (`/eth/v1/beacon/genesis` answers) takes the slot, computed from the L1 block's timestamp.
 * Every blob is checked against its versioned hash before it is returned.
 */
export class BeaconBlobSource implements BlobSource {
  private genesis: Promise<number | undefined> | undefined

  constructor(
    private readonly url: string,
    private readonly opts: { secondsPerSlot?: number; timeoutMs?: number } = {},
  ) {}

  async blobs(block: { number: bigint; hash: Hex; timestamp?: bigint }, versionedHashes: Hex[]): Promise<Uint8Array[]> {
    const base = this.url.replace(/\/$/, '')
    const genesis = await (this.genesis ??= this.genesisTime(base))
    const id = genesis === undefined || block.timestamp === undefined ? block.number.toString() : String((Number(block.timestamp) - genesis) / (this.opts.secondsPerSlot ?? 12))
    // one parameter, comma-separated (Anvil reads only the last of repeated ones; beacon nodes take both)
    const query = `versioned_hashes=${versionedHashes.join(',')}`
    const res = await fetch(`${base}/eth/v1/beacon/blobs/${id}?${query}`, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) })
    if (!res.ok) throw new Error(`blob source ${base}: block ${id} answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`)
    const body = (await res.json()) as { data?: (string | { blob: string })[] }
    const found = new Map<string, Uint8Array>()
    for (const entry of body.data ?? []) {
      const blob = Uint8Array.from(Buffer.from((typeof entry === 'string' ? entry : entry.blob).replace(/^0x/, ''), 'hex'))
      found.set(versionedHash(kzg().blobToKzgCommitment(blob)), blob)
    }
    return versionedHashes.map((h) => {
      const blob = found.get(h.toLowerCase())
      if (blob === undefined) throw new Error(`blob source ${base}: no blob with versioned hash ${h} in L1 block ${block.number} (expired, or not served)`)
      return blob
    })
  }

  private async genesisTime(base: string): Promise<number | undefined> {
    try {
      const res = await fetch(`${base}/eth/v1/beacon/genesis`, { signal: AbortSignal.timeout(5_000) })
      if (!res.ok) return undefined
      const body = (await res.json()) as { data?: { genesis_time?: string } }
      return body.data?.genesis_time === undefined ? undefined : Number(body.data.genesis_time)
    } catch {
      return undefined
    }
  }
}
