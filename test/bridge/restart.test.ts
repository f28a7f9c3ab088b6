/**
 * Exactly once, in order, across restarts: deposits made while the node is down, and deposits
 * flowing while a node process is killed with SIGKILL at random moments (a seeded schedule) and
 * started again on the same data directory. At the end every deposit nonce has exactly one
 * finalizeDeposit system transaction and one DepositFinalized log, in nonce order, and the
 * recipients hold exactly the sums deposited.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, decodeFunctionData, getAddress, http, parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { writeDeployments } from '../../batcher/deployments.ts'
import { erc20Abi, l1BridgeAbi, l2BridgeAbi } from '../../bridge/abi.ts'
import { L2_BRIDGE } from '../../precompiles/addresses.ts'
import { defineL1Chain } from '@ai-rollup/sdk'
import { depositETH } from '@ai-rollup/sdk'
import { connect } from '../../scripts/bridge.ts'
import { ROOT, rpc, startTestNode, tempDir } from '../helpers/node.ts'
import { deployTestL1, startTestL1 } from '../helpers/l1.ts'
import { BATCHER_KEY, until } from '../helpers/rollup.ts'
import { mineL1, startBridgeRollup, testTokenArtifact, untilDeposit, USER_KEYS } from './helpers.ts'
import { createPrng } from '../../scripts/models/prng.ts'


/** Checks the whole L2 chain: one finalizeDeposit per nonce 0..count-1, DepositFinalized in nonce order. */
async function expectExactlyOnce(url: string, count: number) {
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }) })
  const calls: bigint[] = []
  const head = await client.getBlockNumber()
  for (let n = 1n; n <= head; n++) {
    for (const tx of (await client.getBlock({ blockNumber: n, includeTransactions: true })).transactions) {
      if (tx.to?.toLowerCase() !== L2_BRIDGE || tx.input.length < 10) continue
      const call = decodeFunctionData({ abi: l2BridgeAbi, data: tx.input })
      if (call.functionName === 'finalizeDeposit') calls.push(call.args[0])
    }
  }
  expect(calls).toEqual([...Array(count).keys()].map(BigInt))
  const logs = await client.getContractEvents({ address: L2_BRIDGE, abi: l2BridgeAbi, eventName: 'DepositFinalized', fromBlock: 0n, toBlock: 'latest' })
  expect(logs.map((l) => Number(l.args.depositNonce))).toEqual([...Array(count).keys()])
}

describe('deposits across restarts', () => {
  it('deposits made while the node is down are all included once it is back, in order, once each', async () => {
    const r = await startBridgeRollup({ bridge: { confirmations: 1 } })
    try {
      const c = await r.user(0)
      const first = await depositETH(c, { amount: 1n })
      await mineL1(r.l1, 1)
      await untilDeposit(r.l2, first.nonce)
      await r.l2.close({ keepData: true })
      for (let i = 0; i < 5; i++) await depositETH(c, { amount: 10n, to: getAddress('0x000000000000000000000000000000000000a11c') })
      await mineL1(r.l1, 1)
      await r.restartL2()
      await untilDeposit(r.l2, 5)
      await expectExactlyOnce(r.l2.url, 6)
      expect(await r.l2.publicClient.getBalance({ address: '0x000000000000000000000000000000000000a11c' })).toBe(50n)
      // and a restart with nothing new changes nothing
      await r.restartL2()
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(await r.l2.rpc('bridge_getStatus')).toMatchObject({ lastSeenNonce: 5, lastIncludedNonce: 5, pendingDeposits: 0 })
      await expectExactlyOnce(r.l2.url, 6)
    } finally {
      await r.close()
    }
  }, 90_000)

  it('deposits read from L1 but not yet sealed when the node stopped are sealed after a restart, with nothing new on L1', async () => {
    const r = await startBridgeRollup({ bridge: { confirmations: 1 } })
    const bridge = { confirmations: 1, pollIntervalMs: 50 }
    let node = r.l2
    try {
      await node.close({ keepData: true })
      // a node whose first block is an hour away: it reads the deposits but seals nothing
      node = await startTestNode({ dataDir: r.l2.dataDir, l1: r.l1Config, bridge, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
      const c = await connect({ l1RpcUrl: r.l1.url, l2RpcUrl: node.url, deployments: r.deployments, privateKey: USER_KEYS[2], pollingIntervalMs: 50 })
      for (let i = 0; i < 3; i++) await depositETH(c, { amount: 7n, to: getAddress('0x000000000000000000000000000000000000b0b0') })
      await mineL1(r.l1, 1)
      await until(async () => ((await node.rpc('bridge_getStatus')).pendingDeposits === 3 ? true : undefined), 'the deposits to be read')
      expect(await node.rpc('eth_blockNumber')).toBe('0x0')
      await node.close({ keepData: true })
      node = await startTestNode({ dataDir: r.l2.dataDir, l1: r.l1Config, bridge, sequencer: { automine: true } })
      await untilDeposit(node, 2)
      await expectExactlyOnce(node.url, 3)
      expect(await node.publicClient.getBalance({ address: '0x000000000000000000000000000000000000b0b0' })).toBe(21n)
    } finally {
      await node.close()
      await r.l1.close()
    }
  }, 90_000)

  describe('a node process killed with SIGKILL while deposits flow', () => {
    const l1Promise = startTestL1()
    const dataDir = tempDir('bridge-kill9-')
    let child: ChildProcess | undefined
    afterAll(async () => {
      child?.kill('SIGKILL')
      await (await l1Promise).close()
      rmSync(dataDir, { recursive: true, force: true })
    })

    it('includes every deposit exactly once, in nonce order, whatever moment the kills hit', async () => {
      const l1 = await l1Promise
      const d = await deployTestL1(l1, { sequencerKey: BATCHER_KEY })
      const deploymentsPath = join(l1.dir, 'deployments.json')
      writeDeployments(deploymentsPath, d.deployments)
      const l1Bridge = d.deployments.l1Bridge!
      const chain = defineL1Chain(l1.url, d.deployments.l1ChainId)
      const transport = http(l1.url, { retryCount: 0 })
      const [ethUser, tokenUser] = [USER_KEYS[0], USER_KEYS[1]].map((k) => createWalletClient({ chain, transport, account: privateKeyToAccount(k) }))
      const token = testTokenArtifact()
      const deployHash = await tokenUser.deployContract({ abi: token.abi, bytecode: token.bytecode, args: ['Kill Nine', 'K9', 18] })
      const tokenAddress = getAddress((await d.publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress!)
      for (const hash of [
        await tokenUser.writeContract({ address: tokenAddress, abi: erc20Abi, functionName: 'mint', args: [tokenUser.account.address, parseEther('1000')] }),
        await tokenUser.writeContract({ address: tokenAddress, abi: erc20Abi, functionName: 'approve', args: [l1Bridge, parseEther('1000')] }),
      ]) await d.publicClient.waitForTransactionReceipt({ hash })

      const config = {
        dataDir,
        rpc: { port: 0 },
        sequencer: { automine: false, blockTimeMs: 100 },
        l1: { rpcUrl: l1.url, deploymentsPath, batcherKey: BATCHER_KEY, confirmations: 1, maxBatchAgeMs: 50, pollIntervalMs: 50 },
        bridge: { confirmations: 1, pollIntervalMs: 50 },
        logLevel: 'error',
      }
      let starts = 0
      const start = async (): Promise<string> => {
        // every other start automines: deposits read before the kill must then be sealed without anything new arriving
        const automine = starts++ % 2 === 1
        const args = JSON.stringify({ ...config, sequencer: { ...config.sequencer, automine } })
        const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bridge/node-process.ts'), args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
        child = proc
        let stderr = ''
        proc.stderr!.on('data', (chunk) => (stderr += chunk))
        return new Promise<string>((resolve, reject) => {
          proc.stdout!.on('data', (chunk: Buffer) => {
            const m = /ready (\S+)/.exec(chunk.toString())
            if (m) resolve(m[1])
          })
          proc.once('exit', (code) => reject(new Error(`node exited (${code}) during start-up: ${stderr}`)))
        })
      }
      const kill9 = async () => {
        const proc = child!
        const exited = new Promise((resolve) => proc.once('exit', resolve))
        proc.kill('SIGKILL')
        await exited
      }

      const recipientEth: Address = '0x0000000000000000000000000000000000e7e7e7'
      const recipientToken: Address = '0x0000000000000000000000000000000000070707'
      const random = createPrng(20261122).next
      let url = await start()
      let count = 0
      let eth = 0n
      let tokens = 0n
      for (let round = 0; round < 5; round++) {
        const hashes: Hex[] = []
        for (let i = 0; i < 6; i++) {
          const amount = BigInt(1 + Math.floor(random() * 1000))
          if (random() < 0.5) {
            hashes.push(await ethUser.writeContract({ address: l1Bridge, abi: l1BridgeAbi, functionName: 'depositETH', args: [recipientEth], value: amount }))
            eth += amount
          } else {
            hashes.push(await tokenUser.writeContract({ address: l1Bridge, abi: l1BridgeAbi, functionName: 'depositERC20', args: [tokenAddress, recipientToken, amount] }))
            tokens += amount
          }
          count++
        }
        for (const hash of hashes) await d.publicClient.waitForTransactionReceipt({ hash })
        await mineL1(l1, 1)
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 700))) // somewhere mid-inclusion
        await kill9()
        url = await start()
      }
      await until(async () => {
        const s = await rpc(url, 'bridge_getStatus')
        return s.lastIncludedNonce === count - 1 && s.pendingDeposits === 0 ? true : undefined
      }, 'every deposit on L2', 60_000)
      await expectExactlyOnce(url, count)
      const l2 = createPublicClient({ transport: http(url, { retryCount: 0 }) })
      expect(await l2.getBalance({ address: recipientEth })).toBe(eth)
      const l2Token = await l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l2TokenFor', args: [tokenAddress] })
      expect(await l2.readContract({ address: l2Token, abi: erc20Abi, functionName: 'balanceOf', args: [recipientToken] })).toBe(tokens)
      expect((await rpc(url, 'bridge_getStatus')).failedDeposits).toEqual([])
      await kill9()
      child = undefined
    }, 180_000)
  })
})
