/**
 * Admission's reading of a typed transaction, off the bytes it arrived in, in one pass over its
 * RLP: its hash (keccak of the bytes), the message its signature signs (the type byte and the RLP
 * list of every field before the signature), r‖s, and, for the common shape, the @ethereumjs
 * transaction object itself.
 *
 * @ethereumjs computes the first three by encoding the decoded fields again (`tx.hash()`,
 * `getMessageToVerifySignature()`, `bigIntToUnpaddedBytes(r)`), and builds the object by decoding
 * the RLP into fresh arrays and running generic field conversions and checks: together about
 * 45 µs of the main thread's ~145 µs per `eth_sendRawTransaction` under load (README "Measured
 * figures"). The two readings agree whenever the bytes are the canonical encoding of the fields,
 * which this module checks (RLP lengths in their shortest form, no leading zero byte in any
 * integer field) as @ethereumjs's decoder does for the RLP and every integer but the chain id.
 *
 * Only EIP-2930 (type 1) and EIP-1559 (type 2) transactions take this path; legacy and EIP-7702
 * transactions (whose authorizations hold integers of their own) go through @ethereumjs.
 *
 * `typedTxFromRaw` builds the object only for a transaction that @ethereumjs would accept, with
 * the same fields (differential tests: test/sequencer/unit/raw-tx.test.ts, which compare every own
 * property and method result with @ethereumjs's own on a spread of transactions, and fail when an
 * upgrade of @ethereumjs/tx changes the object's shape); anything else (a creation, an access
 * list, a bound or rule broken) returns `undefined` and the caller takes @ethereumjs's path, which
 * answers with @ethereumjs's own error. This is one of the node's few reliances on a dependency's
 * internals (docs/ARCHITECTURE.md, "@ethereumjs (v10)").
 */
import type { Common } from '@ethereumjs/common'
import { AccessList2930Tx, FeeMarket1559Tx, paramsTx, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToBigInt, MAX_INTEGER, SECP256K1_ORDER_DIV_2 } from '@ethereumjs/util'
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

/** A type 1 or 2 transaction's top-level RLP: the list and its items, one per name of FIELDS. */
interface Fields {
  list: Item
  items: Item[]
}

/**
 * The hash, message hash and signature of a type 1 or 2 transaction that @ethereumjs has already
 * decoded from `raw` (so its RLP is well formed); `undefined` for any other type or shape, and
 * `{ nonCanonical: field }` when an integer field has a leading zero byte.
 */
export function signingFromRaw(raw: Uint8Array): RawSigning | { nonCanonical: string } | undefined {
  const fields = readFields(raw)
  if (fields === undefined || 'nonCanonical' in fields) return fields
  return signingOf(raw, fields)
}

/**
 * A type 1 or 2 transaction read off its bytes: the @ethereumjs object, frozen as its own
 * constructor leaves it, and its signing data. Only for a message call (not a creation) with an
 * empty access list whose every field @ethereumjs would accept (chain id, bounds, fee order,
 * y-parity, EIP-2's low s); `undefined` for anything else, which then goes through
 * `createTxFromRLP` and its errors.
 */
export function typedTxFromRaw(raw: Uint8Array, common: Common): { tx: TypedTransaction; signing: RawSigning } | undefined {
  let sameShape = shapeChecked.get(common)
  if (sameShape === undefined) shapeChecked.set(common, (sameShape = hasEthereumjsShape(common)))
  return sameShape ? readTypedTx(raw, common) : undefined
}

/** hasEthereumjsShape's answer for each Common typedTxFromRaw was given. */
const shapeChecked = new WeakMap<Common, boolean>()

/**
 * Whether the objects this module builds still have @ethereumjs's own properties, in its order
 * and on its prototypes, for both types: a dependency upgrade that changed the classes turns
 * this path off (every transaction then goes through `createTxFromRLP`) instead of handing
 * execution an object the library no longer makes. Checked once per Common.
 */
export function hasEthereumjsShape(common: Common, samples: TypedTransaction[] = shapeSamples(common)): boolean {
  return samples.every((theirs) => {
    const ours = readTypedTx(theirs.serialize(), common)?.tx
    if (ours === undefined || Object.getPrototypeOf(ours) !== Object.getPrototypeOf(theirs)) return false
    const [a, b] = [Object.keys(ours), Object.keys(theirs)]
    return a.length === b.length && a.every((key, i) => key === b[i])
  })
}

/** One transaction of each type, made by @ethereumjs's constructors (the signature's values are placeholders). */
function shapeSamples(common: Common): TypedTransaction[] {
  const to = new Address(new Uint8Array(20).fill(1))
  return [
    new FeeMarket1559Tx({ chainId: common.chainId(), nonce: 1n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to, value: 1n, v: 0n, r: 1n, s: 1n }, { common }),
    new AccessList2930Tx({ chainId: common.chainId(), nonce: 1n, gasPrice: 2n, gasLimit: 21_000n, to, value: 1n, v: 0n, r: 1n, s: 1n }, { common }),
  ]
}

function readTypedTx(raw: Uint8Array, common: Common): { tx: TypedTransaction; signing: RawSigning } | undefined {
  const fields = readFields(raw)
  if (fields === undefined || 'nonCanonical' in fields) return undefined
  const { items } = fields
  const type = raw[0]
  const isFeeMarket = type === TransactionType.FeeMarketEIP1559
  const after = isFeeMarket ? 5 : 4 // where the gas limit sits: after one fee field (type 1) or two (type 2)
  const chainIdItem = items[0]
  const nonceItem = items[1]
  const firstFee = items[2]
  const secondFee = isFeeMarket ? items[3] : firstFee
  const gasLimitItem = items[after - 1]
  const toItem = items[after]
  const valueItem = items[after + 1]
  const dataItem = items[after + 2]
  const accessListItem = items[after + 3]
  const yParityItem = items[after + 4]
  const rItem = items[after + 5]
  const sItem = items[after + 6]
  // a creation (init code bounds), an access list (its own shape rules): @ethereumjs's path
  if (toItem.isList || width(toItem) !== 20 || dataItem.isList || !accessListItem.isList || width(accessListItem) !== 0) return undefined
  if (intAt(raw, chainIdItem) !== common.chainId()) return undefined
  // 64-bit nonce below 2^64 - 1 (EIP-2681) and gas limit; 256-bit value, fees, r and s
  if (width(nonceItem) > 8 || width(gasLimitItem) > 8 || width(valueItem) > 32 || width(firstFee) > 32 || width(secondFee) > 32) return undefined
  // a signed transaction: y-parity 0 or 1, r and s present, s in the lower half (EIP-2)
  if (width(yParityItem) > 1 || width(rItem) === 0 || width(rItem) > 32 || width(sItem) === 0 || width(sItem) > 32) return undefined
  const nonce = intAt(raw, nonceItem)
  const gasLimit = intAt(raw, gasLimitItem)
  const v = intAt(raw, yParityItem)
  const s = intAt(raw, sItem)
  if (nonce === MAX_NONCE || v > 1n || s > SECP256K1_ORDER_DIV_2) return undefined
  if (common.isActivatedEIP(7825) && !common.isActivatedEIP(8037) && gasLimit > BigInt(common.param('maxTransactionGasLimit'))) return undefined
  // type 1: the gas price; type 2: the tip, then the fee cap, which may not be below it
  const first = intAt(raw, firstFee)
  const second = isFeeMarket ? intAt(raw, secondFee) : first
  if (gasLimit * second > MAX_INTEGER || second < first) return undefined
  const signing = signingOf(raw, fields)
  if (signing === undefined) return undefined

  // the object @ethereumjs's constructor makes, own properties in its order (the tests compare them)
  const Tx = isFeeMarket ? FeeMarket1559Tx : AccessList2930Tx
  const tx = Object.create(Tx.prototype) as Record<string, unknown>
  tx.type = type
  tx.cache = {}
  tx.activeCapabilities = isFeeMarket ? [1559, 2718, 2930] : [2718, 2930]
  const txCommon = common.copy()
  txCommon.updateParams(paramsTx)
  tx.common = txCommon
  tx.txOptions = { common }
  tx.to = new Address(raw.slice(toItem.content, toItem.end))
  tx.nonce = nonce
  tx.gasLimit = gasLimit
  tx.value = intAt(raw, valueItem)
  tx.data = raw.slice(dataItem.content, dataItem.end)
  tx.v = v
  tx.r = intAt(raw, rItem)
  tx.s = s
  tx.chainId = txCommon.chainId()
  tx.accessList = []
  if (isFeeMarket) {
    tx.maxFeePerGas = second
    tx.maxPriorityFeePerGas = first
  } else {
    tx.gasPrice = first
  }
  return { tx: Object.freeze(tx) as unknown as TypedTransaction, signing }
}

const MAX_NONCE = 2n ** 64n - 1n

/** The bytes an RLP item holds. */
function width(item: Item): number {
  return item.end - item.content
}

/** The integer an RLP item holds (big-endian). */
function intAt(raw: Uint8Array, item: Item): bigint {
  return bytesToBigInt(raw.subarray(item.content, item.end))
}

/**
 * The list and items of a type 1 or 2 transaction, every RLP length in its shortest form and
 * every integer without a leading zero byte (`{ nonCanonical: field }` otherwise); `undefined`
 * for any other type, or bytes that are not one list of as many items as the type has fields.
 */
function readFields(raw: Uint8Array): Fields | { nonCanonical: string } | undefined {
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
  return { list, items }
}

function signingOf(raw: Uint8Array, { list, items }: Fields): RawSigning | undefined {
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

/**
 * The RLP item at `at`, its length in the shortest form (`undefined` otherwise, as @ethereumjs's
 * decoder refuses it: a single byte below 0x80 behind a prefix, a long form for 55 bytes or
 * fewer, a length with a leading zero byte).
 */
function header(bytes: Uint8Array, at: number): Item | undefined {
  if (at >= bytes.length) return undefined
  const b = bytes[at]
  if (b < 0x80) return { start: at, content: at, end: at + 1, isList: false }
  if (b === 0x81 && (at + 1 >= bytes.length || bytes[at + 1] < 0x80)) return undefined
  if (b <= 0xb7) return { start: at, content: at + 1, end: at + 1 + (b - 0x80), isList: false }
  if (b < 0xc0) return long(bytes, at, b - 0xb7, false)
  if (b <= 0xf7) return { start: at, content: at + 1, end: at + 1 + (b - 0xc0), isList: true }
  return long(bytes, at, b - 0xf7, true)
}

function long(bytes: Uint8Array, at: number, lengthBytes: number, isList: boolean): Item | undefined {
  if (lengthBytes > 4 || at + 1 + lengthBytes > bytes.length || bytes[at + 1] === 0) return undefined
  let length = 0
  for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[at + 1 + i]
  if (length < 56) return undefined
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
