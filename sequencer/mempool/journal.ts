/**
 * The pool's journal: every transaction the pool acknowledged and has not yet seen leave it, with
 * its arrival time, so that a restart (kill -9 included) re-admits it (node.ts `replayJournal`).
 *
 * It is an append-only log, `<dataDir>/mempool.journal`, written on the main thread with one
 * `write` per turn of the event loop: the pool answers `eth_sendRawTransaction` only after the
 * write that holds its transaction returned, and what `write` returned is in the kernel's page
 * cache, so an acknowledged hash survives kill -9 (not a power cut: no fsync per write, as the
 * chain's sqlite with `synchronous = NORMAL`). Before it, the journal was a sqlite table written
 * by a thread of its own: its hash-keyed rows landed on random pages, and the two thread hops
 * per turn (the write, its answer) cost about a seventh of the acknowledgement rate (README
 * "Measured figures", "Admission alone"); an append is a few microseconds.
 *
 * Records, after the 8-byte header `MAGIC`:
 * - add: 0x01, hash (32), arrival time (float64 unix ms, NaN when unknown), length (uint32), the
 *   transaction's encoding;
 * - remove: 0x02, hash (32).
 * Reading stops at the first record that is cut short or does not hash to its hash (the tail a
 * kill -9 can leave in the middle of a `write`; its transactions were never acknowledged). Opening
 * rewrites the file with the live rows only (temporary file, fsync, rename), and so does the
 * journal whenever removals leave more dead bytes than live ones plus `compactSlackBytes`, writing
 * off the main thread (compactIfDue): the file stays within about twice the pool's bytes.
 *
 * The journal is not the chain: nothing here has to commit with a block. A mined transaction's row
 * goes once the block is sealed (TxPool.onBlockSealed); a crash in between leaves the row, and the
 * replay drops it as mined (its nonce is below the sender's). A write that fails refuses its
 * transactions (the pool takes them back out) and is cut off the file; if even that fails the
 * journal refuses every later write with the first error, so nothing is acknowledged that a
 * restart would not find. A removal that fails is counted (`stats.removeFailures`) and left to
 * the replay.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { keccak256 } from '../chain/crypto.ts'
import type { JournalEntry, TxJournal } from './pool.ts'

/** A journaled transaction as the replay reads it. */
export interface JournalRow {
  hash: Uint8Array
  raw: Uint8Array
  arrivedAt: number | null
}

/** The file's first bytes: "airpool" and the format's version. */
const MAGIC = Buffer.from('airpool\x01', 'latin1')
const ADD = 1
const REMOVE = 2
/** Bytes of an add record before the encoding: kind, hash, arrival time, length. */
const ADD_HEADER = 1 + 32 + 8 + 4
const REMOVE_BYTES = 1 + 32
/** Dead bytes the file may hold beyond its live ones before it is rewritten. */
const COMPACT_SLACK_BYTES = 4 * 1024 * 1024

export interface PoolJournalOptions {
  /** Dead bytes allowed beyond the live ones before a rewrite (tests make it small). */
  compactSlackBytes?: number
}

export class PoolJournal implements TxJournal {
  /** The live rows by hash (hex), in the order they were written: the same byte arrays the pool holds. */
  private readonly rows = new Map<string, JournalRow>()
  private fd: number
  /** Bytes of the file, and of its live add records. */
  private fileBytes = 0
  private liveBytes = 0
  /** Set when a failed write could not be cut off the file: every later write is refused. */
  private broken: Error | undefined
  private closed = false
  /** The rewrite in flight, if any (compactIfDue). */
  private compacting: Promise<void> | undefined
  /** No rewrite is tried before the file has this many bytes (after a failed one). */
  private nextCompactAt = 0
  private readonly compactSlackBytes: number
  readonly stats = { removeFailures: 0, compactions: 0, tornBytes: 0 }

  constructor(
    readonly path: string,
    opts: PoolJournalOptions = {},
  ) {
    this.compactSlackBytes = opts.compactSlackBytes ?? COMPACT_SLACK_BYTES
    if (existsSync(path)) this.read(readFileSync(path))
    this.fd = this.rewrite()
  }

  /** Every journaled transaction, in the order it was written (start-up). */
  all(): JournalRow[] {
    return [...this.rows.values()]
  }

  /**
   * Adds rows journaled elsewhere (older data dirs: a sqlite file, `importSqlite`, or a table in
   * the chain's file, Store `legacyJournal`), skipping hashes it holds: an import cut short by a
   * crash is redone whole. Synced to disk before it returns, since the caller then deletes the
   * rows' old home.
   */
  importRows(rows: JournalRow[]): number {
    const fresh = rows.filter((r) => !this.rows.has(hexOf(r.hash)))
    this.append(fresh.map((r) => ({ hash: r.hash, raw: r.raw, arrivedAt: r.arrivedAt ?? Number.NaN })), [])
    fsyncSync(this.fd)
    return fresh.length
  }

  /**
   * Imports the rows of the sqlite journal that data dirs had before this log (`mempool.sqlite`,
   * its table `journal`), then deletes that file. Returns the rows imported.
   */
  importSqlite(sqlitePath: string): number {
    if (!existsSync(sqlitePath)) return 0
    const db = new Database(sqlitePath, { readonly: true, fileMustExist: true })
    let rows: JournalRow[]
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'journal'").get()
      rows = table === undefined ? [] : (db.prepare('SELECT hash, raw, arrived_at AS arrivedAt FROM journal').all() as JournalRow[])
    } finally {
      db.close()
    }
    const imported = this.importRows(rows)
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${suffix}`, { force: true })
    return imported
  }

  /** Records `added` and forgets `removed` in one write; once it returns, they survive kill -9. */
  journalWrite(added: JournalEntry[], removed: Uint8Array[]): void {
    if (this.closed) throw new Error('the node is stopping')
    if (this.broken !== undefined) throw new Error(`the pool journal cannot be written: ${this.broken.message}`)
    try {
      this.append(added, removed)
    } catch (err) {
      throw new Error(`the pool journal: ${(err as Error).message}`)
    }
    this.compactIfDue()
  }

  /** Forgets `hashes` (see the module's comment on failures). */
  journalRemove(hashes: Uint8Array[]): void {
    if (hashes.length === 0) return
    if (this.closed || this.broken !== undefined) {
      this.stats.removeFailures += hashes.length
      return
    }
    try {
      this.append([], hashes)
    } catch {
      this.stats.removeFailures += hashes.length
      return
    }
    this.compactIfDue()
  }

  /** Closes the file, after a rewrite in flight has finished or given up. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.compacting
    closeSync(this.fd)
  }

  /** Resolves when no rewrite is in flight (tests). */
  async settled(): Promise<void> {
    await this.compacting
  }

  /** One write of `added`'s and `removed`'s records; the rows change only once it succeeded. */
  private append(added: { hash: Uint8Array; raw: Uint8Array; arrivedAt: number }[], removed: Uint8Array[]): void {
    const gone: { hash: Uint8Array; key: string }[] = []
    for (const hash of removed) {
      const key = hexOf(hash)
      if (this.rows.has(key)) gone.push({ hash, key })
    }
    let size = gone.length * REMOVE_BYTES
    for (const e of added) size += ADD_HEADER + e.raw.length
    if (size === 0) return
    const out = Buffer.allocUnsafe(size)
    let at = 0
    for (const { hash } of gone) {
      out[at] = REMOVE
      out.set(hash, at + 1)
      at += REMOVE_BYTES
    }
    for (const e of added) at = writeAdd(out, at, e.hash, e.arrivedAt, e.raw)
    this.writeAll(out)
    for (const { key } of gone) this.forget(key)
    for (const e of added) this.remember({ hash: e.hash, raw: e.raw, arrivedAt: Number.isNaN(e.arrivedAt) ? null : e.arrivedAt })
  }

  /** Appends `bytes` whole, or cuts off what part of them went in and throws. */
  private writeAll(bytes: Buffer): void {
    try {
      writeFully(this.fd, bytes)
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.fileBytes)
      } catch {
        this.broken = err as Error
      }
      throw err
    }
    this.fileBytes += bytes.length
  }

  private remember(row: JournalRow): void {
    const key = hexOf(row.hash)
    this.forget(key) // a hash written twice (an import over a replayed row) counts once
    this.rows.set(key, row)
    this.liveBytes += ADD_HEADER + row.raw.length
  }

  private forget(key: string): void {
    const row = this.rows.get(key)
    if (row === undefined) return
    this.rows.delete(key)
    this.liveBytes -= ADD_HEADER + row.raw.length
  }

  /**
   * Starts a rewrite once the dead bytes pass the live ones plus the slack. The live rows are
   * taken now, in memory; writing and fsyncing them (about 200 ms for a full 32 MB pool) happens
   * off this thread while appends go on into the old file, and the records appended meanwhile
   * are copied after them before the rename, so the new file says what the old one says.
   */
  private compactIfDue(): void {
    if (this.compacting !== undefined || this.fileBytes < this.nextCompactAt) return
    if (this.fileBytes - MAGIC.length - this.liveBytes <= this.liveBytes + this.compactSlackBytes) return
    const snapshot = this.snapshot()
    const from = this.fileBytes
    this.compacting = this.replace(snapshot, from)
      .then(() => {
        this.stats.compactions++
      })
      .catch(() => {
        // the old file is whole and still in use; try again once it has grown by the slack
        rmSync(`${this.path}.tmp`, { force: true })
        this.nextCompactAt = this.fileBytes + this.compactSlackBytes
      })
      .finally(() => {
        this.compacting = undefined
      })
  }

  /** The header and every live row's add record. */
  private snapshot(): Buffer {
    const out = Buffer.allocUnsafe(MAGIC.length + this.liveBytes)
    let at = MAGIC.copy(out, 0)
    for (const r of this.rows.values()) at = writeAdd(out, at, r.hash, r.arrivedAt ?? Number.NaN, r.raw)
    return out
  }

  /** Writes `snapshot` to the temporary file off this thread, then (synchronously) the old file's records after `from`, and renames it over the journal. */
  private async replace(snapshot: Buffer, from: number): Promise<void> {
    const tmp = `${this.path}.tmp`
    const file = await open(tmp, 'w')
    try {
      await file.writeFile(snapshot)
      await file.sync()
    } finally {
      await file.close()
    }
    if (this.closed) throw new Error('closed') // the old file stays, whole
    const tail = Buffer.allocUnsafe(this.fileBytes - from)
    for (let at = 0; at < tail.length; ) at += readSync(this.fd, tail, at, tail.length - at, from + at)
    const fd = openSync(tmp, 'a+')
    try {
      writeFully(fd, tail)
      renameSync(tmp, this.path)
    } catch (err) {
      closeSync(fd)
      throw err
    }
    syncDir(dirname(this.path))
    closeSync(this.fd)
    this.fd = fd
    this.fileBytes = snapshot.length + tail.length
  }

  /**
   * Writes the live rows to a new file and renames it over the journal (fsync'd first, so a
   * power cut finds one or the other whole), on this thread (start-up); returns the new file's
   * descriptor, open to append (and to read, for a later rewrite's tail).
   */
  private rewrite(): number {
    const tmp = `${this.path}.tmp`
    const out = this.snapshot()
    const fd = openSync(tmp, 'w')
    try {
      writeFully(fd, out)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    syncDir(dirname(this.path))
    this.fileBytes = out.length
    return openSync(this.path, 'a+')
  }

  /** The live rows of a journal file; stops at the first record cut short or not matching its hash. */
  private read(file: Buffer): void {
    if (file.length < MAGIC.length) return // created and killed before its header: nothing was acknowledged
    if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${this.path} is not a pool journal (unknown header); move it away to start with an empty pool`)
    let at = MAGIC.length
    while (at < file.length) {
      const kind = file[at]
      if (kind === REMOVE && at + REMOVE_BYTES <= file.length) {
        this.forget(hexOf(file.subarray(at + 1, at + 33)))
        at += REMOVE_BYTES
        continue
      }
      if (kind !== ADD || at + ADD_HEADER > file.length) break
      const length = file.readUInt32BE(at + 41)
      const end = at + ADD_HEADER + length
      if (end > file.length) break
      const hash = Uint8Array.prototype.slice.call(file, at + 1, at + 33)
      const raw = Uint8Array.prototype.slice.call(file, at + ADD_HEADER, end)
      if (!Buffer.from(keccak256(raw)).equals(hash)) break
      const arrivedAt = file.readDoubleBE(at + 33)
      this.remember({ hash, raw, arrivedAt: Number.isNaN(arrivedAt) ? null : arrivedAt })
      at = end
    }
    this.stats.tornBytes = file.length - at
  }
}

function writeAdd(out: Buffer, at: number, hash: Uint8Array, arrivedAt: number, raw: Uint8Array): number {
  out[at] = ADD
  out.set(hash, at + 1)
  out.writeDoubleBE(arrivedAt, at + 33)
  out.writeUInt32BE(raw.length, at + 41)
  out.set(raw, at + ADD_HEADER)
  return at + ADD_HEADER + raw.length
}

/** writeSync until all of `bytes` is written (a regular file may take a write in parts). */
function writeFully(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at)
}

function hexOf(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')
}

/** fsync of a directory, so a rename in it is on disk; some file systems refuse it (nothing to do then). */
function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // not supported here: the rename is still atomic for a crash of the process
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
