/**
 * Aggregated anchoring (sequencer/anchoring/rounds.ts, receipts.ts): `"mode": "aggregate"`
 * submissions, rounds whose root is anchored on L2 and posted to a real Anvil L1, receipts that the
 * SDK's verifyAnchor and scripts/verify-anchor.ts accept against L1 alone (and refuse when tampered),
 * that never change once issued, and that survive kill -9 before their round; a crash between a
 * round's tree and its commit anchors nothing twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { bytesToHex, type Hex } from 'viem'
import { createAnchorClient, parseAnchorProof, verifyAnchor, InvalidArgumentError, type AnchorReceipt, type AnchorStatus } from '@ai-rollup/sdk'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { Store } from '../../sequencer/store/store.ts'
import { AnchorStore } from '../../sequencer/anchoring/store.ts'
import { AnchorQueue } from '../../sequencer/anchoring/queue.ts'
import { AggregationUnavailableError, AnchorAggregator, HASH_INDEX_FILE, RoundStore } from '../../sequencer/anchoring/rounds.ts'
import { HashIndex } from '../../sequencer/anchoring/hash-index.ts'
import { createLogger } from '../../sequencer/log.ts'
import { FlatTree, leafHash, processProof } from '../../batcher/merkle.ts'
import { main as verifyCli } from '../../scripts/verify-anchor.ts'
import { doc } from '../helpers/anchoring.ts'
import { spawnNode, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'
import { l1Rpc, startTestRollup, until, type TestRollup } from '../helpers/rollup.ts'

const WINDOW = 3_600
const KEY = { authorization: `Bearer ${DEV_ANCHOR_API_KEY}` }

async function post(url: string, body: unknown) {
  const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', ...KEY }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

async function get(url: string, hash: string): Promise<AnchorStatus & Record<string, any>> {
  const res = await fetch(`${url}/v1/anchors/${hash}`)
  expect(res.status).toBe(200)
  return (await res.json()) as any
}

describe('aggregate mode: the API', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ anchoring: { apiKeys: [DEV_ANCHOR_API_KEY], roundMs: 50 } })
  })
  afterAll(() => t.close())

  it('refuses an unknown mode, a mode of the wrong type, too many hashes and bad hashes with clear 400s, and accepts nothing of them', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ hashes: [doc('m1')], mode: 'batch' }, 'invalid_mode', /"mode" must be "onchain" \(the default\) or "aggregate", got "batch"/],
      [{ hashes: [doc('m1')], mode: 1 }, 'invalid_mode', /got 1$/],
      [{ hashes: [doc('m1')], mode: null }, 'invalid_mode', /got null/],
      [{ hashes: doc('m1'), mode: 'aggregate' }, 'invalid_body', /"hashes" array/],
      [{ hashes: [], mode: 'aggregate' }, 'no_hashes', /empty/],
      [{ hashes: [doc('m1'), 7], mode: 'aggregate' }, 'invalid_hash', /hashes\[1\]/],
      [{ hashes: [doc('m1'), doc('m1')], mode: 'aggregate' }, 'duplicate_hash', /hashes\[1\] repeats hashes\[0\]/],
      [{ hashes: [`0x${'00'.repeat(32)}`], mode: 'aggregate' }, 'zero_hash', /zero hash/],
    ]
    for (const [body, code, message] of cases) {
      const res = await post(t.url, body)
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe(code)
      expect(res.body.error.message).toMatch(message)
    }
    const tooMany = await post(t.url, { hashes: Array.from({ length: 50_001 }, (_, i) => doc(`many-${i}`)), mode: 'aggregate' })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.error).toMatchObject({ code: 'too_many_hashes', max: 50_000 })
    // onchain keeps its own limit
    expect((await post(t.url, { hashes: Array.from({ length: 10_001 }, (_, i) => doc(`many-${i}`)) })).body.error).toMatchObject({ code: 'too_many_hashes', max: 10_000 })
    expect(t.node.aggregator.waiting()).toBe(0)
    expect(t.node.aggregator.find(Buffer.from(doc('m1').slice(2), 'hex'))).toBeUndefined()
  })

  it('accepts 202 (the SDK client too), puts the hashes in a round whose root enters an L2 block, and knows a repeat', async () => {
    const hashes = Array.from({ length: 20_000 }, (_, i) => doc(`aggregate-${i}`))
    const res = await post(t.url, { hashes, mode: 'aggregate' })
    expect(res).toEqual({ status: 202, body: { accepted: 20_000, queued: 20_000, alreadyKnown: 0, status: 'pending', mode: 'aggregate' } })
    const client = createAnchorClient({ url: t.url, apiKey: DEV_ANCHOR_API_KEY })
    expect(await client.submit([hashes[0], doc('aggregate-extra')], { mode: 'aggregate' })).toEqual({ accepted: 2, queued: 1, alreadyKnown: 1, status: 'pending', mode: 'aggregate' })
    const status = await until(async () => ((s) => (s.l2 !== null ? s : undefined))(await get(t.url, hashes[123])), 'the round root in an L2 block')
    expect(status).toMatchObject({ hash: hashes[123], mode: 'aggregate', status: 'pending', round: { index: expect.any(Number), root: expect.stringMatching(/^0x[0-9a-f]{64}$/), size: expect.any(Number) } })
    expect(Date.parse(status.acceptedAt!)).toBeGreaterThan(Date.now() - 60_000)
    expect(status.receipt).toBeUndefined() // no L1: never posted
    // the root is an ordinary anchored hash, anchored once; only the roots went into blocks
    const root = await get(t.url, status.round!.root)
    expect(root.l2).toEqual(status.l2)
    expect(root.mode).toBeUndefined()
    // a request is one sqlite transaction, and a round takes whole transactions: its hashes share a round
    expect(status.round!.size).toBeGreaterThanOrEqual(20_000)
    expect((await get(t.url, hashes[19_999])).round).toEqual(status.round)
    expect((await t.rpc('anchor_getProof', [hashes[123]])).mode).toBe('aggregate')
  })

  it('takes the hashes as raw bytes (application/octet-stream, the mode in the query) with the same rules, answers and errors as JSON', async () => {
    const raw = async (bytes: Uint8Array, query = '?mode=aggregate') => {
      const res = await fetch(`${t.url}/v1/anchors${query}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...KEY }, body: new Uint8Array(bytes) })
      return { status: res.status, body: (await res.json()) as any }
    }
    const bin = (...names: string[]) => Buffer.concat(names.map((n) => Buffer.from(doc(n).slice(2), 'hex')))
    const cases: [Uint8Array, string, string, RegExp][] = [
      [bin('b1').subarray(0, 31), '?mode=aggregate', 'invalid_body', /n × 32 bytes.*got 31 bytes/],
      [new Uint8Array(0), '?mode=aggregate', 'no_hashes', /empty/],
      [bin('b1'), '?mode=batch', 'invalid_mode', /the "mode" query parameter must be "onchain" \(the default\) or "aggregate", got "batch"/],
      [bin('b1', 'b2', 'b1'), '?mode=aggregate', 'duplicate_hash', /hash 2 repeats hash 0/],
      [Buffer.concat([bin('b1'), Buffer.alloc(32)]), '?mode=aggregate', 'zero_hash', /hash 1 is the zero hash/],
      [new Uint8Array(32 * 50_001).map((_, i) => (i % 32 === 0 ? 1 : (i >> 5) & 0xff)), '?mode=aggregate', 'too_many_hashes', /50001 hashes, at most 50000/],
    ]
    for (const [bytes, query, code, message] of cases) {
      const res = await raw(bytes, query)
      expect(res.status, code).toBe(400)
      expect(res.body.error.code).toBe(code)
      expect(res.body.error.message).toMatch(message)
    }
    expect(t.node.aggregator.find(bin('b1'))).toBeUndefined()
    // accepted: the same answer as JSON, and the hashes are found and rounded like any other
    expect(await raw(bin('b1', 'b2'))).toEqual({ status: 202, body: { accepted: 2, queued: 2, alreadyKnown: 0, status: 'pending', mode: 'aggregate' } })
    const client = createAnchorClient({ url: t.url, apiKey: DEV_ANCHOR_API_KEY })
    expect(await client.submit([doc('b2'), doc('b3')], { mode: 'aggregate', encoding: 'binary' })).toEqual({ accepted: 2, queued: 1, alreadyKnown: 1, status: 'pending', mode: 'aggregate' })
    const status = await until(async () => ((s) => (s.round !== null ? s : undefined))(await get(t.url, doc('b3'))), 'b3 in a round')
    expect(status).toMatchObject({ hash: doc('b3'), mode: 'aggregate' })
    // without a mode: onchain, as with JSON
    expect(await raw(bin('b-onchain'), '')).toEqual({ status: 202, body: { accepted: 1, queued: 1, alreadyKnown: 0, status: 'pending' } })
    expect(t.node.aggregator.find(bin('b-onchain'))).toBeUndefined()
    // JSON-RPC sent as application/octet-stream is still read as JSON
    const rpc = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) })
    expect(((await rpc.json()) as any).result).toMatch(/^0x[0-9a-f]+$/)
  })
})

describe('aggregate mode: a crash between a round\'s tree and its commit', () => {
  it('leaves no round and no queued root, and the next round takes the same hashes once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-'))
    const store = new Store(join(dir, 'chain.sqlite'))
    try {
      const anchorStore = new AnchorStore(store)
      const queue = new AnchorQueue(anchorStore, { maxPerBlock: 3_000, maxQueued: 10 })
      let crash = true
      const roots = {
        submitFirst(root: Uint8Array) {
          queue.submitFirst(root) // the root is in the queue's table ...
          if (crash) throw new Error('killed') // ... when the process dies before the commit
        },
      }
      const aggregator = new AnchorAggregator(new RoundStore(store), roots, { roundMs: 1_000, maxPerRound: 1_000, maxPending: 10_000 }, createLogger('silent'))
      const hashes = Array.from({ length: 100 }, (_, i) => Buffer.from(doc(`crash-${i}`).slice(2), 'hex'))
      expect(await aggregator.submit(hashes)).toEqual({ added: 100, known: 0 })
      await expect(aggregator.closeRound()).rejects.toThrow('killed')
      expect(anchorStore.anchorQueueSize()).toBe(0)
      expect(aggregator.find(hashes[0])!.round).toBeUndefined()
      // a restart: a fresh aggregator on the same file
      crash = false
      const again = new AnchorAggregator(new RoundStore(store), roots, { roundMs: 1_000, maxPerRound: 1_000, maxPending: 10_000 }, createLogger('silent'))
      expect(again.waiting()).toBe(100)
      const round = (await again.closeRound())!
      expect(round).toMatchObject({ round: 1, size: 100 })
      // its tree is read back from its stored pages (199 nodes: two pages): every hash proves to the root
      for (const h of hashes) {
        const { tree } = again.find(h)!.round!
        expect(bytesToHex(processProof(leafHash(h), tree.proof(h)!))).toBe(bytesToHex(round.root))
      }
      expect(anchorStore.anchorQueueNext(10)).toEqual([Buffer.from(round.root)])
      expect(await again.closeRound()).toBeUndefined()
      expect(anchorStore.anchorQueueSize()).toBe(1)
      // the root jumps the queue of single hashes
      anchorStore.anchorQueueAdd([Buffer.from(doc('single').slice(2), 'hex')], Date.now())
      await again.submit([Buffer.from(doc('crash-late').slice(2), 'hex')])
      const second = (await again.closeRound())!
      expect(anchorStore.anchorQueueNext(10).map((h) => bytesToHex(h))).toEqual([bytesToHex(round.root), bytesToHex(second.root), doc('single')])
    } finally {
      store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('aggregate mode: the hash index in its own file', () => {
  const silent = createLogger('silent')
  const opts = { roundMs: 1_000, maxPerRound: 1_000, maxPending: 10_000 }
  const noRoots = { submitFirst() {} }
  const h = (name: string) => Buffer.from(doc(name).slice(2), 'hex')
  let dir: string
  let store: Store
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hash-index-'))
    store = new Store(join(dir, 'chain.sqlite'))
  })
  afterEach(() => {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('drops, at start, the claims of requests the node never recorded (a crash between the two commits): those hashes are new again', async () => {
    const first = new RoundStore(store)
    const aggregator = new AnchorAggregator(first, noRoots, opts, silent)
    expect(await aggregator.submit([h('kept')])).toEqual({ added: 1, known: 0 })
    await first.close()
    // request 2 claimed in the index, and the process dies before its row is written in chain.sqlite
    const index = new HashIndex(join(dir, HASH_INDEX_FILE))
    expect([...(await index.claim(Buffer.concat([h('lost'), h('kept')]), 2, 2))]).toEqual([1, 0])
    expect(index.requestOf(h('lost'))).toBe(2)
    await index.close()
    const again = new RoundStore(store)
    try {
      const restarted = new AnchorAggregator(again, noRoots, opts, silent)
      expect(restarted.find(h('lost'))).toBeUndefined()
      expect(restarted.find(h('kept'))).toMatchObject({ receivedAt: expect.any(Number) })
      expect(await restarted.submit([h('lost'), h('kept')])).toEqual({ added: 1, known: 1 })
      expect((await restarted.closeRound())!.size).toBe(2)
    } finally {
      await again.close()
    }
  })

  it('moves the index of an older data directory (a table in chain.sqlite) into its file, once', async () => {
    const first = new RoundStore(store) // creates the request table
    await first.close()
    store.db.prepare('INSERT INTO anchor_aggregate_requests (seq, count, hashes, received_at) VALUES (1, 1, ?, 1234)').run(h('old'))
    store.db.exec('CREATE TABLE anchor_aggregated (hash BLOB PRIMARY KEY, request INTEGER NOT NULL) WITHOUT ROWID')
    store.db.prepare('INSERT INTO anchor_aggregated (hash, request) VALUES (?, 1)').run(h('old'))
    const rounds = new RoundStore(store)
    try {
      expect(store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'anchor_aggregated'").get()).toBeUndefined()
      const aggregator = new AnchorAggregator(rounds, noRoots, opts, silent)
      expect(aggregator.find(h('old'))).toEqual({ receivedAt: 1234, round: undefined })
      expect(await aggregator.submit([h('old'), h('new')])).toEqual({ added: 1, known: 1 })
    } finally {
      await rounds.close()
    }
  })

  it('refuses submissions (503 aggregation_unavailable, health not ok) once recording a request failed, until a restart', async () => {
    const rounds = new RoundStore(store)
    const aggregator = new AnchorAggregator(rounds, noRoots, opts, silent)
    try {
      store.db.exec('ALTER TABLE anchor_aggregate_requests RENAME TO gone') // the request row cannot be written
      await expect(aggregator.submit([h('fails')])).rejects.toThrow(AggregationUnavailableError)
      store.db.exec('ALTER TABLE gone RENAME TO anchor_aggregate_requests')
      await expect(aggregator.submit([h('after')])).rejects.toThrow(/submissions are refused until the node restarts/)
      expect(aggregator.health()).toMatchObject({ ok: false, detail: expect.stringMatching(/aggregated anchoring stopped/) })
    } finally {
      await rounds.close()
    }
    // the restart: the claim of the failed request is dropped, the hash is new
    const again = new RoundStore(store)
    try {
      expect(await new AnchorAggregator(again, noRoots, opts, silent).submit([h('fails')])).toEqual({ added: 1, known: 0 })
    } finally {
      await again.close()
    }
  })
})

describe('aggregate mode: the round cadence', () => {
  it('closes rounds roundMs apart even when building a tree takes most of a round (fixed cadence, no drift)', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance', 'Date'] })
    const dir = mkdtempSync(join(tmpdir(), 'rounds-'))
    const store = new Store(join(dir, 'chain.sqlite'))
    try {
      const queued: number[] = []
      const roots = { submitFirst: () => queued.push(Date.now()) }
      // a tree that takes 600 ms of a 1,000 ms round
      const slowTree = (values: Uint8Array) => new Promise<FlatTree>((resolve) => setTimeout(() => resolve(FlatTree.build(values)), 600))
      const aggregator = new AnchorAggregator(new RoundStore(store), roots, { roundMs: 1_000, maxPerRound: 1_000, maxPending: 10_000 }, createLogger('silent'), () => {}, slowTree)
      aggregator.start()
      for (let round = 0; round < 3; round++) {
        await aggregator.submit([Buffer.from(doc(`cadence-${round}`).slice(2), 'hex')])
        await vi.advanceTimersByTimeAsync(1_000)
      }
      await vi.advanceTimersByTimeAsync(1_000)
      await aggregator.stop()
      // each round queued its root 600 ms after its close began, the closes 1,000 ms apart
      expect(queued).toEqual([1_600, 2_600, 3_600])
    } finally {
      vi.useRealTimers()
      store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('aggregate mode: receipts against a real L1', () => {
  let r: TestRollup
  let dir: string
  const hashes = Array.from({ length: 300 }, (_, i) => doc(`receipt-${i}`))
  const single = doc('receipt-onchain')
  let posted: AnchorStatus & Record<string, any>
  let receipt: AnchorReceipt
  const verify = (hash: Hex, proof: unknown) => verifyAnchor({ l1: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, hash, proof, expectedL1ChainId: r.deployments.l1ChainId })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'receipts-'))
    r = await startTestRollup({ challengeWindowSeconds: WINDOW, node: { anchoring: { apiKeys: [DEV_ANCHOR_API_KEY], roundMs: 50 } } })
    expect((await post(r.l2.url, { hashes, mode: 'aggregate' })).status).toBe(202)
    expect((await post(r.l2.url, { hashes: [single] })).status).toBe(202)
    posted = await until(async () => ((s) => (s.status === 'posted' ? s : undefined))(await get(r.l2.url, hashes[7])), 'the round in a batch on L1')
    receipt = posted.receipt!
  }, 60_000)
  afterAll(async () => {
    await r?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('issues a receipt once the batch is on L1: hash → round root → the batch\'s anchor root, with L1 confirmations outside it', async () => {
    expect(posted).toMatchObject({ mode: 'aggregate', status: 'posted', batchIndex: receipt.batch.index, confirmations: expect.any(Number) })
    expect(posted.confirmations).toBeGreaterThanOrEqual(1)
    expect(receipt).toMatchObject({
      type: 'ai-rollup-anchor-receipt',
      version: 1,
      hash: hashes[7],
      round: { index: posted.round!.index, root: posted.round!.root, size: posted.round!.size },
      l1: { chainId: r.deployments.l1ChainId, rollupAnchor: r.deployments.rollupAnchor, blockNumber: expect.any(Number), txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
      l2: { chainId: Number(r.l2.node.chainId), blockNumber: posted.l2!.blockNumber, txHash: posted.l2!.txHash },
    })
    // each path checks with OpenZeppelin's own library
    expect(StandardMerkleTree.verify(receipt.round!.root, ['bytes32'], [hashes[7]], receipt.round!.proof)).toBe(true)
    expect(StandardMerkleTree.verify(receipt.batch.anchorRoot, ['bytes32'], [receipt.round!.root], receipt.batch.proof)).toBe(true)
  })

  it('the SDK says valid against L1 alone, for an aggregated hash and for one anchored on chain (same receipt format, round null)', async () => {
    const v = await verify(hashes[7], receipt)
    expect(v.reasons).toEqual([])
    expect(v).toMatchObject({ valid: true, anchoredValue: receipt.round!.root, round: { index: receipt.round!.index }, checks: { proofIsForHash: true, receiptIsForThisL1: true, batchExists: true, contractVerifies: true, rootMatchesL1: true } })
    // the whole GET answer works too (its receipt is read)
    expect((await verify(hashes[7], posted)).valid).toBe(true)
    const onchain = await until(async () => ((s) => (s.receipt !== undefined ? s : undefined))(await get(r.l2.url, single)), 'the on-chain hash posted')
    expect(onchain.receipt!.round).toBeNull()
    expect((await verify(single, JSON.parse(JSON.stringify(onchain.receipt)))).valid).toBe(true)
  })

  it('a tampered receipt says invalid: another hash, a changed path, another batch, another chain or contract', async () => {
    const tampered = (change: (x: any) => void): any => {
      const copy = JSON.parse(JSON.stringify(receipt))
      change(copy)
      return copy
    }
    const other = hashes[8]
    // the receipt checked for a hash it is not about, or relabelled for another hash
    expect((await verify(other, receipt)).valid).toBe(false)
    const relabelled = await verify(other, tampered((x) => (x.hash = other)))
    expect(relabelled).toMatchObject({ valid: false, checks: { proofIsForHash: true, rootMatchesL1: false } })
    // a flipped byte in either path
    const flip = (h: string) => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}`
    expect((await verify(hashes[7], tampered((x) => (x.round.proof[0] = flip(x.round.proof[0]))))).valid).toBe(false)
    if (receipt.batch.proof.length > 0) expect((await verify(hashes[7], tampered((x) => (x.batch.proof[0] = flip(x.batch.proof[0]))))).valid).toBe(false)
    expect((await verify(hashes[7], tampered((x) => x.round.proof.pop()))).valid).toBe(false)
    // another batch index: an earlier batch, or one that does not exist
    if (receipt.batch.index > 0) expect((await verify(hashes[7], tampered((x) => (x.batch.index -= 1)))).valid).toBe(false)
    const missing = await verify(hashes[7], tampered((x) => (x.batch.index = 1_000)))
    expect(missing).toMatchObject({ valid: false, checks: { batchExists: false } })
    // a receipt for another L1 chain or another contract is not this L1's proof
    const chain = await verify(hashes[7], tampered((x) => (x.l1.chainId = 1)))
    expect(chain.valid).toBe(false)
    expect(chain.reasons.join()).toMatch(/receipt is for L1 chain 1/)
    const contract = await verify(hashes[7], tampered((x) => (x.l1.rollupAnchor = '0x000000000000000000000000000000000000dEaD')))
    expect(contract).toMatchObject({ valid: false, checks: { receiptIsForThisL1: false } })
    // malformed documents are refused before any L1 read
    expect(() => parseAnchorProof(tampered((x) => (x.version = 2)), 'receipt.json')).toThrow(InvalidArgumentError)
    expect(() => parseAnchorProof(tampered((x) => (x.round.proof = 'nope')), 'receipt.json')).toThrow(/"round.proof" must be an array/)
    expect(() => parseAnchorProof({ ...posted, receipt: undefined, status: 'pending' }, 'answer.json')).toThrow(/pending/)
  })

  it('scripts/verify-anchor.ts --proof receipt.json: exit 0 for the receipt, 1 when tampered', async () => {
    const file = join(dir, 'receipt.json')
    writeFileSync(file, JSON.stringify(receipt, null, 2))
    const args = ['--proof', file, '--hash', hashes[7], '--l1-rpc', r.l1.url, '--deployments', r.deploymentsPath, '--json']
    expect(await verifyCli(args)).toBe(0)
    writeFileSync(file, JSON.stringify({ ...receipt, round: { ...receipt.round, proof: receipt.round!.proof.slice(1) } }))
    expect(await verifyCli(args)).toBe(1)
  })

  it('never changes once issued: the same receipt from GET and anchor_getProof as L1 confirms the batch, then when it is final', async () => {
    await l1Rpc(r.l1, 'evm_mine')
    const deeper = await until(async () => ((s) => (s.confirmations! > posted.confirmations! ? s : undefined))(await get(r.l2.url, hashes[7])), 'one more L1 confirmation')
    expect(deeper.receipt).toEqual(receipt)
    await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
    await l1Rpc(r.l1, 'evm_mine')
    const later = await until(async () => ((s) => (s.status === 'final' ? s : undefined))(await get(r.l2.url, hashes[7])), 'the batch to be final')
    expect(later.receipt).toEqual(receipt)
    expect((await r.l2.rpc('anchor_getProof', [hashes[7]])).receipt).toEqual(receipt)
    // a later round in a later batch leaves it alone
    const next = doc('receipt-later')
    expect((await post(r.l2.url, { hashes: [next], mode: 'aggregate' })).status).toBe(202)
    const nextStatus = await until(async () => ((s) => (s.receipt !== undefined ? s : undefined))(await get(r.l2.url, next)), 'the later round on L1')
    expect(nextStatus.receipt!.round!.index).toBeGreaterThan(receipt.round!.index)
    expect(nextStatus.receipt!.round!.size).toBe(1)
    expect((await get(r.l2.url, hashes[7])).receipt).toEqual(receipt)
    expect((await verify(next, nextStatus.receipt)).valid).toBe(true)
  })
})

describe('aggregate mode: durability', () => {
  it('a hash accepted with 202 and in no round yet survives kill -9, and its round closes after the restart', async () => {
    const dataDir = tempDir()
    try {
      // a round far longer than the test: the hash cannot be in a round before the kill
      const first = await spawnNode(dataDir, ['--anchor-round', '600000'])
      const hash = doc('aggregate-survives-kill-9')
      expect((await post(first.url, { hashes: [hash], mode: 'aggregate' })).status).toBe(202)
      expect((await get(first.url, hash)).round).toBeNull()
      await first.kill9()
      const second = await spawnNode(dataDir, ['--anchor-round', '50', '--block-time', '100'])
      try {
        const status = await until(async () => ((s) => (s.l2 !== null ? s : undefined))(await get(second.url, hash)), 'the restored hash in a round anchored on L2')
        expect(status.round).toMatchObject({ index: 1, size: 1 })
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
