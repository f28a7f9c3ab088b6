/**
 * The deposit watcher: reads L1Bridge's DepositInitiated events from L1 once `confirmations` L1
 * blocks sit on top of them, stores them in sqlite together with the L1 cursor, and offers them to
 * the block builder, strictly in deposit-nonce order, as system calls
 * `L2Bridge.finalizeDeposit(nonce, l1Token, from, to, amount, tokenMetadata)` (carrying `amount`
 * wei for ETH, which the builder mints for the system sender). A deposit leaves the pending set
 * in the sqlite transaction of the block that deals with it (sequencer/system/log-index.ts derives
 * that from the block's DepositFinalized log or its reverted system transaction), so a crash at
 * any point neither drops nor repeats a deposit; L2Bridge also refuses a nonce it has processed.
 * The calls travel in the batch data like every transaction, so a node rebuilding the chain from
 * L1 replays them without watching L1 itself.
 *
 * L1 failures are sorted as everywhere (docs/ARCHITECTURE.md rule 5):
 * - temporary (L1 down, slow, a block that changed while it was being read) → retry with backoff;
 * - reset: none needed. The watcher never reads above `latest - confirmations`, so a reorg within
 *   the confirmation depth only ever touches blocks it has not read yet;
 * - critical → stop loudly (the node keeps serving; deposits stop): a reorg deeper than the
 *   confirmation depth (the cursor's block changed or vanished, which is also what an L1 reset
 *   looks like), a nonce gap or conflict, no contract at the L1Bridge address, a data directory
 *   that was bridged to another L1Bridge. Deposits the L2 already paid out may no longer exist on
 *   L1 then, which no automatic action can repair: an operator must look.
 *
 * A deposit whose finalizeDeposit reverts (the contract pays even a recipient that refuses ETH,
 * so this means a gas limit below what the call needs, or a bug) is NOT retried and does NOT hold
 * up later deposits: as in OP Stack, a failed deposit still consumes its slot. Retrying it every
 * block would fail the same way forever, and making later nonces wait would stop every deposit
 * of every user behind one bad one. It is marked failed (durably, derived from the block, so a
 * rebuilt node marks it too), logged as an error and listed by bridge_getStatus. Its funds stay
 * locked in L1Bridge, and L2Bridge has not marked its nonce processed (the revert undid that), so
 * it could still be paid exactly once by a later replay with more gas; no tool for that exists yet.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { BaseError, ContractFunctionZeroDataError, createPublicClient, InvalidParamsRpcError, encodeFunctionData, getAddress, http, type Hex, type PublicClient } from 'viem'
import type { SystemCall, SystemSource } from '../sequencer/system/system-tx.ts'
import type { DepositOutcome } from '../sequencer/system/log-index.ts'
import { L2_BRIDGE } from '../precompiles/index.ts'
import { l1BridgeAbi, l2BridgeAbi } from './abi.ts'
import { L1Failure, L1Loop, type FailureKind, type L1Health, type Logger } from '../batcher/index.ts'

/** Gas of a token deposit's finalizeDeposit: the token's first deposit deploys its L2StandardToken (measured 0.9–1.1M). */
export const TOKEN_DEPOSIT_GAS = 1_500_000n
/** Gas of an ETH deposit's finalizeDeposit: the recipient gets at most 100k of it; measured 211k for one that burns all it gets. */
export const ETH_DEPOSIT_GAS = 250_000n

const ZERO_ADDRESS = new Uint8Array(20)
/** Blocks of state a non-archive L1 node keeps (geth: 128). */
const RECENT_STATE_BLOCKS = 128
const depositInitiated = l1BridgeAbi.find((x) => x.type === 'event' && x.name === 'DepositInitiated') as Extract<(typeof l1BridgeAbi)[number], { type: 'event'; name: 'DepositInitiated' }>

/** One L1Bridge DepositInitiated event, as the watcher stores it. */
export interface Deposit {
  nonce: number
  /** The L1 token, or 20 zero bytes for ETH. */
  l1Token: Uint8Array
  /** The L1 depositor. */
  from: Uint8Array
  /** The L2 recipient. */
  to: Uint8Array
  /** Wei or token base units. */
  amount: bigint
  /** abi.encode(name, symbol, decimals) for a token; empty for ETH. */
  metadata: Uint8Array
  l1BlockNumber: number
  l1BlockHash: Uint8Array
  l1TxHash: Uint8Array
  l1LogIndex: number
}

/** What a sealed L2 block did with a deposit: derived from the block's events by the protocol's log index. */
export type { DepositOutcome }

/** The last L1 block the watcher has read, with its hash (to notice a deeper L1 reorg). */
export interface L1Cursor {
  number: number
  hash: Uint8Array
}

/** What the watcher needs from the store (declared here; bridge/store.ts implements it). */
export interface DepositStore {
  depositCursor(): L1Cursor | undefined
  /** The L1Bridge address the stored deposits come from. */
  depositSource(): string | undefined
  /** Stores the deposits and moves the cursor, atomically. */
  saveDeposits(rows: Deposit[], cursor: L1Cursor, l1Bridge: string): void
  deposit(nonce: number): Deposit | undefined
  lastDeposit(): Deposit | undefined
  depositsAfter(nonce: number, limit: number): Deposit[]
  depositCountAfter(nonce: number): number
  depositResult(nonce: number): DepositOutcome | undefined
  lastDepositResult(): DepositOutcome | undefined
  failedDeposits(): number[]
  getTxByPosition(blockNumber: number, index: number): { hash: Uint8Array } | undefined
}

export interface DepositWatcherConfig {
  l1RpcUrl: string
  l1Bridge: `0x${string}`
  /** Chain id the deployments file gives for the L1: another chain at the URL stops the watcher. */
  l1ChainId?: number
  /** First L1 block that can hold a deposit (the deployment's block), where a new node starts reading. */
  startBlock: number
  /** L1 blocks mined on top of a deposit's block before the node reads it (0: the latest block counts). */
  confirmations: number
  /** How often the watcher polls L1, in milliseconds. */
  pollIntervalMs: number
  /** Most L1 blocks per eth_getLogs request. */
  maxLogRange: number
  /** Most deposits included per L2 block. */
  maxPerBlock: number
  /** After this long without a successful L1 call (ms) the watcher warns, then once a minute (batcher/l1-loop.ts). */
  unreachableWarnAfterMs: number
}


/** A failure the watcher classifies itself (the L1 loop's). */
export class DepositWatcherError extends L1Failure {
  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(kind, message, options)
  }
}

export type DepositState = 'pending' | 'included' | 'failed'

/** The answer of bridge_getDepositStatus. */
export interface DepositStatus {
  nonce: number
  /** pending: read from L1, waiting for an L2 block; included: paid out on L2; failed: its system transaction reverted. */
  status: DepositState
  /** Absent on a node that only rebuilt the chain (it never read L1's events). */
  l1?: { txHash: string; blockNumber: number; logIndex: number }
  l1Token?: string
  from?: string
  to?: string
  /** Wei or token base units, as a decimal string. */
  amount?: string
  l2: { blockNumber: number; txHash: string; l2Token: string | null } | null
}

export interface DepositWatcherStatus extends L1Health {
  running: boolean
  l1Bridge: string
  confirmations: number
  /** The last L1 block read. */
  l1Cursor: { number: number; hash: string } | null
  /** The L1 head as of the last poll. */
  l1Head: number | null
  /** The highest deposit nonce read from L1. */
  lastSeenNonce: number | null
  /** The highest deposit nonce an L2 block dealt with (included or failed). */
  lastIncludedNonce: number | null
  /** Deposits read from L1 and waiting for an L2 block. */
  pendingDeposits: number
  /** Nonces of the deposits whose system transaction reverted (see the module comment). */
  failedDeposits: number[]
  lastError: { message: string; at: number } | null
  /** Why the watcher stopped for good (critical failure), or null. */
  stopped: string | null
}

export class DepositWatcher implements SystemSource {
  private readonly l1: PublicClient
  private readonly loop: L1Loop
  private checked = false
  private stopped: string | null = null
  private l1Head: number | null = null
  /** Deposits waiting for a block, as of the last look. */
  private pending: number
  private failedSeen: number

  constructor(
    private readonly config: DepositWatcherConfig,
    private readonly store: DepositStore,
    private readonly log: Logger,
    /** Called when new deposits were stored (the node pokes its driver). */
    private readonly onDeposits: () => void = () => undefined,
  ) {
    // cacheTime 0: viem otherwise serves eth_blockNumber from a 4 s cache, which would delay every deposit by up to that
    this.l1 = createPublicClient({ transport: http(config.l1RpcUrl, { retryCount: 0, timeout: 15_000 }), cacheTime: 0 })
    this.pending = store.depositCountAfter(this.lastDealtWith())
    this.failedSeen = store.failedDeposits().length
    this.loop = new L1Loop({
      name: 'bridge',
      pollIntervalMs: config.pollIntervalMs,
      log,
      step: () => this.step(),
      onCritical: (message) => this.halt(message),
      unreachableWarnAfterMs: config.unreachableWarnAfterMs,
      whileDown: 'no deposit is read from L1',
    })
  }

  readonly name = 'deposits'

  start(): void {
    if (this.loop.isRunning || this.stopped !== null) return
    this.loop.start()
    if (this.hasPending()) this.onDeposits() // read before a crash or stop, not yet in a block
  }

  stop(): Promise<void> {
    return this.loop.stop()
  }

  /** The node's service health (sequencer/service.ts): running, and why it stopped, its last error or what waits. */
  health(): { name: string; ok: boolean; detail: string } {
    const down = this.loop.downDetail()
    if (down !== null) return { name: this.name, ok: false, detail: down }
    return { name: this.name, ok: this.loop.isRunning, detail: this.stopped ?? this.loop.lastError?.message ?? `${this.pending} deposits waiting for a block` }
  }

  /** Runs one poll now (tests); errors are thrown, not retried. */
  async stepOnce(): Promise<void> {
    await this.step()
  }

  // ---- SystemSource ----

  hasPending(): boolean {
    return this.pending > 0 && this.stopped === null
  }

  nextCalls(gasBudget: bigint): SystemCall[] {
    if (!this.hasPending()) return []
    const next = this.lastDealtWith() + 1
    const calls: SystemCall[] = []
    for (const d of this.store.depositsAfter(next - 1, this.config.maxPerBlock)) {
      if (d.nonce !== next + calls.length) {
        // deposits are stored contiguously, so this is a bug or a damaged store: never skip a nonce
        if (calls.length === 0) this.halt(`deposit ${next} is the next to include, but the store's next deposit is ${d.nonce}; deposits stopped`)
        break
      }
      const eth = isZero(d.l1Token)
      const gasLimit = eth ? ETH_DEPOSIT_GAS : TOKEN_DEPOSIT_GAS
      if (gasLimit > gasBudget) break
      gasBudget -= gasLimit
      calls.push({ to: L2_BRIDGE, data: encodeFinalizeDeposit(d), value: eth ? d.amount : 0n, gasLimit })
    }
    return calls
  }

  /** Called after each sealed block (number `block`): the block may have dealt with deposits. */
  refresh(block?: number): void {
    const before = this.pending
    this.pending = this.store.depositCountAfter(this.lastDealtWith())
    if (this.pending < before) {
      const n = before - this.pending
      this.log.info(`bridge: ${n} ${n === 1 ? 'deposit' : 'deposits'} dealt with in block ${block}; ${this.pending} pending`, { event: 'deposits_included', block, deposits: n, pending: this.pending })
    }
    const failed = this.store.failedDeposits()
    if (failed.length > this.failedSeen) {
      const fresh = failed.slice(this.failedSeen)
      this.log.error(
        `bridge: deposit${fresh.length > 1 ? 's' : ''} ${fresh.join(', ')} failed on L2 (L2Bridge.finalizeDeposit reverted); ` +
          'the slot is consumed, later deposits go on, the funds stay locked in L1Bridge (see bridge_getStatus)',
        { event: 'deposits_failed', nonces: fresh, failed: failed.length },
      )
    }
    this.failedSeen = failed.length
  }

  // ---- status ----

  depositStatus(nonce: number): DepositStatus | null {
    const d = this.store.deposit(nonce)
    return describeDeposit(this.store, nonce, d)
  }

  status(): DepositWatcherStatus {
    const cursor = this.store.depositCursor()
    const lastSeen = this.store.lastDeposit()
    const lastResult = this.store.lastDepositResult()
    return {
      running: this.loop.isRunning,
      ...this.loop.l1Health(),
      l1Bridge: this.config.l1Bridge,
      confirmations: this.config.confirmations,
      l1Cursor: cursor === undefined ? null : { number: cursor.number, hash: bytesToHex(cursor.hash) },
      l1Head: this.l1Head,
      lastSeenNonce: lastSeen?.nonce ?? null,
      lastIncludedNonce: lastResult?.nonce ?? null,
      pendingDeposits: this.store.depositCountAfter(lastResult?.nonce ?? -1),
      failedDeposits: this.store.failedDeposits(),
      lastError: this.loop.lastError,
      stopped: this.stopped,
    }
  }

  // ---- the L1 loop ----

  private lastDealtWith(): number {
    return this.store.lastDepositResult()?.nonce ?? -1
  }

  private halt(message: string): void {
    this.stopped = message
    this.loop.noteError(message)
    void this.loop.stop()
    this.log.error(`bridge: deposit watcher stopped: ${message}`, { event: 'service_stopped', service: 'deposits', reason: message })
  }

  private async step(): Promise<void> {
    if (!this.checked) await this.checkL1()
    const head = Number(await this.l1.getBlockNumber())
    this.l1Head = head
    let cursor: { number: number; hash?: Uint8Array } = this.store.depositCursor() ?? { number: this.config.startBlock - 1 }
    if (cursor.hash !== undefined) await this.checkCursor(cursor as L1Cursor, head)
    const target = head - this.config.confirmations
    while (this.loop.isRunning && cursor.number < target) {
      cursor = await this.scan(cursor, Math.min(target, cursor.number + this.config.maxLogRange))
    }
  }

  /** Once per start: a contract at the address, the one this data directory was bridged to. */
  private async checkL1(): Promise<void> {
    const { l1Bridge, l1RpcUrl } = this.config
    const source = this.store.depositSource()
    if (source !== undefined && source.toLowerCase() !== l1Bridge.toLowerCase()) {
      throw new DepositWatcherError('critical', `this data directory holds deposits from L1Bridge ${source}, but the deployments file names ${l1Bridge}: a new L1 deployment needs a new L2 data directory`)
    }
    const [chainId, code] = await Promise.all([this.l1.getChainId(), this.l1.getCode({ address: l1Bridge })])
    if (this.config.l1ChainId !== undefined && chainId !== this.config.l1ChainId) {
      throw new DepositWatcherError('critical', `the L1 at ${l1RpcUrl} is chain ${chainId}, but the deployments file is for chain ${this.config.l1ChainId}`)
    }
    if (code === undefined || code === '0x') {
      throw new DepositWatcherError('critical', `no contract at L1Bridge address ${l1Bridge} on L1 chain ${chainId} (${l1RpcUrl}): deploy it (npm run deploy:l1) and point the deployments file at it`)
    }
    this.checked = true
    this.log.info(`bridge: watching L1Bridge ${l1Bridge} on L1 chain ${chainId} for deposits (${this.config.confirmations} L1 ${this.config.confirmations === 1 ? 'confirmation' : 'confirmations'})`)
  }

  /** The last block read must still be on L1: if not, L1 reorged deeper than the confirmations. */
  private async checkCursor(cursor: L1Cursor, head: number): Promise<void> {
    const read = bytesToHex(cursor.hash)
    if (head < cursor.number) {
      // a lagging or restarting L1 endpoint looks the same at first: wait; a real deep reorg shows
      // as a changed hash once the head is past the cursor again
      throw new DepositWatcherError('temporary', `the L1 head (${head}) is below L1 block ${cursor.number}, from which deposits were already read (${read}): the L1 endpoint lags, or L1 reorged deeper than the ${this.config.confirmations} confirmations`)
    }
    const block = await this.l1.getBlock({ blockNumber: BigInt(cursor.number) })
    if (block.hash !== read) {
      throw new DepositWatcherError('critical', `L1 block ${cursor.number} is now ${block.hash}, but deposits were read from ${read}: an L1 reorg deeper than the ${this.config.confirmations} confirmations, or an L1 reset; deposits included on L2 may no longer exist on L1`)
    }
  }

  /** Reads the deposits in L1 blocks cursor+1..to and stores them with the new cursor. */
  private async scan(cursor: { number: number; hash?: Uint8Array }, to: number): Promise<L1Cursor> {
    const from = cursor.number + 1
    const end = await this.l1.getBlock({ blockNumber: BigInt(to) })
    const first = from === to ? end : await this.l1.getBlock({ blockNumber: BigInt(from) })
    if (cursor.hash !== undefined && first.parentHash !== bytesToHex(cursor.hash)) {
      throw new DepositWatcherError('critical', `L1 block ${from}'s parent is ${first.parentHash}, but deposits were read from L1 block ${cursor.number} = ${bytesToHex(cursor.hash)}: an L1 reorg deeper than the ${this.config.confirmations} confirmations`)
    }
    const logs = await this.l1.getLogs({ address: this.config.l1Bridge, event: depositInitiated, fromBlock: BigInt(from), toBlock: BigInt(to), strict: true })
    // every log must come from the chain that ends at `end` (a reorg while reading: read again)
    const canonical = new Map<bigint, Hex>([[end.number, end.hash]])
    for (const log of logs) {
      let hash = canonical.get(log.blockNumber)
      if (hash === undefined) {
        hash = (await this.l1.getBlock({ blockNumber: log.blockNumber })).hash
        canonical.set(log.blockNumber, hash)
      }
      if (log.blockHash !== hash) throw new DepositWatcherError('temporary', `L1 block ${log.blockNumber} changed while deposits were being read`)
    }
    const after = await this.l1.getBlock({ blockNumber: BigInt(to) })
    if (after.hash !== end.hash) throw new DepositWatcherError('temporary', `L1 block ${to} changed while deposits were being read`)

    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : Number(a.blockNumber - b.blockNumber)))
    let expected = (this.store.lastDeposit()?.nonce ?? -1) + 1
    const rows: Deposit[] = []
    for (const log of logs) {
      const { nonce: rawNonce, l1Token, from: sender, to: recipient, amount, tokenMetadata } = log.args
      const nonce = Number(rawNonce)
      const row: Deposit = {
        nonce,
        l1Token: hexToBytes(l1Token),
        from: hexToBytes(sender),
        to: hexToBytes(recipient),
        amount,
        metadata: hexToBytes(tokenMetadata),
        l1BlockNumber: Number(log.blockNumber),
        l1BlockHash: hexToBytes(log.blockHash),
        l1TxHash: hexToBytes(log.transactionHash),
        l1LogIndex: log.logIndex,
      }
      if (rawNonce < BigInt(expected)) {
        const stored = this.store.deposit(nonce)
        if (stored !== undefined && Buffer.compare(stored.l1TxHash, row.l1TxHash) === 0 && stored.l1LogIndex === row.l1LogIndex) continue
        throw new DepositWatcherError('critical', `L1Bridge deposit ${nonce} is now in L1 tx ${log.transactionHash}, but the node stored it from ${stored === undefined ? 'nowhere' : bytesToHex(stored.l1TxHash)}: an L1 reorg deeper than the confirmations`)
      }
      if (rawNonce > BigInt(expected)) {
        throw new DepositWatcherError('critical', `L1Bridge emitted deposit ${rawNonce} in L1 block ${log.blockNumber}, but the next one expected is ${expected}: deposits ${expected}..${rawNonce - 1n} were never seen (a deployedAtBlock after the L1Bridge deployment, or an L1 node with incomplete logs?)`)
      }
      rows.push(row)
      expected++
    }
    // a logs answer can be incomplete (a load-balanced endpoint behind the others) without any
    // hash giving it away: the contract's own counter at `to` says how many deposits there are
    // (asked only for recent blocks, whose state every L1 node keeps, not only archive nodes)
    const recent = this.l1Head === null || this.l1Head - to < RECENT_STATE_BLOCKS
    const counted = recent
      ? await this.l1.readContract({ address: this.config.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce', blockNumber: BigInt(to) }).catch((err: unknown) => {
          // no code yet at `to` (the deployments file's start block can precede L1Bridge's): no deposits
          if ((err as BaseError).walk?.((e) => e instanceof ContractFunctionZeroDataError) != null) return 0n
          // the node has no state at `to` (an L1 node restarted from a state snapshot, or one that
          // pruned it): the counter is a cross-check of the logs, not their source, so skip it
          if (stateUnavailable(err)) return BigInt(expected)
          throw err
        })
      : BigInt(expected)
    if (counted !== BigInt(expected)) {
      throw new DepositWatcherError('temporary', `L1Bridge counts ${counted} deposits up to L1 block ${to}, but the logs read give ${expected}: an incomplete eth_getLogs answer; reading again`)
    }
    const next: L1Cursor = { number: to, hash: hexToBytes(end.hash) }
    this.store.saveDeposits(rows, next, getAddress(this.config.l1Bridge))
    if (rows.length > 0) {
      this.pending = this.store.depositCountAfter(this.lastDealtWith())
      this.log.info(`bridge: deposit${rows.length > 1 ? 's' : ''} ${rows[0].nonce}${rows.length > 1 ? `-${rows[rows.length - 1].nonce}` : ''} read from L1 blocks ${from}-${to}`, {
        event: 'deposits_read',
        firstNonce: rows[0].nonce,
        lastNonce: rows[rows.length - 1].nonce,
        deposits: rows.length,
        fromL1Block: from,
        toL1Block: to,
        pending: this.pending,
      })
      this.onDeposits()
    }
    return next
  }
}

/** A deposit's status from what the store holds; null when it knows nothing of `nonce`. */
export function describeDeposit(store: Pick<DepositStore, 'depositResult' | 'getTxByPosition'>, nonce: number, d: Deposit | undefined): DepositStatus | null {
  const result = store.depositResult(nonce)
  if (d === undefined && result === undefined) return null
  const l2 =
    result === undefined
      ? null
      : {
          blockNumber: result.blockNumber,
          txHash: bytesToHex(store.getTxByPosition(result.blockNumber, result.txIndex)?.hash ?? new Uint8Array(32)),
          l2Token: result.l2Token === null ? null : getAddress(bytesToHex(result.l2Token)),
        }
  return {
    nonce,
    status: result === undefined ? 'pending' : result.included ? 'included' : 'failed',
    ...(d !== undefined && {
      l1: { txHash: bytesToHex(d.l1TxHash), blockNumber: d.l1BlockNumber, logIndex: d.l1LogIndex },
      l1Token: getAddress(bytesToHex(d.l1Token)),
      from: getAddress(bytesToHex(d.from)),
      to: getAddress(bytesToHex(d.to)),
      amount: d.amount.toString(),
    }),
    l2,
  }
}

/** Calldata of L2Bridge.finalizeDeposit for `d`. */
export function encodeFinalizeDeposit(d: Deposit): Uint8Array {
  return hexToBytes(
    encodeFunctionData({
      abi: l2BridgeAbi,
      functionName: 'finalizeDeposit',
      args: [BigInt(d.nonce), bytesToHex(d.l1Token), bytesToHex(d.from), bytesToHex(d.to), d.amount, bytesToHex(d.metadata)],
    }),
  )
}

function isZero(address: Uint8Array): boolean {
  return Buffer.compare(address, ZERO_ADDRESS) === 0
}

/** An L1 answer saying the node lacks the state of the block asked about (JSON-RPC invalid params, or geth's wording). */
function stateUnavailable(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false
  if (err.walk((e) => e instanceof InvalidParamsRpcError) !== null) return true
  return /missing trie node|header not found|state (is )?not available|historical state/i.test(`${err.shortMessage} ${err.details ?? ''}`)
}
