/**
 * The batcher's records, in the node's sqlite file: its mirror of the batches RollupAnchor holds
 * on L1 (rows past an L1 reorg are deleted), with what each L1 transaction cost, and the batch
 * transaction in flight (meta `batcher.inflight`, written before it is broadcast). Implements the
 * `BatchLedger` the batcher declares, and the batch lookups the proofs and `rollup_getBatch` use.
 * Batch writers (the anchoring notifications' change marks) run inside the transaction that
 * records or forgets a batch, so what they derive from it cannot be lost by a crash in between.
 */
import type Database from 'better-sqlite3'
import type { BatchLedger, PostedBatch } from './batcher.ts'

/** The node's sqlite database as the ledger uses it (sequencer/store's Store). */
export interface LedgerDatabase {
  readonly db: Database.Database
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** Makes everything committed so far durable against an OS crash, not only a process crash. */
  syncToDisk(): void
  transaction<T>(fn: () => T): T
}

/**
 * Told, inside the ledger's sqlite transaction, that the batches covering L2 blocks first..last
 * were recorded or forgotten (an L1 reorg): what was derived from those blocks changed status.
 */
export interface BatchWriter {
  batchesChanged(firstBlock: number, lastBlock: number): void
}

const SCHEMA = /* sql */ `
-- batches as RollupAnchor records them on L1 (the batcher's mirror; rows past an L1 reorg are deleted)
CREATE TABLE IF NOT EXISTS l1_batches (
  batch_index      INTEGER PRIMARY KEY,
  first_block      INTEGER NOT NULL,
  last_block       INTEGER NOT NULL,
  state_root       BLOB NOT NULL,
  block_hash       BLOB NOT NULL,
  withdrawal_root  BLOB NOT NULL,
  anchor_root      BLOB NOT NULL,
  data_hash        BLOB NOT NULL,
  l1_tx_hash       BLOB NOT NULL,
  l1_block_number  INTEGER NOT NULL,
  submitted_at     INTEGER NOT NULL,
  challenge_window INTEGER NOT NULL,
  data_bytes       INTEGER NOT NULL,
  l2_tx_count      INTEGER NOT NULL,
  l1_gas_used      INTEGER NOT NULL,
  l1_fee           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS l1_batches_by_last_block ON l1_batches (last_block);
`

const BATCH_COLUMNS = `batch_index AS batchIndex, first_block AS firstBlock, last_block AS lastBlock, state_root AS stateRoot,
  block_hash AS blockHash, withdrawal_root AS withdrawalRoot, anchor_root AS anchorRoot, data_hash AS dataHash,
  l1_tx_hash AS l1TxHash, l1_block_number AS l1BlockNumber, submitted_at AS submittedAt, challenge_window AS challengeWindow,
  data_bytes AS dataBytes, l2_tx_count AS l2TxCount, l1_gas_used AS l1GasUsed, l1_fee AS l1Fee`

export class SqliteBatchLedger implements BatchLedger {
  private readonly stmts

  constructor(
    private readonly database: LedgerDatabase,
    private readonly writers: BatchWriter[] = [],
  ) {
    const d = database.db
    d.exec(SCHEMA)
    this.stmts = {
      putBatch: d.prepare(`INSERT OR REPLACE INTO l1_batches (batch_index, first_block, last_block, state_root, block_hash, withdrawal_root,
        anchor_root, data_hash, l1_tx_hash, l1_block_number, submitted_at, challenge_window, data_bytes, l2_tx_count, l1_gas_used, l1_fee)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteBatchesFrom: d.prepare('DELETE FROM l1_batches WHERE batch_index >= ?'),
      batchByIndex: d.prepare(`SELECT ${BATCH_COLUMNS} FROM l1_batches WHERE batch_index = ?`),
      batchCovering: d.prepare(`SELECT ${BATCH_COLUMNS} FROM l1_batches WHERE last_block >= ? ORDER BY last_block LIMIT 1`),
      lastBatch: d.prepare(`SELECT ${BATCH_COLUMNS} FROM l1_batches ORDER BY batch_index DESC LIMIT 1`),
      batchesFrom: d.prepare(`SELECT ${BATCH_COLUMNS} FROM l1_batches WHERE batch_index >= ? ORDER BY batch_index`),
      batchTotals: d.prepare('SELECT COUNT(*) AS batches, COALESCE(SUM(l2_tx_count), 0) AS txs, COALESCE(SUM(data_bytes), 0) AS bytes, COALESCE(SUM(l1_gas_used), 0) AS gas FROM l1_batches'),
      batchFees: d.prepare('SELECT l1_fee FROM l1_batches').pluck(),
      firstBatchEndingAfter: d.prepare('SELECT MIN(batch_index) FROM l1_batches WHERE last_block > ?').pluck(),
      firstBatchAfterL1Block: d.prepare('SELECT MIN(batch_index) FROM l1_batches WHERE l1_block_number > ?').pluck(),
    }
  }

  putBatch(b: PostedBatch): void {
    this.database.transaction(() => {
      this.putBatchRow(b)
      for (const w of this.writers) w.batchesChanged(b.firstBlock, b.lastBlock)
    })
  }

  private putBatchRow(b: PostedBatch): void {
    this.stmts.putBatch.run(b.batchIndex, b.firstBlock, b.lastBlock, b.stateRoot, b.blockHash, b.withdrawalRoot, b.anchorRoot,
      b.dataHash, b.l1TxHash, b.l1BlockNumber, b.submittedAt, b.challengeWindow, b.dataBytes, b.l2TxCount, b.l1GasUsed, b.l1Fee.toString())
  }

  /** Forgets batches from `index` on (an L1 reorg took them away). */
  deleteBatchesFrom(index: number): void {
    this.database.transaction(() => {
      const first = this.batch(index)
      const last = this.lastBatch()
      this.stmts.deleteBatchesFrom.run(index)
      if (first !== undefined && last !== undefined) for (const w of this.writers) w.batchesChanged(first.firstBlock, last.lastBlock)
    })
  }

  /** Forgets the batches that cover any L2 block after `blockNumber` (the chain was rewound to it). */
  forgetBlocksAfter(blockNumber: number): void {
    const first = this.stmts.firstBatchEndingAfter.get(blockNumber) as number | null
    if (first !== null) this.deleteBatchesFrom(first)
  }

  batch(index: number): PostedBatch | undefined {
    const row = this.stmts.batchByIndex.get(index) as RawBatchRow | undefined
    return row && toBatchRow(row)
  }

  /** The batch that contains L2 block `blockNumber`, if it was posted. */
  batchCovering(blockNumber: number): PostedBatch | undefined {
    const row = this.stmts.batchCovering.get(blockNumber) as RawBatchRow | undefined
    return row === undefined || row.firstBlock > blockNumber ? undefined : toBatchRow(row)
  }

  lastBatch(): PostedBatch | undefined {
    const row = this.stmts.lastBatch.get() as RawBatchRow | undefined
    return row && toBatchRow(row)
  }

  batchesFrom(index: number): PostedBatch[] {
    return (this.stmts.batchesFrom.all(index) as RawBatchRow[]).map(toBatchRow)
  }

  /** Lowest index of a batch submitted in an L1 block after `l1Block`. */
  firstBatchAfterL1Block(l1Block: number): number | undefined {
    return (this.stmts.firstBatchAfterL1Block.get(l1Block) as number | null) ?? undefined
  }

  /** Lowest index of a batch whose challenge window is still open at L1 time `l1Timestamp` (seconds). */

  /** Sums over every posted batch: count, L2 transactions, data bytes, L1 gas and wei. */
  batchTotals(): { batches: number; l2Txs: number; dataBytes: number; l1Gas: number; l1Fee: bigint } {
    const t = this.stmts.batchTotals.get() as { batches: number; txs: number; bytes: number; gas: number }
    const fees = this.stmts.batchFees.all() as string[]
    return { batches: t.batches, l2Txs: t.txs, dataBytes: t.bytes, l1Gas: t.gas, l1Fee: fees.reduce((sum, f) => sum + BigInt(f), 0n) }
  }

  getMeta(key: string): string | undefined {
    return this.database.getMeta(key)
  }

  setMeta(key: string, value: string): void {
    this.database.setMeta(key, value)
  }

  syncToDisk(): void {
    this.database.syncToDisk()
  }
}

type RawBatchRow = Omit<PostedBatch, 'l1Fee'> & { l1Fee: string }

function toBatchRow(row: RawBatchRow): PostedBatch {
  return { ...row, l1Fee: BigInt(row.l1Fee) }
}
