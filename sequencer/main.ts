/**
 * Command line entry: `npm start` (or `tsx sequencer/main.ts --help`). Flags override the
 * defaults in config.ts; the process stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { startNode } from './node.ts'
import { DEFAULT_HTTP_HEADERS_TIMEOUT_MS, type NodeConfigInput } from './config.ts'

const USAGE = `usage: npm start -- [options]
  --data-dir <dir>        sqlite data directory (default ./data/l2)
  --host <host>           JSON-RPC host (default 127.0.0.1)
  --port <port>           JSON-RPC HTTP+WS port (default 9545; 0 = any free port)
  --block-time <ms>       block interval in ms (default 1000)
  --automine              seal a block as soon as a transaction arrives
  --genesis <file>        genesis JSON (default sequencer/chain/genesis.dev.json)
  --fee-recipient <addr>  coinbase receiving priority fees
  --no-dev                no dev accounts in eth_accounts, no eth_sendTransaction
  --log-level <level>     silent | error | info | debug (default info)
  --anchor-api-keys <k,k> keys accepted by POST /v1/anchors (or env ANCHOR_API_KEYS; dev default: dev-anchor-key)

 Calls and traces (eth_call, eth_estimateGas, eth_createAccessList, debug_trace*; see README "Limits"):
  --call-workers <n>      worker threads executing them (default: cores - 1, at least 1)
  --call-timeout <ms>     deadline of one call, like geth's --rpc.evmtimeout (default 5000)
  --rpc-gas-cap <gas>     gas cap of eth_call / eth_estimateGas (default 50000000)
  --batch-gas-cap <gas>   gas all calls of one JSON-RPC batch may execute (default 100000000)
  --trace-gas-cap <gas>   gas cap of debug_traceCall (default 10000000)
  --trace-max-bytes <n>   largest debug_trace* result in bytes (default 16777216)

 Pool and RPC server limits (see README "Limits"):
  --pool-min-fee-cap <wei>      smallest fee cap the pool accepts (default 1000000)
  --pool-max-bytes <n>          most bytes of transactions in the pool (default 33554432)
  --pool-queued-lifetime <ms>   a queued (nonce-gapped) transaction is dropped this long after it arrived (default 10800000)
  --max-connections <n>         open HTTP + WebSocket connections (default 5000)
  --max-response-bytes <n>      largest JSON-RPC answer, else -32003 (default 10485760)
  --request-timeout <ms>        an HTTP request must arrive whole within this (default 30000)

 L1 (all three to post batches; without them the node runs alone and safe/finalized stay at 0):
  --l1-rpc <url>          L1 JSON-RPC URL
  --deployments <file>    deployments file written by npm run deploy:l1
  --batcher-key <0x..>    key holding RollupAnchor's SEQUENCER_ROLE (or env BATCHER_PRIVATE_KEY)
  --l1-confirmations <n>  L1 blocks before a posted block is safe (default 3)
  --batch-max-bytes <n>   close a batch at this many compressed bytes (default 120000)
  --batch-max-age <ms>    close a batch when its oldest block is this old (default 60000)
  --l1-unreachable-warn <ms>  warn after this long without a successful L1 call, then once a minute (default 60000)
  --bridge-confirmations <n>  L1 blocks a deposit waits before it is included (default 3)`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'block-time': { type: 'string' },
      automine: { type: 'boolean' },
      genesis: { type: 'string' },
      'fee-recipient': { type: 'string' },
      'no-dev': { type: 'boolean' },
      'log-level': { type: 'string' },
      'anchor-api-keys': { type: 'string' },
      'call-workers': { type: 'string' },
      'call-timeout': { type: 'string' },
      'rpc-gas-cap': { type: 'string' },
      'batch-gas-cap': { type: 'string' },
      'trace-gas-cap': { type: 'string' },
      'trace-max-bytes': { type: 'string' },
      'pool-min-fee-cap': { type: 'string' },
      'pool-max-bytes': { type: 'string' },
      'pool-queued-lifetime': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-response-bytes': { type: 'string' },
      'request-timeout': { type: 'string' },
      'l1-rpc': { type: 'string' },
      deployments: { type: 'string' },
      'batcher-key': { type: 'string' },
      'l1-confirmations': { type: 'string' },
      'batch-max-bytes': { type: 'string' },
      'batch-max-age': { type: 'string' },
      'l1-unreachable-warn': { type: 'string' },
      'bridge-confirmations': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  const input: NodeConfigInput = {
    dataDir: values['data-dir'],
    chain: { ...(values.genesis !== undefined && { genesisPath: values.genesis }), ...(values['no-dev'] === true && { dev: false }) },
    sequencer: {
      ...(values['block-time'] !== undefined && { blockTimeMs: Number(values['block-time']) }),
      ...(values.automine === true && { automine: true }),
      ...(values['fee-recipient'] !== undefined && { feeRecipient: values['fee-recipient'] as `0x${string}` }),
    },
    pool: {
      ...(values['pool-min-fee-cap'] !== undefined && { minFeeCap: BigInt(values['pool-min-fee-cap']) }),
      ...(values['pool-max-bytes'] !== undefined && { maxBytes: Number(values['pool-max-bytes']) }),
      ...(values['pool-queued-lifetime'] !== undefined && { queuedLifetimeMs: Number(values['pool-queued-lifetime']) }),
    },
    rpc: {
      ...(values.host !== undefined && { host: values.host }),
      ...(values.port !== undefined && { port: Number(values.port) }),
      ...(values['max-connections'] !== undefined && { maxConnections: Number(values['max-connections']) }),
      ...(values['max-response-bytes'] !== undefined && { maxResponseBytes: Number(values['max-response-bytes']) }),
      ...(values['request-timeout'] !== undefined && {
        requestTimeoutMs: Number(values['request-timeout']),
        // headers must arrive within the request's time (node requires it)
        headersTimeoutMs: Math.min(Number(values['request-timeout']), DEFAULT_HTTP_HEADERS_TIMEOUT_MS),
      }),
      ...(values['rpc-gas-cap'] !== undefined && { gasCap: BigInt(values['rpc-gas-cap']) }),
    },
    calls: {
      ...(values['call-workers'] !== undefined && { workers: Number(values['call-workers']) }),
      ...(values['call-timeout'] !== undefined && { timeoutMs: Number(values['call-timeout']) }),
      ...(values['batch-gas-cap'] !== undefined && { batchGasCap: BigInt(values['batch-gas-cap']) }),
      ...(values['trace-gas-cap'] !== undefined && { traceGasCap: BigInt(values['trace-gas-cap']) }),
      ...(values['trace-max-bytes'] !== undefined && { traceMaxBytes: Number(values['trace-max-bytes']) }),
    },
    logLevel: values['log-level'] as NodeConfigInput['logLevel'],
  }
  if (values['bridge-confirmations'] !== undefined) input.bridge = { confirmations: Number(values['bridge-confirmations']) }
  const apiKeys = values['anchor-api-keys'] ?? process.env.ANCHOR_API_KEYS
  if (apiKeys !== undefined) input.anchoring = { apiKeys: apiKeys.split(',').map((k) => k.trim()).filter((k) => k !== '') }
  const batcherKey = values['batcher-key'] ?? process.env.BATCHER_PRIVATE_KEY
  const l1Given = [values['l1-rpc'], values.deployments].filter((v) => v !== undefined).length
  if (l1Given > 0) {
    if (values['l1-rpc'] === undefined || values.deployments === undefined || batcherKey === undefined) {
      throw new Error('posting to L1 needs --l1-rpc, --deployments and --batcher-key (or BATCHER_PRIVATE_KEY)')
    }
    input.l1 = {
      rpcUrl: values['l1-rpc'],
      deploymentsPath: values.deployments,
      batcherKey: batcherKey as `0x${string}`,
      ...(values['l1-confirmations'] !== undefined && { confirmations: Number(values['l1-confirmations']) }),
      ...(values['batch-max-bytes'] !== undefined && { maxBatchBytes: Number(values['batch-max-bytes']) }),
      ...(values['batch-max-age'] !== undefined && { maxBatchAgeMs: Number(values['batch-max-age']) }),
      ...(values['l1-unreachable-warn'] !== undefined && { unreachableWarnAfterMs: Number(values['l1-unreachable-warn']) }),
    }
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
  console.error(err instanceof Error ? (err.cause instanceof Error ? `${err.message}\n${err.cause.stack}` : err.stack) : err)
  process.exit(1)
})
