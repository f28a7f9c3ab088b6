/**
 * The sequencer logs one INFO line per sealed block (number, transactions, gas, build time), so
 * `npm start` shows the chain moving; at the tests' level ('error') it stays quiet.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseEther, type Hex } from 'viem'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'

let node: TestNode | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await node?.close()
  node = undefined
})

function captureStdout(): string[] {
  const lines: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  return lines
}

async function transfer(n: TestNode): Promise<bigint> {
  const hash = await n.wallet(1).sendTransaction({ to: accounts[2].address as Hex, value: parseEther('1') })
  return (await n.publicClient.waitForTransactionReceipt({ hash })).blockNumber
}

describe('the block log line', () => {
  it('is one INFO line per sealed block with its number, transactions, gas and build time', async () => {
    const lines = captureStdout()
    node = await startTestNode({ logLevel: 'info' })
    const block = await transfer(node)
    const sealed = lines.filter((l) => l.includes('sealed block'))
    expect(sealed).toHaveLength(1)
    expect(sealed[0]).toMatch(new RegExp(`INFO  \\[node\\] sealed block ${block}: 1 transaction, 21000 gas, built in \\d+ ms\\n$`))
  })

  it('is not printed at the error level', async () => {
    const lines = captureStdout()
    node = await startTestNode({ logLevel: 'error' })
    await transfer(node)
    expect(lines.filter((l) => l.includes('sealed block'))).toEqual([])
  })
})
