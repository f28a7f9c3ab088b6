/**
 * Tamper-proof AI datasets from the command line: anchor a dataset version, prove later that an
 * item belonged to it against L1 alone, and compare two versions.
 *
 *   npm run dataset -- anchor <dir|file.csv|file.jsonl> --name N [--uri U] [--previous ID] [--header]
 *       [--rpc URL] [--key 0x…] [--out DIR] [--mode onchain|aggregate] [--timeout S] [--json]
 *   npm run dataset -- complete <receiptDir> [--rpc URL] [--timeout S] [--json]
 *   npm run dataset -- verify <item> --receipt <dir> [--row N] [--path REL] [--l1-rpc URL]
 *       [--deployments FILE | --rollup-anchor 0x…] [--require-final] [--json]
 *   npm run dataset -- diff <receiptDirA> <receiptDirB> [--json]
 *
 * `anchor` computes the dataset's Merkle root (README "Datasets": the item encoding), registers
 * the version in the DatasetRegistry predeploy with one L2 transaction (which anchors the root
 * through DataAnchor), waits until the node has the root's anchor proof (its batch is on L1) and
 * writes the receipt folder: dataset.json and items/<index>.json, one proof per item (the item
 * proofs are written before the registration, the one step that cannot be undone). Should the
 * wait fail after the registration, the folder is there without the anchor proof and `complete`
 * fetches it later. `verify` recomputes the item's value, checks its path to the
 * dataset root, then the root's anchor proof against L1 with the SDK's verifyAnchor (as
 * scripts/verify-anchor.ts does). The key comes from --key or DATASET_PRIVATE_KEY; without
 * either, dev account #0 of the test mnemonic (public, for the devnet only).
 *
 * Progress goes to stderr (none with --json). Exit codes: 0 done / valid, 1 refused by the
 * registry / invalid, 2 usage, bad input or an endpoint error.
 */
import { existsSync, rmSync } from 'node:fs'
import { basename, resolve, sep } from 'node:path'
import { parseArgs } from 'node:util'
import { createPublicClient, createWalletClient, getAddress, http, isAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  AiRollupError,
  AnchorApiError,
  compareUtf8,
  ConnectionError,
  DATASET_RECEIPT_VERSION,
  DATASET_REGISTRY,
  datasetRegistryAbi,
  DatasetRegistrationError,
  defineAiRollupChain,
  DEVNET_L1_RPC_URL,
  DEVNET_L2_RPC_URL,
  diffItems,
  errorText,
  formatVerifyAnchorResult,
  InvalidArgumentError,
  itemProofRoot,
  itemValue,
  L1Error,
  registerDataset,
  verifyAnchor,
  waitForAnchor,
  WaitTimeoutError,
  type AnchorStatus,
  type DatasetDiff,
  type DatasetItem,
  type DatasetReceipt,
  type ItemReceipt,
  type VerifyAnchorResult,
} from '@ai-rollup/sdk'
import { DEVNET_DEPLOYMENTS_PATH, readDeployments } from '@ai-rollup/sdk/node'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import {
  checkNewReceiptDir,
  datasetKindOf,
  DatasetInputError,
  datasetTree,
  findFileItem,
  hashFileItem,
  itemsOf,
  readAllItems,
  readDatasetReceipt,
  readDataset,
  readItemReceipt,
  readRow,
  updateDatasetJson,
  finishReceiptFolder,
  prepareReceiptFolder,
  yieldToEventLoop,
  type Progress,
} from './lib/datasets.ts'

/** Dev account #0 of the test mnemonic: funded in the dev L2 genesis. */
export const DEV_KEY = ANVIL_PRIVATE_KEYS[0]
/** How long `anchor` and `complete` wait for the root's batch to reach L1, by default (s). */
const DEFAULT_TIMEOUT_S = 300

/** The command line is wrong, or an endpoint cannot be reached; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
  /** Print the usage after the message (a malformed command line). */
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message)
  }
}
/** The registry refused the version (root already registered, not the previous version's owner, …); exit code 1. */
class RefusedError extends Error {
  override name = 'RefusedError'
}

export type AnchorMode = 'onchain' | 'aggregate'

const USAGE = `usage: npm run dataset -- <command> [arguments] [options]
commands:
  anchor <dir|file.csv|file.jsonl> --name N   compute the root, register it in the DatasetRegistry (which anchors it),
                                              wait for its batch on L1 and write the receipt folder
      [--uri U] [--previous ID] [--header] [--rpc URL] [--key 0x…] [--out DIR] [--mode onchain|aggregate] [--timeout S]
      --header: the CSV's first line is a header (not a row; every row's value includes it)
  complete <receiptDir> [--rpc URL] [--timeout S]   fetch the root's anchor proof a receipt folder still lacks
  verify <item> --receipt <dir>               prove an item belongs to the anchored version, against L1 alone
      [--row N] (CSV/JSONL: <item> is the file, N the row from 0) [--path REL] (the file's path in the dataset)
      [--l1-rpc URL] [--deployments FILE | --rollup-anchor 0x…] [--require-final]
  diff <receiptDirA> <receiptDirB>            items added, removed and changed from version A to B
options: --json (the result as JSON on stdout, no progress on stderr)
defaults: --rpc ${DEVNET_L2_RPC_URL}, --l1-rpc ${DEVNET_L1_RPC_URL}, --deployments ${DEVNET_DEPLOYMENTS_PATH}, --key: DATASET_PRIVATE_KEY or dev account #0
exit codes: 0 done / valid, 1 refused by the registry / invalid, 2 usage, bad input or endpoint error`

/** Where progress lines go: stderr by default, nowhere with --json. */
export type ProgressWriter = ((line: string) => void) | undefined
const toStderr: ProgressWriter = (line) => process.stderr.write(`${line}\n`)

/** Writes progress lines, at most every 500 ms (and always the last). */
function progressReporter(write: ProgressWriter, label: string, total?: number): Progress & { done(): void } {
  let last = 0
  let latest: [number, number] = [0, 0]
  const line = () => {
    const [items, bytes] = latest
    const of = total === undefined ? '' : `/${total.toLocaleString('en')}`
    write?.(`${label} ${items.toLocaleString('en')}${of} items${bytes > 0 ? ` (${(bytes / 1048576).toFixed(1)} MiB)` : ''}`)
  }
  const report = ((items: number, bytes: number) => {
    latest = [items, bytes]
    if (write === undefined) return
    const now = Date.now()
    if (now - last >= 500) {
      last = now
      line()
    }
  }) as Progress & { done(): void }
  report.done = () => {
    if (latest[0] > 0) line()
  }
  return report
}

function l2Clients(rpc: string, chainId: number, key: Hex) {
  const chain = defineAiRollupChain(rpc, chainId)
  const transport = http(rpc, { retryCount: 0 })
  return {
    client: createPublicClient({ chain, transport, pollingInterval: 250 }),
    wallet: createWalletClient({ chain, transport, account: privateKeyToAccount(key) }),
  }
}

async function l2ChainId(rpc: string): Promise<number> {
  try {
    return await createPublicClient({ transport: http(rpc, { retryCount: 0, timeout: 10_000 }) }).getChainId()
  } catch (error) {
    throw new UsageError(`the L2 node at ${rpc} does not answer: ${errorText(error).replace(' (is the L1 running?)', '')}`)
  }
}

/**
 * The root's anchor proof, as the node returns it once the root's batch is on L1: the one place
 * that knows how a dataset root is anchored. `onchain`: DatasetRegistry.register already anchored
 * it through DataAnchor, so this polls `GET /v1/anchors/{root}` until posted. `aggregate` is
 * refused: the registration itself puts the root in the chain's data (one hash per version), so an
 * aggregation round would add a second proof of the same root and save nothing; aggregated
 * anchoring (`POST /v1/anchors` with `"mode": "aggregate"`) is for volumes of separate hashes.
 */
export async function rootAnchorProof(p: { rpc: string; root: Hex; mode: AnchorMode; timeoutMs: number; onPoll?: (status: AnchorStatus | null) => void; onRetry?: (error: Error) => void }): Promise<AnchorStatus> {
  if (p.mode === 'aggregate') {
    throw new UsageError('--mode aggregate is not offered for datasets: DatasetRegistry.register anchors the version\'s root in the chain\'s data itself (one hash per version), so a round would only add a second proof of it; the items\' proofs are the receipt folder. Aggregated anchoring (POST /v1/anchors, "mode": "aggregate") is for volumes of separate hashes')
  }
  // A request that fails outright (the node restarting, a kept-alive connection it closed) is
  // retried until the deadline; an answer of the API's (4xx, 5xx) is not.
  const deadline = Date.now() + p.timeoutMs
  for (;;) {
    try {
      return await waitForAnchor({ url: p.rpc }, { hash: p.root, status: 'posted', timeoutMs: Math.max(0, deadline - Date.now()), pollingIntervalMs: 250, onPoll: p.onPoll })
    } catch (error) {
      if (error instanceof WaitTimeoutError || error instanceof AnchorApiError || !(error instanceof AiRollupError) || Date.now() >= deadline) throw error
      p.onRetry?.(error)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

function anchorWaiter(write: ProgressWriter, root: Hex) {
  let said: string | undefined
  return (status: AnchorStatus | null) => {
    const now = status === null ? 'not seen by the node yet' : status.status === 'pending' ? (status.l2 === null ? 'queued' : `in L2 block ${status.l2.blockNumber}, waiting for its batch on L1`) : `${status.status} in batch ${status.batchIndex}`
    if (now !== said) write?.(`root ${root}: ${now}`)
    said = now
  }
}

interface AnchorOptions {
  source: string
  name: string
  uri: string
  previous: number
  header: boolean
  rpc: string
  key: Hex
  out?: string
  mode: AnchorMode
  timeoutMs: number
  /** Progress lines (none: quiet). */
  progress?: ProgressWriter
}

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8')

/** `anchor`: resolves to the receipt written (and its folder). */
export async function anchorDataset(o: AnchorOptions): Promise<{ dir: string; dataset: DatasetReceipt }> {
  if (utf8Length(o.name) === 0 || utf8Length(o.name) > 64) throw new UsageError(`--name must be 1 to 64 bytes of UTF-8, got ${utf8Length(o.name)}`)
  if (utf8Length(o.uri) > 256) throw new UsageError(`--uri must be at most 256 bytes, got ${utf8Length(o.uri)}`)
  if (o.mode === 'aggregate') await rootAnchorProof({ rpc: o.rpc, root: `0x${'00'.repeat(32)}`, mode: o.mode, timeoutMs: 0 }) // refuses before any work
  const kind = datasetKindOf(o.source)
  const dir = resolve(o.out ?? `${o.source.replace(/[/\\]+$/, '')}.receipt`)
  checkNewReceiptDir(dir)

  const chainId = await l2ChainId(o.rpc)
  const { client, wallet } = l2Clients(o.rpc, chainId, o.key)
  const owner = wallet.account.address
  const read = <T>(functionName: 'exists' | 'getDataset' | 'nextVersion' | 'datasetIdOfRoot', args: readonly unknown[]) =>
    client.readContract({ address: DATASET_REGISTRY, abi: datasetRegistryAbi, functionName, args } as never) as Promise<T>
  if (o.previous !== 0) {
    if (!(await read<boolean>('exists', [BigInt(o.previous)]))) throw new RefusedError(`--previous ${o.previous}: there is no dataset version ${o.previous} on chain ${chainId}`)
    const prev = await read<{ owner: Address; name: string }>('getDataset', [BigInt(o.previous)])
    if (getAddress(prev.owner) !== owner) throw new RefusedError(`--previous ${o.previous}: version ${o.previous} (${JSON.stringify(prev.name)}) belongs to ${prev.owner}, not to ${owner}; only its owner may register a new version`)
    const next = await read<bigint>('nextVersion', [BigInt(o.previous)])
    if (next !== 0n) throw new RefusedError(`--previous ${o.previous}: version ${o.previous} was already replaced by version ${next}; name the latest version`)
  }

  const hashing = progressReporter(o.progress, `hashed`)
  const data = await readDataset(o.source, { header: o.header, onProgress: hashing })
  hashing.done()
  const tree = await datasetTree(data)
  await yieldToEventLoop()
  o.progress?.(`root ${tree.root} over ${data.count.toLocaleString('en')} ${kind === 'files' ? 'files' : 'rows'}`)
  const existing = await read<bigint>('datasetIdOfRoot', [tree.root])
  if (existing !== 0n) throw new RefusedError(`this root (${tree.root}) is already registered, as dataset version ${existing} on chain ${chainId}: the same items were anchored before`)

  // the item proofs first: the registration is the one step that cannot be undone
  const writing = progressReporter(o.progress, 'wrote proofs of', data.count)
  const partial = await prepareReceiptFolder(dir, tree, writing)
  writing.done()
  let registered
  try {
    registered = await registerDataset(wallet, client, { root: tree.root, itemCount: data.count, name: o.name, uri: o.uri, previous: o.previous })
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    if (error instanceof DatasetRegistrationError) throw new RefusedError(error.message)
    throw new UsageError(`registering on ${o.rpc} failed: ${errorText(error)}`)
  }
  o.progress?.(`registered as dataset version ${registered.datasetId} (tx ${registered.txHash}); receipt folder ${dir}`)
  const dataset: DatasetReceipt = {
    version: DATASET_RECEIPT_VERSION,
    kind,
    chainId,
    registry: getAddress(DATASET_REGISTRY),
    datasetId: registered.datasetId,
    owner: registered.owner,
    root: tree.root,
    itemCount: data.count,
    name: o.name,
    uri: o.uri,
    previous: o.previous,
    header: data.header,
    registration: { txHash: registered.txHash, blockNumber: registered.blockNumber },
    mode: o.mode,
    anchor: null,
  }
  finishReceiptFolder(partial, dir, dataset)
  return { dir, dataset: await completeReceipt(dir, dataset, o) }
}

/** Fetches the root's anchor proof into a receipt folder's dataset.json. */
async function completeReceipt(dir: string, dataset: DatasetReceipt, o: { rpc: string; timeoutMs: number; progress?: ProgressWriter }): Promise<DatasetReceipt> {
  if (dataset.anchor !== null) return dataset
  let anchor: AnchorStatus
  try {
    anchor = await rootAnchorProof({ rpc: o.rpc, root: dataset.root, mode: dataset.mode, timeoutMs: o.timeoutMs, onPoll: anchorWaiter(o.progress, dataset.root), onRetry: (e) => o.progress?.(`${e.message}; retrying`) })
  } catch (error) {
    const later = `dataset version ${dataset.datasetId} is registered and ${dir} holds its item proofs, but not yet the root's anchor proof: run \`npm run dataset -- complete ${dir}\` later`
    if (error instanceof WaitTimeoutError) throw new UsageError(`${error.message}; ${later}`)
    if (error instanceof AiRollupError) throw new UsageError(`${error.message}; ${later}`)
    throw error
  }
  const done = { ...dataset, anchor: anchor as unknown as Record<string, unknown> }
  updateDatasetJson(dir, done)
  return done
}

interface VerifyOptions {
  item: string
  receipt: string
  row?: number
  path?: string
  l1: string
  rollupAnchor?: Address
  deployments?: string
  requireFinal: boolean
}

export interface VerifyItemResult {
  valid: boolean
  datasetId: number
  root: Hex
  /** The item as identified and hashed here. */
  item: DatasetItem
  /** The item's path to the dataset root holds with the item's own content. */
  itemInDataset: boolean
  reasons: string[]
  /** The root's anchor on L1 (verifyAnchor's verdict). */
  anchor: VerifyAnchorResult | null
}

/** `verify`: the item against the receipt, then the root against L1. */
export async function verifyItem(o: VerifyOptions): Promise<VerifyItemResult> {
  const dataset = readDatasetReceipt(o.receipt)
  if (dataset.anchor === null) throw new DatasetInputError(`${o.receipt}/dataset.json has no anchor proof for the root yet: run \`npm run dataset -- complete ${o.receipt}\``)

  let rollupAnchor: Address
  let expectedL1ChainId: number | undefined
  if (o.rollupAnchor !== undefined) rollupAnchor = o.rollupAnchor
  else {
    const path = o.deployments ?? DEVNET_DEPLOYMENTS_PATH
    if (o.deployments === undefined && !existsSync(path)) throw new UsageError(`no RollupAnchor to trust: pass --rollup-anchor 0x… or --deployments <file> (${DEVNET_DEPLOYMENTS_PATH} does not exist)`)
    const deployments = readDeployments(path)
    if (deployments.l2ChainId !== dataset.chainId) throw new UsageError(`the receipt is for L2 chain ${dataset.chainId}, but ${path} describes the rollup of L2 chain ${deployments.l2ChainId}`)
    rollupAnchor = deployments.rollupAnchor
    expectedL1ChainId = deployments.l1ChainId
  }

  // the item, identified and hashed here
  const reasons: string[] = []
  let item: DatasetItem
  let anchored: ItemReceipt | undefined
  let headerSha256 = dataset.header?.sha256
  if (dataset.kind === 'files') {
    if (o.row !== undefined) throw new UsageError('--row applies to CSV and JSONL datasets; this one is a directory of files')
    const { sha256 } = await hashFileItem(o.item)
    let path = o.path
    if (path === undefined) {
      // the longest tail of the given path that names an item: data/images/cat.png → images/cat.png
      const parts = resolve(o.item).split(sep).filter((p) => p !== '')
      for (let i = 0; i < parts.length && anchored === undefined; i++) {
        const candidate = parts.slice(i).join('/')
        anchored = findFileItem(o.receipt, dataset, candidate)
        if (anchored !== undefined) path = candidate
      }
      path ??= basename(o.item)
    } else anchored = findFileItem(o.receipt, dataset, path)
    item = { index: anchored?.index ?? -1, path, sha256 }
    if (anchored === undefined) reasons.push(`the dataset has no file at ${JSON.stringify(path)}${o.path === undefined ? ' (nor at any shorter tail of the path given; name it with --path)' : ''}`)
  } else {
    if (o.row === undefined) throw new UsageError(`--row N is required: this is a ${dataset.kind.toUpperCase()} dataset, and <item> is the file holding the row`)
    if (o.path !== undefined) throw new UsageError('--path applies to directory datasets')
    const got = await readRow(o.item, dataset.kind, o.row, dataset.header !== null)
    item = { index: o.row, row: o.row, sha256: got.sha256 }
    anchored = o.row < dataset.itemCount ? readItemReceipt(o.receipt, dataset, o.row) : undefined
    if (anchored === undefined) reasons.push(`the dataset has ${dataset.itemCount} rows; there is no row ${o.row}`)
    if (dataset.header !== null && got.headerSha256 !== dataset.header.sha256) {
      reasons.push(`the file's header line (sha256 ${got.headerSha256}) differs from the dataset's (${dataset.header.sha256}: ${JSON.stringify(dataset.header.text.slice(0, 80))})`)
      headerSha256 = got.headerSha256
    }
  }
  let itemInDataset = false
  if (anchored !== undefined) {
    itemInDataset = itemProofRoot(itemValue(item, headerSha256), anchored.proof) === dataset.root
    const what = 'path' in item ? `the file at ${JSON.stringify(item.path)}` : `row ${item.row}`
    if (!itemInDataset && item.sha256 !== anchored.sha256) reasons.push(`${what} has sha256 ${item.sha256}, but the dataset anchored ${anchored.sha256}: the item was altered`)
    else if (!itemInDataset && reasons.length === 0) reasons.push(`${what}'s proof in the receipt does not lead to the dataset root ${dataset.root}: the receipt was altered`)
  }

  // the root, against L1 alone
  let anchor: VerifyAnchorResult
  try {
    anchor = await verifyAnchor({ l1: o.l1, rollupAnchor, hash: dataset.root, proof: dataset.anchor, expectedL1ChainId, requireFinal: o.requireFinal })
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new DatasetInputError(`${o.receipt}/dataset.json: ${error.message}`)
    throw error
  }
  const claimed = (dataset.anchor.l1 as { chainId?: unknown } | undefined)?.chainId
  if (typeof claimed === 'number' && claimed !== anchor.l1ChainId) throw new UsageError(`the receipt is for L1 chain ${claimed}, but the L1 at ${o.l1} is chain ${anchor.l1ChainId}`)
  reasons.push(...anchor.reasons.map((r) => `the dataset root: ${r}`))
  return { valid: itemInDataset && anchor.valid, datasetId: dataset.datasetId, root: dataset.root, item, itemInDataset, reasons, anchor }
}

/** `diff`: what changed from the version of receipt folder A to that of B. */
export async function diffReceipts(dirA: string, dirB: string, progress?: ProgressWriter): Promise<{ a: DatasetReceipt; b: DatasetReceipt; diff: DatasetDiff }> {
  const a = readDatasetReceipt(dirA)
  const b = readDatasetReceipt(dirB)
  if (a.kind !== b.kind) throw new DatasetInputError(`${dirA} is a ${a.kind} dataset and ${dirB} a ${b.kind} one: only versions of the same kind compare`)
  const items = async (dir: string, d: DatasetReceipt) => {
    const reporter = progressReporter(progress, `read ${dir}:`, d.itemCount)
    const list = await readAllItems(dir, d, reporter)
    reporter.done()
    return itemsOf(list)
  }
  return { a, b, diff: diffItems(await items(dirA, a), await items(dirB, b)) }
}

const describe = (i: DatasetItem) => ('path' in i ? i.path : `row ${i.row}`)

// ---- command line ----

type Values = Record<string, string | boolean | undefined>

function count(values: Values, name: string, min: number): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got ${String(v)}`)
  return n
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. Progress goes to `progressTo` (stderr), none with --json. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error, progressTo: ProgressWriter = toStderr): Promise<number> {
  const json = argv.includes('--json')
  const progress = json ? undefined : progressTo
  const fail = (message: string, code: number, usage = false): number => {
    if (json) out(JSON.stringify({ error: message }))
    else err(usage ? `${message}\n${USAGE}` : `error: ${message}`)
    return code
  }
  let values: Values
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        uri: { type: 'string' },
        previous: { type: 'string' },
        header: { type: 'boolean' },
        rpc: { type: 'string' },
        key: { type: 'string' },
        out: { type: 'string' },
        mode: { type: 'string' },
        timeout: { type: 'string' },
        receipt: { type: 'string' },
        row: { type: 'string' },
        path: { type: 'string' },
        'l1-rpc': { type: 'string' },
        deployments: { type: 'string' },
        'rollup-anchor': { type: 'string' },
        'require-final': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    return fail((error as Error).message, 2, true)
  }
  if (values.help === true || positionals.length === 0) {
    out(USAGE)
    return values.help === true ? 0 : 2
  }
  const [command, ...args] = positionals
  const print = (human: string[], data: unknown) => (json ? out(JSON.stringify(data, null, 2)) : human.forEach((l) => out(l)))
  try {
    const rpc = (values.rpc as string | undefined) ?? DEVNET_L2_RPC_URL
    const timeoutMs = (count(values, 'timeout', 1) ?? DEFAULT_TIMEOUT_S) * 1000
    const arity = { anchor: 1, complete: 1, verify: 1, diff: 2 }[command]
    if (arity === undefined) throw new UsageError(`unknown command ${command}`, true)
    if (args.length !== arity) throw new UsageError(`${command} takes ${arity} argument(s), got ${args.length}`, true)

    if (command === 'anchor') {
      if (values.name === undefined) throw new UsageError('--name is required')
      const mode = (values.mode as string | undefined) ?? 'onchain'
      if (mode !== 'onchain' && mode !== 'aggregate') throw new UsageError(`--mode must be onchain or aggregate, got ${mode}`)
      const key = (values.key as string | undefined) ?? process.env.DATASET_PRIVATE_KEY ?? DEV_KEY
      if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('the key must be 0x and 32 bytes of hex')
      const { dir, dataset } = await anchorDataset({
        source: args[0],
        name: values.name as string,
        uri: (values.uri as string | undefined) ?? '',
        previous: count(values, 'previous', 1) ?? 0,
        header: values.header === true,
        rpc,
        key: key as Hex,
        out: values.out as string | undefined,
        mode,
        timeoutMs,
        progress,
      })
      const anchor = dataset.anchor as unknown as AnchorStatus
      print(
        [
          `anchored dataset version ${dataset.datasetId} ${JSON.stringify(dataset.name)}: ${dataset.itemCount.toLocaleString('en')} items, root ${dataset.root}`,
          `  registered in tx ${dataset.registration.txHash} (L2 block ${dataset.registration.blockNumber})${dataset.previous === 0 ? '' : `, replacing version ${dataset.previous}`}`,
          `  root ${anchor.status} in batch ${anchor.batchIndex} (L1 tx ${anchor.l1?.txHash})`,
          `  receipt folder: ${dir}`,
        ],
        { dir, ...dataset },
      )
      return 0
    }
    if (command === 'complete') {
      const dataset = readDatasetReceipt(args[0])
      const done = await completeReceipt(args[0], dataset, { rpc, timeoutMs, progress })
      print([`${args[0]}: the root's anchor proof is in dataset.json (batch ${(done.anchor as { batchIndex?: number }).batchIndex})`], done)
      return 0
    }
    if (command === 'verify') {
      if (values.receipt === undefined) throw new UsageError('--receipt <dir> is required')
      if (values['rollup-anchor'] !== undefined && values.deployments !== undefined) throw new UsageError('pass either --rollup-anchor or --deployments')
      const ra = values['rollup-anchor'] as string | undefined
      if (ra !== undefined && !isAddress(ra, { strict: false })) throw new UsageError(`--rollup-anchor must be an address, got ${ra}`)
      const l1 = (values['l1-rpc'] as string | undefined) ?? DEVNET_L1_RPC_URL
      const r = await verifyItem({
        item: args[0],
        receipt: values.receipt as string,
        row: count(values, 'row', 0),
        path: values.path as string | undefined,
        l1,
        rollupAnchor: ra === undefined ? undefined : getAddress(ra),
        deployments: values.deployments as string | undefined,
        requireFinal: values['require-final'] === true,
      })
      const what = describe(r.item)
      const human = [
        r.valid ? `VALID: ${what} is item ${r.item.index} of dataset version ${r.datasetId} (root ${r.root}), anchored on L1` : `INVALID: ${what} is not proven part of dataset version ${r.datasetId} (root ${r.root})`,
        `  item sha256 ${r.item.sha256}; path to the dataset root ${r.itemInDataset ? 'holds' : 'does NOT hold'}`,
        ...(r.anchor === null ? [] : formatVerifyAnchorResult(r.anchor, l1).filter((l) => !l.startsWith('  reason:'))),
        ...r.reasons.map((x) => `  reason: ${x}`),
      ]
      print(human, r)
      return r.valid ? 0 : 1
    }
    // diff
    const { a, b, diff } = await diffReceipts(args[0], args[1], progress)
    const line = (sign: string, i: DatasetItem) => `  ${sign} ${describe(i)}`
    const sorted = <T>(list: T[], key: (t: T) => DatasetItem) => (a.kind === 'files' ? [...list].sort((x, y) => compareUtf8(describe(key(x)), describe(key(y)))) : list)
    print(
      [
        `from version ${a.datasetId} ${JSON.stringify(a.name)} (${a.itemCount} items, root ${a.root})`,
        `to   version ${b.datasetId} ${JSON.stringify(b.name)} (${b.itemCount} items, root ${b.root})${b.previous === a.datasetId && b.chainId === a.chainId ? `, which names ${a.datasetId} as its previous version` : ''}`,
        `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged} unchanged`,
        ...sorted(diff.added, (i) => i).map((i) => line('+', i)),
        ...sorted(diff.removed, (i) => i).map((i) => line('-', i)),
        ...sorted(diff.changed, (c) => c.after).map((c) => line('~', c.after)),
      ],
      { from: { datasetId: a.datasetId, root: a.root, chainId: a.chainId }, to: { datasetId: b.datasetId, root: b.root, chainId: b.chainId, previous: b.previous }, ...diff },
    )
    return 0
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, 2, error.showUsage)
    if (error instanceof DatasetInputError || error instanceof InvalidArgumentError) return fail(error.message, 2)
    if (error instanceof RefusedError) return fail(error.message, 1)
    if (error instanceof L1Error || error instanceof ConnectionError) return fail(error.message, 2)
    if (error instanceof AiRollupError) return fail(error.message, 2)
    return fail(`unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 2)
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
