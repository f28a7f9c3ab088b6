/**
 * Command line of a resource node: `npm run worker -- --key <0x..> --l2-rpc <url> [--l2-ws <url>]
 * [--models <id,…>] [--stake <eth>] [--price <wei>] [--data-dir data/worker] [--model-cache <dir>]`
 * (`--help` lists every option). Stakes on the InferenceCoordinator if asked, serves the
 * off-chain models it can run and answers the requests assigned to it (worker/,
 * docs/OFFCHAIN_INFERENCE.md "Worker process", README "Running an inference worker"). Stops
 * cleanly on SIGINT/SIGTERM.
 */
import { parseEther, type Address, type Hex } from 'viem'
import { DEFAULT_WORKER_DATA_DIR, DEFAULT_WORKER_L2_RPC, DEFAULT_WORKER_PRICE_WEI, startWorker, WORKER_DEFAULTS } from '../worker/index.ts'
import { checkLogFlags, closeOnSignal, parseCli, runCommand, usage, UsageError, type CliOption, type CliSection } from './cli.ts'
import { createLogger, defaultLogFormat, type LogFormat, type LogLevel } from './log.ts'

const COMMAND = 'npm run worker --'

const opt = (name: string, arg: string | undefined, help: string): CliOption => ({ name, type: arg === undefined ? 'boolean' : 'string', ...(arg !== undefined && { arg }), help })

export const WORKER_OPTION_SECTIONS: CliSection[] = [
  {
    title: '',
    options: [
      opt('key', '<0x..>', 'L2 key of the node (required; or env WORKER_PRIVATE_KEY): stakes, serves, commits, reveals, is paid'),
      opt('l2-rpc', '<url>', `L2 JSON-RPC URL (default ${DEFAULT_WORKER_L2_RPC})`),
      opt('l2-ws', '<url>', 'L2 WebSocket URL for the coordinator\'s logs (default: the RPC URL as ws://)'),
      opt('models', '<id,…>', 'serve only these off-chain model ids (default: every off-chain model in ModelRegistry with known formats)'),
      opt('stake', '<eth>', 'stake up to this much ETH on start when the stake is below it (at least MIN_STAKE, 1 ETH, to be assigned)'),
      opt('price', '<wei>', `price per request of every model served (default ${DEFAULT_WORKER_PRICE_WEI})`),
      opt('data-dir', '<dir>', `its sqlite store, worker.sqlite (default ./${DEFAULT_WORKER_DATA_DIR})`),
      opt('model-cache', '<dir>', 'where fetched models are kept by id (default <data-dir>/models)'),
      opt('log-level', '<level>', 'silent | error | warn | info | debug (default info)'),
      opt('log-format', '<format>', 'json (one object per line) | pretty (default: pretty on a terminal, else json)'),
    ],
  },
  {
    title: 'Tuning:',
    options: [
      opt('coordinator', '<addr>', 'InferenceCoordinator address (default the predeploy 0x4200…0400)'),
      opt('poll', '<ms>', `how often the chain is read without a WebSocket nudge (default ${WORKER_DEFAULTS.pollIntervalMs})`),
      opt('logs-range', '<blocks>', `widest eth_getLogs range of the catch-up (default ${WORKER_DEFAULTS.logsBlockRange})`),
      opt('model-refresh', '<ms>', `how often the registry is read for new models (default ${WORKER_DEFAULTS.modelRefreshMs})`),
      opt('fetch-timeout', '<ms>', `a model download must finish within this (default ${WORKER_DEFAULTS.fetchTimeoutMs})`),
      opt('max-queued-runs', '<n>', `model runs waiting for the inference thread, at most (default ${WORKER_DEFAULTS.maxQueuedRuns})`),
      opt('withdraw-threshold', '<wei>', `withdraw earnings once the balance reaches this (default ${WORKER_DEFAULTS.withdrawThresholdWei})`),
      opt('withdraw-interval', '<ms>', `how often the balance is looked at (default ${WORKER_DEFAULTS.withdrawIntervalMs})`),
    ],
  },
]

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, WORKER_OPTION_SECTIONS)
  if (values.help === true) {
    console.log(usage(COMMAND, WORKER_OPTION_SECTIONS))
    return
  }
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const int = (name: string) => {
    const v = str(name)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`--${name} takes a positive integer, got ${v}`)
    return Number(v)
  }
  const wei = (name: string) => {
    const v = str(name)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes an amount in wei (digits), got ${v}`)
    return BigInt(v)
  }
  const key = str('key') ?? process.env.WORKER_PRIVATE_KEY
  if (key === undefined) throw new UsageError(`a worker needs --key (or WORKER_PRIVATE_KEY) (${COMMAND} --help)`)
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('--key takes 32 bytes of hex (0x…)')
  const stake = str('stake')
  let stakeWei: bigint | undefined
  if (stake !== undefined) {
    stakeWei = /^\d+(\.\d+)?$/.test(stake) ? parseEther(stake) : undefined
    if (stakeWei === undefined || stakeWei === 0n) throw new UsageError(`--stake takes a positive amount of ETH, got ${stake}`)
  }
  const models = str('models')
    ?.split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '')
  for (const m of models ?? []) if (!/^0x[0-9a-fA-F]{64}$/.test(m)) throw new UsageError(`--models takes model ids (32 bytes of hex, 0x…), got ${m}`)
  const coordinator = str('coordinator')
  if (coordinator !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(coordinator)) throw new UsageError(`--coordinator takes an address, got ${coordinator}`)
  checkLogFlags(values)
  const level = (str('log-level') ?? 'info') as LogLevel
  const format = (str('log-format') ?? defaultLogFormat()) as LogFormat
  const log = createLogger(level, 'worker', { format })
  const l2RpcUrl = str('l2-rpc') ?? DEFAULT_WORKER_L2_RPC
  const worker = startWorker(
    {
      privateKey: key as Hex,
      l2RpcUrl,
      l2WsUrl: str('l2-ws'),
      models: models as Hex[] | undefined,
      stakeWei,
      priceWei: wei('price'),
      dataDir: str('data-dir'),
      modelCacheDir: str('model-cache'),
      coordinator: coordinator as Address | undefined,
      pollIntervalMs: int('poll'),
      logsBlockRange: int('logs-range'),
      modelRefreshMs: int('model-refresh'),
      fetchTimeoutMs: int('fetch-timeout'),
      maxQueuedRuns: int('max-queued-runs'),
      withdrawThresholdWei: wei('withdraw-threshold'),
      withdrawIntervalMs: int('withdraw-interval'),
    },
    log,
  )
  log.info(`worker ${worker.address} on ${l2RpcUrl}`, { event: 'worker_started', address: worker.address, url: l2RpcUrl })
  closeOnSignal({ close: () => worker.stop() }, log)
}

runCommand(main)
