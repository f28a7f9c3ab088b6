/**
 * The transaction that costs the most CPU per unit of gas found in @ethereumjs: a loop of
 * STATICCALLs to a contract that only STOPs (130 gas a lap, about 0.3 µs a unit of gas, seconds
 * for a block's worth). While it executes, the node keeps answering: the EVM lets the event loop
 * run every few milliseconds (evm-speedups.ts, 5), where it used to hold the thread for the whole
 * transaction (18.7 s without an answer at 30M gas, README "Measured figures"). Its journal stays
 * bounded too (evm-speedups.ts, 7; test/sequencer/unit/evm-speedups.test.ts). And a block of them
 * seals once it has executed for a block time (builder.ts `maxExecuteMs`), so the chain keeps its
 * cadence where such a block used to take the whole 20 s its gas allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, type Hex } from 'viem'
import { callLoop, STOPPER_INIT } from '../../scripts/lib/call-loop.ts'
import { accounts, postRaw, startTestNode, type JsonRpcResponse, type TestNode } from '../helpers/node.ts'

const LOOP_GAS = 8_000_000n

/** Deploys the STOP contract; returns the init code of a creation that loops STATICCALLs to it until out of gas. */
async function deployCallLoop(t: TestNode): Promise<Hex> {
  const deploy = await t.wallet(0).sendTransaction({ data: STOPPER_INIT })
  const stopper = (await t.publicClient.waitForTransactionReceipt({ hash: deploy })).contractAddress!
  expect(await t.publicClient.getCode({ address: stopper })).toBe('0x00')
  return callLoop(stopper)
}

describe('a transaction looping calls to the gas limit', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t?.close())

  it('runs to its gas limit while the node answers requests, and the chain goes on', async () => {
    const loop = await deployCallLoop(t)
    const before = await t.publicClient.getBlockNumber()
    const hash = await t.wallet(1).sendTransaction({ data: loop, gas: LOOP_GAS })
    // answers that came while the loop's block was being built (automine builds it at once)
    let answered = 0
    let receipt = null
    while (receipt === null) {
      if (BigInt(await t.rpc<Hex>('eth_blockNumber')) === before) answered++
      receipt = await t.rpc('eth_getTransactionReceipt', [hash])
    }
    expect(receipt).toMatchObject({ status: '0x0', gasUsed: `0x${LOOP_GAS.toString(16)}` })
    expect(answered).toBeGreaterThan(10)

    const transfer = await t.wallet(2).sendTransaction({ to: accounts[3].address as Hex, value: parseEther('1') })
    expect((await t.publicClient.waitForTransactionReceipt({ hash: transfer })).status).toBe('success')
  })
})

describe('a block of transactions looping calls', () => {
  const BLOCK_TIME_MS = 500
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ sequencer: { automine: false, blockTimeMs: BLOCK_TIME_MS } })
  })
  afterAll(() => t?.close())

  it('seals once it has executed for a block time: the rest go in the next blocks', async () => {
    const loop = await deployCallLoop(t)
    // eight 2M-gas loops from eight senders, in one request so that they reach the same tick:
    // 16M gas fits one block, and each takes far more than a tenth of a block time to execute
    const raws = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (i) => {
      const wallet = t.wallet(i)
      return wallet.signTransaction(await wallet.prepareTransactionRequest({ data: loop, gas: 2_000_000n }))
    }))
    const { body } = await postRaw(t.url, JSON.stringify(raws.map((raw, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [raw] }))))
    const hashes = (body as JsonRpcResponse[]).map((r) => r.result as Hex)
    expect(hashes.every((h) => typeof h === 'string')).toBe(true)
    const receipts = await Promise.all(hashes.map((hash) => t.publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 })))
    expect(receipts.every((r) => r.status === 'reverted' && r.gasUsed === 2_000_000n)).toBe(true)
    const blocks = new Set(receipts.map((r) => r.blockNumber))
    expect(blocks.size).toBeGreaterThanOrEqual(3)
  })
})
