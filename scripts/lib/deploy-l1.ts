/**
 * Deploys the rollup's L1 contracts from Hardhat's compiled artifacts with a plain private key
 * and JSON-RPC URL, so the same code serves the embedded Anvil, a testnet or mainnet. Used by
 * scripts/deploy-l1.ts (the CLI), the test harness and the embedded L1's start-up.
 *
 * The contracts go out in the order of L1_CONTRACTS, each waiting for its receipt, and each is
 * checked after deployment (code at the address, then whatever its `check` reads back) before
 * the next one: a deployments file is only ever produced for contracts that are really there.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createPublicClient, createWalletClient, http, isAddress, getAddress, parseEther, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from 'viem'
import { defineL1Chain, errorText } from '@ai-rollup/sdk'
import { privateKeyToAccount } from 'viem/accounts'
import type { L1Deployments } from '../../batcher/deployments.ts'
// The constants file only (not sequencer/index.ts, which loads the whole node).
import { DEFAULT_CHAIN_ID } from '../../sequencer/chain/constants.ts'

/** Seven days, in seconds: the usual optimistic-rollup challenge window. */
export const DEFAULT_CHALLENGE_WINDOW_SECONDS = 7 * 24 * 60 * 60
export const DEFAULT_L2_CHAIN_ID = Number(DEFAULT_CHAIN_ID)
/** Receipt polling interval in ms (viem's default for an unknown chain is 4 s; Anvil mines at once). */
export const L1_POLLING_MS = 100
/**
 * ValidatorSet's parameters (its constructor's immutables). The defaults suit a testnet; a chain
 * holding real value sets them from what a wrong batch could steal (the sequencer bond) and how
 * long its validators need to notice, commit and reveal (the periods).
 */
export interface CommitteeParameters {
  /** MIN_STAKE: smallest validator stake, in wei. */
  minStakeWei: bigint
  /** MIN_SEQUENCER_BOND: bond the poster of a batch must hold, in wei. */
  minSequencerBondWei: bigint
  /** MIN_CHALLENGE_BOND: smallest bond a challenge comes with, in wei. */
  minChallengeBondWei: bigint
  /** COMMIT_PERIOD: a dispute's commit phase, in seconds. */
  commitPeriodSeconds: number
  /** REVEAL_PERIOD: a dispute's reveal phase, in seconds. */
  revealPeriodSeconds: number
}

/** One day per voting phase; stakes and bonds in whole ETH. */
export const DEFAULT_COMMITTEE: CommitteeParameters = {
  minStakeWei: parseEther('1'),
  minSequencerBondWei: parseEther('1'),
  minChallengeBondWei: parseEther('0.1'),
  commitPeriodSeconds: 24 * 60 * 60,
  revealPeriodSeconds: 24 * 60 * 60,
}

/** Largest challenge window RollupAnchor accepts (a uint64 of seconds), capped to what a JS number holds exactly. */
const MAX_CHALLENGE_WINDOW_SECONDS = Number.MAX_SAFE_INTEGER

export const ARTIFACTS_DIR = resolve(__dirname, '../../artifacts/contracts')

export interface DeployL1Parameters {
  /** JSON-RPC URL of the L1. */
  rpcUrl: string
  /** Deployer's key; its address becomes RollupAnchor's admin and L1Bridge's owner. */
  privateKey: Hex
  /** Account allowed to submit batches (default: the deployer). */
  sequencer?: Address
  /** Challenge window for batches, in seconds (default 7 days). */
  challengeWindowSeconds?: number
  /** Chain id of the L2 whose batches go to this RollupAnchor (default 42424); recorded, not sent on chain. */
  l2ChainId?: number
  /** ValidatorSet's parameters; missing fields take DEFAULT_COMMITTEE's. */
  committee?: Partial<CommitteeParameters>
  /** Receives the treasury's share of slashed amounts (default: the deployer). */
  treasury?: Address
  /**
   * Bond the deployer posts for the sequencer right after deployment, in wei (default the
   * minimum sequencer bond, so the sequencer can post at once; 0 posts none: then the sequencer
   * must call ValidatorSet.depositBond before its first batch).
   */
  sequencerBondWei?: bigint
  /** Called with one line per step (deployed X at Y, …); default silent. */
  onProgress?: (line: string) => void
}

/** What deploying one contract may use: the parameters and the addresses deployed before it. */
interface DeployContext {
  admin: Address
  sequencer: Address
  challengeWindowSeconds: number
  committee: CommitteeParameters
  treasury: Address
  sequencerBondWei: bigint
  /** Contract name → address, for those deployed so far. */
  deployed: Record<string, Address>
  /** Contract name → ABI, for those deployed so far. */
  abis: Record<string, Abi>
  publicClient: PublicClient
  /** Signs as the deployer (the admin). */
  wallet: WalletClient
  progress: (line: string) => void
}

interface L1Contract {
  /** Artifact path under artifacts/contracts. */
  artifact: string
  /** Where its address goes in the deployments file. */
  field: 'rollupAnchor' | 'validatorSet' | 'l1Bridge'
  /** Without its artifact, a required contract stops the deployment; an optional one is skipped. */
  required: boolean
  args(ctx: DeployContext): readonly unknown[]
  /** Reads the deployed contract back; throws if it is not what was asked for. */
  check?(ctx: DeployContext, address: Address, abi: Abi): Promise<void>
  /** Transactions that make it usable (links, bonds), after its check. */
  setUp?(ctx: DeployContext, address: Address, abi: Abi): Promise<void>
}

/**
 * The L1 contracts in deployment order. Adding one: an entry here and its field in
 * L1Deployments. Optional ones are skipped while their artifact does not exist.
 */
const L1_CONTRACTS = {
  RollupAnchor: {
    artifact: 'L1/RollupAnchor.sol/RollupAnchor.json',
    field: 'rollupAnchor',
    required: true,
    args: (ctx) => [ctx.admin, ctx.sequencer, BigInt(ctx.challengeWindowSeconds)],
    check: checkRollupAnchor,
  },
  ValidatorSet: {
    artifact: 'L1/ValidatorSet.sol/ValidatorSet.json',
    field: 'validatorSet',
    required: true,
    args: (ctx) => [
      ctx.deployed.RollupAnchor,
      ctx.treasury,
      ctx.committee.minStakeWei,
      ctx.committee.minSequencerBondWei,
      ctx.committee.minChallengeBondWei,
      BigInt(ctx.committee.commitPeriodSeconds),
      BigInt(ctx.committee.revealPeriodSeconds),
    ],
    check: checkValidatorSet,
    setUp: linkValidatorSet,
  },
  L1Bridge: {
    artifact: 'L1/L1Bridge.sol/L1Bridge.json',
    field: 'l1Bridge',
    required: false,
    args: (ctx) => [ctx.deployed.RollupAnchor, ctx.admin],
  },
} satisfies Record<string, L1Contract>

interface Artifact {
  contractName: string
  abi: Abi
  bytecode: Hex
}

/** The compiled artifact at `artifacts/contracts/<relativePath>`, or undefined if there is none. */
export function readArtifact(relativePath: string): Artifact | undefined {
  const path = join(ARTIFACTS_DIR, relativePath)
  if (!existsSync(path)) return undefined
  const artifact = JSON.parse(readFileSync(path, 'utf8')) as Artifact
  if (!Array.isArray(artifact.abi) || typeof artifact.bytecode !== 'string' || artifact.bytecode.length <= 2) {
    throw new Error(`${path} is not a deployable Hardhat artifact (no abi or bytecode); run \`npx hardhat compile\``)
  }
  return artifact
}

/**
 * Deploys RollupAnchor(admin = the key's address, sequencer, window), then its ValidatorSet
 * (linked to it with RollupAnchor.setValidatorSet, and the sequencer's bond posted by the
 * deployer), then L1Bridge(rollupAnchor, admin) if its artifact exists, and returns the
 * deployments file's content.
 *
 * @example
 * const d = await deployL1({ rpcUrl: 'http://127.0.0.1:8545', privateKey: ANVIL_PRIVATE_KEYS[0] })
 * writeDeployments('data/l1/deployments.json', d)
 */
export async function deployL1(params: DeployL1Parameters): Promise<L1Deployments> {
  const progress = params.onProgress ?? (() => undefined)
  const challengeWindowSeconds = params.challengeWindowSeconds ?? DEFAULT_CHALLENGE_WINDOW_SECONDS
  if (!Number.isInteger(challengeWindowSeconds) || challengeWindowSeconds < 1 || challengeWindowSeconds > MAX_CHALLENGE_WINDOW_SECONDS) {
    throw new Error(`the challenge window must be a whole number of seconds ≥ 1, got ${challengeWindowSeconds}`)
  }
  const l2ChainId = params.l2ChainId ?? DEFAULT_L2_CHAIN_ID
  if (!Number.isSafeInteger(l2ChainId) || l2ChainId < 1) throw new Error(`the L2 chain id must be a positive integer, got ${l2ChainId}`)
  if (params.sequencer !== undefined && !isAddress(params.sequencer, { strict: false })) throw new Error(`the sequencer must be an address, got ${params.sequencer}`)
  const committee: CommitteeParameters = { ...DEFAULT_COMMITTEE, ...params.committee }
  for (const [name, value] of Object.entries(committee)) {
    if (BigInt(value) <= 0n || (typeof value === 'number' && !Number.isSafeInteger(value))) throw new Error(`committee.${name} must be a positive whole number, got ${value}`)
  }
  if (params.treasury !== undefined && !isAddress(params.treasury, { strict: false })) throw new Error(`the treasury must be an address, got ${params.treasury}`)
  const sequencerBondWei = params.sequencerBondWei ?? committee.minSequencerBondWei
  if (sequencerBondWei < 0n) throw new Error(`the sequencer bond cannot be negative, got ${sequencerBondWei}`)
  const account = privateKeyToAccount(params.privateKey)
  const admin = account.address
  const sequencer = params.sequencer === undefined ? admin : getAddress(params.sequencer)
  const treasury = params.treasury === undefined ? admin : getAddress(params.treasury)

  // Every artifact is read before anything is sent: a missing one must not leave half a deployment.
  const artifacts = Object.entries(L1_CONTRACTS).map(([name, contract]) => {
    const artifact = readArtifact(contract.artifact)
    if (artifact === undefined && contract.required) {
      throw new Error(`no compiled ${name} at ${join(ARTIFACTS_DIR, contract.artifact)}: run \`npx hardhat compile\` first`)
    }
    return { name, contract: contract as L1Contract, artifact }
  })

  const transport = http(params.rpcUrl, { retryCount: 0 })
  const l1ChainId = await createPublicClient({ transport })
    .getChainId()
    .catch((error: unknown) => {
      throw new Error(`no L1 answers at ${params.rpcUrl} (${errorText(error)})`)
    })
  const chain = defineL1Chain(params.rpcUrl, l1ChainId)
  const publicClient = createPublicClient({ chain, transport, pollingInterval: L1_POLLING_MS }) as PublicClient
  const wallet = createWalletClient({ chain, transport, account })
  progress(`L1 ${params.rpcUrl} (chain ${l1ChainId}), deployer and admin ${admin}, sequencer ${sequencer}, challenge window ${challengeWindowSeconds} s`)

  const ctx: DeployContext = {
    admin, sequencer, challengeWindowSeconds, committee, treasury, sequencerBondWei, deployed: {}, abis: {}, publicClient, wallet: wallet as WalletClient, progress,
  }
  const addresses: Partial<Record<L1Contract['field'], Address>> = {}
  let deployedAtBlock: number | undefined
  for (const { name, contract, artifact } of artifacts) {
    if (artifact === undefined) {
      progress(`skipped ${name}: no artifact at ${contract.artifact}`)
      continue
    }
    const args = contract.args(ctx)
    let hash: Hex
    try {
      hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: args as unknown[] })
    } catch (error) {
      throw new Error(`deploying ${name} failed: ${errorText(error)}`)
    }
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success' || receipt.contractAddress == null) {
      throw new Error(`deploying ${name} reverted (tx ${hash}, L1 block ${receipt.blockNumber})`)
    }
    const address = getAddress(receipt.contractAddress)
    const code = await publicClient.getCode({ address })
    if (code === undefined || code === '0x') throw new Error(`${name} deployment (tx ${hash}) left no code at ${address}`)
    await contract.check?.(ctx, address, artifact.abi)
    ctx.deployed[name] = address
    ctx.abis[name] = artifact.abi
    addresses[contract.field] = address
    deployedAtBlock ??= Number(receipt.blockNumber)
    progress(`deployed ${name} at ${address} (tx ${hash}, L1 block ${receipt.blockNumber}, gas ${receipt.gasUsed})`)
    await contract.setUp?.(ctx, address, artifact.abi)
  }

  return {
    l1ChainId,
    l2ChainId,
    rollupAnchor: addresses.rollupAnchor!,
    ...(addresses.l1Bridge === undefined ? {} : { l1Bridge: addresses.l1Bridge }),
    validatorSet: addresses.validatorSet!,
    deployedAtBlock: deployedAtBlock!,
    admin,
    sequencer,
    challengeWindowSeconds,
  }
}

/** RollupAnchor's roles and window, read back from the chain. */
async function checkRollupAnchor(ctx: DeployContext, address: Address, abi: Abi): Promise<void> {
  const read = (functionName: string, args: readonly unknown[] = []) => ctx.publicClient.readContract({ address, abi, functionName, args })
  const sequencerRole = (await read('SEQUENCER_ROLE')) as Hex
  const adminRole = (await read('DEFAULT_ADMIN_ROLE')) as Hex
  const window = (await read('challengeWindow')) as bigint
  if (!((await read('hasRole', [adminRole, ctx.admin])) as boolean)) throw new Error(`RollupAnchor at ${address}: ${ctx.admin} did not get the admin role`)
  if (!((await read('hasRole', [sequencerRole, ctx.sequencer])) as boolean)) throw new Error(`RollupAnchor at ${address}: ${ctx.sequencer} did not get the sequencer role`)
  if (window !== BigInt(ctx.challengeWindowSeconds)) throw new Error(`RollupAnchor at ${address}: challenge window is ${window} s, not ${ctx.challengeWindowSeconds} s`)
}

/** ValidatorSet's anchor, treasury and parameters, read back from the chain. */
async function checkValidatorSet(ctx: DeployContext, address: Address, abi: Abi): Promise<void> {
  const read = (functionName: string) => ctx.publicClient.readContract({ address, abi, functionName, args: [] })
  const expected: [string, unknown][] = [
    ['rollupAnchor', ctx.deployed.RollupAnchor],
    ['treasury', ctx.treasury],
    ['MIN_STAKE', ctx.committee.minStakeWei],
    ['MIN_SEQUENCER_BOND', ctx.committee.minSequencerBondWei],
    ['MIN_CHALLENGE_BOND', ctx.committee.minChallengeBondWei],
    ['COMMIT_PERIOD', BigInt(ctx.committee.commitPeriodSeconds)],
    ['REVEAL_PERIOD', BigInt(ctx.committee.revealPeriodSeconds)],
  ]
  for (const [functionName, value] of expected) {
    const got = await read(functionName)
    if (got !== value) throw new Error(`ValidatorSet at ${address}: ${functionName} is ${String(got)}, not ${String(value)}`)
  }
}

/**
 * Links the ValidatorSet to RollupAnchor (the admin's one-time setValidatorSet: until then no
 * batch is accepted) and posts the sequencer's bond from the deployer, each waited for.
 */
async function linkValidatorSet(ctx: DeployContext, address: Address, abi: Abi): Promise<void> {
  type Request = { address: Address; abi: Abi; functionName: string; args: readonly unknown[]; value?: bigint }
  const send = async (what: string, request: Request) => {
    let hash: Hex
    try {
      // The ABIs are the artifacts' (untyped here), so viem cannot check the call's types.
      hash = await ctx.wallet.writeContract({ ...request, account: ctx.wallet.account!, chain: ctx.wallet.chain } as Parameters<WalletClient['writeContract']>[0])
    } catch (error) {
      throw new Error(`${what} failed: ${errorText(error)}`)
    }
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`${what} reverted (tx ${hash}, L1 block ${receipt.blockNumber})`)
    ctx.progress(`${what} (tx ${hash}, gas ${receipt.gasUsed})`)
  }
  const anchor = ctx.deployed.RollupAnchor
  await send(`linked ValidatorSet ${address} to RollupAnchor ${anchor}`, {
    address: anchor, abi: ctx.abis.RollupAnchor, functionName: 'setValidatorSet', args: [address],
  })
  const linked = await ctx.publicClient.readContract({ address: anchor, abi: ctx.abis.RollupAnchor, functionName: 'validatorSet', args: [] })
  if (linked !== address) throw new Error(`RollupAnchor at ${anchor}: validatorSet is ${String(linked)}, not ${address}`)
  if (ctx.sequencerBondWei > 0n) {
    await send(`posted a bond of ${ctx.sequencerBondWei} wei for sequencer ${ctx.sequencer}`, {
      address, abi, functionName: 'depositBond', args: [ctx.sequencer], value: ctx.sequencerBondWei,
    })
  }
}
