/**
 * `GET /metrics`: the node's metrics in Prometheus text format, from prom-client (README
 * "Metrics" lists every name, type and label).
 *
 * One registry per node (tests run several nodes in one process), plus one process-wide registry
 * for prom-client's process metrics (CPU, memory, event loop, GC): they describe the process,
 * which nodes in one process share, and collecting them once keeps one set of observers.
 *
 * Most values are pulled at scrape time (`collect()`) from state the node keeps in memory: the
 * heads, the pool's counts, the anchoring queue's size. The batcher's and deposit watcher's status
 * run a few sqlite aggregates, so they are read at most once a second however often /metrics is
 * scraped. Only three things are counted as they happen, each a map lookup and an observe: sealed
 * blocks (once per block), RPC calls (per call) and model runs (per inference). Labels are bounded:
 * an RPC method this node does not serve is `other`, and after MAX_MODEL_LABELS distinct models
 * the rest are `other`, so no client can grow the label sets.
 */
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The batcher's status as the metrics read it (batcher/batcher.ts BatcherStatus). */
export interface BatcherMetricsSource {
  status(): {
    lastPostedBlock: number
    pendingBlocks: number
    pendingBytes: number
    inflight: unknown
    batchesPosted: number
    l2TxsPosted: number
    dataBytesPosted: number
    l1GasUsed: number
    l1FeeWei: string
    revertedBatchTxs: number
    l1Reachable: boolean | null
  }
}

/** The deposit watcher's status as the metrics read it (bridge/deposits.ts DepositWatcherStatus). */
export interface DepositMetricsSource {
  status(): {
    l1Cursor: { number: number } | null
    l1Head: number | null
    pendingDeposits: number
    failedDeposits: number[]
    l1Reachable: boolean | null
  }
}

/** What the node hands the metrics: narrow readers of its existing state. */
export interface MetricsSources {
  heads(): { unsafe: number; safe: number; finalized: number }
  pool(): { pending: number; queued: number; bytes: number }
  /** Journal removals that failed since start (their rows wait for the next replay: mempool/journal.ts). */
  journalRemoveFailures?(): number
  /** Hashes waiting in the anchoring queue (kept in memory by AnchorQueue). */
  anchorQueue(): number
  /** Hashes accepted in aggregate mode and in no round yet (kept in memory by AnchorAggregator). */
  aggregatePending?(): number
  /** The RPC methods this node serves: their names are labels, any other is `other`. */
  methods: Iterable<string>
  batcher?: BatcherMetricsSource
  deposits?: DepositMetricsSource
}

/** Distinct model ids labelled by name; calls to later ones count under `other`. */
export const MAX_MODEL_LABELS = 32
/** The batcher's and deposit watcher's status are read at most this often, in milliseconds. */
export const STATUS_TTL_MS = 1_000

const PREFIX = 'airollup_'
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const INFERENCE_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]
const TX_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000]

let processRegistry: Registry | undefined
/** The process-wide registry of prom-client's default metrics, created on first use. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX })
  }
  return processRegistry
}

/** Reads `read()` at most once per `ttlMs`. */
function cached<T>(read: () => T, ttlMs: number): () => T {
  let at = -Infinity
  let value: T
  return () => {
    const now = Date.now()
    if (now - at >= ttlMs) {
      value = read()
      at = now
    }
    return value
  }
}

/** A counter whose value is a total the node already keeps, set at scrape time. */
function pulledCounter(registry: Registry, name: string, help: string, value: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = value()
      this.reset()
      if (v !== undefined && v > 0) this.inc(v)
    },
  })
}

export class NodeMetrics {
  readonly registry = new Registry()
  private readonly knownMethods: Set<string>
  private readonly rpcChildren = new Map<string, { duration: Histogram.Internal<'method'>; errors: Counter.Internal }>()
  private readonly modelChildren = new Map<string, { duration: Histogram.Internal<'model'>; failures: Counter.Internal }>()
  private otherModel: { duration: Histogram.Internal<'model'>; failures: Counter.Internal } | undefined
  private readonly rpcDuration: Histogram<'method'>
  private readonly rpcErrors: Counter<'method'>
  private readonly inferenceDuration: Histogram<'model'>
  private readonly inferenceFailures: Counter<'model'>
  private readonly blockTxs: Histogram
  private readonly userTxs: Counter.Internal
  private readonly systemTxs: Counter.Internal
  private readonly gasUsed: Counter
  private readonly blocks: Counter
  private readonly lastBlockGas: Gauge

  constructor(sources: MetricsSources) {
    const registry = this.registry
    this.knownMethods = new Set(sources.methods)

    // ---- chain ----
    new Gauge({
      name: `${PREFIX}head_block_number`,
      help: 'Block number of each head: unsafe (sealed or received), safe (posted to L1 / derived from L1), finalized (past the challenge window)',
      labelNames: ['head'],
      registers: [registry],
      collect() {
        const h = sources.heads()
        this.set({ head: 'unsafe' }, h.unsafe)
        this.set({ head: 'safe' }, h.safe)
        this.set({ head: 'finalized' }, h.finalized)
      },
    })
    this.blocks = new Counter({ name: `${PREFIX}blocks_total`, help: 'Blocks this node sealed or imported since it started', registers: [registry] })
    this.blockTxs = new Histogram({ name: `${PREFIX}block_transactions`, help: 'Transactions per block (system transactions included), per block sealed or imported', buckets: TX_BUCKETS, registers: [registry] })
    const txs = new Counter({ name: `${PREFIX}transactions_total`, help: 'Transactions in the blocks this node sealed or imported since it started, by kind (user: from the pool or a batch; system: deposits and anchored hashes)', labelNames: ['kind'], registers: [registry] })
    this.userTxs = txs.labels('user')
    this.systemTxs = txs.labels('system')
    this.gasUsed = new Counter({ name: `${PREFIX}gas_used_total`, help: 'Gas used by the blocks this node sealed or imported since it started', registers: [registry] })
    this.lastBlockGas = new Gauge({ name: `${PREFIX}block_gas_used`, help: 'Gas used by the last block sealed or imported', registers: [registry] })

    // ---- pool and anchoring ----
    new Gauge({
      name: `${PREFIX}txpool_transactions`,
      help: 'Transactions in the pool: pending (executable) and queued (behind a nonce gap)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = sources.pool()
        this.set({ state: 'pending' }, s.pending)
        this.set({ state: 'queued' }, s.queued)
      },
    })
    new Gauge({ name: `${PREFIX}txpool_bytes`, help: 'Bytes of raw transactions in the pool', registers: [registry], collect() { this.set(sources.pool().bytes) } })
    new Gauge({
      name: `${PREFIX}txpool_journal_remove_failures`,
      help: 'Rows the pool journal could not delete since start (mined or dropped transactions; the next start-up replay drops them)',
      registers: [registry],
      collect() {
        this.set(sources.journalRemoveFailures?.() ?? 0)
      },
    })
    new Gauge({ name: `${PREFIX}anchoring_queue_hashes`, help: 'Hashes submitted to POST /v1/anchors and not yet in a block', registers: [registry], collect() { this.set(sources.anchorQueue()) } })
    new Gauge({ name: `${PREFIX}anchoring_aggregate_pending_hashes`, help: 'Hashes submitted in aggregate mode and in no round yet', registers: [registry], collect() { this.set(sources.aggregatePending?.() ?? 0) } })

    // ---- RPC ----
    this.rpcDuration = new Histogram({ name: `${PREFIX}rpc_request_duration_seconds`, help: 'JSON-RPC calls (HTTP and WebSocket, each call of a batch) and their time, by method; a method this node does not serve is "other"', labelNames: ['method'], buckets: RPC_BUCKETS, registers: [registry] })
    this.rpcErrors = new Counter({ name: `${PREFIX}rpc_errors_total`, help: 'JSON-RPC calls answered with an error, by method; a method this node does not serve is "other"', labelNames: ['method'], registers: [registry] })

    // ---- inference ----
    this.inferenceDuration = new Histogram({ name: `${PREFIX}inference_duration_seconds`, help: `Runs of a model by the inference precompile in blocks (sealed or imported) and their time, by model id; after ${MAX_MODEL_LABELS} distinct models the rest are "other"`, labelNames: ['model'], buckets: INFERENCE_BUCKETS, registers: [registry] })
    this.inferenceFailures = new Counter({ name: `${PREFIX}inference_failures_total`, help: 'Model runs by the inference precompile that failed (exceptional halt), by model id', labelNames: ['model'], registers: [registry] })

    // ---- batcher (a sequencer with an L1) ----
    if (sources.batcher !== undefined) {
      const batcher = cached(() => sources.batcher!.status(), STATUS_TTL_MS)
      new Gauge({ name: `${PREFIX}batcher_pending_blocks`, help: 'Sealed L2 blocks not yet posted to L1', registers: [registry], collect() { this.set(batcher().pendingBlocks) } })
      new Gauge({ name: `${PREFIX}batcher_pending_bytes`, help: 'Raw transaction bytes of the blocks not yet posted to L1', registers: [registry], collect() { this.set(batcher().pendingBytes) } })
      new Gauge({ name: `${PREFIX}batcher_last_posted_block`, help: 'Last L2 block in a batch recorded on L1', registers: [registry], collect() { this.set(batcher().lastPostedBlock) } })
      new Gauge({ name: `${PREFIX}batcher_inflight`, help: '1 while an L1 transaction of the batcher is in flight, else 0', registers: [registry], collect() { this.set(batcher().inflight === null ? 0 : 1) } })
      new Gauge({ name: `${PREFIX}batcher_l1_reachable`, help: '1 if L1 answered the batcher\'s last step, 0 if not, -1 before the first', registers: [registry], collect() { const r = batcher().l1Reachable; this.set(r === null ? -1 : r ? 1 : 0) } })
      pulledCounter(registry, `${PREFIX}batcher_batches_posted_total`, 'Batches recorded on L1 by this chain (the ledger of L1 batches)', () => batcher().batchesPosted)
      pulledCounter(registry, `${PREFIX}batcher_l2_transactions_posted_total`, 'L2 transactions in the batches recorded on L1', () => batcher().l2TxsPosted)
      pulledCounter(registry, `${PREFIX}batcher_data_bytes_posted_total`, 'Compressed batch data bytes recorded on L1', () => batcher().dataBytesPosted)
      pulledCounter(registry, `${PREFIX}batcher_l1_gas_used_total`, 'L1 gas used by the batches recorded on L1', () => batcher().l1GasUsed)
      pulledCounter(registry, `${PREFIX}batcher_l1_fees_wei_total`, 'L1 fees paid for the batches recorded on L1, in wei (a float: exact to about 1e-15 relative)', () => Number(batcher().l1FeeWei))
      pulledCounter(registry, `${PREFIX}batcher_reverted_l1_transactions_total`, 'Batcher L1 transactions that reverted since the node started', () => batcher().revertedBatchTxs)
    }

    // ---- deposit watcher (a sequencer with an L1 bridge) ----
    if (sources.deposits !== undefined) {
      const deposits = cached(() => sources.deposits!.status(), STATUS_TTL_MS)
      new Gauge({
        name: `${PREFIX}deposits_l1_lag_blocks`,
        help: 'L1 blocks between the L1 head at the last poll and the last L1 block the deposit watcher read (its confirmations included); -1 before both are known',
        registers: [registry],
        collect() {
          const s = deposits()
          this.set(s.l1Head === null || s.l1Cursor === null ? -1 : Math.max(0, s.l1Head - s.l1Cursor.number))
        },
      })
      new Gauge({ name: `${PREFIX}deposits_l1_cursor_block`, help: 'Last L1 block the deposit watcher read; -1 before the first', registers: [registry], collect() { this.set(deposits().l1Cursor?.number ?? -1) } })
      new Gauge({ name: `${PREFIX}deposits_pending`, help: 'Deposits read from L1 and waiting for an L2 block', registers: [registry], collect() { this.set(deposits().pendingDeposits) } })
      new Gauge({ name: `${PREFIX}deposits_failed`, help: 'Deposits whose system transaction reverted', registers: [registry], collect() { this.set(deposits().failedDeposits.length) } })
      new Gauge({ name: `${PREFIX}deposits_l1_reachable`, help: '1 if L1 answered the deposit watcher\'s last step, 0 if not, -1 before the first', registers: [registry], collect() { const r = deposits().l1Reachable; this.set(r === null ? -1 : r ? 1 : 0) } })
    }
  }

  /** A block was sealed or imported. */
  blockSealed(userTxs: number, systemTxs: number, gasUsed: bigint): void {
    this.blocks.inc()
    this.blockTxs.observe(userTxs + systemTxs)
    if (userTxs > 0) this.userTxs.inc(userTxs)
    if (systemTxs > 0) this.systemTxs.inc(systemTxs)
    const gas = Number(gasUsed)
    if (gas > 0) this.gasUsed.inc(gas)
    this.lastBlockGas.set(gas)
  }

  /** One JSON-RPC call ran (`ok`: answered with a result). */
  rpcCall = (method: string, seconds: number, ok: boolean): void => {
    const label = this.knownMethods.has(method) ? method : 'other'
    let c = this.rpcChildren.get(label)
    if (c === undefined) {
      c = { duration: this.rpcDuration.labels(label), errors: this.rpcErrors.labels(label) }
      this.rpcChildren.set(label, c)
    }
    c.duration.observe(seconds)
    if (!ok) c.errors.inc()
  }

  /** The inference precompile ran model `modelId` (hex) for `seconds`; `ok` false if the run failed. */
  inference = (modelId: string, seconds: number, ok: boolean): void => {
    let c = this.modelChildren.get(modelId)
    if (c === undefined) {
      const make = (label: string) => ({ duration: this.inferenceDuration.labels(label), failures: this.inferenceFailures.labels(label) })
      if (this.modelChildren.size < MAX_MODEL_LABELS) this.modelChildren.set(modelId, (c = make(modelId)))
      else c = this.otherModel ??= make('other')
    }
    c.duration.observe(seconds)
    if (!ok) c.failures.inc()
  }

  /** The text of a scrape: this node's metrics, then the process's. */
  async scrape(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()])
    return `${own}\n${process}`
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

/** `GET /metrics` on the node's HTTP port. */
export function registerMetricsRoute(app: FastifyInstance, metrics: NodeMetrics): void {
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.scrape()))
}
