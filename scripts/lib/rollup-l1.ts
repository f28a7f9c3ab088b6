/**
 * A fresh L1 for the benchmarks that run the whole rollup (bench-anchoring, bench-dataset,
 * bench-tps --l1): Anvil with its state under `dir`, RollupAnchor and L1Bridge deployed by Anvil's
 * account 0 with Anvil's account 1 as the batcher, and the deployments file written. Stopped by
 * load.ts's cleanup. `nodeArgs` are the flags our node needs to post to it.
 */
import path from 'node:path'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { writeDeployments } from '../../batcher/deployments.ts'
import { ANVIL_PRIVATE_KEYS, startAnvil } from './anvil.ts'
import { deployL1 } from './deploy-l1.ts'
import { cleanup } from './load.ts'

export interface RollupL1 {
  l1Url: string
  rollupAnchor: Address
  deploymentsPath: string
  batcherKey: Hex
  /** `--l1-rpc`, `--deployments`, `--batcher-key`, `--l1-confirmations 1`. */
  nodeArgs: string[]
}

export async function startRollupL1(dir: string): Promise<RollupL1> {
  const anvil = await startAnvil({ silent: true, logFile: path.join(dir, 'anvil.log') })
  cleanup.closers.add(() => anvil.stop())
  const batcherKey = ANVIL_PRIVATE_KEYS[1]
  const deployments = await deployL1({ rpcUrl: anvil.url, privateKey: ANVIL_PRIVATE_KEYS[0], sequencer: privateKeyToAccount(batcherKey).address, challengeWindowSeconds: 60 })
  const deploymentsPath = path.join(dir, 'deployments.json')
  writeDeployments(deploymentsPath, deployments)
  return {
    l1Url: anvil.url,
    rollupAnchor: deployments.rollupAnchor,
    deploymentsPath,
    batcherKey,
    nodeArgs: ['--l1-rpc', anvil.url, '--deployments', deploymentsPath, '--batcher-key', batcherKey, '--l1-confirmations', '1'],
  }
}
