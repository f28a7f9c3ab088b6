/**
 * Deploys the rollup's L1 contracts to any L1 and writes the deployments file the node reads.
 *
 *   npm run deploy:l1 -- --l1-rpc <url> --out <file> [--key 0x…] [--sequencer <address>]
 *                        [--challenge-window <seconds>] [--l2-chain-id <id>] [--force]
 *                        [validator committee options: --min-stake, --sequencer-bond, …]
 *
 * The key may come from the environment variable L1_DEPLOYER_KEY instead of --key, so that it
 * stays out of shell history. An existing --out file is kept unless --force: overwriting it would
 * point the node at new, empty contracts and orphan every batch posted to the old ones.
 * Exit codes: 0 deployed, 1 deployment failed, 2 usage.
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { formatEther, isAddress, parseEther, type Address, type Hex } from 'viem'
import { writeDeployments } from '../batcher/deployments.ts'
import { DEFAULT_CHALLENGE_WINDOW_SECONDS, DEFAULT_COMMITTEE, DEFAULT_L2_CHAIN_ID, deployL1 } from './lib/deploy-l1.ts'

const USAGE = `usage: npm run deploy:l1 -- --l1-rpc <url> --out <file> [options]
  --l1-rpc <url>               the L1's JSON-RPC URL
  --out <file>                 deployments file to write (e.g. data/l1/deployments.json)
  --key <0x…>                  deployer's private key (or env L1_DEPLOYER_KEY); becomes the admin
  --sequencer <address>        account allowed to post batches (default: the deployer)
  --challenge-window <seconds> challenge window (default ${DEFAULT_CHALLENGE_WINDOW_SECONDS} = 7 days)
  --l2-chain-id <id>           the L2's chain id (default ${DEFAULT_L2_CHAIN_ID})
  --force                      overwrite an existing --out file
validator committee (ValidatorSet):
  --min-stake <eth>            smallest validator stake (default ${formatEther(DEFAULT_COMMITTEE.minStakeWei)})
  --min-sequencer-bond <eth>   bond the sequencer must hold to post (default ${formatEther(DEFAULT_COMMITTEE.minSequencerBondWei)})
  --min-challenge-bond <eth>   smallest bond of a challenge (default ${formatEther(DEFAULT_COMMITTEE.minChallengeBondWei)})
  --commit-period <seconds>    a dispute's commit phase (default ${DEFAULT_COMMITTEE.commitPeriodSeconds})
  --reveal-period <seconds>    a dispute's reveal phase (default ${DEFAULT_COMMITTEE.revealPeriodSeconds})
  --treasury <address>         receives the treasury's share of slashed amounts (default: the deployer)
  --sequencer-bond <eth>       bond the deployer posts for the sequencer now (default: the minimum; 0: none)`

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'l1-rpc': { type: 'string' },
      key: { type: 'string' },
      sequencer: { type: 'string' },
      'challenge-window': { type: 'string' },
      'l2-chain-id': { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      'min-stake': { type: 'string' },
      'min-sequencer-bond': { type: 'string' },
      'min-challenge-bond': { type: 'string' },
      'commit-period': { type: 'string' },
      'reveal-period': { type: 'string' },
      treasury: { type: 'string' },
      'sequencer-bond': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help === true) return undefined
  const rpcUrl = values['l1-rpc']
  if (rpcUrl === undefined) throw new UsageError('--l1-rpc is required')
  const out = values.out
  if (out === undefined) throw new UsageError('--out is required')
  const key = values.key ?? process.env.L1_DEPLOYER_KEY
  if (key === undefined || key === '') throw new UsageError('no deployer key: pass --key 0x… or set L1_DEPLOYER_KEY')
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new UsageError(`the deployer key must be 32 bytes of hex (got ${key.length} characters)`)
  const sequencer = values.sequencer
  if (sequencer !== undefined && !isAddress(sequencer, { strict: false })) throw new UsageError(`--sequencer must be an address, got ${sequencer}`)
  const integer = (flag: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback
    const n = Number(text)
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive whole number, got ${text}`)
    return n
  }
  const ether = (flag: string, text: string | undefined, allowZero = false): bigint | undefined => {
    if (text === undefined) return undefined
    let wei: bigint
    try {
      wei = parseEther(text)
    } catch {
      throw new UsageError(`${flag} must be an amount of ETH, got ${text}`)
    }
    if (!/^\d+(\.\d+)?$/.test(text) || wei < 0n || (wei === 0n && !allowZero)) throw new UsageError(`${flag} must be a positive amount of ETH, got ${text}`)
    return wei
  }
  const treasury = values.treasury
  if (treasury !== undefined && !isAddress(treasury, { strict: false })) throw new UsageError(`--treasury must be an address, got ${treasury}`)
  const committee = {
    minStakeWei: ether('--min-stake', values['min-stake']),
    minSequencerBondWei: ether('--min-sequencer-bond', values['min-sequencer-bond']),
    minChallengeBondWei: ether('--min-challenge-bond', values['min-challenge-bond']),
    commitPeriodSeconds: values['commit-period'] === undefined ? undefined : integer('--commit-period', values['commit-period'], 0),
    revealPeriodSeconds: values['reveal-period'] === undefined ? undefined : integer('--reveal-period', values['reveal-period'], 0),
  }
  return {
    committee: Object.fromEntries(Object.entries(committee).filter(([, v]) => v !== undefined)),
    treasury: treasury as Address | undefined,
    sequencerBondWei: ether('--sequencer-bond', values['sequencer-bond'], true),
    rpcUrl,
    out,
    force: values.force === true,
    privateKey: (key.startsWith('0x') ? key : `0x${key}`) as Hex,
    sequencer: sequencer as Address | undefined,
    challengeWindowSeconds: integer('--challenge-window', values['challenge-window'], DEFAULT_CHALLENGE_WINDOW_SECONDS),
    l2ChainId: integer('--l2-chain-id', values['l2-chain-id'], DEFAULT_L2_CHAIN_ID),
  }
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse(argv)
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  if (args === undefined) {
    console.log(USAGE)
    return 0
  }
  if (existsSync(args.out) && !args.force) {
    console.error(`${args.out} exists: it names the L1 contracts a node already uses. Pass --force to replace it, or choose another --out.`)
    return 2
  }
  try {
    const deployments = await deployL1({ ...args, onProgress: (line) => console.log(line) })
    writeDeployments(args.out, deployments)
    console.log(`RollupAnchor ${deployments.rollupAnchor}`)
    console.log(`ValidatorSet ${deployments.validatorSet}`)
    if (deployments.l1Bridge !== undefined) console.log(`L1Bridge     ${deployments.l1Bridge}`)
    console.log(`wrote ${args.out}`)
    return 0
  } catch (error) {
    console.error(`deploy-l1 failed: ${(error as Error).message}`)
    return 1
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
