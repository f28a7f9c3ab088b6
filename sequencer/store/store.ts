/**
 * The node's sqlite store (better-sqlite3, WAL). Owns every table in schema.ts; callers get
 * plain rows back and never see SQL. Writes that belong to one block go through `commitBlock`,
 * a single sqlite transaction, so a crash leaves the whole block or none of it.
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SCHEMA, SCHEMA_VERSION } from './schema.ts'
import type { PostedBatch } from '../../batcher/batcher.ts'
import type { Deposit, DepositOutcome, L1Cursor } from '../../bridge/deposits.ts'

export interface BlockRow {
  number: number
  hash: Uint8Array
  header: Uint8Array
  size: number
  txCount: number
}

export interface TxRow {
  hash: Uint8Array
  blockNumber: number
  txIndex: number
  raw: Uint8Array
  sender: Uint8Array
  status: number
  gasUsed: number
  cumulativeGasUsed: number
  effectiveGasPrice: bigint
  contractAddress: Uint8Array | null
  firstLogIndex: number
  logCount: number
}

export interface LogRow {
  blockNumber: number
  logIndex: number
  txIndex: number
  address: Uint8Array
  topics: Uint8Array[]
  data: Uint8Array
}

/** What `getLogs` matches: an inclusive block range, any of the addresses, and per position any of the topics. */
export interface LogQuery {
  fromBlock: number
  toBlock: number
  addresses?: Uint8Array[]
  /** topics[i] undefined/null matches anything; an array matches any of its values. */
  topics?: (Uint8Array[] | null)[]
  /** Stop after this many rows (the caller turns that into a clear error). */
  limit: number
}

/** One Anchored event of the DataAnchor predeploy. */
export interface AnchorRow {
  blockNumber: number
  logIndex: number
  txIndex: number
  hash: Uint8Array
  submitter: Uint8Array
}

/** One WithdrawalInitiated event of the L2Bridge predeploy. */
export interface WithdrawalRow {
  blockNumber: number
  logIndex: number
  txIndex: number
  withdrawalHash: Uint8Array
}

/** One L1Bridge DepositInitiated event, as the deposit watcher stored it. */
export type DepositRow = Deposit

/** What a sealed L2 block did with a deposit. */
export type DepositResultRow = DepositOutcome

export type { L1Cursor }

/** A batch as RollupAnchor recorded it on L1, with what its L1 transaction cost. */
export type L1BatchRow = PostedBatch

/** Everything one sealed block writes. */
export interface BlockWrite {
  block: BlockRow
  txs: TxRow[]
  logs: LogRow[]
  trieNodes: Map<string, Uint8Array>
  /** DataAnchor events in the block; their hashes leave the anchoring queue in the same transaction. */
  anchors?: AnchorRow[]
  /** L2Bridge withdrawals in the block. */
  withdrawals?: WithdrawalRow[]
  /** Deposits the block included (or whose system transaction reverted): no longer pending once it commits. */
  depositResults?: DepositResultRow[]
  /** Bytes of the models the block registered (ModelRegistry), keyed by keccak256 of the bytes. */
  models?: { id: Uint8Array; bytes: Uint8Array }[]
}

export type HeadName = 'unsafe' | 'safe' | 'finalized'

export class Store {
  readonly db: Database.Database
  private readonly stmts
  private readonly commitBlockTx: (write: BlockWrite) => void

  /** `readonly`: a second connection to a node's existing file (the call workers'); WAL lets it read while the node writes. */
  constructor(
    readonly path: string,
    opts: { readonly?: boolean } = {},
  ) {
    if (opts.readonly === true) {
      this.db = new Database(path, { readonly: true, fileMustExist: true })
      this.db.pragma('cache_size = -16384')
    } else {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
      this.db = new Database(path)
      // WAL + NORMAL: a commit is in the WAL file before the call returns, so it survives kill -9
      // (only an OS crash or power loss can drop the last commits; use FULL to cover those too)
      this.db.pragma('journal_mode = WAL')
      this.db.pragma('synchronous = NORMAL')
      this.db.pragma('cache_size = -65536')
      this.db.exec(SCHEMA)
    }
    this.checkVersion()
    // data directories from before the pool's queued lifetime: the column is nullable, no version bump
    const mempoolColumns = this.db.prepare('PRAGMA table_info(mempool)').all() as { name: string }[]
    if (!mempoolColumns.some((c) => c.name === 'arrived_at')) this.db.exec('ALTER TABLE mempool ADD COLUMN arrived_at INTEGER')
    this.stmts = this.prepare()
    this.commitBlockTx = this.db.transaction((w: BlockWrite) => this.commitBlockWrites(w))
  }

  private checkVersion(): void {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined
    if (row === undefined) {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION))
    } else if (Number(row.value) !== SCHEMA_VERSION) {
      throw new Error(`data directory has schema version ${row.value}, this node needs ${SCHEMA_VERSION}`)
    }
  }

  private prepare() {
    const d = this.db
    return {
      getMeta: d.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: d.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      putBlock: d.prepare('INSERT INTO blocks (number, hash, header, size, tx_count) VALUES (?, ?, ?, ?, ?)'),
      blockByNumber: d.prepare('SELECT number, hash, header, size, tx_count AS txCount FROM blocks WHERE number = ?'),
      blockByHash: d.prepare('SELECT number, hash, header, size, tx_count AS txCount FROM blocks WHERE hash = ?'),
      putTx: d.prepare(`INSERT INTO txs (hash, block_number, tx_index, raw, sender, status, gas_used, cumulative_gas_used,
        effective_gas_price, contract_address, first_log_index, log_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      txByHash: d.prepare(`SELECT ${TX_COLUMNS} FROM txs WHERE hash = ?`),
      txByPosition: d.prepare(`SELECT ${TX_COLUMNS} FROM txs WHERE block_number = ? AND tx_index = ?`),
      txsInBlock: d.prepare(`SELECT ${TX_COLUMNS} FROM txs WHERE block_number = ? ORDER BY tx_index`),
      putLog: d.prepare(`INSERT INTO logs (block_number, log_index, tx_index, address, topic0, topic1, topic2, topic3, data)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      logsInBlock: d.prepare(`SELECT ${LOG_COLUMNS} FROM logs WHERE block_number = ? ORDER BY log_index`),
      logsInRange: d.prepare(`SELECT ${LOG_COLUMNS} FROM logs WHERE block_number = ? AND log_index >= ? AND log_index < ? ORDER BY log_index`),
      getNode: d.prepare('SELECT value FROM trie_nodes WHERE key = ?').pluck(),
      putNode: d.prepare('INSERT OR IGNORE INTO trie_nodes (key, value) VALUES (?, ?)'),
      getModel: d.prepare('SELECT bytes FROM models WHERE id = ?').pluck(),
      putModel: d.prepare('INSERT OR IGNORE INTO models (id, bytes) VALUES (?, ?)'),
      journalAdd: d.prepare('INSERT OR IGNORE INTO mempool (hash, raw, arrived_at) VALUES (?, ?, ?)'),
      journalRemove: d.prepare('DELETE FROM mempool WHERE hash = ?'),
      journalAll: d.prepare('SELECT hash, raw, arrived_at AS arrivedAt FROM mempool'),
      queueAdd: d.prepare('INSERT OR IGNORE INTO anchor_queue (hash, received_at) VALUES (?, ?)'),
      queueRemove: d.prepare('DELETE FROM anchor_queue WHERE hash = ?'),
      queueNext: d.prepare('SELECT hash FROM anchor_queue ORDER BY seq LIMIT ?').pluck(),
      queueSize: d.prepare('SELECT COUNT(*) FROM anchor_queue').pluck(),
      queueGet: d.prepare('SELECT received_at FROM anchor_queue WHERE hash = ?').pluck(),
      putAnchor: d.prepare('INSERT INTO anchors (block_number, log_index, tx_index, hash, submitter) VALUES (?, ?, ?, ?, ?)'),
      firstAnchor: d.prepare(`SELECT ${ANCHOR_COLUMNS} FROM anchors WHERE hash = ? ORDER BY block_number, log_index LIMIT 1`),
      anchorsInRange: d.prepare('SELECT hash FROM anchors WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index').pluck(),
      putWithdrawal: d.prepare('INSERT INTO withdrawals (block_number, log_index, tx_index, withdrawal_hash) VALUES (?, ?, ?, ?)'),
      withdrawalsInRange: d.prepare('SELECT withdrawal_hash FROM withdrawals WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index').pluck(),
      withdrawalByHash: d.prepare('SELECT block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, withdrawal_hash AS withdrawalHash FROM withdrawals WHERE withdrawal_hash = ?'),
      txCountInRange: d.prepare('SELECT COALESCE(SUM(tx_count), 0) FROM blocks WHERE number BETWEEN ? AND ?').pluck(),
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
      firstBatchAfterL1Block: d.prepare('SELECT MIN(batch_index) FROM l1_batches WHERE l1_block_number > ?').pluck(),
      firstBatchNotFinalAt: d.prepare('SELECT MIN(batch_index) FROM l1_batches WHERE submitted_at + challenge_window > ?').pluck(),
      txBytesAfter: d.prepare('SELECT COALESCE(SUM(LENGTH(raw)), 0) FROM txs WHERE block_number > ?').pluck(),
      putDeposit: d.prepare(`INSERT INTO deposits (nonce, l1_token, sender, recipient, amount, metadata, l1_block_number, l1_block_hash,
        l1_tx_hash, l1_log_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      depositByNonce: d.prepare(`SELECT ${DEPOSIT_COLUMNS} FROM deposits WHERE nonce = ?`),
      lastDeposit: d.prepare(`SELECT ${DEPOSIT_COLUMNS} FROM deposits ORDER BY nonce DESC LIMIT 1`),
      depositsAfter: d.prepare(`SELECT ${DEPOSIT_COLUMNS} FROM deposits WHERE nonce > ? ORDER BY nonce LIMIT ?`),
      depositCountAfter: d.prepare('SELECT COUNT(*) FROM deposits WHERE nonce > ?').pluck(),
      putDepositResult: d.prepare(`INSERT INTO deposit_results (nonce, block_number, tx_index, status, l2_token) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (nonce) DO UPDATE SET block_number = excluded.block_number, tx_index = excluded.tx_index, status = excluded.status,
        l2_token = excluded.l2_token WHERE deposit_results.status = 0 AND excluded.status = 1`),
      depositResult: d.prepare(`SELECT ${DEPOSIT_RESULT_COLUMNS} FROM deposit_results WHERE nonce = ?`),
      lastDepositResult: d.prepare(`SELECT ${DEPOSIT_RESULT_COLUMNS} FROM deposit_results ORDER BY nonce DESC LIMIT 1`),
      failedDeposits: d.prepare('SELECT nonce FROM deposit_results WHERE status = 0 ORDER BY nonce').pluck(),
    }
  }

  // ---- meta and heads ----

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key) as string | undefined
  }

  setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value)
  }

  getHead(name: HeadName): number | undefined {
    const value = this.getMeta(`head.${name}`)
    return value === undefined ? undefined : Number(value)
  }

  setHead(name: HeadName, number: number): void {
    this.setMeta(`head.${name}`, String(number))
  }

  // ---- blocks ----

  /** Writes a sealed block, its transactions, logs and trie nodes, removes its transactions from the
   *  mempool journal and moves the unsafe head, all in one sqlite transaction. */
  commitBlock(write: BlockWrite): void {
    this.commitBlockTx(write)
  }

  private commitBlockWrites(w: BlockWrite): void {
    const s = this.stmts
    const b = w.block
    s.putBlock.run(b.number, b.hash, b.header, b.size, b.txCount)
    for (const t of w.txs) {
      s.putTx.run(t.hash, t.blockNumber, t.txIndex, t.raw, t.sender, t.status, t.gasUsed, t.cumulativeGasUsed,
        t.effectiveGasPrice.toString(), t.contractAddress, t.firstLogIndex, t.logCount)
      s.journalRemove.run(t.hash)
    }
    for (const l of w.logs) {
      s.putLog.run(l.blockNumber, l.logIndex, l.txIndex, l.address, l.topics[0] ?? null, l.topics[1] ?? null,
        l.topics[2] ?? null, l.topics[3] ?? null, l.data)
    }
    for (const [key, value] of w.trieNodes) s.putNode.run(Buffer.from(key, 'hex'), value)
    for (const m of w.models ?? []) s.putModel.run(m.id, m.bytes)
    for (const a of w.anchors ?? []) {
      s.putAnchor.run(a.blockNumber, a.logIndex, a.txIndex, a.hash, a.submitter)
      s.queueRemove.run(a.hash)
    }
    for (const wd of w.withdrawals ?? []) s.putWithdrawal.run(wd.blockNumber, wd.logIndex, wd.txIndex, wd.withdrawalHash)
    for (const r of w.depositResults ?? []) s.putDepositResult.run(r.nonce, r.blockNumber, r.txIndex, r.included ? 1 : 0, r.l2Token)
    s.setMeta.run('head.unsafe', String(b.number))
  }

  getBlockByNumber(number: number): BlockRow | undefined {
    return this.stmts.blockByNumber.get(number) as BlockRow | undefined
  }

  getBlockByHash(hash: Uint8Array): BlockRow | undefined {
    return this.stmts.blockByHash.get(hash) as BlockRow | undefined
  }

  // ---- transactions and receipts ----

  getTx(hash: Uint8Array): TxRow | undefined {
    const row = this.stmts.txByHash.get(hash) as RawTxRow | undefined
    return row && toTxRow(row)
  }

  getTxByPosition(blockNumber: number, index: number): TxRow | undefined {
    const row = this.stmts.txByPosition.get(blockNumber, index) as RawTxRow | undefined
    return row && toTxRow(row)
  }

  getTxsInBlock(blockNumber: number): TxRow[] {
    return (this.stmts.txsInBlock.all(blockNumber) as RawTxRow[]).map(toTxRow)
  }

  // ---- logs ----

  /** One transaction's logs: `count` from `firstLogIndex` (its row's firstLogIndex and logCount). */
  getLogsOfTx(blockNumber: number, firstLogIndex: number, count: number): LogRow[] {
    if (count === 0) return []
    return (this.stmts.logsInRange.all(blockNumber, firstLogIndex, firstLogIndex + count) as RawLogRow[]).map(toLogRow)
  }

  getLogsInBlock(blockNumber: number): LogRow[] {
    return (this.stmts.logsInBlock.all(blockNumber) as RawLogRow[]).map(toLogRow)
  }

  getLogs(q: LogQuery): LogRow[] {
    const where = ['block_number BETWEEN ? AND ?']
    const args: unknown[] = [q.fromBlock, q.toBlock]
    if (q.addresses !== undefined && q.addresses.length > 0) {
      where.push(`address IN (${q.addresses.map(() => '?').join(', ')})`)
      args.push(...q.addresses)
    }
    q.topics?.forEach((alternatives, i) => {
      if (alternatives === null || alternatives.length === 0) return
      where.push(`topic${i} IN (${alternatives.map(() => '?').join(', ')})`)
      args.push(...alternatives)
    })
    const sql = `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where.join(' AND ')} ORDER BY block_number, log_index LIMIT ?`
    args.push(q.limit)
    return (this.db.prepare(sql).all(...args) as RawLogRow[]).map(toLogRow)
  }

  // ---- trie nodes ----

  getTrieNode(key: Uint8Array): Uint8Array | undefined {
    return this.stmts.getNode.get(key) as Uint8Array | undefined
  }

  /** Writes trie nodes outside a block (genesis). */
  putTrieNodes(nodes: Map<string, Uint8Array>): void {
    this.db.transaction(() => {
      for (const [key, value] of nodes) this.stmts.putNode.run(Buffer.from(key, 'hex'), value)
    })()
  }

  // ---- model store (content-addressed) ----

  getModel(id: Uint8Array): Uint8Array | undefined {
    return this.stmts.getModel.get(id) as Uint8Array | undefined
  }

  putModel(id: Uint8Array, bytes: Uint8Array): void {
    this.stmts.putModel.run(id, bytes)
  }

  // ---- mempool journal ----

  /** `arrivedAt` in unix milliseconds (the pool's queued lifetime counts from it, across restarts). */
  journalAdd(hash: Uint8Array, raw: Uint8Array, arrivedAt: number = Date.now()): void {
    this.stmts.journalAdd.run(hash, raw, arrivedAt)
  }

  journalRemove(hashes: Uint8Array[]): void {
    if (hashes.length === 0) return
    this.db.transaction(() => {
      for (const h of hashes) this.stmts.journalRemove.run(h)
    })()
  }

  journalAll(): { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[] {
    return this.stmts.journalAll.all() as { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[]
  }

  // ---- anchoring ----

  /**
   * Queues the hashes not yet queued or anchored, in one sqlite transaction (durable when this
   * returns). Returns how many were new.
   */
  anchorQueueAdd(hashes: Uint8Array[], receivedAt: number): number {
    const s = this.stmts
    return this.db.transaction(() => {
      let added = 0
      for (const h of hashes) {
        if (s.firstAnchor.get(h) !== undefined) continue
        added += s.queueAdd.run(h, receivedAt).changes
      }
      return added
    })()
  }

  /** The oldest `limit` queued hashes. */
  anchorQueueNext(limit: number): Uint8Array[] {
    return this.stmts.queueNext.all(limit) as Uint8Array[]
  }

  anchorQueueSize(): number {
    return this.stmts.queueSize.get() as number
  }

  /** When `hash` was queued (ms since the epoch), if it is waiting for a block. */
  anchorQueuedAt(hash: Uint8Array): number | undefined {
    return this.stmts.queueGet.get(hash) as number | undefined
  }

  /** The first time `hash` was anchored on L2. */
  firstAnchor(hash: Uint8Array): AnchorRow | undefined {
    return this.stmts.firstAnchor.get(hash) as AnchorRow | undefined
  }

  /** Hashes anchored in blocks first..last, in chain order (duplicates included). */
  anchoredHashes(first: number, last: number): Uint8Array[] {
    return this.stmts.anchorsInRange.all(first, last) as Uint8Array[]
  }

  withdrawalHashes(first: number, last: number): Uint8Array[] {
    return this.stmts.withdrawalsInRange.all(first, last) as Uint8Array[]
  }

  withdrawal(hash: Uint8Array): WithdrawalRow | undefined {
    return this.stmts.withdrawalByHash.get(hash) as WithdrawalRow | undefined
  }

  /** Transactions in blocks first..last. */
  txCount(first: number, last: number): number {
    return this.stmts.txCountInRange.get(first, last) as number
  }

  // ---- batches on L1 ----

  putBatch(b: L1BatchRow): void {
    this.stmts.putBatch.run(b.batchIndex, b.firstBlock, b.lastBlock, b.stateRoot, b.blockHash, b.withdrawalRoot, b.anchorRoot,
      b.dataHash, b.l1TxHash, b.l1BlockNumber, b.submittedAt, b.challengeWindow, b.dataBytes, b.l2TxCount, b.l1GasUsed, b.l1Fee.toString())
  }

  /** Forgets batches from `index` on (an L1 reorg took them away). */
  deleteBatchesFrom(index: number): void {
    this.stmts.deleteBatchesFrom.run(index)
  }

  batch(index: number): L1BatchRow | undefined {
    const row = this.stmts.batchByIndex.get(index) as RawBatchRow | undefined
    return row && toBatchRow(row)
  }

  /** The batch that contains L2 block `blockNumber`, if it was posted. */
  batchCovering(blockNumber: number): L1BatchRow | undefined {
    const row = this.stmts.batchCovering.get(blockNumber) as RawBatchRow | undefined
    return row === undefined || row.firstBlock > blockNumber ? undefined : toBatchRow(row)
  }

  lastBatch(): L1BatchRow | undefined {
    const row = this.stmts.lastBatch.get() as RawBatchRow | undefined
    return row && toBatchRow(row)
  }

  batchesFrom(index: number): L1BatchRow[] {
    return (this.stmts.batchesFrom.all(index) as RawBatchRow[]).map(toBatchRow)
  }

  /** Lowest index of a batch submitted in an L1 block after `l1Block`. */
  firstBatchAfterL1Block(l1Block: number): number | undefined {
    return (this.stmts.firstBatchAfterL1Block.get(l1Block) as number | null) ?? undefined
  }

  /** Lowest index of a batch whose challenge window is still open at L1 time `l1Timestamp` (seconds). */
  firstBatchNotFinalAt(l1Timestamp: number): number | undefined {
    return (this.stmts.firstBatchNotFinalAt.get(l1Timestamp) as number | null) ?? undefined
  }

  /** Bytes of transactions in blocks after `blockNumber` (what the batcher has yet to post). */
  txBytesAfter(blockNumber: number): number {
    return this.stmts.txBytesAfter.get(blockNumber) as number
  }

  /** Sums over every posted batch: count, L2 transactions, data bytes, L1 gas and wei. */
  batchTotals(): { batches: number; l2Txs: number; dataBytes: number; l1Gas: number; l1Fee: bigint } {
    const t = this.stmts.batchTotals.get() as { batches: number; txs: number; bytes: number; gas: number }
    const fees = this.stmts.batchFees.all() as string[]
    return { batches: t.batches, l2Txs: t.txs, dataBytes: t.bytes, l1Gas: t.gas, l1Fee: fees.reduce((sum, f) => sum + BigInt(f), 0n) }
  }

  // ---- bridge deposits ----

  /** The last L1 block the deposit watcher read, if it has read any. */
  depositCursor(): L1Cursor | undefined {
    const raw = this.getMeta('bridge.cursor')
    if (raw === undefined) return undefined
    const [number, hash] = raw.split(':')
    return { number: Number(number), hash: Buffer.from(hash, 'hex') }
  }

  /** The L1Bridge the stored deposits and cursor come from. */
  depositSource(): string | undefined {
    return this.getMeta('bridge.l1Bridge')
  }

  /**
   * Stores deposits read from L1 and moves the cursor past them, in one sqlite transaction: a
   * crash leaves both or neither, so no deposit is read twice or skipped.
   */
  saveDeposits(rows: DepositRow[], cursor: L1Cursor, l1Bridge: string): void {
    const s = this.stmts
    this.db.transaction(() => {
      for (const d of rows) {
        s.putDeposit.run(d.nonce, d.l1Token, d.from, d.to, d.amount.toString(), d.metadata, d.l1BlockNumber, d.l1BlockHash, d.l1TxHash, d.l1LogIndex)
      }
      s.setMeta.run('bridge.cursor', `${cursor.number}:${Buffer.from(cursor.hash).toString('hex')}`)
      s.setMeta.run('bridge.l1Bridge', l1Bridge)
    })()
  }

  deposit(nonce: number): DepositRow | undefined {
    const row = this.stmts.depositByNonce.get(nonce) as RawDepositRow | undefined
    return row && toDepositRow(row)
  }

  /** The stored deposit with the highest nonce. */
  lastDeposit(): DepositRow | undefined {
    const row = this.stmts.lastDeposit.get() as RawDepositRow | undefined
    return row && toDepositRow(row)
  }

  /**
   * The `limit` lowest-nonce deposits above `nonce`. Blocks deal with deposits in nonce order, so
   * the ones above the last result's nonce are exactly those still pending (an indexed range,
   * where a search for rows without a result would scan every deposit ever made).
   */
  depositsAfter(nonce: number, limit: number): DepositRow[] {
    return (this.stmts.depositsAfter.all(nonce, limit) as RawDepositRow[]).map(toDepositRow)
  }

  depositCountAfter(nonce: number): number {
    return this.stmts.depositCountAfter.get(nonce) as number
  }

  depositResult(nonce: number): DepositResultRow | undefined {
    const row = this.stmts.depositResult.get(nonce) as RawDepositResultRow | undefined
    return row && toDepositResultRow(row)
  }

  /** The result with the highest nonce: the last deposit an L2 block dealt with. */
  lastDepositResult(): DepositResultRow | undefined {
    const row = this.stmts.lastDepositResult.get() as RawDepositResultRow | undefined
    return row && toDepositResultRow(row)
  }

  /** Nonces of the deposits whose system transaction reverted, ascending. */
  failedDeposits(): number[] {
    return this.stmts.failedDeposits.all() as number[]
  }

  /** Copies the WAL into the database file and fsyncs it: what is committed survives an OS crash too. */
  syncToDisk(): void {
    this.db.pragma('wal_checkpoint(FULL)')
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

const DEPOSIT_COLUMNS = `nonce, l1_token AS l1Token, sender AS "from", recipient AS "to", amount, metadata, l1_block_number AS l1BlockNumber,
  l1_block_hash AS l1BlockHash, l1_tx_hash AS l1TxHash, l1_log_index AS l1LogIndex`

type RawDepositRow = Omit<DepositRow, 'amount'> & { amount: string }

function toDepositRow(row: RawDepositRow): DepositRow {
  return { ...row, amount: BigInt(row.amount) }
}

const DEPOSIT_RESULT_COLUMNS = 'nonce, block_number AS blockNumber, tx_index AS txIndex, status, l2_token AS l2Token'

type RawDepositResultRow = Omit<DepositResultRow, 'included'> & { status: number }

function toDepositResultRow({ status, ...row }: RawDepositResultRow): DepositResultRow {
  return { ...row, included: status === 1 }
}

const ANCHOR_COLUMNS = 'block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, hash, submitter'

const BATCH_COLUMNS = `batch_index AS batchIndex, first_block AS firstBlock, last_block AS lastBlock, state_root AS stateRoot,
  block_hash AS blockHash, withdrawal_root AS withdrawalRoot, anchor_root AS anchorRoot, data_hash AS dataHash,
  l1_tx_hash AS l1TxHash, l1_block_number AS l1BlockNumber, submitted_at AS submittedAt, challenge_window AS challengeWindow,
  data_bytes AS dataBytes, l2_tx_count AS l2TxCount, l1_gas_used AS l1GasUsed, l1_fee AS l1Fee`

type RawBatchRow = Omit<L1BatchRow, 'l1Fee'> & { l1Fee: string }

function toBatchRow(row: RawBatchRow): L1BatchRow {
  return { ...row, l1Fee: BigInt(row.l1Fee) }
}

const TX_COLUMNS = `hash, block_number AS blockNumber, tx_index AS txIndex, raw, sender, status, gas_used AS gasUsed,
  cumulative_gas_used AS cumulativeGasUsed, effective_gas_price AS effectiveGasPrice, contract_address AS contractAddress,
  first_log_index AS firstLogIndex, log_count AS logCount`

const LOG_COLUMNS = 'block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, address, topic0, topic1, topic2, topic3, data'

type RawTxRow = Omit<TxRow, 'effectiveGasPrice'> & { effectiveGasPrice: string }
type RawLogRow = Omit<LogRow, 'topics'> & { topic0: Uint8Array | null; topic1: Uint8Array | null; topic2: Uint8Array | null; topic3: Uint8Array | null }

function toTxRow(row: RawTxRow): TxRow {
  return { ...row, effectiveGasPrice: BigInt(row.effectiveGasPrice) }
}

function toLogRow(row: RawLogRow): LogRow {
  const topics: Uint8Array[] = []
  for (const t of [row.topic0, row.topic1, row.topic2, row.topic3]) if (t !== null) topics.push(t)
  return { blockNumber: row.blockNumber, logIndex: row.logIndex, txIndex: row.txIndex, address: row.address, topics, data: row.data }
}
