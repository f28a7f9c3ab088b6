/**
 * Command line of a replica: `npm run replica -- --l1-rpc <url> --deployments <file>
 * [--sequencer-rpc <url>] [--port 9546] [--data-dir data/replica]` (`--help` lists every option).
 * A node that never sequences: it derives the chain from L1's batches, follows the sequencer's
 * sealed blocks as `unsafe` when given its URL, forwards transactions to it, and serves the
 * sequencer's read API (README "Replicas"). Stops cleanly on SIGINT/SIGTERM.
 */
import { startNode } from './node.ts'
import { closeOnSignal, parseCli, runCommand, usage } from './cli.ts'
import { REPLICA_OPTION_SECTIONS, replicaInputFromCli } from './replica/cli.ts'

const COMMAND = 'npm run replica --'

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, REPLICA_OPTION_SECTIONS)
  if (values.help === true) {
    console.log(usage(COMMAND, REPLICA_OPTION_SECTIONS))
    return
  }
  const input = replicaInputFromCli(values, COMMAND)
  const node = await startNode(input)
  closeOnSignal(node, node.log)
}

runCommand(main)
