/**
 * Parameter parsers for JSON-RPC methods. Each turns one raw JSON value into a typed value or
 * throws InvalidParamsError naming the parameter and the reason ("invalid argument 1: hex string
 * without 0x prefix"), geth's wording. Methods declare their parameters with these, next to the
 * handler, so the validation reads as part of the method's signature.
 */
import { Address, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import type { AccessListBytes } from '@ethereumjs/tx'
import { InvalidParamsError } from './errors.ts'
import type { BlockTag } from '../chain/chain.ts'
import type { CallRequest, StateOverrides, AccountOverride } from '../builder/executor.ts'

/** Parses one parameter; `where` names it in errors ("invalid argument 0", "invalid argument 0: field to"). */
export type Param<T> = (value: unknown, where: string) => T

const fail = (where: string, why: string): never => {
  throw new InvalidParamsError(`${where}: ${why}`)
}

const HEX = /^0x[0-9a-fA-F]*$/

export const quantity: Param<bigint> = (v, where) => {
  if (typeof v !== 'string') return fail(where, `json: cannot unmarshal ${jsonType(v)} into a hex quantity`)
  if (!v.startsWith('0x')) return fail(where, 'hex string without 0x prefix')
  if (v === '0x') return fail(where, 'hex string "0x"')
  if (!HEX.test(v)) return fail(where, 'invalid hex string')
  if (v.length > 3 && v[2] === '0') return fail(where, 'hex number with leading zero digits')
  if (v.length > 66) return fail(where, 'hex number > 256 bits')
  return BigInt(v)
}

/** A quantity that must fit a JS number (block numbers, indexes). */
export const smallQuantity: Param<number> = (v, where) => {
  const n = quantity(v, where)
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(where, 'number too large')
  return Number(n)
}

export const data: Param<Uint8Array> = (v, where) => {
  if (typeof v !== 'string') return fail(where, `json: cannot unmarshal ${jsonType(v)} into hex data`)
  if (!v.startsWith('0x')) return fail(where, 'hex string without 0x prefix')
  if (!HEX.test(v)) return fail(where, 'invalid hex string')
  if (v.length % 2 !== 0) return fail(where, 'hex string of odd length')
  return hexToBytes(v as PrefixedHexString)
}

const fixedData = (bytes: number, what: string): Param<Uint8Array> => (v, where) => {
  const d = data(v, where)
  if (d.length !== bytes) fail(where, `${what} must be ${bytes} bytes, got ${d.length}`)
  return d
}

export const hash32 = fixedData(32, 'hash')
export const bytes32 = fixedData(32, 'value')

export const address: Param<Address> = (v, where) => new Address(fixedData(20, 'address')(v, where))

export const bool: Param<boolean> = (v, where) => (typeof v === 'boolean' ? v : fail(where, `json: cannot unmarshal ${jsonType(v)} into bool`))

export const str: Param<string> = (v, where) => (typeof v === 'string' ? v : fail(where, `expected a string, got ${jsonType(v)}`))

export type { BlockTag }
/** A block tag or number (what most state methods take). */
export type BlockNumberOrTag = BlockTag | number
/** EIP-1898: a tag, a number, or { blockNumber } / { blockHash, requireCanonical }. */
export type BlockRef = BlockNumberOrTag | { hash: Uint8Array; requireCanonical: boolean }

const TAGS = new Set(['latest', 'pending', 'earliest', 'safe', 'finalized'])

export const blockNumberOrTag: Param<BlockNumberOrTag> = (v, where) => {
  if (typeof v === 'string' && TAGS.has(v)) return v as BlockTag
  if (typeof v === 'string' && v.startsWith('0x')) return smallQuantity(v, where)
  return fail(where, `invalid block number or tag ${JSON.stringify(v)?.slice(0, 40)}`)
}

export const blockRef: Param<BlockRef> = (v, where) => {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    if (o.blockHash !== undefined && o.blockNumber !== undefined) return fail(where, 'cannot specify both blockHash and blockNumber')
    if (o.blockHash !== undefined) return { hash: hash32(o.blockHash, `${where}: field blockHash`), requireCanonical: o.requireCanonical === true }
    if (o.blockNumber !== undefined) return blockNumberOrTag(o.blockNumber, `${where}: field blockNumber`)
    return fail(where, 'block object needs blockHash or blockNumber')
  }
  // the spec's BlockNumberOrTagOrHash (and geth) also take a bare block hash; no block number has 64 hex digits
  if (typeof v === 'string' && v.length === 66 && v.startsWith('0x')) return { hash: hash32(v, where), requireCanonical: false }
  return blockNumberOrTag(v, where)
}

export function optional<T>(p: Param<T>): Param<T | undefined> {
  return (v, where) => (v === undefined || v === null ? undefined : p(v, where))
}

export function withDefault<T>(p: Param<T>, fallback: T): Param<T> {
  return (v, where) => (v === undefined || v === null ? fallback : p(v, where))
}

export function arrayOf<T>(p: Param<T>, max?: number): Param<T[]> {
  return (v, where) => {
    if (!Array.isArray(v)) return fail(where, `expected an array, got ${jsonType(v)}`)
    if (max !== undefined && v.length > max) fail(where, `more than ${max} entries`)
    return v.map((item, i) => p(item, `${where}[${i}]`))
  }
}

export function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, `expected an object, got ${jsonType(v)}`)
  return v as Record<string, unknown>
}

const field = <T>(o: Record<string, unknown>, name: string, p: Param<T>, where: string): T | undefined =>
  o[name] === undefined || o[name] === null ? undefined : p(o[name], `${where}: field ${name}`)

export const accessList: Param<AccessListBytes> = (v, where) =>
  arrayOf((item, w) => {
    const o = object(item, w)
    return [address(o.address, `${w}: field address`).bytes, arrayOf(bytes32)(o.storageKeys ?? [], `${w}: field storageKeys`)] as [Uint8Array, Uint8Array[]]
  })(v, where)

const authorization = (v: unknown, where: string) => {
  const o = object(v, where)
  return {
    chainId: quantity(o.chainId, `${where}: field chainId`),
    address: address(o.address, `${where}: field address`).toString(),
    nonce: quantity(o.nonce, `${where}: field nonce`),
    yParity: quantity(o.yParity ?? o.v, `${where}: field yParity`),
    r: quantity(o.r, `${where}: field r`),
    s: quantity(o.s, `${where}: field s`),
  }
}

/** The transaction object of eth_call / eth_estimateGas / eth_createAccessList (GenericTransaction). */
export const callRequest: Param<CallRequest> = (v, where) => {
  const o = object(v, where)
  const input = field(o, 'input', data, where)
  const dataField = field(o, 'data', data, where)
  if (input !== undefined && dataField !== undefined && Buffer.compare(input, dataField) !== 0) {
    fail(where, 'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data')
  }
  const req: CallRequest = {
    from: field(o, 'from', address, where),
    to: field(o, 'to', address, where),
    gas: field(o, 'gas', quantity, where),
    gasPrice: field(o, 'gasPrice', quantity, where),
    maxFeePerGas: field(o, 'maxFeePerGas', quantity, where),
    maxPriorityFeePerGas: field(o, 'maxPriorityFeePerGas', quantity, where),
    value: field(o, 'value', quantity, where),
    data: input ?? dataField,
    nonce: field(o, 'nonce', quantity, where),
    accessList: field(o, 'accessList', accessList, where),
    authorizationList: field(o, 'authorizationList', arrayOf(authorization), where) as CallRequest['authorizationList'],
  }
  if (req.gasPrice !== undefined && (req.maxFeePerGas !== undefined || req.maxPriorityFeePerGas !== undefined)) {
    fail(where, 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  }
  if (req.maxFeePerGas !== undefined && req.maxPriorityFeePerGas !== undefined && req.maxPriorityFeePerGas > req.maxFeePerGas) {
    fail(where, 'maxFeePerGas must be at least maxPriorityFeePerGas')
  }
  return req
}

const slotMap = (v: unknown, where: string): Map<bigint, bigint> => {
  const o = object(v, where)
  const out = new Map<bigint, bigint>()
  for (const [k, value] of Object.entries(o)) {
    out.set(BigInt(`0x${Buffer.from(bytes32(k, `${where}: key`)).toString('hex')}`), BigInt(`0x${Buffer.from(bytes32(value, `${where}: ${k}`)).toString('hex')}`))
  }
  return out
}

export const stateOverrides: Param<StateOverrides> = (v, where) => {
  const o = object(v, where)
  const out: StateOverrides = new Map()
  for (const [addr, raw] of Object.entries(o)) {
    const w = `${where}: account ${addr}`
    const a = address(addr, w).toString()
    const ov = object(raw, w)
    if (ov.state !== undefined && ov.stateDiff !== undefined) fail(w, 'has both state and stateDiff')
    const parsed: AccountOverride = {
      balance: field(ov, 'balance', quantity, w),
      nonce: field(ov, 'nonce', quantity, w),
      code: field(ov, 'code', data, w),
      state: field(ov, 'state', slotMap, w),
      stateDiff: field(ov, 'stateDiff', slotMap, w),
    }
    out.set(a, parsed)
  }
  return out
}

export interface LogFilter {
  fromBlock?: BlockNumberOrTag
  toBlock?: BlockNumberOrTag
  blockHash?: Uint8Array
  addresses?: Uint8Array[]
  topics?: (Uint8Array[] | null)[]
}

/** The filter object of eth_getLogs / eth_newFilter / logs subscriptions. */
export const logFilter: Param<LogFilter> = (v, where) => {
  const o = object(v, where)
  const blockHash = field(o, 'blockHash', hash32, where)
  if (blockHash !== undefined && (o.fromBlock !== undefined || o.toBlock !== undefined)) {
    fail(where, 'cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other')
  }
  let addresses: Uint8Array[] | undefined
  if (o.address !== undefined && o.address !== null) {
    addresses = Array.isArray(o.address)
      ? o.address.map((a, i) => address(a, `${where}: field address[${i}]`).bytes)
      : [address(o.address, `${where}: field address`).bytes]
  }
  let topics: (Uint8Array[] | null)[] | undefined
  if (o.topics !== undefined && o.topics !== null) {
    if (!Array.isArray(o.topics)) fail(where, 'field topics must be an array')
    const list = o.topics as unknown[]
    if (list.length > 4) fail(where, 'too many topics (max 4)')
    topics = list.map((t, i) => {
      if (t === null) return null
      if (Array.isArray(t)) return t.map((x, j) => hash32(x, `${where}: field topics[${i}][${j}]`))
      return [hash32(t, `${where}: field topics[${i}]`)]
    })
  }
  return {
    fromBlock: field(o, 'fromBlock', blockNumberOrTag, where),
    toBlock: field(o, 'toBlock', blockNumberOrTag, where),
    blockHash,
    addresses,
    topics,
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v === 'object' ? 'object' : typeof v
}

