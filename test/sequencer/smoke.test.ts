import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther } from 'viem'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
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
