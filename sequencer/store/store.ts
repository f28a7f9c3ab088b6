/**
 * The node's sqlite store (better-sqlite3, WAL): the one database file, and the chain's own data in
 * it (the tables of schema.ts: blocks, transactions and receipts, logs, trie nodes, model bytes,
 * heads and meta). Callers get plain rows back and never see SQL. Services
 * keep their own records in their own tables of the same file, with the schema and queries next to
 * them (sequencer/anchoring/store.ts, bridge/store.ts, batcher/ledger.ts), on `db`; this file
 * knows none of their types. Writes that belong to one block go through `commitBlock`, a single
 * sqlite transaction, so a crash leaves the whole block or none of it (docs/ARCHITECTURE.md rule 2).
 */
import Database from 'better-sqlite3'
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema.ts'
import { Checkpointer } from './checkpointer.ts'

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

/** A transaction's place in the chain, as the address index lists it (sequencer/store/address-index.ts). */
export interface TxPlace {
  blockNumber: number
  txIndex: number
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

/** Everything one sealed block writes. */
export interface BlockWrite {
  block: BlockRow
  txs: TxRow[]
  logs: LogRow[]
  trieNodes: Map<string, Uint8Array>
  /** Bytes of the models the block registered (ModelRegistry), keyed by keccak256 of the bytes. */
  models?: { id: Uint8Array; bytes: Uint8Array }[]
}

export type HeadName = 'unsafe' | 'safe' | 'finalized'

export class Store {
  readonly db: Database.Database
  private readonly stmts
  private readonly commitBlockTx: (write: BlockWrite, alongside?: () => void) => void
  private checkpointer: Checkpointer | undefined
  /** The WAL file, opened by syncToDisk to fsync it. */
  private walFd: number | undefined

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
      this.migrate()
      this.db.exec(SCHEMA)
    }
    this.checkVersion()
    this.stmts = this.prepare()
    this.commitBlockTx = this.db.transaction((w: BlockWrite, alongside?: () => void) => this.commitBlockWrites(w, alongside))
  }

  /**
   * Takes a data dir of an earlier schema version to this one, a step at a time (MIGRATIONS),
   * each step and its version bump in one sqlite transaction: a crash leaves the file at one
   * version or the next. A version without a step is left to checkVersion to refuse.
   */
  private migrate(): void {
    if (!this.hasTable('meta')) return // a new file: SCHEMA creates it at this version
    for (let version = Number(this.storedVersion() ?? SCHEMA_VERSION); version < SCHEMA_VERSION && MIGRATIONS[version] !== undefined; version++) {
      const step = MIGRATIONS[version]
      this.db.transaction(() => {
        this.db.exec(step)
        this.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(version + 1), 'schema_version')
      })()
    }
  }

  private checkVersion(): void {
    const stored = this.storedVersion()
    if (stored === undefined) {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION))
    } else if (Number(stored) !== SCHEMA_VERSION) {
      throw new Error(`data directory has schema version ${stored}, this node needs ${SCHEMA_VERSION}`)
    }
  }

  /** The schema version the file records, if any. */
  private storedVersion(): string | undefined {
    return this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('schema_version') as string | undefined
  }

  private hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
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
      txCountInRange: d.prepare('SELECT COALESCE(SUM(tx_count), 0) FROM blocks WHERE number BETWEEN ? AND ?').pluck(),
      txBytesInRange: d.prepare('SELECT COALESCE(SUM(LENGTH(raw)), 0) FROM txs WHERE block_number BETWEEN ? AND ?').pluck(),
      txBytesAfter: d.prepare('SELECT COALESCE(SUM(LENGTH(raw)), 0) FROM txs WHERE block_number > ?').pluck(),
      deleteBlocksAfter: d.prepare('DELETE FROM blocks WHERE number > ?'),
      deleteTxsAfter: d.prepare('DELETE FROM txs WHERE block_number > ?'),
      deleteLogsAfter: d.prepare('DELETE FROM logs WHERE block_number > ?'),
      recentTxs: d.prepare(`SELECT ${TX_COLUMNS} FROM txs WHERE block_number <= ? ORDER BY block_number DESC, tx_index DESC LIMIT ?`),
      logsAfter: d.prepare(`SELECT ${LOG_COLUMNS} FROM logs WHERE block_number > ? ORDER BY block_number, log_index`),
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

  /**
   * Writes a sealed block, its transactions, logs, trie nodes and model bytes and moves the unsafe
   * head, all in one sqlite transaction.
   * `alongside` runs inside that same transaction, after the chain's rows: the services' own rows
   * for the block (the builder's block writers: anchors, withdrawals, deposit results), which so
   * commit with the block or not at all. If it throws, nothing of the block is written.
   */
  commitBlock(write: BlockWrite, alongside?: () => void): void {
    this.commitBlockTx(write, alongside)
    this.checkpointer?.afterCommit()
  }

  /**
   * Moves this file's WAL checkpoints to a thread of their own (checkpointer.ts): the node's
   * writable store does, so that no commit on the main thread copies the WAL. Close it (async)
   * before `close()`.
   */
  checkpointOnThread(onFailure?: (err: Error) => void): Checkpointer {
    this.checkpointer ??= new Checkpointer(this.db, this.path, onFailure)
    return this.checkpointer
  }

  /**
   * Runs `fn` in one sqlite transaction of this database (inside another one, e.g. a block's, it
   * becomes a savepoint of it). For the services' stores, whose writes must be atomic.
   */
  transaction<T>(fn: () => T): T {
    const result = this.db.transaction(fn)()
    if (!this.db.inTransaction) this.checkpointer?.afterCommit()
    return result
  }

  private commitBlockWrites(w: BlockWrite, alongside: (() => void) | undefined): void {
    const s = this.stmts
    const b = w.block
    s.putBlock.run(b.number, b.hash, b.header, b.size, b.txCount)
    for (const t of w.txs) {
      s.putTx.run(t.hash, t.blockNumber, t.txIndex, t.raw, t.sender, t.status, t.gasUsed, t.cumulativeGasUsed,
        t.effectiveGasPrice.toString(), t.contractAddress, t.firstLogIndex, t.logCount)
    }
    for (const l of w.logs) {
      s.putLog.run(l.blockNumber, l.logIndex, l.txIndex, l.address, l.topics[0] ?? null, l.topics[1] ?? null,
        l.topics[2] ?? null, l.topics[3] ?? null, l.data)
    }
    for (const [key, value] of w.trieNodes) s.putNode.run(Buffer.from(key, 'hex'), value)
    for (const m of w.models ?? []) s.putModel.run(m.id, m.bytes)
    alongside?.()
    s.setMeta.run('head.unsafe', String(b.number))
  }

  /**
   * Takes the chain back to block `number` (a replica whose unsafe blocks L1 contradicts, or whose
   * batches an L1 reorg or a dispute deleted): deletes every later block with its transactions,
   * receipts and logs, moves `head.unsafe` to `number` and `safe`/`finalized` down to it if they
   * were above, all in one sqlite transaction with what `alongside` writes (the services' rows of
   * those blocks), so a crash leaves the chain either whole or rewound. Trie nodes and model bytes
   * stay: they are content-addressed, block `number`'s state root still reaches its whole state,
   * and nodes no root reaches are harmless (archive mode keeps everything anyway).
   */
  rewindTo(number: number, alongside?: () => void): void {
    this.db.transaction(() => {
      const s = this.stmts
      s.deleteLogsAfter.run(number)
      s.deleteTxsAfter.run(number)
      s.deleteBlocksAfter.run(number)
      alongside?.()
      s.setMeta.run('head.unsafe', String(number))
      for (const name of ['safe', 'finalized'] as const) {
        const head = this.getHead(name)
        if (head !== undefined && head > number) s.setMeta.run(`head.${name}`, String(number))
      }
    })()
  }

  /** Logs of the blocks after `number`, in chain order (what a rewind to `number` takes away). */
  getLogsAfter(number: number): LogRow[] {
    return (this.stmts.logsAfter.all(number) as RawLogRow[]).map(toLogRow)
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

  /** The newest `limit` transactions in blocks up to `head`, newest first. */
  getRecentTxs(head: number, limit: number): TxRow[] {
    return (this.stmts.recentTxs.all(head, limit) as RawTxRow[]).map(toTxRow)
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

  /**
   * The newest logs matching `q` (its block range, addresses and topics), newest first, at most
   * `q.limit`; with the number of matches in the range, counted up to `countLimit` (a count that
   * reaches it means "at least that many").
   */
  getRecentLogs(q: LogQuery, countLimit: number): { logs: LogRow[]; count: number } {
    const { where, args } = logFilter(q)
    const logs = this.db.prepare(`SELECT ${LOG_COLUMNS} FROM logs WHERE ${where} ORDER BY block_number DESC, log_index DESC LIMIT ?`).all(...args, q.limit) as RawLogRow[]
    const count = this.db.prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM logs WHERE ${where} LIMIT ?)`).pluck().get(...args, countLimit) as number
    return { logs: logs.map(toLogRow), count }
  }

  /**
   * Logs matching `q` counted per value of their second topic (an indexed first argument: a
   * model id), at most `q.limit` rows read: a count that reaches it is partial.
   */
  countLogsByTopic1(q: LogQuery): { counts: Map<string, number>; partial: boolean } {
    const { where, args } = logFilter(q)
    const rows = this.db.prepare(`SELECT topic1 AS topic, COUNT(*) AS n FROM (SELECT topic1 FROM logs WHERE ${where} LIMIT ?) GROUP BY topic1`).all(...args, q.limit) as { topic: Uint8Array | null; n: number }[]
    const counts = new Map<string, number>()
    let total = 0
    for (const r of rows) {
      total += r.n
      if (r.topic !== null) counts.set(Buffer.from(r.topic).toString('hex'), r.n)
    }
    return { counts, partial: total >= q.limit }
  }

  getLogs(q: LogQuery): LogRow[] {
    const { where, args } = logFilter(q)
    const sql = `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where} ORDER BY block_number, log_index LIMIT ?`
    return (this.db.prepare(sql).all(...args, q.limit) as RawLogRow[]).map(toLogRow)
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

  // ---- the pool journal of older data directories ----

  /**
   * The pool journal's rows kept in this file by data directories from before it had a file of
   * its own (sequencer/mempool/journal.ts), with their arrival times (NULL in rows from before
   * those were kept); none in a newer one. `dropLegacyJournal` forgets them once they are moved.
   */
  legacyJournal(): { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[] {
    const columns = this.db.prepare('PRAGMA table_info(mempool)').all() as { name: string }[]
    if (columns.length === 0) return []
    const arrivedAt = columns.some((c) => c.name === 'arrived_at') ? 'arrived_at' : 'NULL'
    return this.db.prepare(`SELECT hash, raw, ${arrivedAt} AS arrivedAt FROM mempool`).all() as { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[]
  }

  dropLegacyJournal(): void {
    this.db.exec('DROP TABLE IF EXISTS mempool')
  }

  // ---- per-range figures (the batcher's block source) ----

  /** Transactions in blocks first..last. */
  txCount(first: number, last: number): number {
    return this.stmts.txCountInRange.get(first, last) as number
  }

  /** Bytes of transactions in blocks first..last (a batch's data before compression). */
  txBytesIn(first: number, last: number): number {
    return this.stmts.txBytesInRange.get(first, last) as number
  }

  /** Bytes of transactions in blocks after `blockNumber` (what the batcher has yet to post). */
  txBytesAfter(blockNumber: number): number {
    return this.stmts.txBytesAfter.get(blockNumber) as number
  }

  /**
   * Makes everything committed so far survive an OS crash or power loss, not only kill -9. With
   * `synchronous = NORMAL` a WAL commit is written but not fsynced (SQLite's documented trade: the
   * last commits may roll back after a power loss), and fsyncing the WAL file is what
   * `synchronous = FULL` would do at every commit, here once for all of them; whatever is older
   * than the WAL's frames is in the database file, which the checkpoint that copied it fsynced
   * before the WAL could start over. A `wal_checkpoint(FULL)` did this before the checkpoint
   * thread, but it answers "busy" at once, syncing nothing, while another connection checkpoints
   * (checkpointer.ts: after every block), so the batcher's sync before posting to L1 and the
   * validator's before signing were silently skipped. `fsync` is for tests.
   */
  syncToDisk(fsync: (fd: number) => void = fsyncSync): void {
    if (this.path === ':memory:') return
    this.walFd ??= openSync(`${this.path}-wal`, 'r') // exists from the connection's first write in WAL mode
    fsync(this.walFd)
  }

  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd)
    this.walFd = undefined
    if (this.db.open) this.db.close()
  }
}

/** The WHERE clause of a log query (range, addresses, topics) and its arguments. */
function logFilter(q: LogQuery): { where: string; args: unknown[] } {
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
  return { where: where.join(' AND '), args }
}

const TX_COLUMNS = `hash, block_number AS blockNumber, tx_index AS txIndex, raw, sender, status, gas_used AS gasUsed,
  cumulative_gas_used AS cumulativeGasUsed, effective_gas_price AS effectiveGasPrice, contract_address AS contractAddress,
  first_log_index AS firstLogIndex, log_count AS logCount`

const LOG_COLUMNS = 'block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, address, topic0, topic1, topic2, topic3, data'

type RawTxRow = Omit<TxRow, 'effectiveGasPrice'> & { effectiveGasPrice: string }
type RawLogRow = Omit<LogRow, 'topics'> & { topic0: Uint8Array | null; topic1: Uint8Array | null; topic2: Uint8Array | null; topic3: Uint8Array | null }

/** Field by field rather than `{ ...row, effectiveGasPrice }`, a slow path in Node 20's V8 (pool.ts admit). */
function toTxRow(row: RawTxRow): TxRow {
  return {
    hash: row.hash,
    blockNumber: row.blockNumber,
    txIndex: row.txIndex,
    raw: row.raw,
    sender: row.sender,
    status: row.status,
    gasUsed: row.gasUsed,
    cumulativeGasUsed: row.cumulativeGasUsed,
    effectiveGasPrice: BigInt(row.effectiveGasPrice),
    contractAddress: row.contractAddress,
    firstLogIndex: row.firstLogIndex,
    logCount: row.logCount,
  }
}

function toLogRow(row: RawLogRow): LogRow {
  const topics: Uint8Array[] = []
  for (const t of [row.topic0, row.topic1, row.topic2, row.topic3]) if (t !== null) topics.push(t)
  return { blockNumber: row.blockNumber, logIndex: row.logIndex, txIndex: row.txIndex, address: row.address, topics, data: row.data }
}
