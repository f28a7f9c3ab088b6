/**
 * When a batch closes (size, age, block count) and how it is trimmed to the size limit, on a
 * synthetic chain: no L1 is involved in planning.
 */
import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { Batcher, type BatchLedger, type BatcherConfig, type BlockSource, type PostedBatch, type SourceBlock } from '../../batcher/batcher.ts'
import { decodeBatch } from '../../batcher/codec.ts'

function chain(blockTxs: Uint8Array[][], ageSeconds: number): BlockSource {
  const now = BigInt(Math.floor(Date.now() / 1000))
  const blocks: SourceBlock[] = blockTxs.map((txs, i) => ({
    number: i + 1,
    timestamp: now - BigInt(ageSeconds) + BigInt(i) * 0n,
    coinbase: new Uint8Array(20),
    txs,
    hash: new Uint8Array(32).fill(i + 1),
    stateRoot: new Uint8Array(32).fill(i + 2),
  }))
  return {
    headNumber: () => blocks.length,
    block: (n) => blocks[n - 1],
    anchoredHashes: () => [],
    withdrawalHashes: () => [],
    txCount: () => 0,
    txBytesAfter: () => 0,
  }
}

const ledger = (lastBlock = 0): BatchLedger => ({
  lastBatch: () => (lastBlock === 0 ? undefined : ({ lastBlock, batchIndex: 0 } as PostedBatch)),
  putBatch: () => {},
  deleteBatchesFrom: () => {},
  firstBatchAfterL1Block: () => undefined,
  batchCovering: () => undefined,
  batch: () => undefined,
  batchTotals: () => ({ batches: 0, l2Txs: 0, dataBytes: 0, l1Gas: 0, l1Fee: 0n }),
  getMeta: () => undefined,
  setMeta: () => {},
  syncToDisk: () => {},
})

const config = (over: Partial<BatcherConfig> = {}): BatcherConfig => ({
  l1RpcUrl: 'http://127.0.0.1:1',
  rollupAnchor: '0x0000000000000000000000000000000000000001',
  privateKey: `0x${'11'.repeat(32)}`,
  maxBatchBytes: 120_000,
  maxFrameBytes: 120_000,
  dataAvailability: 'calldata',
  maxBlobsPerTx: 6,
  blobSidecarVersion: 0,
  maxBatchAgeMs: 60_000,
  maxBatchBlocks: 1000,
  compression: 'brotli',
  confirmations: 1,
  pollIntervalMs: 1000,
  resubmitAfterMs: 60_000,
  maxFeePerGas: 10n ** 12n,
  unreachableWarnAfterMs: 60_000,
  ...over,
})

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }
const plan = (source: BlockSource, cfg: Partial<BatcherConfig> = {}, last = 0) =>
  new Batcher(config(cfg), source, ledger(last), { headOf: () => 0, setHead: () => {} }, silent).planBatch()

describe('batch planning', () => {
  it('waits while the pending blocks are young and small', () => {
    expect(plan(chain([[randomBytes(100)], [randomBytes(100)]], 0))).toBeUndefined()
  })

  it('closes on age: every pending block goes, starting after the last posted one', () => {
    const p = plan(chain([[randomBytes(100)], [randomBytes(100)], [randomBytes(100)]], 120), {}, 1)!
    expect(p.blocks.map((b) => b.number)).toEqual([2, 3])
    expect(decodeBatch(p.data).map((b) => b.number)).toEqual([2, 3])
  })

  it('closes on size, trimmed to the byte limit, and never splits a block', () => {
    // 8 blocks of 30 kB incompressible transactions: 4 fit in 120 kB
    const p = plan(chain(Array.from({ length: 8 }, () => [randomBytes(30_000)]), 0))!
    expect(p.data.length).toBeLessThanOrEqual(120_000)
    expect(p.blocks.length).toBeGreaterThanOrEqual(3)
    expect(p.blocks.length).toBeLessThanOrEqual(4)
  })

  it('posts an oversized block alone rather than stalling', () => {
    const p = plan(chain([[randomBytes(200_000)], [randomBytes(200_000)]], 0))!
    expect(p.blocks.map((b) => b.number)).toEqual([1])
    expect(p.data.length).toBeGreaterThan(120_000)
  })

  it('splits two blocks that fit the limit alone but not together', () => {
    const p = plan(chain([[randomBytes(96_000)], [randomBytes(96_000)]], 120))!
    expect(p.blocks.map((b) => b.number)).toEqual([1])
  })

  it('closes at the block count limit', () => {
    const p = plan(chain(Array.from({ length: 10 }, () => [randomBytes(10)]), 0), { maxBatchBlocks: 4 })!
    expect(p.blocks.map((b) => b.number)).toEqual([1, 2, 3, 4])
  })
})
