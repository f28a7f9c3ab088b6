import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { PoolJournal } from '../../../sequencer/mempool/journal.ts'
import { tempDir } from '../../helpers/node.ts'

const entry = (size = 110, arrivedAt = 1_764_000_000_123) => ({ hash: randomBytes(32), raw: randomBytes(size), arrivedAt })
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('PoolJournal (its own file, written on its own thread)', () => {
  const dirs: string[] = []
  const open: PoolJournal[] = []
  const newJournal = (dir = tempDir('pool-journal-')) => {
    dirs.push(dir)
    const j = new PoolJournal(join(dir, 'mempool.sqlite'))
    open.push(j)
    return j
  }
  afterEach(async () => {
    for (const j of open.splice(0)) await j.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  /** What another connection sees: committed rows only. */
  const committed = (j: PoolJournal) => {
    const db = new Database(j.path, { readonly: true })
    try {
      return (db.prepare('SELECT hash, raw, arrived_at AS arrivedAt FROM journal').all() as { hash: Buffer; raw: Buffer; arrivedAt: number }[])
        .map((r) => ({ hash: hex(r.hash), raw: hex(r.raw), arrivedAt: r.arrivedAt }))
        .sort((a, b) => a.hash.localeCompare(b.hash))
    } finally {
      db.close()
    }
  }
  const expected = (...es: ReturnType<typeof entry>[]) => es.map((e) => ({ hash: hex(e.hash), raw: hex(e.raw), arrivedAt: e.arrivedAt })).sort((a, b) => a.hash.localeCompare(b.hash))

  it('a write is committed when it resolves, bytes and arrival times exact (up to a 120 kB encoding)', async () => {
    const j = newJournal()
    const es = [entry(1), entry(110, 1), entry(120_000, Date.now())]
    await j.journalWrite(es, [])
    expect(committed(j)).toEqual(expected(...es))
  })

  it('applies writes and removals in the order they were made, and a write\'s removals with it', async () => {
    const j = newJournal()
    const [a, b, c] = [entry(), entry(), entry()]
    const first = j.journalWrite([a], [])
    j.journalRemove([a.hash]) // not awaited: it still comes after the write above
    await Promise.all([first, j.journalWrite([b], [])])
    expect(committed(j)).toEqual(expected(b))
    await j.journalWrite([c], [b.hash]) // c replaced b
    expect(committed(j)).toEqual(expected(c))
  })

  it('keeps its rows across a close and reopen, and imports rows from elsewhere once', async () => {
    const dir = tempDir('pool-journal-')
    const j = newJournal(dir)
    const a = entry()
    await j.journalWrite([a], [])
    await j.close()
    const again = newJournal(dir)
    expect(again.all().map((r) => hex(r.hash))).toEqual([hex(a.hash)])
    const legacy = [entry(), { ...entry(), arrivedAt: null }]
    expect(again.importRows(legacy)).toBe(2)
    expect(again.importRows(legacy)).toBe(0) // idempotent: an import cut short is redone whole
    expect(again.all().find((r) => hex(r.hash) === hex(legacy[1].hash))?.arrivedAt).toBeNull()
    expect(again.all()).toHaveLength(3)
  })

  it('a commit that fails refuses the writes in it and counts the rows its removals left', async () => {
    const j = newJournal()
    await j.journalWrite([entry()], []) // the thread is running, its statements prepared
    const other = new Database(j.path)
    other.exec('DROP TABLE journal') // every later commit of the thread fails
    other.close()
    j.journalRemove([randomBytes(32), randomBytes(32), randomBytes(32)])
    await expect(j.journalWrite([entry()], [])).rejects.toThrow('the pool journal')
    expect(j.stats.removeFailures).toBe(3)
  })

  it('refuses a write once closed, and counts a removal it could not make', async () => {
    const j = newJournal()
    await j.close()
    await expect(j.journalWrite([entry()], [])).rejects.toThrow('stopping')
    j.journalRemove([randomBytes(32), randomBytes(32)])
    expect(j.stats.removeFailures).toBe(2)
  })
})
