/**
 * The bridge's records, in the node's sqlite file: the deposits the watcher read from L1 with its
 * L1 cursor (meta `bridge.cursor`, `bridge.l1Bridge`), what the L2 made of each deposit, and every
 * L2 withdrawal. The last two are derived from sealed blocks (`writeBlock`, a block writer: inside
 * the block's sqlite transaction), so a rebuilt node derives the same rows and a deposit leaves the
 * pending set exactly when its block commits.
 */
import type Database from 'better-sqlite3'
import type { DepositOutcome, ProtocolIndex, WithdrawalRow } from '../sequencer/system/log-index.ts'
import type { Deposit, DepositStore, L1Cursor } from './deposits.ts'

export type { WithdrawalRow }

/** The node's sqlite database as this store uses it (sequencer/store's Store). */
export interface BridgeDatabase {
  readonly db: Database.Database
  transaction<T>(fn: () => T): T
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  getTxByPosition(blockNumber: number, index: number): { hash: Uint8Array } | undefined
}

const SCHEMA = /* sql */ `
-- every L2 withdrawal (L2Bridge WithdrawalInitiated), derived from the block's logs when sealed
CREATE TABLE IF NOT EXISTS withdrawals (
  block_number    INTEGER NOT NULL,
  log_index       INTEGER NOT NULL,
  tx_index        INTEGER NOT NULL,
  withdrawal_hash BLOB NOT NULL,
  PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS withdrawals_by_hash ON withdrawals (withdrawal_hash);

-- L1Bridge DepositInitiated events the deposit watcher read once they had their confirmations,
-- by deposit nonce (contiguous from 0); written in the same sqlite transaction that moves the L1
-- cursor (meta bridge.cursor) past them, so a restart neither re-reads nor skips one. A deposit is
-- pending while deposit_results has no row for its nonce.
CREATE TABLE IF NOT EXISTS deposits (
  nonce           INTEGER PRIMARY KEY,
  l1_token        BLOB NOT NULL,
  sender          BLOB NOT NULL,
  recipient       BLOB NOT NULL,
  amount          TEXT NOT NULL,
  metadata        BLOB NOT NULL,
  l1_block_number INTEGER NOT NULL,
  l1_block_hash   BLOB NOT NULL,
  l1_tx_hash      BLOB NOT NULL,
  l1_log_index    INTEGER NOT NULL
);

-- what the L2 made of each deposit, derived from the sealed block (so a rebuilt node derives the
-- same rows) and written in its sqlite transaction: status 1 = included (L2Bridge DepositFinalized
-- log), 0 = failed (the system transaction calling finalizeDeposit reverted)
CREATE TABLE IF NOT EXISTS deposit_results (
  nonce        INTEGER PRIMARY KEY,
  block_number INTEGER NOT NULL,
  tx_index     INTEGER NOT NULL,
  status       INTEGER NOT NULL,
  l2_token     BLOB
);
CREATE INDEX IF NOT EXISTS deposit_results_by_status ON deposit_results (status, nonce);
`

const CURSOR_KEY = 'bridge.cursor'
const SOURCE_KEY = 'bridge.l1Bridge'

const DEPOSIT_COLUMNS = `nonce, l1_token AS l1Token, sender AS "from", recipient AS "to", amount, metadata, l1_block_number AS l1BlockNumber,
  l1_block_hash AS l1BlockHash, l1_tx_hash AS l1TxHash, l1_log_index AS l1LogIndex`

const DEPOSIT_RESULT_COLUMNS = 'nonce, block_number AS blockNumber, tx_index AS txIndex, status, l2_token AS l2Token'

export class BridgeStore implements DepositStore {
  private readonly stmts

  constructor(private readonly database: BridgeDatabase) {
    const d = database.db
    d.exec(SCHEMA)
    this.stmts = {
      putWithdrawal: d.prepare('INSERT INTO withdrawals (block_number, log_index, tx_index, withdrawal_hash) VALUES (?, ?, ?, ?)'),
      withdrawalsInRange: d.prepare('SELECT withdrawal_hash FROM withdrawals WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index').pluck(),
      withdrawalByHash: d.prepare('SELECT block_number AS blockNumber, log_index AS logIndex, tx_index AS txIndex, withdrawal_hash AS withdrawalHash FROM withdrawals WHERE withdrawal_hash = ?'),
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
      deleteWithdrawalsAfter: d.prepare('DELETE FROM withdrawals WHERE block_number > ?'),
      deleteDepositResultsAfter: d.prepare('DELETE FROM deposit_results WHERE block_number > ?'),
      failedDeposits: d.prepare('SELECT nonce FROM deposit_results WHERE status = 0 ORDER BY nonce').pluck(),
    }
  }

  /** Block writer: the block's withdrawals, and the deposits it dealt with (no longer pending once it commits). */
  writeBlock({ withdrawals, depositResults }: Pick<ProtocolIndex, 'withdrawals' | 'depositResults'>): void {
    const s = this.stmts
    for (const wd of withdrawals) s.putWithdrawal.run(wd.blockNumber, wd.logIndex, wd.txIndex, wd.withdrawalHash)
    for (const r of depositResults) s.putDepositResult.run(r.nonce, r.blockNumber, r.txIndex, r.included ? 1 : 0, r.l2Token)
  }

  /** Rewind writer (Store.rewindTo, inside its transaction): the withdrawals and deposit results of the blocks after `number` are gone with them. */
  rewindTo(number: number): void {
    this.stmts.deleteWithdrawalsAfter.run(number)
    this.stmts.deleteDepositResultsAfter.run(number)
  }

  // ---- withdrawals ----

  /** Withdrawal hashes of blocks first..last, in chain order (the batch's withdrawal tree). */
  withdrawalHashes(first: number, last: number): Uint8Array[] {
    return this.stmts.withdrawalsInRange.all(first, last) as Uint8Array[]
  }

  withdrawal(hash: Uint8Array): WithdrawalRow | undefined {
    return this.stmts.withdrawalByHash.get(hash) as WithdrawalRow | undefined
  }

  // ---- deposits ----

  /** The last L1 block the deposit watcher read, if it has read any. */
  depositCursor(): L1Cursor | undefined {
    const raw = this.database.getMeta(CURSOR_KEY)
    if (raw === undefined) return undefined
    const [number, hash] = raw.split(':')
    return { number: Number(number), hash: Buffer.from(hash, 'hex') }
  }

  /** The L1Bridge the stored deposits and cursor come from. */
  depositSource(): string | undefined {
    return this.database.getMeta(SOURCE_KEY)
  }

  /**
   * Stores deposits read from L1 and moves the cursor past them, in one sqlite transaction: a
   * crash leaves both or neither, so no deposit is read twice or skipped.
   */
  saveDeposits(rows: Deposit[], cursor: L1Cursor, l1Bridge: string): void {
    const s = this.stmts
    this.database.transaction(() => {
      for (const d of rows) {
        s.putDeposit.run(d.nonce, d.l1Token, d.from, d.to, d.amount.toString(), d.metadata, d.l1BlockNumber, d.l1BlockHash, d.l1TxHash, d.l1LogIndex)
      }
      this.database.setMeta(CURSOR_KEY, `${cursor.number}:${Buffer.from(cursor.hash).toString('hex')}`)
      this.database.setMeta(SOURCE_KEY, l1Bridge)
    })
  }

  deposit(nonce: number): Deposit | undefined {
    const row = this.stmts.depositByNonce.get(nonce) as RawDepositRow | undefined
    return row && toDepositRow(row)
  }

  /** The stored deposit with the highest nonce. */
  lastDeposit(): Deposit | undefined {
    const row = this.stmts.lastDeposit.get() as RawDepositRow | undefined
    return row && toDepositRow(row)
  }

  /**
   * The `limit` lowest-nonce deposits above `nonce`. Blocks deal with deposits in nonce order, so
   * the ones above the last result's nonce are exactly those still pending (an indexed range,
   * where a search for rows without a result would scan every deposit ever made).
   */
  depositsAfter(nonce: number, limit: number): Deposit[] {
    return (this.stmts.depositsAfter.all(nonce, limit) as RawDepositRow[]).map(toDepositRow)
  }

  depositCountAfter(nonce: number): number {
    return this.stmts.depositCountAfter.get(nonce) as number
  }

  depositResult(nonce: number): DepositOutcome | undefined {
    const row = this.stmts.depositResult.get(nonce) as RawDepositResultRow | undefined
    return row && toDepositResultRow(row)
  }

  /** The result with the highest nonce: the last deposit an L2 block dealt with. */
  lastDepositResult(): DepositOutcome | undefined {
    const row = this.stmts.lastDepositResult.get() as RawDepositResultRow | undefined
    return row && toDepositResultRow(row)
  }

  /** Nonces of the deposits whose system transaction reverted, ascending. */
  failedDeposits(): number[] {
    return this.stmts.failedDeposits.all() as number[]
  }

  /** The L2 transaction at a position (a deposit's status names its transaction): the chain's store answers. */
  getTxByPosition(blockNumber: number, index: number): { hash: Uint8Array } | undefined {
    return this.database.getTxByPosition(blockNumber, index)
  }
}

type RawDepositRow = Omit<Deposit, 'amount'> & { amount: string }

function toDepositRow(row: RawDepositRow): Deposit {
  return { ...row, amount: BigInt(row.amount) }
}

type RawDepositResultRow = Omit<DepositOutcome, 'included'> & { status: number }

function toDepositResultRow({ status, ...row }: RawDepositResultRow): DepositOutcome {
  return { ...row, included: status === 1 }
}
