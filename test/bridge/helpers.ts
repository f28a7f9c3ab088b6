/**
 * What the bridge tests share: a rollup (real Anvil L1 with RollupAnchor and L1Bridge, real L2
 * node with its batcher and deposit watcher) with test timings, the bridge CLI's clients for a
 * few users, and small waits.
 */
import { type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { readArtifact } from '../../scripts/lib/deploy-l1.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'
import type { BridgeClients } from '@ai-rollup/sdk'
import { connect } from '../../scripts/bridge.ts'
import { erc20Abi, l1BridgeAbi, l2BridgeAbi } from '../../bridge/abi.ts'
import { L2_BRIDGE } from '../../precompiles/addresses.ts'
import type { BridgeConfig } from '../../sequencer/config.ts'
import type { TestNode } from '../helpers/node.ts'
import { l1Rpc, startTestRollup, until, type TestRollup } from '../helpers/rollup.ts'
import type { TestL1 } from '../helpers/l1.ts'

/** Anvil accounts the tests bridge with (0 deploys, 1 posts batches): the same keys are funded dev accounts on L2. */
export const USER_KEYS = [ANVIL_PRIVATE_KEYS[3], ANVIL_PRIVATE_KEYS[4], ANVIL_PRIVATE_KEYS[5], ANVIL_PRIVATE_KEYS[6]] as const
export const USERS = USER_KEYS.map((k) => privateKeyToAccount(k).address)

export interface BridgeRollup extends TestRollup {
  /** CLI clients of USERS[i]. */
  user(i: number): Promise<BridgeClients>
  l1Bridge: Address
}

export async function startBridgeRollup(
  opts: { l1?: TestL1; bridge?: Partial<BridgeConfig>; challengeWindowSeconds?: number; maxBatchAgeMs?: number } = {},
): Promise<BridgeRollup> {
  const r = await startTestRollup({
    l1: opts.l1,
    challengeWindowSeconds: opts.challengeWindowSeconds ?? 3600,
    l1Config: { maxBatchAgeMs: opts.maxBatchAgeMs ?? 50 },
    node: { bridge: { confirmations: 1, pollIntervalMs: 50, ...opts.bridge } },
  })
  const l1Bridge = r.deployments.l1Bridge
  if (l1Bridge === undefined) throw new Error('L1Bridge is not compiled: run `npx hardhat compile`')
  const clients = new Map<number, BridgeClients>()
  return Object.assign(r, {
    l1Bridge,
    async user(i: number) {
      let c = clients.get(i)
      if (c === undefined || c.l2RpcUrl !== r.l2.url) {
        c = await connect({ l1RpcUrl: r.l1.url, l2RpcUrl: r.l2.url, deployments: r.deployments, privateKey: USER_KEYS[i], pollingIntervalMs: 50 })
        clients.set(i, c)
      }
      return c
    },
  })
}

/** Mines `n` L1 blocks (gives deposits their confirmations). */
export async function mineL1(l1: TestL1, n = 1): Promise<void> {
  await l1Rpc(l1, 'anvil_mine', [`0x${n.toString(16)}`])
}

/** Waits until the L2 has dealt with deposit `nonce`; returns bridge_getDepositStatus. */
export async function untilDeposit(l2: TestNode, nonce: bigint | number, ms = 20_000) {
  return until(async () => {
    const s = await l2.rpc('bridge_getDepositStatus', [`0x${BigInt(nonce).toString(16)}`])
    return s !== null && s.status !== 'pending' ? s : undefined
  }, `deposit ${nonce} on L2`, ms)
}

/** Every DepositFinalized log on L2, in chain order. */
export async function depositLogs(l2: TestNode) {
  return l2.publicClient.getContractEvents({ address: L2_BRIDGE, abi: l2BridgeAbi, eventName: 'DepositFinalized', fromBlock: 0n, toBlock: 'latest' })
}

export function testTokenArtifact() {
  const artifact = readArtifact('test/TestToken.sol/TestToken.json')
  if (artifact === undefined) throw new Error('TestToken is not compiled: run `npx hardhat compile`')
  return artifact
}

export async function l2Balance(l2: TestNode, token: Address | 'eth', who: Address): Promise<bigint> {
  if (token === 'eth') return l2.publicClient.getBalance({ address: who })
  return l2.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
}

export async function l2TotalSupply(l2: TestNode, token: Address): Promise<bigint> {
  return l2.publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'totalSupply' })
}

export async function lockedOnL1(r: BridgeRollup, l1Token: Address): Promise<bigint> {
  return r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'lockedBalance', args: [l1Token] })
}

export async function l2TokenFor(l2: TestNode, l1Token: Address): Promise<Address> {
  return l2.publicClient.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l2TokenFor', args: [l1Token] })
}

/** L2Bridge's ETH totals: deposited minus withdrawn is what L1Bridge must hold once every withdrawal is paid. */
export async function l2EthBridged(l2: TestNode): Promise<bigint> {
  const read = (functionName: 'totalETHDeposited' | 'totalETHWithdrawn') => l2.publicClient.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName })
  return (await read('totalETHDeposited')) - (await read('totalETHWithdrawn'))
}

export type { Hex }
