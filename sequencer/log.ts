/**
 * The logger of the node's services, its commands and the inference worker: pino (the logger fastify is
 * built on). README "Logs" lists the formats, the levels and the events.
 *
 * - `json` (the default when stdout is not a terminal: `npm run node` under systemd, Docker, a
 *   pipe): one JSON object per line, `{"level":"info","time":"…","pid":…,"hostname":"…",
 *   "name":"node","event":"block_sealed","block":12,…,"msg":"sealed block 12: …"}`.
 * - `pretty` (the devnet, and the default on a terminal): pino-pretty's human line,
 *   `[12:00:01.234] INFO (node): sealed block 12: …`. The fields are left out (the message says the
 *   same in words); an `err` field still prints its stack.
 *
 * A call gives a message and, for the events an operator counts or alerts on, fields named like
 * the metrics of sequencer/metrics.ts and their labels: `log.info('sealed block 12: …', { event:
 * 'block_sealed', block: 12, txs: 1, … })`. Numbers are JSON numbers; wei amounts decimal strings.
 *
 * Debug and info lines go to stdout, warn and error to stderr (as before pino), unless the caller
 * gives one destination for all (tests). Lines are written synchronously, which is pino.destination's
 * default: the node writes a few lines a second at info (one per block, per batch, per L1 event),
 * so a write(2) each costs nothing measurable, and nothing is lost when the process exits or is
 * killed (-9 included) right after a line: no buffer to flush, no pino.final (gone since pino 8).
 */
import { pino, type DestinationStream, type Level, type Logger as Pino, type StreamEntry } from 'pino'
import pretty from 'pino-pretty'

export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const
/** A level shows its own lines and the more severe ones (`warn`: warnings and errors). */
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

/**
 * What a line carries besides its message: `event` names it (README "Logs" lists them), `err` an
 * Error whose message and stack are kept. pino's own keys (level, time, pid, hostname, name, msg)
 * are not fields.
 */
export interface LogFields {
  event?: string
  err?: unknown
  [field: string]: unknown
}

/** A leveled logger; `silent` in tests. */
export interface Logger {
  error(message: string, fields?: LogFields): void
  /** A condition an operator must look at that is not (yet) an error: the L1 out of reach for long. */
  warn(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  debug(message: string, fields?: LogFields): void
}

export interface LoggerOptions {
  /** `json` or `pretty`; default `pretty` when stdout is a terminal, else `json` (defaultLogFormat). */
  format?: LogFormat
  /** Where every line goes (a test's capture); default stdout, with warn and error on stderr. */
  destination?: DestinationStream
}

/** `pretty` on a terminal, `json` anywhere else (a file, a pipe, a log collector). */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY === true ? 'pretty' : 'json'
}

export const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value)
export const isLogFormat = (value: string): value is LogFormat => (LOG_FORMATS as readonly string[]).includes(value)

/** Lines named `scope` (pino's `name`: "node", "worker-1") at `level`. */
export function createLogger(level: LogLevel, scope = 'node', options: LoggerOptions = {}): Logger {
  const format = options.format ?? defaultLogFormat()
  const p = pino(
    {
      level,
      name: scope,
      timestamp: pino.stdTimeFunctions.isoTime,
      // "info" rather than 30: readable by people and by log queries alike
      formatters: { level: (label) => ({ level: label }) },
    },
    level === 'silent' ? SILENT : (options.destination === undefined ? standardStreams(format) : format === 'json' ? options.destination : prettyStream(options.destination)),
  )
  return wrap(p)
}

function wrap(p: Pino): Logger {
  const at = (level: Level) => (message: string, fields?: LogFields) => (fields === undefined ? p[level](message) : p[level](fields, message))
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

/** Nowhere: a silent logger needs no stream. */
const SILENT: DestinationStream = { write: () => undefined }

/** One pair of streams per format for the whole process, shared by its loggers (several nodes in a test process, the devnet's workers). */
const streams = new Map<LogFormat, DestinationStream>()

function standardStreams(format: LogFormat): DestinationStream {
  let s = streams.get(format)
  if (s === undefined) {
    const out = format === 'json' ? pino.destination({ dest: 1, sync: true }) : prettyStream(1)
    const err = format === 'json' ? pino.destination({ dest: 2, sync: true }) : prettyStream(2)
    // dedupe: a line goes to the stream of the highest level it reaches, so warn and error reach stderr only
    const entries: StreamEntry[] = [
      { level: 'debug', stream: out },
      { level: 'warn', stream: err },
    ]
    s = pino.multistream(entries, { dedupe: true })
    streams.set(format, s)
  }
  return s
}

function prettyStream(destination: number | DestinationStream): DestinationStream {
  const tty = typeof destination === 'number' && (destination === 1 ? process.stdout : process.stderr).isTTY === true
  return pretty({
    destination: destination as never,
    sync: true,
    colorize: tty,
    translateTime: 'SYS:HH:MM:ss.l',
    // the message says in words what the fields say; an error's stack is kept
    include: 'level,time,name,msg,err',
  })
}
