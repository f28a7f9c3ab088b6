/**
 * The batcher when things go wrong: a crash at each step of posting, L1 down and back, a batch
 * transaction that reverts, one that is stuck and must be re-priced, an L1 reorg that takes posted
 * batches away, and an L1 without the contract. In every case the L1 ends up holding every L2
 * block exactly once, in order (l1Batches checks that), or the batcher stops with a clear error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'
import { BatcherCrash, type CrashPoint } from '../../batcher/batcher.ts'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import { writeDeployments } from '../../batcher/deployments.ts'
import { startAnvil } from '../../scripts/lib/anvil.ts'
import { startTestNode } from '../helpers/node.ts'
import { BATCHER_KEY, l1Batches, l1Rpc, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'

const SEQUENCER_ROLE = keccak256(toHex('SEQUENCER_ROLE'))
const BATCHER = privateKeyToAccount(BATCHER_KEY).address

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
  cleanup = []
})

async function rollup(opts: Parameters<typeof startTestRollup>[0] = {}): Promise<TestRollup> {
  const r = await startTestRollup(opts)
  cleanup.push(() => r.close())
  return r
}

const batcherStatus = (r: TestRollup) => r.l2.rpc('rollup_getBatcherStatus')

describe('batcher crash at each step', () => {
  it.each<CrashPoint>(['built', 'persisted', 'sent', 'mined'])('resumes after a crash at "%s" without gaps or duplicates', async (point) => {
    let crashed = false
    const r = await rollup({
      hooks: {
        batcherCrashAt: (p) => {
          if (p === point && !crashed) {
            crashed = true
            throw new BatcherCrash(`test crash at ${p}`)
          }
        },
      },
    })
    await sendTransfers(r.l2, 3)
    await until(() => crashed || undefined, `the crash at ${point}`)
    await until(async () => ((await batcherStatus(r)).running === false ? true : undefined), 'the batcher to stop')
    await sendTransfers(r.l2, 2, 6) // blocks keep coming while the batcher is down
    await r.restartL2()
    const head = await untilPosted(r.l2)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
  })
})

describe('batcher and an unreliable L1', () => {
  it('keeps blocks while L1 is down, reports the error, and posts them all once it is back', async () => {
    const { startTestL1 } = await import('../helpers/l1.ts')
    const l1 = await startTestL1({ statePath: true })
    const r = await rollup({ l1 })
    await sendTransfers(r.l2, 2)
    await untilPosted(r.l2)
    const port = l1.anvil.port
    await l1.anvil.stop() // state written on the way out
    await sendTransfers(r.l2, 4)
    const down = await until(async () => {
      const s = await batcherStatus(r)
      return s.lastError !== null && s.pendingBlocks > 0 ? s : undefined
    }, 'the batcher to notice L1 is down')
    expect(down.lastError.message).toMatch(/L1 request failed/)
    expect(down.running).toBe(true)
    const back = await startAnvil({ port, statePath: l1.anvil.statePath, silent: true, onWarning: () => undefined })
    cleanup.push(() => back.stop())
    const head = await untilPosted(r.l2, 60_000)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
  }, 90_000)

  it('detects a reverted batch transaction and re-posts the range once the cause is fixed', async () => {
    const r = await rollup()
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    await l1Rpc(r.l1, 'evm_setAutomine', [false])
    await sendTransfers(r.l2, 2)
    const inflight = await until(async () => (await batcherStatus(r)).inflight ?? undefined, 'a batch transaction in flight')
    // the admin revokes the batcher's role in the same L1 block, ahead of it (higher tip)
    await r.adminWallet.writeContract({
      address: r.deployments.rollupAnchor,
      abi: [...rollupAnchorAbi, { type: 'function', name: 'revokeRole', stateMutability: 'nonpayable', inputs: [{ type: 'bytes32' }, { type: 'address' }], outputs: [] }] as const,
      functionName: 'revokeRole',
      args: [SEQUENCER_ROLE, BATCHER],
      maxPriorityFeePerGas: 50_000_000_000n,
      maxFeePerGas: 100_000_000_000n,
      gas: 100_000n,
    })
    await l1Rpc(r.l1, 'evm_mine')
    const receipt = await r.l1Client.getTransactionReceipt({ hash: inflight.txHashes[0] })
    expect(receipt.status).toBe('reverted')
    const s = await until(async () => {
      const st = await batcherStatus(r)
      return st.revertedBatchTxs === 1 && /AccessControlUnauthorizedAccount/.test(st.lastError?.message ?? '') ? st : undefined
    }, 'the revert to be detected and the retry refused')
    expect(s.lastPostedBlock).toBeLessThan(r.l2.node.chain.headNumber)
    await l1Rpc(r.l1, 'evm_setAutomine', [true])
    await r.adminWallet.writeContract({
      address: r.deployments.rollupAnchor,
      abi: [{ type: 'function', name: 'grantRole', stateMutability: 'nonpayable', inputs: [{ type: 'bytes32' }, { type: 'address' }], outputs: [] }] as const,
      functionName: 'grantRole',
      args: [SEQUENCER_ROLE, BATCHER],
    })
    const head = await untilPosted(r.l2, 60_000)
    expect((await l1Batches(r)).at(-1)!.lastBlock).toBe(BigInt(head))
  }, 90_000)

  it('re-sends a stuck batch transaction with higher fees and the same nonce', async () => {
    const r = await rollup({ l1Config: { resubmitAfterMs: 300 } })
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    await l1Rpc(r.l1, 'evm_setAutomine', [false])
    await sendTransfers(r.l2, 2)
    const inflight = await until(async () => {
      const s = (await batcherStatus(r)).inflight
      return s !== null && s.txHashes.length >= 2 ? s : undefined
    }, 'a re-priced attempt')
    const [first, second] = await Promise.all(inflight.txHashes.slice(0, 2).map((hash: Hex) => r.l1Client.getTransaction({ hash }).catch(() => undefined)))
    expect(second).toBeDefined()
    if (first !== undefined) {
      expect(second!.nonce).toBe(first.nonce)
      expect(second!.maxFeePerGas! > first.maxFeePerGas!).toBe(true)
    }
    await l1Rpc(r.l1, 'evm_setAutomine', [true])
    await l1Rpc(r.l1, 'evm_mine')
    const head = await untilPosted(r.l2)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
  }, 60_000)

  it('re-posts batches an L1 reorg took away, and the safe head follows L1 back', async () => {
    const r = await rollup()
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    const before = (await l1Batches(r)).length
    const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
    await sendTransfers(r.l2, 3)
    const head = await untilPosted(r.l2)
    await until(() => (r.l2.node.chain.headOf('safe') === head ? true : undefined), 'safe to reach the head')
    expect((await l1Batches(r)).length).toBeGreaterThan(before)
    await l1Rpc(r.l1, 'evm_revert', [snapshot]) // the L1 forgets every batch after the snapshot
    await until(async () => {
      const count = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })
      const s = await batcherStatus(r)
      return Number(count) > before && s.lastPostedBlock === head && s.inflight === null ? true : undefined
    }, 'the batches to be posted again', 30_000)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
    await until(() => (r.l2.node.chain.headOf('safe') === head ? true : undefined), 'safe to come back to the head')
  }, 60_000)

  it('re-plans when an L1 reorg drops the batches before the one in flight (its nonce can never be mined)', async () => {
    const r = await rollup()
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    await l1Rpc(r.l1, 'evm_setAutomine', [false])
    await sendTransfers(r.l2, 1)
    await until(async () => (await batcherStatus(r)).inflight ?? undefined, 'a batch transaction in flight')
    await l1Rpc(r.l1, 'evm_revert', [snapshot]) // L1 forgets the second batch and the batcher's nonce with it
    await l1Rpc(r.l1, 'evm_setAutomine', [true])
    const head = await untilPosted(r.l2, 30_000)
    expect((await l1Batches(r)).at(-1)!.lastBlock).toBe(BigInt(head))
  }, 60_000)

  it('stops loudly when there is no RollupAnchor at the configured address', async () => {
    const r = await rollup()
    const path = join(r.l1.dir, 'wrong-deployments.json')
    writeDeployments(path, { ...r.deployments, rollupAnchor: '0x000000000000000000000000000000000000dEaD' })
    const node = await startTestNode({ l1: { ...r.l1Config!, deploymentsPath: path } })
    cleanup.push(() => node.close())
    const s = await until(async () => {
      const st = await node.rpc('rollup_getBatcherStatus')
      return st.running === false ? st : undefined
    }, 'the batcher to stop')
    expect(s.lastError.message).toMatch(/no contract at RollupAnchor address 0x000000000000000000000000000000000000dEaD/)
    expect(await node.rpc('eth_blockNumber')).toBe('0x0') // the node itself keeps serving
  })
})
