/**
 * The loop every service that talks to L1 runs (the batcher, the bridge's deposit watcher): one
 * step at a time, every `pollIntervalMs`, with failures sorted as docs/ARCHITECTURE.md rule 5 asks.
 * A step throws an `L1Failure('critical', …)` to stop the service loudly (the node keeps
 * serving), anything else is temporary: logged, recorded as `lastError`, retried with exponential
 * backoff up to 30 s. Resets (an L1 reorg) are the step's own business: it notices them on its
 * next run and rewinds.
 */
import { BaseError } from 'viem'

export type FailureKind = 'temporary' | 'critical'

/** A failure a step classifies itself (anything else it throws counts as temporary). */
export class L1Failure extends Error {
  override readonly name = 'L1Failure'
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** What the L1 services log through (the node's logger). */
export interface Logger {
  info(msg: string): void
  error(msg: string): void
  debug(msg: string): void
}

export type LoopLogger = Pick<Logger, 'info' | 'error'>

export interface L1LoopOptions {
  /** Prefix of the log lines ("batcher", "bridge"). */
  name: string
  pollIntervalMs: number
  log: LoopLogger
  step(): Promise<void>
  /** Called once when a critical failure stops the loop. */
  onCritical(message: string): void
  /** An error that ends the loop at once, without a word (a test's simulated crash). */
  isAbort?(err: unknown): boolean
}

const MAX_BACKOFF_MS = 30_000

export class L1Loop {
  lastError: { message: string; at: number } | null = null
  private running = false
  private done: Promise<void> | undefined
  private wake: (() => void) | undefined
  private failures = 0
  private soon = false

  constructor(private readonly opts: L1LoopOptions) {}

  get isRunning(): boolean {
    return this.running
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.done = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.wake?.()
    await this.done
  }

  /** The next step is due at once (the current one made progress that may allow more). */
  hurry(): void {
    this.soon = true
    this.wake?.()
  }

  /** Records an error that did not fail the step (a reverted transaction the step dealt with). */
  noteError(message: string): void {
    this.lastError = { message, at: Date.now() }
  }

  private async run(): Promise<void> {
    const { name, log, pollIntervalMs } = this.opts
    while (this.running) {
      let delay = pollIntervalMs
      this.soon = false
      try {
        await this.opts.step()
        if (this.failures > 0) log.info(`${name}: L1 reachable again after ${this.failures} failed attempts`)
        this.failures = 0
        if (this.soon) delay = 0
      } catch (err) {
        if (this.opts.isAbort?.(err) === true) {
          this.running = false
          return
        }
        const failure = classifyL1Error(err)
        this.noteError(failure.message)
        if (failure.kind === 'critical') {
          this.running = false
          this.opts.onCritical(failure.message)
          return
        }
        this.failures++
        delay = Math.min(MAX_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(this.failures, 10))
        log.error(`${name}: ${failure.message}; retry ${this.failures} in ${delay} ms`)
      }
      if (this.running) await this.sleep(delay)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
    })
  }
}

/** One line for any error from an L1 call: viem's short message and details, never its dump. */
export function l1ErrorText(err: unknown): string {
  const text = err instanceof BaseError ? `${err.shortMessage} ${err.details ?? ''}` : String((err as Error)?.message ?? err)
  return text.trim().split('\n')[0]
}

export function classifyL1Error(err: unknown): { kind: FailureKind; message: string } {
  if (err instanceof L1Failure) return { kind: err.kind, message: err.message }
  return { kind: 'temporary', message: `L1 request failed: ${l1ErrorText(err)}` }
}
