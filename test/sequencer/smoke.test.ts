import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther } from 'viem'
import { accounts, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec } from '../helpers/spec.ts'

describe('a transfer through viem', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  it('is mined with a spec-shaped receipt and moves the balance', async () => {
    const before = await t.publicClient.getBalance({ address: accounts[1].address })
    const hash = await t.wallet(0).sendTransaction({ to: accounts[1].address, value: parseEther('1') })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(await t.publicClient.getBalance({ address: accounts[1].address })).toBe(before + parseEther('1'))
    assertMatchesSpec('eth_getTransactionReceipt', await t.rpc('eth_getTransactionReceipt', [hash]), { noExtraFields: true })
    assertMatchesSpec('eth_getBlockByNumber', await t.rpc('eth_getBlockByNumber', ['latest', true]), { noExtraFields: true })
    assertMatchesSpec('eth_getTransactionByHash', await t.rpc('eth_getTransactionByHash', [hash]), { noExtraFields: true })
  })
})

describe("the node's services", () => {
  it('each reports its health by name, in start order', async () => {
    const t = await startTestNode()
    try {
      const health = t.node.health()
      expect(health.map((h) => h.name)).toEqual(['calls', 'rpc', 'anchoring', 'aggregation', 'sequencer'])
      expect(health.every((h) => h.ok)).toBe(true)
      expect(health.find((h) => h.name === 'rpc')?.detail).toBe(t.url)
    } finally {
      await t.close()
    }
  })

  it('a service that fails to start is named, and what started before it is stopped', async () => {
    const a = await startTestNode()
    const dataDir = tempDir()
    try {
      const port = Number(new URL(a.url).port)
      await expect(startTestNode({ dataDir, rpc: { port } })).rejects.toThrow(/node failed to start: rpc failed to start: .*EADDRINUSE/)
      // the failed node closed its store and workers: the same data directory starts cleanly
      const b = await startTestNode({ dataDir })
      expect(b.node.health().every((h) => h.ok)).toBe(true)
      await b.close()
    } finally {
      await a.close()
    }
  })
})
