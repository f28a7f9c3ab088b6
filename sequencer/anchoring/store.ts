/**
 * The anchoring service's records, in the node's sqlite file: the queue of hashes accepted over
 * HTTP and not yet in a block, and the index of every hash anchored on L2 (DataAnchor's Anchored
 * events, from wallets and from the queue alike). The index is written by the block that anchors
 * (`writeBlock`, a block writer: inside the block's sqlite transaction), which also takes those
 * hashes out of the queue, so a crash can neither drop a hash nor anchor it twice.
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
  UNIQUE (key_id, hash)
);
CREATE INDEX IF NOT EXISTS anchor_submissions_by_key_time ON anchor_submissions (key_id, submitted_at, seq);
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

const ANCHOR_COLUMNS = 'block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, hash, submitter'

export class AnchorStore {
  private readonly stmts

  constructor(private readonly database: AnchorDatabase) {
    const d = database.db
    d.exec(SCHEMA)
    this.stmts = {
      queueAdd: d.prepare('INSERT OR IGNORE INTO anchor_queue (hash, received_at) VALUES (?, ?)'),
      queueRemove: d.prepare('DELETE FROM anchor_queue WHERE hash = ?'),
      queueNext: d.prepare('SELECT hash FROM anchor_queue ORDER BY seq LIMIT ?').pluck(),
      queueSize: d.prepare('SELECT COUNT(*) FROM anchor_queue').pluck(),
      queueGet: d.prepare('SELECT received_at FROM anchor_queue WHERE hash = ?').pluck(),
      putAnchor: d.prepare('INSERT INTO anchors (block_number, log_index, tx_index, hash, submitter) VALUES (?, ?, ?, ?, ?)'),
      firstAnchor: d.prepare(`SELECT ${ANCHOR_COLUMNS} FROM anchors WHERE hash = ? ORDER BY block_number, log_index LIMIT 1`),
      submissionAdd: d.prepare('INSERT OR IGNORE INTO anchor_submissions (key_id, hash, submitted_at) VALUES (?, ?, ?)'),
      // (time, seq) descending along the index: a since bound stops the scan instead of filtering it
      submissionsPage: d.prepare('SELECT seq, hash, submitted_at AS submittedAt FROM anchor_submissions WHERE key_id = ? AND (submitted_at, seq) < (?, ?) AND submitted_at >= ? ORDER BY submitted_at DESC, seq DESC LIMIT ?'),
      anchorsInRange: d.prepare('SELECT hash FROM anchors WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index').pluck(),
    }
  }

  /** Block writer: the block's Anchored events, whose hashes leave the queue in the same transaction. */
  writeBlock({ anchors }: Pick<ProtocolIndex, 'anchors'>): void {
    const s = this.stmts
    for (const a of anchors) {
      s.putAnchor.run(a.blockNumber, a.logIndex, a.txIndex, a.hash, a.submitter)
      s.queueRemove.run(a.hash)
    }
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
      for (const h of hashes) {
        if (keyId !== undefined) s.submissionAdd.run(keyId, h, receivedAt)
        if (s.firstAnchor.get(h) !== undefined) continue
        added += s.queueAdd.run(h, receivedAt).changes
      }
      return added
    })
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
