/**
 * The sequencer's driver loop: every `blockTimeMs` (or, with automine, as soon as a transaction
 * arrives) it asks the builder for a block if the pool has something executable. One build at a
 * time; timestamps are max(wall clock, parent + 1) seconds, so they strictly increase even with
 * sub-second block times (which then run ahead of the clock while blocks keep coming).
 *
 * Under load a block opens before its tick: when the last block took at least BUSY_EXECUTE_MS to
 * execute, the next one starts about that long (× LEAD_FACTOR, at most half a block time) before
 * its tick with what the pool holds, best tip first, takes in what arrives until the tick as it
 * comes, and seals at the tick. Its transactions no longer wait for the whole block to execute
 * after the tick, which is most of a transaction's latency beyond the tick itself (README
 * "Measured figures"). Its system transactions are those due when it opened; later ones go in
 * the next block. An idle or lightly loaded node builds at the tick, as before.
 */
import type { BlockBuilder, BlockTx, CandidateSource, OpenBlock, SealedBlock } from './builder.ts'
import type { Chain } from '../chain/chain.ts'
import type { Logger } from '../log.ts'

/** The pool as the driver sees it. */
export interface CandidatePool<T extends BlockTx> {
  hasExecutable(baseFee: bigint): boolean
  candidates(baseFee: bigint): CandidateSource<T>
  onBlockSealed(mined: T[], invalid: T[]): void
}

export interface DriverOptions<T extends BlockTx> {
  builder: BlockBuilder
  pool: CandidatePool<T>
  chain: Chain
  blockTimeMs: number
  automine: boolean
  log: Logger
  onSealed: (block: SealedBlock<T>) => void
}

/** A block that executed this long (ms) makes the next one open before its tick. */
const BUSY_EXECUTE_MS = 50
/** How much earlier than the last block's execution time the next block opens. */
const LEAD_FACTOR = 1.25
/**
 * An open block takes arrivals in at most this often: the ones of a few milliseconds together,
 * best tip first, and the pool's cursor refreshed (a pass over its senders) once per batch, not
 * once per transaction.
 */
const ARRIVALS_EVERY_MS = 20

export class SequencerDriver<T extends BlockTx> {
  private timer: NodeJS.Timeout | undefined
  private building: Promise<void> | undefined
  private again = false
  private stopped = true
  /** How long before its tick the next block opens (0: at the tick). */
  private leadMs = 0
  /** Wakes an open block waiting for transactions. */
  private arrived: (() => void) | undefined
  /** Why block production stopped for good (halt); undefined while it may run. */
  private haltReason: string | undefined

  readonly name = 'sequencer'

  constructor(private readonly opts: DriverOptions<T>) {}

  start(): void {
    if (this.haltReason !== undefined) return
    this.stopped = false
    if (!this.opts.automine) this.schedule()
  }

  /** A transaction arrived: an open block takes it in; with automine, build right away. */
  poke(): void {
    this.arrived?.()
    if (this.opts.automine && !this.stopped) void this.tick()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    await this.building
  }

  /**
   * Stops block production for good, with a reason every health check repeats (L1 deleted this
   * sequencer's batches: its chain is not the rollup's). The node keeps serving reads.
   */
  halt(reason: string): void {
    this.haltReason = reason
    this.opts.log.error(`sequencer halted: ${reason}`, { event: 'sequencer_halted', reason })
    void this.stop()
  }

  get halted(): string | undefined {
    return this.haltReason
  }

  health(): { name: string; ok: boolean; detail: string } {
    if (this.haltReason !== undefined) return { name: this.name, ok: false, detail: `halted at head ${this.opts.chain.headNumber}: ${this.haltReason}` }
    return { name: this.name, ok: !this.stopped, detail: `head ${this.opts.chain.headNumber}${this.opts.automine ? ', automine' : `, every ${this.opts.blockTimeMs} ms`}` }
  }

  /**
   * Ticks on a fixed cadence: the next block is due `blockTimeMs` after the previous one
   * started, not after it finished, so a block that takes long to build does not stretch the
   * interval (if it took longer than the interval, the next starts at once).
   */
  private schedule(due = performance.now() + this.opts.blockTimeMs): void {
    if (this.stopped) return
    const lead = this.leadMs
    this.timer = setTimeout(() => {
      const tick = Math.max(due, performance.now())
      void this.tick(lead > 0 ? tick : undefined).finally(() => this.schedule(Math.max(tick + this.opts.blockTimeMs, performance.now())))
    }, Math.max(0, due - lead - performance.now()))
  }

  /** `openUntil`: the tick (performance.now() ms) of a block opened before it. */
  private tick(openUntil?: number): Promise<void> {
    if (this.building !== undefined) {
      this.again = true // a transaction arrived mid-build: run once more after it
      return this.building
    }
    this.building = this.buildWhileWork(openUntil).finally(() => {
      this.building = undefined
    })
    return this.building
  }

  private async buildWhileWork(openUntil?: number): Promise<void> {
    for (;;) {
      this.again = false
      const sealed = await this.buildOnce(openUntil)
      openUntil = undefined
      if (!this.opts.automine || this.stopped) return
      if (this.again) continue
      // system work left over (a queue longer than one block takes) goes on at once, unless the
      // build failed: then the next arrival or tick retries, not a tight loop
      if (sealed === undefined || !this.opts.builder.hasSystemWork()) return
    }
  }

  /**
   * Builds one block if anything is executable; `openUntil` (a tick, performance.now() ms) keeps
   * it open until then. Errors are logged; the next tick retries.
   */
  async buildOnce(openUntil?: number): Promise<SealedBlock<T> | undefined> {
    const { chain, pool, builder, log } = this.opts
    if (openUntil !== undefined && !this.hasWork()) {
      // nothing to start early with: build at the tick, as an idle node does
      const tick = openUntil
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, tick - performance.now())))
      openUntil = undefined
    }
    if (!this.hasWork()) {
      this.leadMs = 0
      return undefined
    }
    const parent = chain.head().header
    const baseFee = parent.calcNextBaseFee()
    // the block's time is its tick's, whenever it opens
    const now = BigInt(Math.floor((Date.now() + Math.max(0, (openUntil ?? 0) - performance.now())) / 1000))
    const timestamp = now > parent.timestamp ? now : parent.timestamp + 1n
    const open: OpenBlock | undefined = openUntil === undefined ? undefined : { until: openUntil, waitForMore: (ms) => this.waitForArrival(ms) }
    try {
      const started = performance.now()
      const { sealed, invalid, systemErrors } = await builder.build(pool.candidates(baseFee), timestamp, undefined, open)
      for (const message of systemErrors) log.error(message, { event: 'system_tx_failed' })
      pool.onBlockSealed(sealed?.included ?? [], invalid)
      if (sealed !== undefined) {
        // one INFO line per block, so that `npm start` shows the chain moving (tests log at 'silent');
        // its fields are those of the block metrics (airollup_block_transactions, _block_gas_used)
        const txs = sealed.row.txCount
        const ms = Math.round(performance.now() - started)
        log.info(`sealed block ${sealed.row.number}: ${txs} ${txs === 1 ? 'transaction' : 'transactions'}, ${sealed.header.gasUsed} gas, built in ${ms} ms`, {
          event: 'block_sealed',
          block: sealed.row.number,
          txs,
          systemTxs: sealed.system.length,
          gasUsed: Number(sealed.header.gasUsed),
          ms,
          ...sealed.timings,
        })
        this.opts.onSealed(sealed)
      }
      const busy = !this.opts.automine && sealed !== undefined && sealed.timings.executeMs >= BUSY_EXECUTE_MS
      this.leadMs = busy ? Math.min(Math.floor(this.opts.blockTimeMs / 2), Math.round(sealed.timings.executeMs * LEAD_FACTOR)) : 0
      return sealed
    } catch (err) {
      this.leadMs = 0
      log.error(`block production failed: ${err instanceof Error ? err.message : String(err)}`, { event: 'block_failed', err })
      return undefined
    }
  }

  private hasWork(): boolean {
    const { chain, pool, builder } = this.opts
    return pool.hasExecutable(chain.head().header.calcNextBaseFee()) || builder.hasSystemWork()
  }

  /** Resolves ARRIVALS_EVERY_MS after a transaction arrives (poke), or after `ms`, whichever is first. */
  private waitForArrival(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer = setTimeout(() => done(), ms)
      const done = () => {
        clearTimeout(timer)
        if (this.arrived === arrival) this.arrived = undefined
        resolve()
      }
      const arrival = () => {
        this.arrived = undefined // later arrivals ride along with this one
        clearTimeout(timer)
        timer = setTimeout(done, Math.min(ARRIVALS_EVERY_MS, Math.max(0, ms - (performance.now() - waitStart))))
      }
      const waitStart = performance.now()
      this.arrived = arrival
    })
  }
}
