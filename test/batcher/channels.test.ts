/**
 * Channels across several L1 transactions and L1 blocks, against a real Anvil: the batcher posts
 * a batch's frames one transaction at a time (appendFrames, then submitChannel), a crash at any
 * point between two frames neither loses nor duplicates anything, a channel that times out on L1
 * is posted again under a new id, and a fresh node rebuilt from L1 has the same chain, block for
 * block.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { parseEventLogs, toFunctionSelector, type AbiFunction, type Hex } from 'viem'
import { BatcherCrash, type CrashPoint } from '../../batcher/batcher.ts'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import { deriveFromL1 } from '../../batcher/derive.ts'
import { rmSync } from 'node:fs'
import { rpc, startTestNode, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { startNode } from '../../sequencer/node.ts'
import { l1Batches, l1Rpc, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
  cleanup = []
})

/** Calldata frames of 150 bytes: a block with one transfer makes a channel of several frames. */
const SMALL_FRAMES = { dataAvailability: 'calldata', maxFrameBytes: 150, maxBatchAgeMs: 300 } as const
/** Blocks small enough for such frames within the channel timeout (the node checks it). */
const SMALL_BLOCKS = { pool: { maxTxBytes: 10_000 }, sequencer: { maxBlockBytes: 15_000 } }

async function rollup(opts: Parameters<typeof startTestRollup>[0] = {}): Promise<TestRollup> {
  const r = await startTestRollup(opts)
  cleanup.push(() => r.close())
  return r
}

/** Every RollupAnchor transaction on L1, in order, with the frames it carried. */
async function anchorTxs(r: TestRollup) {
  const head = await r.l1Client.getBlockNumber()
  const out: { hash: Hex; block: bigint; fn: string; status: string; appended?: { channelId: Hex; firstFrame: number; frames: number } }[] = []
  for (let n = 1n; n <= head; n++) {
    const block = await r.l1Client.getBlock({ blockNumber: n, includeTransactions: true })
    for (const tx of block.transactions) {
      if (tx.to?.toLowerCase() !== r.deployments.rollupAnchor.toLowerCase()) continue
      const receipt = await r.l1Client.getTransactionReceipt({ hash: tx.hash })
      const fn = ['appendFrames', 'submitChannel', 'submitBatch'].find((name) => tx.input.startsWith(selector(name))) ?? 'other'
      const ev = parseEventLogs({ abi: rollupAnchorAbi, eventName: 'FramesAppended', logs: receipt.logs })[0]
      out.push({ hash: tx.hash, block: n, fn, status: receipt.status, appended: ev && { channelId: ev.args.channelId, firstFrame: ev.args.firstFrame, frames: ev.args.frameHashes.length } })
    }
  }
  return out
}

const selector = (name: string) => toFunctionSelector((rollupAnchorAbi as readonly unknown[] as AbiFunction[]).find((x) => x.type === 'function' && x.name === name)!)

/** A fresh node rebuilt from L1 alone has every block of the sequencer's, same hash and state root. */
async function expectRebuildMatches(r: TestRollup, head: number) {
  const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  try {
    const result = await deriveFromL1({ l1RpcUrl: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, importer: replica.node })
    expect(result.head).toBe(head)
    for (let n = 1; n <= head; n++) {
      const [a, b] = await Promise.all([r.l2.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]), replica.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])])
      expect({ n, hash: b.hash, stateRoot: b.stateRoot }).toEqual({ n, hash: a.hash, stateRoot: a.stateRoot })
    }
  } finally {
    await replica.close()
  }
}

describe('channels across L1 transactions', () => {
  it('posts a batch as frames in several L1 transactions and L1 blocks; a rebuild from L1 matches block for block', async () => {
    const r = await rollup({ l1Config: SMALL_FRAMES, node: SMALL_BLOCKS })
    await sendTransfers(r.l2, 6)
    await sendTransfers(r.l2, 4, 9)
    const head = await untilPosted(r.l2)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
    const txs = await anchorTxs(r)
    const appends = txs.filter((t) => t.fn === 'appendFrames')
    expect(appends.length).toBeGreaterThan(1)
    expect(new Set(txs.map((t) => t.block)).size).toBe(txs.length) // one L1 block each (Anvil mines each transaction)
    expect(txs.every((t) => t.status === 'success')).toBe(true)
    // each channel's frames went in order, once
    const byChannel = new Map<string, number[]>()
    for (const t of appends) byChannel.set(t.appended!.channelId, [...(byChannel.get(t.appended!.channelId) ?? []), t.appended!.firstFrame])
    for (const firsts of byChannel.values()) expect(firsts).toEqual(firsts.map((_, i) => i))
    const status = await r.l2.rpc('rollup_getBatcherStatus')
    expect(status.channel).toBeNull()
    expect(status.dataBytesPosted).toBeGreaterThan(126 * appends.length)
    await expectRebuildMatches(r, head)
  }, 90_000)

  it('a replica derives the same chain from channels of several frames, as its service (Derivation) follows L1', async () => {
    const r = await rollup({ l1Config: SMALL_FRAMES, node: SMALL_BLOCKS })
    const dir = tempDir('replica-channels-')
    const replica = await startNode({ dataDir: dir, rpc: { port: 0 }, logLevel: TEST_LOG_LEVEL, replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, confirmations: 1, pollIntervalMs: 50 } })
    cleanup.push(async () => {
      await replica.close()
      rmSync(dir, { recursive: true, force: true })
    })
    await sendTransfers(r.l2, 5)
    await sendTransfers(r.l2, 3, 9)
    const head = await untilPosted(r.l2)
    const status = await until(async () => {
      const s = await rpc(replica.url, 'rollup_getReplicaStatus')
      return s.derivation.derivedBlock >= head ? s : undefined
    }, `the replica to derive up to block ${head}`)
    expect(status.derivation.heldBatch).toBeNull()
    expect(status.derivation.blocksExecuted).toBe(head)
    for (let n = 1; n <= head; n++) {
      const [a, b] = await Promise.all([r.l2.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]), rpc(replica.url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false])])
      expect({ n, hash: b.hash, stateRoot: b.stateRoot }).toEqual({ n, hash: a.hash, stateRoot: a.stateRoot })
    }
    // its ledger counts every L1 transaction of each channel, as the batcher's does
    const [onReplica, onSequencer] = await Promise.all([rpc(replica.url, 'rollup_getBatch', ['0x0']), r.l2.rpc('rollup_getBatch', ['0x0'])])
    expect(onReplica.l1GasUsed).toBe(onSequencer.l1GasUsed)
    expect(onReplica.dataBytes).toBe(onSequencer.dataBytes)
  }, 90_000)

  it.each<CrashPoint>(['planned', 'built', 'persisted', 'sent', 'mined'])('resumes after a crash at "%s" between two frames without losing or duplicating a frame', async (point) => {
    let crashed = false
    const r = await rollup({
      l1Config: SMALL_FRAMES,
      node: SMALL_BLOCKS,
      hooks: {
        batcherCrashAt: (p, at) => {
          // 'planned' comes before frame 0; every other point on the channel's second transaction
          if (!crashed && p === point && (point === 'planned' || at.frame >= 1)) {
            crashed = true
            throw new BatcherCrash(`test crash at ${p}, frame ${at.frame}`)
          }
        },
      },
    })
    await sendTransfers(r.l2, 6)
    await until(() => crashed || undefined, `the crash at ${point}`)
    await until(async () => ((await r.l2.rpc('rollup_getBatcherStatus')).running === false ? true : undefined), 'the batcher to stop')
    await sendTransfers(r.l2, 2, 9) // blocks keep coming while the batcher is down
    await r.restartL2()
    const head = await untilPosted(r.l2)
    expect((await l1Batches(r)).at(-1)!.lastBlock).toBe(BigInt(head))
    const txs = await anchorTxs(r)
    expect(txs.filter((t) => t.status !== 'success')).toEqual([]) // nothing posted twice (RollupAnchor would refuse it)
    expect((await r.l2.rpc('rollup_getBatcherStatus')).revertedBatchTxs).toBe(0)
    // the channel that was interrupted went on where L1 had it: one channel, frames in order
    const firstChannel = txs.find((t) => t.fn === 'appendFrames')!.appended!.channelId
    const its = txs.filter((t) => t.appended?.channelId === firstChannel).map((t) => t.appended!.firstFrame)
    expect(its).toEqual(its.map((_, i) => i))
    await expectRebuildMatches(r, head)
  }, 90_000)

  it('re-posts the frames an L1 reorg took away, from where RollupAnchor then has the channel', async () => {
    const r = await rollup({ l1Config: SMALL_FRAMES, node: SMALL_BLOCKS })
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    const before = (await l1Batches(r)).length
    const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
    await l1Rpc(r.l1, 'evm_setAutomine', [false])
    await sendTransfers(r.l2, 5, 9)
    // mine the channel's transactions one L1 block at a time until two of its frames are in
    const channelId = await until(async () => (await r.l2.rpc('rollup_getBatcherStatus')).channel?.id as Hex | undefined, 'a channel being posted')
    await until(async () => {
      await l1Rpc(r.l1, 'evm_mine')
      const ch = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'channel', args: [channelId] })
      return ch.nextFrame >= 2 ? true : undefined
    }, 'two frames of the channel on L1')
    await l1Rpc(r.l1, 'evm_revert', [snapshot]) // the L1 forgets them (and the batcher's nonces with them)
    await l1Rpc(r.l1, 'evm_setAutomine', [true])
    const head = await untilPosted(r.l2, 60_000)
    const batches = await l1Batches(r)
    expect(batches.length).toBeGreaterThan(before)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
    await expectRebuildMatches(r, head)
  }, 90_000)

  it('drops a channel that cannot complete within its timeout and posts its blocks again under a new channel id', async () => {
    let stop = false
    const r = await rollup({
      l1Config: SMALL_FRAMES,
      node: SMALL_BLOCKS,
      hooks: {
        batcherCrashAt: (p, at) => {
          if (!stop && p === 'mined' && at.frame === 0 && !at.closes) {
            stop = true
            throw new BatcherCrash('test crash after frame 0')
          }
        },
      },
    })
    await r.adminWallet.writeContract({
      address: r.deployments.rollupAnchor,
      abi: [{ type: 'function', name: 'setChannelTimeout', stateMutability: 'nonpayable', inputs: [{ type: 'uint64' }], outputs: [] }] as const,
      functionName: 'setChannelTimeout',
      args: [6n], // channels of at most 3 transactions
    })
    await sendTransfers(r.l2, 6)
    await until(() => stop || undefined, 'the crash after frame 0')
    await l1Rpc(r.l1, 'anvil_mine', ['0xa']) // the channel's timeout passes while the batcher is down
    await r.restartL2()
    const head = await untilPosted(r.l2)
    expect((await l1Batches(r)).at(-1)!.lastBlock).toBe(BigInt(head))
    const txs = await anchorTxs(r)
    const channels = [...new Set(txs.filter((t) => t.appended !== undefined).map((t) => t.appended!.channelId))]
    expect(channels.length).toBeGreaterThanOrEqual(2) // the timed-out one, then its blocks again
    const timedOut = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'channel', args: [channels[0]] })
    expect(timedOut.closed).toBe(false)
    expect(txs.filter((t) => t.status !== 'success')).toEqual([])
    await expectRebuildMatches(r, head)
  }, 90_000)
})
