/**
 * Anchoring data hashes through the L2 node's HTTP API, and checking them against L1 alone.
 *
 *   submitAnchors ──POST /v1/anchors──▶ node queue ─▶ L2 block ─▶ batch on L1 (pending → posted → final)
 *   getAnchor / listAnchors / waitForAnchor ◀──GET /v1/anchors──  the node's status and Merkle proof
 *   verifyAnchor: the proof or receipt checked on L1 (RollupAnchor.verifyAnchor and the root recomputed here)
 *
 * Two modes of anchoring: `onchain` (each hash in an L2 block, hence in the batch data on L1) and
 * `aggregate` (the node anchors one Merkle root per round of hashes; each hash gets a receipt, the
 * path hash → round root → the batch's anchor root). verifyAnchor takes either kind of document.
 *
 * The node is trusted for nothing: its proof is a claim that verifyAnchor checks against the L1
 * and the RollupAnchor address the caller trusts (from its deployments file).
 */
import { concat, createPublicClient, getAddress, hexToBytes, http, keccak256, sha256, type Address, type Hex, type PublicClient } from 'viem'
import { rollupAnchorAbi } from './abis.js'
import { AnchorApiError, AiRollupError, errorText, InvalidArgumentError, L1Error, WaitTimeoutError } from './errors.js'
import { DEVNET_L2_RPC_URL } from './chains.js'
import { duration, isoTime, l1Confirmations, sleep } from './format.js'

/** The API key the devnet (`npm start`) accepts; public, for the devnet only. */
export const DEV_ANCHOR_API_KEY = 'dev-anchor-key'
/** How long one L1 request may take, in ms, before the L1 counts as down. */
const L1_TIMEOUT_MS = 10_000
/** waitForAnchor's defaults, in ms. */
const WAIT_TIMEOUT_MS = 120_000
const WAIT_POLLING_MS = 1_000

/** pending: queued or in an L2 block not yet posted; posted: in a batch on L1; final: its challenge window has passed. */
export type AnchorState = 'pending' | 'posted' | 'final'

/** The `type` and `version` of the receipts this SDK reads (README "Receipts"). */
export const ANCHOR_RECEIPT_TYPE = 'ai-rollup-anchor-receipt'
export const ANCHOR_RECEIPT_VERSION = 1

/**
 * A receipt (version 1): everything needed to prove `hash` against L1 alone, and nothing that
 * changes once the batch is on L1. Save it; verifyAnchor checks it.
 */
export interface AnchorReceipt {
  type: typeof ANCHOR_RECEIPT_TYPE
  version: typeof ANCHOR_RECEIPT_VERSION
  hash: Hex
  /** Aggregate mode: the hash's path to its round's root (the value anchored on L2); null when the hash itself was anchored. */
  round: { index: number; root: Hex; size: number; leafIndex: number; proof: Hex[] } | null
  /** The anchored value's path to the batch's anchor root, which RollupAnchor holds on L1. */
  batch: { index: number; anchorRoot: Hex; leafIndex: number; proof: Hex[] }
  l1: { chainId: number; rollupAnchor: Address; txHash: Hex; blockNumber: number; submittedAt: number; finalAt: number }
  /** Where the anchored value entered the L2 (informative). */
  l2: { chainId: number; blockNumber: number; txHash: Hex }
}

/** The node's answer for one hash (`GET /v1/anchors/{hash}`, JSON-RPC `anchor_getProof`). */
export interface AnchorStatus {
  hash: Hex
  status: AnchorState
  /** `aggregate` for a hash submitted in aggregate mode; absent for one anchored on chain. */
  mode?: 'aggregate'
  /** Where the hash (aggregate mode: its round's root) was anchored on L2; null while it waits. */
  l2: { blockNumber: number; txHash: Hex; logIndex: number; submitter: Address } | null
  /** Aggregate mode: when the node accepted the hash (ISO 8601), and its round once closed (null before). */
  acceptedAt?: string
  round?: { index: number; root: Hex; size: number; closedAt: string } | null
  /** Present once posted: what verifyAnchor needs. */
  batchIndex?: number
  /** On-chain mode, once posted: the hash's own leaf and path in the batch's anchor tree. */
  anchorRoot?: Hex
  leaf?: Hex
  leafIndex?: number
  proof?: Hex[]
  l1?: { chainId: number; rollupAnchor: Address; txHash: Hex; blockNumber: number; submittedAt: number; finalAt: number }
  /** Once posted: L1 blocks that include the batch, its own counted, as the node last saw L1. */
  confirmations?: number
  /** Once posted: the receipt, the same in every answer for this hash. */
  receipt?: AnchorReceipt
}

/** One item of `GET /v1/anchors`: the status plus the key's first submission time (ISO 8601). */
export interface AnchorListItem extends AnchorStatus {
  submittedAt: string
}

export interface SubmitAnchorsResult {
  /** Hashes in the request. */
  accepted: number
  /** Hashes newly queued. */
  queued: number
  /** Hashes already queued or anchored (not anchored twice). */
  alreadyKnown: number
  status: 'pending'
  /** Present for an aggregate-mode submission. */
  mode?: 'aggregate'
}

/** `onchain` (default): each hash in the L2's data; `aggregate`: one Merkle root per round, a receipt per hash. */
export type AnchorMode = 'onchain' | 'aggregate'

export interface ListAnchorsParameters {
  /** Submissions at or after this time (a Date, ms since the epoch, or ISO 8601). */
  since?: Date | number | string
  status?: AnchorState
  /** Items per page, 1 to 1,000 (the node's default: 100). */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
}

export interface ListAnchorsResult {
  items: AnchorListItem[]
  /** Pass it as `cursor` for the next page; null at the end. */
  nextCursor: string | null
}

/** Where the node's anchoring API is, and the key to use. */
export interface AnchorClientConfig {
  /** The node's HTTP URL (the JSON-RPC port), default the devnet's http://127.0.0.1:9545. */
  url?: string
  /** API key for submitting and listing (reading one hash needs none). */
  apiKey?: string
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch
}

/**
 * The anchoring API bound to one node and key.
 * @example
 * const anchors = createAnchorClient({ url: 'http://127.0.0.1:9545', apiKey: 'dev-anchor-key' })
 * await anchors.submit([hash])
 * const posted = await anchors.waitFor(hash, { status: 'posted' })
 */
export function createAnchorClient(config: AnchorClientConfig = {}) {
  return {
    url: config.url ?? DEVNET_L2_RPC_URL,
    submit: (hashes: readonly Hex[], opts: { mode?: AnchorMode; encoding?: 'json' | 'binary' } = {}) => submitAnchors(config, { hashes, ...opts }),
    get: (hash: Hex) => getAnchor(config, hash),
    list: (params: ListAnchorsParameters = {}) => listAnchors(config, params),
    listAll: (params: Omit<ListAnchorsParameters, 'cursor'> = {}) => listAllAnchors(config, params),
    waitFor: (hash: Hex, params: Omit<WaitForAnchorParameters, 'hash'> = {}) => waitForAnchor(config, { hash, ...params }),
  }
}
export type AnchorClient = ReturnType<typeof createAnchorClient>

/** One request to the anchoring API; a non-2xx answer other than `allow` becomes an AnchorApiError. */
async function request<T>(config: AnchorClientConfig, method: 'GET' | 'POST', path: string, opts: { body?: unknown; bytes?: Uint8Array<ArrayBuffer>; auth: boolean; allow?: number }): Promise<T | undefined> {
  const url = `${(config.url ?? DEVNET_L2_RPC_URL).replace(/\/+$/, '')}${path}`
  const headers: Record<string, string> = {}
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.bytes !== undefined) headers['content-type'] = 'application/octet-stream'
  if (opts.auth) {
    if (config.apiKey === undefined) throw new InvalidArgumentError(`${method} ${path.split('?')[0]} needs an API key: pass apiKey`)
    headers.authorization = `Bearer ${config.apiKey}`
  }
  let res: Response
  try {
    res = await (config.fetch ?? fetch)(url, { method, headers, body: opts.bytes ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) })
  } catch (error) {
    throw new AiRollupError(`${method} ${url} failed: ${errorText(error).replace(' (is the L1 running?)', '')}`, { cause: error })
  }
  if (res.status === opts.allow) return undefined
  const text = await res.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = text
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
    throw new AnchorApiError(`${method} ${url}: HTTP ${res.status}${error?.message === undefined ? '' : `: ${error.message}`}`, res.status, error?.code, body)
  }
  return body as T
}

/**
 * Submits hashes for anchoring (`POST /v1/anchors`; 1 to 10,000 per call on chain, 50,000 in
 * aggregate mode). A hash already queued or anchored is accepted again without being anchored twice.
 * `encoding: 'binary'` sends the hashes as raw bytes (`application/octet-stream`, the mode in the
 * query): the same answer for a fraction of the work at volume.
 * @throws AnchorApiError (401 bad key, 400 malformed hash, 503 queue full).
 * @example
 * await submitAnchors({ url, apiKey: 'dev-anchor-key' }, { hashes: [sha256(toBytes('hello'))], mode: 'aggregate' })
 */
export async function submitAnchors(config: AnchorClientConfig, params: { hashes: readonly Hex[]; mode?: AnchorMode; encoding?: 'json' | 'binary' }): Promise<SubmitAnchorsResult> {
  if (params.encoding === 'binary') {
    // the hashes as raw bytes (n × 32): no hex for either side to write or parse
    const bytes = new Uint8Array(new ArrayBuffer(32 * params.hashes.length))
    params.hashes.forEach((hash, i) => {
      if (!BYTES32.test(hash)) throw new InvalidArgumentError(`hashes[${i}] is not a 0x-prefixed 32-byte hex string`)
      bytes.set(hexToBytes(hash), 32 * i)
    })
    const query = params.mode === undefined ? '' : `?mode=${encodeURIComponent(params.mode)}`
    return (await request<SubmitAnchorsResult>(config, 'POST', `/v1/anchors${query}`, { bytes, auth: true }))!
  }
  const body = params.mode === undefined ? { hashes: params.hashes } : { hashes: params.hashes, mode: params.mode }
  return (await request<SubmitAnchorsResult>(config, 'POST', '/v1/anchors', { body, auth: true }))!
}

/**
 * Where a hash stands, with its Merkle proof once posted (`GET /v1/anchors/{hash}`; no key
 * needed); null if the node never saw it.
 */
export async function getAnchor(config: AnchorClientConfig, hash: Hex): Promise<AnchorStatus | null> {
  return (await request<AnchorStatus>(config, 'GET', `/v1/anchors/${hash}`, { auth: false, allow: 404 })) ?? null
}

/** One page of the key's own submissions, newest first (`GET /v1/anchors?since=&status=&limit=&cursor=`). */
export async function listAnchors(config: AnchorClientConfig, params: ListAnchorsParameters = {}): Promise<ListAnchorsResult> {
  const query = new URLSearchParams()
  if (params.since !== undefined) query.set('since', params.since instanceof Date ? params.since.toISOString() : String(params.since))
  if (params.status !== undefined) query.set('status', params.status)
  if (params.limit !== undefined) query.set('limit', String(params.limit))
  if (params.cursor !== undefined) query.set('cursor', params.cursor)
  const q = query.toString()
  return (await request<ListAnchorsResult>(config, 'GET', `/v1/anchors${q === '' ? '' : `?${q}`}`, { auth: true }))!
}

/**
 * Every submission of the key matching `params`, page after page (each item once, newest first).
 * @example
 * for await (const item of listAllAnchors(config, { status: 'final' })) console.log(item.hash)
 */
export async function* listAllAnchors(config: AnchorClientConfig, params: Omit<ListAnchorsParameters, 'cursor'> = {}): AsyncGenerator<AnchorListItem> {
  let cursor: string | undefined
  do {
    const page = await listAnchors(config, { ...params, cursor })
    yield* page.items
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
}

export interface WaitForAnchorParameters {
  hash?: Hex
  /** What to wait for: `posted` (in a batch on L1; default) or `final` (its challenge window passed). */
  status?: 'posted' | 'final'
  /** Give up after this many ms (default 120,000). */
  timeoutMs?: number
  /** Poll every this many ms (default 1,000). */
  pollingIntervalMs?: number
  /** Called with each status read (null: the node does not know the hash yet). */
  onPoll?: (status: AnchorStatus | null) => void
}

/**
 * Polls `GET /v1/anchors/{hash}` until the hash is posted (or final, as asked). A hash the node
 * does not know is waited for too (it may come from a contract call not yet mined).
 * @throws WaitTimeoutError after `timeoutMs`, naming the last status.
 * @example
 * const status = await waitForAnchor({ url, apiKey }, { hash, status: 'final', timeoutMs: 120_000 })
 */
export async function waitForAnchor(config: AnchorClientConfig, params: WaitForAnchorParameters & { hash: Hex }): Promise<AnchorStatus> {
  const want = params.status ?? 'posted'
  const timeoutMs = params.timeoutMs ?? WAIT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const status = await getAnchor(config, params.hash)
    params.onPoll?.(status)
    if (status !== null && (status.status === 'final' || (want === 'posted' && status.status === 'posted'))) return status
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(`${params.hash} was not ${want} within ${timeoutMs} ms (last status: ${status?.status ?? 'unknown to the node'})`)
    }
    await sleep(Math.min(params.pollingIntervalMs ?? WAIT_POLLING_MS, Math.max(0, deadline - Date.now())))
  }
}

// ---- verification against L1 ----

/** What the verifier reads from a proof or a receipt (parseAnchorProof makes it of either). */
export interface AnchorProof {
  hash: Hex
  batchIndex: number
  /** The anchored value's path in the batch's anchor tree (the value: the round root, or the hash). */
  proof: Hex[]
  anchorRoot: Hex
  /** Aggregate mode: the hash's path to its round's root. */
  round?: { index: number; root: Hex; proof: Hex[] }
  /** Where the document says the batch is. For a receipt these are claims that must match the L1 checked; for a node's proof, only warnings. */
  l1?: { chainId?: number; rollupAnchor?: string }
  /** The document was a receipt (its version), not a bare proof. */
  receiptVersion?: number
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/

/**
 * Reads a proof document, naming the field that is wrong. Accepts a receipt (README "Receipts":
 * `{"type": "ai-rollup-anchor-receipt", "version": 1, ...}`, for a hash anchored on chain or in
 * aggregate mode), the node's answer (`GET /v1/anchors/{hash}`, an AnchorStatus: an aggregated
 * hash's `receipt`, an on-chain hash's own fields), or a bare proof (`hash`, `batchIndex`, `proof`, `anchorRoot`; and an
 * AnchorProof this function made, so reading twice changes nothing).
 * @param source Names the document in errors ("receipt.json").
 * @throws InvalidArgumentError
 */
export function parseAnchorProof(json: unknown, source = 'proof file'): AnchorProof {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidArgumentError(`${source} must hold a JSON object`)
  const raw = json as Record<string, unknown>
  if (raw.type !== undefined || raw.version !== undefined) return parseReceipt(raw, source)
  if (raw.status === 'pending') throw new InvalidArgumentError(`${source}: the hash is still pending, not in a batch on L1 yet: there is no proof to check (waitForAnchor first)`)
  // an aggregated hash's answer carries its proof in the receipt only; an on-chain one's fields are read as they are
  if (raw.mode === 'aggregate') {
    if (typeof raw.receipt !== 'object' || raw.receipt === null) throw new InvalidArgumentError(`${source}: an aggregated hash is proven by its receipt, and this answer has none`)
    return parseReceipt(raw.receipt as Record<string, unknown>, `${source} (its "receipt")`)
  }
  const proof: AnchorProof = {
    hash: bytes32(source, 'hash', raw.hash),
    batchIndex: index(source, 'batchIndex', raw.batchIndex),
    proof: path(source, 'proof', raw.proof),
    anchorRoot: bytes32(source, 'anchorRoot', raw.anchorRoot),
  }
  const l1 = raw.l1
  if (typeof l1 === 'object' && l1 !== null) {
    const { chainId, rollupAnchor } = l1 as Record<string, unknown>
    proof.l1 = {
      ...(typeof chainId === 'number' ? { chainId } : {}),
      ...(typeof rollupAnchor === 'string' ? { rollupAnchor } : {}),
    }
  }
  if (typeof raw.round === 'object' && raw.round !== null) {
    const round = raw.round as Record<string, unknown>
    proof.round = { index: index(source, 'round.index', round.index), root: bytes32(source, 'round.root', round.root), proof: path(source, 'round.proof', round.proof) }
  }
  if (raw.receiptVersion !== undefined) proof.receiptVersion = index(source, 'receiptVersion', raw.receiptVersion)
  return proof
}

/** A receipt's fields, each checked (the informative ones, l2 and the L1 transaction, are not needed to verify). */
function parseReceipt(raw: Record<string, unknown>, source: string): AnchorProof {
  if (raw.type !== ANCHOR_RECEIPT_TYPE) throw new InvalidArgumentError(`${source}: "type" must be "${ANCHOR_RECEIPT_TYPE}", got ${JSON.stringify(raw.type)}`)
  if (raw.version !== ANCHOR_RECEIPT_VERSION) throw new InvalidArgumentError(`${source}: receipt version ${JSON.stringify(raw.version)} is not one this SDK reads (it reads version ${ANCHOR_RECEIPT_VERSION}): upgrade @ai-rollup/sdk`)
  const object = (field: string, v: unknown): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${source}: "${field}" must be an object`)
    return v as Record<string, unknown>
  }
  const batch = object('batch', raw.batch)
  const l1 = object('l1', raw.l1)
  if (typeof l1.chainId !== 'number' || !Number.isSafeInteger(l1.chainId) || l1.chainId <= 0) throw new InvalidArgumentError(`${source}: "l1.chainId" must be a positive whole number, got ${JSON.stringify(l1.chainId)}`)
  if (typeof l1.rollupAnchor !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(l1.rollupAnchor)) throw new InvalidArgumentError(`${source}: "l1.rollupAnchor" must be an address, got ${JSON.stringify(l1.rollupAnchor)}`)
  const proof: AnchorProof = {
    hash: bytes32(source, 'hash', raw.hash),
    batchIndex: index(source, 'batch.index', batch.index),
    proof: path(source, 'batch.proof', batch.proof),
    anchorRoot: bytes32(source, 'batch.anchorRoot', batch.anchorRoot),
    l1: { chainId: l1.chainId, rollupAnchor: l1.rollupAnchor },
    receiptVersion: ANCHOR_RECEIPT_VERSION,
  }
  if (raw.round !== null) {
    const round = object('round', raw.round)
    proof.round = { index: index(source, 'round.index', round.index), root: bytes32(source, 'round.root', round.root), proof: path(source, 'round.proof', round.proof) }
  }
  return proof
}

/** Longest Merkle path accepted: a tree of 2^64 leaves. */
const MAX_PATH = 64

function bytes32(source: string, field: string, v: unknown): Hex {
  if (typeof v !== 'string' || !BYTES32.test(v)) throw new InvalidArgumentError(`${source}: "${field}" must be 0x and 32 bytes of hex, got ${JSON.stringify(v)?.slice(0, 80)}`)
  return v.toLowerCase() as Hex
}

function index(source: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${source}: "${field}" must be a whole number ≥ 0, got ${JSON.stringify(v)?.slice(0, 80)}`)
  return v
}

function path(source: string, field: string, v: unknown): Hex[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${source}: "${field}" must be an array of 32-byte hex strings`)
  if (v.length > MAX_PATH) throw new InvalidArgumentError(`${source}: "${field}" has ${v.length} entries, at most ${MAX_PATH}`)
  return v.map((p, i) => bytes32(source, `${field}[${i}]`, p))
}

/** keccak256(keccak256(abi.encode(value))) for a bytes32: abi.encode of a bytes32 is its 32 bytes. */
export function anchorLeaf(value: Hex): Hex {
  return keccak256(keccak256(value))
}

/** Folds a sorted-pair keccak256 Merkle proof onto a leaf (OpenZeppelin MerkleProof.processProof). */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  return proof.reduce<Hex>((node, sibling) => {
    const [lo, hi] = BigInt(node) <= BigInt(sibling) ? [node, sibling] : [sibling, node]
    return keccak256(concat([lo, hi]))
  }, leaf)
}

/** The hash to anchor for a document's bytes: SHA-256 (what the CLI checks by default) or keccak256. */
export function hashDocument(bytes: Uint8Array, alg: 'sha256' | 'keccak256' = 'sha256'): Hex {
  return alg === 'sha256' ? sha256(bytes) : keccak256(bytes)
}

export interface VerifyAnchorParameters {
  /** The L1: a JSON-RPC URL, or a viem public client of it. The only party trusted. */
  l1: string | PublicClient
  /** The RollupAnchor to trust (from the caller's deployments file, never from the proof). */
  rollupAnchor: Address
  /** The hash to check: the caller's own, never the proof's `hash`. */
  hash: Hex
  /** A receipt, the node's answer once posted (AnchorStatus), or their JSON (read by parseAnchorProof). */
  proof: AnchorProof | AnchorStatus | AnchorReceipt | unknown
  /** L1 chain id the caller expects (from the deployments file); another one is an L1Error. */
  expectedL1ChainId?: number
  /** Count a batch whose challenge window has not passed as invalid. */
  requireFinal?: boolean
  /** Count a batch with fewer L1 confirmations (its own block included) as invalid; default 1. */
  minConfirmations?: number
}

export interface VerifiedBatch {
  firstBlock: number
  lastBlock: number
  /** L1 block the batch was submitted in. */
  l1BlockNumber: number
  /** L1 timestamp of the submission, in seconds. */
  submittedAt: number
  /** Challenge window of the batch, in seconds. */
  challengeWindowSeconds: number
  /** When the batch is (or was) final: submittedAt + challengeWindowSeconds, in seconds. */
  finalAt: number
  /** RollupAnchor.isFinal at the L1 block read. */
  final: boolean
  /** L1 blocks that include the submission, its own counted, at the L1 block read. */
  confirmations: number
  anchorRoot: Hex
}

export interface VerifyAnchorResult {
  valid: boolean
  hash: Hex
  batchIndex: number
  rollupAnchor: Address
  l1ChainId: number
  /** The L1 block all reads were made at. */
  l1Block: { number: number; timestamp: number }
  /** Why the hash is not proven anchored; empty when valid. */
  reasons: string[]
  /** Things that do not change the verdict but deserve attention (the node names another contract, …). */
  warnings: string[]
  /** The value anchored in the batch's tree: the hash itself, or (aggregate mode) the round root its path leads to. */
  anchoredValue: Hex
  /** Aggregate mode: the hash's round, as the receipt names it. */
  round?: { index: number; root: Hex }
  checks: {
    /** The proof's `hash` equals the hash checked. */
    proofIsForHash: boolean
    /** A receipt names the L1 chain and the RollupAnchor checked (null for a bare proof, whose claims only warn). */
    receiptIsForThisL1: boolean | null
    /** batchIndex < batchCount() on L1. */
    batchExists: boolean
    /** RollupAnchor.verifyAnchor on L1 (null when the batch does not exist). */
    contractVerifies: boolean | null
    /** Locally recomputed root equals the batch's anchor root on L1 (null when the batch does not exist). */
    rootMatchesL1: boolean | null
  }
  /** The anchor root the proof (or receipt) leads to from this hash, computed here. */
  computedRoot: Hex
  /** The batch as L1 records it; absent when there is no such batch. */
  batch?: VerifiedBatch
}

/**
 * Checks on L1 alone that `hash` is anchored as `proof` (a receipt or the node's proof) says, all
 * reads at one L1 block:
 * 1. the proof is about the caller's hash (never taking the proof's own `hash` for it); a receipt
 *    names the L1 chain and the RollupAnchor being checked;
 * 2. the anchored value: the hash, or in aggregate mode the round root recomputed from the hash
 *    and the receipt's round path (same tree construction as below);
 * 3. the batch exists, and RollupAnchor.verifyAnchor(batchIndex, value, proof) is true;
 * 4. the root recomputed here (leaf keccak256(keccak256(value)), sorted-pair keccak256, as
 *    OpenZeppelin's StandardMerkleTree) equals the batch's anchor root on L1, so a contract that
 *    said yes to anything would still fail.
 * Resolves with the verdict and its reasons whenever the L1 answered.
 * @throws L1Error when the L1 did not answer, is another chain, or holds no contract at `rollupAnchor`.
 * @throws InvalidArgumentError for a malformed hash or proof.
 * @example
 * const r = await verifyAnchor({ l1: 'http://127.0.0.1:8545', rollupAnchor, hash, proof: await getAnchor(config, hash) })
 * if (r.valid) console.log(`anchored in batch ${r.batchIndex}, L1 block ${r.batch!.l1BlockNumber}`)
 */
export async function verifyAnchor(params: VerifyAnchorParameters): Promise<VerifyAnchorResult> {
  const hash = params.hash.toLowerCase() as Hex
  if (!BYTES32.test(hash)) throw new InvalidArgumentError(`the hash must be 0x and 32 bytes of hex, got ${params.hash}`)
  const rollupAnchor = getAddress(params.rollupAnchor)
  const file = parseAnchorProof(params.proof, 'the proof')
  const reasons: string[] = []
  const warnings: string[] = []

  const proofIsForHash = file.hash === hash
  if (!proofIsForHash) reasons.push(`the proof file is for ${file.hash}, not for the hash being checked (${hash})`)
  const isReceipt = file.receiptVersion !== undefined
  const contractMatches = file.l1?.rollupAnchor === undefined || file.l1.rollupAnchor.toLowerCase() === rollupAnchor.toLowerCase()
  if (!contractMatches) {
    if (isReceipt) reasons.push(`the receipt is for RollupAnchor ${file.l1!.rollupAnchor}, not the trusted ${rollupAnchor}`)
    else warnings.push(`the node claims the batch is in another contract (${file.l1!.rollupAnchor}); only the trusted RollupAnchor ${rollupAnchor} is checked`)
  }
  const anchoredValue = file.round === undefined ? hash : processProof(anchorLeaf(hash), file.round.proof)
  const computedRoot = processProof(anchorLeaf(anchoredValue), file.proof)

  const client = typeof params.l1 === 'string' ? createPublicClient({ transport: http(params.l1, { retryCount: 0, timeout: L1_TIMEOUT_MS }) }) : params.l1
  const l1Url = typeof params.l1 === 'string' ? params.l1 : ((params.l1.transport as { url?: string }).url ?? 'the L1')
  const ask = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      throw new L1Error(`${what} failed at ${l1Url}: ${l1ErrorText(error)}`, { cause: error })
    }
  }
  const l1ChainId = await ask('eth_chainId', () => client.getChainId())
  if (params.expectedL1ChainId !== undefined && l1ChainId !== params.expectedL1ChainId) {
    throw new L1Error(`the L1 at ${l1Url} is chain ${l1ChainId}, but RollupAnchor ${rollupAnchor} was deployed on chain ${params.expectedL1ChainId}`)
  }
  const chainMatches = file.l1?.chainId === undefined || file.l1.chainId === l1ChainId
  if (!chainMatches) {
    if (isReceipt) reasons.push(`the receipt is for L1 chain ${file.l1!.chainId}; the L1 checked is chain ${l1ChainId}`)
    else warnings.push(`the node claims the batch is on L1 chain ${file.l1!.chainId}; the L1 checked is chain ${l1ChainId}`)
  }
  const receiptIsForThisL1 = isReceipt ? contractMatches && chainMatches : null
  // Every read at one block, so that a batch posted or a block mined meanwhile cannot mix two states.
  const head = await ask('eth_getBlockByNumber', () => client.getBlock({ blockTag: 'latest' }))
  const blockNumber = head.number
  const l1Block = { number: Number(blockNumber), timestamp: Number(head.timestamp) }
  const code = await ask('eth_getCode', () => client.getCode({ address: rollupAnchor, blockNumber }))
  if (code === undefined || code === '0x') throw new L1Error(`there is no contract at ${rollupAnchor} on L1 chain ${l1ChainId} (${l1Url}): wrong --rollup-anchor, deployments file or L1?`)
  const read = <T>(functionName: 'batchCount' | 'getBatch' | 'isFinal' | 'verifyAnchor', args: readonly unknown[] = []) =>
    ask(`RollupAnchor.${functionName}`, () => client.readContract({ address: rollupAnchor, abi: rollupAnchorAbi, functionName, args, blockNumber } as never) as Promise<T>)

  const round = file.round && { index: file.round.index, root: file.round.root }
  const base = { hash, batchIndex: file.batchIndex, rollupAnchor, l1ChainId, l1Block, reasons, warnings, computedRoot, anchoredValue, ...(round && { round }) }
  const batchCount = await read<bigint>('batchCount')
  if (BigInt(file.batchIndex) >= batchCount) {
    reasons.push(
      batchCount === 0n
        ? `batch ${file.batchIndex} does not exist: RollupAnchor has no batches yet (the L2 may not have posted it yet)`
        : `batch ${file.batchIndex} does not exist: RollupAnchor has ${batchCount} batches (0 to ${batchCount - 1n}); the L2 may not have posted it yet`,
    )
    return { ...base, valid: false, checks: { proofIsForHash, receiptIsForThisL1, batchExists: false, contractVerifies: null, rootMatchesL1: null } }
  }
  const index = BigInt(file.batchIndex)
  const [raw, final, contractVerifies] = await Promise.all([
    read<{ firstBlock: bigint; lastBlock: bigint; submittedAt: bigint; l1BlockNumber: bigint; challengeWindow: bigint; anchorRoot: Hex }>('getBatch', [index]),
    read<boolean>('isFinal', [index]),
    read<boolean>('verifyAnchor', [index, anchoredValue, file.proof]),
  ])
  const anchorRoot = raw.anchorRoot.toLowerCase() as Hex
  const batch: VerifiedBatch = {
    firstBlock: Number(raw.firstBlock),
    lastBlock: Number(raw.lastBlock),
    l1BlockNumber: Number(raw.l1BlockNumber),
    submittedAt: Number(raw.submittedAt),
    challengeWindowSeconds: Number(raw.challengeWindow),
    finalAt: Number(raw.submittedAt + raw.challengeWindow),
    final,
    confirmations: base.l1Block.number - Number(raw.l1BlockNumber) + 1,
    anchorRoot,
  }
  const rootMatchesL1 = BigInt(anchorRoot) !== 0n && computedRoot === anchorRoot

  if (BigInt(anchorRoot) === 0n) {
    reasons.push(`batch ${file.batchIndex} anchored nothing (its anchor root on L1 is zero)`)
  } else if (!rootMatchesL1) {
    const contract = contractVerifies ? '' : ', and RollupAnchor.verifyAnchor returned false'
    reasons.push(
      computedRoot === file.anchorRoot
        ? `the proof leads to root ${computedRoot}, the one the proof file names, but batch ${file.batchIndex}'s anchor root on L1 is ${anchorRoot}${contract}: the proof belongs to another batch, or the node's data is wrong`
        : `the proof leads to root ${computedRoot}, but batch ${file.batchIndex}'s anchor root on L1 is ${anchorRoot}${contract}`,
    )
    if (contractVerifies) reasons.push(`RollupAnchor.verifyAnchor returned true although the root recomputed here differs from L1's: do not trust the contract at ${rollupAnchor}`)
  } else if (!contractVerifies) {
    reasons.push(`RollupAnchor.verifyAnchor returned false although the recomputed root matches L1's: the contract does not hash leaves as expected`)
  }
  if (rootMatchesL1 && file.round !== undefined && file.round.root !== anchoredValue) {
    warnings.push(`the receipt names round root ${file.round.root}, but the round path leads to ${anchoredValue} (which L1 holds: the receipt itself checks out)`)
  }
  if (rootMatchesL1 && file.anchorRoot !== anchorRoot) {
    warnings.push(`the proof file names anchor root ${file.anchorRoot}, but L1 records ${anchorRoot} for batch ${file.batchIndex} (the proof itself checks out)`)
  }
  const anchored = proofIsForHash && receiptIsForThisL1 !== false && contractVerifies && rootMatchesL1
  if (anchored && params.requireFinal === true && !final) {
    reasons.push(`batch ${file.batchIndex} is not final yet: its challenge window ends at ${isoTime(batch.finalAt)}`)
  }
  const deepEnough = batch.confirmations >= (params.minConfirmations ?? 1)
  if (anchored && !deepEnough) {
    reasons.push(`batch ${file.batchIndex} has ${l1Confirmations(batch.confirmations)}, fewer than the ${params.minConfirmations} asked for: an L1 reorg could still remove it`)
  }
  return { ...base, valid: anchored && deepEnough && (params.requireFinal !== true || final), checks: { proofIsForHash, receiptIsForThisL1, batchExists: true, contractVerifies, rootMatchesL1 }, batch }
}

/** What went wrong talking to L1, in one line: "connection refused" rather than viem's request dump. */
function l1ErrorText(error: unknown): string {
  const reason = revertedWith(error)
  if (reason !== undefined) return `reverted${reason === '' ? '' : ` with ${reason}`}: is this address a RollupAnchor?`
  return errorText(error)
}

/** The error name of a contract revert ('' when undecoded), undefined when the call did not revert. */
function revertedWith(error: unknown): string | undefined {
  for (let e = error as { name?: string; data?: { errorName?: string }; cause?: unknown } | undefined; e != null; e = e.cause as typeof e) {
    if (e.name === 'ContractFunctionRevertedError') return e.data?.errorName ?? ''
  }
  return undefined
}

/**
 * verifyAnchor's verdict as the CLI prints it, one line per string.
 * @example
 * for (const line of formatVerifyAnchorResult(await verifyAnchor(params), l1Url)) console.log(line)
 */
export function formatVerifyAnchorResult(r: VerifyAnchorResult, l1Url: string): string[] {
  const lines: string[] = []
  lines.push(r.valid ? `VALID: ${r.hash} is anchored in batch ${r.batchIndex}` : `INVALID: ${r.hash} is not proven anchored in batch ${r.batchIndex}`)
  if (r.round !== undefined) lines.push(`  aggregated: in round ${r.round.index}, whose root ${r.anchoredValue} is the value anchored in the batch`)
  lines.push(`  RollupAnchor ${r.rollupAnchor} on L1 chain ${r.l1ChainId} (${l1Url}), read at L1 block ${r.l1Block.number}`)
  const b = r.batch
  if (b !== undefined) {
    lines.push(`  batch ${r.batchIndex}: L2 blocks ${b.firstBlock}-${b.lastBlock}, submitted in L1 block ${b.l1BlockNumber} at ${isoTime(b.submittedAt)} (${l1Confirmations(b.confirmations)})`)
    lines.push(
      b.final
        ? `  final: yes, since ${isoTime(b.finalAt)} (challenge window ${duration(b.challengeWindowSeconds)})`
        : `  final: not yet; final at ${isoTime(b.finalAt)}, in ${duration(Math.max(0, b.finalAt - r.l1Block.timestamp))} of L1 time`,
    )
  }
  const mark = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'NO')
  const receipt = r.checks.receiptIsForThisL1 === null ? '' : ` receipt is for this L1 and contract ${mark(r.checks.receiptIsForThisL1)};`
  lines.push(`  checks: proof is for this hash ${mark(r.checks.proofIsForHash)};${receipt} batch exists ${mark(r.checks.batchExists)}; RollupAnchor.verifyAnchor ${mark(r.checks.contractVerifies)}; recomputed root = L1 anchor root ${mark(r.checks.rootMatchesL1)}`)
  for (const reason of r.reasons) lines.push(`  reason: ${reason}`)
  for (const warning of r.warnings) lines.push(`  warning: ${warning}`)
  return lines
}
