/**
 * Command line entry of the node alone: `npm run node -- [options]` (`--help` lists them; the
 * table is sequencer/cli.ts, shared with `npm start`). Flags override the defaults in config.ts;
 * the process stops cleanly on SIGINT/SIGTERM.
 */
import { startNode } from './node.ts'
import { closeOnSignal, l1TuningFromCli, NODE_OPTION_SECTIONS, nodeInputFromCli, parseApiKeys, parseCli, runCommand, usage, UsageError } from './cli.ts'

/** How the usage names this command. */
const COMMAND = 'npm run node --'

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, NODE_OPTION_SECTIONS)
  if (values.help === true) {
    console.log(usage(COMMAND, NODE_OPTION_SECTIONS))
    return
  }
  const input = nodeInputFromCli(values)
  if (input.anchoring?.apiKeys === undefined && process.env.ANCHOR_API_KEYS !== undefined) input.anchoring = { ...input.anchoring, apiKeys: parseApiKeys(process.env.ANCHOR_API_KEYS) }
  const l1Rpc = values['l1-rpc'] as string | undefined
  const deployments = values.deployments as string | undefined
  const batcherKey = (values['batcher-key'] as string | undefined) ?? process.env.BATCHER_PRIVATE_KEY
  if (l1Rpc !== undefined || deployments !== undefined) {
    if (l1Rpc === undefined || deployments === undefined || batcherKey === undefined) {
      throw new UsageError('posting to L1 needs --l1-rpc, --deployments and --batcher-key (or BATCHER_PRIVATE_KEY)')
    }
    input.l1 = { rpcUrl: l1Rpc, deploymentsPath: deployments, batcherKey: batcherKey as `0x${string}`, ...l1TuningFromCli(values) }
  }
  const node = await startNode(input)
  closeOnSignal(node, node.log)
}

runCommand(main)
