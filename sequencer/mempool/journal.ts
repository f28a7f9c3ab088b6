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
import { Worker } from 'node:worker_threads'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { closeThread } from '../threads.ts'
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
type Reply = { id: number; error?: string; rows?: number }

/** Bytes before an entry's encoding in packEntries: hash 32, arrival time 8, length 4. */
const ENTRY_HEADER = 44

export class PoolJournal implements TxJournal {
  /** The main thread's connection: the start-up read and the import of an older data dir's rows. */
  private readonly db: Database.Database
  private worker: Worker | undefined
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>()
  private closed = false
  readonly stats = { removeFailures: 0 }

  constructor(readonly path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec(SCHEMA)
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
  journalWrite(added: JournalEntry[], removed: Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the node is stopping'))
    const worker = this.worker ?? this.spawn()
    const id = this.nextId++
    worker.ref() // a write in flight keeps the process alive until it is answered
    const message = { id, added: packEntries(added), removed: packHashes(removed), answer: true }
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      worker.postMessage(message, [message.added.buffer, message.removed.buffer])
    })
  }

  /** Forgets `hashes`, after whatever was sent before; not awaited (see the module's comment on failures). */
  journalRemove(hashes: Uint8Array[]): void {
    if (hashes.length === 0) return
    if (this.closed) {
      this.stats.removeFailures += hashes.length
      return
    }
    const message = { id: this.nextId++, added: new Uint8Array(0), removed: packHashes(hashes), answer: false }
    ;(this.worker ?? this.spawn()).postMessage(message, [message.removed.buffer])
  }

  /**
   * Stops the thread by asking it to close, after what was sent before (written and answered),
   * never by terminate() first (sequencer/threads.ts: it runs better-sqlite3's native addon).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.worker !== undefined) await closeThread(this.worker)
    this.db.close()
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, { workerData: { path: this.path } })
    worker.unref() // an idle journal thread keeps no process alive
    worker.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id)
      if (waiter === undefined) {
        if (reply.error !== undefined) this.stats.removeFailures += reply.rows ?? 0
        return
      }
      this.waiting.delete(reply.id)
      if (this.waiting.size === 0) worker.unref()
      if (reply.error !== undefined) waiter.reject(new Error(`the pool journal: ${reply.error}`))
      else waiter.resolve()
    })
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined
      for (const waiter of this.waiting.values()) waiter.reject(err)
      this.waiting.clear()
    }
    worker.on('error', (err) => lost(new Error(`the pool journal thread failed: ${err.message}`)))
    worker.on('exit', (code) => lost(new Error(`the pool journal thread exited (code ${code})`)))
    this.worker = worker
    return worker
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
