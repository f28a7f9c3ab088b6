/**
 * Batch data encoding: round trips in every compression, and clear errors (never a crash or a
 * hang) for anything malformed, including a compression bomb.
 */
import { describe, expect, it } from 'vitest'
import { deflateRawSync } from 'node:zlib'
import { RLP } from '@ethereumjs/rlp'
import { BatchDecodeError, decodeBatch, encodeBatch, encodeBlocks, MAX_DECOMPRESSED_BYTES, type BatchBlock } from '../../batcher/codec.ts'

const coinbase = new Uint8Array(20).fill(0x42)
const blocks: BatchBlock[] = [
  { number: 7, timestamp: 1_800_000_000n, coinbase, txs: [Uint8Array.from([0x02, 1, 2, 3]), Uint8Array.from([0xf8, 0x01, 0x00])] },
  { number: 8, timestamp: 1_800_000_001n, coinbase, txs: [] },
  { number: 9, timestamp: 1_800_000_003n, coinbase: new Uint8Array(20).fill(7), txs: [new Uint8Array(5000).fill(9)] },
]

describe('batch codec', () => {
  it.each(['none', 'zlib', 'brotli'] as const)('round-trips blocks with %s compression', (compression) => {
    const data = encodeBatch(blocks, compression)
    expect(data[0]).toBe(1)
    expect(decodeBatch(data)).toEqual(blocks)
  })

  it('compresses repetitive data (brotli and zlib beat none)', () => {
    const none = encodeBatch(blocks, 'none').length
    expect(encodeBatch(blocks, 'zlib').length).toBeLessThan(none / 5)
    expect(encodeBatch(blocks, 'brotli').length).toBeLessThan(none / 5)
  })

  it('refuses blocks that are not consecutive, and an empty batch', () => {
    expect(() => encodeBlocks([blocks[0], blocks[2]])).toThrow(/consecutive/)
    expect(() => encodeBlocks([])).toThrow(/at least one block/)
  })

  const withHeader = (compression: number, body: Uint8Array) => Uint8Array.from([1, compression, ...body])
  it.each([
    ['empty data', new Uint8Array(0), /shorter than its 2-byte header/],
    ['an unknown version', Uint8Array.from([9, 0, 0xc0]), /unknown batch version 9/],
    ['an unknown compression', Uint8Array.from([1, 7, 0xc0]), /unknown compression 7/],
    ['a body that does not decompress', withHeader(2, Uint8Array.from([1, 2, 3, 4])), /does not decompress/],
    ['bad RLP', withHeader(0, Uint8Array.from([0xf8, 0xff])), /not valid RLP/],
    ['the wrong shape', withHeader(0, RLP.encode([Uint8Array.from([1])])), /\[firstBlock, blocks\]/],
    ['no blocks', withHeader(0, RLP.encode([Uint8Array.from([1]), []])), /no blocks/],
    ['a short coinbase', withHeader(0, RLP.encode([Uint8Array.from([1]), [[Uint8Array.from([1]), new Uint8Array(19), []]]])), /malformed field/],
    ['an empty transaction', withHeader(0, RLP.encode([Uint8Array.from([1]), [[Uint8Array.from([1]), coinbase, [new Uint8Array(0)]]]])), /malformed transaction/],
  ])('refuses %s with BatchDecodeError', (_name, data, message) => {
    expect(() => decodeBatch(data)).toThrow(BatchDecodeError)
    expect(() => decodeBatch(data)).toThrow(message)
  })

  it('stops a compression bomb at the decompressed size limit', () => {
    const bomb = deflateRawSync(new Uint8Array(MAX_DECOMPRESSED_BYTES + 1024), { level: 9 })
    expect(bomb.length).toBeLessThan(200_000)
    expect(() => decodeBatch(withHeader(1, bomb))).toThrow(/does not decompress/)
  })
})
