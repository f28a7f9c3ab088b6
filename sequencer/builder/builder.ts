/**
 * Block production. A plain runTx loop over the pool's candidates (not @ethereumjs's BlockBuilder,
 * which is quadratic in the number of transactions), then one seal: state root, transaction and
 * receipt tries, header, and a single sqlite transaction with everything the block wrote.
 *
 * The builder owns the one long-lived, cached state at the head. It is the only writer of state.
 */
import { createBlock, createBlockHeader, type BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CustomPrecompile, Log } from '@ethereumjs/evm'
import { trackInferenceCallers } from '../../precompiles/index.ts'
import { Address, bigIntToBytes, createAddressFromString } from '@ethereumjs/util'
import { Bloom, createVM, runTx, type TxReceipt, type VM } from '@ethereumjs/vm'
import { encodeBytes, encodeList, encodedBytesLength, encodedListLength } from '../chain/rlp.ts'
import type { Chain } from '../chain/chain.ts'
import type { SqliteTrieDB } from '../state/trie-db.ts'
import type { BlockRow, BlockWrite, LogRow, TxRow } from '../store/store.ts'
import { orderedTrieRoot } from './tries.ts'
import { YIELD_EVERY_MS } from './evm-speedups.ts'
import { createFaultLatch, type FaultLatch } from './fault-latch.ts'
import { delegatesSystemSender, isSystemSender, SYSTEM_ADDRESS, systemTx, type SystemSource } from '../system/system-tx.ts'
import { indexProtocolLogs, type ProtocolIndex, type SystemTxOutcome } from '../system/log-index.ts'
import type { BlockTx } from './block-tx.ts'

export type { BlockTx }

/** The pool's cursor for one block, declared here by its user. */
export interface CandidateSource<T extends BlockTx> {
  next(): T | undefined
  skipSender(senderHex: string): void
  /** Takes in transactions that arrived since it was made (an open block's, OpenBlock). */
  refresh?(): void
}

/**
 * A block kept open until `until` (performance.now() ms): when the candidates run dry before
 * then, the build waits for more (`waitForMore`, which resolves on an arrival or after `ms`),
 * refreshes its cursor and goes on; it seals once they run dry at or after `until`.
 */
export interface OpenBlock {
  until: number
  waitForMore(ms: number): Promise<void>
}

export interface SealedBlock<T extends BlockTx = BlockTx> {
  row: BlockRow
  header: BlockHeader
  /** The pool's transactions in the block. */
  included: T[]
  /** The system transactions at the start of the block (anchors, deposits). */
  system: BlockTx[]
  txRows: TxRow[]
  logs: LogRow[]
  /**
   * Where the build's time went (ms): running the transactions (an open block's waits for more
   * left out), waiting for more (`waitMs`, open blocks only), then the tries, header and sqlite commit.
   */
  timings: { executeMs: number; waitMs: number; sealMs: number }
}

export interface BuildResult<T extends BlockTx> {
  /** Undefined when nothing could be included (no block is sealed then). */
  sealed?: SealedBlock<T>
  /** Candidates that failed to execute (nonce, balance at execution time); the pool drops them. */
  invalid: T[]
  /**
   * System transactions that failed to execute (a node fault, e.g. onnxruntime throwing in a
   * deposit's recipient): left out of the block, so the block and the pool's transactions go on;
   * their source offers them again next block. The driver logs them.
   */
  systemErrors: string[]
}

/** Where sealed blocks go (declared here; sequencer/store's Store implements it). */
export interface BlockStore {
  /** One sqlite transaction with the block's rows and, inside it, what `alongside` writes. */
  commitBlock(write: BlockWrite, alongside?: () => void): void
}

/** The chain as the builder sees it: the parent to build on, the head to move, the EVM's view of past blocks. */
export type BuilderChain = Pick<Chain, 'head' | 'advance' | 'evmBlockchain'>

export interface BuilderOptions {
  common: Common
  chain: BuilderChain
  store: BlockStore
  trieDB: SqliteTrieDB
  state: MerkleStateManager
  feeRecipient: Address
  gasLimit: bigint
  /** Precompiles beyond Ethereum's (the AI ones), as @ethereumjs/evm takes them. */
  precompiles?: CustomPrecompile[]
  /** Sources of system transactions, asked in this order at the start of every block. */
  systemSources?: SystemSource[]
  /** Most gas the system transactions of one block may use; default half the block gas limit. */
  systemGasBudget?: bigint
  /** The AI runtime whose admitted models the block writes when it registered them (precompiles/runtime.ts). */
  models?: ModelSealer
  /** The services that keep rows of each sealed block's protocol events, written in its sqlite transaction. */
  blockWriters?: BlockWriter[]
  /**
   * Most bytes of transactions (network encodings) in one block, so that any block fits one L1
   * batch transaction. System transactions count first; a pool transaction that would pass the
   * limit waits for a later block. Unlimited when absent.
   */
  maxBlockBytes?: number
  /** Bounds of the state's caches, checked after each sealed block (default STATE_CACHE_LIMITS). */
  cacheLimits?: StateCacheLimits
  /**
   * A block takes no more pool transactions once it has executed this long (ms of wall time, less
   * what it waited for arrivals); unlimited when absent. Gas prices @ethereumjs's CPU unevenly (a
   * loop of calls runs about 0.3 µs a unit of gas, 20 s for a 60M-gas block), so without this a
   * block of such transactions would hold the chain's cadence for as long; with it the block
   * seals and the rest wait for the next. System transactions and rebuilt blocks (whose contents
   * are given) are never cut.
   */
  maxExecuteMs?: number
}

/**
 * The builder's state caches (@ethereumjs/statemanager's ordered-map caches, state/state.ts) keep
 * every account and storage slot a block touched, and never evict: a stream of transfers to fresh
 * addresses would grow them with the chain's history, without bound. So after a sealed block,
 * whose writes are in the tries by then, the caches (and the state manager's open storage tries,
 * one per contract written) are emptied once they hold more than these; the next blocks read what
 * they need from the tries again. A few MB of cache at these sizes.
 */
export interface StateCacheLimits {
  accounts: number
  slots: number
}
export const STATE_CACHE_LIMITS: StateCacheLimits = { accounts: 20_000, slots: 50_000 }

/**
 * A service that keeps its own rows of each sealed block's protocol events (the anchoring index,
 * the bridge's withdrawals and deposit results), in its own tables; declared here by its user.
 * Called inside the block's sqlite transaction (docs/ARCHITECTURE.md rule 2): synchronous, and a
 * throw leaves the whole block unwritten. A rebuilding node runs the same writers.
 */
export interface BlockWriter {
  writeBlock(events: ProtocolIndex): void
}

/** Model bytes admitted while a block runs, kept until it is sealed or abandoned; declared here by its user. */
export interface ModelSealer {
  /** The admitted models `state` lists as registered; the rest are forgotten. */
  takeRegistered(state: MerkleStateManager): Promise<{ id: Uint8Array; bytes: Uint8Array }[]>
  discardPending(): void
}

/** What a fault-injection test reaches: the builder's VM and the latch around its state calls. */
export interface ExecutionSeam {
  vm: VM
  latch: FaultLatch
}

/** A builder whose state could not be put back after a fault refuses to build (never a wrong block). */
export class BuilderBrokenError extends Error {}

const TX_GAS = 21_000n
const SYSTEM_SENDER = createAddressFromString(SYSTEM_ADDRESS)

export class BlockBuilder {
  /** Set when a fault left the state in a condition this builder cannot undo. */
  private broken: Error | undefined
  /** The build in progress, if any (builds never overlap). */
  private running: Promise<void> = Promise.resolve()

  private constructor(
    private readonly opts: BuilderOptions,
    private readonly vm: VM,
    private readonly latch: FaultLatch,
  ) {}

  /** A fault found outside the state layer while a transaction runs (a precompile's store): the transaction is left out. */
  reportFault(err: unknown): void {
    this.latch.trip(err)
  }

  /** For tests that inject faults into execution: the VM, and the state calls it makes (never used in production). */
  get executionSeam(): ExecutionSeam {
    return { vm: this.vm, latch: this.latch }
  }

  static async create(opts: BuilderOptions): Promise<BlockBuilder> {
    const latch = createFaultLatch(opts.state)
    const vm = await createVM({
      common: opts.common,
      stateManager: latch.state,
      blockchain: opts.chain.evmBlockchain(),
      evmOpts: { customPrecompiles: opts.precompiles },
    })
    trackInferenceCallers(vm.evm) // the inference precompile's access rules need its caller
    return new BlockBuilder(opts, vm, latch)
  }

  /** The system sources' calls for the next block, signed with the system sender's next nonces. */
  private async systemTxs(baseFee: bigint): Promise<BlockTx[]> {
    const sources = this.opts.systemSources ?? []
    if (!sources.some((s) => s.hasPending())) return []
    let budget = this.opts.systemGasBudget ?? this.opts.gasLimit / 2n
    let nonce = (await this.opts.state.getAccount(SYSTEM_SENDER))?.nonce ?? 0n
    const txs: BlockTx[] = []
    for (const source of sources) {
      for (const call of source.nextCalls(budget)) {
        budget -= call.gasLimit
        txs.push(systemTx(this.opts.common, nonce++, baseFee, call))
      }
    }
    return txs
  }

  /** True when a system source has calls waiting: a block is due even with an empty pool. */
  hasSystemWork(): boolean {
    return (this.opts.systemSources ?? []).some((s) => s.hasPending())
  }

  /**
   * Runs the system sources' calls, then the candidates, on top of the head and seals the block
   * at `timestamp` (seconds). With `rebuild` (a block re-executed from batch data) the system
   * sources are not asked and the coinbase is the one the batch recorded. With `open` the block
   * takes in candidates that arrive until `open.until` before it seals.
   */
  async build<T extends BlockTx>(candidates: CandidateSource<T>, timestamp: bigint, rebuild?: { coinbase: Address }, open?: OpenBlock): Promise<BuildResult<T>> {
    // one build at a time: a build yields to the event loop between transactions, so a timer
    // tick or a test's mine() could otherwise start another on the same state
    const previous = this.running
    let done!: () => void
    this.running = new Promise<void>((resolve) => (done = resolve))
    await previous
    try {
      return await this.buildExclusive(candidates, timestamp, rebuild, open)
    } finally {
      done()
    }
  }

  /**
   * Takes the chain and the state back to an earlier block, between builds (never during one):
   * `apply` rewinds the store and the chain (one sqlite transaction, then the in-memory heads) and
   * returns the new head's state root, at which the builder's cached state is reopened. A state
   * that cannot be reopened marks the builder broken: it refuses to build rather than build on a
   * state that is not the head's.
   */
  async rewind(apply: () => Uint8Array): Promise<void> {
    const previous = this.running
    let done!: () => void
    this.running = new Promise<void>((resolve) => (done = resolve))
    await previous
    try {
      const root = apply()
      this.opts.models?.discardPending()
      this.opts.trieDB.discardPending()
      try {
        await this.opts.state.setStateRoot(root, true)
      } catch (err) {
        this.broken = err as Error
        throw new BuilderBrokenError(`the state could not be reset to the rewound head: ${(err as Error).message}`)
      }
    } finally {
      done()
    }
  }

  private async buildExclusive<T extends BlockTx>(candidates: CandidateSource<T>, timestamp: bigint, rebuild?: { coinbase: Address }, open?: OpenBlock): Promise<BuildResult<T>> {
    if (this.broken !== undefined) throw new BuilderBrokenError(`block production stopped: ${this.broken.message}`)
    const { common, chain, state, gasLimit } = this.opts
    const feeRecipient = rebuild?.coinbase ?? this.opts.feeRecipient
    const parent = chain.head()
    const number = parent.header.number + 1n
    const baseFee = parent.header.calcNextBaseFee()
    const env = createBlock(
      { header: { number, timestamp, gasLimit, baseFeePerGas: baseFee, coinbase: feeRecipient, parentHash: parent.row.hash } },
      { common },
    )

    // a rebuilt block's system transactions are in its batch data, among the candidates
    const system = rebuild === undefined ? await this.systemTxs(baseFee) : []
    const all: BlockTx[] = []
    const included: T[] = []
    const invalid: T[] = []
    const systemErrors: string[] = []
    const txRows: TxRow[] = []
    const logs: LogRow[] = []
    const receipts: Uint8Array[] = []
    const systemOutcomes: SystemTxOutcome[] = []
    const bloom = new Bloom(undefined, common)
    let gasUsed = 0n
    let bytes = 0
    const maxBytes = this.opts.maxBlockBytes ?? Number.POSITIVE_INFINITY
    const maxExecuteMs = this.opts.maxExecuteMs ?? Number.POSITIVE_INFINITY

    const executeStart = performance.now()
    let waitMs = 0
    await state.checkpoint()
    const blockDepth = checkpointDepth(state)
    try {
      const next = withSystemFirst(system, candidates)
      let lastYield = performance.now()
      for (let c = next(); ; c = next()) {
        if (c === undefined) {
          // dry: an open block waits for arrivals until its time is up, then seals
          const left = open === undefined ? 0 : open.until - performance.now()
          if (left <= 0 || gasLimit - gasUsed < TX_GAS) break
          const waitStart = performance.now()
          await open!.waitForMore(left)
          candidates.refresh?.()
          lastYield = performance.now()
          waitMs += lastYield - waitStart
          continue
        }
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          // runTx never waits on I/O, so without this a heavy block would hold every RPC request
          // (and WebSocket frame) for its whole build; the pool may change meanwhile, which its
          // cursor tolerates (a transaction it already handed out stays handed out)
          await new Promise<void>((resolve) => setImmediate(resolve))
          lastYield = performance.now()
        }
        // system transactions come from the sources, or from batch data when blocks are rebuilt
        const isSystem = isSystemSender(c.senderHex)
        if (!isSystem && delegatesSystemSender(c.tx)) {
          // a block rule, not only a pool rule: a rebuilt block with such a transaction is invalid
          invalid.push(c as T)
          candidates.skipSender(c.senderHex)
          continue
        }
        if (gasLimit - gasUsed < TX_GAS) break
        if (!isSystem && rebuild === undefined && performance.now() - executeStart - waitMs >= maxExecuteMs) break
        if (!isSystem && rebuild === undefined && bytes + c.raw.length > maxBytes) {
          candidates.skipSender(c.senderHex) // the block's data is full for this one: next block
          continue
        }
        if (c.tx.gasLimit > gasLimit - gasUsed) {
          candidates.skipSender(c.senderHex) // its later nonces cannot run without it
          continue
        }
        // Whatever goes wrong inside (an invalid transaction, a fault deep in execution, even one
        // @ethereumjs swallows: fault-latch.ts), the state goes back to exactly where it was
        // before this transaction, which is left out, and the block goes on.
        let result
        let failure: unknown
        this.latch.reset()
        await state.checkpoint()
        try {
          result = await runTx(this.vm, { tx: c.tx, block: env, skipHardForkValidation: true, blockGasUsed: gasUsed, skipBalance: isSystem })
        } catch (err) {
          failure = err
        }
        failure ??= this.latch.tripped()
        if (failure !== undefined || result === undefined) {
          await this.restoreAfterFault(blockDepth)
          if (isSystem) {
            systemErrors.push(`system transaction ${c.hashHex} to ${c.tx.to?.toString()} failed to execute: ${(failure as Error)?.message}`)
            continue
          }
          invalid.push(c as T)
          candidates.skipSender(c.senderHex)
          continue
        }
        await state.commit()
        gasUsed += result.totalGasSpent
        const index = all.length
        const txLogs: Log[] = result.execResult.logs ?? []
        const status = result.execResult.exceptionError === undefined ? 1 : 0
        if (isSystem) systemOutcomes.push({ blockNumber: Number(number), txIndex: index, to: c.tx.to?.bytes, data: c.tx.data, status })
        txRows.push({
          hash: c.hash,
          blockNumber: Number(number),
          txIndex: index,
          raw: c.raw,
          sender: c.sender.bytes,
          status,
          gasUsed: Number(result.totalGasSpent),
          cumulativeGasUsed: Number(gasUsed),
          effectiveGasPrice: effectiveGasPrice(c.tx, baseFee),
          contractAddress: result.createdAddress?.bytes ?? null,
          firstLogIndex: logs.length,
          logCount: txLogs.length,
        })
        for (const [address, topics, data] of txLogs) {
          logs.push({ blockNumber: Number(number), logIndex: logs.length, txIndex: index, address, topics, data })
        }
        receipts.push(encodeReceipt(result.receipt, c.tx.type))
        bloom.or(result.bloom)
        all.push(c)
        bytes += c.raw.length
        if (!isSystem) included.push(c as T)
      }
    } catch (err) {
      await this.abandon()
      throw err
    }
    if (all.length === 0) {
      await this.abandon()
      return { invalid, systemErrors }
    }
    const sealStart = performance.now()
    try {
      await state.commit() // flushes the block's writes into the tries: a storage read can fail here too
      const models = (await this.opts.models?.takeRegistered(state)) ?? []
      const stateRoot = await state.getStateRoot()
      const header = createBlockHeader(
        {
          parentHash: parent.row.hash,
          coinbase: feeRecipient,
          stateRoot,
          transactionsTrie: orderedTrieRoot(all.map((c) => c.raw)),
          receiptTrie: orderedTrieRoot(receipts),
          logsBloom: bloom.bitvector,
          number,
          gasLimit,
          gasUsed,
          timestamp,
          baseFeePerGas: baseFee,
        },
        { common },
      )
      const hash = header.hash()
      const row: BlockRow = { number: Number(number), hash, header: header.serialize(), size: blockSize(header, all), txCount: all.length }
      const events = indexProtocolLogs(logs, systemOutcomes)
      this.opts.store.commitBlock({ block: row, txs: txRows, logs, trieNodes: this.opts.trieDB.takePending(), models }, () => {
        for (const writer of this.opts.blockWriters ?? []) writer.writeBlock(events)
      })
      chain.advance(row, header)
      boundCaches(state, this.opts.cacheLimits ?? STATE_CACHE_LIMITS)
      const timings = { executeMs: Math.round(sealStart - executeStart - waitMs), waitMs: Math.round(waitMs), sealMs: Math.round(performance.now() - sealStart) }
      return { sealed: { row, header, included, system, txRows, logs, timings }, invalid, systemErrors }
    } catch (err) {
      // nothing reached disk: forget the block's nodes and put the state back at the parent
      this.opts.trieDB.discardPending()
      await this.abandon()
      if (this.broken === undefined) await state.setStateRoot(parent.header.stateRoot, true).catch((resetErr: Error) => (this.broken = resetErr))
      throw err
    }
  }

  /**
   * After runTx threw: close every checkpoint the failed transaction left open (a throw deep in
   * the EVM skips the reverts of the frames it unwinds; @ethereumjs's runTx reverts only its own),
   * back to the block's checkpoint, and clear the EVM's per-transaction journal and transient
   * storage. Committing the block over such leftover checkpoints is what once wiped the state.
   */
  private async restoreAfterFault(blockDepth: number): Promise<void> {
    const { state } = this.opts
    try {
      while (checkpointDepth(state) > blockDepth) await state.revert()
      this.vm.evm.journal.cleanJournal()
      ;(this.vm.evm as unknown as { transientStorage: { clear(): void } }).transientStorage.clear()
      state.originalStorageCache.clear()
    } catch (err) {
      this.broken = err as Error
      throw new BuilderBrokenError(`the state could not be restored after a failed transaction: ${(err as Error).message}`)
    }
  }

  /** Drops the block being built: every open checkpoint, and the models it admitted. A failed revert marks the builder broken. */
  private async abandon(): Promise<void> {
    this.opts.models?.discardPending()
    const { state } = this.opts
    try {
      while (checkpointDepth(state) > 0) await state.revert()
    } catch (err) {
      this.broken = err as Error
    }
  }
}

interface CacheSizes {
  _caches?: {
    account?: { size(): number }
    storage?: { _orderedMapCache?: { forEach(fn: (entry: [string, Map<string, Uint8Array>]) => void): void } }
  }
}

/** Empties the state's caches when they pass the limits (only between blocks: they hold no unflushed write then). */
export function boundCaches(state: MerkleStateManager, limits: StateCacheLimits): boolean {
  const caches = (state as unknown as CacheSizes)._caches
  let slots = 0
  caches?.storage?._orderedMapCache?.forEach(([, slotsOf]) => (slots += slotsOf.size))
  if ((caches?.account?.size() ?? 0) <= limits.accounts && slots <= limits.slots) return false
  state.clearCaches()
  // and its open storage tries, one per contract written since: reopened at the account's storage root when needed
  ;(state as unknown as { _storageTries: Record<string, unknown> })._storageTries = {}
  return true
}

/** How many checkpoints the state manager has open (@ethereumjs keeps the count protected). */
function checkpointDepth(state: MerkleStateManager): number {
  return (state as unknown as { _checkpointCount: number })._checkpointCount
}

/** Yields the system transactions, then the pool's candidates. */
function withSystemFirst<T extends BlockTx>(system: BlockTx[], candidates: CandidateSource<T>): () => BlockTx | undefined {
  let i = 0
  return () => (i < system.length ? system[i++] : candidates.next())
}

export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if ('maxFeePerGas' in tx) {
    const tip = tx.maxFeePerGas - baseFee < tx.maxPriorityFeePerGas ? tx.maxFeePerGas - baseFee : tx.maxPriorityFeePerGas
    return baseFee + tip
  }
  return tx.gasPrice
}

/**
 * Size of the block's RLP encoding [header, transactions, uncles, withdrawals], as eth_getBlock
 * reports it, counted rather than encoded: a typed transaction is embedded as a byte string of
 * its raw encoding, a legacy one as the list its raw encoding already is.
 */
export function blockSize(header: BlockHeader, txs: Pick<BlockTx, 'tx' | 'raw'>[]): number {
  let transactions = 0
  for (const t of txs) transactions += t.tx.type === 0 ? t.raw.length : encodedBytesLength(t.raw)
  const emptyList = 1
  return encodedListLength(RLP.encode(header.raw()).length + encodedListLength(transactions) + emptyList + emptyList)
}

const STATUS_FAILED = new Uint8Array(0)
const STATUS_OK = Uint8Array.of(1)

/**
 * A receipt's consensus encoding (EIP-2718: the type byte, then the RLP of [status, cumulative
 * gas, bloom, logs]; a legacy receipt without the byte), as @ethereumjs/vm's `encodeReceipt`
 * writes it, through chain/rlp.ts (test/sequencer/unit/rlp.test.ts compares the two).
 */
export function encodeReceipt(receipt: TxReceipt, txType: number): Uint8Array {
  const status = (receipt as { stateRoot?: Uint8Array }).stateRoot ?? ((receipt as { status: number }).status === 0 ? STATUS_FAILED : STATUS_OK)
  const logs = receipt.logs.map(([address, topics, data]) => encodeList([encodeBytes(address), encodeList(topics.map(encodeBytes)), encodeBytes(data)]))
  const body = encodeList([encodeBytes(status), encodeBytes(bigIntToBytes(receipt.cumulativeBlockGasUsed)), encodeBytes(receipt.bitvector), encodeList(logs)])
  if (txType === 0) return body
  const typed = new Uint8Array(1 + body.length)
  typed[0] = txType
  typed.set(body, 1)
  return typed
}
