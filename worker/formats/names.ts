/**
 * Format strings: what a model's registered `inputFormat` and `outputFormat` say, parsed.
 * docs/OFFCHAIN_INFERENCE.md "Formats" is the definition; the strings are exact (case-sensitive,
 * no spaces, parameters in decimal without leading zeros), so that one model has one spelling.
 *
 * | string                 | side          | meaning                                                        |
 * |------------------------|---------------|----------------------------------------------------------------|
 * | `int256[]`             | input, output | ABI-encoded int256[]: the model's tensor, 1e18 fixed point for float32 |
 * | `text/bow-fnv1a:D`     | input         | UTF-8 text → binary bag of FNV-1a-hashed words, float32 [1,D]  |
 * | `text/utf-8`           | input         | UTF-8 text: the prompt of a language model                     |
 * | `text/greedy-ascii:N`  | output        | N printable-ASCII bytes decoded greedily by a language model    |
 */
import { FormatError } from './errors.ts'

export type Format =
  | { readonly name: 'int256[]' }
  | { readonly name: 'text/bow-fnv1a'; readonly buckets: number }
  | { readonly name: 'text/utf-8' }
  | { readonly name: 'text/greedy-ascii'; readonly tokens: number }

export const INT256_ARRAY = 'int256[]'
export const TEXT_UTF8 = 'text/utf-8'

/** Bounds of `text/bow-fnv1a:D`: D is a power of two from 2 to 65,536 (the analyzer's most input elements). */
export const MIN_BOW_BUCKETS = 2
export const MAX_BOW_BUCKETS = 65_536

/** Bounds of `text/greedy-ascii:N`. */
export const MIN_GREEDY_TOKENS = 1
export const MAX_GREEDY_TOKENS = 1024

/** The format string of a hashed bag of words of D buckets. */
export const bowFormat = (buckets: number): string => `text/bow-fnv1a:${buckets}`

/** The format string of N greedily decoded ASCII tokens. */
export const greedyAsciiFormat = (tokens: number): string => `text/greedy-ascii:${tokens}`

const PARAM = /^(text\/bow-fnv1a|text\/greedy-ascii):([1-9][0-9]{0,5})$/

/** Parses a format string; throws FormatError UNKNOWN_FORMAT for anything not exactly one of the table's strings. */
export function parseFormat(format: string): Format {
  if (format === INT256_ARRAY) return { name: 'int256[]' }
  if (format === TEXT_UTF8) return { name: 'text/utf-8' }
  const m = typeof format === 'string' ? PARAM.exec(format) : null
  if (m !== null) {
    const n = Number(m[2])
    if (m[1] === 'text/bow-fnv1a') {
      if (n >= MIN_BOW_BUCKETS && n <= MAX_BOW_BUCKETS && (n & (n - 1)) === 0) return { name: 'text/bow-fnv1a', buckets: n }
      throw new FormatError('UNKNOWN_FORMAT', `format ${format}: the bucket count must be a power of two from ${MIN_BOW_BUCKETS} to ${MAX_BOW_BUCKETS}`)
    }
    if (n >= MIN_GREEDY_TOKENS && n <= MAX_GREEDY_TOKENS) return { name: 'text/greedy-ascii', tokens: n }
    throw new FormatError('UNKNOWN_FORMAT', `format ${format}: the token count must be from ${MIN_GREEDY_TOKENS} to ${MAX_GREEDY_TOKENS}`)
  }
  throw new FormatError('UNKNOWN_FORMAT', `unknown format ${JSON.stringify(format)}`)
}

/** True when the string is a format this module defines (the worker serves a model only if both of its formats are). */
export function isKnownFormat(format: string): boolean {
  try {
    parseFormat(format)
    return true
  } catch {
    return false
  }
}
