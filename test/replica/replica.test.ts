/**
 * Replicas against a real Anvil L1 and a real sequencer with its batcher: a replica derived from
 * L1 has the sequencer's exact chain (every block hash and state root) under real load (transfers,
 * a contract, AI inference with the int8 model, anchors, a deposit, a withdrawal), serves the same
 * reads, forwards transactions, follows the sealed-block feed ahead of L1, drops an unsafe block L1
 * contradicts (removed logs to subscribers), resumes after kill -9, and rewinds on an L1 reorg.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { encodeSealedBlock } from '../../batcher/feed.ts'
import { encodeDeployData, encodeFunctionData, parseEther, parseGwei, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { connectBridge, depositETH, encodeInferCall, modelIdOf, withdrawETH } from '@ai-rollup/sdk'
import { startNode, type RunningNode } from '../../sequencer/node.ts'
import { INFERENCE_PRECOMPILE } from '../../precompiles/addresses.ts'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { accounts, freePort, ROOT, rpc, rpcRaw, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { registerModel } from '../helpers/models.ts'
import { doc, submit } from '../helpers/anchoring.ts'
import { l1Rpc, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { compile } from '../helpers/solidity.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'

const COUNTER = 'contract Counter { uint256 public n; event Inc(uint256 n); function inc() external { n += 1; emit Inc(n); } }'

interface Replica {
  node: RunningNode
  url: string
  dataDir: string
  close(opts?: { keepData?: boolean }): Promise<void>
}

async function startReplica(r: TestRollup, opts: { sequencer?: boolean; dataDir?: string } = {}): Promise<Replica> {
  const dataDir = opts.dataDir ?? tempDir('replica-test-')
  const node = await startNode({
    dataDir,
    rpc: { port: 0 },
    logLevel: TEST_LOG_LEVEL,
    replica: {
      l1RpcUrl: r.l1.url,
      deploymentsPath: r.deploymentsPath,
      ...(opts.sequencer !== false && { sequencerRpcUrl: r.l2.url }),
      confirmations: 1,
      pollIntervalMs: 50,
      feedReconnectMs: 100,
    },
  })
  return {
    node,
    url: node.url,
    dataDir,
    async close(closeOpts) {
      await node.close()
      if (closeOpts?.keepData !== true) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Waits until the replica has derived, from L1, every block the sequencer posted. */
async function untilDerived(r: TestRollup, replica: { url: string }, ms = 30_000): Promise<number> {
  const head = await untilPosted(r.l2, ms)
  await until(async () => {
    const s = await rpc(replica.url, 'rollup_getReplicaStatus')
    return s.derivation.derivedBlock >= head ? true : undefined
  }, `the replica to derive up to block ${head}`, ms)
  return head
}

/** Every block 0..head has the same hash and state root on both. */
async function expectSameChain(a: string, b: string, head: number): Promise<void> {
  for (let n = 0; n <= head; n++) {
    const [x, y] = await Promise.all([rpc(a, 'eth_getBlockByNumber', [toHex(n), false]), rpc(b, 'eth_getBlockByNumber', [toHex(n), false])])
    expect({ n, hash: y.hash, stateRoot: y.stateRoot }).toEqual({ n, hash: x.hash, stateRoot: x.stateRoot })
  }
}

/** A signed 1-wei transfer from dev account `i` at its next nonce on `url`. */
async function signedTransfer(i: number, url: string): Promise<Uint8Array> {
  const nonce = Number(await rpc(url, 'eth_getTransactionCount', [accounts[i].address, 'latest']))
  const raw = await privateKeyToAccount(accounts[i].privateKey as Hex).signTransaction({
    type: 'eip1559', chainId: 42424, nonce, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: accounts[0].address as Hex, value: 1n,
  })
  return Buffer.from(raw.slice(2), 'hex')
}

describe('replica', () => {
  let r: TestRollup
  let replica: Replica
  let counter: Hex
  let head = 0

  beforeAll(async () => {
    r = await startTestRollup({ l1Config: { maxBatchAgeMs: 1_500 }, node: { bridge: { confirmations: 1, pollIntervalMs: 50 } } })
    replica = await startReplica(r)
    // real load: transfers, a contract and calls to it, an int8 model and an inference, anchors, a deposit, a withdrawal
    await sendTransfers(r.l2, 10)
    const { abi, bytecode } = compile(COUNTER, 'Counter')
    const deploy = await r.l2.wallet(5).sendTransaction({ data: encodeDeployData({ abi, bytecode }) })
    counter = (await r.l2.publicClient.waitForTransactionReceipt({ hash: deploy })).contractAddress!
    for (let i = 0; i < 3; i++) {
      const hash = await r.l2.wallet(6).sendTransaction({ to: counter, data: encodeFunctionData({ abi, functionName: 'inc' }) })
      await r.l2.publicClient.waitForTransactionReceipt({ hash })
    }
    const model = new Uint8Array(readFileSync(join(ROOT, 'precompiles/models/iris-mlp-int8.onnx')))
    await registerModel(r.l2, model, 'iris-int8')
    const inference = await r.l2.wallet(7).sendTransaction({ to: INFERENCE_PRECOMPILE, data: encodeInferCall(modelIdOf(model), [50n, 30n, 14n, 2n]), gas: 2_000_000n })
    expect((await r.l2.publicClient.waitForTransactionReceipt({ hash: inference })).status).toBe('success')
    await submit(r.l2.url, DEV_ANCHOR_API_KEY, [doc('replica-audit'), doc('replica-minutes')])
    const user = await connectBridge({ l1RpcUrl: r.l1.url, l2RpcUrl: r.l2.url, deployments: r.deployments, account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[4]), pollingIntervalMs: 50 })
    await depositETH(user, { amount: parseEther('2') })
    await l1Rpc(r.l1, 'anvil_mine', ['0x2'])
    await until(async () => ((await rpc(r.l2.url, 'bridge_getDepositStatus', ['0x0']))?.status === 'included' ? true : undefined), 'the deposit on L2')
    await withdrawETH(user, { amount: parseEther('1') })
    await sendTransfers(r.l2, 3, 8)
    head = await untilDerived(r, replica, 60_000)
  }, 180_000)
  afterAll(async () => {
    await replica?.close()
    await r?.close()
  })

  it('derives the exact chain from L1: every block hash and state root equal the sequencer\'s', async () => {
    expect(head).toBeGreaterThan(10)
    await expectSameChain(r.l2.url, replica.url, head)
    const status = await rpc(replica.url, 'rollup_getReplicaStatus')
    expect(status.derivation).toMatchObject({ running: true, l1Reachable: true, lastError: null })
    expect(status.feed).toMatchObject({ connected: true, mismatches: 0 })
  })

  it('serves the same reads: full blocks, receipts, balances, eth_call, logs, batches, proofs', async () => {
    const same = async (method: string, params: unknown[]) => {
      const [a, b] = await Promise.all([rpc(r.l2.url, method, params), rpc(replica.url, method, params)])
      expect(b).toEqual(a)
      return a
    }
    for (const n of [1, Math.floor(head / 2), head]) {
      const block = await same('eth_getBlockByNumber', [toHex(n), true])
      await same('eth_getBlockReceipts', [block.hash])
    }
    for (const i of [0, 4, 7, 12]) await same('eth_getBalance', [accounts[i].address, 'latest'])
    await same('eth_getBalance', [privateKeyToAccount(ANVIL_PRIVATE_KEYS[4]).address, toHex(head)])
    const { abi } = compile(COUNTER, 'Counter')
    expect(await same('eth_call', [{ to: counter, data: encodeFunctionData({ abi, functionName: 'n' }) }, 'latest'])).toBe(toHex(3n, { size: 32 }))
    const logs = await same('eth_getLogs', [{ fromBlock: '0x0', toBlock: toHex(head) }])
    expect(logs.length).toBeGreaterThan(5)
    await same('rollup_getBatch', ['0x0'])
    await same('anchor_getProof', [doc('replica-audit')])
    // the same method list: what needs a sequencer answers a clear error
    const batcher = await rpcRaw(replica.url, 'rollup_getBatcherStatus')
    expect(batcher.error).toMatchObject({ code: -32601, message: expect.stringMatching(/not available on a replica/) })
    expect((await rpcRaw(replica.url, 'eth_sendTransaction', [{ from: accounts[0].address, to: accounts[1].address }])).error?.message).toMatch(/not available on a replica/)
    expect((await rpc(replica.url, 'rollup_getConfig')).role).toBe('replica')
  })

  it('forwards eth_sendRawTransaction to the sequencer and returns its answer, errors included', async () => {
    const account = privateKeyToAccount(accounts[11].privateKey as Hex)
    const nonce = Number(await rpc(r.l2.url, 'eth_getTransactionCount', [account.address, 'pending']))
    const raw = await account.signTransaction({ type: 'eip1559', chainId: 42424, nonce, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: accounts[12].address as Hex, value: 1n })
    const hash = await rpc(replica.url, 'eth_sendRawTransaction', [raw])
    const receipt = await r.l2.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    // the same transaction again: the sequencer's own error, as it is
    const [fromSequencer, fromReplica] = [await rpcRaw(r.l2.url, 'eth_sendRawTransaction', [raw]), await rpcRaw(replica.url, 'eth_sendRawTransaction', [raw])]
    expect(fromReplica.error).toEqual(fromSequencer.error)
    expect(fromReplica.error?.message).toMatch(/nonce too low|already known/)
  })

  it('gets the sequencer\'s blocks from the feed before their batch reaches L1', async () => {
    const [hash] = await sendTransfers(r.l2, 1, 13)
    const receipt = await r.l2.publicClient.waitForTransactionReceipt({ hash })
    const block = Number(receipt.blockNumber)
    const seen = await until(async () => {
      const b = await rpc(replica.url, 'eth_getBlockByNumber', [toHex(block), false])
      return b === null ? undefined : b
    }, 'the block on the replica', 5_000)
    expect(seen.hash).toBe(receipt.blockHash)
    // its batch closes 1.5 s after the block: the replica had it as unsafe, not from L1
    const status = await rpc(replica.url, 'rollup_getReplicaStatus')
    expect(status.derivation.derivedBlock).toBeLessThan(block)
    expect(status.heads.unsafe).toBeGreaterThanOrEqual(block)
    expect(status.heads.safe).toBeLessThan(block)
    head = await untilDerived(r, replica)
    // safe moves at the end of the step that derived the batch, counted from the L1 head that
    // step started from: a batch that landed meanwhile is safe one step later
    await until(async () => ((await rpc(replica.url, 'rollup_getReplicaStatus')).heads.safe === head ? true : undefined), 'safe to reach the derived head', 5_000)
  })

  it('drops an unsafe block L1 contradicts and follows L1, sending its logs again with removed: true', async () => {
    // a replica without a feed, caught up with L1; then an unsafe block that is not the sequencer's
    const other = await startReplica(r, { sequencer: false })
    try {
      head = await untilDerived(r, other)
      const { abi } = compile(COUNTER, 'Counter')
      const wrongTx = await privateKeyToAccount(accounts[14].privateKey as Hex).signTransaction({
        type: 'eip1559', chainId: 42424, nonce: Number(await rpc(other.url, 'eth_getTransactionCount', [accounts[14].address, 'latest'])),
        gas: 100_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: counter, data: encodeFunctionData({ abi, functionName: 'inc' }),
      })
      const parent = await rpc(other.url, 'eth_getBlockByNumber', [toHex(head), false])
      const ws = new WebSocket(other.node.wsUrl)
      await new Promise((resolve) => ws.once('open', resolve))
      const notes: any[] = []
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString())
        if (m.method === 'eth_subscription') notes.push(m.params.result)
      })
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['logs', { address: counter }] }))
      await until(() => (ws.readyState === ws.OPEN ? true : undefined), 'subscribed')
      await new Promise((res) => setTimeout(res, 100))
      const wrong = await other.node.importBlock({ number: head + 1, timestamp: BigInt(parent.timestamp) + 1n, coinbase: Buffer.from('4200000000000000000000000000000000000011', 'hex'), txs: [Buffer.from(wrongTx.slice(2), 'hex')] })
      await until(() => (notes.length === 1 ? true : undefined), 'the unsafe block\'s log')
      expect(notes[0]).toMatchObject({ removed: false, blockHash: toHex(wrong.hash) })
      // the sequencer makes its own block at that height; its batch reaches L1
      await sendTransfers(r.l2, 1, 15)
      head = await untilDerived(r, other)
      await until(() => (notes.length >= 2 ? true : undefined), 'the removed log')
      expect(notes[1]).toMatchObject({ removed: true, blockHash: toHex(wrong.hash), transactionHash: notes[0].transactionHash })
      const status = await rpc(other.url, 'rollup_getReplicaStatus')
      expect(status.derivation.unsafeBlocksDropped).toBe(1)
      await expectSameChain(r.l2.url, other.url, head)
      expect(await rpc(other.url, 'eth_getTransactionByHash', [notes[0].transactionHash])).toBeNull()
      ws.close()
    } finally {
      await other.close()
    }
  })

  it('drops a feed block whose announced hash it does not compute (a lying or broken feed), and stays on L1\'s chain', async () => {
    // a fake sequencer feed: answers the subscription, then sends one block with a false hash
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    const fakeUrl = `ws://127.0.0.1:${(server.address() as { port: number }).port}`
    const other = await startNode({
      dataDir: tempDir('replica-fake-feed-'),
      rpc: { port: 0 },
      logLevel: TEST_LOG_LEVEL,
      replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, sequencerRpcUrl: fakeUrl, confirmations: 1, pollIntervalMs: 50, feedReconnectMs: 100 },
    })
    try {
      head = await untilDerived(r, { url: other.url })
      const parent = await rpc(other.url, 'eth_getBlockByNumber', [toHex(head), false])
      const tx = await signedTransfer(18, other.url)
      const lie = encodeSealedBlock({
        block: { number: head + 1, timestamp: BigInt(parent.timestamp) + 1n, coinbase: Buffer.from('4200000000000000000000000000000000000011', 'hex'), txs: [tx] },
        hash: new Uint8Array(32).fill(7),
        parentHash: Buffer.from(parent.hash.slice(2), 'hex'),
        stateRoot: new Uint8Array(32).fill(7),
      })
      const socket = await until(() => [...server.clients][0], 'the replica to connect to the feed')
      socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0x1', result: lie } }))
      const status = await until(async () => {
        const st = await rpc(other.url, 'rollup_getReplicaStatus')
        return st.feed.mismatches === 1 ? st : undefined
      }, 'the replica to drop the block')
      expect(status.feed.blocksImported).toBe(0)
      expect(status.heads.unsafe).toBe(head)
      expect(await rpc(other.url, 'eth_getBlockByNumber', [toHex(head + 1), false])).toBeNull()
      await expectSameChain(r.l2.url, other.url, head)
    } finally {
      await other.close()
      rmSync(other.config.dataDir, { recursive: true, force: true })
      server.close()
    }
  })

  it('resumes after kill -9 where it was, and catches up with what was posted meanwhile', async () => {
    const dataDir = tempDir('replica-kill-')
    const port = await freePort()
    const spawnReplica = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sequencer/replica-main.ts'), '--data-dir', dataDir, '--port', String(port), '--l1-rpc', r.l1.url,
        '--deployments', r.deploymentsPath, '--sequencer-rpc', r.l2.url, '--l1-confirmations', '1', '--l1-poll', '50', '--log-level', 'error', '--call-workers', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
      const exited = new Promise<void>((res) => child.once('exit', () => res()))
      return { child, exited }
    }
    const url = `http://127.0.0.1:${port}`
    let p = spawnReplica()
    try {
      head = await until(async () => {
        const s = await rpc(url, 'rollup_getReplicaStatus').catch(() => undefined)
        return s !== undefined && s.derivation.derivedBlock >= head ? s.derivation.derivedBlock : undefined
      }, 'the spawned replica to derive', 60_000)
      // kill -9 while blocks keep coming
      const sending = sendTransfers(r.l2, 4, 16)
      await new Promise((res) => setTimeout(res, 150))
      p.child.kill('SIGKILL')
      await p.exited
      await sending
      head = await untilPosted(r.l2)
      p = spawnReplica()
      await until(async () => {
        const s = await rpc(url, 'rollup_getReplicaStatus').catch(() => undefined)
        return s !== undefined && s.derivation.derivedBlock >= head ? true : undefined
      }, 'the restarted replica to catch up', 60_000)
      await expectSameChain(r.l2.url, url, head)
    } finally {
      p.child.kill('SIGKILL')
      await p.exited
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 150_000)

  it('rewinds to the last batch still on L1 after an L1 reorg, then follows the re-posted batches', async () => {
    const other = await startReplica(r, { sequencer: false })
    try {
      head = await untilDerived(r, other)
      const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
      await sendTransfers(r.l2, 2, 17)
      const reorged = await untilDerived(r, other)
      expect(reorged).toBeGreaterThan(head)
      // the batches of those blocks leave L1; the batcher waits, so the replica sees L1 without them
      const batcher = r.l2.node.batcher!
      await batcher.stop()
      await l1Rpc(r.l1, 'evm_revert', [snapshot])
      await until(async () => {
        const s = await rpc(other.url, 'rollup_getReplicaStatus')
        return s.derivation.l1Resets >= 1 && s.heads.unsafe === head ? true : undefined
      }, 'the replica to rewind to the last block L1 still confirms')
      expect((await rpc(other.url, 'eth_getBlockByNumber', [toHex(head + 1), false]))).toBeNull()
      // the sequencer's batcher posts them again; the replica derives them again, identical
      batcher.start()
      head = await untilDerived(r, other, 60_000)
      expect(head).toBeGreaterThanOrEqual(reorged)
      await expectSameChain(r.l2.url, other.url, head)
    } finally {
      await other.close()
    }
  }, 120_000)
})
