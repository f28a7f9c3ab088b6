/**
 * The pool's journal: every transaction the pool acknowledged and has not yet seen leave it, with
 * its arrival time, so that a restart (kill -9 included) re-admits it (node.ts `replayJournal`).
 *
 * It has a sqlite file of its own, `<dataDir>/mempool.sqlite`, written by a thread of its own
 * (journal-worker.cjs). In the chain's file its inserts and deletes, keyed by hash and so on
 * random pages, were about a fifth of admission's main-thread CPU (README "Measured figures"),
 * on the thread that also executes blocks. A write resolves once its sqlite transaction
 * is committed, and the pool answers `eth_sendRawTransaction` only then, so an acknowledged hash
 * survives kill -9 as before.
 *
 * The journal is not the chain: nothing here has to commit with a block. A mined transaction's row
 * goes once the block is sealed (TxPool.onBlockSealed); a crash in between leaves the row, and the
 * replay drops it as mined (its nonce is below the sender's). A removal that fails is counted
 * (`stats.removeFailures`) and left to the same replay; a write that fails refuses its
 * transactions (the pool takes them back out).
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ThreadClient, type ThreadReply } from '../threads.ts'
import type { JournalEntry, TxJournal } from './pool.ts'

const WORKER = join(__dirname, 'journal-worker.cjs')

const SCHEMA = /* sql */ `
-- transactions the pool accepted and has not yet seen leave it (arrived_at: unix ms, NULL in rows
-- journaled before the column existed)
CREATE TABLE IF NOT EXISTS journal (
  hash       BLOB PRIMARY KEY,
  raw        BLOB NOT NULL,
  arrived_at INTEGER
) WITHOUT ROWID;
`

/** A journaled transaction as the replay reads it. */
export interface JournalRow {
  hash: Uint8Array
  raw: Uint8Array
  arrivedAt: number | null
}

/** A write's answer; a removal is answered only when it failed, with the rows it left. */
type Reply = ThreadReply & { rows?: number }

/** Bytes before an entry's encoding in packEntries: hash 32, arrival time 8, length 4. */
const ENTRY_HEADER = 44

export class PoolJournal implements TxJournal {
  /** The main thread's connection: the start-up read and the import of an older data dir's rows. */
  private readonly db: Database.Database
  private readonly thread: ThreadClient<Reply>
  private closed = false
  readonly stats = { removeFailures: 0 }

  constructor(readonly path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec(SCHEMA)
    this.thread = new ThreadClient<Reply>(WORKER, { path }, 'the pool journal', (reply) => {
      if (reply.error !== undefined) this.stats.removeFailures += reply.rows ?? 0
    })
  }

  /** Every journaled transaction (start-up, before any write). */
  all(): JournalRow[] {
    return this.db.prepare('SELECT hash, raw, arrived_at AS arrivedAt FROM journal').all() as JournalRow[]
  }

  /**
   * Adds rows journaled elsewhere (an older data dir kept them in the chain's file: Store
   * `legacyJournal`). Idempotent, so an import cut short by a crash is redone whole.
   */
  importRows(rows: JournalRow[]): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO journal (hash, raw, arrived_at) VALUES (?, ?, ?)')
    let count = 0
    this.db.transaction(() => {
      for (const r of rows) count += insert.run(r.hash, r.raw, r.arrivedAt).changes
    })()
    return count
  }

  /** Records `added` and forgets `removed` in one sqlite transaction; resolves once it is committed. */
  async journalWrite(added: JournalEntry[], removed: Uint8Array[]): Promise<void> {
    if (this.closed) throw new Error('the node is stopping')
    const message = { added: packEntries(added), removed: packHashes(removed), answer: true }
    await this.thread.request(message, [message.added.buffer, message.removed.buffer])
  }

  /** Forgets `hashes`, after whatever was sent before; not awaited (see the module's comment on failures). */
  journalRemove(hashes: Uint8Array[]): void {
    if (hashes.length === 0) return
    if (this.closed) {
      this.stats.removeFailures += hashes.length
      return
    }
    const message = { added: new Uint8Array(0), removed: packHashes(hashes), answer: false }
    this.thread.send(message, [message.removed.buffer])
  }

  /**
   * Stops the thread by asking it to close, after what was sent before (written and answered),
   * never by terminate() first (sequencer/threads.ts: it runs better-sqlite3's native addon).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.thread.close()
    this.db.close()
  }
}

/**
 * The entries in one buffer, transferred rather than cloned (a clone of a view copies its whole
 * underlying buffer): per entry its hash (32 bytes), arrival time (float64, unix ms), the length
 * of its encoding (uint32) and the encoding. journal-worker.cjs reads them back.
 */
function packEntries(entries: JournalEntry[]): Uint8Array<ArrayBuffer> {
  let size = 0
  for (const e of entries) size += ENTRY_HEADER + e.raw.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  for (const e of entries) {
    out.set(e.hash, at)
    view.setFloat64(at + 32, e.arrivedAt)
    view.setUint32(at + 40, e.raw.length)
    out.set(e.raw, at + ENTRY_HEADER)
    at += ENTRY_HEADER + e.raw.length
  }
  return out
}

function packHashes(hashes: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hashes.length * 32)
  hashes.forEach((h, i) => out.set(h, i * 32))
  return out
}
