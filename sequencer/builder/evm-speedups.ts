/**
 * Nine speedups to @ethereumjs internals, each a measured hot spot (README "Measured figures") and
 * each checked by test/sequencer/unit/evm-speedups.test.ts, which fails if an upgrade moves what
 * they patch (5, 6 and 7 follow library code closely: the test also compares them with the library's
 * own functions, program by program, and fingerprints the library's source they follow).
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
 *
 * 5. Steps synchronously where it can. The interpreter's loop awaits `runStep`, an async method,
 * for every opcode: a promise and a trip through the microtask queue each time, though nine
 * steps in ten (an OpenZeppelin transfer: about 280 of 310) have static gas and a synchronous
 * handler. The patched `run` is the library's for legacy code (no EOF, no code-chunk witnesses,
 * no profiler: otherwise the library's own runs) and does runStep's work for such an opcode
 * inline (9 adds dynamic gas); any other opcode, and every opcode while something listens to
 * `step` (tracers), goes through the library's runStep as before. It also lets the event loop run (setImmediate) once
 * execution has gone on for YIELD_EVERY_MS without a break, as the builder does between
 * transactions: one transaction can take seconds (item 7's loop of calls: 0.3 µs a unit of gas,
 * 10 s at 30M), and the node's RPC shares the thread. Nothing else uses the builder's VM or state
 * meanwhile (reads go to committed roots through their own state managers), so this changes no
 * result, only who waits.
 *
 * 6. Merges a frame's result in one copy. `runInterpreter` returns a `runState` made by spreading
 * three objects into one literal; V8 (Node 20) copies every property after the first object's
 * through a slow runtime path: 20–30 µs a frame in a CPU profile of ERC-20 transfers, close to a
 * tenth of executing one. The patched method is the library's with `Object.assign` there, and for
 * the result around it (a spread followed by properties, 7 µs more): the same properties, in the
 * same order, with the same values. (Its caller, `_executeCall`, builds the message with a slow
 * literal too: 8.)
 *
 * 7. Keeps the EVM journal's diff list as deep as the call stack. The journal pushes an entry
 * (three new collections) at every checkpoint and again at every commit, and drops them only at
 * a revert or the transaction's end: a transaction looping calls (a STATICCALL to a contract that
 * STOPs, 130 gas a lap) grew it by six collections a call, to 1.0 GB of RSS at 30M gas and 1.9 GB
 * at 60M, and the collector's work with it. The patched `commit` merges the committed frame's
 * entries into its parent's, which a later revert of the parent undoes exactly as it undid them
 * (a revert deletes the union of what its entries list); the list stays one entry per open frame.
 *
 * 8. Builds the message of a code-running frame as one object literal. `_executeCall` hands
 * runInterpreter `{ ...{ codeAddress: message.codeAddress }, ...message, gasLimit }`: V8 (Node 20)
 * has no fast path for a spread after a spread literal and takes 20–30 µs a frame for it, where
 * `{ codeAddress: message.codeAddress, ...message, gasLimit }` takes 0.3 µs and gives the same
 * properties in the same order with the same values (the getter runs first either way; a Message
 * has no own `codeAddress`). The method is 240 lines, too long to copy; the patch compiles the
 * library's own module source with that one expression rewritten (it must occur exactly once, or
 * installing throws) and takes the method from it: every other line, and every module the method
 * reaches (the same `require` cache), is the library's. CommonJS build only, as 4.
 *
 * 9. Steps synchronously through dynamic gas too. 5's loop still sent every dynamic-gas opcode
 * through runStep (MSTORE, MLOAD, KECCAK256, SLOAD, LOG, RETURN: 22 of an OpenZeppelin
 * transfer's steps), because the library declares every gas handler `async`, and so the four
 * opcodes it flags `isAsync` whose handlers are plain functions (CALLER, CALLVALUE, CALLDATALOAD,
 * CALLDATASIZE: 7 more). Most gas handlers never await: for those, the module is compiled once
 * more from its own text with their `async` dropped (as 8 does), and the loop charges such an
 * opcode's gas through the twin, then runs its handler, awaiting only a promise it returns (an
 * SLOAD's state read) or a twin's (the call family's helper is async). An OpenZeppelin transfer
 * now takes runStep twice (its SSTOREs, whose gas handler reads the slot) and allocates 214 kB
 * instead of 234 kB (README "Measured figures"). CommonJS build only.
 */
import { readFileSync } from 'node:fs'
import Module from 'node:module'
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
    const interpreters = await bothBuilds<{ Interpreter: { prototype: StepProto } }>('@ethereumjs/evm', 'interpreter.js')
    const errors = await bothBuilds<ErrorsModule>('@ethereumjs/evm', 'errors.js')
    const eip7928 = await bothBuilds<Eip7928Module>('@ethereumjs/evm', 'opcodes/EIP7928.js')
    const evmDir = dirname(require.resolve('@ethereumjs/evm'))
    const gasTwins = syncGasTwins(join(evmDir, 'opcodes', 'gas.js'))
    for (const build of [0, 1]) patchSyncSteps(interpreters[build].Interpreter.prototype, errors[build], eip7928[build], build === 0 ? gasTwins : new Map())
    const evms = await bothBuilds<{ EVM: { prototype: EvmProto } }>('@ethereumjs/evm', 'evm.js')
    const utils = await bothBuilds<UtilModule>('@ethereumjs/util', 'index.js')
    for (const build of [0, 1]) patchRunInterpreter(evms[build].EVM.prototype, interpreters[build].Interpreter as unknown as InterpreterClass, errors[build], utils[build])
    for (const { Journal } of await bothBuilds<{ Journal: { prototype: JournalProto } }>('@ethereumjs/evm', 'journal.js')) patchJournalCommit(Journal.prototype)
    patchMessageLiteral(evms[0].EVM.prototype as unknown as ExecuteCallProto, join(evmDir, 'evm.js'))
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

// ---- 5. synchronous steps ----

interface OpEntry {
  opcodeInfo: { code: number; feeBigInt: bigint; dynamicGas: boolean; isAsync: boolean; isInvalid: boolean }
  opHandler: (runState: RunState, common: unknown) => unknown
  gasHandler?: GasHandler
}
/** A dynamic-gas handler of @ethereumjs/evm's opcodes/gas.js: the library's are all `async`. */
type GasHandler = (runState: RunState, gas: bigint, common: unknown) => bigint | Promise<bigint>
/** The library's gas handlers that never await, each with its twin compiled without `async` (9 above). */
type SyncGasTwins = Map<GasHandler, GasHandler>
interface RunState {
  code: Uint8Array
  programCounter: number
  opCode: number
  gasLeft: bigint
  validJumps: unknown
  cachedPushes: unknown
  shouldDoJumpAnalysis: boolean
  eip8037BurnLeftoverAfterCreateHaltOntoAlive?: boolean
  env: { accessWitness?: { commit(): void; revert(): void } }
}
interface StepThis {
  _runState: RunState
  _evm: { events: { listenerCount(event: string): number }; DEBUG: boolean }
  common: { isActivatedEIP(eip: number): boolean }
  profilerOpts?: { enabled?: boolean }
  runStep(opcodeObj?: OpEntry): Promise<void>
  lookupOpInfo(opCode: number): OpEntry | undefined
  useGas(amount: bigint, context?: unknown): void
  _getValidJumpDestinations(code: Uint8Array): { jumps: unknown; pushes: unknown; opcodesCached: OpEntry[] }
}
type RunResult = { runState: RunState; exceptionError?: unknown }
interface StepProto {
  run(this: StepThis, code: Uint8Array, opts?: { pc?: number }): Promise<RunResult>
  /** The library's own run, kept for the tests that compare the two. */
  __libraryRun?: StepProto['run']
  __syncSteps?: true
}
interface EvmErrorClass {
  new (message: string): Error
  errorMessages: Record<string, string>
}
interface ErrorsModule {
  EVMError: EvmErrorClass
  EVMErrorTypeString: string
}
interface Eip7928Module {
  consumeEip7928PostTargetCallOog(runState: RunState): void
}

const JUMP_OPCODES = new Set([0x56, 0x57, 0x5e])
const EOF_FORMAT = 0xef
/** Steps between looks at the clock: a few µs of work at the slowest, far below YIELD_EVERY_MS. */
const STEPS_PER_CLOCK_CHECK = 1_000
/**
 * Longest stretch of work without letting the event loop serve requests, in ms: EVM execution
 * (any frames, any transaction) here, block building between transactions in builder.ts.
 */
export const YIELD_EVERY_MS = 20
let stepsSinceClockCheck = 0
let lastYield = 0

function patchSyncSteps(proto: StepProto, errors: ErrorsModule, eip7928: Eip7928Module, gasTwins: SyncGasTwins): void {
  if (proto.__syncSteps === true) return
  const { EVMError, EVMErrorTypeString } = errors
  const { consumeEip7928PostTargetCallOog } = eip7928
  if (typeof proto.run !== 'function' || typeof EVMError !== 'function' || typeof consumeEip7928PostTargetCallOog !== 'function') {
    throw new Error('@ethereumjs/evm no longer has Interpreter.run, EVMError or consumeEip7928PostTargetCallOog: review sequencer/builder/evm-speedups.ts')
  }
  const { STOP, INVALID_OPCODE, OUT_OF_GAS } = EVMError.errorMessages
  const run = proto.run
  proto.run = function (code, opts = {}) {
    const { common } = this
    const legacy = !common.isActivatedEIP(3540) || code[0] !== EOF_FORMAT
    if (!legacy || this.profilerOpts?.enabled === true || common.isActivatedEIP(6800) || common.isActivatedEIP(7864)) return run.call(this, code, opts)
    return runSync.call(this, code, opts)
  }
  /** The library's run for legacy code with no profiler and no code-chunk witnesses, stepping synchronously where it can. */
  async function runSync(this: StepThis, code: Uint8Array, opts: { pc?: number }): Promise<RunResult> {
    const runState = this._runState
    const { common, _evm: evm } = this
    runState.code = code
    runState.programCounter = opts.pc ?? runState.programCounter
    const pc = runState.programCounter
    if (pc !== 0 && (pc < 0 || pc >= runState.code.length)) throw new Error('Internal error: program counter not in range')
    let err: unknown
    let cachedOpcodes: OpEntry[] | undefined
    while (runState.programCounter < runState.code.length) {
      if (++stepsSinceClockCheck >= STEPS_PER_CLOCK_CHECK) {
        stepsSinceClockCheck = 0
        const now = performance.now()
        if (now - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          lastYield = performance.now()
        }
      }
      const programCounter = runState.programCounter
      let opCode: number
      let entry: OpEntry | undefined
      if (cachedOpcodes === undefined) {
        opCode = runState.code[programCounter]
        if (JUMP_OPCODES.has(opCode)) {
          const { jumps, pushes, opcodesCached } = this._getValidJumpDestinations(runState.code)
          runState.validJumps = jumps
          runState.cachedPushes = pushes
          runState.shouldDoJumpAnalysis = false
          cachedOpcodes = opcodesCached
        }
        entry = this.lookupOpInfo(opCode)
      } else {
        entry = cachedOpcodes[programCounter]
        opCode = entry.opcodeInfo.code
      }
      runState.opCode = opCode
      try {
        const info = entry?.opcodeInfo
        const gasTwin = info?.dynamicGas === true ? gasTwins.get(entry!.gasHandler!) : undefined
        if (info === undefined || (info.dynamicGas && gasTwin === undefined) || evm.DEBUG || evm.events.listenerCount('step') > 0) {
          await this.runStep(entry)
        } else {
          // runStep's path (no tracer, no profiler, no code-chunk witnesses) without its promise:
          // the gas (a dynamic one through the handler's synchronous twin), the invalid-opcode check,
          // useGas, the handler (awaited only if it returned a promise: `isAsync` marks some plain ones)
          let gas = gasTwin === undefined ? info.feeBigInt : gasTwin(runState, info.feeBigInt, common)
          if (typeof gas !== 'bigint') gas = await gas // a twin that calls an async helper (the call family's)
          if (info.isInvalid) throw new EVMError(INVALID_OPCODE)
          // useGas inline (evm.DEBUG, its only other branch, took the path above); the library's runs only to fail
          const gasLeft = runState.gasLeft - gas
          if (gasLeft < 0n) this.useGas(gas, info)
          else runState.gasLeft = gasLeft
          runState.programCounter++
          consumeEip7928PostTargetCallOog(runState)
          const handler = entry!.opHandler
          const done = handler(runState, common)
          if (info.isAsync && done instanceof Promise) await done
          runState.env.accessWitness?.commit()
        }
      } catch (e) {
        runState.env.accessWitness?.revert()
        if (!((e as { errorType?: string }).errorType === EVMErrorTypeString)) throw e
        if ((e as { error?: string }).error !== STOP) err = e
        break
      }
    }
    if (err === undefined && runState.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true && runState.gasLeft > 0n) {
      runState.gasLeft = 0n
      err = new EVMError(OUT_OF_GAS)
    }
    return { runState, exceptionError: err }
  }
  proto.__libraryRun = run
  proto.__syncSteps = true
}

// ---- 6. one merge of the interpreter's result ----

interface Message {
  to?: unknown
  caller?: unknown
  data?: Uint8Array
  value?: bigint
  code: unknown
  isStatic?: boolean
  isCreate?: boolean
  depth?: number
  codeAddress?: unknown
  gasRefund?: bigint
  chargeCodeAccesses?: boolean
  blobVersionedHashes?: unknown[]
  accessWitness?: { commit(): void }
  createdAddresses?: unknown
  selfdestruct?: unknown
  gasLimit: bigint
}
interface InterpreterResult {
  logs: unknown[]
  returnValue?: Uint8Array
  selfdestruct: unknown
  createdAddresses?: unknown
}
interface InterpreterInstance {
  _result: InterpreterResult
  _env: object
  run(code: unknown, opts: object): Promise<{ runState: { gasLeft: bigint; gasRefund: bigint; stateGasSpilled: bigint }; exceptionError?: { error: string } }>
}
type InterpreterClass = new (...args: unknown[]) => InterpreterInstance
interface EvmThis {
  stateManager: { getAccount(address: unknown): Promise<unknown> }
  blockchain: unknown
  journal: unknown
  performanceLogger: unknown
  _optsCached: { profiler?: unknown }
  _tx: { gasPrice: bigint; origin?: unknown }
  _block?: unknown
}
interface EvmProto {
  runInterpreter(this: EvmThis, message: Message, opts?: { initialLogs?: unknown }): Promise<object>
  /** The library's own runInterpreter, kept for the tests that compare the two. */
  __libraryRunInterpreter?: EvmProto['runInterpreter']
  __oneMerge?: true
}
interface UtilModule {
  Account: new () => unknown
  createZeroAddress(): unknown
}

function patchRunInterpreter(proto: EvmProto, Interpreter: InterpreterClass, errors: ErrorsModule, util: UtilModule): void {
  if (proto.__oneMerge === true) return
  const { Account, createZeroAddress } = util
  const { REVERT, INVALID_EOF_FORMAT } = errors.EVMError.errorMessages
  const runInterpreter = proto.runInterpreter
  if (typeof runInterpreter !== 'function' || typeof Interpreter !== 'function' || typeof Account !== 'function' || typeof createZeroAddress !== 'function') {
    throw new Error('@ethereumjs/evm no longer has EVM.runInterpreter or Interpreter: review sequencer/builder/evm-speedups.ts')
  }
  proto.runInterpreter = async function (message, opts = {}) {
    // a block is always set where the node runs code; without one the library makes its own default
    if (this._block === undefined) return runInterpreter.call(this, message, opts)
    const contract = (await this.stateManager.getAccount(message.to ?? createZeroAddress())) ?? new Account()
    const env = {
      address: message.to ?? createZeroAddress(),
      caller: message.caller ?? createZeroAddress(),
      callData: message.data ?? Uint8Array.from([0]),
      callValue: message.value ?? 0n,
      code: message.code,
      isStatic: message.isStatic ?? false,
      isCreate: message.isCreate ?? false,
      depth: message.depth ?? 0,
      gasPrice: this._tx.gasPrice,
      origin: this._tx.origin ?? message.caller ?? createZeroAddress(),
      block: this._block,
      contract,
      codeAddress: message.codeAddress,
      gasRefund: message.gasRefund,
      chargeCodeAccesses: message.chargeCodeAccesses,
      blobVersionedHashes: message.blobVersionedHashes ?? [],
      accessWitness: message.accessWitness,
      createdAddresses: message.createdAddresses,
      initialLogs: opts.initialLogs,
    }
    const interpreter = new Interpreter(this, this.stateManager, this.blockchain, env, message.gasLimit, this.journal, this.performanceLogger, this._optsCached.profiler)
    if (message.selfdestruct) interpreter._result.selfdestruct = message.selfdestruct
    if (message.createdAddresses) interpreter._result.createdAddresses = message.createdAddresses
    const interpreterRes = await interpreter.run(message.code, opts)
    let result = interpreter._result
    let gasUsed = message.gasLimit - interpreterRes.runState.gasLeft
    if (interpreterRes.exceptionError) {
      if (interpreterRes.exceptionError.error !== REVERT && interpreterRes.exceptionError.error !== INVALID_EOF_FORMAT) gasUsed = message.gasLimit
      result = Object.assign({}, result, { logs: [], selfdestruct: new Map(), createdAddresses: new Set() })
    }
    message.accessWitness?.commit()
    // The library writes `{ ...result, runState: { ...a, ...b, ...c }, exceptionError, … }`. V8
    // copies every property after a literal's first spread through its slow path (about 20 µs a
    // call for runState), and even the outer literal, a spread followed by properties, took 7 µs
    // a frame in a microbenchmark against 0.9 µs for Object.assign followed by the same stores.
    // Both give the same properties, in the same order (returnValue keeps result's place), with
    // the same values.
    const execResult: Record<string, unknown> = Object.assign<Record<string, unknown>, object>({}, result)
    execResult.runState = Object.assign({}, interpreterRes.runState, result, interpreter._env)
    execResult.exceptionError = interpreterRes.exceptionError
    execResult.gas = interpreterRes.runState?.gasLeft
    execResult.executionGasUsed = gasUsed
    execResult.gasRefund = interpreterRes.runState.gasRefund
    execResult.stateGasSpilled = interpreterRes.runState.stateGasSpilled
    execResult.returnValue = result.returnValue ?? new Uint8Array(0)
    return execResult
  }
  proto.__libraryRunInterpreter = runInterpreter
  proto.__oneMerge = true
}

// ---- 7. a journal as deep as the call stack ----

type JournalEntry = [height: number, diff: [addresses: Set<string>, slots: Map<string, Set<string>>, touched: Set<string>]]
interface JournalThis {
  journalHeight: number
  journalDiff: JournalEntry[]
  stateManager: { commit(): Promise<void> }
}
interface JournalProto {
  commit(this: JournalThis): Promise<void>
  __libraryCommit?: JournalProto['commit']
  __boundedDiff?: true
}

function patchJournalCommit(proto: JournalProto): void {
  if (proto.__boundedDiff === true) return
  if (typeof proto.commit !== 'function') throw new Error('@ethereumjs/evm no longer has Journal.commit: review sequencer/builder/evm-speedups.ts')
  const commit = proto.commit
  // the library's commit pushes [height - 1, fresh collections]; this one folds every entry above
  // the new height (the committed frame's, and those its committed children left) into the entry
  // below them, the parent frame's, which is where the parent's next changes go in either case
  proto.commit = async function () {
    this.journalHeight--
    const diffs = this.journalDiff
    let parent = diffs.length - 1
    while (parent > 0 && diffs[parent][0] > this.journalHeight) parent--
    const [addresses, slots, touched] = diffs[parent][1]
    for (let i = parent + 1; i < diffs.length; i++) {
      const [a, s, t] = diffs[i][1]
      for (const address of a) addresses.add(address)
      for (const [address, keys] of s) {
        const into = slots.get(address)
        if (into === undefined) slots.set(address, new Set(keys))
        else for (const key of keys) into.add(key)
      }
      for (const address of t) touched.add(address)
    }
    diffs.length = parent + 1
    await this.stateManager.commit()
  }
  proto.__libraryCommit = commit
  proto.__boundedDiff = true
}

// ---- 8. one literal for a frame's message ----

interface ExecuteCallProto {
  _executeCall(message: unknown): Promise<unknown>
  /** The library's own _executeCall, kept for the tests that compare the two. */
  __libraryExecuteCall?: ExecuteCallProto['_executeCall']
  __messageLiteral?: true
}
interface CompilableModule {
  filename: string
  paths: string[]
  exports: { EVM?: { prototype: Partial<ExecuteCallProto> } }
  _compile(source: string, filename: string): void
}
type ModuleClass = new (id: string) => CompilableModule
/** The spread of a spread literal in `_executeCall`, and what replaces it (see 8 above). */
export const SPREAD_LITERAL = /\.\.\.\{ codeAddress: message\.codeAddress \},(\s*)\.\.\.message,/g
export const MESSAGE_LITERAL = 'codeAddress: message.codeAddress,$1...message,'

function patchMessageLiteral(proto: ExecuteCallProto, file: string): void {
  if (proto.__messageLiteral === true) return
  const source = readFileSync(file, 'utf8')
  const found = source.match(SPREAD_LITERAL)?.length ?? 0
  if (found !== 1 || typeof proto._executeCall !== 'function') {
    throw new Error(`@ethereumjs/evm's evm.js has ${found} spreads of { codeAddress } (expected 1) or no EVM._executeCall: review sequencer/builder/evm-speedups.ts`)
  }
  const executeCall = compileAs<CompilableModule['exports']>(file, source.replace(SPREAD_LITERAL, MESSAGE_LITERAL)).EVM?.prototype._executeCall
  if (typeof executeCall !== 'function') throw new Error('@ethereumjs/evm evm.js, rewritten, exports no EVM._executeCall: review sequencer/builder/evm-speedups.ts')
  proto.__libraryExecuteCall = proto._executeCall
  proto._executeCall = executeCall
  proto.__messageLiteral = true
}

/** Compiles a CommonJS module of a dependency from `source` (its own file's text, rewritten), with its own require paths. */
function compileAs<T>(file: string, source: string): T {
  const rewritten = new (Module as unknown as ModuleClass)(file)
  rewritten.filename = file
  rewritten.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file))
  rewritten._compile(source, file)
  return rewritten.exports as T
}

// ---- 9. synchronous twins of the gas handlers that never await ----

/**
 * The library's dynamic-gas handlers (gas.js `dynamicGasHandlers`) whose source has no `await`,
 * each mapped to the same function compiled without its `async`, from the library's own module
 * text (so `await`-free means the same computation, returned instead of resolved). The other
 * handlers (state reads: SLOAD, SSTORE, BALANCE, the calls, …) have no twin and their opcodes go
 * through runStep.
 */
export function syncGasTwins(file: string): SyncGasTwins {
  const library = (require(file) as { dynamicGasHandlers: Map<number, GasHandler> }).dynamicGasHandlers
  let source = readFileSync(file, 'utf8')
  const chosen: [number, GasHandler][] = []
  const rewritten = new Set<string>() // a text met twice (RETURN's and REVERT's handlers are the same) is rewritten once
  for (const [op, handler] of library) {
    const text = String(handler)
    if (!text.startsWith('async function') || /\bawait\b/.test(text)) continue
    if (!rewritten.has(text)) {
      if (!source.includes(text)) continue
      source = source.split(text).join(text.slice('async '.length))
      rewritten.add(text)
    }
    chosen.push([op, handler])
  }
  const compiled = compileAs<{ dynamicGasHandlers: Map<number, GasHandler> }>(file, source).dynamicGasHandlers
  const twins: SyncGasTwins = new Map()
  for (const [op, handler] of chosen) {
    const twin = compiled.get(op)
    if (twin === undefined || String(twin) !== String(handler).slice('async '.length)) {
      throw new Error(`@ethereumjs/evm gas.js, rewritten, has no synchronous twin for opcode 0x${op.toString(16)}: review sequencer/builder/evm-speedups.ts`)
    }
    twins.set(handler, twin)
  }
  return twins
}
