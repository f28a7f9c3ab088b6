/**
 * RLP encoding for the node's hot paths: a block's tries, its receipts and its size, encoded
 * once per transaction at every seal. @ethereumjs/rlp's `encode` takes any nested value, converts
 * every item through `toBytes`, writes long lengths through hex strings and concatenates with
 * spreads: 8 µs for one receipt (a 256-byte bloom), about a tenth of an inference block's seal.
 * These take items already as bytes (or already encoded, for lists) and copy each byte once.
 * Checked against @ethereumjs/rlp in test/sequencer/unit/rlp.test.ts.
 */

/** RLP of a byte string. */
export function encodeBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && bytes[0] < 0x80) return bytes
  const out = new Uint8Array(headerLength(bytes.length) + bytes.length)
  out.set(bytes, writeHeader(out, 0, bytes.length, 0x80))
  return out
}

/** A fresh array of `length` bytes: where encodings go unless the caller gives its own. */
const fresh = (length: number) => new Uint8Array(length)

/** RLP of a list whose items are already encoded, written to what `allocate` gives (which must not hold an item). */
export function encodeList(items: Uint8Array[], allocate: (length: number) => Uint8Array = fresh): Uint8Array {
  let length = 0
  for (const item of items) length += item.length
  const out = allocate(headerLength(length) + length)
  let at = writeHeader(out, 0, length, 0xc0)
  for (const item of items) {
    out.set(item, at)
    at += item.length
  }
  return out
}

/** Bytes of the RLP encoding of `bytes` as a string, without encoding it. */
export function encodedBytesLength(bytes: Uint8Array): number {
  if (bytes.length === 1 && bytes[0] < 0x80) return 1
  return headerLength(bytes.length) + bytes.length
}

/** Bytes of the RLP encoding of a list whose items' encodings take `payload` bytes. */
export function encodedListLength(payload: number): number {
  return headerLength(payload) + payload
}

/**
 * Writes RLP's length prefix at `at` (`offset` + length below 56, else `offset` + 55 + the
 * length's byte count, then the length big-endian) and returns where the payload starts.
 */
export function writeHeader(out: Uint8Array, at: number, length: number, offset: number): number {
  if (length < 56) {
    out[at] = offset + length
    return at + 1
  }
  const n = headerLength(length) - 1
  out[at] = offset + 55 + n
  for (let i = n, rest = length; i >= 1; i--, rest = Math.floor(rest / 256)) out[at + i] = rest % 256
  return at + 1 + n
}

/** Writes the RLP of the byte string `bytes` at `at`; returns the end. */
export function writeBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  if (bytes.length === 1 && bytes[0] < 0x80) {
    out[at] = bytes[0]
    return at + 1
  }
  const start = writeHeader(out, at, bytes.length, 0x80)
  out.set(bytes, start)
  return start + bytes.length
}

/** Bytes of RLP's length prefix for a payload of `length` bytes. */
export function headerLength(length: number): number {
  let n = 1
  if (length >= 56) for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) n++
  return n
}
