/**
 * The resource node (docs/OFFCHAIN_INFERENCE.md "Worker process"): a service that stakes on the
 * InferenceCoordinator, serves the off-chain models it can run, and answers the requests the
 * coordinator assigns to it.
 *
 *   set-up      stake (if asked and below it), bind the data directory to the key, cursor
 *   models      (background) ModelRegistry's off-chain models or --models → known formats? →
 *               bytes from the cache or the URI, keccak256 == id or refused → serve(id, price)
 *   follow      WebSocket logs of the coordinator (fast path) + eth_getLogs from the persisted
 *               cursor in bounded ranges (the guarantee) → a row per request assigned to this node
 *   per request assigned → run (inference thread, bounded queue) → output + salt + commitment
 *               kept in sqlite → commit → (phase closed) reveal → settled? else finalize → done
 *   claim       withdraw() when the balance reaches a threshold
 *
 * One loop (`step`) reads the chain and launches each request's next action as its own task
 * (at most one per request), so a slow model run or a receipt being waited for holds up nothing
 * else. Each action re-reads what it acts on from the chain, so a restart, a lost receipt or an
 * L2 outage only delays it; what the chain cannot say (the salt, the output, the hashes of the
 * transactions sent) is in worker/store.ts, written before the transaction that needs it.
 *
 * Time: the coordinator judges phases by block.timestamp. A sequencer seals blocks only when there
 * are transactions, stamped max(wall clock, parent + 1 s), and eth_estimateGas runs on the latest
 * block, whose time can be well behind. So phases are judged here by the earliest time the next
 * block can have (`chainNow`: the clock, or the latest block's time + 1 s if that is later, plus
 * `clockMarginMs`), and a reveal or finalize the estimate refuses for a phase reason
 * (CommitPhaseOpen, FinalizeTooEarly) is sent anyway once that time says the phase is over.
 */
import { createPublicClient, encodeFunctionData, http, parseEventLogs, toFunctionSelector, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { defineAiRollupChain } from '@ai-rollup/sdk'
import { supportsFormats } from './formats/index.ts'
import { coordinatorAbi, FAILURE_REASONS, KIND_OFFCHAIN, Phase, registryAbi, SLASH_REASONS } from './abi.ts'
import { inferenceCommitment, newSalt } from './commitment.ts'
import { InferenceRunner, RunFailedError, RunnerBusyError, RunTimeoutError, type RunResult } from './inference.ts'
import { ModelCache, ModelRefused, type OffchainModel } from './models.ts'
import { TxSender } from './sender.ts'
import { WorkerStore, type NewAssignment, type SettlementEvent, type StoredRequest } from './store.ts'
import { LogSubscription, type RpcLog } from './subscription.ts'

/** A leveled logger (sequencer/log.ts's createLogger makes one); `fields` go beside the message in a JSON line. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  debug(message: string, fields?: Record<string, unknown>): void
}

export interface WorkerConfig {
  /** The node's L2 key: it stakes, serves, commits, reveals and is paid. */
  privateKey: Hex
  l2RpcUrl: string
  /** ws:// URL of the L2 node (default: the RPC URL with ws://). */
  l2WsUrl?: string
  coordinator: Address
  registry: Address
  /** Serve only these models (default: every off-chain model in the registry it can run). */
  models?: Hex[]
  /** Stake up to this, in wei, if the node's stake is below it. */
  stakeWei?: bigint
  /** Price asked per request, in wei (serve). */
  priceWei: bigint
  dataDir: string
  modelCacheDir: string
  /** How often the chain is read without a WebSocket nudge, in milliseconds. */
  pollIntervalMs: number
  /** Widest eth_getLogs block range of the catch-up. */
  logsBlockRange: number
  /** How often the registry is read for new off-chain models, in milliseconds. */
  modelRefreshMs: number
  /** A model download must finish within this, in milliseconds. */
  fetchTimeoutMs: number
  /** Model runs waiting for the inference thread, at most. */
  maxQueuedRuns: number
  /** Largest request input it runs, in bytes (the coordinator's MAX_INPUT_BYTES is 8 KiB). */
  maxInputBytes: number
  /** withdraw() once the balance owed is at least this, in wei. */
  withdrawThresholdWei: bigint
  /** How often the balance is looked at, in milliseconds. */
  withdrawIntervalMs: number
  /** How long one of its transactions may take to be mined, in milliseconds. */
  txTimeoutMs: number
  /** Margin on the wall clock before a phase counts as over, in milliseconds. */
  clockMarginMs: number
}

export const WORKER_DEFAULTS = {
  pollIntervalMs: 2_000,
  logsBlockRange: 2_000,
  modelRefreshMs: 60_000,
  fetchTimeoutMs: 300_000,
  maxQueuedRuns: 32,
  maxInputBytes: 8_192,
  withdrawThresholdWei: 10n ** 16n,
  withdrawIntervalMs: 60_000,
  txTimeoutMs: 60_000,
  clockMarginMs: 1_000,
} as const

type ModelSlot =
  | { state: 'loading'; model: OffchainModel }
  | { state: 'ready'; model: OffchainModel; bytes: Uint8Array; serving: boolean }
  | { state: 'refused'; model: OffchainModel; reason: string; retryAt: number }
  | { state: 'unsupported'; model: OffchainModel; reason: string }

export interface WorkerStatus {
  running: boolean
  address: Address
  stakeWei: string | null
  models: { modelId: Hex; name: string; state: string; serving: boolean; reason?: string }[]
  requests: Record<string, number>
  cursor: number | null
  subscribed: boolean
  runs: number
  queuedRuns: number
  lastError: { message: string; at: number } | null
}

/** getAssignment's answer. */
interface Assignment {
  requester: Address
  nodes: readonly Address[]
  commitDeadline: bigint
  revealDeadline: bigint
  finalizableAt: bigint
  price: bigint
  callbackGasLimit: number
  committed: readonly boolean[]
  revealed: readonly boolean[]
  outputHashes: readonly Hex[]
  phase: number
}

/** Gas of a settling reveal or finalize sent without an estimate: the callback's (63/64 rule) and the settlement's. */
function settleGas(callbackGasLimit: number): bigint {
  return (BigInt(callbackGasLimit) * 64n) / 63n + 1_000_000n
}

export class InferenceWorker {
  readonly name = 'worker'
  readonly address: Address
  private readonly account: PrivateKeyAccount
  private readonly client: PublicClient
  private readonly sender: TxSender
  private readonly store: WorkerStore
  private readonly cache: ModelCache
  private readonly runner: InferenceRunner
  private readonly subscription: LogSubscription
  private readonly models = new Map<string, ModelSlot>()
  /** Requests with an action under way (one at a time each). */
  private readonly inflight = new Map<string, Promise<void>>()
  /** InferenceRequested logs seen over WebSocket, by request id, until their NodesAssigned comes. */
  private readonly recentRequests = new Map<string, { modelId: Hex; input: Hex }>()
  /** Log lines said once (per key). */
  private readonly said = new Set<string>()
  private chainId: number | undefined
  private setUpDone = false
  private running = false
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private stepping: Promise<void> | undefined
  private again = false
  private stakeWei: bigint | null = null
  private eligible: boolean | null = null
  private modelsDueAt = 0
  private preparing: Promise<void> | undefined
  private enumerated = 0
  private withdrawDueAt = 0
  private lastError: { message: string; at: number } | null = null
  private failures = 0
  private lastSuccessAt = Date.now()
  /** Blocks per eth_getLogs call now (`logsBlockRange`, narrowed while an endpoint refuses it). */
  private range: number
  /** The latest block's timestamp, as last read (seconds). */
  private latestTimestamp = 0

  constructor(
    private readonly config: WorkerConfig,
    private readonly log: Logger,
  ) {
    this.account = privateKeyToAccount(config.privateKey)
    this.address = this.account.address
    this.range = config.logsBlockRange
    const chain = defineAiRollupChain(config.l2RpcUrl)
    this.client = createPublicClient({ chain, transport: http(config.l2RpcUrl, { retryCount: 0, timeout: 15_000 }), pollingInterval: 250, cacheTime: 0 }) as PublicClient
    this.sender = new TxSender(this.client, this.account, () => this.chainId!)
    this.store = new WorkerStore(config.dataDir)
    this.store.claim(this.address)
    this.cache = new ModelCache(config.modelCacheDir)
    this.runner = new InferenceRunner({ maxQueued: config.maxQueuedRuns })
    this.subscription = new LogSubscription({
      url: config.l2WsUrl ?? config.l2RpcUrl.replace(/^http(s?):\/\//, 'ws$1://'),
      address: config.coordinator,
      reconnectMs: 500,
      pingMs: 10_000,
      onLog: (l) => this.onLog(l),
      onSubscribed: () => {
        this.log.debug(`${this.tag}: subscribed to the coordinator's logs`)
        this.wake()
      },
      onDown: (why) => this.log.debug(`${this.tag}: ${why}; the getLogs catch-up covers the gap`),
    })
  }

  /** How its log lines name it (several workers may share a log). */
  private get tag(): string {
    return `worker ${this.address.slice(0, 10)}`
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.log.info(`${this.tag}: ${this.address} following ${this.config.l2RpcUrl}, data in ${this.store.path}, models cached in ${this.config.modelCacheDir}`)
    this.subscription.start()
    this.wake()
  }

  /**
   * Stops following the chain and running models. Actions under way get a moment to finish (a
   * receipt being waited for is not waited for long): everything a restart needs is in the store
   * before any transaction leaves, so abandoning them loses nothing.
   */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.running = false
    clearTimeout(this.timer)
    this.subscription.stop()
    await this.runner.close()
    const grace = new Promise((r) => setTimeout(r, 2_000).unref())
    await Promise.race([Promise.allSettled([this.stepping, this.preparing, ...this.inflight.values()]), grace])
    this.store.close()
  }

  health(): { name: string; ok: boolean; detail: string } {
    if (!this.running) return { name: this.name, ok: false, detail: 'stopped' }
    if (this.failures > 0 && Date.now() - this.lastSuccessAt > 30_000) return { name: this.name, ok: false, detail: `L2 unreachable for ${Math.round((Date.now() - this.lastSuccessAt) / 1000)} s: ${this.lastError?.message ?? ''}` }
    const serving = [...this.models.values()].filter((m) => m.state === 'ready' && m.serving).length
    if (this.eligible === false) return { name: this.name, ok: false, detail: `${this.address} is not eligible (stake ${this.stakeWei} wei, below MIN_STAKE, or exiting): it is assigned nothing` }
    const c = this.store.counts()
    return { name: this.name, ok: true, detail: `serving ${serving} models, ${c.assigned + c.computed + c.committed + c.revealed + c.skipped} open requests, ${c.done} done` }
  }

  status(): WorkerStatus {
    return {
      running: this.running,
      address: this.address,
      stakeWei: this.stakeWei?.toString() ?? null,
      models: [...this.models.values()].map((m) => ({
        modelId: m.model.modelId,
        name: m.model.name,
        state: m.state,
        serving: m.state === 'ready' && m.serving,
        ...((m.state === 'refused' || m.state === 'unsupported') && { reason: m.reason }),
      })),
      requests: this.store.counts(),
      cursor: this.store.cursor() ?? null,
      subscribed: this.subscription.subscribed,
      runs: this.runner.runs,
      queuedRuns: this.runner.queued,
      lastError: this.lastError,
    }
  }

  // ---- the loop ----

  /** Runs a step soon (now, unless one is running: then once more after it). */
  private wake(): void {
    if (!this.running) return
    if (this.stepping !== undefined) {
      this.again = true
      return
    }
    clearTimeout(this.timer)
    this.stepping = this.step()
      .then(
        () => {
          if (this.failures > 0) this.log.info(`${this.tag}: L2 ${this.config.l2RpcUrl} answers again`)
          this.failures = 0
          this.lastSuccessAt = Date.now()
        },
        (err: unknown) => {
          this.failures++
          const message = errorLine(err)
          this.lastError = { message, at: Date.now() }
          if (this.failures === 1 || this.failures % 30 === 0) this.log.warn(`${this.tag}: step failed (${this.failures} in a row; retrying): ${message}`)
        },
      )
      .finally(() => {
        this.stepping = undefined
        if (!this.running) return
        // after a failure, back off a little (a WebSocket reconnect wakes it at once anyway): deadlines are seconds away
        const delay = this.again ? 0 : this.failures === 0 ? this.config.pollIntervalMs : Math.min(this.config.pollIntervalMs * 2 ** Math.min(this.failures, 3), 3_000)
        this.again = false
        this.timer = setTimeout(() => this.wake(), delay)
      })
  }

  private async step(): Promise<void> {
    if (!this.setUpDone) await this.setUp()
    if (Date.now() >= this.modelsDueAt && this.preparing === undefined) {
      this.modelsDueAt = Date.now() + this.config.modelRefreshMs
      this.preparing = this.prepareModels()
        .catch((err: unknown) => {
          this.modelsDueAt = Date.now() + Math.min(5_000, this.config.modelRefreshMs)
          this.log.warn(`${this.tag}: reading or serving the models failed (retrying): ${errorLine(err)}`)
        })
        .finally(() => {
          this.preparing = undefined
        })
    }
    await this.scanLogs()
    for (const r of this.store.open()) {
      const key = r.requestId.toString()
      if (this.inflight.has(key)) continue
      const task = this.advance(r)
        .catch((err: unknown) => this.requestError(r, err))
        .finally(() => {
          this.inflight.delete(key)
        })
      this.inflight.set(key, task)
    }
    if (Date.now() >= this.withdrawDueAt) {
      this.withdrawDueAt = Date.now() + this.config.withdrawIntervalMs
      await this.claim().catch((err: unknown) => this.log.warn(`${this.tag}: withdraw failed (retrying in ${this.config.withdrawIntervalMs} ms): ${errorLine(err)}`))
    }
  }

  private async setUp(): Promise<void> {
    this.chainId = await this.client.getChainId()
    const code = await this.client.getCode({ address: this.config.coordinator })
    if (code === undefined || code === '0x') throw new Error(`no InferenceCoordinator at ${this.config.coordinator} on ${this.config.l2RpcUrl}`)
    // the cursor starts before this node could be assigned anything (before it stakes or serves)
    if (this.store.cursor() === undefined) {
      const head = await this.client.getBlockNumber()
      this.store.recordScan([], [], Number(head))
    }
    const minStake = await this.read<bigint>('MIN_STAKE')
    let stake = await this.stakeOf()
    if (this.config.stakeWei !== undefined && stake < this.config.stakeWei) {
      const add = this.config.stakeWei - stake
      const receipt = await this.transact('stake', [], { value: add, label: 'stake' })
      stake = await this.stakeOf()
      this.log.info(`${this.tag}: staked ${add} wei in tx ${receipt.transactionHash}: stake ${stake} wei (MIN_STAKE ${minStake})`)
    } else {
      this.log.info(`${this.tag}: stake ${stake} wei (MIN_STAKE ${minStake})${stake < minStake ? ': not eligible, it is assigned nothing (--stake)' : ''}`)
    }
    this.stakeWei = stake
    this.eligible = (await this.read<{ eligible: boolean }>('getNode', [this.address])).eligible
    this.setUpDone = true
  }

  // ---- models ----

  /** Reads the off-chain models (new ones since the last time), then gets and serves each it can. */
  private async prepareModels(): Promise<void> {
    const ids: Hex[] = []
    if (this.config.models !== undefined) {
      ids.push(...this.config.models.filter((id) => !this.models.has(id.toLowerCase())))
    } else {
      const count = Number(await this.client.readContract({ address: this.config.registry, abi: registryAbi, functionName: 'modelCount' }))
      while (this.enumerated < count) {
        const page = await this.client.readContract({ address: this.config.registry, abi: registryAbi, functionName: 'modelIds', args: [BigInt(this.enumerated), 100n] })
        if (page.length === 0) break
        ids.push(...page.filter((id) => !this.models.has(id.toLowerCase())))
        this.enumerated += page.length
      }
    }
    for (const id of ids) {
      const kind = await this.client.readContract({ address: this.config.registry, abi: registryAbi, functionName: 'modelKind', args: [id] })
      if (kind !== KIND_OFFCHAIN) {
        if (this.config.models !== undefined) this.once(`kind:${id}`, () => this.log.warn(`${this.tag}: --models ${id} is ${kind === 0 ? 'not registered (yet: looked for again later)' : 'an on-chain model (the precompile runs it)'}`))
        continue
      }
      const m = await this.client.readContract({ address: this.config.registry, abi: registryAbi, functionName: 'getOffchainModel', args: [id] })
      const model: OffchainModel = { modelId: id.toLowerCase() as Hex, name: m.name, size: Number(m.size), inputFormat: m.inputFormat, outputFormat: m.outputFormat, uri: m.uri, timeoutSeconds: m.timeoutSeconds }
      if (!supportsFormats(model.inputFormat, model.outputFormat)) {
        const reason = `no runner takes ${model.inputFormat} to ${model.outputFormat} (worker/formats)`
        this.models.set(model.modelId, { state: 'unsupported', model, reason })
        this.log.info(`${this.tag}: not serving model ${model.name} (${model.modelId}): ${reason}`)
        continue
      }
      this.models.set(model.modelId, { state: 'loading', model })
    }
    for (const slot of [...this.models.values()]) {
      if (this.stopped) return
      if (slot.state === 'loading' || (slot.state === 'refused' && Date.now() >= slot.retryAt)) await this.loadModel(slot.model)
      const now = this.models.get(slot.model.modelId)!
      if (now.state !== 'ready') continue
      if (now.serving && !(await this.isServing(now.model.modelId))) {
        // evicted by a cheaper node on a full model, or unserved by hand
        now.serving = false
        this.log.warn(`${this.tag}: model ${now.model.name} (${now.model.modelId}) is no longer served by this node on chain: serving it again`)
      }
      if (!now.serving) await this.serve(now)
    }
  }

  private async loadModel(model: OffchainModel): Promise<void> {
    const started = Date.now()
    try {
      const { bytes, from, note } = await this.cache.load(model, { timeoutMs: this.config.fetchTimeoutMs })
      if (note !== undefined) this.log.warn(`${this.tag}: model ${model.name}: ${note}`)
      this.models.set(model.modelId, { state: 'ready', model, bytes, serving: false })
      this.runner.preload(model.modelId, bytes) // the inference thread starts and holds the bytes before the first request
      this.log.info(`${this.tag}: model ${model.name} (${model.modelId}, ${bytes.length} bytes, ${model.inputFormat} → ${model.outputFormat}) ${from === 'cache' ? 'loaded from the cache' : `fetched from ${model.uri} in ${Date.now() - started} ms`}; keccak256 checked`)
    } catch (err) {
      if (!(err instanceof ModelRefused)) throw err
      // bytes that are not the model will not become it soon; an unreachable URI may
      const retryMs = err.mismatch ? 10 * this.config.modelRefreshMs : this.config.modelRefreshMs
      this.models.set(model.modelId, { state: 'refused', model, reason: err.message, retryAt: Date.now() + retryMs })
      this.log.error(`${this.tag}: refusing model ${model.name} (${model.modelId}), not serving it: ${err.message}`)
    }
  }

  private async serve(slot: Extract<ModelSlot, { state: 'ready' }>): Promise<void> {
    const { model } = slot
    if (this.eligible === false) {
      // serve() would revert (StakeBelowMinimum, NodeExiting): nothing can be assigned to it anyway
      this.once(`ineligible:${model.modelId}:${this.stakeWei}`, () => this.log.warn(`${this.tag}: not serving model ${model.name} (${model.modelId}): this node is not eligible (stake ${this.stakeWei} wei, or exiting)`))
      return
    }
    if (await this.isServing(model.modelId)) {
      slot.serving = true
      this.log.info(`${this.tag}: serving model ${model.name} (${model.modelId}) already`)
      return
    }
    const receipt = await this.transact('serve', [model.modelId, this.config.priceWei], { label: `serve ${model.name}` })
    slot.serving = true
    this.log.info(`${this.tag}: serving model ${model.name} (${model.modelId}) at ${this.config.priceWei} wei per request, tx ${receipt.transactionHash}`)
  }

  // ---- following the coordinator ----

  /**
   * eth_getLogs from the cursor to the head, a bounded range at a time: the assignments of this
   * node, and the settlements, rewards and slashes of its requests, recorded with the cursor in
   * one sqlite transaction per range.
   */
  private async scanLogs(): Promise<void> {
    const latest = await this.client.getBlock({ blockTag: 'latest' })
    const head = Number(latest.number)
    this.latestTimestamp = Number(latest.timestamp)
    let from = (this.store.cursor() ?? head) + 1
    while (from <= head && !this.stopped) {
      const to = Math.min(head, from + this.range - 1)
      let logs: RpcLog[]
      try {
        logs = (await this.client.getLogs({ address: this.config.coordinator, fromBlock: BigInt(from), toBlock: BigInt(to) })) as unknown as RpcLog[]
      } catch (err) {
        // an endpoint that caps a query's range or results: narrower ranges until it answers
        if (this.range > 1 && /more than|too many|range|limit/i.test(errorLine(err))) {
          this.range = Math.max(1, Math.floor(this.range / 4))
          this.log.debug(`${this.tag}: eth_getLogs ${from}-${to} refused (${errorLine(err)}): ${this.range} blocks per call`)
          continue
        }
        throw err
      }
      const { assignments, events } = this.readLogs(logs)
      const added = this.store.recordScan(assignments, events, to)
      for (const a of added) this.announce(a)
      from = to + 1
      this.range = Math.min(this.config.logsBlockRange, this.range * 2)
    }
  }

  /** A log pushed over WebSocket: an assignment of this node is recorded at once (the catch-up finds it too). */
  private onLog(log: RpcLog): void {
    if (log.removed === true) return
    try {
      for (const a of this.readLogs([log]).assignments) if (this.store.insert(a)) this.announce(a)
    } catch (err) {
      this.log.debug(`${this.tag}: a pushed log could not be read: ${errorLine(err)}`)
    }
    this.wake()
  }

  /**
   * What `logs` say about this node: requests assigned to it (InferenceRequested comes before its
   * NodesAssigned, in the same transaction), and the settlement events of any request (the store
   * keeps those of its own).
   */
  private readLogs(logs: RpcLog[]): { assignments: NewAssignment[]; events: SettlementEvent[] } {
    const assignments: NewAssignment[] = []
    const events: SettlementEvent[] = []
    const me = this.address.toLowerCase()
    const parsed = parseEventLogs({ abi: coordinatorAbi, logs: logs.map((l) => ({ ...l, blockNumber: BigInt(l.blockNumber), logIndex: Number(l.logIndex) })) as never, strict: false })
    for (const ev of parsed) {
      const args = ev.args as Record<string, unknown>
      switch (ev.eventName) {
        case 'InferenceRequested': {
          this.recentRequests.set(String(args.requestId), { modelId: args.modelId as Hex, input: args.input as Hex })
          if (this.recentRequests.size > 1000) this.recentRequests.delete(this.recentRequests.keys().next().value!)
          break
        }
        case 'NodesAssigned': {
          const nodes = args.nodes as readonly Address[]
          if (!nodes.some((n) => n.toLowerCase() === me)) break
          const req = this.recentRequests.get(String(args.requestId))
          if (req === undefined) throw new Error(`NodesAssigned for request ${args.requestId} without its InferenceRequested`)
          assignments.push({
            requestId: args.requestId as bigint,
            modelId: req.modelId,
            input: hexToBytes(req.input),
            commitDeadline: Number(args.commitDeadline),
            revealDeadline: Number(args.revealDeadline),
            blockNumber: Number((ev as unknown as { blockNumber: bigint }).blockNumber),
          })
          break
        }
        case 'InferenceFulfilled':
          events.push({ kind: 'fulfilled', requestId: args.requestId as bigint, output: hexToBytes(args.output as Hex) })
          break
        case 'InferenceFailed':
          events.push({ kind: 'failed', requestId: args.requestId as bigint, reason: Number(args.reason) })
          break
        case 'Rewarded':
          if ((args.node as Address).toLowerCase() === me) events.push({ kind: 'rewarded', requestId: args.requestId as bigint, amount: args.amount as bigint })
          break
        case 'Slashed':
          if ((args.node as Address).toLowerCase() === me) events.push({ kind: 'slashed', requestId: args.requestId as bigint, amount: args.amount as bigint, reason: Number(args.reason) })
          break
      }
    }
    return { assignments, events }
  }

  private announce(a: NewAssignment): void {
    const model = this.models.get(a.modelId.toLowerCase())?.model
    this.log.info(`${this.tag}: request ${a.requestId} assigned (model ${model?.name ?? a.modelId}, ${a.input.length} bytes of input, block ${a.blockNumber}): commit by ${isoSeconds(a.commitDeadline)}, reveal by ${isoSeconds(a.revealDeadline)}`)
  }

  // ---- one request ----

  /**
   * Takes request `r` one stage further, as far as the chain lets it now:
   * assigned → run → computed → commit → committed → (phase closed) reveal → revealed → settled
   * (finalize if due and nobody did) → done. `skipped` (will not answer) waits for settlement.
   */
  private async advance(r: StoredRequest): Promise<void> {
    const now = this.chainNow()
    const margin = this.config.clockMarginMs
    if (r.settlement !== null) return this.settle(r)
    if (r.state === 'assigned') {
      if (now >= r.commitDeadline * 1000) return this.skip(r, 'its commit deadline passed before the model ran')
      const ran = await this.run(r)
      if (ran === undefined) return
      r = ran
    }
    // revealed or skipped: nothing to send before the commit deadline (finalize comes later still)
    if ((r.state === 'revealed' || r.state === 'skipped') && now < r.commitDeadline * 1000) return
    const a = await this.assignment(r.requestId)
    const i = a.nodes.findIndex((n) => n.toLowerCase() === this.address.toLowerCase())
    if (i < 0) throw new Error(`the coordinator does not list ${this.address} among the nodes of request ${r.requestId}`)
    if (a.phase === Phase.Settled) return // the catch-up reads how (InferenceFulfilled / InferenceFailed): then settle()

    if (r.state === 'computed') {
      if (!a.committed[i]) {
        if (now >= r.commitDeadline * 1000) return this.skip(r, 'its commit deadline passed before its commit was mined')
        if (r.commitTx !== null && (await this.stillPending(r.commitTx))) return
        const receipt = await this.transact('commit', [r.requestId, r.commitment!], { label: `commit ${r.requestId}`, record: (hash) => this.store.setTx(r.requestId, 'commit', hash) })
        this.log.info(`${this.tag}: request ${r.requestId}: committed ${r.commitment} in tx ${receipt.transactionHash} (block ${receipt.blockNumber})`)
      } else {
        this.log.info(`${this.tag}: request ${r.requestId}: its commit is on chain already${r.commitTx === null ? '' : ` (tx ${r.commitTx})`}`)
      }
      this.store.setState(r.requestId, 'committed')
      this.wake() // the phase may have closed with this commit
      return
    }

    if (r.state === 'committed') {
      if (a.revealed[i]) {
        this.store.setState(r.requestId, 'revealed')
        return
      }
      if (now >= r.revealDeadline * 1000) return this.skip(r, 'its reveal deadline passed before it could reveal')
      const deadlinePassed = now >= r.commitDeadline * 1000 + margin
      if (!deadlinePassed && !a.committed.every(Boolean)) return // the commit phase is open
      if (r.revealTx !== null && (await this.stillPending(r.revealTx))) return
      const receipt = await this.transact('reveal', [r.requestId, bytesToHex(r.output!), r.salt!], {
        label: `reveal ${r.requestId}`,
        record: (hash) => this.store.setTx(r.requestId, 'reveal', hash),
        // any reveal may turn out to be the settling one (another lands first), which runs the
        // callback: it always gets that budget. Before every commit is in, only the clock says the
        // phase closed (the estimate on the latest block may not know it yet)
        minGas: settleGas(a.callbackGasLimit) + BigInt(r.output!.length) * 40n,
        sendDespiteEstimate: deadlinePassed ? ['CommitPhaseOpen'] : [],
      })
      this.store.setState(r.requestId, 'revealed')
      this.log.info(`${this.tag}: request ${r.requestId}: revealed in tx ${receipt.transactionHash} (block ${receipt.blockNumber})${settledIn(receipt)}`)
      return
    }

    // revealed or skipped: settled by the last reveal, or by finalize once due; the assigned nodes
    // take turns 2 s apart (draw order), so that they do not all send it into the same block
    if (a.finalizableAt === 0n || now < Number(a.finalizableAt) * 1000 + margin + i * 2_000) return
    if (r.finalizeTx !== null && (await this.stillPending(r.finalizeTx))) return
    const receipt = await this.transact('finalize', [r.requestId], {
      label: `finalize ${r.requestId}`,
      record: (hash) => this.store.setTx(r.requestId, 'finalize', hash),
      minGas: settleGas(a.callbackGasLimit),
      sendDespiteEstimate: ['FinalizeTooEarly'],
      benign: ['RequestNotPending'], // another node's finalize or reveal was first
    })
    const why = now >= r.revealDeadline * 1000 ? 'its reveal deadline passed' : 'its commit deadline passed with too few commits for a majority'
    this.log.info(`${this.tag}: request ${r.requestId}: finalized in tx ${receipt.transactionHash} (block ${receipt.blockNumber}): ${why}${settledIn(receipt)}`)
  }

  /** The request is settled (the catch-up read it): how it went for this node, logged and kept. */
  private settle(r: StoredRequest): void {
    const s = r.settlement!
    const how = s.status === 'fulfilled' ? `fulfilled with ${preview(s.result ?? new Uint8Array())}` : `failed (${FAILURE_REASONS[s.failureReason ?? 0] ?? `reason ${s.failureReason}`}): the requester is refunded`
    const mine = r.output !== null && s.result !== null && bytesToHex(r.output) === bytesToHex(s.result)
    let outcome: string
    if (s.slashedWei !== null) outcome = `${how}; this node was SLASHED ${s.slashedWei} wei (${SLASH_REASONS[s.slashReason ?? 0] ?? `reason ${s.slashReason}`})`
    else if (s.rewardWei !== null) outcome = `${how}; this node was paid ${s.rewardWei} wei${mine ? ' (its output)' : ''}`
    else outcome = `${how}; this node was neither paid nor slashed`
    this.store.done(r.requestId, outcome)
    const line = `${this.tag}: request ${r.requestId} settled: ${outcome}`
    if (s.slashedWei !== null) this.log.warn(line)
    else this.log.info(line)
  }

  /** Runs the model on the request's input and keeps output, salt and commitment; undefined when it cannot (skipped, or not yet). */
  private async run(r: StoredRequest): Promise<StoredRequest | undefined> {
    const slot = this.models.get(r.modelId.toLowerCase())
    if (slot === undefined || slot.state === 'loading') {
      // a restart: the model is being read or fetched again; wait up to the commit deadline
      this.once(`wait:${r.requestId}`, () => this.log.info(`${this.tag}: request ${r.requestId}: waiting for model ${r.modelId} to load`))
      return undefined
    }
    if (slot.state !== 'ready') {
      this.skip(r, `model ${slot.model.name} is not served by this node: ${slot.reason}`)
      return undefined
    }
    if (r.input.length > this.config.maxInputBytes) {
      this.skip(r, `its input is ${r.input.length} bytes, over this node's ${this.config.maxInputBytes}`)
      return undefined
    }
    const left = r.commitDeadline * 1000 - this.chainNow() - this.config.clockMarginMs - 500
    if (left <= 0) {
      this.skip(r, 'too little time left before its commit deadline to run the model')
      return undefined
    }
    let result: RunResult
    try {
      result = await this.runner.run({ modelId: slot.model.modelId, bytes: slot.bytes, inputFormat: slot.model.inputFormat, outputFormat: slot.model.outputFormat, input: r.input, timeoutMs: Math.min(left, slot.model.timeoutSeconds * 1000) })
    } catch (err) {
      if (err instanceof RunnerBusyError) {
        this.once(`busy:${r.requestId}`, () => this.log.warn(`${this.tag}: request ${r.requestId}: ${err.message}; it waits`))
        return undefined
      }
      if (err instanceof RunFailedError || err instanceof RunTimeoutError) {
        this.skip(r, `the model run failed: ${err.message}`)
        return undefined
      }
      throw err
    }
    const salt = newSalt()
    const commitment = inferenceCommitment(r.requestId, result.output, salt, this.address)
    if (!this.store.putAnswer(r.requestId, result.output, salt, commitment, result.ms)) return this.store.get(r.requestId) // answered meanwhile: keep that one
    const { rejected } = result
    if (rejected !== undefined) this.log.info(`${this.tag}: request ${r.requestId}: ${slot.model.name} rejects it (${rejected.code}: ${rejected.message}) in ${result.ms} ms: answering with its rejection bytes (InferenceRejected(string)); output and salt stored`)
    else this.log.info(`${this.tag}: request ${r.requestId}: ran ${slot.model.name} in ${result.ms} ms: ${result.output.length} bytes of output (${preview(result.output)}); output and salt stored`)
    return this.store.get(r.requestId)
  }

  private skip(r: StoredRequest, why: string): void {
    this.store.skip(r.requestId, why)
    this.log.error(`${this.tag}: request ${r.requestId}: not answering: ${why}`)
  }

  private requestError(r: StoredRequest, err: unknown): void {
    if (err instanceof AlreadyDone || this.stopped) return // someone else did it (the next step sees it), or shutting down
    const message = errorLine(err)
    this.store.note(r.requestId, message)
    this.lastError = { message: `request ${r.requestId}: ${message}`, at: Date.now() }
    this.once(`err:${r.requestId}:${message}`, () => this.log.warn(`${this.tag}: request ${r.requestId} (${r.state}): ${message}; retrying`))
  }

  // ---- claims ----

  /** Looks at the stake (slashing lowers it) and withdraws the balance once it reaches the threshold. */
  private async claim(): Promise<void> {
    const [node, minStake] = await Promise.all([this.read<{ stake: bigint; eligible: boolean }>('getNode', [this.address]), this.read<bigint>('MIN_STAKE')])
    if (this.stakeWei !== null && node.stake < this.stakeWei) this.log.warn(`${this.tag}: stake now ${node.stake} wei (was ${this.stakeWei})${node.stake < minStake ? `: below MIN_STAKE (${minStake}), it is assigned nothing until topped up (stake(), or restart with --stake)` : ''}`)
    this.stakeWei = node.stake
    this.eligible = node.eligible
    const balance = await this.read<bigint>('balanceOf', [this.address])
    if (balance === 0n || balance < this.config.withdrawThresholdWei) return
    const receipt = await this.transact('withdraw', [], { label: 'withdraw' })
    this.log.info(`${this.tag}: withdrew ${balance} wei of earnings in tx ${receipt.transactionHash}`)
  }

  // ---- chain ----

  /**
   * The earliest time (ms) the next block can have: the sequencer stamps a block with
   * max(wall clock, parent + 1 s), so a burst of blocks runs ahead of the wall clock.
   */
  private chainNow(): number {
    return Math.max(Date.now(), (this.latestTimestamp + 1) * 1000)
  }

  private read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.client.readContract({ address: this.config.coordinator, abi: coordinatorAbi, functionName, args } as never) as Promise<T>
  }

  private async stakeOf(): Promise<bigint> {
    return (await this.read<{ stake: bigint }>('getNode', [this.address])).stake
  }

  private async isServing(modelId: Hex): Promise<boolean> {
    return (await this.read<readonly [boolean, bigint]>('getOffer', [this.address, modelId]))[0]
  }

  private assignment(requestId: bigint): Promise<Assignment> {
    return this.read<Assignment>('getAssignment', [requestId])
  }

  /** The transaction is in the pool or mined successfully (so it must not be sent again). */
  private async stillPending(hash: Hex): Promise<boolean> {
    const receipt = await this.client.getTransactionReceipt({ hash }).catch(() => undefined)
    if (receipt !== undefined) return receipt.status === 'success'
    const tx = await this.client.getTransaction({ hash }).catch(() => undefined)
    return tx !== undefined
  }

  /**
   * Estimates, signs (hash recorded before broadcast), sends and waits for one coordinator call,
   * with at least `minGas`. A revert at estimate throws (nothing is sent), except one named in
   * `sendDespiteEstimate`: a phase error the latest block's time says, which the next block's
   * time (by the clock) no longer does; then it is sent with `minGas`. A transaction that fails on
   * chain throws.
   */
  private async transact(
    functionName: string,
    args: readonly unknown[],
    opts: { label: string; value?: bigint; record?: (hash: Hex) => void; minGas?: bigint; sendDespiteEstimate?: string[]; benign?: string[] },
  ): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi: coordinatorAbi, functionName, args } as never)
    let gas: bigint
    try {
      gas = ((await this.client.estimateGas({ account: this.address, to: this.config.coordinator, data, value: opts.value ?? 0n })) * 13n) / 10n
    } catch (err) {
      const name = revertName(err)
      if (name !== undefined && opts.benign?.includes(name)) throw new AlreadyDone(`${opts.label}: ${name}`)
      if (opts.minGas === undefined || name === undefined || !(opts.sendDespiteEstimate ?? []).includes(name)) {
        throw new Error(`${opts.label} would revert${name === undefined ? '' : ` with ${name}`}: ${errorLine(err)}`, { cause: err })
      }
      this.log.debug(`${this.tag}: ${opts.label}: the estimate on the latest block says ${name}; sending it with ${opts.minGas} gas (the next block's time is past the phase)`)
      gas = opts.minGas
    }
    if (opts.minGas !== undefined && gas < opts.minGas) gas = opts.minGas
    const hash = await this.sender.send({ to: this.config.coordinator, data, value: opts.value, gas }, opts.record)
    const receipt = await this.sender.wait(hash, this.config.txTimeoutMs)
    if (receipt.status !== 'success') throw new Error(`${opts.label} reverted on chain (tx ${hash}, block ${receipt.blockNumber})`)
    return receipt
  }

  private once(key: string, say: () => void): void {
    if (this.said.has(key)) return
    this.said.add(key)
    if (this.said.size > 10_000) this.said.clear()
    say()
  }
}

/** A transaction not sent because the chain says it is no longer needed (someone else was first). */
class AlreadyDone extends Error {
  override name = 'AlreadyDone'
}

/** ": it settled the request (…)" when the receipt holds the settlement. */
function settledIn(receipt: TransactionReceipt): string {
  const events = parseEventLogs({ abi: coordinatorAbi, logs: receipt.logs, strict: false })
  if (events.some((e) => e.eventName === 'InferenceFulfilled')) return ': it settled the request (fulfilled)'
  if (events.some((e) => e.eventName === 'InferenceFailed')) return ': it settled the request (failed)'
  return ''
}

/** The coordinator's custom errors by selector, for a revert reported only in a message. */
const ERROR_NAMES = new Map(coordinatorAbi.filter((x) => x.type === 'error').map((e) => [toFunctionSelector(`${e.name}(${e.inputs.map((i) => i.type).join(',')})`), e.name]))

function revertName(err: unknown): string | undefined {
  let e = err as { cause?: unknown; data?: { errorName?: string } | Hex } | undefined
  while (e !== undefined && e !== null) {
    if (typeof e.data === 'object' && e.data?.errorName !== undefined) return e.data.errorName
    if (typeof e.data === 'string' && e.data.length >= 10) return ERROR_NAMES.get(e.data.slice(0, 10).toLowerCase() as Hex) ?? e.data.slice(0, 10)
    e = e.cause as typeof e
  }
  const text = String((err as Error)?.message ?? '')
  const selector = /(0x[0-9a-fA-F]{8})/.exec(text)?.[1]
  if (selector !== undefined) return ERROR_NAMES.get(selector.toLowerCase() as Hex) ?? selector
  return /execution reverted/i.test(text) ? 'reverted' : undefined
}

function errorLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string; details?: string }
  const text = e?.shortMessage ?? e?.message ?? String(err)
  const details = e?.details !== undefined && !text.includes(e.details) ? ` (${e.details})` : ''
  return `${text.split('\n')[0]}${details}`
}

function bytesToHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
}

function hexToBytes(h: Hex): Uint8Array {
  return new Uint8Array(Buffer.from(h.slice(2), 'hex'))
}

/** The start of an output: as text when it is printable ASCII (a language model's), else as hex. */
function preview(b: Uint8Array): string {
  if (b.length > 0 && b.every((c) => c === 10 || (c >= 0x20 && c <= 0x7e))) {
    const text = JSON.stringify(Buffer.from(b.subarray(0, 48)).toString('latin1'))
    return b.length > 48 ? `${text}…` : text
  }
  const hex = bytesToHex(b)
  return hex.length <= 42 ? hex : `${hex.slice(0, 42)}…`
}

function isoSeconds(t: number): string {
  return new Date(t * 1000).toISOString()
}
