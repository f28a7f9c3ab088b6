/**
 * AI datasets: the canonical item encoding, the item proofs of a receipt folder, and registering
 * a version in the DatasetRegistry predeploy. Pure (no file system): reading a directory or a
 * CSV/JSONL file into items, and the receipt folder on disk, are `npm run dataset`'s
 * (scripts/lib/datasets.ts). README "Datasets" documents the encoding and the receipt format.
 *
 *   item ──▶ value (bytes32) ──▶ leaf keccak256(keccak256(value)) ──▶ dataset root (StandardMerkleTree)
 *   dataset root ──DatasetRegistry.register──▶ DataAnchor ──▶ batch anchor root on L1 (verifyAnchor)
 *
 * The dataset tree is OpenZeppelin's StandardMerkleTree over single `bytes32` values, exactly the
 * tree of the batch anchor root, so one proof check (`processProof(anchorLeaf(value), proof)`)
 * serves both levels.
 */
import { hexToBytes, keccak256, parseEventLogs, zeroHash, type Account, type Address, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { datasetRegistryAbi } from './abis.js'
import { DATASET_REGISTRY } from './addresses.js'
import { anchorLeaf, processProof } from './anchoring.js'
import { AiRollupError, InvalidArgumentError, revertReason } from './errors.js'

/** Most items one dataset version may have. */
export const MAX_DATASET_ITEMS = 1_000_000
/** Largest file of a directory dataset, in bytes (64 MiB). */
export const MAX_FILE_ITEM_BYTES = 64 * 1024 * 1024
/** Largest row of a CSV or JSONL dataset (its bytes without the line terminator), in bytes (1 MiB). */
export const MAX_ROW_BYTES = 1024 * 1024
/** Longest relative path of a file item, in bytes of UTF-8. */
export const MAX_ITEM_PATH_BYTES = 1024
/** Deepest nesting of arrays and objects in a JSONL row. */
export const MAX_JSON_DEPTH = 128
/** Version of the receipt folder's documents (dataset.json, items/<index>.json). */
export const DATASET_RECEIPT_VERSION = 1

/** files: the regular files of a directory; csv / jsonl: the rows of one file. */
export type DatasetKind = 'files' | 'csv' | 'jsonl'

/** The identity and content digest of one item. */
export type DatasetItem =
  | { index: number; path: string; sha256: Hex }
  | { index: number; row: number; sha256: Hex }

const BYTES32 = /^0x[0-9a-f]{64}$/

/**
 * A file item's value: keccak256(abi.encode(string path, bytes32 sha256(bytes))).
 * @param path The file's path relative to the dataset directory, `/`-separated.
 */
export function fileItemValue(path: string, sha256: Hex): Hex {
  return keccak256(fileItemPreimage(path, sha256))
}

/** abi.encode(string path, bytes32 sha256): what fileItemValue hashes. */
export function fileItemPreimage(path: string, sha256: Hex): Uint8Array {
  // the offset of the string (0x40), the bytes32, the string's length, its bytes padded to whole
  // words. Written out: viem's general encoder costs ~10× the hash.
  const bytes = new TextEncoder().encode(path)
  const out = new Uint8Array(96 + Math.ceil(bytes.length / 32) * 32)
  out[31] = 0x40
  out.set(hexToBytes(sha256), 32)
  setUint(out, 64, bytes.length)
  out.set(bytes, 96)
  return out
}

/**
 * A row item's value: keccak256(abi.encode(uint256 row, bytes32 sha256(row bytes), bytes32 header)),
 * `header` the sha256 of the CSV header line, or zero without one (always for JSONL).
 */
export function rowItemValue(row: number, sha256: Hex, headerSha256: Hex = zeroHash): Hex {
  return keccak256(rowItemPreimage(row, sha256, headerSha256))
}

/** abi.encode(uint256 row, bytes32 sha256, bytes32 header): what rowItemValue hashes. */
export function rowItemPreimage(row: number, sha256: Hex, headerSha256: Hex = zeroHash): Uint8Array {
  if (!Number.isSafeInteger(row) || row < 0) throw new InvalidArgumentError(`a row number must be a whole number ≥ 0, got ${row}`)
  const out = new Uint8Array(96)
  setUint(out, 0, row)
  out.set(hexToBytes(sha256), 32)
  out.set(hexToBytes(headerSha256), 64)
  return out
}

/** Writes a whole number below 2^53 as the big-endian uint256 word at `offset`. */
function setUint(out: Uint8Array, offset: number, n: number): void {
  for (let i = offset + 31; n > 0; i--, n = Math.floor(n / 256)) out[i] = n % 256
}

/** The value of `item` in its dataset's tree: keccak256 of its itemPreimage. */
export function itemValue(item: DatasetItem, headerSha256: Hex = zeroHash): Hex {
  return keccak256(itemPreimage(item, headerSha256))
}

/** What `item`'s value hashes (for a program with a faster keccak256 than the SDK's). */
export function itemPreimage(item: DatasetItem, headerSha256: Hex = zeroHash): Uint8Array {
  return 'path' in item ? fileItemPreimage(item.path, item.sha256) : rowItemPreimage(item.row, item.sha256, headerSha256)
}

/** The root a proof leads to from an item value (leaf keccak256(keccak256(value)), sorted-pair keccak256). */
export function itemProofRoot(value: Hex, proof: readonly Hex[]): Hex {
  return processProof(anchorLeaf(value), proof)
}

/**
 * A JSONL row in canonical form: parsed, then written with object keys sorted (by UTF-16 code
 * units), no whitespace, strings and numbers as JSON.stringify writes them (RFC 8785's rules),
 * so re-indenting, reordering keys or `1.0` for `1` leave the row's value unchanged.
 * @throws InvalidArgumentError for text that is not JSON, an integer beyond ±2^53 (it could not be
 *         told from its neighbours; quote it), or nesting deeper than MAX_JSON_DEPTH.
 */
export function canonicalJson(text: string): string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`)
  }
  return write(value, 0)

  function write(v: unknown, depth: number): string {
    if (depth > MAX_JSON_DEPTH) throw new InvalidArgumentError(`nested deeper than ${MAX_JSON_DEPTH} levels`)
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`a number out of range (${JSON.stringify(text.slice(0, 40))}…): quote it as a string`)
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) throw new InvalidArgumentError(`the integer ${v} is beyond ±2^53 and would lose digits: quote it as a string`)
      return JSON.stringify(v)
    }
    if (v === null || typeof v !== 'object') return JSON.stringify(v)
    if (Array.isArray(v)) return `[${v.map((e) => write(e, depth + 1)).join(',')}]`
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${write(o[k], depth + 1)}`)
      .join(',')}}`
  }
}

/**
 * Checks a file item's relative path: `/`-separated, no empty, `.` or `..` component, no leading
 * `/`, at most MAX_ITEM_PATH_BYTES of UTF-8.
 * @throws InvalidArgumentError
 */
export function checkItemPath(path: string): string {
  const bytes = new TextEncoder().encode(path).length
  if (bytes === 0 || bytes > MAX_ITEM_PATH_BYTES) throw new InvalidArgumentError(`an item path must be 1 to ${MAX_ITEM_PATH_BYTES} bytes, got ${bytes}: ${JSON.stringify(path.slice(0, 80))}`)
  if (path.split('/').some((c) => c === '' || c === '.' || c === '..')) throw new InvalidArgumentError(`an item path must be relative, without empty, "." or ".." parts: ${JSON.stringify(path)}`)
  return path
}

/** Byte order of UTF-8 strings, the order of a directory dataset's items. */
export function compareUtf8(a: string, b: string): number {
  const enc = new TextEncoder()
  const x = enc.encode(a)
  const y = enc.encode(b)
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}

// ---- the receipt folder's documents ----

/** dataset.json: the version as registered, and its root's anchor proof as the node returned it. */
export interface DatasetReceipt {
  version: typeof DATASET_RECEIPT_VERSION
  kind: DatasetKind
  /** The L2's chain id. */
  chainId: number
  registry: Address
  datasetId: number
  owner: Address
  root: Hex
  itemCount: number
  name: string
  uri: string
  /** Id of the version this one replaces, 0 for none. */
  previous: number
  /** A CSV's header line (its exact text and sha256), which every row's value includes; null otherwise. */
  header: { text: string; sha256: Hex } | null
  registration: { txHash: Hex; blockNumber: number }
  /** How the root was anchored. */
  mode: 'onchain' | 'aggregate'
  /** The node's `GET /v1/anchors/{root}` answer once posted; null until then (`npm run dataset -- complete`). */
  anchor: Record<string, unknown> | null
}

/** items/<index>.json: one item's identity and its path to the dataset root. */
export interface ItemReceipt {
  version: typeof DATASET_RECEIPT_VERSION
  index: number
  /** The file's relative path (directory datasets). */
  path?: string
  /** The row's number among the data rows, from 0 (CSV and JSONL datasets; the header is not a row). */
  row?: number
  /** sha256 of the file's bytes, of the CSV row's bytes, or of the JSONL row's canonical form. */
  sha256: Hex
  /** The item's value in the tree (itemValue). */
  value: Hex
  /** Sibling hashes from the item's leaf to the dataset root. */
  proof: Hex[]
}

function object(json: unknown, source: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidArgumentError(`${source} must hold a JSON object`)
  return json as Record<string, unknown>
}
const field = {
  bytes32(source: string, name: string, v: unknown): Hex {
    if (typeof v !== 'string' || !BYTES32.test(v.toLowerCase())) throw new InvalidArgumentError(`${source}: "${name}" must be 0x and 32 bytes of hex, got ${JSON.stringify(v)}`)
    return v.toLowerCase() as Hex
  },
  count(source: string, name: string, v: unknown, min = 0): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`${source}: "${name}" must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`)
    return v
  },
  string(source: string, name: string, v: unknown): string {
    if (typeof v !== 'string') throw new InvalidArgumentError(`${source}: "${name}" must be a string, got ${JSON.stringify(v)}`)
    return v
  },
  address(source: string, name: string, v: unknown): Address {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new InvalidArgumentError(`${source}: "${name}" must be an address, got ${JSON.stringify(v)}`)
    return v as Address
  },
}

/**
 * Checks a dataset.json document, naming the field that is wrong.
 * @throws InvalidArgumentError
 */
export function parseDatasetReceipt(json: unknown, source = 'dataset.json'): DatasetReceipt {
  const raw = object(json, source)
  if (raw.version !== DATASET_RECEIPT_VERSION) throw new InvalidArgumentError(`${source}: "version" must be ${DATASET_RECEIPT_VERSION}, got ${JSON.stringify(raw.version)}`)
  if (raw.kind !== 'files' && raw.kind !== 'csv' && raw.kind !== 'jsonl') throw new InvalidArgumentError(`${source}: "kind" must be files, csv or jsonl, got ${JSON.stringify(raw.kind)}`)
  if (raw.mode !== 'onchain' && raw.mode !== 'aggregate') throw new InvalidArgumentError(`${source}: "mode" must be onchain or aggregate, got ${JSON.stringify(raw.mode)}`)
  let header: DatasetReceipt['header'] = null
  if (raw.header !== null && raw.header !== undefined) {
    const h = object(raw.header, `${source}: "header"`)
    header = { text: field.string(source, 'header.text', h.text), sha256: field.bytes32(source, 'header.sha256', h.sha256) }
  }
  const reg = object(raw.registration, `${source}: "registration"`)
  if (raw.anchor !== null && (typeof raw.anchor !== 'object' || Array.isArray(raw.anchor))) throw new InvalidArgumentError(`${source}: "anchor" must be the node's anchor proof (an object) or null`)
  return {
    version: DATASET_RECEIPT_VERSION,
    kind: raw.kind,
    chainId: field.count(source, 'chainId', raw.chainId, 1),
    registry: field.address(source, 'registry', raw.registry),
    datasetId: field.count(source, 'datasetId', raw.datasetId, 1),
    owner: field.address(source, 'owner', raw.owner),
    root: field.bytes32(source, 'root', raw.root),
    itemCount: field.count(source, 'itemCount', raw.itemCount, 1),
    name: field.string(source, 'name', raw.name),
    uri: field.string(source, 'uri', raw.uri),
    previous: field.count(source, 'previous', raw.previous),
    header,
    registration: { txHash: field.bytes32(source, 'registration.txHash', reg.txHash), blockNumber: field.count(source, 'registration.blockNumber', reg.blockNumber) },
    mode: raw.mode,
    anchor: raw.anchor as Record<string, unknown> | null,
  }
}

/**
 * Checks an items/<index>.json document of a `kind` dataset, naming the field that is wrong.
 * @throws InvalidArgumentError
 */
export function parseItemReceipt(json: unknown, kind: DatasetKind, source = 'item receipt'): ItemReceipt {
  const raw = object(json, source)
  if (raw.version !== DATASET_RECEIPT_VERSION) throw new InvalidArgumentError(`${source}: "version" must be ${DATASET_RECEIPT_VERSION}, got ${JSON.stringify(raw.version)}`)
  if (!Array.isArray(raw.proof)) throw new InvalidArgumentError(`${source}: "proof" must be an array of 32-byte hex strings`)
  if (raw.proof.length > 64) throw new InvalidArgumentError(`${source}: "proof" has ${raw.proof.length} entries; a tree of at most ${MAX_DATASET_ITEMS} items needs at most 20`)
  const item: ItemReceipt = {
    version: DATASET_RECEIPT_VERSION,
    index: field.count(source, 'index', raw.index),
    sha256: field.bytes32(source, 'sha256', raw.sha256),
    value: field.bytes32(source, 'value', raw.value),
    proof: raw.proof.map((p, i) => field.bytes32(source, `proof[${i}]`, p)),
  }
  if (kind === 'files') item.path = checkItemPath(field.string(source, 'path', raw.path))
  else item.row = field.count(source, 'row', raw.row)
  return item
}

// ---- comparing two versions ----

export interface DatasetDiff {
  /** Items of B that A lacks (paths; or rows, by their number in B). */
  added: DatasetItem[]
  /** Items of A that B lacks (rows by their number in A). */
  removed: DatasetItem[]
  /** Files at the same path with other bytes; rows at the same number whose content was replaced (A's item, B's item). */
  changed: { before: DatasetItem; after: DatasetItem }[]
  /** Items in both. */
  unchanged: number
}

/**
 * What changed between two versions of a dataset (items in index order, as in the receipts).
 * Files are matched by path. Rows are matched by content: a row whose content (sha256) is in both
 * is unchanged, at the same number or moved (duplicates counted, same-number matches first); of
 * the others, a row of A and a row of B at the same number are reported changed, the rest
 * removed or added.
 */
export function diffItems(a: readonly DatasetItem[], b: readonly DatasetItem[]): DatasetDiff {
  const diff: DatasetDiff = { added: [], removed: [], changed: [], unchanged: 0 }
  if (a.every((i) => 'path' in i) && b.every((i) => 'path' in i)) {
    const before = new Map(a.map((i) => [(i as { path: string }).path, i]))
    for (const item of b) {
      const old = before.get((item as { path: string }).path)
      if (old === undefined) diff.added.push(item)
      else if (old.sha256 !== item.sha256) diff.changed.push({ before: old, after: item })
      else diff.unchanged++
      before.delete((item as { path: string }).path)
    }
    diff.removed = [...before.values()].sort((x, y) => x.index - y.index)
    return diff
  }
  // rows: same number and content first, then the same content elsewhere (a moved row), then
  // what is left at the same number (a replaced row)
  const rowOf = (i: DatasetItem) => (i as { row: number }).row
  const restA = new Map(a.map((i) => [rowOf(i), i]))
  let restB: DatasetItem[] = []
  for (const item of b) {
    if (restA.get(rowOf(item))?.sha256 === item.sha256) {
      restA.delete(rowOf(item))
      diff.unchanged++
    } else restB.push(item)
  }
  // A's rows left, by content, each list consumed from its start (linear, duplicates or not)
  const byContent = new Map<Hex, { rows: DatasetItem[]; next: number }>()
  for (const item of restA.values()) {
    const entry = byContent.get(item.sha256)
    if (entry === undefined) byContent.set(item.sha256, { rows: [item], next: 0 })
    else entry.rows.push(item)
  }
  restB = restB.filter((item) => {
    const entry = byContent.get(item.sha256)
    const same = entry === undefined || entry.next === entry.rows.length ? undefined : entry.rows[entry.next++]
    if (same === undefined) return true
    restA.delete(rowOf(same))
    diff.unchanged++
    return false
  })
  for (const item of restB) {
    const old = restA.get(rowOf(item))
    if (old === undefined) diff.added.push(item)
    else {
      diff.changed.push({ before: old, after: item })
      restA.delete(rowOf(item))
    }
  }
  diff.removed = [...restA.values()].sort((x, y) => x.index - y.index)
  return diff
}

// ---- the registry ----

/** The DatasetRegistry refused a version, or its transaction reverted; `reason` is the registry's error, e.g. `RootAlreadyRegistered(0x…, 3)`. */
export class DatasetRegistrationError extends AiRollupError {
  override name = 'DatasetRegistrationError'
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message)
  }
}

export interface RegisterDatasetParameters {
  root: Hex
  itemCount: number
  name: string
  uri?: string
  /** The caller's version this one replaces (0 or absent: a first version). */
  previous?: number
  /** Default the predeploy. */
  registry?: Address
}

export interface RegisterDatasetResult {
  datasetId: number
  txHash: Hex
  blockNumber: number
  owner: Address
}

/**
 * Registers a dataset version (DatasetRegistry.register), which also anchors its root through
 * DataAnchor; resolves once the transaction is mined.
 * @throws DatasetRegistrationError with the registry's error (RootAlreadyRegistered, NotDatasetOwner, …).
 * @example
 * const { datasetId } = await registerDataset(wallet, client, { root, itemCount: 150, name: 'iris' })
 */
export async function registerDataset(
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  client: PublicClient,
  params: RegisterDatasetParameters,
): Promise<RegisterDatasetResult> {
  const registry = params.registry ?? DATASET_REGISTRY
  const args = [params.root, BigInt(params.itemCount), params.name, params.uri ?? '', BigInt(params.previous ?? 0)] as const
  let txHash: Hex
  try {
    txHash = await wallet.writeContract({ address: registry, abi: datasetRegistryAbi, functionName: 'register', args, chain: wallet.chain })
  } catch (error) {
    const reason = revertReason(error)
    throw new DatasetRegistrationError(`the DatasetRegistry refuses ${JSON.stringify(params.name)} (root ${params.root}): ${reason}`, reason)
  }
  const receipt = await client.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== 'success') throw new DatasetRegistrationError(`registration of ${JSON.stringify(params.name)} reverted in tx ${txHash} (block ${receipt.blockNumber})`, 'reverted')
  const [event] = parseEventLogs({ abi: datasetRegistryAbi, eventName: 'DatasetRegistered', logs: receipt.logs })
  if (event === undefined) throw new DatasetRegistrationError(`tx ${txHash} emitted no DatasetRegistered event: is ${registry} the DatasetRegistry?`, 'no event')
  return { datasetId: Number(event.args.datasetId), txHash, blockNumber: Number(receipt.blockNumber), owner: event.args.owner }
}
