/**
 * Command line of a validator: `npm run validator -- --key <0x..> --l1-rpc <url> --deployments
 * <file> [--sequencer-rpc <url>] [--stake <eth>] [--port 9547] [--data-dir data/validator]`
 * (`--help` lists every option). A replica (sequencer/replica-main.ts, the same options) that
 * joins ValidatorSet with its stake on first start if asked, attests every batch it derived and
 * found equal to L1's, and challenges and votes on the ones it did not (README "Running a
 * validator"). Stops cleanly on SIGINT/SIGTERM.
 */
import { parseEther } from 'viem'
import { startNode } from './node.ts'
import { DEFAULT_ATTEST_CONFIRMATIONS, DEFAULT_VALIDATOR_DATA_DIR, DEFAULT_VALIDATOR_RPC_PORT } from './config.ts'
import { closeOnSignal, parseCli, runCommand, usage, UsageError, type CliSection } from './cli.ts'
import { opt, REPLICA_OPTION_SECTIONS, replicaInputFromCli } from './replica/cli.ts'

const COMMAND = 'npm run validator --'

export const VALIDATOR_OPTION_SECTIONS: CliSection[] = [
  {
    title: 'The validator:',
    options: [
      opt('key', '<0x..>', 'L1 key of the validator (required; or env VALIDATOR_PRIVATE_KEY): stakes, signs, challenges, votes'),
      opt('stake', '<eth>', 'join ValidatorSet with this stake on first start if the key is not a validator yet (ETH)'),
      opt('attest-confirmations', '<n>', `L1 blocks a batch's L1 block needs before it is signed (default ${DEFAULT_ATTEST_CONFIRMATIONS}: final on Ethereum)`),
    ],
  },
  {
    title: 'The replica it runs (as npm run replica):',
    options: REPLICA_OPTION_SECTIONS[0].options.map((o) =>
      o.name === 'data-dir' ? { ...o, help: `sqlite data directory (default ./${DEFAULT_VALIDATOR_DATA_DIR})` } : o.name === 'port' ? { ...o, help: `JSON-RPC HTTP+WS port (default ${DEFAULT_VALIDATOR_RPC_PORT}; 0 = any free port)` } : o,
    ),
  },
]

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, VALIDATOR_OPTION_SECTIONS)
  if (values.help === true) {
    console.log(usage(COMMAND, VALIDATOR_OPTION_SECTIONS))
    return
  }
  const key = (values.key as string | undefined) ?? process.env.VALIDATOR_PRIVATE_KEY
  if (key === undefined) throw new UsageError(`a validator needs --key (or VALIDATOR_PRIVATE_KEY) (${COMMAND} --help)`)
  const stake = values.stake as string | undefined
  let stakeWei: bigint | undefined
  if (stake !== undefined) {
    stakeWei = /^\d+(\.\d+)?$/.test(stake) ? parseEther(stake) : undefined
    if (stakeWei === undefined || stakeWei === 0n) throw new UsageError(`--stake takes a positive amount of ETH, got ${stake}`)
  }
  const confirmations = values['attest-confirmations'] as string | undefined
  const input = replicaInputFromCli(values, COMMAND, { dataDir: DEFAULT_VALIDATOR_DATA_DIR, port: DEFAULT_VALIDATOR_RPC_PORT })
  input.validator = {
    privateKey: key as `0x${string}`,
    ...(stakeWei !== undefined && { stakeWei }),
    ...(confirmations !== undefined && { attestConfirmations: Number(confirmations) }),
    ...(input.replica?.pollIntervalMs !== undefined && { pollIntervalMs: input.replica.pollIntervalMs }),
  }
  const node = await startNode(input)
  node.log.info(`validator ${node.validator!.address} on ${node.url}`, { event: 'validator_started', address: node.validator!.address, url: node.url })
  closeOnSignal(node, node.log)
}

runCommand(main)
