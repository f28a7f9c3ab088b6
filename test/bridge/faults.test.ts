/**
 * The deposit watcher when things go wrong. A deposit whose system transaction reverts is marked
 * failed and consumes its slot (later deposits go on, it is never retried); an L1 that is down is
 * retried until it is back; an L1 reorg deeper than the confirmation depth, a nonce gap, or a data
 * directory bridged to another L1Bridge stop the watcher loudly while the node keeps serving.
 *
 * Deposits that L1Bridge itself can never emit (metadata that does not decode, a nonce gap) come
 * from a stand-in contract that emits DepositInitiated exactly as L1Bridge declares it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { decodeFunctionData, getAddress, parseEther, zeroAddress, type Address, type Hex } from 'viem'
import { join } from 'node:path'
import { readDeployments, writeDeployments } from '../../batcher/deployments.ts'
import { l2BridgeAbi } from '../../bridge/abi.ts'
import { L2_BRIDGE } from '../../precompiles/addresses.ts'
import { SYSTEM_ADDRESS } from '../../sequencer/system/system-tx.ts'
import { depositETH } from '@ai-rollup/sdk'
import { startAnvil } from '../../scripts/lib/anvil.ts'
import { compile } from '../helpers/solidity.ts'
import { startTestNode, type TestNode } from '../helpers/node.ts'
import { deployTestL1, startTestL1, type TestL1 } from '../helpers/l1.ts'
import { BATCHER_KEY, l1Rpc, sendTransfers, until } from '../helpers/rollup.ts'
import { l2Balance, mineL1, startBridgeRollup, untilDeposit, type BridgeRollup } from './helpers.ts'

const FAKE_BRIDGE = `
contract FakeL1Bridge {
  event DepositInitiated(uint256 indexed nonce, address indexed l1Token, address indexed from, address to, uint256 amount, bytes tokenMetadata);
  uint256 public nextDepositNonce;
  function emitDeposit(uint256 nonce, address l1Token, address to, uint256 amount, bytes calldata tokenMetadata) external {
    if (nonce + 1 > nextDepositNonce) nextDepositNonce = nonce + 1;
    emit DepositInitiated(nonce, l1Token, msg.sender, to, amount, tokenMetadata);
  }
}`

const status = (l2: TestNode) => l2.rpc('bridge_getStatus')
const untilStopped = (l2: TestNode) => until(async () => ((await status(l2)).stopped !== null ? status(l2) : undefined), 'the deposit watcher to stop')

describe('a deposit whose system transaction reverts, and deposits L1Bridge could not have emitted', () => {
  let l1: TestL1
  let l2: TestNode
  let fake: Address
  let deploymentsPath: string
  let realBridge: Address
  let admin: Awaited<ReturnType<typeof deployTestL1>>['adminWallet']
  let l1Client: Awaited<ReturnType<typeof deployTestL1>>['publicClient']
  const l1Config = () => ({ rpcUrl: l1.url, deploymentsPath, batcherKey: BATCHER_KEY, confirmations: 1, maxBatchAgeMs: 50, pollIntervalMs: 50 })
  const emit = async (nonce: bigint, l1Token: Address, to: Address, amount: bigint, metadata: Hex) => {
    const { abi } = compile(FAKE_BRIDGE, 'FakeL1Bridge')
    const hash = await admin.writeContract({ address: fake, abi, functionName: 'emitDeposit', args: [nonce, l1Token, to, amount, metadata] })
    await l1Client.waitForTransactionReceipt({ hash })
  }

  beforeAll(async () => {
    l1 = await startTestL1()
    const d = await deployTestL1(l1, { sequencerKey: BATCHER_KEY })
    admin = d.adminWallet
    l1Client = d.publicClient
    realBridge = d.deployments.l1Bridge!
    const { abi, bytecode } = compile(FAKE_BRIDGE, 'FakeL1Bridge')
    const hash = await admin.deployContract({ abi, bytecode })
    fake = getAddress((await l1Client.waitForTransactionReceipt({ hash })).contractAddress!)
    deploymentsPath = join(l1.dir, 'fake-deployments.json')
    writeDeployments(deploymentsPath, { ...d.deployments, l1Bridge: fake })
    l2 = await startTestNode({ l1: l1Config(), bridge: { confirmations: 0, pollIntervalMs: 50 } })
  }, 120_000)
  afterAll(async () => {
    await l2.close()
    await l1.close()
  })

  it('marks it failed and goes on with the next nonce: the slot is consumed, the deposit is never retried, L2Bridge never marked it processed', async () => {
    const to = getAddress('0x00000000000000000000000000000000000b0b01')
    // a token's first deposit whose metadata does not decode: L2Bridge's abi.decode reverts
    await emit(0n, getAddress('0x00000000000000000000000000000000000070c0'), to, 7n, '0x')
    await emit(1n, zeroAddress, to, parseEther('0.5'), '0x')
    const failed = await untilDeposit(l2, 0)
    expect(failed).toMatchObject({ nonce: 0, status: 'failed', amount: '7', l2: { l2Token: null } })
    const receipt = await l2.publicClient.getTransactionReceipt({ hash: failed.l2.txHash })
    expect(receipt.status).toBe('reverted')
    expect(receipt.from.toLowerCase()).toBe(SYSTEM_ADDRESS)
    expect(await untilDeposit(l2, 1)).toMatchObject({ status: 'included', to, amount: parseEther('0.5').toString() })
    expect(await l2Balance(l2, 'eth', to)).toBe(parseEther('0.5'))
    expect(await l2.publicClient.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'depositProcessed', args: [0n] })).toBe(false)
    expect(await status(l2)).toMatchObject({ running: true, failedDeposits: [0], lastIncludedNonce: 1, pendingDeposits: 0, stopped: null })

    // across a restart it stays failed, and no second finalizeDeposit(0) is ever sent
    await l2.close({ keepData: true })
    l2 = await startTestNode({ dataDir: l2.dataDir, l1: l1Config(), bridge: { confirmations: 0, pollIntervalMs: 50 } })
    await emit(2n, zeroAddress, to, 1n, '0x')
    await untilDeposit(l2, 2)
    expect(await status(l2)).toMatchObject({ failedDeposits: [0], lastIncludedNonce: 2 })
    let calls = 0
    for (let n = 1n; n <= (await l2.publicClient.getBlockNumber()); n++) {
      for (const tx of (await l2.publicClient.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
        if (tx.to?.toLowerCase() !== L2_BRIDGE || tx.input.length < 10) continue
        const call = decodeFunctionData({ abi: l2BridgeAbi, data: tx.input })
        if (call.functionName === 'finalizeDeposit' && call.args[0] === 0n) calls++
      }
    }
    expect(calls).toBe(1)
  })

  it('stops loudly on a nonce gap (deposits never seen); the node keeps serving', async () => {
    await emit(4n, zeroAddress, zeroAddress.replace(/0$/, '1') as Address, 1n, '0x') // nonce 3 skipped
    const s = await untilStopped(l2)
    expect(s.running).toBe(false)
    expect(s.stopped).toMatch(/emitted deposit 4 .* the next one expected is 3: deposits 3\.\.3 were never seen/)
    expect(s.lastError.message).toBe(s.stopped)
    const [hash] = await sendTransfers(l2, 1)
    expect((await l2.publicClient.getTransactionReceipt({ hash })).status).toBe('success')
  })

  it('stops loudly when the data directory was bridged to another L1Bridge', async () => {
    await l2.close({ keepData: true })
    const realPath = join(l1.dir, 'real-deployments.json')
    writeDeployments(realPath, { ...readDeployments(deploymentsPath), l1Bridge: realBridge })
    l2 = await startTestNode({ dataDir: l2.dataDir, l1: { ...l1Config(), deploymentsPath: realPath }, bridge: { confirmations: 0, pollIntervalMs: 50 } })
    const s = await untilStopped(l2)
    expect(s.stopped).toMatch(new RegExp(`holds deposits from L1Bridge ${fake}, but the deployments file names ${realBridge}`))
    expect(await l2.rpc('eth_chainId')).toBe('0xa5b8')
  })
})

describe('the deposit watcher and an unreliable L1', () => {
  let cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
    cleanup = []
  })
  const rollup = async (opts: Parameters<typeof startBridgeRollup>[0] = {}) => {
    const r = await startBridgeRollup(opts)
    cleanup.push(() => r.close())
    return r
  }

  it('stops loudly on an L1 reorg deeper than the confirmations (deposits already paid on L2 may be gone from L1), also after a restart', async () => {
    const r: BridgeRollup = await rollup({ bridge: { confirmations: 1 } })
    const c = await r.user(0)
    const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
    const d = await depositETH(c, { amount: parseEther('1') })
    await mineL1(r.l1, 1)
    await untilDeposit(r.l2, d.nonce)
    await l1Rpc(r.l1, 'evm_revert', [snapshot]) // the deposit, read and paid out, is gone from L1
    const s = await untilStopped(r.l2)
    expect(s.stopped).toMatch(/an L1 reorg deeper than the 1 confirmations, or an L1 reset; deposits included on L2 may no longer exist on L1/)
    expect(s.running).toBe(false)
    // a deposit made now is not included: the watcher reads nothing more
    const later = await depositETH(c, { amount: 1n })
    await mineL1(r.l1, 3)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await r.l2.rpc('bridge_getDepositStatus', [`0x${later.nonce.toString(16)}`])).toMatchObject({ status: 'included', l1: { txHash: d.l1TxHash } }) // the old one under that nonce
    const [hash] = await sendTransfers(r.l2, 1)
    expect((await r.l2.publicClient.getTransactionReceipt({ hash })).status).toBe('success')
    await r.restartL2()
    const again = await untilStopped(r.l2)
    expect(again.stopped).toMatch(/reorg deeper than the 1 confirmations/)
  })

  it('retries while L1 is down, reports the error, and includes the deposits once L1 is back', async () => {
    const l1 = await startTestL1({ statePath: true })
    const r = await rollup({ l1, bridge: { confirmations: 1 } })
    const c = await r.user(1)
    const to = getAddress('0x00000000000000000000000000000000000d0e01')
    const d = await depositETH(c, { amount: 5n, to })
    const port = l1.anvil.port
    await l1.anvil.stop() // before the confirmation: the watcher has not read it
    const down = await until(async () => {
      const s = await status(r.l2)
      return s.lastError !== null ? s : undefined
    }, 'the watcher to notice L1 is down')
    expect(down.lastError.message).toMatch(/L1 request failed/)
    expect(down.running).toBe(true)
    expect(down.stopped).toBeNull()
    const back = await startAnvil({ port, statePath: l1.anvil.statePath, silent: true, onWarning: () => undefined })
    cleanup.push(() => back.stop())
    await l1Rpc({ url: back.url } as TestL1, 'anvil_mine', ['0x2'])
    expect(await untilDeposit(r.l2, d.nonce, 60_000)).toMatchObject({ status: 'included', to })
    expect(await l2Balance(r.l2, 'eth', to)).toBe(5n)
    expect((await status(r.l2)).stopped).toBeNull()
  }, 90_000)
})
