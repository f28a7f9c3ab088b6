/**
 * The file side of `npm run dataset` (scripts/dataset.ts): reading a dataset (a directory's files,
 * or the rows of a CSV or JSONL file) into items, streamed so that no file or row is held in
 * memory beyond its limit; the dataset's Merkle tree; and the receipt folder on disk. The
 * encoding itself (item values, canonical JSON, limits) is the SDK's (sdk/src/datasets.ts); the
 * tree is the batcher's (batcher/merkle.ts), which builds OpenZeppelin's StandardMerkleTree.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { zeroHash, type Hex } from 'viem'
import {
  canonicalJson,
  checkItemPath,
  compareUtf8,
  DATASET_RECEIPT_VERSION,
  InvalidArgumentError,
  itemPreimage,
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
import { MerkleTree } from '../../batcher/merkle.ts'
import { keccak256 } from '../../sequencer/chain/crypto.ts'

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

export interface ReadDataset {
  kind: DatasetKind
  items: DatasetItem[]
  /** The CSV header line, when asked for. */
  header: { text: string; sha256: Hex } | null
  bytes: number
}

const sha256Hex = (bytes: Uint8Array): Hex => `0x${createHash('sha256').update(bytes).digest('hex')}`
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

/** Reads the dataset at `source` into items (index order), hashing each file or row. */
export async function readDataset(source: string, opts: { header?: boolean; onProgress?: Progress } = {}): Promise<ReadDataset> {
  const kind = datasetKindOf(source)
  if (opts.header === true && kind !== 'csv') throw new DatasetInputError('--header applies to CSV datasets only')
  const result = kind === 'files' ? await readDirectory(source, opts.onProgress) : await readRows(source, kind, opts.header === true, opts.onProgress)
  if (result.items.length === 0) throw new DatasetInputError(kind === 'files' ? `${source} holds no files: a dataset needs at least one item` : `${source} has no rows: a dataset needs at least one item`)
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
  return paths.sort(compareUtf8)
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

async function readDirectory(dir: string, onProgress?: Progress): Promise<ReadDataset> {
  const paths = listFiles(dir)
  const items: DatasetItem[] = []
  let total = 0
  for (const path of paths) {
    const { sha256, bytes } = await hashFileItem(join(dir, path), join(dir, path))
    total += bytes
    items.push({ index: items.length, path, sha256 })
    onProgress?.(items.length, total)
  }
  return { kind: 'files', items, header: null, bytes: total }
}

/**
 * The records of a CSV or JSONL file, streamed: each line's bytes without its terminator (`\n`
 * or `\r\n`); empty lines (and, in JSONL, lines of whitespace only) are skipped. In CSV a line
 * break inside a quoted field does not end the record (RFC 4180). A record over MAX_ROW_BYTES is
 * an error before it is held whole.
 */
export async function* recordsOf(path: string, kind: 'csv' | 'jsonl'): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let length = 0
  let inQuotes = false
  let number = 0
  const tooLong = () => new DatasetInputError(`${path}: row ${number} (counting from 0, the header included) is over the ${MAX_ROW_BYTES.toLocaleString('en')}-byte (1 MiB) limit per row`)
  const finish = (): Buffer | undefined => {
    let record = parts.length === 1 ? parts[0] : Buffer.concat(parts, length)
    parts = []
    length = 0
    if (record.length > 0 && record[record.length - 1] === 0x0d) record = record.subarray(0, record.length - 1)
    if (record.length === 0 || (kind === 'jsonl' && record.toString('latin1').trim() === '')) return undefined
    if (record.length > MAX_ROW_BYTES) throw tooLong()
    number++
    return record
  }
  try {
    for await (const raw of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const chunk = raw as Buffer
      let start = 0
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]
        if (b === 0x22 && kind === 'csv') inQuotes = !inQuotes
        else if (b === 0x0a && !inQuotes) {
          if (length + (i - start) > MAX_ROW_BYTES + 1) throw tooLong() // + 1: a \r to strip
          parts.push(chunk.subarray(start, i))
          length += i - start
          start = i + 1
          const record = finish()
          if (record !== undefined) yield record
        }
      }
      if (start < chunk.length) {
        length += chunk.length - start
        if (length > MAX_ROW_BYTES + 1) throw tooLong()
        parts.push(Buffer.from(chunk.subarray(start))) // a copy: the stream may reuse its buffer
      }
    }
  } catch (error) {
    if (error instanceof DatasetInputError) throw error
    throw ioError(path, error)
  }
  if (inQuotes) throw new DatasetInputError(`${path}: the file ends inside a quoted field (an unbalanced " in row ${number}, counting from 0, the header included)`)
  const last = finish()
  if (last !== undefined) yield last
}

/** sha256 of a row as the encoding defines it: the exact bytes (CSV), the canonical form (JSONL). */
export function rowDigest(record: Buffer, kind: 'csv' | 'jsonl', where: string): Hex {
  if (kind === 'csv') return sha256Hex(record)
  let text: string
  try {
    text = utf8.decode(record)
  } catch {
    throw new DatasetInputError(`${where} is not valid UTF-8`)
  }
  try {
    return sha256Hex(Buffer.from(canonicalJson(text.replace(/^\uFEFF/, '')), 'utf8'))
  } catch (error) {
    throw new DatasetInputError(`${where}: ${(error as Error).message}`)
  }
}

async function readRows(path: string, kind: 'csv' | 'jsonl', header: boolean, onProgress?: Progress): Promise<ReadDataset> {
  const items: DatasetItem[] = []
  let headerLine: ReadDataset['header'] = null
  let total = 0
  for await (const record of recordsOf(path, kind)) {
    total += record.length
    if (header && headerLine === null) {
      headerLine = { text: record.toString('utf8'), sha256: sha256Hex(record) }
      continue
    }
    if (items.length === MAX_DATASET_ITEMS) throw new DatasetInputError(`${path} has more than ${MAX_DATASET_ITEMS.toLocaleString('en')} rows, the most one dataset version may have`)
    const row = items.length
    items.push({ index: row, row, sha256: rowDigest(record, kind, `${path}: row ${row}`) })
    onProgress?.(items.length, total)
  }
  return { kind, items, header: headerLine, bytes: total }
}

/** Row `row` of a CSV or JSONL file (and its header line when `header`), read as the encoding reads it. */
export async function readRow(path: string, kind: 'csv' | 'jsonl', row: number, header: boolean): Promise<{ sha256: Hex; headerSha256: Hex | undefined }> {
  let headerSha256: Hex | undefined
  let n = -1
  for await (const record of recordsOf(path, kind)) {
    if (header && headerSha256 === undefined) {
      headerSha256 = sha256Hex(record)
      continue
    }
    if (++n === row) return { sha256: rowDigest(record, kind, `${path}: row ${row}`), headerSha256 }
  }
  throw new DatasetInputError(`${path} has ${n + 1} rows; there is no row ${row} (rows count from 0${header ? ', after the header' : ''})`)
}

// ---- the tree ----

/** The dataset's tree over its items' values; the root and each item's proof. */
export function datasetTree(items: readonly DatasetItem[], headerSha256: Hex = zeroHash) {
  const values = items.map((item) => valueOf(item, headerSha256))
  return { ...treeOfValues(values), values }
}

const toHex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`

/** The SDK's itemValue, hashed with the node's native keccak256 (about 6× faster than the SDK's). */
const valueOf = (item: DatasetItem, headerSha256?: Hex): Hex => toHex(keccak256(itemPreimage(item, headerSha256)))

/** The tree over item values: its root and each value's proof. */
function treeOfValues(values: readonly Hex[]) {
  const tree = new MerkleTree(values.map((v) => Buffer.from(v.slice(2), 'hex')))
  if (tree.size !== values.length) throw new DatasetInputError(`two items have the same value (${values.length} items, ${tree.size} distinct)`) // never for paths and row numbers, which are unique
  return {
    root: toHex(tree.root),
    proof: (index: number): Hex[] => tree.proof(Buffer.from(values[index].slice(2), 'hex'))!.map(toHex),
  }
}

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
 * `dir`, so `dir` never holds half a receipt. Returns the temporary folder.
 */
export async function prepareReceiptFolder(dir: string, items: readonly DatasetItem[], proof: (index: number) => Hex[], values: readonly Hex[], onProgress?: Progress): Promise<string> {
  checkNewReceiptDir(dir)
  const partial = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}`)
  rmSync(partial, { recursive: true, force: true })
  try {
    mkdirSync(join(partial, 'items'), { recursive: true })
    for (let index = 0; index < items.length; index++) {
      const item = items[index]
      const receipt: ItemReceipt = { version: DATASET_RECEIPT_VERSION, index, ...('path' in item ? { path: item.path } : { row: item.row }), sha256: item.sha256, value: values[index], proof: proof(index) }
      writeFileSync(itemReceiptPath(partial, index), JSON.stringify(receipt, null, 2) + '\n')
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

function readJson(path: string, max: number, what: string): unknown {
  let stats: Stats
  try {
    stats = statSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DatasetInputError(code === 'ENOENT' ? `${what} is missing (${path})` : `cannot read ${path}: ${code}`)
  }
  if (stats.size > max) throw new DatasetInputError(`${path} is ${stats.size.toLocaleString('en')} bytes, more than a ${what} can be (${max.toLocaleString('en')})`)
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
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
 * rather than each proof folded: one native hash per node instead of a proof's length per item.)
 */
export function readAllItems(dir: string, dataset: DatasetReceipt, onProgress?: Progress): DatasetItem[] {
  const items: DatasetItem[] = []
  const values: Hex[] = []
  for (let index = 0; index < dataset.itemCount; index++) {
    const r = readItemReceipt(dir, dataset, index)
    const item: DatasetItem = r.path !== undefined ? { index, path: r.path, sha256: r.sha256 } : { index, row: r.row!, sha256: r.sha256 }
    if (valueOf(item, dataset.header?.sha256) !== r.value) throw new DatasetInputError(`${itemReceiptPath(dir, index)} does not lead to the dataset root ${dataset.root}: the receipt folder was altered`)
    if (index > 0 && r.path !== undefined && compareUtf8((items[index - 1] as { path: string }).path, r.path) >= 0) throw new DatasetInputError(`${itemReceiptPath(dir, index)} is out of path order: the receipt folder was altered`)
    items.push(item)
    values.push(r.value)
    onProgress?.(index + 1, 0)
  }
  const root = treeOfValues(values).root
  if (root !== dataset.root) throw new DatasetInputError(`the items of ${dir} make the root ${root}, not the dataset's ${dataset.root}: the receipt folder was altered`)
  return items
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
