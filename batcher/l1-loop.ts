/**
 * The loop every service that talks to L1 runs (the batcher, the bridge's deposit watcher): one
 * step at a time, every `pollIntervalMs`, with failures sorted as docs/ARCHITECTURE.md rule 5 asks.
 * A step throws an `L1Failure('critical', …)` to stop the service loudly (the node keeps
 * serving), anything else is temporary: logged, recorded as `lastError`, retried with exponential
 * backoff up to 30 s. Resets (an L1 reorg) are the step's own business: it notices them on its
 * next run and rewinds.
 *
 * The loop also tracks the L1's health for the services' status (`l1Health()`): whether the L1
 * answered the last step (false after a transport failure: connection refused, timeout), when a
 * step last succeeded, and how many steps failed in a row. An L1 that stays out of reach is not
 * left to the retry lines alone: after `unreachableWarnAfterMs` without a successful step the loop
 * logs a warning, repeated every L1_UNREACHABLE_WARN_EVERY_MS while it lasts (not once per retry),
 * and `downFor()` tells the service's health() to report it not ok until a step succeeds again.
 */
import { BaseError, HttpRequestError, TimeoutError } from 'viem'

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

/**
 * What the L1 services log through: the node's logger (sequencer/log.ts's Logger, declared again
 * here so that batcher/ needs nothing past sequencer's protocol modules). `fields` go beside the
 * message in a JSON line: `event` and the values an operator counts (README "Logs").
 */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  debug(message: string, fields?: Record<string, unknown>): void
}

export type LoopLogger = Pick<Logger, 'info' | 'error' | 'warn'>

/** The L1 as a service's loop last saw it (part of rollup_getBatcherStatus and bridge_getStatus). */
export interface L1Health {
  /** Whether the L1 answered the last step: false after a transport failure (refused, timeout); null before the first step ended. */
  l1Reachable: boolean | null
  /** When a step (every one calls the L1) last succeeded, in ms since the epoch; null if none has yet. */
  l1LastSuccessAt: number | null
  /** Steps that failed in a row since the last success. */
  l1ConsecutiveFailures: number
}

/** While the L1 stays out of reach, the warning is repeated this often (ms), whatever the retry pace. */
export const L1_UNREACHABLE_WARN_EVERY_MS = 60_000

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
  /** After this long without a successful step (ms) the loop warns that the L1 is out of reach (sequencer/config.ts DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS). */
  unreachableWarnAfterMs: number
  /** What stands still while the L1 is away, for the warning ("no batch is posted"). */
  whileDown: string
}

const MAX_BACKOFF_MS = 30_000

export class L1Loop {
  lastError: { message: string; at: number } | null = null
  private running = false
  private done: Promise<void> | undefined
  private wake: (() => void) | undefined
  private failures = 0
  private soon = false
  /** Set by the step: the next one is due this many ms after it (sooner than pollIntervalMs). */
  private dueIn: number | undefined
  private reachable: boolean | null = null
  private lastSuccessAt: number | null = null
  private startedAt = 0
  private lastWarnAt: number | null = null

  constructor(private readonly opts: L1LoopOptions) {}

  get isRunning(): boolean {
    return this.running
  }

  /** The L1's reachability as of the last step. */
  l1Health(): L1Health {
    return { l1Reachable: this.reachable, l1LastSuccessAt: this.lastSuccessAt, l1ConsecutiveFailures: this.failures }
  }

  /**
   * While the last step failed and no step has succeeded for unreachableWarnAfterMs: how long
   * (ms), else null. The services' health() turns not ok then: the L1 is gone, not just slow.
   */
  downFor(): number | null {
    if (this.failures === 0 || !this.running) return null
    const ms = Date.now() - (this.lastSuccessAt ?? this.startedAt)
    return ms >= this.opts.unreachableWarnAfterMs ? ms : null
  }

  /** What a service's health() says while downFor() is not null ("no successful L1 call for 75 s: …"), else null. */
  downDetail(): string | null {
    const down = this.downFor()
    return down === null ? null : `no successful L1 call for ${Math.round(down / 1000)} s: ${this.lastError?.message ?? ''}`
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.startedAt = Date.now()
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

  /**
   * The next step is due `ms` after this one at the latest: something the step is waiting for
   * (a batch's age, a transaction just sent) is expected before the regular poll.
   */
  wakeIn(ms: number): void {
    this.dueIn = Math.max(0, Math.min(ms, this.dueIn ?? ms))
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
      this.dueIn = undefined
      try {
        await this.opts.step()
        if (this.failures > 0) log.info(`${name}: L1 reachable again after ${this.failures} failed attempts`, { event: 'l1_reachable', service: name, failures: this.failures })
        this.failures = 0
        this.reachable = true
        this.lastSuccessAt = Date.now()
        this.lastWarnAt = null
        if (this.soon) delay = 0
        else if (this.dueIn !== undefined) delay = Math.min(delay, this.dueIn)
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
        this.reachable = !isUnreachable(err)
        delay = Math.min(MAX_BACKOFF_MS, pollIntervalMs * 2 ** Math.min(this.failures, 10))
        log.error(`${name}: ${failure.message}; retry ${this.failures} in ${delay} ms`, { event: 'l1_step_failed', service: name, failures: this.failures, retryInMs: delay, reachable: this.reachable, error: failure.message })
        this.warnIfLongDown(failure.message)
      }
      if (this.running) await this.sleep(delay)
    }
  }

  /** The warning once the L1 has been away for unreachableWarnAfterMs, then every L1_UNREACHABLE_WARN_EVERY_MS. */
  private warnIfLongDown(lastError: string): void {
    const now = Date.now()
    const since = this.lastSuccessAt ?? this.startedAt
    if (this.downFor() === null) return
    if (this.lastWarnAt !== null && now - this.lastWarnAt < L1_UNREACHABLE_WARN_EVERY_MS) return
    this.lastWarnAt = now
    const { name, log, whileDown } = this.opts
    const seconds = Math.round((now - since) / 1000)
    const when = this.lastSuccessAt === null ? `since start-up ${seconds} s ago` : `for ${seconds} s (last success ${new Date(this.lastSuccessAt).toISOString()})`
    log.warn(`${name}: no successful L1 call ${when}, ${this.failures} attempts failed (last: ${lastError}); ${whileDown} until the L1 is back: check the L1 endpoint`, {
      event: 'l1_unreachable',
      service: name,
      downForMs: now - since,
      failures: this.failures,
      error: lastError,
    })
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
  // the node's own words (details) matter most: viem's short message for an RPC error code is generic and spans lines
  if (err instanceof BaseError) return `${err.shortMessage.split('\n')[0]} ${(err.details ?? '').split('\n')[0]}`.trim()
  return String((err as Error)?.message ?? err).trim().split('\n')[0]
}

/** A transport failure (nothing answered: connection refused, reset, timeout), as opposed to an L1 that answered with an error. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof L1Failure) return false
  if (err instanceof BaseError) return err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null
  return true
}

export function classifyL1Error(err: unknown): { kind: FailureKind; message: string } {
  if (err instanceof L1Failure) return { kind: err.kind, message: err.message }
  return { kind: 'temporary', message: `L1 request failed: ${l1ErrorText(err)}` }
}
