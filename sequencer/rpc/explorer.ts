/**
 * The block explorer's HTTP side, on the node's RPC port next to JSON-RPC (README "Explorer"):
 *
 *   GET /  /tx/<hash>  /block/<number|hash>  /address/<address>  /batch/<index>  /anchor[/<hash>]
 *       /models  /model/<id>          the pages: one HTML shell each, rendered in the browser by
 *                                     explorer/main.ts from the node's JSON-RPC; the path is checked
 *                                     here first, so a malformed one answers 400 and an unknown hash
 *                                     404, each with a friendly page (never a stack trace)
 *   GET /search?q=…                   redirects to the page of a hash, number or address; else 404
 *   GET /explorer/app.js, app.css     the page code (bundled by esbuild from explorer/ on the first
 *                                     request, kept in memory) and its style sheet
 *   GET /explorer/api/summary         the home page's poll: heads, latest blocks and transactions,
 *                                     the last minutes' activity, the batcher's status; computed
 *                                     once per new block however many pages are open
 *   GET /explorer/api/address/<a>/txs the address index (sequencer/store/address-index.ts), a page
 *   GET /explorer/api/model/<id>      a model's kind, its off-chain entry, its recent inference records
 *   GET /explorer/api/batch/<index>   a posted batch's raw transaction bytes (its compression)
 *   GET /explorer/api/block/<n>/batch the batch holding a block, null before it is posted
 *   GET /explorer/api/inference-counts inference records per model in the last blocks (models page)
 *
 * Everything a visitor can ask is bounded: pages of at most 100 rows, windows of at most
 * INFERENCE_WINDOW_BLOCKS blocks or ACTIVITY_MAX_BLOCKS blocks, a search string of at most 200
 * characters. Nothing here writes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createTxFromRLP } from '@ethereumjs/tx'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { INFERENCE_EVENT_TOPIC, INFERENCE_PRECOMPILE } from '../../precompiles/index.ts'
import type { Chain } from '../chain/chain.ts'
import type { ExplorerConfig } from '../config.ts'
import type { Logger } from '../log.ts'
import type { Store, TxRow } from '../store/store.ts'
import type { AddressIndex } from '../store/address-index.ts'

/** The repository's root: explorer/ holds the page code. */
const ROOT = join(__dirname, '..', '..')
const EXPLORER_DIR = join(ROOT, 'explorer')

/** Rows one page of a list holds at most (address transactions). */
export const EXPLORER_PAGE_MAX = 100
const EXPLORER_PAGE_DEFAULT = 25
/** Blocks back from the head in which a model's inference records are listed and counted. */
export const INFERENCE_WINDOW_BLOCKS = 10_000
/** Inference records read at most to count them: for all models (cached), and for one model (each visit); a count that reaches it shows as "at least". */
const INFERENCE_COUNT_LIMIT = 100_000
const MODEL_INFERENCE_COUNT_LIMIT = 10_000
/** Records a model page lists. */
const INFERENCE_RECORDS = 20
/** The home chart's window, in seconds, and the most blocks it holds. */
export const ACTIVITY_WINDOW_SECONDS = 300
export const ACTIVITY_MAX_BLOCKS = 600
/** Latest blocks and transactions on the home page. */
const LATEST = 10
/** The batcher's status is read at most this often (it runs a few sqlite aggregates). */
const BATCHER_STATUS_TTL_MS = 1_000
/** How long an address page waits for the address index to reach the head (it trails by ms; longer while it indexes an older data dir's history). */
const ADDRESS_INDEX_WAIT_MS = 2_000
/** A model list's inference counts are recounted at most this often. */
const INFERENCE_COUNTS_TTL_MS = 10_000

export interface ExplorerDeps {
  config: ExplorerConfig
  common: Common
  store: Pick<Store, 'getTx' | 'getBlockByHash' | 'getTxByPosition' | 'getRecentTxs' | 'getRecentLogs' | 'countLogsByTopic1' | 'txBytesIn'>
  addresses: Pick<AddressIndex, 'getAddressTxs' | 'caughtUp' | 'indexedThrough'>
  chain: Pick<Chain, 'headNumber' | 'headOf' | 'byNumber'>
  /** 'sequencer' or 'replica' (a replica has no batcher). */
  role: 'sequencer' | 'replica'
  blockTimeMs: number
  /** What the L1 side looks like to the pages: RollupAnchor's address and the L1 chain id, when the node has an L1. */
  l1: { rollupAnchor: string; chainId: number } | undefined
  /** The batcher's compression, on a sequencer posting to an L1. */
  compression: string | undefined
  batcherStatus: () => unknown
  /** A posted batch's blocks, undefined when L1 has no such batch (as far as this node knows). */
  batch: (index: number) => { firstBlock: number; lastBlock: number } | undefined
  /** The index of the posted batch holding L2 block `number`, undefined while it is not on L1. */
  batchCovering: (number: number) => number | undefined
  /** Whether the node knows the hash as anchored or queued. */
  anchorKnown: (hash: Uint8Array) => boolean
  /** The registry: a model's kind (0 none, 1 on-chain, 2 off-chain) and an off-chain model's entry. */
  modelKind: (id: `0x${string}`) => Promise<number>
  offchainModel: (id: `0x${string}`) => Promise<unknown>
  log: Logger
}

/** A transaction as the explorer's lists show it. */
export interface TxSummary {
  hash: string
  blockNumber: number
  txIndex: number
  from: string
  to: string | null
  contractAddress: string | null
  value: string
  status: number
  gasUsed: number
}

interface Problem {
  status: 400 | 404 | 500
  title: string
  message: string
}

const HASH = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const NUMBER = /^(0|[1-9][0-9]{0,14})$/
const SEARCH_MAX_CHARS = 200

/** The explorer: its routes for the node's server, and its home page for GET /. */
export function createExplorer(deps: ExplorerDeps): { routes: (app: FastifyInstance) => void; home: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> } {
  const assets = new Assets(deps.log)
  const summary = new SummaryCache(deps)
  const pageConfig = JSON.stringify({
    chainId: Number(deps.common.chainId()),
    role: deps.role,
    blockTimeMs: deps.blockTimeMs,
    l1RpcUrl: deps.config.l1RpcUrl ?? null,
    rollupAnchor: deps.l1?.rollupAnchor ?? null,
    l1ChainId: deps.l1?.chainId ?? null,
  }).replace(/</g, '\\u003c')

  const send = (reply: FastifyReply, page: string, arg: string, title: string, problem?: Problem) =>
    reply
      .code(problem?.status ?? 200)
      .headers(PAGE_HEADERS)
      .send(shell(page, arg, problem === undefined ? title : problem.title, pageConfig, problem))

  return {
    home: async (_req, reply) => send(reply, 'home', '', 'Home'),
    routes: (app) => registerRoutes(app),
  }

  function registerRoutes(app: FastifyInstance): void {
    /** A page route: `check` turns its parameter into a problem (400, 404) or nothing. */
    const page = (path: string, name: string, title: (arg: string) => string, check: (arg: string) => Problem | undefined | Promise<Problem | undefined>) => {
      app.get(path, async (req, reply) => {
        const arg = (req.params as { arg?: string }).arg ?? ''
        try {
          return send(reply, name, arg, title(arg), await check(arg))
        } catch (err) {
          deps.log.error(`explorer ${path} failed: ${(err as Error)?.stack ?? err}`)
          return send(reply, 'error', '', 'Something went wrong', { status: 500, title: 'Something went wrong', message: 'The node could not answer this page; its log says why. Try again in a moment.' })
        }
      })
    }

    page('/tx/:arg', 'tx', (a) => `Transaction ${a}`, (arg) => {
      if (!HASH.test(arg)) return bad('a transaction hash', arg, '0x and 64 hex digits')
      return deps.store.getTx(hexToBytes(arg as `0x${string}`)) === undefined ? missing('Transaction not found', `No transaction ${arg} is in a block of this chain (a transaction still in the pool shows here once it is mined).`) : undefined
    })
    page('/block/:arg', 'block', (a) => `Block ${a}`, (arg) => {
      if (NUMBER.test(arg)) return Number(arg) > deps.chain.headNumber ? missing('Block not found', `Block ${arg} is not sealed yet: the chain is at block ${deps.chain.headNumber}.`) : undefined
      if (!HASH.test(arg)) return bad('a block number or hash', arg, 'a whole number, or 0x and 64 hex digits')
      const row = deps.store.getBlockByHash(hexToBytes(arg as `0x${string}`))
      return row === undefined || row.number > deps.chain.headNumber ? missing('Block not found', `No block of this chain has the hash ${arg}.`) : undefined
    })
    page('/address/:arg', 'address', (a) => `Address ${a}`, (arg) => (ADDRESS.test(arg) ? undefined : bad('an address', arg, '0x and 40 hex digits')))
    page('/batch/:arg', 'batch', (a) => `Batch ${a}`, (arg) => {
      if (!NUMBER.test(arg)) return bad('a batch index', arg, 'a whole number')
      return deps.batch(Number(arg)) === undefined ? missing('Batch not found', `This node knows no batch ${arg} on L1${deps.l1 === undefined ? ' (it has no L1)' : ''}.`) : undefined
    })
    page('/anchor', 'anchor', () => 'Anchor lookup', () => undefined)
    page('/anchor/:arg', 'anchor', (a) => `Anchor ${a}`, (arg) => {
      if (!HASH.test(arg)) return bad('an anchored hash', arg, '0x and 64 hex digits')
      return deps.anchorKnown(hexToBytes(arg as `0x${string}`)) ? undefined : missing('Hash not anchored', `This node never received ${arg} for anchoring: it is in no block and not in the queue.`)
    })
    page('/models', 'models', () => 'Models', () => undefined)
    page('/model/:arg', 'model', (a) => `Model ${a}`, async (arg) => {
      if (!HASH.test(arg)) return bad('a model id', arg, '0x and 64 hex digits (the keccak256 of the model)')
      return (await deps.modelKind(arg.toLowerCase() as `0x${string}`)) === 0 ? missing('Model not found', `No model ${arg} is registered in the ModelRegistry.`) : undefined
    })

    app.get('/search', async (req, reply) => {
      const raw = (req.query as { q?: unknown }).q
      const q = typeof raw === 'string' ? raw.trim() : ''
      let target: string | undefined
      try {
        target = q.length > SEARCH_MAX_CHARS ? undefined : await searchTarget(deps, q)
      } catch (err) {
        deps.log.error(`explorer search failed: ${(err as Error)?.stack ?? err}`)
        return send(reply, 'error', '', 'Something went wrong', { status: 500, title: 'Something went wrong', message: 'The node could not run this search; its log says why. Try again in a moment.' })
      }
      if (target !== undefined) return reply.redirect(target, 302)
      const shown = q.length > 80 ? `${q.slice(0, 80)}…` : q
      return send(reply, 'error', '', 'Not found', {
        status: 404,
        title: 'Not found',
        message:
          q === ''
            ? 'Type a transaction or block hash, a block number, an address, an anchored hash, a model id, or "batch N".'
            : `Nothing on this chain matches "${shown}". Search takes a transaction or block hash, a block number, an address, an anchored hash, a model id, or "batch N".`,
      })
    })

    // ---- assets ----
    app.get('/explorer/app.js', async (req, reply) => assets.serve(req, reply, 'app.js'))
    app.get('/explorer/app.css', async (req, reply) => assets.serve(req, reply, 'app.css'))

    // ---- the pages' own data ----
    app.get('/explorer/api/summary', async (req, reply) => {
      const since = Number((req.query as { since?: string }).since ?? -1)
      return reply.headers(API_HEADERS).send(summary.get(Number.isSafeInteger(since) ? since : -1))
    })

    app.get('/explorer/api/address/:address/txs', async (req, reply) => {
      const { address } = req.params as { address: string }
      const query = req.query as { before?: string; limit?: string }
      if (!ADDRESS.test(address)) return apiError(reply, 400, `not an address: ${clip(address)} (0x and 40 hex digits)`)
      const limit = query.limit === undefined ? EXPLORER_PAGE_DEFAULT : Number(query.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > EXPLORER_PAGE_MAX) return apiError(reply, 400, `limit must be 1 to ${EXPLORER_PAGE_MAX}`)
      let before = { blockNumber: Number.MAX_SAFE_INTEGER, txIndex: 0 }
      if (query.before !== undefined) {
        const m = /^(\d{1,15})\.(\d{1,9})$/.exec(query.before)
        if (m === null) return apiError(reply, 400, 'before must be <block>.<index>, as the previous page\'s "next" gives it')
        before = { blockNumber: Number(m[1]), txIndex: Number(m[2]) }
      }
      // the index trails the chain by its thread's turn: the page waits for the head it was asked at
      const head = deps.chain.headNumber
      await deps.addresses.caughtUp(head, ADDRESS_INDEX_WAIT_MS)
      const places = deps.addresses.getAddressTxs(hexToBytes(address as `0x${string}`), before, limit + 1)
      const rows = places.slice(0, limit).flatMap((p) => deps.store.getTxByPosition(p.blockNumber, p.txIndex) ?? [])
      const last = rows.at(-1)
      return reply.headers(API_HEADERS).send({
        transactions: rows.map((r) => summarize(deps.common, r)),
        next: places.length > limit && last !== undefined ? `${last.blockNumber}.${last.txIndex}` : null,
        indexedThrough: deps.addresses.indexedThrough(),
        head,
      })
    })

    const inferenceCounts = new TtlCache(INFERENCE_COUNTS_TTL_MS, () => {
      const head = deps.chain.headNumber
      const fromBlock = Math.max(0, head - INFERENCE_WINDOW_BLOCKS + 1)
      const { counts, partial } = deps.store.countLogsByTopic1({ ...inferenceQuery(fromBlock, head), limit: INFERENCE_COUNT_LIMIT })
      return { fromBlock, toBlock: head, partial, counts: Object.fromEntries([...counts].map(([k, n]) => [`0x${k}`, n])) }
    })
    app.get('/explorer/api/inference-counts', async (_req, reply) => reply.headers(API_HEADERS).send(inferenceCounts.get()))

    app.get('/explorer/api/model/:id', async (req, reply) => {
      const { id } = req.params as { id: string }
      if (!HASH.test(id)) return apiError(reply, 400, `not a model id: ${clip(id)} (0x and 64 hex digits)`)
      const modelId = id.toLowerCase() as `0x${string}`
      const kind = await deps.modelKind(modelId)
      if (kind === 0) return apiError(reply, 404, `no model ${modelId} is registered`)
      const head = deps.chain.headNumber
      const fromBlock = Math.max(0, head - INFERENCE_WINDOW_BLOCKS + 1)
      const { logs, count } = deps.store.getRecentLogs({ ...inferenceQuery(fromBlock, head, hexToBytes(modelId)), limit: INFERENCE_RECORDS }, MODEL_INFERENCE_COUNT_LIMIT)
      return reply.headers(API_HEADERS).send({
        modelId,
        kind: kind === 1 ? 'onchain' : 'offchain',
        offchain: kind === 2 ? jsonSafe(await deps.offchainModel(modelId)) : null,
        inferences: {
          fromBlock,
          toBlock: head,
          count,
          countIsPartial: count >= MODEL_INFERENCE_COUNT_LIMIT,
          records: logs.map((l) => ({
            txHash: bytesToHex(deps.store.getTxByPosition(l.blockNumber, l.txIndex)?.hash ?? new Uint8Array(32)),
            blockNumber: l.blockNumber,
            logIndex: l.logIndex,
            inputHash: bytesToHex(l.data.subarray(0, 32)),
            outputHash: bytesToHex(l.data.subarray(32, 64)),
          })),
        },
      })
    })

    app.get('/explorer/api/block/:number/batch', async (req, reply) => {
      const { number } = req.params as { number: string }
      if (!NUMBER.test(number)) return apiError(reply, 400, `not a block number: ${clip(number)}`)
      return reply.headers(API_HEADERS).send({ batchIndex: deps.batchCovering(Number(number)) ?? null })
    })

    app.get('/explorer/api/batch/:index', async (req, reply) => {
      const { index } = req.params as { index: string }
      if (!NUMBER.test(index)) return apiError(reply, 400, `not a batch index: ${clip(index)}`)
      const b = deps.batch(Number(index))
      if (b === undefined) return apiError(reply, 404, `no batch ${index}`)
      return reply.headers(API_HEADERS).send({ batchIndex: Number(index), firstBlock: b.firstBlock, lastBlock: b.lastBlock, txBytes: deps.store.txBytesIn(b.firstBlock, b.lastBlock), compression: deps.compression ?? null })
    })

    // other GET paths a browser asks for get a friendly 404 page (API clients keep fastify's JSON 404)
    app.setNotFoundHandler(async (req, reply) => {
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        return send(reply, 'error', '', 'Not found', { status: 404, title: 'Page not found', message: `This node serves no page at ${clip(req.url)}. The explorer's pages are /tx/…, /block/…, /address/…, /batch/…, /anchor/…, /models and /model/….` })
      }
      return reply.code(404).send({ message: `Route ${req.method}:${clip(req.url)} not found`, error: 'Not Found', statusCode: 404 })
    })
  }
}

/** Where a search goes: the page of what `q` names on this chain, or undefined. */
async function searchTarget(deps: ExplorerDeps, q: string): Promise<string | undefined> {
  if (NUMBER.test(q)) return Number(q) <= deps.chain.headNumber ? `/block/${q}` : undefined
  if (ADDRESS.test(q)) return `/address/${q}`
  const batch = /^batch\s*#?\s*(\d{1,15})$/i.exec(q)
  if (batch !== null) return deps.batch(Number(batch[1])) === undefined ? undefined : `/batch/${Number(batch[1])}`
  if (!HASH.test(q)) return undefined
  const bytes = hexToBytes(q as `0x${string}`)
  if (deps.store.getTx(bytes) !== undefined) return `/tx/${q}`
  const block = deps.store.getBlockByHash(bytes)
  if (block !== undefined && block.number <= deps.chain.headNumber) return `/block/${q}`
  if (deps.anchorKnown(bytes)) return `/anchor/${q}`
  if ((await deps.modelKind(q.toLowerCase() as `0x${string}`)) !== 0) return `/model/${q}`
  return undefined
}

function inferenceQuery(fromBlock: number, toBlock: number, modelId?: Uint8Array) {
  return {
    fromBlock,
    toBlock,
    addresses: [hexToBytes(INFERENCE_PRECOMPILE)],
    topics: [[hexToBytes(INFERENCE_EVENT_TOPIC as `0x${string}`)], modelId === undefined ? null : [modelId]],
  }
}

/** A stored transaction as the lists show it (its raw encoding decoded; the sender is stored). */
function summarize(common: Common, row: TxRow): TxSummary {
  const tx = createTxFromRLP(row.raw, { common })
  return {
    hash: bytesToHex(row.hash),
    blockNumber: row.blockNumber,
    txIndex: row.txIndex,
    from: bytesToHex(row.sender),
    to: tx.to === undefined ? null : tx.to.toString(),
    contractAddress: row.contractAddress === null ? null : bytesToHex(row.contractAddress),
    value: tx.value.toString(),
    status: row.status,
    gasUsed: row.gasUsed,
  }
}

/**
 * The home page's data, computed once per new head (and the batcher's status once a second), so
 * that any number of open pages cost the node one computation per block.
 */
class SummaryCache {
  private head = -1
  private latest: { blocks: unknown[]; transactions: TxSummary[] } = { blocks: [], transactions: [] }
  /** Block figures of the chart's window, oldest first. */
  private activity: { number: number; timestamp: number; txCount: number; gasUsed: number }[] = []
  private readonly batcher: TtlCache<unknown>

  constructor(private readonly deps: ExplorerDeps) {
    this.batcher = new TtlCache(BATCHER_STATUS_TTL_MS, () => deps.batcherStatus())
  }

  get(since: number) {
    this.refresh()
    const { chain } = this.deps
    return {
      heads: { unsafe: chain.headNumber, safe: chain.headOf('safe'), finalized: chain.headOf('finalized') },
      blocks: this.latest.blocks,
      transactions: this.latest.transactions,
      activity: since < 0 ? this.activity : this.activity.filter((a) => a.number > since),
      activityWindowSeconds: ACTIVITY_WINDOW_SECONDS,
      batcher: this.batcher.get() ?? null,
    }
  }

  private refresh(): void {
    const head = this.deps.chain.headNumber
    if (head === this.head) return
    if (head < this.head) this.activity = [] // rewound (a replica): start the window again
    const last = this.activity.at(-1)?.number ?? -1
    const first = Math.max(last + 1, head - ACTIVITY_MAX_BLOCKS + 1, 0)
    for (let n = first; n <= head; n++) {
      const b = this.deps.chain.byNumber(n)
      if (b !== undefined) this.activity.push({ number: n, timestamp: Number(b.header.timestamp), txCount: b.row.txCount, gasUsed: Number(b.header.gasUsed) })
    }
    const newest = this.activity.at(-1)?.timestamp ?? 0
    const keepFrom = this.activity.findIndex((a) => a.timestamp > newest - ACTIVITY_WINDOW_SECONDS && a.number > head - ACTIVITY_MAX_BLOCKS)
    this.activity = keepFrom <= 0 ? this.activity : this.activity.slice(keepFrom)
    const blocks = []
    for (let n = head; n >= 0 && n > head - LATEST; n--) {
      const b = this.deps.chain.byNumber(n)
      if (b !== undefined) blocks.push({ number: n, hash: bytesToHex(b.row.hash), timestamp: Number(b.header.timestamp), txCount: b.row.txCount, gasUsed: Number(b.header.gasUsed) })
    }
    this.latest = { blocks, transactions: this.deps.store.getRecentTxs(head, LATEST).map((r) => summarize(this.deps.common, r)) }
    this.head = head
  }
}

class TtlCache<T> {
  private value: T | undefined
  private at = 0

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => T,
  ) {}

  get(): T {
    const now = Date.now()
    if (this.value === undefined || now - this.at >= this.ttlMs) {
      this.value = this.compute()
      this.at = now
    }
    return this.value
  }
}

/**
 * The page code and style sheet. The code is bundled by esbuild from explorer/main.ts on the
 * first request (about a second, once per process) and kept in memory: no build step, nothing
 * written, and a node whose pages nobody opens never pays for it.
 */
class Assets {
  private built: Promise<Asset> | undefined
  private css: Promise<Asset> | undefined

  constructor(private readonly log: Logger) {}

  async serve(req: FastifyRequest, reply: FastifyReply, name: 'app.js' | 'app.css'): Promise<unknown> {
    let asset
    try {
      asset = await (name === 'app.js' ? (this.built ??= this.bundle()) : (this.css ??= readFile(join(EXPLORER_DIR, 'style.css'), 'utf8').then(withEtag)))
    } catch (err) {
      if (name === 'app.js') this.built = undefined
      else this.css = undefined
      this.log.error(`explorer: ${name} could not be built: ${(err as Error)?.message ?? err}`)
      return reply.code(500).type('text/plain').send(`the explorer's ${name} could not be built; the node's log says why`)
    }
    reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding')
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    reply.type(name === 'app.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8')
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(asset.gzip)
    return reply.send(asset.body)
  }

  private async bundle(): Promise<Asset> {
    const started = Date.now()
    const { build } = await import('esbuild')
    const result = await build({
      entryPoints: [join(EXPLORER_DIR, 'main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
      // '@ai-rollup/sdk' from its sources, as tsconfig.json's paths say
      tsconfig: join(ROOT, 'tsconfig.json'),
    })
    const body = result.outputFiles[0].text
    this.log.info(`explorer: page code bundled in ${Date.now() - started} ms (${Math.round(body.length / 1024)} kB)`)
    return withEtag(body)
  }
}

interface Asset {
  body: string
  /** The same, gzipped once (the bundle is ~434 kB, ~131 kB gzipped). */
  gzip: Buffer
  etag: string
}

function withEtag(body: string): Asset {
  let h = 2166136261
  for (let i = 0; i < body.length; i++) h = Math.imul(h ^ body.charCodeAt(i), 16777619)
  return { body, gzip: gzipSync(body), etag: `"${(h >>> 0).toString(16)}-${body.length.toString(16)}"` }
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  // scripts and styles from this node only; the pages talk to this node and to the L1 URL the visitor picks
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src *; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}
const API_HEADERS = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }

function bad(what: string, arg: string, shape: string): Problem {
  return { status: 400, title: 'Not a valid request', message: `"${clip(arg)}" is not ${what}: expected ${shape}.` }
}

function missing(title: string, message: string): Problem {
  return { status: 404, title, message }
}

function apiError(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).headers(API_HEADERS).send({ error: { code: status === 404 ? 'not_found' : 'bad_request', message } })
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s
}

/** bigints as decimal strings (the registry's entries hold uint256 fields). */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)))
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * One page: the header with the search box, the main element the page code renders into (or the
 * problem, rendered here, when the path was bad), the node's settings for the page code.
 */
function shell(page: string, arg: string, title: string, config: string, problem?: Problem): string {
  const body =
    problem === undefined
      ? '<p class="loading">Loading…</p><noscript><p>The explorer renders its pages with JavaScript; the JSON-RPC API on this port answers without it.</p></noscript>'
      : `<section class="problem"><h1>${escapeHtml(problem.title)}</h1><p>${escapeHtml(problem.message)}</p><p><a href="/">Back to the latest blocks</a> or search above.</p></section>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ai-rollup explorer</title>
<link rel="stylesheet" href="/explorer/app.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/">ai-rollup <span>explorer</span></a>
  <nav><a href="/">Blocks</a><a href="/models">Models</a><a href="/anchor">Anchors</a></nav>
  <form class="search" action="/search" method="get" role="search">
    <input name="q" type="search" placeholder="Tx or block hash, block number, address, anchored hash, model id, batch N" aria-label="Search" maxlength="${SEARCH_MAX_CHARS}">
    <button type="submit">Search</button>
  </form>
</header>
<main id="main" data-page="${problem === undefined ? escapeHtml(page) : 'error'}" data-arg="${escapeHtml(arg)}" data-status="${problem?.status ?? 200}">${body}</main>
<script id="explorer-config" type="application/json">${config}</script>
<script src="/explorer/app.js" defer></script>
</body>
</html>
`
}
