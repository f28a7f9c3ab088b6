/**
 * The anchoring service's records, in the node's sqlite file: the queue of hashes accepted over
 * HTTP and not yet in a block, and the index of every hash anchored on L2 (DataAnchor's Anchored
 * events, from wallets and from the queue alike). The index is written by the block that anchors
 * (`writeBlock`, a block writer: inside the block's sqlite transaction), which also takes those
 * hashes out of the queue, so a crash can neither drop a hash nor anchor it twice.
 *
 * Changes for the anchoring notifications (events.ts): every sqlite transaction that changes the
 * status of submitted hashes (a submission, the block that anchors them, a batch posted or taken
 * away by an L1 reorg, the finalized head moving) takes the next number of `anchor_changes` and
 * stamps it on the affected submission rows (`change_seq`), inside that same transaction. A key's
 * rows ordered by (change_seq, seq) are then its status changes in commit order, each row once at
 * its latest change: a subscriber resuming after a position reads exactly what changed since,
 * with no event log that grows per change.
 */
import type Database from 'better-sqlite3'
import type { AnchorRow, ProtocolIndex } from '../system/log-index.ts'

export type { AnchorRow }

/** The node's sqlite database as this store uses it (sequencer/store's Store). */
export interface AnchorDatabase {
  readonly db: Database.Database
  transaction<T>(fn: () => T): T
}

const SCHEMA = /* sql */ `
-- data hashes accepted over HTTP and not yet in a block (acknowledged, so durable); a hash leaves
-- the queue in the sqlite transaction of the block that anchors it
CREATE TABLE IF NOT EXISTS anchor_queue (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  hash        BLOB NOT NULL UNIQUE,
  received_at INTEGER NOT NULL
);

-- every Anchored event of the DataAnchor predeploy, derived from the block's logs when it is sealed
CREATE TABLE IF NOT EXISTS anchors (
  block_number INTEGER NOT NULL,
  log_index    INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  hash         BLOB NOT NULL,
  submitter    BLOB NOT NULL,
  PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anchors_by_hash ON anchors (hash, block_number);

-- which API key submitted which hash over HTTP (GET /v1/anchors lists a key's own): key_id is a
-- digest of the key, never the key; one row per key and hash, the first submission's time. Written
-- in the transaction that queues the hashes, so a 202 covers it too. Rows per key are bounded by
-- the distinct hashes the node ever accepted (each request is validated and passes the queue cap).
CREATE TABLE IF NOT EXISTS anchor_submissions (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id       BLOB NOT NULL,
  hash         BLOB NOT NULL,
  submitted_at INTEGER NOT NULL,
  change_seq   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (key_id, hash)
);
CREATE INDEX IF NOT EXISTS anchor_submissions_by_key_time ON anchor_submissions (key_id, submitted_at, seq);

-- one row per sqlite transaction that changed submitted hashes' status (numbered in commit order,
-- never reused) with the node's time, so a subscriber can resume from a time as well as a position
CREATE TABLE IF NOT EXISTS anchor_changes (
  seq INTEGER PRIMARY KEY,
  at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS anchor_changes_by_time ON anchor_changes (at);
`

/** Indexes on columns a data dir from before the notifications lacks until the migration adds them. */
const CHANGE_INDEXES = /* sql */ `
-- a key's rows in change order (notifications), and a hash's rows across keys (marking changes)
CREATE INDEX IF NOT EXISTS anchor_submissions_by_key_change ON anchor_submissions (key_id, change_seq, seq);
CREATE INDEX IF NOT EXISTS anchor_submissions_by_hash ON anchor_submissions (hash);
`

/** One recorded submission: its hash, first submission time (ms) and a tie-breaker (for cursors). */
export interface SubmissionPosition {
  submittedAt: number
  seq: number
}

export interface AnchorSubmissionRow {
  seq: number
  hash: Uint8Array
  submittedAt: number
}

/** Where a key's walk through its changes stands: the last row seen, in (change, seq) order. */
export interface ChangePosition {
  change: number
  seq: number
}

export interface AnchorChangeRow extends AnchorSubmissionRow {
  change: number
}

const ANCHOR_COLUMNS = 'block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, hash, submitter'

export class AnchorStore {
  private readonly stmts
  private readonly listeners: (() => void)[] = []
  /** The change number being stamped by the current transaction, taken at its first use. */
  private current: number | undefined

  constructor(private readonly database: AnchorDatabase) {
    const d = database.db
    d.exec(SCHEMA)
    const columns = d.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('anchor_submissions') as string[]
    if (!columns.includes('change_seq')) d.exec('ALTER TABLE anchor_submissions ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0')
    d.exec(CHANGE_INDEXES)
    this.stmts = {
      queueAdd: d.prepare('INSERT OR IGNORE INTO anchor_queue (hash, received_at) VALUES (?, ?)'),
      // ahead of every other queued hash (seq < 0), after the ones already put ahead: see anchorQueueAddFirst
      queueAddFirst: d.prepare(`INSERT OR IGNORE INTO anchor_queue (seq, hash, received_at) VALUES ((SELECT COALESCE(MAX(seq), ${-Number.MAX_SAFE_INTEGER}) + 1 FROM anchor_queue WHERE seq < 0), ?, ?)`),
      queueRemove: d.prepare('DELETE FROM anchor_queue WHERE hash = ?'),
      queueNext: d.prepare('SELECT hash FROM anchor_queue ORDER BY seq LIMIT ?').pluck(),
      queueSize: d.prepare('SELECT COUNT(*) FROM anchor_queue').pluck(),
      queueGet: d.prepare('SELECT received_at FROM anchor_queue WHERE hash = ?').pluck(),
      putAnchor: d.prepare('INSERT INTO anchors (block_number, log_index, tx_index, hash, submitter) VALUES (?, ?, ?, ?, ?)'),
      firstAnchor: d.prepare(`SELECT ${ANCHOR_COLUMNS} FROM anchors WHERE hash = ? ORDER BY block_number, log_index LIMIT 1`),
      submissionAdd: d.prepare('INSERT OR IGNORE INTO anchor_submissions (key_id, hash, submitted_at, change_seq) VALUES (?, ?, ?, ?)'),
      // (time, seq) descending along the index: a since bound stops the scan instead of filtering it
      submissionsPage: d.prepare('SELECT seq, hash, submitted_at AS submittedAt FROM anchor_submissions WHERE key_id = ? AND (submitted_at, seq) < (?, ?) AND submitted_at >= ? ORDER BY submitted_at DESC, seq DESC LIMIT ?'),
      anchorsInRange: d.prepare('SELECT hash FROM anchors WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index').pluck(),
      changeAdd: d.prepare('INSERT INTO anchor_changes (seq, at) VALUES (?, ?)'),
      deleteAnchorsAfter: d.prepare('DELETE FROM anchors WHERE block_number > ?'),
      changeLast: d.prepare('SELECT seq, at FROM anchor_changes ORDER BY seq DESC LIMIT 1'),
      changeFirstAt: d.prepare('SELECT seq FROM anchor_changes WHERE at >= ? ORDER BY at, seq LIMIT 1').pluck(),
      markHash: d.prepare('UPDATE anchor_submissions SET change_seq = ? WHERE hash = ?'),
      markBlocks: d.prepare('UPDATE anchor_submissions SET change_seq = ? WHERE hash IN (SELECT hash FROM anchors WHERE block_number BETWEEN ? AND ?)'),
      // (change, seq) ascending along the (key_id, change_seq, seq) index
      changesPage: d.prepare('SELECT seq, hash, submitted_at AS submittedAt, change_seq AS change FROM anchor_submissions WHERE key_id = ? AND (change_seq, seq) > (?, ?) ORDER BY change_seq, seq LIMIT ?'),
    }
  }

  /** Called (synchronously, inside the writing transaction) whenever submitted hashes change status. */
  onChange(listener: () => void): void {
    this.listeners.push(listener)
  }

  /** Block writer: the block's Anchored events, whose hashes leave the queue in the same transaction. */
  writeBlock({ anchors }: Pick<ProtocolIndex, 'anchors'>): void {
    const s = this.stmts
    this.changing(() => {
      let marked = 0
      for (const a of anchors) {
        // only a hash's first anchoring changes its status (a later one is a repeat)
        const first = s.firstAnchor.get(a.hash) === undefined
        s.putAnchor.run(a.blockNumber, a.logIndex, a.txIndex, a.hash, a.submitter)
        s.queueRemove.run(a.hash)
        if (first) marked += s.markHash.run(this.change(), a.hash).changes
      }
      return marked
    })
  }

  /**
   * Rewind writer (Store.rewindTo, inside its transaction): the blocks after `number` are gone, and
   * with them their anchorings; the hashes they anchored change status first (notifications).
   */
  rewindTo(number: number): void {
    this.changing(() => this.stmts.markBlocks.run(this.change(), number + 1, Number.MAX_SAFE_INTEGER).changes)
    this.stmts.deleteAnchorsAfter.run(number)
  }

  /**
   * Batch writer (batcher/ledger.ts) and finalized-head hook: the hashes anchored in L2 blocks
   * first..last changed status (posted, taken back by an L1 reorg, final). Runs in the caller's
   * sqlite transaction when there is one.
   */
  markBlocksChanged(first: number, last: number): void {
    if (last < first) return
    this.database.transaction(() => this.changing(() => this.stmts.markBlocks.run(this.change(), first, last).changes))
  }

  /**
   * A key's submissions whose latest change comes after `after`, in change order (at most
   * `limit`): what a subscriber resuming from that position has not seen.
   */
  anchorChangesAfter(keyId: Uint8Array, after: ChangePosition, limit: number): AnchorChangeRow[] {
    return this.stmts.changesPage.all(keyId, after.change, after.seq, limit) as AnchorChangeRow[]
  }

  /** The last change number committed (0: none yet). */
  lastAnchorChange(): number {
    return (this.stmts.changeLast.get() as { seq: number } | undefined)?.seq ?? 0
  }

  /** The first change recorded at or after `ms` (node time), if any. */
  firstAnchorChangeAt(ms: number): number | undefined {
    return this.stmts.changeFirstAt.get(ms) as number | undefined
  }

  /**
   * Runs `fn` (which returns how many submission rows it stamped) with a change number taken on
   * first use: recorded only if rows were stamped, so a block of wallet anchors costs nothing.
   */
  private changing(fn: () => number): void {
    const outer = this.current
    let marked = 0
    try {
      marked = fn()
    } finally {
      if (outer === undefined) {
        const taken = this.current
        this.current = undefined
        if (taken !== undefined && marked > 0) {
          const last = this.stmts.changeLast.get() as { seq: number; at: number } | undefined
          // times never go backwards, so a time maps to a position with one index lookup
          this.stmts.changeAdd.run(taken, Math.max(Date.now(), last?.at ?? 0))
        }
      }
    }
    if (marked > 0) for (const l of this.listeners) l()
  }

  private change(): number {
    this.current ??= this.lastAnchorChange() + 1
    return this.current
  }

  /**
   * Queues the hashes not yet queued or anchored, in one sqlite transaction (durable when this
   * returns). Returns how many were new. With `keyId`, also records every one of them (new or
   * already known) as submitted by that key, in the same transaction.
   */
  anchorQueueAdd(hashes: Uint8Array[], receivedAt: number, keyId?: Uint8Array): number {
    const s = this.stmts
    return this.database.transaction(() => {
      let added = 0
      this.changing(() => {
        let recorded = 0
        for (const h of hashes) {
          if (keyId !== undefined) recorded += s.submissionAdd.run(keyId, h, receivedAt, this.change()).changes
          if (s.firstAnchor.get(h) !== undefined) continue
          added += s.queueAdd.run(h, receivedAt).changes
        }
        return recorded
      })
      return added
    })
  }

  /**
   * Queues `hash` ahead of every hash queued by anchorQueueAdd (after those queued by this method
   * before it), unless it is already queued or anchored: an aggregated-anchoring round's root
   * (rounds.ts), which stands for a whole round of hashes and must not wait behind a backlog of
   * single hashes. Its seq is negative (the queue is read in seq order; submissions count up from
   * 1). Runs in the caller's transaction. Returns whether it was queued.
   */
  anchorQueueAddFirst(hash: Uint8Array, receivedAt: number): boolean {
    if (this.stmts.firstAnchor.get(hash) !== undefined) return false
    return this.stmts.queueAddFirst.run(hash, receivedAt).changes > 0
  }

  /**
   * A key's submissions, newest first (by time, then order of insertion): at most `limit` rows
   * strictly after `before` in that order, first submitted at or after `since` (ms).
   */
  anchorSubmissions(keyId: Uint8Array, opts: { before: SubmissionPosition; since: number; limit: number }): AnchorSubmissionRow[] {
    return this.stmts.submissionsPage.all(keyId, opts.before.submittedAt, opts.before.seq, opts.since, opts.limit) as AnchorSubmissionRow[]
  }

  /** The oldest `limit` queued hashes. */
  anchorQueueNext(limit: number): Uint8Array[] {
    return this.stmts.queueNext.all(limit) as Uint8Array[]
  }

  anchorQueueSize(): number {
    return this.stmts.queueSize.get() as number
  }

  /** When `hash` was queued (ms since the epoch), if it is waiting for a block. */
  anchorQueuedAt(hash: Uint8Array): number | undefined {
    return this.stmts.queueGet.get(hash) as number | undefined
  }

  /** The first time `hash` was anchored on L2. */
  firstAnchor(hash: Uint8Array): AnchorRow | undefined {
    return this.stmts.firstAnchor.get(hash) as AnchorRow | undefined
  }

  /** Hashes anchored in blocks first..last, in chain order (duplicates included). */
  anchoredHashes(first: number, last: number): Uint8Array[] {
    return this.stmts.anchorsInRange.all(first, last) as Uint8Array[]
  }
}
