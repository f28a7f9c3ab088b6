/**
 * The bytes of the `int256[]` format: `abi.encode(int256[] values)`, i.e. the word 0x20 (the
 * offset of the array), the length n, then n two's-complement big-endian words.
 *
 * Decoding accepts only that canonical encoding, byte for byte: offset exactly 0x20, exactly
 * 64 + 32·n bytes (no trailing bytes), so one value list has one encoding and every node reads
 * the same numbers or rejects alike (MALFORMED_ABI). Solidity's `abi.encode` of an int256[]
 * produces exactly this.
 */
import { encodeInferResult } from '../../precompiles/index.ts'
import { FormatError } from './errors.ts'

/** `abi.encode(int256[] values)`; throws for a value outside int256. */
export function encodeInt256Array(values: readonly bigint[]): Uint8Array {
  return encodeInferResult(values)
}

/** The values of a canonical `abi.encode(int256[])`; throws FormatError MALFORMED_ABI otherwise. */
export function decodeInt256Array(bytes: Uint8Array): bigint[] {
  const fail = (why: string): never => {
    throw new FormatError('MALFORMED_ABI', `input is not a canonical abi.encode(int256[]): ${why}`)
  }
  if (bytes.length < 64) fail(`${bytes.length} bytes, at least 64 are needed`)
  if ((bytes.length - 64) % 32 !== 0) fail(`${bytes.length} bytes is not 64 + 32·n`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const word = (pos: number): bigint => (view.getBigUint64(pos) << 192n) | (view.getBigUint64(pos + 8) << 128n) | (view.getBigUint64(pos + 16) << 64n) | view.getBigUint64(pos + 24)
  if (word(0) !== 32n) fail(`the offset word is ${word(0)}, expected 32`)
  const n = (bytes.length - 64) / 32
  if (word(32) !== BigInt(n)) fail(`the length word is ${word(32)}, the ${bytes.length} bytes hold ${n} values`)
  const out = new Array<bigint>(n)
  for (let i = 0; i < n; i++) out[i] = BigInt.asIntN(256, word(64 + 32 * i))
  return out
}
