import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { appendFileSync, closeSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { keccak256 } from '../../../sequencer/chain/crypto.ts'
import { PoolJournal, type PoolJournalOptions } from '../../../sequencer/mempool/journal.ts'
import { tempDir } from '../../helpers/node.ts'

/** A row as the pool writes it: the hash is the encoding's keccak, which the reader checks. */
const entry = (size = 110, arrivedAt = 1_764_000_000_123) => {
  const raw = new Uint8Array(randomBytes(size))
  return { hash: keccak256(raw), raw, arrivedAt }
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
type Entry = ReturnType<typeof entry>

describe('PoolJournal (an append-only log of its own)', () => {
  const dirs: string[] = []
  const open: PoolJournal[] = []
  const newJournal = (dir = tempDir('pool-journal-'), opts: PoolJournalOptions = {}) => {
    if (!dirs.includes(dir)) dirs.push(dir)
    const j = new PoolJournal(join(dir, 'mempool.journal'), opts)
    open.push(j)
    return j
  }
  afterEach(async () => {
    for (const j of open.splice(0)) await j.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  /** What a restart reads: the file as another reader opens it (the journal under test stays open). */
  const onDisk = (j: PoolJournal) => {
    const copy = `${j.path}.copy`
    writeFileSync(copy, readFileSync(j.path))
    const reader = new PoolJournal(copy)
    try {
      return sorted(reader.all())
    } finally {
      void reader.close()
      rmSync(copy)
    }
  }
  const sorted = (rows: { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[]) =>
    rows.map((r) => ({ hash: hex(r.hash), raw: hex(r.raw), arrivedAt: r.arrivedAt })).sort((a, b) => a.hash.localeCompare(b.hash))
  const expected = (...es: Entry[]) => sorted(es)

  it('a write is in the file when it returns, bytes and arrival times exact (up to a 120 kB encoding)', () => {
    const j = newJournal()
    const es = [entry(1), entry(110, 1), entry(120_000, Date.now())]
    j.journalWrite(es, [])
    expect(onDisk(j)).toEqual(expected(...es))
  })

  it("applies writes and removals in the order they were made, and a write's removals with it", () => {
    const j = newJournal()
    const [a, b, c] = [entry(), entry(), entry()]
    j.journalWrite([a], [])
    j.journalRemove([a.hash])
    j.journalWrite([b], [])
    expect(onDisk(j)).toEqual(expected(b))
    j.journalWrite([c], [b.hash]) // c replaced b
    expect(onDisk(j)).toEqual(expected(c))
    expect(sorted(j.all())).toEqual(expected(c))
  })

  it('keeps its rows across a close and reopen, and imports rows from elsewhere once', async () => {
    const dir = tempDir('pool-journal-')
    const j = newJournal(dir)
    const a = entry()
    j.journalWrite([a], [])
    await j.close()
    const again = newJournal(dir)
    expect(again.all().map((r) => hex(r.hash))).toEqual([hex(a.hash)])
    const legacy = [entry(), { ...entry(), arrivedAt: null }]
    expect(again.importRows(legacy)).toBe(2)
    expect(again.importRows(legacy)).toBe(0) // idempotent: an import cut short is redone whole
    expect(again.all().find((r) => hex(r.hash) === hex(legacy[1].hash))?.arrivedAt).toBeNull()
    expect(again.all()).toHaveLength(3)
    expect(onDisk(again)).toHaveLength(3)
  })

  it("imports an older data dir's sqlite journal (mempool.sqlite) and deletes that file", () => {
    const dir = tempDir('pool-journal-')
    const sqlitePath = join(dir, 'mempool.sqlite')
    const db = new Database(sqlitePath)
    db.exec('CREATE TABLE journal (hash BLOB PRIMARY KEY, raw BLOB NOT NULL, arrived_at INTEGER) WITHOUT ROWID')
    const rows = [entry(), entry(300, 5)]
    for (const r of rows) db.prepare('INSERT INTO journal VALUES (?, ?, ?)').run(r.hash, r.raw, r.arrivedAt)
    db.close()
    const j = newJournal(dir)
    expect(j.importSqlite(sqlitePath)).toBe(2)
    expect(existsSync(sqlitePath)).toBe(false)
    expect(j.importSqlite(sqlitePath)).toBe(0)
    expect(onDisk(j)).toEqual(expected(...rows))
  })

  it('a torn last record (kill -9 in the middle of a write) is dropped at the next start, and what came before is kept', async () => {
    const dir = tempDir('pool-journal-')
    const j = newJournal(dir)
    const [a, b, c] = [entry(), entry(), entry(500)]
    j.journalWrite([a, b], [])
    j.journalWrite([c], [])
    await j.close()
    const whole = statSync(j.path).size
    truncateSync(j.path, whole - 100) // c's record cut short
    const again = newJournal(dir)
    expect(sorted(again.all())).toEqual(expected(a, b))
    expect(again.stats.tornBytes).toBe(1 + 32 + 8 + 4 + 500 - 100)
    // the tail is gone from the file: writes after it are read back
    const d = entry()
    again.journalWrite([d], [])
    expect(onDisk(again)).toEqual(expected(a, b, d))
  })

  it('stops reading at a record whose encoding does not hash to its hash (garbage after the last whole record)', async () => {
    const dir = tempDir('pool-journal-')
    const j = newJournal(dir)
    const a = entry()
    j.journalWrite([a], [])
    await j.close()
    const forged = Buffer.alloc(1 + 32 + 8 + 4 + 3)
    forged[0] = 1
    forged.writeUInt32BE(3, 41) // a record of the right shape whose hash is zeros
    appendFileSync(j.path, forged)
    const again = newJournal(dir)
    expect(sorted(again.all())).toEqual(expected(a))
    expect(again.stats.tornBytes).toBe(forged.length)
  })

  it('refuses to open a file that is not a journal, rather than start without its transactions', () => {
    const dir = tempDir('pool-journal-')
    dirs.push(dir)
    writeFileSync(join(dir, 'mempool.journal'), 'SQLite format 3\0 and more')
    expect(() => new PoolJournal(join(dir, 'mempool.journal'))).toThrow(/not a pool journal/)
  })

  it('rewrites the file once removals leave more dead bytes than live ones: it stays within about twice the live rows', async () => {
    const j = newJournal(undefined, { compactSlackBytes: 10_000 })
    const kept = entry(1000)
    j.journalWrite([kept], [])
    let largest = 0
    for (let i = 0; i < 200; i++) {
      const batch = [entry(1000), entry(1000)]
      j.journalWrite(batch, [])
      j.journalRemove(batch.map((e) => e.hash))
      largest = Math.max(largest, statSync(j.path).size)
      await j.settled() // a rewrite writes off the main thread: let it finish, as the event loop would
    }
    expect(j.stats.compactions).toBeGreaterThan(10)
    // live: one row of 1,045 bytes (two more between a write and its removal); dead bytes go once
    // past live + slack, so the file never passes header + live + slack + one round (431 kB unbounded)
    expect(largest).toBeLessThan(8 + 3 * 1045 + 10_000 + 2 * 1045 + 2 * 33 + 1)
    expect(onDisk(j)).toEqual(expected(kept))
  })

  it('keeps what is written and removed while a rewrite is in flight (copied after the live rows before the rename)', async () => {
    const j = newJournal(undefined, { compactSlackBytes: 0 })
    const kept = entry()
    j.journalWrite([kept], [])
    const gone = [entry(), entry()]
    j.journalWrite(gone, [])
    j.journalRemove(gone.map((e) => e.hash)) // dead > live: a rewrite starts with `kept` alone
    const during = [entry(), entry(), entry()]
    j.journalWrite(during, [])
    j.journalRemove([during[0].hash, kept.hash])
    const sizeBefore = statSync(j.path).size
    await j.settled()
    expect(j.stats.compactions).toBe(1)
    expect(statSync(j.path).size).toBeLessThan(sizeBefore)
    expect(onDisk(j)).toEqual(expected(during[1], during[2]))
    // appends go on into the new file
    const after = entry()
    j.journalWrite([after], [during[1].hash])
    expect(onDisk(j)).toEqual(expected(during[2], after))
  })

  it('a write that fails refuses the writes in it, is cut off the file, and counts removals it could not make', () => {
    const j = newJournal()
    const a = entry()
    j.journalWrite([a], [])
    closeSync((j as unknown as { fd: number }).fd) // every later write fails (EBADF), and so does cutting it off
    expect(() => j.journalWrite([entry()], [])).toThrow('the pool journal')
    expect(() => j.journalWrite([entry()], [])).toThrow('cannot be written') // refused from now on
    j.journalRemove([a.hash])
    expect(j.stats.removeFailures).toBe(1)
    expect(j.all().map((r) => hex(r.hash))).toEqual([hex(a.hash)])
    open.splice(open.indexOf(j), 1) // its descriptor is closed already
    expect(onDisk(j)).toEqual(expected(a))
  })

  it('refuses a write once closed, and counts a removal it could not make', async () => {
    const j = newJournal()
    await j.close()
    expect(() => j.journalWrite([entry()], [])).toThrow('stopping')
    j.journalRemove([randomBytes(32), randomBytes(32)])
    expect(j.stats.removeFailures).toBe(2)
  })
})
