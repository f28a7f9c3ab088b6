/**
 * The index of every hash accepted in aggregate mode (rounds.ts): hash → the request that added
 * it, which tells a submission which of its hashes are new and a lookup which round holds one.
 *
 * It has a sqlite file and a writer thread of its own (hash-index-worker.cjs). Each request's
 * hashes land on random pages of the index's B-tree, and a transaction writes every page it
 * touched to the WAL whole: in the node's file that was about half of the main thread's work at
 * 100,000 hashes a second, and tens of MB of WAL for the batcher's checkpoints to copy, which
 * stalled JSON-RPC (README "Measured figures"). Here it runs beside the main thread, and its WAL
 * is checkpointed by its own connection.
 *
 * Consistency with the node's file, where each request's row is written after its claim here:
 * each claim also journals its hashes (one blob, appended) in the same transaction, and request
 * numbers only grow, so after a crash between the two commits the journaled requests beyond the
 * last row the node's file holds are the ones it never recorded: `recover` takes their entries
 * out before anything else runs. A request's journal entry is deleted once every request up to it
 * is settled (recorded, or failed). A claim or row write that fails while the node runs cannot be
 * told apart so cleanly (later requests may be recorded), so the aggregation refuses submissions
 * from then on until a restart recovers (rounds.ts).
 */
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ThreadClient, type ThreadReply } from '../threads.ts'

const WORKER = join(__dirname, 'hash-index-worker.cjs')

const SCHEMA = /* sql */ `
CREATE TABLE IF NOT EXISTS aggregated (
  hash    BLOB PRIMARY KEY,
  request INTEGER NOT NULL
) WITHOUT ROWID;
-- each claim's hashes, until every request up to it is settled in the node's file (recover())
CREATE TABLE IF NOT EXISTS claims (
  request INTEGER PRIMARY KEY,
  hashes  BLOB NOT NULL
);
`

/** The writer thread's page cache: the index's hot pages (an entry is about 40 bytes). */
const WRITER_CACHE_KIB = 65_536
/** The writer's WAL is checkpointed past this many 4 kB pages (256 MB): see hash-index-worker.cjs. */
const CHECKPOINT_PAGES = 65_536

type Reply = ThreadReply & { fresh?: Uint8Array }

export class HashIndex {
  /** The main thread's connection: recovery, migration, lookups (WAL: it reads while the thread writes). */
  private readonly db: Database.Database
  private readonly stmts
  private readonly thread: ThreadClient<Reply>
  private closed = false

  constructor(readonly path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('cache_size = -16384')
    this.db.exec(SCHEMA)
    this.stmts = {
      requestOf: this.db.prepare('SELECT request FROM aggregated WHERE hash = ?').pluck(),
    }
    this.thread = new ThreadClient<Reply>(WORKER, { path, cacheKiB: WRITER_CACHE_KIB, checkpointPages: CHECKPOINT_PAGES }, 'the aggregated-hash index')
  }

  /**
   * Before any claim: takes out the entries of the requests after `lastRecorded`, the last request
   * the node's file holds (claimed here, then the process died before its row was committed
   * there), and forgets every journaled claim. Returns how many entries were taken out.
   */
  recover(lastRecorded: number): number {
    const d = this.db
    const drop = d.prepare('DELETE FROM aggregated WHERE hash = ? AND request = ?')
    let dropped = 0
    d.transaction(() => {
      for (const { request, hashes } of d.prepare('SELECT request, hashes FROM claims WHERE request > ?').all(lastRecorded) as { request: number; hashes: Buffer }[]) {
        for (let at = 0; at < hashes.length; at += 32) dropped += drop.run(hashes.subarray(at, at + 32), request).changes
      }
      d.prepare('DELETE FROM claims').run()
    })()
    return dropped
  }

  /**
   * Moves entries from the node's file into this one (a data directory from before the index had
   * its own file): `rows` yields [hash, request]. Idempotent, so a crash midway is redone whole.
   */
  importRows(rows: Iterable<[Uint8Array, number]>): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO aggregated (hash, request) VALUES (?, ?)')
    let count = 0
    this.db.transaction(() => {
      for (const [hash, request] of rows) count += insert.run(hash, request).changes
    })()
    return count
  }

  /**
   * Records `values` (n × 32 bytes) as request `seq`'s, in one transaction on the writer thread:
   * durable when the promise resolves. Entry i of the answer is 1 for a hash new to the index, 0
   * for one it held already (that hash keeps its first request). `settledBelow`: every request
   * before it is recorded in the node's file or failed (their journal entries go).
   */
  async claim(values: Uint8Array, seq: number, settledBelow: number): Promise<Uint8Array> {
    if (this.closed) throw new Error('the node is stopping')
    return (await this.thread.request({ op: 'claim', values, seq, settledBelow })).fresh!
  }

  /** The request that added `hash`, if any. */
  requestOf(hash: Uint8Array): number | undefined {
    return this.stmts.requestOf.get(hash) as number | undefined
  }

  /**
   * Stops the thread by asking it to close, after the claims sent before (they are answered),
   * never by terminate() first (sequencer/threads.ts: it runs better-sqlite3's native addon).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.thread.close()
    this.db.close()
  }
}
