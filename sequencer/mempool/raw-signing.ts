/**
 * What admission needs to recover a typed transaction's sender, read off the bytes it arrived in
 * instead of re-encoding the decoded transaction: its hash (keccak of the bytes), the message its
 * signature signs (the type byte and the RLP list of every field before the signature), and r‖s.
 *
 * @ethereumjs computes the same three by encoding the decoded fields again (`tx.hash()`,
 * `getMessageToVerifySignature()`, `bigIntToUnpaddedBytes(r)`): about 30 µs of the main thread's
 * 150–200 µs per `eth_sendRawTransaction` under load (README "Measured figures"). The two agree
 * whenever the bytes are the canonical encoding of the fields, which @ethereumjs's decoder
 * enforces for the RLP itself (lengths) and for every integer field but the chain id; this module
 * checks every integer field (no leading zero byte) and says `nonCanonical` otherwise, and the
 * validator refuses such a transaction as geth does ("rlp: non-canonical integer"). Differential
 * tests: test/sequencer/unit/raw-signing.test.ts.
 *
 * Only EIP-2930 (type 1) and EIP-1559 (type 2) transactions take this path; legacy and EIP-7702
 * transactions (whose authorizations hold integers of their own) go through @ethereumjs.
 */
import { TransactionType } from '@ethereumjs/tx'
import { keccak256 } from '../chain/crypto.ts'

export interface RawSigning {
  /** keccak256 of the raw bytes: the transaction hash. */
  hash: Uint8Array
  /** keccak256 of the signed message (type byte ‖ RLP of the unsigned fields). */
  messageHash: Uint8Array
  /** r and s, each left-padded to 32 bytes. */
  signature: Uint8Array
}

/** The fields of each type this module reads, in order. */
const FIELDS: Partial<Record<number, readonly string[]>> = {
  [TransactionType.AccessListEIP2930]: ['chainId', 'nonce', 'gasPrice', 'gasLimit', 'to', 'value', 'data', 'accessList', 'yParity', 'r', 's'],
  [TransactionType.FeeMarketEIP1559]: ['chainId', 'nonce', 'maxPriorityFeePerGas', 'maxFeePerGas', 'gasLimit', 'to', 'value', 'data', 'accessList', 'yParity', 'r', 's'],
}
/** The fields that are not integers: every other one must be canonical (no leading zero byte). */
const NOT_INTEGERS = new Set(['to', 'data', 'accessList'])

/**
 * The hash, message hash and signature of a type 1 or 2 transaction that @ethereumjs has already
 * decoded from `raw` (so its RLP is well formed); `undefined` for any other type or shape, and
 * `{ nonCanonical: field }` when an integer field has a leading zero byte.
 */
export function signingFromRaw(raw: Uint8Array): RawSigning | { nonCanonical: string } | undefined {
  const names = FIELDS[raw[0]]
  if (names === undefined) return undefined
  const list = header(raw, 1)
  if (list === undefined || !list.isList || list.end !== raw.length) return undefined
  const items: Item[] = []
  for (let at = list.content; at < list.end; ) {
    const item = header(raw, at)
    if (item === undefined || item.end > list.end) return undefined
    items.push(item)
    at = item.end
  }
  if (items.length !== names.length) return undefined
  for (let i = 0; i < items.length; i++) {
    if (NOT_INTEGERS.has(names[i])) continue
    const { content, end, isList } = items[i]
    if (isList) return undefined // a list where an integer belongs (@ethereumjs refuses it first)
    if (content < end && raw[content] === 0) return { nonCanonical: names[i] }
  }
  const [yParity, r, s] = items.slice(-3)
  if (r.end - r.content > 32 || s.end - s.content > 32) return undefined
  const signature = new Uint8Array(64)
  signature.set(raw.subarray(r.content, r.end), 32 - (r.end - r.content))
  signature.set(raw.subarray(s.content, s.end), 64 - (s.end - s.content))

  // the unsigned fields: everything before yParity, in a list header of their own
  const fieldsEnd = yParity.start
  const fieldsLength = fieldsEnd - list.content
  const prefix = listPrefix(fieldsLength)
  const message = new Uint8Array(1 + prefix.length + fieldsLength)
  message[0] = raw[0]
  message.set(prefix, 1)
  message.set(raw.subarray(list.content, fieldsEnd), 1 + prefix.length)
  return { hash: keccak256(raw), messageHash: keccak256(message), signature }
}

/** An RLP item: where its header starts, where its content starts, where it ends, and whether it is a list. */
interface Item {
  start: number
  content: number
  end: number
  isList: boolean
}

/** The RLP item at `at`. */
function header(bytes: Uint8Array, at: number): Item | undefined {
  if (at >= bytes.length) return undefined
  const b = bytes[at]
  if (b < 0x80) return { start: at, content: at, end: at + 1, isList: false }
  if (b <= 0xb7) return { start: at, content: at + 1, end: at + 1 + (b - 0x80), isList: false }
  if (b < 0xc0) return long(bytes, at, b - 0xb7, false)
  if (b <= 0xf7) return { start: at, content: at + 1, end: at + 1 + (b - 0xc0), isList: true }
  return long(bytes, at, b - 0xf7, true)
}

function long(bytes: Uint8Array, at: number, lengthBytes: number, isList: boolean): Item | undefined {
  if (lengthBytes > 4 || at + 1 + lengthBytes > bytes.length) return undefined
  let length = 0
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[at + 1 + i]
  const content = at + 1 + lengthBytes
  return { start: at, content, end: content + length, isList }
}

/** The RLP header of a list whose payload is `length` bytes. */
function listPrefix(length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(0xc0 + length)
  const digits: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) digits.unshift(n % 256)
  return Uint8Array.of(0xf7 + digits.length, ...digits)
}
