/**
 * The node's command-line options, in one table shared by `npm run node` (sequencer/main.ts) and
 * `npm start` (scripts/devnet.ts, which accepts every node option it does not manage itself and
 * passes it through). The table gives the parser its options and the usage its lines, so a flag
 * cannot be parsed by one command and missing from the other's help, and each command names
 * itself in its usage. An unknown option fails with the list of valid ones.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_HTTP_HEADERS_TIMEOUT_MS, type NodeConfigInput } from './config.ts'
import { isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type Logger } from './log.ts'

export interface CliOption {
  name: string
  type: 'string' | 'boolean'
  /** The value's placeholder in the usage (`<ms>`); none for a boolean. */
  arg?: string
  help: string
}

export interface CliSection {
  /** Heading line of the section in the usage; '' for none. */
  title: string
  options: CliOption[]
}

const opt = (name: string, arg: string | undefined, help: string): CliOption => ({ name, type: arg === undefined ? 'boolean' : 'string', ...(arg !== undefined && { arg }), help })

/** The node's options, by section (defaults in sequencer/config.ts; the README's Configuration table). */
export const NODE_OPTION_SECTIONS: CliSection[] = [
  {
    title: '',
    options: [
      opt('data-dir', '<dir>', 'sqlite data directory (default ./data/l2)'),
      opt('host', '<host>', 'JSON-RPC host (default 127.0.0.1)'),
      opt('port', '<port>', 'JSON-RPC HTTP+WS port (default 9545; 0 = any free port)'),
      opt('block-time', '<ms>', 'block interval in ms (default 1000)'),
      opt('automine', undefined, 'seal a block as soon as a transaction arrives'),
      opt('genesis', '<file>', 'genesis JSON (default sequencer/chain/genesis.dev.json)'),
      opt('fee-recipient', '<addr>', 'coinbase receiving priority fees'),
      opt('no-dev', undefined, 'no dev accounts in eth_accounts, no eth_sendTransaction'),
      opt('log-level', '<level>', 'silent | error | warn | info | debug (default info)'),
      opt('log-format', '<format>', 'json (one object per line) | pretty (default: pretty on a terminal, else json)'),
      opt('anchor-api-keys', '<k,k>', 'keys accepted by POST /v1/anchors (or env ANCHOR_API_KEYS; dev default: dev-anchor-key)'),
      opt('no-explorer', undefined, 'do not serve the block explorer at GET / (JSON-RPC and the other routes stay)'),
      opt('explorer-l1-rpc', '<url>', "L1 URL the explorer's Verify on L1 button offers (read by the browser; default: --l1-rpc if on loopback)"),
      opt('anchor-round', '<ms>', 'aggregated anchoring: a round collects hashes this long, then its Merkle root is anchored (default 1000)'),
    ],
  },
  {
    title: 'Calls and traces (eth_call, eth_estimateGas, eth_createAccessList, debug_trace*; see README "Limits"):',
    options: [
      opt('call-workers', '<n>', 'worker threads executing them (default: cores - 1, at least 1)'),
      opt('call-timeout', '<ms>', "deadline of one call, like geth's --rpc.evmtimeout (default 5000)"),
      opt('rpc-gas-cap', '<gas>', 'gas cap of eth_call / eth_estimateGas (default 50000000)'),
      opt('batch-gas-cap', '<gas>', 'gas all calls of one JSON-RPC batch may execute (default 100000000)'),
      opt('trace-gas-cap', '<gas>', 'gas cap of debug_traceCall (default 10000000)'),
      opt('trace-max-bytes', '<n>', 'largest debug_trace* result in bytes (default 16777216)'),
    ],
  },
  {
    title: 'Pool and RPC server limits (see README "Limits"):',
    options: [
      opt('pool-min-fee-cap', '<wei>', 'smallest fee cap the pool accepts (default 1000000)'),
      opt('pool-max-bytes', '<n>', 'most bytes of transactions in the pool (default 33554432)'),
      opt('pool-queued-lifetime', '<ms>', 'a queued (nonce-gapped) transaction is dropped this long after it arrived (default 10800000)'),
      opt('no-recovery-thread', undefined, 'recover transaction senders on the main thread (default: a worker thread when there is more than one core)'),
      opt('max-connections', '<n>', 'open HTTP + WebSocket connections (default 5000)'),
      opt('max-response-bytes', '<n>', 'largest JSON-RPC answer, else -32003 (default 10485760)'),
      opt('request-timeout', '<ms>', 'an HTTP request must arrive whole within this (default 30000)'),
    ],
  },
  {
    title: 'L1 (all three to post batches; without them the node runs alone and safe/finalized stay at 0):',
    options: [
      opt('l1-rpc', '<url>', 'L1 JSON-RPC URL'),
      opt('deployments', '<file>', 'deployments file written by npm run deploy:l1'),
      opt('batcher-key', '<0x..>', "key holding RollupAnchor's SEQUENCER_ROLE (or env BATCHER_PRIVATE_KEY)"),
      opt('l1-confirmations', '<n>', 'L1 blocks before a posted block is safe (default 3)'),
      opt('batch-max-bytes', '<n>', 'close a batch (one channel) at this many compressed bytes (default 761712: six blobs)'),
      opt('data-availability', '<mode>', 'blobs | calldata | auto: where batch data goes; auto picks the cheaper at current L1 fees, per channel (default auto)'),
      opt('frame-max-bytes', '<n>', 'largest calldata frame, one per L1 transaction (default 120000)'),
      opt('blob-sidecar', '<0|1>', 'blob transaction form: 0 = one proof per blob (Anvil), 1 = cell proofs (Ethereum since Osaka) (default 0)'),
      opt('batch-max-age', '<ms>', 'close a batch when its oldest block is this old (default 60000)'),
      opt('l1-unreachable-warn', '<ms>', 'warn after this long without a successful L1 call, then once a minute (default 60000)'),
      opt('bridge-confirmations', '<n>', 'L1 blocks a deposit waits before it is included (default 3)'),
    ],
  },
]

export const HELP_OPTION: CliOption = opt('help', undefined, 'print this usage')

/** A command-line mistake: the message says what to do; no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export type CliValues = Record<string, string | boolean | undefined>

/** `usage: <command> [options]` and the sections' options, aligned. */
export function usage(command: string, sections: CliSection[]): string {
  const left = (o: CliOption) => `--${o.name}${o.arg === undefined ? '' : ` ${o.arg}`}`
  const width = Math.max(...sections.flatMap((s) => s.options.map((o) => left(o).length))) + 2
  const lines = [`usage: ${command} [options]`]
  for (const section of sections) {
    if (section.title !== '') lines.push('', ` ${section.title}`)
    for (const o of section.options) lines.push(`  ${left(o).padEnd(width)}${o.help}`)
  }
  lines.push('', `  ${left(HELP_OPTION).padEnd(width)}${HELP_OPTION.help}`)
  return lines.join('\n')
}

/**
 * Parses `args` against the sections' options (and --help/-h). An unknown option, a positional
 * argument or a missing value throws a UsageError listing the valid options.
 */
export function parseCli(args: string[], command: string, sections: CliSection[]): CliValues {
  const all = sections.flatMap((s) => s.options)
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } }
  for (const o of all) options[o.name] = { type: o.type }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as CliValues
  } catch (err) {
    const valid = [...all, HELP_OPTION].map((o) => `--${o.name}`).join(', ')
    const what = (err as Error).message.split('. ')[0].replace(/^Unknown option/, 'unknown option')
    throw new UsageError(`${what}\nvalid options: ${valid}\n(${command} --help describes them)`)
  }
}

const num = (values: CliValues, name: string): number | undefined => (typeof values[name] === 'string' ? Number(values[name]) : undefined)
const big = (values: CliValues, name: string): bigint | undefined => (typeof values[name] === 'string' ? BigInt(values[name] as string) : undefined)
const str = (values: CliValues, name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
/** `{ key: value }` when value is defined, else `{}`: spread into a config section. */
const given = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }))

/**
 * The node configuration the options ask for (L1 and bridge tuning included, but not `l1` itself:
 * see l1TuningFromCli). Options not given are left out, so the defaults of sequencer/config.ts (or
 * a caller's own) apply.
 */
export function nodeInputFromCli(values: CliValues): NodeConfigInput {
  checkLogFlags(values)
  const requestTimeout = num(values, 'request-timeout')
  const input: NodeConfigInput = {
    ...given('dataDir', str(values, 'data-dir')),
    chain: { ...given('genesisPath', str(values, 'genesis')), ...(values['no-dev'] === true && { dev: false }) },
    sequencer: {
      ...given('blockTimeMs', num(values, 'block-time')),
      ...(values.automine === true && { automine: true }),
      ...given('feeRecipient', str(values, 'fee-recipient') as `0x${string}` | undefined),
    },
    pool: {
      ...given('minFeeCap', big(values, 'pool-min-fee-cap')),
      ...given('maxBytes', num(values, 'pool-max-bytes')),
      ...given('queuedLifetimeMs', num(values, 'pool-queued-lifetime')),
      ...(values['no-recovery-thread'] === true && { recoveryThread: false }),
    },
    rpc: {
      ...given('host', str(values, 'host')),
      ...given('port', num(values, 'port')),
      ...given('maxConnections', num(values, 'max-connections')),
      ...given('maxResponseBytes', num(values, 'max-response-bytes')),
      // headers must arrive within the request's time (node requires it)
      ...(requestTimeout !== undefined && { requestTimeoutMs: requestTimeout, headersTimeoutMs: Math.min(requestTimeout, DEFAULT_HTTP_HEADERS_TIMEOUT_MS) }),
      ...given('gasCap', big(values, 'rpc-gas-cap')),
    },
    calls: {
      ...given('workers', num(values, 'call-workers')),
      ...given('timeoutMs', num(values, 'call-timeout')),
      ...given('batchGasCap', big(values, 'batch-gas-cap')),
      ...given('traceGasCap', big(values, 'trace-gas-cap')),
      ...given('traceMaxBytes', num(values, 'trace-max-bytes')),
    },
    explorer: explorerInputFromCli(values),
    ...given('logLevel', str(values, 'log-level') as NodeConfigInput['logLevel']),
    ...given('logFormat', str(values, 'log-format') as NodeConfigInput['logFormat']),
  }
  const bridgeConfirmations = num(values, 'bridge-confirmations')
  if (bridgeConfirmations !== undefined) input.bridge = { confirmations: bridgeConfirmations }
  const apiKeys = str(values, 'anchor-api-keys')
  const roundMs = num(values, 'anchor-round')
  if (apiKeys !== undefined || roundMs !== undefined) input.anchoring = { ...(apiKeys !== undefined && { apiKeys: parseApiKeys(apiKeys) }), ...given('roundMs', roundMs) }
  return input
}

/** --log-level and --log-format, if given, name a level and a format (else a UsageError, not a stack trace). */
export function checkLogFlags(values: CliValues): void {
  const level = str(values, 'log-level')
  if (level !== undefined && !isLogLevel(level)) throw new UsageError(`--log-level takes ${LOG_LEVELS.join(', ')}, got ${level}`)
  const format = str(values, 'log-format')
  if (format !== undefined && !isLogFormat(format)) throw new UsageError(`--log-format takes ${LOG_FORMATS.join(' or ')}, got ${format}`)
}

/** `--no-explorer` and `--explorer-l1-rpc` (shared with the replica's command line). */
export function explorerInputFromCli(values: CliValues): NonNullable<NodeConfigInput['explorer']> {
  return { ...(values['no-explorer'] === true && { enabled: false }), ...given('l1RpcUrl', str(values, 'explorer-l1-rpc')) }
}

/** The L1 tuning options given (confirmations, batch limits, the unreachable warning), without the connection. */
export function l1TuningFromCli(values: CliValues): Partial<NonNullable<NodeConfigInput['l1']>> {
  return {
    ...given('confirmations', num(values, 'l1-confirmations')),
    ...given('maxBatchBytes', num(values, 'batch-max-bytes')),
    ...given('maxFrameBytes', num(values, 'frame-max-bytes')),
    ...given('dataAvailability', str(values, 'data-availability') as 'blobs' | 'calldata' | 'auto' | undefined),
    ...given('blobSidecarVersion', num(values, 'blob-sidecar') as 0 | 1 | undefined),
    ...given('maxBatchAgeMs', num(values, 'batch-max-age')),
    ...given('unreachableWarnAfterMs', num(values, 'l1-unreachable-warn')),
  }
}

/** `a, b` → ['a', 'b'] (blanks dropped). */
export function parseApiKeys(list: string): string[] {
  return list
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
}

/** Keeps a started node running until SIGINT or SIGTERM, then closes it and exits 0 (the node commands' shared ending). */
export function closeOnSignal(node: { close(): Promise<void> }, log: Pick<Logger, 'info'>): void {
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: stopping`, { event: 'stopping', signal })
    await node.close()
    log.info('stopped', { event: 'stopped' })
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/** Runs a command's main: a UsageError prints its message, anything else its stack (with its cause); exit 1. */
export function runCommand(main: () => Promise<void>): void {
  main().catch((err) => {
    if (err instanceof UsageError) console.error(err.message)
    else console.error(err instanceof Error ? (err.cause instanceof Error ? `${err.message}\n${err.cause.stack}` : err.stack) : err)
    process.exit(1)
  })
}
