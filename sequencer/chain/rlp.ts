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
  const header = lengthHeader(bytes.length, 0x80)
  const out = new Uint8Array(header.length + bytes.length)
  out.set(header, 0)
  out.set(bytes, header.length)
  return out
}

/** RLP of a list whose items are already encoded. */
export function encodeList(items: Uint8Array[]): Uint8Array {
  let length = 0
  for (const item of items) length += item.length
  const header = lengthHeader(length, 0xc0)
  const out = new Uint8Array(header.length + length)
  out.set(header, 0)
  let at = header.length
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

/** RLP's length prefix: `offset` + length below 56, else `offset` + 55 + the length's byte count, then the length. */
function lengthHeader(length: number, offset: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length)
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256)
  return Uint8Array.of(offset + 55 + bytes.length, ...bytes)
}

function headerLength(length: number): number {
  let n = 1
  if (length >= 56) for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) n++
  return n
}
