/**
 * The file side of `npm run dataset` (scripts/dataset.ts): reading a dataset (a directory's files,
 * or the rows of a CSV or JSONL file) into its items' digests, streamed so that no file or row is
 * held in memory beyond its limit, nor kept once hashed (DatasetDigests: 32 bytes an item); the
 * dataset's Merkle tree (DatasetTree); and the receipt folder on disk. The
 * encoding itself (item values, canonical JSON, limits) is the SDK's (sdk/src/datasets.ts); the
 * tree is the batcher's (batcher/merkle.ts), which builds OpenZeppelin's StandardMerkleTree.
 */
import { createHash, hash } from 'node:crypto'
import { closeSync, constants, createReadStream, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Hex } from 'viem'
import {
  canonicalJson,
  checkItemPath,
  compareUtf8,
  DATASET_RECEIPT_VERSION,
  InvalidArgumentError,
  fileItemPreimage,
  MAX_DATASET_ITEMS,
  MAX_FILE_ITEM_BYTES,
  MAX_ROW_BYTES,
  parseDatasetReceipt,
  parseItemReceipt,
  type DatasetItem,
  type DatasetKind,
  type DatasetReceipt,
  type ItemReceipt,
} from '@ai-rollup/sdk'
import { FlatTree } from '../../batcher/merkle.ts'
import { createWasmKeccak256 } from '../../sequencer/chain/crypto.ts'

/** Bad input: an unreadable or empty dataset, an item over a limit, a malformed receipt. Exit code 2. */
export class DatasetInputError extends Error {
  override name = 'DatasetInputError'
}

/** Largest dataset.json read (its header line is at most a 1 MiB row, escaped), and largest item receipt. */
const MAX_DATASET_JSON_BYTES = 8 * 1024 * 1024
const MAX_ITEM_JSON_BYTES = 64 * 1024
/** Files up to this size are read in one call rather than streamed. */
const SMALL_FILE_BYTES = 1024 * 1024

/** Called as work proceeds (items hashed so far, their bytes). */
export type Progress = (items: number, bytes: number) => void

/**
 * A dataset read as its tree needs it and no more: each item's sha256 packed in one buffer
 * (32 bytes an item), a directory's relative paths (a row's identity is its index), the CSV
 * header. No row or file content is kept once hashed, so 1,000,000 rows take 32 MB here.
 */
export interface DatasetDigests {
  kind: DatasetKind
  count: number
  /** Item i's sha256 at bytes 32i to 32i + 32. */
  sha256s: Buffer
  /** A directory's files by relative path, in index order; undefined for rows (item i is row i). */
  paths: string[] | undefined
  /** The CSV header line, when asked for. */
  header: { text: string; sha256: Hex } | null
  bytes: number
}

/** Item `index` of a dataset, as the SDK's types have it. */
export function itemOf(d: DatasetDigests, index: number): DatasetItem {
  const sha256 = toHex(d.sha256s.subarray(32 * index, 32 * index + 32))
  return d.paths === undefined ? { index, row: index, sha256 } : { index, path: d.paths[index], sha256 }
}

/** Every item as an object, for the SDK's diffItems and for tests (a few hundred bytes an item: what DatasetDigests avoids). */
export const itemsOf = (d: DatasetDigests): DatasetItem[] => Array.from({ length: d.count }, (_, i) => itemOf(d, i))

/** 32-byte digests appended one at a time into a buffer that doubles as needed. */
class DigestList {
  private buf = Buffer.allocUnsafe(32 * 1024)
  count = 0

  push(digest: Uint8Array): void {
    if (32 * (this.count + 1) > this.buf.length) {
      const bigger = Buffer.allocUnsafe(2 * this.buf.length)
      this.buf.copy(bigger, 0, 0, 32 * this.count)
      this.buf = bigger
    }
    this.buf.set(digest, 32 * this.count++)
  }

  /** The digests, in a buffer of exactly their size. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, 32 * this.count))
  }
}

/** One-shot sha256 (crypto.hash, Node ≥ 20.12): no Hash object a row. */
const sha256Of = (bytes: Uint8Array): Buffer => hash('sha256', bytes, 'buffer')
const sha256Hex = (bytes: Uint8Array): Hex => toHex(sha256Of(bytes))
const utf8 = new TextDecoder('utf-8', { fatal: true })
const ioError = (what: string, error: unknown) => new DatasetInputError(`cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)

/** The kind of dataset at `source`: a directory, or a .csv / .jsonl file. */
export function datasetKindOf(source: string): DatasetKind {
  let stats: Stats
  try {
    stats = statSync(source)
  } catch (error) {
    throw ioError(source, error)
  }
  if (stats.isDirectory()) return 'files'
  if (/\.csv$/i.test(source)) return 'csv'
  if (/\.jsonl$/i.test(source)) return 'jsonl'
  throw new DatasetInputError(`${source}: a dataset is a directory, a .csv or a .jsonl file`)
}

/** Reads the dataset at `source` (streamed), hashing each file or row into its digest. */
export async function readDataset(source: string, opts: { header?: boolean; onProgress?: Progress } = {}): Promise<DatasetDigests> {
  const kind = datasetKindOf(source)
  if (opts.header === true && kind !== 'csv') throw new DatasetInputError('--header applies to CSV datasets only')
  const result = kind === 'files' ? await readDirectory(source, opts.onProgress) : await readRows(source, kind, opts.header === true, opts.onProgress)
  if (result.count === 0) throw new DatasetInputError(kind === 'files' ? `${source} holds no files: a dataset needs at least one item` : `${source} has no rows: a dataset needs at least one item`)
  return result
}

/** The regular files under `dir`, as `/`-separated relative paths in UTF-8 byte order. */
export function listFiles(dir: string): string[] {
  const paths: string[] = []
  const pending: string[] = ['']
  while (pending.length > 0) {
    const rel = pending.pop()!
    let entries
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true, encoding: 'buffer' })
    } catch (error) {
      throw ioError(join(dir, rel), error)
    }
    for (const entry of entries) {
      let name: string
      try {
        name = utf8.decode(entry.name)
      } catch {
        throw new DatasetInputError(`${join(dir, rel)}: a file name is not valid UTF-8 (${entry.name.toString('hex')}); rename it`)
      }
      const path = rel === '' ? name : `${rel}/${name}`
      if (entry.isDirectory()) pending.push(path)
      else if (entry.isFile()) {
        paths.push(checkItemPath(path))
        if (paths.length > MAX_DATASET_ITEMS) throw new DatasetInputError(`${dir} holds more than ${MAX_DATASET_ITEMS.toLocaleString('en')} files, the most one dataset version may have`)
      } else if (entry.isSymbolicLink()) throw new DatasetInputError(`${join(dir, path)} is a symbolic link: a dataset holds regular files only (copy the target in, or remove the link)`)
      else throw new DatasetInputError(`${join(dir, path)} is not a regular file or directory`)
    }
  }
  // UTF-8 byte order, each path encoded once (compareUtf8 would encode both sides per comparison)
  const keyed = paths.map((path) => ({ path, key: Buffer.from(path, 'utf8') }))
  keyed.sort((a, b) => Buffer.compare(a.key, b.key))
  return keyed.map((k) => k.path)
}

/** sha256 of a file, streamed; over MAX_FILE_ITEM_BYTES is an error. */
export async function hashFileItem(path: string, label = path): Promise<{ sha256: Hex; bytes: number }> {
  let stats: Stats
  try {
    stats = lstatSync(path)
  } catch (error) {
    throw ioError(label, error)
  }
  if (!stats.isFile()) throw new DatasetInputError(`${label} is not a regular file`)
  const tooBig = (size: number) => new DatasetInputError(`${label} is ${size.toLocaleString('en')} bytes, over the ${MAX_FILE_ITEM_BYTES.toLocaleString('en')}-byte (64 MiB) limit per file`)
  if (stats.size > MAX_FILE_ITEM_BYTES) throw tooBig(stats.size)
  if (stats.size <= SMALL_FILE_BYTES) {
    // one read for a small file: a stream costs more than the hash for thousands of 1 kB files
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch (error) {
      throw ioError(label, error)
    }
    if (bytes.length <= SMALL_FILE_BYTES) return { sha256: sha256Hex(bytes), bytes: bytes.length }
    // it grew between the stat and the read: stream it, under the limit
  }
  const hash = createHash('sha256')
  let bytes = 0
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      bytes += (chunk as Buffer).length
      if (bytes > MAX_FILE_ITEM_BYTES) throw tooBig(bytes) // it grew while read
      hash.update(chunk as Buffer)
    }
  } catch (error) {
    if (error instanceof DatasetInputError) throw error
    throw ioError(label, error)
  }
  return { sha256: `0x${hash.digest('hex')}`, bytes }
}

async function readDirectory(dir: string, onProgress?: Progress): Promise<DatasetDigests> {
  const paths = listFiles(dir)
  const digests = new DigestList()
  let total = 0
  for (const path of paths) {
    const { sha256, bytes } = await hashFileItem(join(dir, path), join(dir, path))
    total += bytes
    digests.push(Buffer.from(sha256.slice(2), 'hex'))
    onProgress?.(digests.count, total)
  }
  return { kind: 'files', count: paths.length, sha256s: digests.take(), paths, header: null, bytes: total }
}

/**
 * The records of a CSV or JSONL file, streamed, each handed to `onRecord` as it is cut out: each
 * line's bytes without its terminator (`\n` or `\r\n`); empty lines (and, in JSONL, lines of
 * whitespace only) are skipped. In CSV a line break inside a quoted field does not end the record
 * (RFC 4180). A record over MAX_ROW_BYTES is an error before it is held whole. The record's
 * buffer may be the stream's: `onRecord` must not keep it. `onRecord` returning false stops the
 * reading. A callback rather than an async generator: a promise per row cost more than its hash.
 * `chunkBytes`: the stream's chunk size (tests cut records across many chunk edges with a small one).
 */
export async function scanRecords(path: string, kind: 'csv' | 'jsonl', onRecord: (record: Buffer) => boolean | void, chunkBytes = 1 << 20): Promise<void> {
  let parts: Buffer[] = []
  let length = 0
  let inQuotes = false
  let number = 0
  let stopped = false
  const tooLong = () => new DatasetInputError(`${path}: row ${number} (counting from 0, the header included) is over the ${MAX_ROW_BYTES.toLocaleString('en')}-byte (1 MiB) limit per row`)
  const finish = (): void => {
    let record = parts.length === 1 ? parts[0] : Buffer.concat(parts, length)
    parts = []
    length = 0
    if (record.length > 0 && record[record.length - 1] === 0x0d) record = record.subarray(0, record.length - 1)
    if (record.length === 0 || (kind === 'jsonl' && record.toString('latin1').trim() === '')) return
    if (record.length > MAX_ROW_BYTES) throw tooLong()
    number++
    if (onRecord(record) === false) stopped = true
  }
  const stream = createReadStream(path, { highWaterMark: chunkBytes })
  try {
    for await (const raw of stream) {
      const chunk = raw as Buffer
      let start = 0
      if (kind === 'csv') {
        // jumps from one " or \n to the next; each kept position is searched for once (linear in
        // the chunk, however many quotes a row holds)
        let nl = -2
        let quote = -2
        for (let i = 0; i < chunk.length && !stopped; i++) {
          if (quote !== -1 && quote < i) quote = chunk.indexOf(0x22, i)
          if (inQuotes) {
            if (quote < 0) break
            inQuotes = false
            i = quote
            continue
          }
          if (nl !== -1 && nl < i) nl = chunk.indexOf(0x0a, i)
          if (nl < 0 && quote < 0) break
          if (quote >= 0 && (nl < 0 || quote < nl)) {
            inQuotes = true
            i = quote
            continue
          }
          i = nl
          if (length + (i - start) > MAX_ROW_BYTES + 1) throw tooLong() // + 1: a \r to strip
          parts.push(chunk.subarray(start, i))
          length += i - start
          start = i + 1
          finish()
        }
      } else {
        for (let nl = chunk.indexOf(0x0a); nl >= 0 && !stopped; nl = chunk.indexOf(0x0a, start)) {
          if (length + (nl - start) > MAX_ROW_BYTES + 1) throw tooLong()
          parts.push(chunk.subarray(start, nl))
          length += nl - start
          start = nl + 1
          finish()
        }
      }
      if (stopped) break
      if (start < chunk.length) {
        length += chunk.length - start
        if (length > MAX_ROW_BYTES + 1) throw tooLong()
        parts.push(Buffer.from(chunk.subarray(start))) // a copy: the stream may reuse its buffer
      }
    }
  } catch (error) {
    if (error instanceof DatasetInputError) throw error
    throw ioError(path, error)
  } finally {
    stream.destroy()
  }
  if (stopped) return
  if (inQuotes) throw new DatasetInputError(`${path}: the file ends inside a quoted field (an unbalanced " in row ${number}, counting from 0, the header included)`)
  finish()
}

/** sha256 of a row as the encoding defines it: the exact bytes (CSV), the canonical form (JSONL). */
export function rowSha256(record: Buffer, kind: 'csv' | 'jsonl', where: string): Buffer {
  if (kind === 'csv') return sha256Of(record)
  let text: string
  try {
    text = utf8.decode(record)
  } catch {
    throw new DatasetInputError(`${where} is not valid UTF-8`)
  }
  try {
    return sha256Of(Buffer.from(canonicalJson(text.replace(/^\uFEFF/, '')), 'utf8'))
  } catch (error) {
    throw new DatasetInputError(`${where}: ${(error as Error).message}`)
  }
}

async function readRows(path: string, kind: 'csv' | 'jsonl', header: boolean, onProgress?: Progress): Promise<DatasetDigests> {
  const digests = new DigestList()
  let headerLine: DatasetDigests['header'] = null
  let total = 0
  await scanRecords(path, kind, (record) => {
    total += record.length
    if (header && headerLine === null) {
      headerLine = { text: record.toString('utf8'), sha256: sha256Hex(record) }
      return
    }
    if (digests.count === MAX_DATASET_ITEMS) throw new DatasetInputError(`${path} has more than ${MAX_DATASET_ITEMS.toLocaleString('en')} rows, the most one dataset version may have`)
    digests.push(rowSha256(record, kind, `${path}: row ${digests.count}`))
    onProgress?.(digests.count, total)
  })
  return { kind, count: digests.count, sha256s: digests.take(), paths: undefined, header: headerLine, bytes: total }
}

/** Row `row` of a CSV or JSONL file (and its header line when `header`), read as the encoding reads it; reading stops at the row. */
export async function readRow(path: string, kind: 'csv' | 'jsonl', row: number, header: boolean): Promise<{ sha256: Hex; headerSha256: Hex | undefined }> {
  let headerSha256: Hex | undefined
  let n = -1
  let found: Hex | undefined
  await scanRecords(path, kind, (record) => {
    if (header && headerSha256 === undefined) {
      headerSha256 = sha256Hex(record)
      return
    }
    if (++n !== row) return
    found = toHex(rowSha256(record, kind, `${path}: row ${row}`))
    return false
  })
  if (found === undefined) throw new DatasetInputError(`${path} has ${n + 1} rows; there is no row ${row} (rows count from 0${header ? ', after the header' : ''})`)
  return { sha256: found, headerSha256 }
}

// ---- the tree ----

const toHex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`

let wasmKeccak: Promise<(data: Uint8Array) => Uint8Array> | undefined
/** The keccak256 of dataset trees: hash-wasm's, about 3× the native addon's speed on these short inputs. */
const treeKeccak = () => (wasmKeccak ??= createWasmKeccak256())

/**
 * Every item's value (the SDK's itemValue), packed 32 bytes an item. A row's preimage
 * abi.encode(uint256 row, bytes32 sha256, bytes32 header) is written in place here, in one reused
 * buffer, rather than by the SDK's rowItemPreimage (which takes hex strings): the same 96 bytes,
 * checked against the SDK's encoding in test/scripts/dataset.test.ts.
 */
function itemValues(d: DatasetDigests, keccak: (data: Uint8Array) => Uint8Array): Buffer {
  const values = Buffer.allocUnsafe(32 * d.count)
  if (d.paths === undefined) {
    const preimage = Buffer.alloc(96)
    if (d.header !== null) preimage.write(d.header.sha256.slice(2), 64, 'hex')
    for (let i = 0; i < d.count; i++) {
      preimage.writeUIntBE(i, 26, 6) // the row number, a uint256 (rows are < 2^48)
      d.sha256s.copy(preimage, 32, 32 * i, 32 * i + 32)
      values.set(keccak(preimage), 32 * i)
    }
  } else {
    for (let i = 0; i < d.count; i++) values.set(keccak(fileItemPreimage(d.paths[i], toHex(d.sha256s.subarray(32 * i, 32 * i + 32)))), 32 * i)
  }
  return values
}

/** Proof nodes this near the root are shared by many items: their hex is kept once they are written (2^15 nodes, about 3 MB). */
const HEX_CACHED_NODES = 1 << 15

/**
 * A dataset's Merkle tree (OpenZeppelin's StandardMerkleTree, batcher/merkle.ts's FlatTree) over
 * its items' values, with what the receipt folder needs: the root, each item's value and proof.
 * It holds the digests, the values (32 bytes an item), the tree's 2n − 1 nodes and where each
 * item's leaf went: about 140 bytes an item.
 */
export class DatasetTree {
  private readonly hexCache: string[] = []

  private constructor(
    readonly digests: DatasetDigests,
    /** Item i's value at bytes 32i to 32i + 32. */
    readonly values: Buffer,
    private readonly flat: FlatTree,
    /** Item i's leaf, in ascending leaf order. */
    private readonly leafOf: Uint32Array,
  ) {}

  static async build(d: DatasetDigests): Promise<DatasetTree> {
    const keccak = await treeKeccak()
    const values = itemValues(d, keccak)
    const { tree, order } = FlatTree.buildIndexed(values, keccak)
    // two equal values would be two equal leaves, side by side in ascending order (never for
    // paths and row numbers, which are unique)
    for (let k = 1; k < d.count; k++) {
      const a = 32 * (tree.count - k)
      if (tree.nodes.compare(tree.nodes, a - 32, a, a, a + 32) === 0) throw new DatasetInputError(`items ${order[k - 1]} and ${order[k]} have the same value`)
    }
    const leafOf = new Uint32Array(d.count)
    for (let k = 0; k < d.count; k++) leafOf[order[k]] = k
    return new DatasetTree(d, values, tree, leafOf)
  }

  get root(): Hex {
    return toHex(this.flat.root)
  }

  value(index: number): Hex {
    return toHex(this.values.subarray(32 * index, 32 * index + 32))
  }

  proof(index: number): Hex[] {
    return this.flat.siblingsOf(this.leafOf[index]).map((i) => this.nodeHex(i))
  }

  /**
   * items/<index>.json of item `index`: exactly JSON.stringify(receipt, null, 2) + '\n' (the
   * version 1 format as written before), written out directly, about 4× faster.
   */
  receiptText(index: number): string {
    const d = this.digests
    const id = d.paths === undefined ? `"row": ${index}` : `"path": ${JSON.stringify(d.paths[index])}`
    const proof = this.proof(index)
    const list = proof.length === 0 ? '[]' : `[\n    "${proof.join('",\n    "')}"\n  ]`
    return `{\n  "version": ${DATASET_RECEIPT_VERSION},\n  "index": ${index},\n  ${id},\n  "sha256": "0x${d.sha256s.toString('hex', 32 * index, 32 * index + 32)}",\n  "value": "0x${this.values.toString('hex', 32 * index, 32 * index + 32)}",\n  "proof": ${list}\n}\n`
  }

  private nodeHex(i: number): Hex {
    const cached = this.hexCache[i]
    if (cached !== undefined) return cached as Hex
    const hex: Hex = `0x${this.flat.nodes.toString('hex', 32 * i, 32 * i + 32)}`
    if (i < HEX_CACHED_NODES) this.hexCache[i] = hex
    return hex
  }
}

/** The dataset's tree: its root and each item's value and proof. */
export const datasetTree = (d: DatasetDigests): Promise<DatasetTree> => DatasetTree.build(d)

// ---- the receipt folder ----

/** items/<index>.json of a receipt folder. */
export const itemReceiptPath = (dir: string, index: number) => join(dir, 'items', `${index}.json`)

/** Throws unless `dir` can be created as a new receipt folder. */
export function checkNewReceiptDir(dir: string): void {
  if (existsSync(dir)) throw new DatasetInputError(`${dir} already exists: choose another --out (receipts are never overwritten)`)
  if (!existsSync(dirname(dir))) throw new DatasetInputError(`${dirname(dir)} does not exist (the parent of --out)`)
}

/**
 * Writes a receipt folder's item proofs (items/<index>.json) under a temporary name beside `dir`,
 * before anything irreversible happens; `finishReceiptFolder` adds dataset.json and renames it to
 * `dir`, so `dir` never holds half a receipt. Returns the temporary folder. One synchronous write
 * a file: on this repository's 2-core machine, writes through the libuv pool (fs.promises, 4 to
 * 64 at a time) or from worker threads were no faster, often slower (README "Datasets", Measured).
 */
export async function prepareReceiptFolder(dir: string, tree: DatasetTree, onProgress?: Progress): Promise<string> {
  checkNewReceiptDir(dir)
  const partial = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`)
  rmSync(partial, { recursive: true, force: true })
  try {
    mkdirSync(join(partial, 'items'), { recursive: true })
    const items = join(partial, 'items')
    for (let index = 0; index < tree.digests.count; index++) {
      writeFileSync(`${items}/${index}.json`, tree.receiptText(index))
      onProgress?.(index + 1, 0)
      if (index % 1000 === 999) await yieldToEventLoop()
    }
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    throw new DatasetInputError(`cannot write the receipt folder beside ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  return partial
}

/** Writes dataset.json into a prepared folder and renames it to `dir`. */
export function finishReceiptFolder(partial: string, dir: string, dataset: DatasetReceipt): void {
  writeFileSync(join(partial, 'dataset.json'), JSON.stringify(dataset, null, 2) + '\n')
  renameSync(partial, dir)
}

/**
 * Lets the event loop run between steps of long synchronous work, so that connections are
 * serviced meanwhile (a kept-alive HTTP connection the node closed is then not reused).
 */
export const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r))

/** Rewrites dataset.json (to add the root's anchor proof), through a temporary file and a rename. */
export function updateDatasetJson(dir: string, dataset: DatasetReceipt): void {
  const tmp = join(dir, `.dataset.json.${process.pid}`)
  writeFileSync(tmp, JSON.stringify(dataset, null, 2) + '\n')
  renameSync(tmp, join(dir, 'dataset.json'))
}

/**
 * A JSON document of at most `max` bytes: opened once, its size and kind from the open file (one
 * path lookup, not a stat then a read: 100,000 item receipts read for a diff), non-blocking so
 * that a FIFO planted in a receipt folder is refused rather than waited on.
 */
function readJson(path: string, max: number, what: string): unknown {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DatasetInputError(code === 'ENOENT' ? `${what} is missing (${path})` : `cannot read ${path}: ${code}`)
  }
  let text: string
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new DatasetInputError(`${path} is not a regular file`)
    if (stats.size > max) throw new DatasetInputError(`${path} is ${stats.size.toLocaleString('en')} bytes, more than a ${what} can be (${max.toLocaleString('en')})`)
    const bytes = Buffer.allocUnsafe(stats.size)
    let got = 0
    for (let n = 1; got < bytes.length && n > 0; got += n) n = readSync(fd, bytes, got, bytes.length - got, null)
    text = bytes.toString('utf8', 0, got)
  } catch (error) {
    if (error instanceof DatasetInputError) throw error
    throw new DatasetInputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  } finally {
    closeSync(fd)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new DatasetInputError(`${path} is not JSON: ${(error as Error).message}`)
  }
}

/** The receipt folder's dataset.json, checked. */
export function readDatasetReceipt(dir: string): DatasetReceipt {
  if (!existsSync(dir)) throw new DatasetInputError(`receipt folder ${dir} does not exist`)
  const path = join(dir, 'dataset.json')
  try {
    return parseDatasetReceipt(readJson(path, MAX_DATASET_JSON_BYTES, 'dataset.json'), path)
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DatasetInputError(error.message)
    throw error
  }
}

/** items/<index>.json, checked: about item `index`, and its proof leads to the dataset's root. */
export function readItemReceipt(dir: string, dataset: DatasetReceipt, index: number): ItemReceipt {
  if (!Number.isSafeInteger(index) || index < 0 || index >= dataset.itemCount) throw new DatasetInputError(`the dataset has ${dataset.itemCount} items (0 to ${dataset.itemCount - 1}); there is no item ${index}`)
  const path = itemReceiptPath(dir, index)
  let item: ItemReceipt
  try {
    item = parseItemReceipt(readJson(path, MAX_ITEM_JSON_BYTES, 'item receipt'), dataset.kind, path)
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DatasetInputError(error.message)
    throw error
  }
  if (item.index !== index) throw new DatasetInputError(`${path} is about item ${item.index}, not ${index}`)
  if (item.row !== undefined && item.row !== index) throw new DatasetInputError(`${path}: row ${item.row} stored as item ${index} (a row's item index is its row number)`)
  return item
}

/**
 * Every item of a receipt folder, in index order, checked: each item's value is its own (path or
 * row, sha256), and the tree of all the values has the dataset's root. (The tree is rebuilt
 * rather than each proof folded: one hash per node instead of a proof's length per item.) Held
 * as the anchor holds a dataset (DatasetDigests), about 64 bytes a row.
 */
export async function readAllItems(dir: string, dataset: DatasetReceipt, onProgress?: Progress): Promise<DatasetDigests> {
  if (dataset.itemCount > MAX_DATASET_ITEMS) throw new DatasetInputError(`${join(dir, 'dataset.json')} claims ${dataset.itemCount.toLocaleString('en')} items, more than a dataset version may have (${MAX_DATASET_ITEMS.toLocaleString('en')})`)
  const sha256s = Buffer.allocUnsafe(32 * dataset.itemCount)
  const stored = Buffer.allocUnsafe(32 * dataset.itemCount)
  const paths: string[] | undefined = dataset.kind === 'files' ? [] : undefined
  for (let index = 0; index < dataset.itemCount; index++) {
    const r = readItemReceipt(dir, dataset, index)
    sha256s.write(r.sha256.slice(2), 32 * index, 'hex')
    stored.write(r.value.slice(2), 32 * index, 'hex')
    if (paths !== undefined) {
      if (index > 0 && compareUtf8(paths[index - 1], r.path!) >= 0) throw new DatasetInputError(`${itemReceiptPath(dir, index)} is out of path order: the receipt folder was altered`)
      paths.push(r.path!)
    }
    onProgress?.(index + 1, 0)
    if (index % 1000 === 999) await yieldToEventLoop()
  }
  const digests: DatasetDigests = { kind: dataset.kind, count: dataset.itemCount, sha256s, paths, header: dataset.header, bytes: 0 }
  const tree = await datasetTree(digests)
  for (let index = 0; index < dataset.itemCount; index++) {
    if (tree.values.compare(stored, 32 * index, 32 * index + 32, 32 * index, 32 * index + 32) !== 0) throw new DatasetInputError(`${itemReceiptPath(dir, index)} does not lead to the dataset root ${dataset.root}: the receipt folder was altered`)
  }
  if (tree.root !== dataset.root) throw new DatasetInputError(`the items of ${dir} make the root ${tree.root}, not the dataset's ${dataset.root}: the receipt folder was altered`)
  return digests
}

/** The receipt of the file item at `path` (binary search: a directory's items are in path order), or undefined. */
export function findFileItem(dir: string, dataset: DatasetReceipt, path: string): ItemReceipt | undefined {
  let lo = 0
  let hi = dataset.itemCount - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const item = readItemReceipt(dir, dataset, mid)
    const c = compareUtf8(item.path!, path)
    if (c === 0) return item
    if (c < 0) lo = mid + 1
    else hi = mid - 1
  }
  return undefined
}
