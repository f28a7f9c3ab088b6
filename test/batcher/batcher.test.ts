/**
 * The batcher against a real Anvil L1: every L2 block posted in order, batch data that rebuilds
 * the exact chain on a fresh node, safe and finalized heads that follow L1, and anchored hashes
 * whose proofs verify on L1 (through the contract and through the enterprise's verify CLI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeDeployData, keccak256, toHex, type Hex } from 'viem'
import { deriveFromL1, fetchBatch } from '../../batcher/derive.ts'
import { encodeBatch } from '../../batcher/codec.ts'
import { singleFrame } from '../../batcher/channel.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'
import { deployTestL1 } from '../helpers/l1.ts'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { startTestNode } from '../helpers/node.ts'
import { l1Batches, l1Rpc, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { compile } from '../helpers/solidity.ts'
import { verifyAnchor, parseAnchorProof } from '@ai-rollup/sdk'

const WINDOW = 3600
const doc = (label: string): Hex => keccak256(toHex(label))

async function anchor(url: string, hashes: Hex[]) {
  const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_ANCHOR_API_KEY}` }, body: JSON.stringify({ hashes }) })
  expect(res.status).toBe(202)
}

async function status(url: string, hash: Hex) {
  return (await (await fetch(`${url}/v1/anchors/${hash}`)).json()) as any
}

describe('batcher', () => {
  let r: TestRollup
  const anchored = [doc('audit-2026'), doc('board-minutes'), doc('supply-contract')]

  beforeAll(async () => {
    r = await startTestRollup({ challengeWindowSeconds: WINDOW, l1Config: { confirmations: 2 } })
    // a mix: transfers, a contract deployment, anchored hashes (system transactions)
    await sendTransfers(r.l2, 12)
    const { abi, bytecode } = compile('contract Counter { uint256 public n; function inc() external { n += 1; } }', 'Counter')
    const deploy = await r.l2.wallet(5).sendTransaction({ data: encodeDeployData({ abi, bytecode }) })
    await r.l2.publicClient.waitForTransactionReceipt({ hash: deploy })
    await anchor(r.l2.url, anchored)
    await until(async () => (await status(r.l2.url, anchored[0])).l2 ?? undefined, 'the anchors to reach a block')
    await sendTransfers(r.l2, 5, 7)
    await untilPosted(r.l2)
  }, 120_000)
  afterAll(() => r.close())

  it('posts every L2 block once, in order, with the state root and hash of each batch end', async () => {
    const batches = await l1Batches(r)
    const head = r.l2.node.chain.headNumber
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
    for (const b of batches) {
      const block = await r.l2.rpc('eth_getBlockByNumber', [toHex(b.lastBlock), false])
      expect(b.blockHash).toBe(block.hash)
      expect(b.stateRoot).toBe(block.stateRoot)
    }
  })

  it('batch data decodes to the exact blocks: timestamps, coinbase and raw transactions', async () => {
    const count = Number(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' }))
    let blocksSeen = 0
    for (let i = 0; i < count; i++) {
      const { blocks } = await fetchBatch(r.l1.url, r.deployments.rollupAnchor, i)
      for (const block of blocks) {
        const l2 = await r.l2.rpc('eth_getBlockByNumber', [toHex(block.number), false])
        expect(toHex(block.timestamp)).toBe(l2.timestamp)
        expect(toHex(block.coinbase)).toBe(l2.miner)
        const raws = await Promise.all(l2.transactions.map((h: Hex) => r.l2.rpc('eth_getRawTransactionByHash', [h])))
        expect(block.txs.map((t) => toHex(t))).toEqual(raws)
        blocksSeen++
      }
    }
    expect(blocksSeen).toBe(r.l2.node.chain.headNumber)
  })

  it('a fresh node rebuilds the exact chain from L1 alone (same block hashes and state roots)', async () => {
    const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      const result = await deriveFromL1({ l1RpcUrl: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, importer: replica.node })
      expect(result.head).toBe(r.l2.node.chain.headNumber)
      for (let n = 1; n <= result.head; n++) {
        const [a, b] = await Promise.all([r.l2.rpc('eth_getBlockByNumber', [toHex(n), false]), replica.rpc('eth_getBlockByNumber', [toHex(n), false])])
        expect(b.hash).toBe(a.hash)
      }
      // the replica indexed the anchored hashes from the rebuilt blocks' logs too
      expect((await replica.rpc('anchor_getProof', [anchored[1]])).l2.blockNumber).toBeGreaterThan(0)
    } finally {
      await replica.close()
    }
  })

  it('reports progress: last posted block, nothing pending, L1 cost per L2 transaction', async () => {
    const s = await r.l2.rpc('rollup_getBatcherStatus')
    const head = r.l2.node.chain.headNumber
    expect(s).toMatchObject({ running: true, lastPostedBlock: head, pendingBlocks: 0, pendingBytes: 0, inflight: null, revertedBatchTxs: 0, l1ChainId: 31337 })
    expect(s.sender.toLowerCase()).toBe(r.deployments.sequencer.toLowerCase())
    expect(s.l2TxsPosted).toBeGreaterThanOrEqual(19) // 17 transfers, a deployment, a system anchor tx
    expect(BigInt(s.l1CostPerL2TxWei)).toBe(BigInt(s.l1FeeWei) / BigInt(s.l2TxsPosted))
    expect(BigInt(s.l1CostPerL2TxWei)).toBeGreaterThan(0n)
    const batch0 = await r.l2.rpc('rollup_getBatch', ['0x0'])
    const onL1 = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [0n] })
    expect(batch0).toMatchObject({ batchIndex: 0, firstBlock: 1, lastBlock: Number(onL1.lastBlock), dataHash: onL1.dataHash, anchorRoot: onL1.anchorRoot, final: false })
    const receipt = await r.l1Client.getTransactionReceipt({ hash: batch0.l1TxHash })
    expect(receipt.blockNumber).toBe(BigInt(batch0.l1BlockNumber))
    expect(await r.l2.rpc('rollup_getBatch', ['0x3e8'])).toBeNull()
  })

  it('runs as a node service: its health says running and how far it posted, next to the deposit watcher', async () => {
    const health = r.l2.node.health()
    expect(health.map((h) => h.name)).toEqual(['calls', 'rpc', 'anchoring', 'aggregation', 'sequencer', 'batcher', 'deposits'])
    expect(health.every((h) => h.ok)).toBe(true)
    expect(health.find((h) => h.name === 'batcher')?.detail).toMatch(/^posted up to L2 block \d+$/)
  })

  it('moves safe after the confirmations and finalized after the challenge window; block tags follow', async () => {
    const posted = r.l2.node.chain.headNumber
    // two confirmations: the batch's own L1 block and one more
    await l1Rpc(r.l1, 'evm_mine')
    await until(() => (r.l2.node.chain.headOf('safe') === posted ? true : undefined), 'safe to reach the posted head')
    expect((await r.l2.rpc('eth_getBlockByNumber', ['safe', false])).number).toBe(toHex(posted))
    expect(r.l2.node.chain.headOf('finalized')).toBe(0)
    expect((await status(r.l2.url, anchored[0])).status).toBe('posted')
    await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
    await l1Rpc(r.l1, 'evm_mine')
    await until(() => (r.l2.node.chain.headOf('finalized') === posted ? true : undefined), 'finalized to reach the posted head')
    expect((await r.l2.rpc('eth_getBlockByNumber', ['finalized', false])).number).toBe(toHex(posted))
    expect((await status(r.l2.url, anchored[0])).status).toBe('final')
  })

  it('serves anchor proofs that RollupAnchor and the verify CLI accept, and that fail when tampered', async () => {
    for (const hash of anchored) {
      const s = await status(r.l2.url, hash)
      expect(s).toMatchObject({ hash, status: 'final', l1: { chainId: 31337, rollupAnchor: r.deployments.rollupAnchor } })
      const args = [BigInt(s.batchIndex), hash, s.proof] as const
      expect(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'verifyAnchor', args })).toBe(true)
      const onL1 = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [BigInt(s.batchIndex)] })
      expect(s.anchorRoot).toBe(onL1.anchorRoot)
      const verdict = await verifyAnchor({ l1: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, hash, proof: parseAnchorProof(s) })
      expect(verdict.valid).toBe(true)
      expect(verdict.batch?.final).toBe(true)
    }
    const s = await status(r.l2.url, anchored[0])
    const tampered = doc('not anchored')
    expect((await verifyAnchor({ l1: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, hash: tampered, proof: parseAnchorProof({ ...s, hash: tampered }) })).valid).toBe(false)
    if (s.batchIndex > 0) {
      expect((await verifyAnchor({ l1: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, hash: anchored[0], proof: parseAnchorProof({ ...s, batchIndex: s.batchIndex - 1 }) })).valid).toBe(false)
    }
    if (s.proof.length > 0) {
      const flipped = { ...s, proof: [s.proof[0].slice(0, -1) + (s.proof[0].endsWith('0') ? '1' : '0'), ...s.proof.slice(1)] }
      expect((await verifyAnchor({ l1: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, hash: anchored[0], proof: parseAnchorProof(flipped) })).valid).toBe(false)
    }
  })

  it('a rebuild refuses a batch whose anchor root is not the one its blocks give (a lying sequencer)', async () => {
    // the same batch data, posted by another sequencer to another RollupAnchor with a forged anchor root
    const forger = ANVIL_PRIVATE_KEYS[3]
    const { deployments, wallet, publicClient } = await deployTestL1(r.l1, { sequencerKey: forger, challengeWindowSeconds: WINDOW })
    const { batch, blocks } = await fetchBatch(r.l1.url, r.deployments.rollupAnchor, 0)
    const data = singleFrame(encodeBatch(blocks, 'brotli'))
    const forged = keccak256(toHex('not the anchors of this batch'))
    const hash = await wallet.writeContract({
      address: deployments.rollupAnchor,
      abi: rollupAnchorAbi,
      functionName: 'submitBatch',
      args: [batch.firstBlock, batch.lastBlock, batch.stateRoot, batch.blockHash, batch.withdrawalRoot, forged, toHex(data)],
    })
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      await expect(deriveFromL1({ l1RpcUrl: r.l1.url, rollupAnchor: deployments.rollupAnchor, importer: replica.node })).rejects.toThrow(/batch 0: its anchored hashes give root 0x[0-9a-f]{64}, L1 holds /)
    } finally {
      await replica.close()
    }
  })
})
