/**
 * Checkpoints for the chain's sqlite file, on a thread of their own.
 *
 * In WAL mode every commit appends the pages it changed to `chain.sqlite-wal`, and a checkpoint
 * copies them back into the database file. SQLite's default runs that checkpoint inside the
 * commit that takes the WAL past 1,000 pages, on the committing connection: the node's main
 * thread, in the middle of sealing a block. Measured under bench-tps's latency load (about 950
 * ETH transfers a block), that put the seal at a median of 44–46 ms against 29–30 ms without it,
 * on every other block or so (README "Measured figures").
 *
 * With a Checkpointer the main connection never checkpoints by itself (`wal_autocheckpoint = 0`);
 * after each block's commit and each service transaction (Store), and every EVERY_MS for writes
 * outside both, it asks this thread, whose own connection runs a PASSIVE checkpoint (it copies
 * what no reader still needs, and never waits for the writer), at most one at a time.
 * `journal_size_limit` truncates the WAL file when the main connection starts it over. If the
 * thread fails, the main connection checkpoints by itself again (SQLite's default), so the WAL
 * never grows without bound. Durability against an OS crash (the batcher's and the validator's
 * `syncToDisk`) does not go through a checkpoint: Store fsyncs the WAL file itself, since a
 * checkpoint on the main connection would answer "busy" while one runs here.
 */
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { ThreadClient, type ThreadReply } from '../threads.ts'

const WORKER = join(__dirname, 'checkpoint-worker.cjs')
/** SQLite's own threshold (pages), restored on the main connection if the thread fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000
/** The WAL file is truncated back to this size (bytes) when it starts over after a checkpoint. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024
/** Besides after each block: this often (ms), for the services' writes outside blocks. */
const EVERY_MS = 2_000

interface CheckpointReply extends ThreadReply {
  busy: number
  log: number
  checkpointed: number
}

export class Checkpointer {
  private readonly thread: ThreadClient<CheckpointReply>
  private inFlight: Promise<void> | undefined
  private again = false
  /** Why checkpoints left the thread (its failure, or close); undefined while they run there. */
  private stopped: Error | undefined
  private readonly timer: NodeJS.Timeout
  /** Checkpoints run and the WAL frames they copied (tests). */
  readonly stats = { checkpoints: 0, framesCopied: 0 }

  constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly onFailure: (err: Error) => void = () => {},
  ) {
    db.pragma('wal_autocheckpoint = 0')
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`)
    this.thread = new ThreadClient<CheckpointReply>(WORKER, { path }, 'the checkpoint thread')
    this.timer = setInterval(() => this.afterCommit(), EVERY_MS).unref()
    // started now, not on the first block: starting a thread takes the main thread tens of ms
    this.afterCommit()
  }

  /** A commit happened: checkpoint soon (one at a time; commits meanwhile get one more after it). */
  afterCommit(): void {
    if (this.stopped !== undefined) return
    if (this.inFlight !== undefined) {
      this.again = true
      return
    }
    this.inFlight = this.run().finally(() => {
      this.inFlight = undefined
      if (this.again && this.stopped === undefined) {
        this.again = false
        this.afterCommit()
      }
    })
  }

  /** Resolves when no checkpoint is in flight (tests, close). */
  async settled(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight
  }

  /** Stops the thread after the checkpoint in flight; the main connection checkpoints by itself from then on. */
  async close(): Promise<void> {
    this.stopped ??= new Error('closed')
    clearInterval(this.timer)
    await this.settled()
    await this.thread.close()
    this.handBack()
  }

  /** The main connection checkpoints by itself again (SQLite's default); no more ticks. */
  private handBack(): void {
    clearInterval(this.timer)
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
  }

  private async run(): Promise<void> {
    try {
      const reply = await this.thread.request({ op: 'checkpoint' })
      this.stats.checkpoints++
      this.stats.framesCopied += Math.max(0, reply.checkpointed)
    } catch (err) {
      this.stopped = err as Error
      this.handBack()
      this.onFailure(err as Error)
    }
  }
}
