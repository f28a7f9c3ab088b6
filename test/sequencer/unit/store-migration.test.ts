/**
 * A data dir of an earlier schema version is migrated when the node opens it (sequencer/store/
 * schema.ts MIGRATIONS): version 2's `txs` table, keyed by hash, becomes version 3's rowid table
 * in block order with the same rows, every query answering as before; version 3's address index
 * leaves the file (version 4); a version without a step is refused.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { Store } from '../../../sequencer/store/store.ts'
import { SCHEMA_VERSION } from '../../../sequencer/store/schema.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A file as a version-2 node left it: meta and `txs` in their version-2 shape. */
function versionTwoFile(rows: { hash: Buffer; block: number; index: number; raw: Buffer }[], version = 2): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'store-migration-'))
  dirs.push(dir)
  const file = path.join(dir, 'chain.sqlite')
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE txs (
      hash BLOB PRIMARY KEY, block_number INTEGER NOT NULL, tx_index INTEGER NOT NULL, raw BLOB NOT NULL,
      sender BLOB NOT NULL, status INTEGER NOT NULL, gas_used INTEGER NOT NULL, cumulative_gas_used INTEGER NOT NULL,
      effective_gas_price TEXT NOT NULL, contract_address BLOB, first_log_index INTEGER NOT NULL, log_count INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX txs_by_position ON txs (block_number, tx_index);`)
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(version))
  const put = db.prepare('INSERT INTO txs VALUES (?, ?, ?, ?, ?, 1, 21000, ?, ?, NULL, 0, 0)')
  for (const r of rows) put.run(r.hash, r.block, r.index, r.raw, Buffer.alloc(20, 7), 21_000 * (r.index + 1), '1000000007')
  db.close()
  return file
}

describe('schema migrations', () => {
  it("takes version 2's hash-keyed txs table to version 3's, every row and query as before", () => {
    // inserted out of block order, as hashes order them
    const rows = [
      { block: 3, index: 0 },
      { block: 1, index: 1 },
      { block: 1, index: 0 },
      { block: 2, index: 0 },
    ].map((r) => ({ ...r, hash: randomBytes(32), raw: randomBytes(100 + r.block) }))
    const file = versionTwoFile(rows)
    const store = new Store(file)
    try {
      expect(SCHEMA_VERSION).toBe(4)
      expect(store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('4')
      const table = store.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'txs'").pluck().get() as string
      expect(table).not.toMatch(/WITHOUT ROWID/i)
      const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'txs' ORDER BY name").pluck().all()
      expect(indexes).toEqual(['txs_by_hash', 'txs_by_position'])
      expect(store.db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'txs_v2'").pluck().get()).toBe(0)
      for (const r of rows) {
        const byHash = store.getTx(r.hash)
        expect(byHash?.blockNumber).toBe(r.block)
        expect(byHash?.txIndex).toBe(r.index)
        expect(Buffer.from(byHash!.raw).equals(r.raw)).toBe(true)
        expect(Buffer.from(store.getTxByPosition(r.block, r.index)!.hash).equals(r.hash)).toBe(true)
      }
      expect(store.getTxsInBlock(1).map((t) => t.txIndex)).toEqual([0, 1])
      // the rows are in block order in the table itself now
      const order = store.db.prepare('SELECT block_number, tx_index FROM txs ORDER BY rowid').raw().all()
      expect(order).toEqual([[1, 0], [1, 1], [2, 0], [3, 0]])
      // a hash is still unique
      expect(() => store.db.prepare('INSERT INTO txs SELECT * FROM txs LIMIT 1').run()).toThrow(/UNIQUE/)
    } finally {
      store.close()
    }
    // opened again: already version 4, nothing to do, nothing lost
    const again = new Store(file)
    try {
      expect(again.getTxsInBlock(1)).toHaveLength(2)
      expect(again.db.prepare('SELECT COUNT(*) FROM txs').pluck().get()).toBe(rows.length)
    } finally {
      again.close()
    }
  })

  it("takes version 3's address index out of the chain file (it has a file and a thread of its own now)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'store-migration-'))
    dirs.push(dir)
    const file = path.join(dir, 'chain.sqlite')
    const made = new Store(file)
    // as a version-3 node left it: the index's table and its meta key in this file
    made.db.exec(`CREATE TABLE address_txs (address BLOB NOT NULL, block_number INTEGER NOT NULL, tx_index INTEGER NOT NULL,
      PRIMARY KEY (address, block_number, tx_index)) WITHOUT ROWID;
      INSERT INTO address_txs VALUES (x'01', 1, 0);
      INSERT INTO meta (key, value) VALUES ('address_index.first_block', '7');
      UPDATE meta SET value = '3' WHERE key = 'schema_version';`)
    made.close()
    const store = new Store(file)
    try {
      expect(store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('4')
      expect(store.db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'address_txs'").pluck().get()).toBe(0)
      expect(store.db.prepare("SELECT COUNT(*) FROM meta WHERE key = 'address_index.first_block'").pluck().get()).toBe(0)
    } finally {
      store.close()
    }
  })

  it('refuses a version it has no step from', () => {
    expect(() => new Store(versionTwoFile([], 1))).toThrow(/schema version 1, this node needs 4/)
  })
})
