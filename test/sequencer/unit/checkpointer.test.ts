/**
 * The chain file's WAL checkpoints run on a thread of their own (sequencer/store/checkpointer.ts):
 * the main connection never checkpoints inside a commit, the thread copies what blocks commit into
 * the database file, and a thread that fails hands checkpoints back to the main connection.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fsyncSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Store, type BlockWrite } from '../../../sequencer/store/store.ts'
import { Checkpointer, DEFAULT_AUTOCHECKPOINT_PAGES } from '../../../sequencer/store/checkpointer.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function freshStore(): Store {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'))
  dirs.push(dir)
  return new Store(path.join(dir, 'chain.sqlite'))
}

/** A block whose trie nodes add `mb` MB of pages to the WAL. */
function block(number: number, mb: number): BlockWrite {
  const trieNodes = new Map<string, Uint8Array>()
  for (let i = 0; i < mb * 25; i++) trieNodes.set(randomBytes(32).toString('hex'), randomBytes(40_000))
  return { block: { number, hash: randomBytes(32), header: randomBytes(500), size: 500, txCount: 0 }, txs: [], logs: [], trieNodes }
}

/** Runs `body`, then closes the checkpointer and the store whatever it did. */
async function closingAfter(store: Store, checkpointer: Checkpointer, body: () => void | Promise<void>): Promise<void> {
  try {
    await body()
  } finally {
    await checkpointer.close()
    store.close()
  }
}

const autocheckpoint = (store: Store) => store.db.pragma('wal_autocheckpoint', { simple: true })

describe('WAL checkpoints on their own thread', () => {
  it('the main connection never checkpoints; the thread copies each block into the database file', async () => {
    const store = freshStore()
    const checkpointer = store.checkpointOnThread()
    await closingAfter(store, checkpointer, async () => {
      expect(autocheckpoint(store)).toBe(0)
      const before = statSync(store.path).size
      // 8 MB in one block: past SQLite's own threshold (1,000 pages, 4 MB) eight times over
      store.commitBlock(block(1, 8))
      await checkpointer.settled()
      expect(checkpointer.stats.checkpoints).toBeGreaterThanOrEqual(1)
      expect(checkpointer.stats.framesCopied).toBeGreaterThan(2_000)
      // the pages are in the database file itself now, not only in the WAL
      expect(statSync(store.path).size - before).toBeGreaterThan(8_000_000)
      expect(store.getBlockByNumber(1)?.number).toBe(1)
    })
  })

  it('closing it gives checkpoints back to the main connection', async () => {
    const store = freshStore()
    const checkpointer = store.checkpointOnThread()
    store.commitBlock(block(1, 1))
    await checkpointer.close()
    expect(autocheckpoint(store)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES)
    store.close()
  })

  it('a thread that fails hands checkpoints back to the main connection and says so', async () => {
    const store = freshStore()
    const failures: Error[] = []
    // a path the thread cannot open: it fails on its first checkpoint
    const checkpointer = new Checkpointer(store.db, path.join(path.dirname(store.path), 'missing', 'chain.sqlite'), (err) => failures.push(err))
    await closingAfter(store, checkpointer, async () => {
      expect(autocheckpoint(store)).toBe(0)
      checkpointer.afterCommit()
      await checkpointer.settled()
      expect(failures).toHaveLength(1)
      expect(failures[0].message).toMatch(/checkpoint thread/)
      expect(autocheckpoint(store)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES)
      checkpointer.afterCommit() // no new thread, no new failure
      await checkpointer.settled()
      expect(failures).toHaveLength(1)
    })
  })

  it('syncToDisk fsyncs the WAL file itself, whatever the thread is doing, and lets it go on close', async () => {
    const store = freshStore()
    const checkpointer = store.checkpointOnThread()
    const synced: { fd: number; file: string }[] = []
    const fsync = (fd: number) => {
      synced.push({ fd, file: readlinkSync(`/proc/self/fd/${fd}`) })
      fsyncSync(fd)
    }
    await closingAfter(store, checkpointer, async () => {
      // a block the thread takes a while to copy: a checkpoint on the main connection would answer
      // "busy" meanwhile and sync nothing
      store.commitBlock(block(1, 16))
      store.syncToDisk(fsync)
      store.commitBlock(block(2, 1))
      store.syncToDisk(fsync)
      expect(synced.map((s) => s.file)).toEqual([`${store.path}-wal`, `${store.path}-wal`])
      await checkpointer.settled()
    })
    // the descriptor is closed with the store (its number may already serve another file)
    let target: string | undefined
    try {
      target = readlinkSync(`/proc/self/fd/${synced[0].fd}`)
    } catch {
      target = undefined
    }
    expect(target).not.toBe(`${store.path}-wal`)
  })
})
