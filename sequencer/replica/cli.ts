/**
 * The command line a replica and a validator share (sequencer/replica-main.ts,
 * sequencer/validator-main.ts): the options of a node that derives the chain from L1, and the
 * node input they make.
 */
import { DEFAULT_REPLICA_DATA_DIR, DEFAULT_REPLICA_RPC_PORT, type NodeConfigInput } from '../config.ts'
import { checkLogFlags, explorerInputFromCli, UsageError, type CliSection, type CliValues } from '../cli.ts'

export const opt = (name: string, arg: string | undefined, help: string) => ({ name, type: arg === undefined ? ('boolean' as const) : ('string' as const), ...(arg !== undefined && { arg }), help })

export const REPLICA_OPTION_SECTIONS: CliSection[] = [
  {
    title: '',
    options: [
      opt('l1-rpc', '<url>', 'L1 JSON-RPC URL (required)'),
      opt('deployments', '<file>', 'deployments file written by npm run deploy:l1 (required)'),
      opt('l1-beacon', '<url>', 'where blob frames are read: a beacon-style blobs API, /eth/v1/beacon/blobs (default: the --l1-rpc URL, where Anvil serves it)'),
      opt('sequencer-rpc', '<url>', "the sequencer's JSON-RPC URL: follow its sealed blocks as unsafe, forward eth_sendRawTransaction to it"),
      opt('data-dir', '<dir>', `sqlite data directory (default ./${DEFAULT_REPLICA_DATA_DIR})`),
      opt('host', '<host>', 'JSON-RPC host (default 127.0.0.1)'),
      opt('port', '<port>', `JSON-RPC HTTP+WS port (default ${DEFAULT_REPLICA_RPC_PORT}; 0 = any free port)`),
      opt('l1-confirmations', '<n>', 'L1 blocks before a derived block is safe (default 3)'),
      opt('l1-poll', '<ms>', 'how often to look for new batches on L1 (default 1000)'),
      opt('genesis', '<file>', "genesis JSON (the sequencer's; default sequencer/chain/genesis.dev.json)"),
      opt('no-dev', undefined, 'no dev accounts in eth_accounts'),
      opt('call-workers', '<n>', 'worker threads for eth_call & co. (default: cores - 1)'),
      opt('log-level', '<level>', 'silent | error | warn | info | debug (default info)'),
      opt('log-format', '<format>', 'json (one object per line) | pretty (default: pretty on a terminal, else json)'),
      opt('no-explorer', undefined, 'do not serve the block explorer at GET /'),
      opt('explorer-l1-rpc', '<url>', "L1 URL the explorer's Verify on L1 button offers (default: --l1-rpc if on loopback)"),
    ],
  },
]

/** The replica's node input from parsed options; `defaults` name the data dir and port of the command. */
export function replicaInputFromCli(values: Record<string, unknown>, command: string, defaults = { dataDir: DEFAULT_REPLICA_DATA_DIR, port: DEFAULT_REPLICA_RPC_PORT }): NodeConfigInput {
  checkLogFlags(values as CliValues)
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const num = (name: string) => (str(name) === undefined ? undefined : Number(str(name)))
  const l1RpcUrl = str('l1-rpc')
  const deploymentsPath = str('deployments')
  if (l1RpcUrl === undefined || deploymentsPath === undefined) throw new UsageError(`a replica needs --l1-rpc and --deployments (${command} --help)`)
  return {
    dataDir: str('data-dir') ?? defaults.dataDir,
    rpc: { port: num('port') ?? defaults.port, ...(str('host') !== undefined && { host: str('host') }) },
    chain: { ...(str('genesis') !== undefined && { genesisPath: str('genesis') }), ...(values['no-dev'] === true && { dev: false }) },
    ...(num('call-workers') !== undefined && { calls: { workers: num('call-workers') } }),
    replica: {
      l1RpcUrl,
      deploymentsPath,
      ...(str('sequencer-rpc') !== undefined && { sequencerRpcUrl: str('sequencer-rpc') }),
      ...(str('l1-beacon') !== undefined && { l1BeaconUrl: str('l1-beacon') }),
      ...(num('l1-confirmations') !== undefined && { confirmations: num('l1-confirmations') }),
      ...(num('l1-poll') !== undefined && { pollIntervalMs: num('l1-poll') }),
    },
    explorer: explorerInputFromCli(values as CliValues),
    ...(str('log-level') !== undefined && { logLevel: str('log-level') as NodeConfigInput['logLevel'] }),
    ...(str('log-format') !== undefined && { logFormat: str('log-format') as NodeConfigInput['logFormat'] }),
  }
}
