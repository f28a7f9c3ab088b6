/**
 * Command line entry: `npm start` (or `tsx sequencer/main.ts --help`). Flags override the
 * defaults in config.ts; the process stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { startNode } from './node.ts'
import type { NodeConfigInput } from './config.ts'

const USAGE = `usage: npm start -- [options]
  --data-dir <dir>        sqlite data directory (default ./data/l2)
  --host <host>           JSON-RPC host (default 127.0.0.1)
  --port <port>           JSON-RPC HTTP+WS port (default 9545; 0 = any free port)
  --block-time <ms>       block interval in ms (default 1000)
  --automine              seal a block as soon as a transaction arrives
  --genesis <file>        genesis JSON (default sequencer/chain/genesis.dev.json)
  --fee-recipient <addr>  coinbase receiving priority fees
  --no-dev                no dev accounts in eth_accounts, no eth_sendTransaction
  --log-level <level>     silent | error | info | debug (default info)`

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
    rpc: {
      ...(values.host !== undefined && { host: values.host }),
      ...(values.port !== undefined && { port: Number(values.port) }),
    },
    logLevel: values['log-level'] as NodeConfigInput['logLevel'],
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
