/**
 * Blobs without an L1: a frame round-trips through a blob, both network forms of a blob
 * transaction (version 0, one proof per blob; version 1, Osaka's 128 cell proofs per blob) are
 * what an independent implementation (@ethereumjs/tx, KZG-verified) accepts, the KZG time per
 * blob is measured, and `auto` picks blobs or calldata by the fees.
 */
import { describe, expect, it } from 'vitest'
import { Common, Mainnet } from '@ethereumjs/common'
import { createBlob4844TxFromSerializedNetworkWrapper } from '@ethereumjs/tx'
import { keccak256, parseGwei } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { BLOB_FRAME_BYTES, blobToBytes, frameToBlob, kzg, makeSidecar, versionedHash, wrapBlobTransaction } from '../../batcher/blob.ts'
import { decodeFrame, encodeFrame } from '../../batcher/channel.ts'
import { cheaperDa, daCosts } from '../../batcher/da.ts'

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))

/** @ethereumjs's KZG interface over the library the batcher uses (hex in, hex out). */
function ethereumjsKzg() {
  const k = kzg() as unknown as {
    blobToKzgCommitment(b: Uint8Array): Uint8Array
    computeBlobKzgProof(b: Uint8Array, c: Uint8Array): Uint8Array
    verifyBlobKzgProofBatch(b: Uint8Array[], c: Uint8Array[], p: Uint8Array[]): boolean
    computeCells(b: Uint8Array): Uint8Array[]
    computeCellsAndKzgProofs(b: Uint8Array): { cells: Uint8Array[]; proofs: Uint8Array[] }
    verifyCellKzgProofBatch(c: Uint8Array[], i: bigint[], cells: Uint8Array[], p: Uint8Array[]): boolean
  }
  return {
    blobToKzgCommitment: (b: string) => hex(k.blobToKzgCommitment(bytes(b))),
    computeBlobProof: (b: string, c: string) => hex(k.computeBlobKzgProof(bytes(b), bytes(c))),
    verifyProof: () => {
      throw new Error('not used')
    },
    verifyBlobProofBatch: (b: string[], c: string[], p: string[]) => k.verifyBlobKzgProofBatch(b.map(bytes), c.map(bytes), p.map(bytes)),
    computeCells: (b: string) => k.computeCells(bytes(b)).map(hex),
    computeCellsAndProofs: (b: string) => {
      const { cells, proofs } = k.computeCellsAndKzgProofs(bytes(b))
      return [cells.map(hex), proofs.map(hex)] as [string[], string[]]
    },
    recoverCellsAndProofs: () => {
      throw new Error('not used')
    },
    verifyCellKzgProofBatch: (c: string[], i: number[], cells: string[], p: string[]) => k.verifyCellKzgProofBatch(c.map(bytes), i.map(BigInt), cells.map(bytes), p.map(bytes)),
  }
}

const frame = (n: number) => encodeFrame({ channelId: new Uint8Array(16).fill(n), number: n, last: n === 1, data: Uint8Array.from({ length: 60_000 + n * 1000 }, (_, i) => (i * 7 + n) & 0xff) })

describe('blobs', () => {
  it('carry a frame 31 bytes per field element, zero-padded, and give it back', () => {
    const f = frame(0)
    const blob = frameToBlob(f)
    expect(blob.length).toBe(131_072)
    for (let i = 0; i < 4096; i++) expect(blob[i * 32]).toBe(0)
    expect(decodeFrame(blobToBytes(blob), true)).toEqual(decodeFrame(f))
    expect(() => frameToBlob(new Uint8Array(BLOB_FRAME_BYTES + 1))).toThrow(/does not fit a blob/)
    const bad = blob.slice()
    bad[32 * 5] = 1
    expect(() => blobToBytes(bad)).toThrow(/field element 5 has a non-zero high byte/)
  })

  it.each([0, 1] as const)('build a version-%i network transaction that @ethereumjs/tx accepts and KZG-verifies', async (version) => {
    const blobs = [frameToBlob(frame(0)), frameToBlob(frame(1))]
    const sidecar = makeSidecar(blobs, version)
    expect(sidecar.proofs).toHaveLength(version === 0 ? 2 : 256)
    expect(sidecar.versionedHashes.every((h) => h.startsWith('0x01'))).toBe(true)
    const account = privateKeyToAccount(`0x${'42'.repeat(32)}`)
    const signed = await account.signTransaction({
      type: 'eip4844', chainId: 1, nonce: 3, to: account.address, data: '0x1234', gas: 100_000n,
      maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('1'), maxFeePerBlobGas: parseGwei('3'), blobVersionedHashes: sidecar.versionedHashes,
    })
    const wrapped = wrapBlobTransaction(signed, sidecar)
    const common = new Common({ chain: Mainnet, hardfork: version === 0 ? 'prague' : 'osaka', customCrypto: { kzg: ethereumjsKzg() } })
    const tx = createBlob4844TxFromSerializedNetworkWrapper(bytes(wrapped), { common })
    expect(tx.networkWrapperVersion).toBe(version)
    expect(hex(tx.hash())).toBe(keccak256(signed)) // the hash covers the transaction, not its sidecar
    expect(tx.blobVersionedHashes).toEqual(sidecar.versionedHashes)
    expect(tx.getSenderAddress().toString()).toBe(account.address.toLowerCase())
  }, 60_000)

  it('cost this much KZG time per blob (commitment and proof; commitment and 128 cell proofs)', () => {
    kzg() // set-up outside the measurement
    const blobs = Array.from({ length: 4 }, (_, i) => frameToBlob(frame(i)))
    const t0 = performance.now()
    makeSidecar(blobs, 0)
    const v0 = (performance.now() - t0) / blobs.length
    const t1 = performance.now()
    makeSidecar(blobs, 1)
    const v1 = (performance.now() - t1) / blobs.length
    console.log(`KZG per blob: version 0 (commitment + proof) ${v0.toFixed(0)} ms, version 1 (commitment + 128 cell proofs) ${v1.toFixed(0)} ms`)
    expect(v0).toBeLessThan(2_000)
    expect(v1).toBeLessThan(5_000)
  }, 60_000)

  it('versioned hash: 0x01 then sha256(commitment) without its first byte', () => {
    const c = new Uint8Array(48).fill(9)
    const h = versionedHash(c)
    expect(h.slice(0, 4)).toBe('0x01')
    expect(h.slice(4)).toBe(require('node:crypto').createHash('sha256').update(c).digest('hex').slice(2))
  })
})

describe('auto data availability', () => {
  const base = { dataBytes: 50_000, maxFrameBytes: 120_000, maxBlobsPerTx: 6 }
  it('picks blobs while blob gas is cheap, calldata when it is dear', () => {
    expect(cheaperDa(daCosts({ ...base, gasPrice: parseGwei('1'), blobBaseFee: 1n }))).toBe('blobs')
    expect(cheaperDa(daCosts({ ...base, gasPrice: parseGwei('1'), blobBaseFee: parseGwei('100') }))).toBe('calldata')
  })

  it('weighs a small channel against a whole blob: calldata wins when blob gas costs as much as execution gas', () => {
    // 300 bytes: calldata 12,000 gas of data; a blob is 131,072 blob gas whatever it holds
    const small = { ...base, dataBytes: 300 }
    expect(cheaperDa(daCosts({ ...small, gasPrice: parseGwei('1'), blobBaseFee: parseGwei('1') }))).toBe('calldata')
    expect(cheaperDa(daCosts({ ...small, gasPrice: parseGwei('1'), blobBaseFee: parseGwei('0.01') }))).toBe('blobs')
  })
})
