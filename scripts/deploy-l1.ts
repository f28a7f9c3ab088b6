/**
 * Deploys the rollup's L1 contracts to any L1 and writes the deployments file the node reads.
 *
 *   npm run deploy:l1 -- --l1-rpc <url> --out <file> [--key 0x…] [--sequencer <address>]
 *                        [--challenge-window <seconds>] [--l2-chain-id <id>] [--force]
 *
 * The key may come from the environment variable L1_DEPLOYER_KEY instead of --key, so that it
 * stays out of shell history. An existing --out file is kept unless --force: overwriting it would
 * point the node at new, empty contracts and orphan every batch posted to the old ones.
 * Exit codes: 0 deployed, 1 deployment failed, 2 usage.
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isAddress, type Address, type Hex } from 'viem'
import { writeDeployments } from '../batcher/deployments.ts'
import { DEFAULT_CHALLENGE_WINDOW_SECONDS, DEFAULT_L2_CHAIN_ID, deployL1 } from './lib/deploy-l1.ts'

const USAGE = `usage: npm run deploy:l1 -- --l1-rpc <url> --out <file> [options]
  --l1-rpc <url>               the L1's JSON-RPC URL
  --out <file>                 deployments file to write (e.g. data/l1/deployments.json)
  --key <0x…>                  deployer's private key (or env L1_DEPLOYER_KEY); becomes the admin
  --sequencer <address>        account allowed to post batches (default: the deployer)
  --challenge-window <seconds> challenge window (default ${DEFAULT_CHALLENGE_WINDOW_SECONDS} = 7 days)
  --l2-chain-id <id>           the L2's chain id (default ${DEFAULT_L2_CHAIN_ID})
  --force                      overwrite an existing --out file`

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
  return {
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
