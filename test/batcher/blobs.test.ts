/**
 * Blobs on the devnet's Anvil: channels posted as type-3 transactions (several blobs, several L1
 * transactions), RollupAnchor's dataHash chaining the blobs' versioned hashes, a rebuild from L1
 * that reads the blobs back from Anvil's blobs API (checked against those hashes) and matches
 * block for block; `auto` choosing by the L1's fees; and the calldata fallback when the L1
 * refuses blob transactions. The last two go through a JSON-RPC proxy that the test controls.
 */
import { createServer, type Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { concat, decodeErrorResult, encodeFunctionData, keccak256, parseEventLogs, toFunctionSelector, toHex, zeroHash, type AbiFunction, type Hex } from 'viem'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import { deriveFromL1 } from '../../batcher/derive.ts'
import { startTestNode } from '../helpers/node.ts'
import { l1Batches, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { BatcherCrash } from '../../batcher/batcher.ts'
import { deployTestL1, startTestL1 } from '../helpers/l1.ts'
import { frameToBlob, makeSidecar, wrapBlobTransaction } from '../../batcher/blob.ts'
import { BATCHER_KEY } from '../helpers/rollup.ts'
import { privateKeyToAccount } from 'viem/accounts'

const BATCHER = privateKeyToAccount(BATCHER_KEY).address.toLowerCase()

const selector = (name: string) => toFunctionSelector((rollupAnchorAbi as readonly unknown[] as AbiFunction[]).find((x) => x.type === 'function' && x.name === name)!)

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
  cleanup = []
})

async function rollup(opts: Parameters<typeof startTestRollup>[0] = {}): Promise<TestRollup> {
  const r = await startTestRollup(opts)
  cleanup.push(() => r.close())
  return r
}

/** Sends `count` L2 transactions carrying `bytes` of random (incompressible) data each. */
async function sendData(r: TestRollup, count: number, bytes: number): Promise<void> {
  const wallet = r.l2.wallet(4)
  const hashes: Hex[] = []
  for (let i = 0; i < count; i++) hashes.push(await wallet.sendTransaction({ to: wallet.account.address, data: toHex(randomBytes(bytes)), gas: 5_000_000n }))
  for (const hash of hashes) expect((await r.l2.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
}

/** The batcher's transactions on L1 in order: their type and blob versioned hashes. */
async function anchorTxs(r: TestRollup) {
  const head = await r.l1Client.getBlockNumber()
  const out = []
  for (let n = 1n; n <= head; n++) {
    const block = await r.l1Client.getBlock({ blockNumber: n, includeTransactions: true })
    for (const tx of block.transactions) if (tx.to?.toLowerCase() === r.deployments.rollupAnchor.toLowerCase() && tx.from.toLowerCase() === BATCHER) out.push(tx)
  }
  return out
}

async function expectRebuildMatches(r: TestRollup, head: number, l1BeaconUrl?: string) {
  const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  try {
    const result = await deriveFromL1({ l1RpcUrl: r.l1.url, l1BeaconUrl, rollupAnchor: r.deployments.rollupAnchor, importer: replica.node })
    expect(result.head).toBe(head)
    for (let n = 1; n <= head; n++) {
      const [a, b] = await Promise.all([r.l2.rpc('eth_getBlockByNumber', [toHex(n), false]), replica.rpc('eth_getBlockByNumber', [toHex(n), false])])
      expect({ n, hash: b.hash, stateRoot: b.stateRoot }).toEqual({ n, hash: a.hash, stateRoot: a.stateRoot })
    }
  } finally {
    await replica.close()
  }
}

/**
 * A JSON-RPC proxy in front of Anvil: `refuseBlobs` answers a type-3 eth_sendRawTransaction with
 * an error, `blobBaseFee` replaces eth_blobBaseFee's answer. Other requests pass as they are.
 */
async function startProxy(target: string) {
  const state = { refuseBlobs: false, blobBaseFee: undefined as bigint | undefined, refused: 0 }
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const q = JSON.parse(body) as { id: number; method: string; params: Hex[] }
    if (!Array.isArray(q) && q.method === 'eth_sendRawTransaction' && state.refuseBlobs && q.params[0].startsWith('0x03')) {
      state.refused++
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: q.id, error: { code: -32000, message: 'transaction type not supported' } }))
    }
    if (!Array.isArray(q) && q.method === 'eth_blobBaseFee' && state.blobBaseFee !== undefined) {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: q.id, result: toHex(state.blobBaseFee) }))
    }
    const answer = await (await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, state }
}

describe('RollupAnchor with blob transactions (what Hardhat cannot send)', () => {
  it('records each blob by its versioned hash (FramesAppended), and refuses a blob it is not told of (UnrecordedBlob) or one that is missing (MissingBlob)', async () => {
    const l1 = await startTestL1()
    cleanup.push(() => l1.close())
    const { deployments, publicClient } = await deployTestL1(l1, { sequencerKey: BATCHER_KEY })
    const account = privateKeyToAccount(BATCHER_KEY)
    const chainId = await publicClient.getChainId()
    const sidecar = makeSidecar([frameToBlob(Uint8Array.of(1, 2, 3)), frameToBlob(Uint8Array.of(4, 5, 6))], 0)
    const channelId = '0x000102030405060708090a0b0c0d0e0f' as Hex
    const call = (blobCount: bigint) => encodeFunctionData({ abi: rollupAnchorAbi, functionName: 'appendFrames', args: [channelId, 0, [], blobCount] })
    const simulate = (blobCount: bigint) =>
      publicClient.request({ method: 'eth_call', params: [{ from: account.address, to: deployments.rollupAnchor, data: call(blobCount), blobVersionedHashes: sidecar.versionedHashes, maxFeePerBlobGas: '0x3b9aca00' } as never, 'latest'] }).then(
        () => 'ok',
        (err: Error) => {
          const data = (err as { cause?: { data?: Hex } }).cause?.data ?? (/(0x[0-9a-f]{8,})/i.exec(String((err as { details?: string }).details ?? err.message))?.[1] as Hex)
          return decodeErrorResult({ abi: rollupAnchorAbi, data }).errorName
        },
      )
    expect(await simulate(1n)).toBe('UnrecordedBlob')
    expect(await simulate(3n)).toBe('MissingBlob')
    expect(await simulate(2n)).toBe('ok')
    const fees = await publicClient.estimateFeesPerGas()
    const signed = await account.signTransaction({ type: 'eip4844', chainId, nonce: await publicClient.getTransactionCount({ address: account.address }), to: deployments.rollupAnchor, data: call(2n), gas: 300_000n, ...fees, maxFeePerBlobGas: 10n ** 9n, blobVersionedHashes: sidecar.versionedHashes })
    const hash = await publicClient.request({ method: 'eth_sendRawTransaction', params: [wrapBlobTransaction(signed, sidecar)] })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const [ev] = parseEventLogs({ abi: rollupAnchorAbi, eventName: 'FramesAppended', logs: receipt.logs })
    expect(ev.args).toEqual({ channelId, firstFrame: 0, frameHashes: sidecar.versionedHashes, blobCount: 2n })
    const ch = await publicClient.readContract({ address: deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'channel', args: [channelId] })
    expect(ch.acc).toBe(keccak256(concat([keccak256(concat([zeroHash, sidecar.versionedHashes[0]])), sidecar.versionedHashes[1]])))
    expect(ch.nextFrame).toBe(2)
  }, 60_000)
})

describe('blobs on Anvil', () => {
  it('posts a channel of several blobs over several type-3 transactions; a rebuild reads them back and matches block for block', async () => {
    const r = await rollup({ l1Config: { dataAvailability: 'blobs', maxBlobsPerTx: 2, maxBatchAgeMs: 2_000 } })
    await sendData(r, 3, 100_000) // ~300 kB incompressible: three blobs, two transactions
    await sendTransfers(r.l2, 2)
    const head = await untilPosted(r.l2, 60_000)
    const batches = await l1Batches(r)
    expect(batches.at(-1)!.lastBlock).toBe(BigInt(head))
    const txs = await anchorTxs(r)
    expect(txs.every((t) => t.type === 'eip4844')).toBe(true)
    expect(Math.max(...txs.map((t) => t.blobVersionedHashes!.length))).toBe(2)
    // the big channel: appendFrames with two blobs, then submitChannel with the third
    expect(txs.some((t) => t.input.startsWith(selector('appendFrames')) && t.blobVersionedHashes!.length === 2)).toBe(true)
    const hashes = txs.flatMap((t) => t.blobVersionedHashes!)
    const status = await r.l2.rpc('rollup_getBatcherStatus')
    expect(status.dataBytesPosted).toBe(hashes.length * 131_072)
    await expectRebuildMatches(r, head)
  }, 120_000)

  it('resumes a channel of blob transactions after a crash between two of them, without losing or duplicating a blob', async () => {
    let crashed = false
    const r = await rollup({
      l1Config: { dataAvailability: 'blobs', maxBlobsPerTx: 1, maxBatchAgeMs: 2_000 },
      hooks: {
        batcherCrashAt: (p, at) => {
          if (!crashed && p === 'sent' && at.frame === 1) {
            crashed = true
            throw new BatcherCrash('test crash after sending blob frame 1')
          }
        },
      },
    })
    await sendData(r, 3, 100_000)
    await until(() => crashed || undefined, 'the crash after blob frame 1', 60_000)
    await r.restartL2()
    const head = await untilPosted(r.l2, 60_000)
    expect((await l1Batches(r)).at(-1)!.lastBlock).toBe(BigInt(head))
    const txs = await anchorTxs(r)
    const receipts = await Promise.all(txs.map((t) => r.l1Client.getTransactionReceipt({ hash: t.hash })))
    expect(receipts.every((x) => x.status === 'success')).toBe(true)
    const hashes = txs.flatMap((t) => t.blobVersionedHashes!)
    expect(new Set(hashes).size).toBe(hashes.length) // no blob posted twice
    await expectRebuildMatches(r, head)
  }, 120_000)

  it('commits each blob by its versioned hash: a one-transaction channel of two blobs', async () => {
    const r = await rollup({ l1Config: { dataAvailability: 'blobs', maxBatchAgeMs: 2_000 } })
    await sendData(r, 2, 100_000)
    const head = await untilPosted(r.l2, 60_000)
    const txs = await anchorTxs(r)
    const big = txs.find((t) => t.blobVersionedHashes!.length === 2)!
    expect(big).toBeDefined()
    const receipt = await r.l1Client.getTransactionReceipt({ hash: big.hash })
    const index = (await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })) - 1n
    const batch = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [index] })
    expect(batch.l1BlockNumber).toBe(receipt.blockNumber)
    const [h0, h1] = big.blobVersionedHashes!
    expect(batch.dataHash).toBe(keccak256(concat([keccak256(concat([zeroHash, h0])), h1])))
    expect(receipt.blobGasUsed).toBe(2n * 131_072n)
    await expectRebuildMatches(r, head)
  }, 120_000)

  it('auto: blobs while blob gas is cheap, calldata once it is dear', async () => {
    const l1 = await startTestL1()
    const proxy = await startProxy(l1.url)
    const r = await rollup({ l1, l1Config: { rpcUrl: proxy.url, dataAvailability: 'auto', maxBatchAgeMs: 300 } })
    await sendTransfers(r.l2, 2)
    await untilPosted(r.l2)
    const cheap = await anchorTxs(r)
    expect(cheap.length).toBeGreaterThan(0)
    expect(cheap.every((t) => t.type === 'eip4844')).toBe(true)
    proxy.state.blobBaseFee = 10n ** 15n // 1,000,000 gwei per blob gas
    await sendTransfers(r.l2, 2, 7)
    const head = await untilPosted(r.l2)
    const later = (await anchorTxs(r)).slice(cheap.length)
    expect(later.length).toBeGreaterThan(0)
    expect(later.every((t) => t.type === 'eip1559')).toBe(true)
    await expectRebuildMatches(r, head)
  }, 120_000)

  it('falls back to calldata when the L1 refuses blob transactions, and the chain rebuilds from both', async () => {
    const l1 = await startTestL1()
    const proxy = await startProxy(l1.url)
    const r = await rollup({ l1, l1Config: { rpcUrl: proxy.url, dataAvailability: 'blobs', maxBatchAgeMs: 300 } })
    await sendTransfers(r.l2, 2)
    await untilPosted(r.l2)
    expect((await anchorTxs(r)).every((t) => t.type === 'eip4844')).toBe(true)
    proxy.state.refuseBlobs = true
    await sendTransfers(r.l2, 3, 7)
    const head = await untilPosted(r.l2).catch(async (err) => {
      console.log(JSON.stringify(await r.l2.rpc('rollup_getBatcherStatus')))
      throw err
    })
    expect(proxy.state.refused).toBeGreaterThan(0)
    const txs = await anchorTxs(r)
    expect(txs.at(-1)!.type).toBe('eip1559')
    const status = await r.l2.rpc('rollup_getBatcherStatus')
    expect(status.lastError?.message).toMatch(/L1 refuses blob transactions \(.*transaction type not supported.*\); posting in calldata/)
    expect(status.revertedBatchTxs).toBe(0)
    await expectRebuildMatches(r, head)
  }, 120_000)
})
