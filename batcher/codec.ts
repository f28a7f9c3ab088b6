/**
 * The batch data posted to L1: everything needed to rebuild the batch's L2 blocks from L1 alone.
 *
 *   data = version (1 byte, 0x01) ‖ compression (1 byte) ‖ compress(RLP([firstBlock, blocks]))
 *   block = [timestamp, coinbase, [transaction, ...]]
 *
 * Transactions are in their network encoding (typed envelope or legacy RLP), system transactions
 * (anchored hashes over HTTP, deposits) included: they are ordinary signed transactions at the
 * start of the block. The block number is firstBlock plus the position; gas limit and base fee
 * follow from the genesis and the parent; the state root, receipts and hash are the result of
 * executing, so they are not posted (RollupAnchor holds the state root and hash of the last block
 * to check a rebuild against).
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToUnpaddedBytes, bytesToBigInt } from '@ethereumjs/util'
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib'

export const BATCH_VERSION = 0x01

export const Compression = { none: 0, zlib: 1, brotli: 2 } as const
export type CompressionName = keyof typeof Compression

/** Largest decompressed batch a decoder accepts (a compression bomb stops here). */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024

export interface BatchBlock {
  number: number
  /** Seconds. */
  timestamp: bigint
  /** 20 bytes. */
  coinbase: Uint8Array
  /** Network encodings, in block order. */
  txs: Uint8Array[]
}

export class BatchDecodeError extends Error {
  override readonly name = 'BatchDecodeError'
}

/** RLP of the blocks, before compression (its length is what the batcher measures batches by). */
export function encodeBlocks(blocks: BatchBlock[]): Uint8Array {
  if (blocks.length === 0) throw new Error('a batch needs at least one block')
  blocks.forEach((b, i) => {
    if (b.number !== blocks[0].number + i) throw new Error(`batch blocks must be consecutive: ${b.number} after ${blocks[0].number + i - 1}`)
  })
  return RLP.encode([bigIntToUnpaddedBytes(BigInt(blocks[0].number)), blocks.map((b) => [bigIntToUnpaddedBytes(b.timestamp), b.coinbase, b.txs])])
}

export function compressBatch(rlp: Uint8Array, compression: CompressionName): Uint8Array {
  let body: Uint8Array
  switch (compression) {
    case 'none':
      body = rlp
      break
    case 'zlib':
      body = deflateRawSync(rlp, { level: 9 })
      break
    case 'brotli':
      // quality 9: within a few percent of 11 at a fraction of the time on these machines
      body = brotliCompressSync(rlp, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: rlp.length } })
      break
  }
  const out = new Uint8Array(2 + body.length)
  out[0] = BATCH_VERSION
  out[1] = Compression[compression]
  out.set(body, 2)
  return out
}

export function encodeBatch(blocks: BatchBlock[], compression: CompressionName): Uint8Array {
  return compressBatch(encodeBlocks(blocks), compression)
}

/** Decodes batch data; throws BatchDecodeError for anything malformed. */
export function decodeBatch(data: Uint8Array): BatchBlock[] {
  if (data.length < 2) throw new BatchDecodeError('batch data shorter than its 2-byte header')
  if (data[0] !== BATCH_VERSION) throw new BatchDecodeError(`unknown batch version ${data[0]}`)
  const body = data.subarray(2)
  let rlp: Uint8Array
  try {
    switch (data[1]) {
      case Compression.none:
        rlp = body
        break
      case Compression.zlib:
        rlp = new Uint8Array(inflateRawSync(body, { maxOutputLength: MAX_DECOMPRESSED_BYTES }))
        break
      case Compression.brotli:
        rlp = new Uint8Array(brotliDecompressSync(body, { maxOutputLength: MAX_DECOMPRESSED_BYTES }))
        break
      default:
        throw new BatchDecodeError(`unknown compression ${data[1]}`)
    }
  } catch (err) {
    if (err instanceof BatchDecodeError) throw err
    throw new BatchDecodeError(`batch data does not decompress: ${(err as Error).message}`)
  }
  let decoded: unknown
  try {
    decoded = RLP.decode(rlp)
  } catch (err) {
    throw new BatchDecodeError(`batch data is not valid RLP: ${(err as Error).message}`)
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !(decoded[0] instanceof Uint8Array) || !Array.isArray(decoded[1])) {
    throw new BatchDecodeError('batch must be [firstBlock, blocks]')
  }
  const first = Number(bytesToBigInt(decoded[0]))
  if (decoded[1].length === 0) throw new BatchDecodeError('batch has no blocks')
  return decoded[1].map((entry: unknown, i: number) => {
    if (!Array.isArray(entry) || entry.length !== 3) throw new BatchDecodeError(`block ${i} must be [timestamp, coinbase, txs]`)
    const [timestamp, coinbase, txs] = entry
    if (!(timestamp instanceof Uint8Array) || !(coinbase instanceof Uint8Array) || coinbase.length !== 20 || !Array.isArray(txs)) {
      throw new BatchDecodeError(`block ${i} has a malformed field`)
    }
    if (!txs.every((t): t is Uint8Array => t instanceof Uint8Array && t.length > 0)) throw new BatchDecodeError(`block ${i} has a malformed transaction`)
    return { number: first + i, timestamp: bytesToBigInt(timestamp), coinbase, txs }
  })
}
