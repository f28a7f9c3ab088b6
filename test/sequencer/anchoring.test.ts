/**
 * Enterprise anchoring on the L2 side: the HTTP API (keys, validation), the system transaction
 * that puts queued hashes into a block, the DataAnchor predeploy for wallets, the status answers,
 * and that an accepted hash survives kill -9 before it reached a block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFunctionData, keccak256, parseAbi, toHex, type Hex } from 'viem'
import { rmSync } from 'node:fs'
import { spawnNode, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { SYSTEM_ADDRESS, SYSTEM_PRIVATE_KEY } from '../../sequencer/system/system-tx.ts'
import { DATA_ANCHOR } from '../../precompiles/addresses.ts'
import { ANCHORED_TOPIC } from '../../sequencer/system/log-index.ts'
import { privateKeyToAccount } from 'viem/accounts'
import { bytesToHex } from '@ethereumjs/util'

const dataAnchorAbi = parseAbi(['function anchor(bytes32[] hashes)'])
const doc = (label: string): Hex => keccak256(toHex(label))

async function post(url: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${DEV_ANCHOR_API_KEY}` }) {
  const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

async function get(url: string, hash: string) {
  const res = await fetch(`${url}/v1/anchors/${hash}`)
  return { status: res.status, body: (await res.json()) as any }
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('anchoring API', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ anchoring: { apiKeys: [DEV_ANCHOR_API_KEY, 'second-key-123'] } })
  })
  afterAll(() => t.close())

  it('refuses requests without a key or with a wrong one (401), whatever the body', async () => {
    const missing = await post(t.url, { hashes: [doc('a')] }, {})
    expect(missing.status).toBe(401)
    expect(missing.body.error.code).toBe('missing_api_key')
    const wrong = await post(t.url, { hashes: [doc('a')] }, { authorization: 'Bearer not-a-key-at-all' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_api_key')
    expect((await get(t.url, doc('a'))).status).toBe(404) // nothing was queued
    expect((await post(t.url, { hashes: [doc('x-api-key')] }, { 'x-api-key': 'second-key-123' })).status).toBe(202)
  })

  it.each([
    ['malformed JSON', '{"hashes": [', 'invalid_json'],
    ['a body that is not an object', '[1,2]', 'invalid_body'],
    ['no hashes array', { hash: '0x00' }, 'invalid_body'],
    ['an empty list', { hashes: [] }, 'no_hashes'],
    ['bad hex', { hashes: ['0x' + 'zz'.repeat(32)] }, 'invalid_hash'],
    ['a short hash', { hashes: ['0x1234'] }, 'invalid_hash'],
    ['a number', { hashes: [42] }, 'invalid_hash'],
    ['the zero hash', { hashes: ['0x' + '00'.repeat(32)] }, 'zero_hash'],
    ['a duplicate (any case)', { hashes: [doc('dup'), doc('other'), doc('dup').toUpperCase().replace('0X', '0x')] }, 'duplicate_hash'],
    ['more than 10,000 hashes', { hashes: Array.from({ length: 10_001 }, (_, i) => doc(`many-${i}`)) }, 'too_many_hashes'],
  ])('answers 400 for %s and queues nothing', async (_name, body, code) => {
    const before = t.node.anchors.waiting()
    const res = await post(t.url, body)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe(code)
    expect(t.node.anchors.waiting()).toBe(before)
  })

  it('names the offending index of a bad or duplicate hash', async () => {
    const res = await post(t.url, { hashes: [doc('i0'), doc('i1'), doc('i0')] })
    expect(res.body.error).toMatchObject({ index: 2, duplicateOf: 0 })
  })

  it('anchors accepted hashes in the next block as a system transaction to DataAnchor', async () => {
    const hashes = [doc('report-2026-q3'), doc('invoice-17'), doc('contract-9')]
    const res = await post(t.url, { hashes })
    expect(res.status).toBe(202)
    expect(res.body).toMatchObject({ accepted: 3, queued: 3, alreadyKnown: 0, status: 'pending' })
    const status = await until(async () => {
      const r = await get(t.url, hashes[1])
      return r.body.l2 !== null ? r.body : undefined
    }, 'the hash to reach a block')
    expect(status.status).toBe('pending') // in a block, no L1 configured: never posted
    const tx = await t.rpc('eth_getTransactionByHash', [status.l2.txHash])
    expect(tx.from).toBe(SYSTEM_ADDRESS)
    expect(tx.to).toBe(DATA_ANCHOR)
    const receipt = await t.rpc('eth_getTransactionReceipt', [status.l2.txHash])
    expect(receipt.status).toBe('0x1')
    const anchored = receipt.logs.filter((l: any) => l.address === DATA_ANCHOR && l.topics[0] === ANCHORED_TOPIC).map((l: any) => l.topics[1])
    expect(anchored).toEqual(hashes)
    expect(status.l2.submitter).toBe(SYSTEM_ADDRESS)
    expect(t.node.anchors.waiting()).toBe(0)
    // the block that carries it was sealed although the pool was empty; re-submitting changes nothing
    const again = await post(t.url, { hashes: [hashes[0]] })
    expect(again.body).toMatchObject({ accepted: 1, queued: 0, alreadyKnown: 1 })
  })

  it('indexes hashes anchored by a wallet through DataAnchor.anchor', async () => {
    const hashes = [doc('wallet-1'), doc('wallet-2')]
    const wallet = t.wallet(3)
    const txHash = await wallet.sendTransaction({ to: DATA_ANCHOR, data: encodeFunctionData({ abi: dataAnchorAbi, functionName: 'anchor', args: [hashes] }) })
    await t.publicClient.waitForTransactionReceipt({ hash: txHash })
    const status = (await get(t.url, hashes[0])).body
    expect(status.l2).toMatchObject({ txHash, submitter: wallet.account.address.toLowerCase() })
    expect(await t.rpc('anchor_getProof', [hashes[1]])).toMatchObject({ hash: hashes[1], status: 'pending', l2: { txHash } })
    expect(await t.rpc('anchor_getProof', [doc('never')])).toBeNull()
  })

  it('anchors a full request of 10,000 hashes over consecutive blocks, at most maxPerBlock each, in order', async () => {
    const hashes = Array.from({ length: 10_000 }, (_, i) => doc(`bulk-${i}`))
    expect((await post(t.url, { hashes })).status).toBe(202)
    const last = await until(async () => ((await get(t.url, hashes[9_999])).body.l2 ?? undefined), 'the bulk request to be anchored')
    const first = (await get(t.url, hashes[0])).body.l2
    const perBlock = t.node.config.anchoring.maxPerBlock
    expect(last.blockNumber - first.blockNumber + 1).toBe(Math.ceil(10_000 / perBlock))
    const receipt = await t.rpc('eth_getTransactionReceipt', [first.txHash])
    expect(receipt.status).toBe('0x1')
    expect(receipt.logs).toHaveLength(perBlock)
    expect(receipt.logs[0].topics[1]).toBe(hashes[0])
  })

  it('refuses user transactions from the system sender', async () => {
    const account = privateKeyToAccount(bytesToHex(SYSTEM_PRIVATE_KEY) as Hex)
    expect(account.address.toLowerCase()).toBe(SYSTEM_ADDRESS)
    const raw = await account.signTransaction({ chainId: 42424, type: 'eip1559', to: DATA_ANCHOR, nonce: 100, gas: 100_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n })
    const res = await t.rpcRaw('eth_sendRawTransaction', [raw])
    expect(res.error?.message).toMatch(/invalid sender: .*reserved for system transactions/)
  })

  it('answers 400 for a malformed hash in the status path and 404 for an unknown one', async () => {
    expect((await get(t.url, '0x1234')).status).toBe(400)
    expect((await get(t.url, doc('unknown'))).status).toBe(404)
  })
})

describe('anchoring durability', () => {
  it('a hash acknowledged with 202 survives kill -9 before any block, and is anchored after the restart', async () => {
    const dataDir = tempDir()
    try {
      // a block time far longer than the test: the hash cannot reach a block before the kill
      const first = await spawnNode(dataDir, ['--block-time', '600000'])
      const hash = doc('survives-kill-9')
      expect((await post(first.url, { hashes: [hash] })).status).toBe(202)
      await first.kill9()
      const second = await spawnNode(dataDir, ['--block-time', '100'])
      try {
        const status = await until(async () => ((await get(second.url, hash)).body.l2 ?? undefined), 'the restored hash to be anchored')
        expect(status.blockNumber).toBeGreaterThan(0)
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('anchoring API limits', () => {
  it('answers 413 in the API error shape for a body over the node limit, and keeps serving', async () => {
    const t = await startTestNode({ rpc: { maxBodyBytes: 50_000 } })
    try {
      const hashes = Array.from({ length: 2_000 }, (_, i) => doc(`big-${i}`)) // ~136 kB of JSON
      const res = await post(t.url, { hashes })
      expect(res.status).toBe(413)
      expect(res.body.error.code).toBe('body_too_large')
      expect(t.node.anchors.waiting()).toBe(0)
      expect((await post(t.url, { hashes: hashes.slice(0, 10) })).status).toBe(202)
    } finally {
      await t.close()
    }
  })

  it('answers 503 with Retry-After when the queue is full, and accepts again once blocks drain it', async () => {
    const t = await startTestNode({ anchoring: { maxQueued: 5 }, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      expect((await post(t.url, { hashes: [doc('q1'), doc('q2'), doc('q3')] })).status).toBe(202)
      const res = await fetch(`${t.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_ANCHOR_API_KEY}` }, body: JSON.stringify({ hashes: [doc('q4'), doc('q5'), doc('q6')] }) })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(((await res.json()) as any).error.code).toBe('queue_full')
      await t.node.mine()
      expect((await post(t.url, { hashes: [doc('q4'), doc('q5'), doc('q6')] })).status).toBe(202)
    } finally {
      await t.close()
    }
  })
})

describe('anchoring API keys by default', () => {
  it('the public dev key only on a dev node without an L1', async () => {
    const { resolveConfig } = await import('../../sequencer/config.ts')
    const l1 = { rpcUrl: 'http://127.0.0.1:8545', deploymentsPath: 'd.json', batcherKey: `0x${'11'.repeat(32)}` as const }
    expect(resolveConfig({}).anchoring.apiKeys).toEqual([DEV_ANCHOR_API_KEY])
    expect(resolveConfig({ l1 }).anchoring.apiKeys).toEqual([])
    expect(resolveConfig({ chain: { dev: false } }).anchoring.apiKeys).toEqual([])
    expect(resolveConfig({ l1, anchoring: { apiKeys: ['enterprise-key-1'] } }).anchoring.apiKeys).toEqual(['enterprise-key-1'])
    expect(() => resolveConfig({ anchoring: { apiKeys: ['short'] } })).toThrow(/at least 8 characters/)
  })
})
