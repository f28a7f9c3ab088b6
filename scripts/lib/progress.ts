/**
 * Progress of long work people start by hand (rebuilding from L1, registering models, the
 * benchmarks), on stderr so that stdout keeps the results:
 *
 *   sent 6,000/10,000 (3.1 s)
 *
 * `update()` is cheap enough to call for every unit of work: it prints only when the last line is
 * old enough. On a terminal the line is rewritten in place (`\r`) at most every TTY_EVERY_MS; in
 * a file or CI log a new line at most every LINE_EVERY_MS, so a short run prints nothing until
 * `done()`, which always prints the final count and time as a line of its own. `quiet` prints
 * nothing at all (a script's --json output, a test).
 */
import { performance } from 'node:perf_hooks'

/** A terminal's line is redrawn at most this often (ms). */
export const TTY_EVERY_MS = 100
/** Anywhere else, a new line at most this often (ms). */
export const LINE_EVERY_MS = 5_000

/** Where the lines go: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean
  write(text: string): unknown
}

export interface ProgressOptions {
  /** How many units make the whole (`6,000/10,000`); without it only the count is shown. */
  total?: number
  /** Print nothing. */
  quiet?: boolean
  /** Default process.stderr. */
  stream?: ProgressStream
  /** The clock in ms (tests); default performance.now. */
  now?: () => number
}

export interface Progress {
  /**
   * `done` units so far, and optionally what else to say (`"3 batches"`); printed if it is time.
   * Without a count (undefined, never given) the line is the label, the detail and the time.
   */
  update(done: number | undefined, detail?: string): void
  /** The final line, always (unless quiet): the last count, or `done` if given, and the time taken. */
  done(done?: number, detail?: string): void
}

/** A progress line labelled `label` ("sent", "rebuilt blocks"), its clock started now. */
export function progress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? (() => performance.now())
  const tty = stream.isTTY === true
  const every = tty ? TTY_EVERY_MS : LINE_EVERY_MS
  const started = now()
  let printedAt = started
  let count: number | undefined
  let said: string | undefined
  let finished = false
  const line = () => {
    const of = options.total === undefined ? '' : `/${options.total.toLocaleString('en-US')}`
    const counted = count === undefined ? '' : ` ${count.toLocaleString('en-US')}${of}`
    return `${label}${counted}${said === undefined ? '' : `, ${said}`} (${formatSeconds((now() - started) / 1000)})`
  }
  return {
    update(done, detail) {
      if (done !== undefined) count = done
      if (detail !== undefined) said = detail
      if (options.quiet === true || finished) return
      const t = now()
      if (t - printedAt < every) return
      printedAt = t
      stream.write(tty ? `\r${line()}\x1b[K` : `${line()}\n`)
    },
    done(done, detail) {
      if (done !== undefined) count = done
      if (detail !== undefined) said = detail
      if (options.quiet === true || finished) return
      finished = true
      // on a terminal: over the line drawn last, and ended
      stream.write(tty ? `\r${line()}\x1b[K\n` : `${line()}\n`)
    },
  }
}

/** `0.4 s`, `3.1 s`, `2 min 05 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`
}
