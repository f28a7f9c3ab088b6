/**
 * The sequencer's driver loop: every `blockTimeMs` (or, with automine, as soon as a transaction
 * arrives) it asks the builder for a block if the pool has something executable. One build at a
 * time; timestamps are max(wall clock, parent + 1) seconds, so they strictly increase even with
 * sub-second block times (which then run ahead of the clock while blocks keep coming).
 */
import type { BlockBuilder, BlockTx, CandidateSource, SealedBlock } from './builder.ts'
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

export class SequencerDriver<T extends BlockTx> {
  private timer: NodeJS.Timeout | undefined
  private building: Promise<void> | undefined
  private again = false
  private stopped = true
  /** Why block production stopped for good (halt); undefined while it may run. */
  private haltReason: string | undefined

  readonly name = 'sequencer'

  constructor(private readonly opts: DriverOptions<T>) {}

  start(): void {
    if (this.haltReason !== undefined) return
    this.stopped = false
    if (!this.opts.automine) this.schedule()
  }

  /** A transaction arrived: with automine, build right away. */
  poke(): void {
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
    this.timer = setTimeout(() => {
      const started = performance.now()
      void this.tick().finally(() => this.schedule(Math.max(started + this.opts.blockTimeMs, performance.now())))
    }, Math.max(0, due - performance.now()))
  }

  private tick(): Promise<void> {
    if (this.building !== undefined) {
      this.again = true // a transaction arrived mid-build: run once more after it
      return this.building
    }
    this.building = this.buildWhileWork().finally(() => {
      this.building = undefined
    })
    return this.building
  }

  private async buildWhileWork(): Promise<void> {
    for (;;) {
      this.again = false
      const sealed = await this.buildOnce()
      if (!this.opts.automine || this.stopped) return
      if (this.again) continue
      // system work left over (a queue longer than one block takes) goes on at once, unless the
      // build failed: then the next arrival or tick retries, not a tight loop
      if (sealed === undefined || !this.opts.builder.hasSystemWork()) return
    }
  }

  /** Builds one block if anything is executable. Errors are logged; the next tick retries. */
  async buildOnce(): Promise<SealedBlock<T> | undefined> {
    const { chain, pool, builder, log } = this.opts
    const parent = chain.head().header
    const baseFee = parent.calcNextBaseFee()
    if (!pool.hasExecutable(baseFee) && !builder.hasSystemWork()) return undefined
    const now = BigInt(Math.floor(Date.now() / 1000))
    const timestamp = now > parent.timestamp ? now : parent.timestamp + 1n
    try {
      const started = performance.now()
      const { sealed, invalid, systemErrors } = await builder.build(pool.candidates(baseFee), timestamp)
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
      return sealed
    } catch (err) {
      log.error(`block production failed: ${err instanceof Error ? err.message : String(err)}`, { event: 'block_failed', err })
      return undefined
    }
  }
}
