/**
 * A whole rollup for tests: a real Anvil L1 with the contracts deployed, and an L2 node (in this
 * process, temp dir, free port) whose batcher posts to it, with timings shrunk to milliseconds.
 */
import { join } from 'node:path'
import { parseEther, type Hex } from 'viem'
import { expect } from 'vitest'
import { writeDeployments } from '../../batcher/deployments.ts'
import { DEV_ANCHOR_API_KEY, type L1Config, type NodeConfigInput } from '../../sequencer/config.ts'
import type { NodeHooks } from '../../sequencer/node.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'
import { deployTestL1, startTestL1, type TestL1 } from './l1.ts'
import { accounts, startTestNode, type TestNode } from './node.ts'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import type { CommitteeParameters } from '../../scripts/lib/deploy-l1.ts'

export const BATCHER_KEY = ANVIL_PRIVATE_KEYS[1]

export interface TestRollup {
  l1: TestL1
  l1Client: Awaited<ReturnType<typeof deployTestL1>>['publicClient']
  adminWallet: Awaited<ReturnType<typeof deployTestL1>>['adminWallet']
  deployments: Awaited<ReturnType<typeof deployTestL1>>['deployments']
  deploymentsPath: string
  l2: TestNode
  /** L1 settings the L2 was started with (to restart it alike). */
  l1Config: NodeConfigInput['l1']
  /** Restarts the L2 on the same data dir (closing it first unless it is already closed). */
  restartL2(hooks?: NodeHooks, overrides?: Partial<L1Config>): Promise<TestNode>
  close(): Promise<void>
}

export async function startTestRollup(opts: { l1?: TestL1; challengeWindowSeconds?: number; committee?: Partial<CommitteeParameters>; l1Config?: Partial<L1Config>; hooks?: NodeHooks; node?: NodeConfigInput } = {}): Promise<TestRollup> {
  const l1 = opts.l1 ?? (await startTestL1())
  const { deployments, publicClient, adminWallet } = await deployTestL1(l1, { challengeWindowSeconds: opts.challengeWindowSeconds ?? 3600, sequencerKey: BATCHER_KEY, committee: opts.committee })
  const deploymentsPath = join(l1.dir, 'deployments.json')
  writeDeployments(deploymentsPath, deployments)
  const l1Config = {
    rpcUrl: l1.url,
    deploymentsPath,
    batcherKey: BATCHER_KEY,
    confirmations: 1,
    maxBatchAgeMs: 50,
    pollIntervalMs: 50,
    resubmitAfterMs: 60_000,
    ...opts.l1Config,
  }
  // the dev key explicitly: a node with an L1 accepts no key by default
  const node: NodeConfigInput = { anchoring: { apiKeys: [DEV_ANCHOR_API_KEY] }, ...opts.node }
  let l2 = await startTestNode({ ...node, l1: l1Config }, opts.hooks)
  let closed = false
  const rollup: TestRollup = {
    l1,
    l1Client: publicClient,
    adminWallet,
    deployments,
    deploymentsPath,
    l2,
    l1Config,
    async restartL2(hooks = {}, overrides = {}) {
      if (!closed) await l2.close({ keepData: true })
      l2 = await startTestNode({ ...node, dataDir: l2.dataDir, l1: { ...l1Config, ...overrides } }, hooks)
      closed = false
      rollup.l2 = l2
      return l2
    },
    async close() {
      await l2.close()
      await l1.close()
    },
  }
  return rollup
}

/** Sends `count` ETH transfers from dev account `from` and waits until each is mined. */
export async function sendTransfers(l2: TestNode, count: number, from = 2): Promise<Hex[]> {
  const wallet = l2.wallet(from)
  const hashes: Hex[] = []
  for (let i = 0; i < count; i++) {
    hashes.push(await wallet.sendTransaction({ to: accounts[(from + 1 + i) % 20].address as Hex, value: parseEther('0.001') }))
  }
  for (const hash of hashes) await l2.publicClient.waitForTransactionReceipt({ hash })
  return hashes
}

export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits until the batcher has posted the L2 head and has nothing in flight. */
export async function untilPosted(l2: TestNode, ms = 30_000): Promise<number> {
  return until(async () => {
    const status = await l2.rpc('rollup_getBatcherStatus')
    const head = l2.node.chain.headNumber
    return status.lastPostedBlock === head && status.inflight === null && head > 0 ? head : undefined
  }, 'the batcher to post the head', ms)
}

/** Every batch on L1, checked to cover blocks 1..last exactly once, in order. */
export async function l1Batches(r: TestRollup) {
  const address = r.deployments.rollupAnchor
  const count = Number(await r.l1Client.readContract({ address, abi: rollupAnchorAbi, functionName: 'batchCount' }))
  const batches = []
  for (let i = 0; i < count; i++) batches.push(await r.l1Client.readContract({ address, abi: rollupAnchorAbi, functionName: 'getBatch', args: [BigInt(i)] }))
  let expected = 1n
  for (const b of batches) {
    expect(b.firstBlock).toBe(expected)
    expect(b.lastBlock >= b.firstBlock).toBe(true)
    expected = b.lastBlock + 1n
  }
  return batches
}

export async function l1Rpc<T = unknown>(l1: TestL1, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(l1.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}
