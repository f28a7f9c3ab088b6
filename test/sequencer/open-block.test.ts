/**
 * A block kept open (the driver's early start under load, sequencer/builder/driver.ts) on a real
 * node: it starts with what the pool holds, takes in transactions as they arrive, a sender's
 * next nonce and new senders alike, and seals once its time is up, every one with a receipt.
 */
import { parseEther, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/node.ts'

describe('a block kept open until its tick', () => {
  let t: TestNode
  beforeAll(async () => {
    // no automine and a long block time: the test decides when blocks are built
    t = await startTestNode({ sequencer: { automine: false, blockTimeMs: 600_000 } })
  })
  afterAll(() => t.close())

  it('takes in what arrives while it is open, in one block, and seals when its time is up', async () => {
    const to = '0x000000000000000000000000000000000000dEaD'
    const first = await t.wallet(1).sendTransaction({ to, value: parseEther('0.001'), chain: null })
    const started = performance.now()
    const mined = t.node.mine({ openForMs: 1_500 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    // arrivals while the block is open: the same sender's next nonce, and a new sender
    const later: Hex[] = [await t.wallet(1).sendTransaction({ to, value: 1n, chain: null }), await t.wallet(2).sendTransaction({ to, value: 2n, chain: null })]
    const sealed = (await mined)!
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_400)
    expect(sealed.txRows.map((r) => `0x${Buffer.from(r.hash).toString('hex')}`)).toEqual([first, ...later])
    for (const hash of [first, ...later]) {
      const receipt = await t.rpc('eth_getTransactionReceipt', [hash])
      expect(receipt).toMatchObject({ status: '0x1', blockNumber: `0x${sealed.row.number.toString(16)}` })
    }
    expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
  })
})
