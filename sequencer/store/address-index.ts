/**
 * The explorer's address index: which mined transactions touch an address (as sender, recipient
 * or created contract), newest first, a page at a time (sequencer/rpc/explorer.ts).
 *
 * It has a sqlite file and a writer thread of its own (address-index-worker.cjs), which follows
 * the chain file on a read-only connection: it is derived from the `txs` table, never written in a
 * block's commit. In the block's own sqlite transaction it cost about 3 µs per transaction on a
 * fresh chain, and it grew with the chain: each transaction lands on the index's B-tree at its
 * addresses' places, so a block touches as many pages as it has distinct addresses, all appended
 * to the WAL whole (README "Measured figures": with it, the commit of a transaction took 59 µs at
 * 150–200k transactions in the chain, 18 µs without). Here it costs the main thread one message
 * per block.
 *
 * The index trails the chain by the thread's turn (milliseconds). `caughtUp` waits for a head,
 * which the explorer does before it answers, so a page shows the blocks the chain already had.
 * After a crash the thread catches up from its cursor; a rewind takes the rewound blocks out (the
 * node tells it, in order with the heads); a chain file behind the index (one that lost its last
 * blocks) is met by trimming the index to it. A data directory from before this file gets its
 * whole history indexed on the thread, in chunks, while the node runs.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { ThreadClient, type ThreadReply } from '../threads.ts'
import type { TxPlace } from './store.ts'

const WORKER = join(__dirname, 'address-index-worker.cjs')

const SCHEMA = /* sql */ `
CREATE TABLE IF NOT EXISTS address_txs (
  address      BLOB NOT NULL,
  block_number INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  PRIMARY KEY (address, block_number, tx_index)
) WITHOUT ROWID;
-- indexed_through: the last block whose transactions are in address_txs
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`

type Reply = ThreadReply & { indexedThrough?: number }

export class AddressIndex {
  /** The main thread's connection: the schema, and the explorer's reads (WAL: it reads while the thread writes). */
  private readonly db: Database.Database
  private readonly stmts
  private readonly thread: ThreadClient<Reply>
  private reached: number
  /** caughtUp calls waiting for a block. */
  private waiters: { head: number; resolve: (ok: boolean) => void }[] = []
  private closed = false

  /** `path`: the index's file; `chainPath`: the chain's (sequencer/store/store.ts), which the thread reads. */
  constructor(
    readonly path: string,
    chainPath: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.exec(SCHEMA)
    this.stmts = {
      cursor: this.db.prepare("SELECT value FROM meta WHERE key = 'indexed_through'").pluck(),
      page: this.db.prepare(`SELECT block_number AS blockNumber, tx_index AS txIndex FROM address_txs
        WHERE address = ? AND (block_number < ? OR (block_number = ? AND tx_index < ?))
        ORDER BY block_number DESC, tx_index DESC LIMIT ?`),
    }
    this.reached = Number(this.stmts.cursor.get() ?? -1)
    this.thread = new ThreadClient<Reply>(WORKER, { path, chainPath }, 'the address index')
  }

  /** The chain's head is now block `head` (sealed, imported, or the head at start): index up to it. */
  follow(head: number): void {
    if (this.closed) return
    this.thread.request({ op: 'follow', head }).then(
      (reply) => this.advance(reply.indexedThrough!),
      (err: Error) => this.onError(err),
    )
  }

  /** Blocks after `number` left the chain: their rows go (before the blocks that replace them are followed). */
  async rewindTo(number: number): Promise<void> {
    if (this.closed) return
    const reply = await this.thread.request({ op: 'rewind', number })
    this.reached = reply.indexedThrough!
  }

  /** The last block in the index (-1 before the first). */
  indexedThrough(): number {
    return this.reached
  }

  /** Resolves true once the index holds block `head`, false if it has not after `timeoutMs`. */
  caughtUp(head: number, timeoutMs: number): Promise<boolean> {
    if (this.reached >= head) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const waiter = { head, resolve: (ok: boolean) => (clearTimeout(timer), resolve(ok)) }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        resolve(false)
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  /**
   * The newest transactions that touch `address` before the position `before` (exclusive), newest
   * first, at most `limit`: what the index holds (see indexedThrough).
   */
  getAddressTxs(address: Uint8Array, before: TxPlace, limit: number): TxPlace[] {
    return this.stmts.page.all(address, before.blockNumber, before.blockNumber, before.txIndex, limit) as TxPlace[]
  }

  /** Stops the thread after what was posted before (sequencer/threads.ts), never by terminate(). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.thread.close()
    for (const w of this.waiters.splice(0)) w.resolve(false)
    this.db.close()
  }

  private advance(indexedThrough: number): void {
    this.reached = indexedThrough
    this.waiters = this.waiters.filter((w) => w.head > indexedThrough || void w.resolve(true))
  }
}
