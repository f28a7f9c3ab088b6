/**
 * Aggregated anchoring (README "Aggregated anchoring"): hashes submitted with `"mode":
 * "aggregate"` are not anchored one by one. They are kept in sqlite as they arrive (a 202 means
 * committed), and every round (`anchoring.roundMs`, about a second) the aggregator puts the
 * hashes accepted since the last round into one Merkle tree (OpenZeppelin's StandardMerkleTree
 * construction, batcher/merkle.ts) and anchors only its root, through the on-chain queue
 * (queue.ts), ahead of the single hashes: the root enters an L2 block as an ordinary anchored
 * hash and so the batch's anchor tree on L1. A hash's receipt (receipts.ts) is the path from the
 * hash to its round's root followed by the root's path in the batch's anchor tree.
 *
 * Storage, for speed: an accepted request is one row (its new hashes in one blob, in arrival
 * order), and each hash one entry of a hash-keyed index naming its request (hash-index.ts: a file
 * and a writer thread of its own); a round takes the requests after the previous round's, whole.
 * So accepting a hash costs one index insert, off the main thread, and a round reads a few blobs.
 *
 * Exactly once, across crashes: the requests of a round are a contiguous range of `seq`, so a
 * round is one row (its last request, root and tree), and that row is written in the same sqlite
 * transaction as the root's entry in the on-chain queue. A crash before that commit
 * leaves the hashes pending for the next round (no receipt was issued from the lost tree); after
 * it, the root is queued and the queue's block writer anchors it once. Rounds are closed one at
 * a time, by this process only, so the pending range cannot change under a round being built.
 */
import { dirname, join } from 'node:path'
import type Database from 'better-sqlite3'
import { bytesToHex } from '@ethereumjs/util'
import { FlatTree, TreeNodes } from '../../batcher/index.ts'
import type { Logger } from '../log.ts'
import { HashIndex } from './hash-index.ts'
import { AnchorQueueFullError } from './queue.ts'
import type { AnchorDatabase } from './store.ts'

/** The aggregated-hash index's file, next to the node's (hash-index.ts). */
export const HASH_INDEX_FILE = 'aggregated.sqlite'

/**
 * A claim or request write failed while the node ran: submissions are refused until a restart
 * drops the index entries of requests never recorded (hash-index.ts). HTTP 503.
 */
export class AggregationUnavailableError extends Error {}

const SCHEMA = /* sql */ `
-- requests accepted in aggregate mode, in arrival order (AUTOINCREMENT: seq never goes back); the
-- hashes they added (32 bytes each), emptied once their round is recorded
CREATE TABLE IF NOT EXISTS anchor_aggregate_requests (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  count       INTEGER NOT NULL,
  hashes      BLOB NOT NULL,
  received_at INTEGER NOT NULL
);

-- one row per closed round: the requests with seq in (the previous round's last_seq, last_seq] and
-- the root anchored on L2 for their hashes
CREATE TABLE IF NOT EXISTS anchor_rounds (
  round     INTEGER PRIMARY KEY,
  last_seq  INTEGER NOT NULL UNIQUE,
  size      INTEGER NOT NULL,
  root      BLOB NOT NULL,
  closed_at INTEGER NOT NULL
);

-- a round's tree (batcher/merkle.ts's node array, (2 × size − 1) × 32 bytes) in pages of
-- PAGE_NODES nodes, so that a proof reads a few pages instead of the whole tree
CREATE TABLE IF NOT EXISTS anchor_round_nodes (
  round INTEGER NOT NULL,
  page  INTEGER NOT NULL,
  nodes BLOB NOT NULL,
  PRIMARY KEY (round, page)
) WITHOUT ROWID;
`

/** Nodes per stored page of a round's tree: 4 kB, a sqlite page. */
const PAGE_NODES = 128

export interface RoundRow {
  round: number
  lastSeq: number
  size: number
  root: Uint8Array
  closedAt: number
}

/** Where an aggregated hash stands: accepted at `receivedAt`, in `round` once one closed over it. */
export interface AggregatedHash {
  receivedAt: number
  round?: RoundRow & { tree: TreeNodes }
}

const ROUND_COLUMNS = 'round, last_seq AS lastSeq, size, root, closed_at AS closedAt'

/** The aggregation's tables, on the node's sqlite connection. */
export class RoundStore {
  private readonly stmts
  private readonly index: HashIndex
  /** The next request's number: requests are numbered here, before their claim in the index. */
  private nextSeq: number
  /** Set once a claim or a request write failed: submissions are refused until a restart. */
  private broken: AggregationUnavailableError | undefined
  /** Requests claimed and not yet recorded or failed (their journal entries must stay). */
  private readonly unsettled = new Set<number>()

  constructor(
    private readonly database: AnchorDatabase,
    indexPath = join(dirname(database.db.name), HASH_INDEX_FILE),
  ) {
    const d: Database.Database = database.db
    d.exec(SCHEMA)
    this.index = new HashIndex(indexPath)
    const lastRecorded = d.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'anchor_aggregate_requests'), 0)").pluck().get() as number
    // a data directory from before the index had its own file: its entries move there, once
    if (d.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'anchor_aggregated'").get() !== undefined) {
      this.index.importRows(d.prepare('SELECT hash, request FROM anchor_aggregated').raw().iterate() as Iterable<[Uint8Array, number]>)
      d.exec('DROP TABLE anchor_aggregated')
    }
    this.index.recover(lastRecorded)
    this.nextSeq = lastRecorded + 1
    this.stmts = {
      request: d.prepare('INSERT INTO anchor_aggregate_requests (seq, count, hashes, received_at) VALUES (?, ?, ?, ?)'),
      pendingCount: d.prepare('SELECT COALESCE(SUM(count), 0) FROM anchor_aggregate_requests WHERE seq > ?').pluck(),
      pending: d.prepare('SELECT seq, count, hashes FROM anchor_aggregate_requests WHERE seq > ? ORDER BY seq'),
      empty: d.prepare("UPDATE anchor_aggregate_requests SET hashes = x'' WHERE seq > ? AND seq <= ?"),
      lastRound: d.prepare(`SELECT ${ROUND_COLUMNS} FROM anchor_rounds ORDER BY round DESC LIMIT 1`),
      putRound: d.prepare('INSERT INTO anchor_rounds (round, last_seq, size, root, closed_at) VALUES (?, ?, ?, ?, ?)'),
      putPage: d.prepare('INSERT INTO anchor_round_nodes (round, page, nodes) VALUES (?, ?, ?)'),
      receivedAt: d.prepare('SELECT received_at FROM anchor_aggregate_requests WHERE seq = ?').pluck(),
      roundOf: d.prepare(`SELECT ${ROUND_COLUMNS} FROM anchor_rounds WHERE last_seq >= ? ORDER BY last_seq LIMIT 1`),
      page: d.prepare('SELECT nodes FROM anchor_round_nodes WHERE round = ? AND page = ?').pluck(),
    }
  }

  /**
   * Records the hashes not recorded yet (durable when the promise resolves): each in the hash
   * index (one transaction on its thread), then the new ones together in one request row. Returns
   * how many were new. Requests are recorded in the order of their calls.
   * @throws AggregationUnavailableError once a claim or a request write failed.
   */
  async add(hashes: Uint8Array[], receivedAt: number): Promise<number> {
    if (this.broken !== undefined) throw this.broken
    const seq = this.nextSeq++
    this.unsettled.add(seq)
    try {
      // every request before the oldest unsettled one is settled: their journal entries may go
      let settledBelow = seq
      for (const s of this.unsettled) settledBelow = Math.min(settledBelow, s)
      const fresh = await this.index.claim(Buffer.concat(hashes), seq, settledBelow)
      // a request claimed after one that failed is not recorded either: recover() takes out both
      if (this.broken !== undefined) throw this.broken
      const added = hashes.filter((_, i) => fresh[i] === 1)
      if (added.length > 0) this.stmts.request.run(seq, added.length, Buffer.concat(added), receivedAt)
      this.unsettled.delete(seq)
      return added.length
    } catch (err) {
      this.broken ??= new AggregationUnavailableError(
        `aggregated anchoring stopped: recording a request failed (${(err as Error).message}); submissions are refused until the node restarts`,
      )
      throw this.broken
    }
  }

  /** Why submissions are refused, if they are. */
  get unavailable(): string | undefined {
    return this.broken?.message
  }

  /** Stops the index's thread (after the claims in flight) and closes its file. */
  close(): Promise<void> {
    return this.index.close()
  }

  /** The last closed round, if any. */
  lastRound(): RoundRow | undefined {
    return this.stmts.lastRound.get() as RoundRow | undefined
  }

  /** Hashes accepted and in no round yet. */
  pendingCount(): number {
    return this.stmts.pendingCount.get(this.lastRound()?.lastSeq ?? 0) as number
  }

  /**
   * The hashes of the requests after `afterSeq`, concatenated, whole requests until at least
   * `limit` hashes (or all), with the last request's seq.
   */
  pending(afterSeq: number, limit: number): { values: Buffer; count: number; lastSeq: number } {
    const blobs: Buffer[] = []
    let count = 0
    let lastSeq = afterSeq
    for (const row of this.stmts.pending.iterate(afterSeq) as Iterable<{ seq: number; count: number; hashes: Buffer }>) {
      blobs.push(row.hashes)
      count += row.count
      lastSeq = row.seq
      if (count >= limit) break
    }
    return { values: Buffer.concat(blobs), count, lastSeq }
  }

  /**
   * Writes a closed round and runs `alongside` (the hand-off of its root) in the same sqlite
   * transaction, which also empties the round's request rows (the hash index keeps the hashes).
   */
  putRound(round: RoundRow, tree: FlatTree, alongside: () => void, afterSeq: number): void {
    this.database.transaction(() => {
      this.stmts.putRound.run(round.round, round.lastSeq, round.size, round.root, round.closedAt)
      const pageBytes = 32 * PAGE_NODES
      for (let p = 0; p * pageBytes < tree.nodes.length; p++) this.stmts.putPage.run(round.round, p, tree.nodes.subarray(p * pageBytes, (p + 1) * pageBytes))
      this.stmts.empty.run(afterSeq, round.lastSeq)
      alongside()
    })
  }

  /** Where `hash` stands; undefined if it was never submitted in aggregate mode. */
  find(hash: Uint8Array): AggregatedHash | undefined {
    const seq = this.index.requestOf(hash)
    // no row: the request is being recorded (not acknowledged yet)
    const receivedAt = seq === undefined ? undefined : (this.stmts.receivedAt.get(seq) as number | undefined)
    if (receivedAt === undefined) return undefined
    const round = this.stmts.roundOf.get(seq) as RoundRow | undefined
    return { receivedAt, round: round && { ...round, tree: this.tree(round) } }
  }

  /** A round's tree, read from its stored pages as nodes are asked for (the last page read is kept). */
  private tree(round: RoundRow): TreeNodes {
    let cached: { page: number; nodes: Buffer } | undefined
    return new TreeNodes(2 * round.size - 1, (i) => {
      const page = Math.floor(i / PAGE_NODES)
      if (cached?.page !== page) {
        const nodes = this.stmts.page.get(round.round, page) as Buffer | undefined
        if (nodes === undefined) throw new Error(`round ${round.round}'s tree has no page ${page}`)
        cached = { page, nodes }
      }
      const at = 32 * (i % PAGE_NODES)
      return cached.nodes.subarray(at, at + 32)
    })
  }
}

export interface AggregatorOptions {
  /** How long a round collects hashes before its tree is built and its root anchored (ms). */
  roundMs: number
  /** Most hashes in one round, give or take a request (rounds take whole requests; the rest wait for the next, which starts at once). */
  maxPerRound: number
  /** Most hashes accepted and in no round yet; past it submissions are refused (503). */
  maxPending: number
}

/** What the aggregator hands a round's root to: the on-chain queue, inside the round's transaction. */
export interface RootQueue {
  submitFirst(root: Uint8Array): void
}

/**
 * Most hashes recorded per claim by AnchorAggregator.submit: a whole request (the API takes at most
 * 50,000). Each hash index insert lands on a random page and a transaction writes every page it
 * touched to the WAL whole, so fewer, bigger transactions write less (hash-index.ts).
 */
const SUBMIT_STEP = 50_000

/** The aggregation service: takes submissions, closes a round every `roundMs`. */
export class AnchorAggregator {
  readonly name = 'aggregation'
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined
  private stopped = true
  private pendingCount: number
  private lastError: string | undefined

  constructor(
    private readonly store: RoundStore,
    private readonly roots: RootQueue,
    private readonly opts: AggregatorOptions,
    private readonly log: Logger,
    /** Called after a round's root was queued (automine: anchor it right away). */
    private readonly onRound: () => void = () => {},
    /** Builds a round's tree: the node's worker thread (tree-builder.ts), by default here, in steps. */
    private readonly buildTree: (values: Uint8Array) => Promise<FlatTree> = (values) => FlatTree.buildYielding(values),
  ) {
    this.pendingCount = store.pendingCount()
  }

  /**
   * Records the hashes not recorded yet; all durable when the promise resolves. A hash submitted
   * again (in any round, closed or not) is known, not aggregated twice. Recorded SUBMIT_STEP
   * hashes at a time (a request of the API is one step); a crash in between keeps the steps
   * already recorded (submitting again is safe: those hashes come back as known).
   * @throws AnchorQueueFullError past `maxPending` (checked once, for the whole request).
   * @throws AggregationUnavailableError once recording a request failed (until a restart).
   */
  async submit(hashes: Uint8Array[]): Promise<{ added: number; known: number }> {
    if (this.pendingCount + hashes.length > this.opts.maxPending) {
      this.pendingCount = this.store.pendingCount()
      if (this.pendingCount + hashes.length > this.opts.maxPending) {
        throw new AnchorQueueFullError(`aggregation is full (${this.pendingCount} hashes waiting for a round, limit ${this.opts.maxPending}); retry shortly`)
      }
    }
    let added = 0
    for (let i = 0; i < hashes.length; i += SUBMIT_STEP) {
      const step = await this.store.add(hashes.slice(i, i + SUBMIT_STEP), Date.now())
      this.pendingCount += step
      added += step
    }
    return { added, known: hashes.length - added }
  }

  /** Hashes accepted and in no round yet. */
  waiting(): number {
    return this.pendingCount
  }

  start(): void {
    this.stopped = false
    this.schedule(this.opts.roundMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running?.catch(() => undefined)
  }

  health(): { name: string; ok: boolean; detail: string } {
    const last = this.store.lastRound()
    const rounds = last === undefined ? 'no round yet' : `last round ${last.round} (${last.size} hashes)`
    const unavailable = this.store.unavailable
    if (unavailable !== undefined) return { name: this.name, ok: false, detail: unavailable }
    return { name: this.name, ok: this.lastError === undefined, detail: `${this.pendingCount} hashes waiting for a round, ${rounds}${this.lastError === undefined ? '' : `; last error: ${this.lastError}`}` }
  }

  /**
   * Closes a round over the hashes accepted since the last one (at most maxPerRound): builds its
   * tree, then records it and queues its root in one sqlite transaction. Undefined when nothing
   * was waiting. One at a time: a call during another waits for it.
   */
  async closeRound(): Promise<RoundRow | undefined> {
    while (this.running !== undefined) await this.running.catch(() => undefined)
    const run = this.close()
    this.running = run
    try {
      return await run
    } finally {
      this.running = undefined
    }
  }

  /** Where an aggregated hash stands; undefined if it was never submitted in aggregate mode. */
  find(hash: Uint8Array): AggregatedHash | undefined {
    return this.store.find(hash)
  }

  private async close(): Promise<RoundRow | undefined> {
    const started = performance.now()
    const last = this.store.lastRound()
    const afterSeq = last?.lastSeq ?? 0
    const { values, count, lastSeq } = this.store.pending(afterSeq, this.opts.maxPerRound)
    if (count === 0) return undefined
    const read = performance.now()
    const tree = await this.buildTree(values)
    const built = performance.now()
    const round: RoundRow = { round: (last?.round ?? 0) + 1, lastSeq, size: count, root: tree.root, closedAt: Date.now() }
    this.store.putRound(round, tree, () => this.roots.submitFirst(round.root), afterSeq)
    this.pendingCount = this.store.pendingCount()
    const ms = (a: number, b: number) => Math.round(b - a)
    this.log.debug(
      `anchoring: round ${round.round} of ${count} hashes, root ${bytesToHex(round.root)} queued ` +
        `(read ${ms(started, read)} ms, tree ${ms(read, built)} ms, stored ${ms(built, performance.now())} ms)`,
    )
    this.onRound()
    return round
  }

  /**
   * Closes a round `ms` from now, then the next on a fixed cadence: `roundMs` after the previous
   * close began, not after it ended, so that building a big round's tree (a second or more under
   * load) does not stretch the rounds; one that took longer than `roundMs` is followed at once.
   */
  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      const started = performance.now()
      const next = () => Math.max(0, started + this.opts.roundMs - performance.now())
      void this.closeRound().then(
        () => {
          this.lastError = undefined
          // a backlog larger than a round: the next round starts now
          this.schedule(this.pendingCount > 0 && this.pendingCount >= this.opts.maxPerRound ? 0 : next())
        },
        (err: Error) => {
          this.lastError = err.message
          this.log.error(`anchoring: closing a round failed (retrying in ${this.opts.roundMs} ms): ${err.stack ?? err.message}`)
          this.schedule(this.opts.roundMs)
        },
      )
    }, ms)
  }
}
