/**
 * Four speedups to @ethereumjs internals, each a measured hot spot (README "Measured figures") and
 * each checked by test/sequencer/unit/evm-speedups.test.ts, which fails if an upgrade moves what
 * they patch.
 *
 * 1. Memoizes @ethereumjs/evm's jump-destination analysis per contract code. The interpreter
 * re-analyses a contract's whole bytecode on every call that jumps (8% of block building for
 * ERC-20 transfers); the result depends only on the code bytes and the opcode table, and the
 * interpreter only reads it, so it is cached per (opcode table, code) object pair. Code objects
 * come from the state manager's code cache, so a contract called again hits the cache.
 *
 * The analysis is a method of the interpreter, which the package does not export; both of its
 * builds (dual-build.ts) are patched, once.
 *
 * 2. Caches a transaction's sender address. @ethereumjs caches the recovered public key but
 * derives the address again on every `getSenderAddress()` (runTx asks once per execution), with
 * its JavaScript keccak (≈15 µs); the patched method hashes with the native keccak once and keeps
 * the address in the transaction's own `cache` object (frozen transactions only, as @ethereumjs
 * does for the key). Admission stores the address it recovered there too (mempool/validator.ts),
 * so a block never recovers or hashes a sender again.
 *
 * 3. Keeps accounts in the state manager's account cache as values rather than RLP.
 * @ethereumjs/statemanager RLP-encodes an account on every `putAccount` and decodes it again on
 * every `getAccount`, and a plain transfer reads and writes its sender, recipient and fee
 * recipient several times: the round trip was about 30% of executing a transfer. The patched
 * cache stores a copy of the four fields and hands out a fresh Account built from them (what
 * decoding the RLP built: same fields, codeSize and version at their defaults), so no caller
 * shares or mutates the cached entry; the RLP is made only when something reads `accountRLP`
 * (the flush into the trie, once per block). Partial accounts and deletions go the library's way.
 *
 * 4. Pads with one allocation. @ethereumjs/util's `setLengthLeft`/`setLengthRight` build the
 * padded array through two array spreads (`[...zeros, ...msg]`), and the interpreter pads every
 * SLOAD/SSTORE key and value: 4% of an ERC-20 transfer, and garbage. Same checks, same result.
 * Only the CommonJS build is patched (its functions are reached through a writable export; an
 * ES module namespace cannot be assigned); the node runs that build under tsx, vitest the other.
 */
import { dirname, join } from 'node:path'
import { Address, bytesToUnprefixedHex } from '@ethereumjs/util'
import { publicKeyToAddressBytes } from '../chain/crypto.ts'
import { bothBuilds } from './dual-build.ts'

type Analysis = unknown
interface InterpreterProto {
  _getValidJumpDestinations(this: { _evm: Record<string, object> }, code: Uint8Array): Analysis
  __jumpdestCache?: true
}

let installed: Promise<void> | undefined

export function installEvmSpeedups(): Promise<void> {
  installed ??= (async () => {
    for (const { Interpreter } of await bothBuilds<{ Interpreter: { prototype: InterpreterProto } }>('@ethereumjs/evm', 'interpreter.js')) patch(Interpreter.prototype)
    for (const mod of await bothBuilds<TxModule>('@ethereumjs/tx', 'index.js')) for (const name of TX_CLASSES) patchSenderCache(mod[name].prototype, name)
    const caches = await bothBuilds<{ AccountCache: { prototype: AccountCacheProto } }>('@ethereumjs/statemanager', 'cache/account.js')
    const stateManagers = await bothBuilds<{ MerkleStateManager: { prototype: StateManagerProto } }>('@ethereumjs/statemanager', 'merkleStateManager.js')
    const accounts = await bothBuilds<{ Account: AccountClass }>('@ethereumjs/util', 'account.js')
    for (const build of [0, 1]) patchAccountCache(caches[build].AccountCache.prototype, stateManagers[build].MerkleStateManager.prototype, accounts[build].Account)
    patchSetLength(require(join(dirname(require.resolve('@ethereumjs/util')), 'bytes.js')) as BytesModule)
  })()
  return installed
}

function patch(proto: InterpreterProto): void {
  if (proto.__jumpdestCache === true) return
  const analyse = proto._getValidJumpDestinations
  const byOpcodeMap = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()
  proto._getValidJumpDestinations = function (code) {
    const opcodeMap = this._evm._opcodeMap
    let byCode = byOpcodeMap.get(opcodeMap)
    if (byCode === undefined) byOpcodeMap.set(opcodeMap, (byCode = new WeakMap()))
    let analysis = byCode.get(code)
    if (analysis === undefined) byCode.set(code, (analysis = analyse.call(this, code)))
    return analysis
  }
  proto.__jumpdestCache = true
}

/** Every transaction class @ethereumjs/tx exports; each has its own getSenderAddress. */
export const TX_CLASSES = ['LegacyTx', 'AccessList2930Tx', 'FeeMarket1559Tx', 'Blob4844Tx', 'EOACode7702Tx'] as const
type TxModule = Record<(typeof TX_CLASSES)[number], { prototype: TxProto }>
interface TxProto {
  getSenderAddress(this: SignedTx): Address
  __senderCache?: true
}
interface SignedTx {
  cache: { senderAddress?: Address }
  getSenderPublicKey(): Uint8Array
}

function patchSenderCache(proto: TxProto | undefined, name: string): void {
  if (proto === undefined || typeof proto.getSenderAddress !== 'function') throw new Error(`@ethereumjs/tx no longer has ${name}.getSenderAddress: review sequencer/builder/evm-speedups.ts`)
  if (proto.__senderCache === true) return
  proto.getSenderAddress = function () {
    const cached = this.cache.senderAddress
    if (cached !== undefined) return cached
    const address = new Address(publicKeyToAddressBytes(this.getSenderPublicKey()))
    if (Object.isFrozen(this)) this.cache.senderAddress = address
    return address
  }
  proto.__senderCache = true
}

// ---- 3. accounts kept as values in the account cache ----

interface AccountLike {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
  serialize(): Uint8Array
}
type AccountClass = new (nonce: bigint, balance: bigint, storageRoot: Uint8Array, codeHash: Uint8Array) => AccountLike
interface CacheElement {
  accountRLP: Uint8Array | undefined
}
interface AccountCacheThis {
  _saveCachePreState(addressHex: string): void
  _lruCache?: { set(key: string, value: CacheElement): void }
  _orderedMapCache?: { setElement(key: string, value: CacheElement): void }
  _stats: { writes: number }
}
interface AccountCacheProto {
  put(this: AccountCacheThis, address: Address, account: AccountLike | undefined, couldBePartialAccount?: boolean): void
  __decodedAccounts?: true
}
interface StateManagerProto {
  getAccount(this: { _caches?: { account?: { get(address: Address): CacheElement | undefined } } }, address: Address): Promise<AccountLike | undefined>
}

/** A cache entry holding an account's fields; its RLP is made on first demand. */
class DecodedAccount implements CacheElement {
  private rlp: Uint8Array | undefined
  private readonly nonce: bigint
  private readonly balance: bigint
  private readonly storageRoot: Uint8Array
  private readonly codeHash: Uint8Array

  constructor(
    private readonly Account: AccountClass,
    from: AccountLike,
  ) {
    this.nonce = from.nonce
    this.balance = from.balance
    this.storageRoot = from.storageRoot.slice()
    this.codeHash = from.codeHash.slice()
  }

  /** A new Account each time, as decoding the RLP gave one. */
  toAccount(): AccountLike {
    return new this.Account(this.nonce, this.balance, this.storageRoot, this.codeHash)
  }

  get accountRLP(): Uint8Array {
    return (this.rlp ??= this.toAccount().serialize())
  }
}

function patchAccountCache(cache: AccountCacheProto, stateManager: StateManagerProto, Account: AccountClass): void {
  if (cache.__decodedAccounts === true) return
  if (typeof cache.put !== 'function' || typeof stateManager.getAccount !== 'function') {
    throw new Error('@ethereumjs/statemanager no longer has AccountCache.put / getAccount: review sequencer/builder/evm-speedups.ts')
  }
  const put = cache.put
  // the library's put (account.js), with the entry built from the account's fields instead of its RLP
  cache.put = function (address, account, couldBePartialAccount = false) {
    if (account === undefined || couldBePartialAccount) return put.call(this, address, account, couldBePartialAccount)
    const addressHex = bytesToUnprefixedHex(address.bytes)
    this._saveCachePreState(addressHex)
    const element = new DecodedAccount(Account, account)
    if (this._lruCache !== undefined) this._lruCache.set(addressHex, element)
    else if (this._orderedMapCache !== undefined) this._orderedMapCache.setElement(addressHex, element)
    else throw new Error('@ethereumjs/statemanager AccountCache has neither an LRU nor an ordered map: review sequencer/builder/evm-speedups.ts')
    this._stats.writes += 1
  }
  const getAccount = stateManager.getAccount
  stateManager.getAccount = function (address) {
    const element = this._caches?.account?.get(address)
    if (element instanceof DecodedAccount) return Promise.resolve(element.toAccount())
    return getAccount.call(this, address)
  }
  cache.__decodedAccounts = true
}

// ---- 4. padding in one allocation ----

interface BytesModule {
  setLengthLeft(msg: Uint8Array, length: number, opts?: { allowTruncate?: boolean }): Uint8Array
  setLengthRight(msg: Uint8Array, length: number, opts?: { allowTruncate?: boolean }): Uint8Array
  __onePadding?: true
}

function patchSetLength(bytes: BytesModule): void {
  if (bytes.__onePadding === true) return
  if (typeof bytes.setLengthLeft !== 'function' || typeof bytes.setLengthRight !== 'function') {
    throw new Error('@ethereumjs/util no longer exports setLengthLeft / setLengthRight from bytes.js: review sequencer/builder/evm-speedups.ts')
  }
  bytes.setLengthLeft = (msg, length, opts = {}) => setLength(msg, length, false, opts.allowTruncate ?? false)
  bytes.setLengthRight = (msg, length, opts = {}) => setLength(msg, length, true, opts.allowTruncate ?? false)
  bytes.__onePadding = true
}

/** @ethereumjs/util's setLength (bytes.js), with its checks and messages, padding by one copy. */
function setLength(msg: Uint8Array, length: number, right: boolean, allowTruncate: boolean): Uint8Array {
  if (!(msg instanceof Uint8Array)) throw new Error(`This method only supports Uint8Array but input was: ${msg}`)
  if (msg.length > length) {
    if (!allowTruncate) throw new Error(`Input length ${msg.length} exceeds target length ${length}. Use allowTruncate option to truncate.`)
    return right ? msg.subarray(0, length) : msg.subarray(-length)
  }
  if (msg.length === length) return msg
  const out = new Uint8Array(length)
  out.set(msg, right ? 0 : length - msg.length)
  return out
}
