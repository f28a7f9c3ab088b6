/**
 * Command line of a replica: `npm run replica -- --l1-rpc <url> --deployments <file>
 * [--sequencer-rpc <url>] [--port 9546] [--data-dir data/replica]` (`--help` lists every option).
 * A node that never sequences: it derives the chain from L1's batches, follows the sequencer's
 * sealed blocks as `unsafe` when given its URL, forwards transactions to it, and serves the
 * sequencer's read API (README "Replicas"). Stops cleanly on SIGINT/SIGTERM.
 */
import { startNode } from './node.ts'
import { DEFAULT_REPLICA_DATA_DIR, DEFAULT_REPLICA_RPC_PORT, type NodeConfigInput } from './config.ts'
import { parseCli, usage, UsageError, type CliSection } from './cli.ts'

const COMMAND = 'npm run replica --'

const opt = (name: string, arg: string | undefined, help: string) => ({ name, type: arg === undefined ? ('boolean' as const) : ('string' as const), ...(arg !== undefined && { arg }), help })

export const REPLICA_OPTION_SECTIONS: CliSection[] = [
  {
    title: '',
    options: [
      opt('l1-rpc', '<url>', 'L1 JSON-RPC URL (required)'),
      opt('deployments', '<file>', 'deployments file written by npm run deploy:l1 (required)'),
      opt('sequencer-rpc', '<url>', "the sequencer's JSON-RPC URL: follow its sealed blocks as unsafe, forward eth_sendRawTransaction to it"),
      opt('data-dir', '<dir>', `sqlite data directory (default ./${DEFAULT_REPLICA_DATA_DIR})`),
      opt('host', '<host>', 'JSON-RPC host (default 127.0.0.1)'),
      opt('port', '<port>', `JSON-RPC HTTP+WS port (default ${DEFAULT_REPLICA_RPC_PORT}; 0 = any free port)`),
      opt('l1-confirmations', '<n>', 'L1 blocks before a derived block is safe (default 3)'),
      opt('l1-poll', '<ms>', 'how often to look for new batches on L1 (default 1000)'),
      opt('genesis', '<file>', "genesis JSON (the sequencer's; default sequencer/chain/genesis.dev.json)"),
      opt('no-dev', undefined, 'no dev accounts in eth_accounts'),
      opt('call-workers', '<n>', 'worker threads for eth_call & co. (default: cores - 1)'),
      opt('log-level', '<level>', 'silent | error | info | debug (default info)'),
    ],
  },
]

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, REPLICA_OPTION_SECTIONS)
  if (values.help === true) {
    console.log(usage(COMMAND, REPLICA_OPTION_SECTIONS))
    return
  }
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const num = (name: string) => (str(name) === undefined ? undefined : Number(str(name)))
  const l1RpcUrl = str('l1-rpc')
  const deploymentsPath = str('deployments')
  if (l1RpcUrl === undefined || deploymentsPath === undefined) throw new UsageError(`a replica needs --l1-rpc and --deployments (${COMMAND} --help)`)
  const input: NodeConfigInput = {
    dataDir: str('data-dir') ?? DEFAULT_REPLICA_DATA_DIR,
    rpc: { port: num('port') ?? DEFAULT_REPLICA_RPC_PORT, ...(str('host') !== undefined && { host: str('host') }) },
    chain: { ...(str('genesis') !== undefined && { genesisPath: str('genesis') }), ...(values['no-dev'] === true && { dev: false }) },
    ...(num('call-workers') !== undefined && { calls: { workers: num('call-workers') } }),
    replica: {
      l1RpcUrl,
      deploymentsPath,
      ...(str('sequencer-rpc') !== undefined && { sequencerRpcUrl: str('sequencer-rpc') }),
      ...(num('l1-confirmations') !== undefined && { confirmations: num('l1-confirmations') }),
      ...(num('l1-poll') !== undefined && { pollIntervalMs: num('l1-poll') }),
    },
    ...(str('log-level') !== undefined && { logLevel: str('log-level') as NodeConfigInput['logLevel'] }),
  }
  const node = await startNode(input)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    await node.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err) => {
  if (err instanceof UsageError) console.error(err.message)
  else console.error(err instanceof Error ? (err.cause instanceof Error ? `${err.message}\n${err.cause.stack}` : err.stack) : err)
  process.exit(1)
})
