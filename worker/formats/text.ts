/**
 * Text inputs: UTF-8 validation, the word tokenizer and the hashed bag of words of
 * `text/bow-fnv1a:D`. Everything here is integer arithmetic on bytes, so every implementation
 * that follows docs/OFFCHAIN_INFERENCE.md ("Formats") gets the same features bit for bit.
 *
 * Rules of `text/bow-fnv1a:D` (D a power of two):
 * 1. The input must be at most MAX_TEXT_BYTES bytes of well-formed UTF-8 (RFC 3629: no overlong
 *    forms, no surrogates, nothing above U+10FFFF); otherwise the request is rejected
 *    (INPUT_TOO_LONG, INVALID_UTF8). Nothing is replaced.
 * 2. Words: every byte 'A'–'Z' is lowercased to 'a'–'z'; a word is a maximal run of bytes in
 *    'a'–'z' and '0'–'9'. Every other byte (punctuation, space, control, every byte of a non-ASCII
 *    character) separates words. Words shorter than MIN_WORD_BYTES (2) or longer than
 *    MAX_WORD_BYTES (24) bytes are skipped.
 * 3. Each word's bucket is FNV-1a 32 of its (lowercased) bytes modulo D: h = 0x811c9dc5; for each
 *    byte b: h = ((h XOR b) × 0x01000193) mod 2^32; bucket = h mod D.
 * 4. The feature vector is float32 [1, D]: x[bucket] = 1.0 for every bucket some word falls in,
 *    0.0 elsewhere (binary: repeating a word adds nothing; no length normalization).
 */
import { FormatError } from './errors.ts'

/** Most bytes of a text input: the coordinator's MAX_INPUT_BYTES (8 KiB). */
export const MAX_TEXT_BYTES = 8192

export const MIN_WORD_BYTES = 2
export const MAX_WORD_BYTES = 24

export const FNV1A_OFFSET = 0x811c9dc5
export const FNV1A_PRIME = 0x01000193

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The text of UTF-8 bytes; throws INPUT_TOO_LONG over `maxBytes`, INVALID_UTF8 for ill-formed UTF-8
 * (WHATWG's decoder with fatal = true accepts exactly RFC 3629's well-formed sequences). A BOM is kept as U+FEFF.
 */
export function decodeUtf8(bytes: Uint8Array, maxBytes = MAX_TEXT_BYTES): string {
  if (bytes.length > maxBytes) throw new FormatError('INPUT_TOO_LONG', `input is ${bytes.length} bytes, at most ${maxBytes} are accepted`)
  try {
    return decoder.decode(bytes)
  } catch {
    throw new FormatError('INVALID_UTF8', `input is not well-formed UTF-8 (at byte ${firstInvalidUtf8(bytes)})`)
  }
}

/** Offset of the first byte of the first ill-formed sequence (for the error message), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]
    let n: number
    let lo = 0x80
    let hi = 0xbf
    if (c < 0x80) n = 0
    else if (c >= 0xc2 && c <= 0xdf) n = 1
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2
      if (c === 0xe0) lo = 0xa0
      if (c === 0xed) hi = 0x9f
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3
      if (c === 0xf0) lo = 0x90
      if (c === 0xf4) hi = 0x8f
    } else return i
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i
    }
    i += n + 1
  }
  return -1
}

/** FNV-1a 32 of bytes, as an unsigned 32-bit integer. */
export function fnv1a32(bytes: ArrayLike<number>, start = 0, end = bytes.length): number {
  let h = FNV1A_OFFSET
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV1A_PRIME) >>> 0
  return h
}

const isWordByte = (b: number): boolean => (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)

/** The words of UTF-8 bytes (rule 2), in order, as lowercase ASCII strings. The bytes are not validated here. */
export function words(bytes: Uint8Array): string[] {
  const out: string[] = []
  forEachWord(bytes, (lower, start, end) => out.push(String.fromCharCode(...lower.subarray(start, end))))
  return out
}

/** Calls `f(lowercased, start, end)` for every kept word (rule 2). */
function forEachWord(bytes: Uint8Array, f: (lower: Uint8Array, start: number, end: number) => void): void {
  const lower = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    lower[i] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b
  }
  let i = 0
  while (i < lower.length) {
    if (!isWordByte(lower[i])) {
      i++
      continue
    }
    const start = i
    while (i < lower.length && isWordByte(lower[i])) i++
    const len = i - start
    if (len >= MIN_WORD_BYTES && len <= MAX_WORD_BYTES) f(lower, start, i)
  }
}

/** The sorted, distinct buckets (rule 3) of the words of `bytes`, for `buckets` a power of two. Bytes not validated. */
export function bowIndices(bytes: Uint8Array, buckets: number): number[] {
  const set = new Set<number>()
  forEachWord(bytes, (lower, start, end) => set.add(fnv1a32(lower, start, end) & (buckets - 1)))
  return [...set].sort((a, b) => a - b)
}

/**
 * The features of `text/bow-fnv1a:D` for raw input bytes: validated (rule 1), then float32 [1, D]
 * with 1.0 at every bucket of a word (rules 2–4).
 */
export function bowFeatures(bytes: Uint8Array, buckets: number): Float32Array {
  decodeUtf8(bytes)
  const x = new Float32Array(buckets)
  for (const j of bowIndices(bytes, buckets)) x[j] = 1
  return x
}
