/**
 * GET /metrics on a real node over HTTP: Prometheus text from prom-client, values that move with
 * the chain (heads, blocks, transactions, gas, pool), RPC calls by method with unknown methods as
 * `other`, model runs of the inference precompile per model, and with an L1 the batcher's backlog
 * and L1 costs and the deposit watcher's lag; a replica serves it too.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keccak256, parseEther, toHex, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE } from '../../precompiles/index.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { buildCreditModel } from '../../scripts/models/index.ts'
import { MAX_MODEL_LABELS, NodeMetrics } from '../../sequencer/metrics.ts'
import { startNode } from '../../sequencer/node.ts'
import { accounts, rpc, startTestNode, tempDir, TEST_LOG_LEVEL, type TestNode } from '../helpers/node.ts'
import { registerModel } from '../helpers/models.ts'
import { sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Scrape { contentType: string; samples: Sample[]; types: Map<string, string>; text: string }

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the text exposition format strictly enough: every line a comment, a blank or a sample. */
function parse(text: string, contentType: string): Scrape {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const helps = new Set<string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) {
      helps.add(line.split(' ')[2])
      continue
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ')
      expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(type)
      types.set(name, type)
      continue
    }
    const m = SAMPLE.exec(line)
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2]
    // prom-client writes NaN as "Nan" (an event-loop mean with no samples yet); Prometheus parses floats case-insensitively (Go's ParseFloat)
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : /^nan$/i.test(m[3]) ? NaN : Number(m[3])
    expect(Number.isNaN(value) && !/^nan$/i.test(m[3]), line).toBe(false)
    samples.push({ name: m[1], labels, value })
  }
  // every sample belongs to a declared family with help text
  for (const s of samples) {
    const family = [...types.keys()].find((f) => s.name === f || s.name === `${f}_bucket` || s.name === `${f}_sum` || s.name === `${f}_count`)
    expect(family, s.name).toBeDefined()
    expect(helps.has(family!), `${family} has HELP`).toBe(true)
  }
  return { contentType, samples, types, text }
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`)
  expect(res.status).toBe(200)
  return parse(await res.text(), res.headers.get('content-type') ?? '')
}

/** The value of one sample, 0 when it is absent (a labelled child not created yet). */
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number {
  const hit = s.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
  return hit?.value ?? 0
}

describe('GET /metrics', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  it('answers Prometheus text (prom-client) with the process metrics and no batcher without an L1', async () => {
    const s = await scrape(t.url)
    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/)
    expect(s.types.get('airollup_head_block_number')).toBe('gauge')
    expect(s.types.get('airollup_rpc_request_duration_seconds')).toBe('histogram')
    expect(s.types.get('airollup_process_cpu_user_seconds_total')).toBe('counter')
    expect(value(s, 'airollup_process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(value(s, 'airollup_head_block_number', { head: 'unsafe' })).toBe(t.node.chain.headNumber)
    expect(value(s, 'airollup_anchoring_queue_hashes')).toBe(0)
    expect(value(s, 'airollup_anchoring_aggregate_pending_hashes')).toBe(0)
    expect(s.text).not.toContain('airollup_batcher_')
    expect(s.text).not.toContain('airollup_deposits_')
  })

  it('moves the heads, block, transaction and gas counters and the pool gauges with the chain', async () => {
    const before = await scrape(t.url)
    const head0 = t.node.chain.headNumber
    await sendTransfers(t, 3)
    const head1 = t.node.chain.headNumber
    expect(head1).toBeGreaterThan(head0)
    const after = await scrape(t.url)
    expect(value(after, 'airollup_head_block_number', { head: 'unsafe' })).toBe(head1)
    expect(value(after, 'airollup_blocks_total') - value(before, 'airollup_blocks_total')).toBe(head1 - head0)
    expect(value(after, 'airollup_transactions_total', { kind: 'user' }) - value(before, 'airollup_transactions_total', { kind: 'user' })).toBe(3)
    expect(value(after, 'airollup_gas_used_total') - value(before, 'airollup_gas_used_total')).toBe(3 * 21_000)
    expect(value(after, 'airollup_block_transactions_count')).toBe(value(after, 'airollup_blocks_total'))
    expect(value(after, 'airollup_block_transactions_sum') - value(before, 'airollup_block_transactions_sum')).toBe(3)
    expect(value(after, 'airollup_block_gas_used')).toBe(21_000)

    // a transaction behind a nonce gap waits in the pool as queued
    const sender = t.wallet(5)
    const nonce = await t.publicClient.getTransactionCount({ address: sender.account.address })
    await sender.sendTransaction({ to: accounts[6].address as Hex, value: parseEther('0.001'), nonce: nonce + 1, gas: 21_000n })
    const pooled = await scrape(t.url)
    expect(value(pooled, 'airollup_txpool_transactions', { state: 'queued' })).toBe(1)
    expect(value(pooled, 'airollup_txpool_transactions', { state: 'pending' })).toBe(0)
    expect(value(pooled, 'airollup_txpool_bytes')).toBeGreaterThan(100)
    // the three mined transactions' journal rows went without a failure
    expect(value(pooled, 'airollup_txpool_journal_remove_failures')).toBe(0)
  })

  it('counts RPC calls and their time by method, and any unknown method as other', async () => {
    const before = await scrape(t.url)
    await t.rpc('eth_chainId')
    await t.rpc('eth_chainId')
    expect((await t.rpcRaw('no_suchMethod')).error?.code).toBe(-32601)
    expect((await t.rpcRaw(`made_up_${Date.now()}`)).error?.code).toBe(-32601)
    const after = await scrape(t.url)
    const count = (s: Scrape, method: string) => value(s, 'airollup_rpc_request_duration_seconds_count', { method })
    expect(count(after, 'eth_chainId') - count(before, 'eth_chainId')).toBe(2)
    expect(count(after, 'other') - count(before, 'other')).toBe(2)
    expect(value(after, 'airollup_rpc_errors_total', { method: 'other' }) - value(before, 'airollup_rpc_errors_total', { method: 'other' })).toBe(2)
    expect(value(after, 'airollup_rpc_request_duration_seconds_sum', { method: 'eth_chainId' })).toBeGreaterThan(0)
    expect(value(after, 'airollup_rpc_request_duration_seconds_bucket', { method: 'eth_chainId', le: '+Inf' })).toBe(count(after, 'eth_chainId'))
    expect(after.text).not.toContain('no_suchMethod')
    expect(after.text).not.toContain('made_up_')
  })

  it('counts model runs of the inference precompile in blocks, with their time, per model', async () => {
    const credit = buildCreditModel()
    const id = keccak256(credit)
    await registerModel(t, credit, 'credit-risk')
    const ONE = 10n ** 18n
    const hash = await t.wallet(0).sendTransaction({ to: INFERENCE_PRECOMPILE, data: toHex(encodeInferCall(id, [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n])), gas: 2_000_000n })
    expect((await t.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    const s = await scrape(t.url)
    expect(value(s, 'airollup_inference_duration_seconds_count', { model: id })).toBe(1)
    expect(value(s, 'airollup_inference_duration_seconds_sum', { model: id })).toBeGreaterThan(0)
    expect(value(s, 'airollup_inference_failures_total', { model: id })).toBe(0)
  })
})

describe('NodeMetrics labels', () => {
  it('labels at most MAX_MODEL_LABELS models, the rest as other', async () => {
    const m = new NodeMetrics({ heads: () => ({ unsafe: 0, safe: 0, finalized: 0 }), pool: () => ({ pending: 0, queued: 0, bytes: 0 }), anchorQueue: () => 0, methods: ['eth_chainId'] })
    for (let i = 0; i < MAX_MODEL_LABELS + 10; i++) m.inference(toHex(i, { size: 32 }), 0.001, true)
    m.inference(toHex(0, { size: 32 }), 0.001, true)
    const s = parse(await m.registry.metrics(), m.contentType)
    const counts = s.samples.filter((x) => x.name === 'airollup_inference_duration_seconds_count')
    expect(counts).toHaveLength(MAX_MODEL_LABELS + 1)
    expect(value(s, 'airollup_inference_duration_seconds_count', { model: 'other' })).toBe(10)
    expect(value(s, 'airollup_inference_duration_seconds_count', { model: toHex(0, { size: 32 }) })).toBe(2)
  })
})

describe('GET /metrics with an L1', () => {
  let r: TestRollup
  beforeAll(async () => {
    r = await startTestRollup()
  }, 60_000)
  afterAll(() => r?.close())

  it('shows the batcher backlog going to zero, L1 gas and fees paid, the safe head and the deposit watcher', async () => {
    await sendTransfers(r.l2, 2)
    const head = await untilPosted(r.l2)
    const s = await until(async () => {
      const s = await scrape(r.l2.url)
      return value(s, 'airollup_batcher_last_posted_block') === head && value(s, 'airollup_deposits_l1_lag_blocks') >= 0 ? s : undefined
    }, 'the batcher metrics to show the posted head')
    expect(value(s, 'airollup_batcher_pending_blocks')).toBe(0)
    expect(value(s, 'airollup_batcher_pending_bytes')).toBe(0)
    expect(value(s, 'airollup_batcher_inflight')).toBe(0)
    expect(value(s, 'airollup_batcher_l1_reachable')).toBe(1)
    const status = await r.l2.rpc('rollup_getBatcherStatus')
    expect(value(s, 'airollup_batcher_batches_posted_total')).toBe(status.batchesPosted)
    expect(value(s, 'airollup_batcher_batches_posted_total')).toBeGreaterThanOrEqual(1)
    expect(value(s, 'airollup_batcher_l2_transactions_posted_total')).toBe(status.l2TxsPosted)
    expect(status.l2TxsPosted).toBeGreaterThanOrEqual(2)
    expect(value(s, 'airollup_batcher_l1_gas_used_total')).toBe(status.l1GasUsed)
    expect(value(s, 'airollup_batcher_l1_gas_used_total')).toBeGreaterThan(21_000)
    expect(value(s, 'airollup_batcher_l1_fees_wei_total')).toBe(Number(status.l1FeeWei))
    expect(value(s, 'airollup_batcher_l1_fees_wei_total')).toBeGreaterThan(0)
    expect(value(s, 'airollup_batcher_data_bytes_posted_total')).toBeGreaterThan(0)
    expect(s.types.get('airollup_batcher_l1_fees_wei_total')).toBe('counter')
    // the deposit watcher reads L1 up to its confirmations below the head
    const deposits = await r.l2.rpc('bridge_getStatus')
    expect(deposits).not.toBeNull()
    expect(value(s, 'airollup_deposits_pending')).toBe(0)
    expect(value(s, 'airollup_deposits_l1_lag_blocks')).toBeLessThanOrEqual(5)
    // safe follows the batcher's posted blocks
    const safe = await until(async () => {
      const s = await scrape(r.l2.url)
      return value(s, 'airollup_head_block_number', { head: 'safe' }) === head ? s : undefined
    }, 'the safe head metric to reach the posted head')
    expect(value(safe, 'airollup_head_block_number', { head: 'safe' })).toBe(r.l2.node.chain.headOf('safe'))
  }, 60_000)

  it('is served by a replica too: heads and blocks it imports, RPC, process; no batcher or deposits', async () => {
    const dataDir = tempDir('metrics-replica-')
    const replica = await startNode({
      dataDir,
      rpc: { port: 0 },
      logLevel: TEST_LOG_LEVEL,
      replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, sequencerRpcUrl: r.l2.url, confirmations: 1, pollIntervalMs: 50, feedReconnectMs: 100 },
    })
    try {
      const head = r.l2.node.chain.headNumber
      const s = await until(async () => {
        const s = await scrape(replica.url)
        return value(s, 'airollup_head_block_number', { head: 'unsafe' }) === head && value(s, 'airollup_head_block_number', { head: 'safe' }) === head ? s : undefined
      }, 'the replica to reach the sequencer head')
      expect(value(s, 'airollup_blocks_total')).toBe(head)
      expect(value(s, 'airollup_transactions_total', { kind: 'user' })).toBe(value(await scrape(r.l2.url), 'airollup_transactions_total', { kind: 'user' }))
      expect(value(s, 'airollup_process_resident_memory_bytes')).toBeGreaterThan(0)
      expect(s.text).not.toContain('airollup_batcher_')
      expect(s.text).not.toContain('airollup_deposits_')
      await rpc(replica.url, 'eth_blockNumber')
      expect(value(await scrape(replica.url), 'airollup_rpc_request_duration_seconds_count', { method: 'eth_blockNumber' })).toBe(1)
    } finally {
      await replica.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
