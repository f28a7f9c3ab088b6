/**
 * Test L1: a real Anvil on a free port (Anvil binds port 0 itself, so parallel test files never
 * race for one) with its state in a temp dir, and the rollup's L1 contracts deployed on it the
 * way `npm run deploy:l1` deploys them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { L1Deployments } from '../../batcher/deployments.ts'
import { ANVIL_PRIVATE_KEYS, startAnvil, type RunningAnvil } from '../../scripts/lib/anvil.ts'
import { defineL1Chain } from '@ai-rollup/sdk'
import { deployL1, L1_POLLING_MS, readArtifact, type CommitteeParameters } from '../../scripts/lib/deploy-l1.ts'

/** A fresh temp dir. Not node.ts's tempDir: importing node.ts loads the whole L2 node, which L1 tests do not need. */
export function tempDir(prefix = 'l1-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface TestL1 {
  anvil: RunningAnvil
  url: string
  /** Temp dir holding the state file (when persisted) and anvil.log; removed by close(). */
  dir: string
  /** Stops Anvil (SIGTERM, state written) and removes the temp dir unless keepData. */
  close(opts?: { keepData?: boolean }): Promise<void>
}

/**
 * Starts Anvil in a temp dir. `statePath: true` persists the chain to `<dir>/anvil-state.json`
 * (a string names the file), so tests can kill and restart it.
 */
export async function startTestL1(opts: { statePath?: string | true; blockTime?: number } = {}): Promise<TestL1> {
  const dir = tempDir('l1-test-')
  const statePath = opts.statePath === true ? join(dir, 'anvil-state.json') : opts.statePath
  const anvil = await startAnvil({ statePath, blockTime: opts.blockTime, silent: true, logFile: join(dir, 'anvil.log'), onWarning: () => undefined })
  return {
    anvil,
    url: anvil.url,
    dir,
    async close(closeOpts) {
      await anvil.stop()
      if (closeOpts?.keepData !== true) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A URL where nothing listens (a port that was free a moment ago): an L1 that is down. */
export async function deadL1Url(): Promise<string> {
  const port = await new Promise<number>((done, fail) => {
    const srv = createServer()
    srv.once('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => done(port))
    })
  })
  return `http://127.0.0.1:${port}`
}

/** The RollupAnchor ABI from Hardhat's artifact (tests run after `hardhat compile`). */
export function rollupAnchorAbi() {
  const artifact = readArtifact('L1/RollupAnchor.sol/RollupAnchor.json')
  if (artifact === undefined) throw new Error('RollupAnchor is not compiled: run `npx hardhat compile`')
  return artifact.abi
}

/**
 * Deploys RollupAnchor (and L1Bridge when compiled) with Anvil account 0 as admin and
 * `sequencerKey` (default Anvil account 1) as sequencer. Returns the deployments and viem
 * clients: `wallet` signs as the sequencer, `adminWallet` as the admin.
 */
export async function deployTestL1(l1: { url: string }, opts: { challengeWindowSeconds?: number; sequencerKey?: Hex; committee?: Partial<CommitteeParameters> } = {}) {
  const adminKey = ANVIL_PRIVATE_KEYS[0]
  const sequencerKey = opts.sequencerKey ?? ANVIL_PRIVATE_KEYS[1]
  const sequencer = privateKeyToAccount(sequencerKey)
  const deployments: L1Deployments = await deployL1({
    rpcUrl: l1.url,
    privateKey: adminKey,
    sequencer: sequencer.address,
    challengeWindowSeconds: opts.challengeWindowSeconds ?? 3600,
    committee: opts.committee,
  })
  const chain = defineL1Chain(l1.url, deployments.l1ChainId)
  const transport = http(l1.url, { retryCount: 0 })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: L1_POLLING_MS })
  const wallet = createWalletClient({ chain, transport, account: sequencer })
  const adminWallet = createWalletClient({ chain, transport, account: privateKeyToAccount(adminKey) })
  return { deployments, chain, publicClient, wallet, adminWallet }
}
