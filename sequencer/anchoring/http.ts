/**
 * The enterprise anchoring API, served on the node's HTTP port next to JSON-RPC:
 *
 *   POST /v1/anchors        {"hashes": ["0x<32 bytes>", ...], "mode": "onchain" | "aggregate"}
 *                            (API key required; onchain, the default: 1 to 10,000 hashes, each
 *                            anchored in an L2 block; aggregate: 1 to 50,000, anchored as one
 *                            Merkle root per round, rounds.ts); or, for volume, the same hashes
 *                            as raw bytes: `Content-Type: application/octet-stream`, the body
 *                            n × 32 bytes, the mode in the query (`?mode=aggregate`)
 *   GET  /v1/anchors/{hash}  status, and once posted the batch, L1 transaction, Merkle proof and
 *                            receipt (receipts.ts)
 *   GET  /v1/anchors?since=&status=&limit=&cursor=   the calling key's own submissions, newest
 *                            first, each with the status above (API key required)
 *   GET  /v1/anchors/events  WebSocket: the calling key's submissions pushed as their status
 *                            changes (events.ts; API key required)
 *
 * The key goes in `Authorization: Bearer <key>` or `X-API-Key: <key>`. Reads of one hash are
 * public: a proof is checkable by anyone against L1 and discloses nothing beyond the hash asked
 * about. The list is not: which hashes a key submitted is that key's business only.
 * A 202 from POST means the hashes are in sqlite: they survive a crash and will be anchored.
 * Errors are JSON `{"error": {"code", "message", ...}}` with a 4xx/5xx status.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AnchorQueueFullError, AnchorSubmissionsClosedError, MAX_HASHES_PER_CALL, parseHash } from './queue.ts'
import { AggregationUnavailableError } from './rounds.ts'

/** POST /v1/anchors's modes: each hash in the L2's data, or one root per round for many. */
export const ANCHOR_MODES = ['onchain', 'aggregate'] as const
export type AnchorMode = (typeof ANCHOR_MODES)[number]
/** Most hashes in one aggregate-mode request: about 3.5 MB of JSON, within the node's 5 MiB body limit. */
export const MAX_AGGREGATE_HASHES_PER_REQUEST = 50_000

/** What a submission needs from the queue (onchain) or the aggregation (aggregate). */
export interface AnchorSubmitter {
  /** `keyId`: a digest of the submitting key, recorded with the hashes in the same transaction. */
  submit(hashes: Uint8Array[], keyId: Uint8Array): { added: number; known: number } | Promise<{ added: number; known: number }>
}

/** Hashes validated between two turns of the event loop (a 50,000-hash request is ten turns, not one long one). */
const VALIDATE_STEP = 5_000

/** A key's recorded submissions, newest first (AnchorStore.anchorSubmissions). */
export type SubmissionPager = (keyId: Uint8Array, page: { before: Position; since: number; limit: number }) => (Position & { hash: Uint8Array })[]

/** Where a walk stands: the last submission returned (newest first by time, then insertion). */
interface Position {
  submittedAt: number
  seq: number
}

const HASH_HEX = /^0x[0-9a-fA-F]{64}$/

/** GET /v1/anchors: items per page by default, and the most a request may ask for. */
export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 1_000
/** Most submissions one list request examines when filtering by status (a page may come back short). */
export const MAX_LIST_SCAN = 10_000
const LIST_STATUSES = ['pending', 'posted', 'final']

export interface AnchorApiOptions {
  queue: AnchorSubmitter
  /** Takes `"mode": "aggregate"` submissions. */
  aggregator: AnchorSubmitter
  /** Status of one hash (undefined: never seen). */
  lookup(hash: Uint8Array): { hash: string; status: string } | undefined
  /** The calling key's submissions, for GET /v1/anchors. */
  submissions: SubmissionPager
  /** Accepted API keys; with none configured every submission is refused. */
  apiKeys: string[]
  /** Most hashes in one request, per mode. */
  maxHashes?: number
  maxAggregateHashes?: number
}

export function registerAnchorRoutes(app: FastifyInstance, opts: AnchorApiOptions): void {
  const maxHashes = opts.maxHashes ?? MAX_HASHES_PER_CALL
  const maxAggregateHashes = opts.maxAggregateHashes ?? MAX_AGGREGATE_HASHES_PER_REQUEST
  const authenticate = authenticator(opts.apiKeys)

  app.post('/v1/anchors', async (req, reply) => {
    const keyId = authenticate(req, reply)
    if (keyId === undefined) return reply

    const parsed = Buffer.isBuffer(req.body) ? await parseBinary(req.body, (req.query as Record<string, unknown>)?.mode) : await parseJson(req.body)
    if ('error' in parsed) {
      const { status, code, message, ...extra } = parsed.error
      return fail(reply, status, code, message, extra)
    }
    const { hashes, mode } = parsed

    try {
      if (mode === 'aggregate') {
        const { added, known } = await opts.aggregator.submit(hashes, keyId)
        return reply.code(202).send({ accepted: hashes.length, queued: added, alreadyKnown: known, status: 'pending', mode })
      }
      const { added, known } = await opts.queue.submit(hashes, keyId)
      return reply.code(202).send({ accepted: hashes.length, queued: added, alreadyKnown: known, status: 'pending' })
    } catch (err) {
      if (err instanceof AnchorQueueFullError) return fail(reply, 503, 'queue_full', err.message, { 'retry-after': '5' })
      if (err instanceof AggregationUnavailableError) return fail(reply, 503, 'aggregation_unavailable', err.message)
      if (err instanceof AnchorSubmissionsClosedError) return fail(reply, 403, 'not_sequencer', err.message)
      throw err
    }
  })

  app.get<{ Querystring: Record<string, unknown> }>('/v1/anchors', async (req, reply) => {
    const keyId = authenticate(req, reply)
    if (keyId === undefined) return reply
    const q = req.query ?? {}

    let since = 0
    if (q.since !== undefined) {
      const parsed = parseTime(q.since)
      if (parsed === undefined) return fail(reply, 400, 'invalid_since', '"since" must be milliseconds since the epoch or an ISO 8601 time, e.g. 2026-12-03T05:40:00Z')
      since = parsed
    }
    let status: string | undefined
    if (q.status !== undefined) {
      if (typeof q.status !== 'string' || !LIST_STATUSES.includes(q.status)) return fail(reply, 400, 'invalid_status', `"status" must be one of ${LIST_STATUSES.join(', ')}`)
      status = q.status
    }
    let limit = DEFAULT_LIST_LIMIT
    if (q.limit !== undefined) {
      if (typeof q.limit !== 'string' || !/^[0-9]{1,9}$/.test(q.limit) || Number(q.limit) < 1) return fail(reply, 400, 'invalid_limit', `"limit" must be an integer from 1 to ${MAX_LIST_LIMIT}`, { max: MAX_LIST_LIMIT })
      limit = Number(q.limit)
      if (limit > MAX_LIST_LIMIT) return fail(reply, 400, 'limit_too_large', `"limit" is ${limit}, at most ${MAX_LIST_LIMIT}`, { max: MAX_LIST_LIMIT })
    }
    let position: Position = { submittedAt: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER }
    if (q.cursor !== undefined) {
      const decoded = decodeCursor(q.cursor)
      if (decoded === undefined) return fail(reply, 400, 'invalid_cursor', '"cursor" must be a nextCursor returned by this endpoint')
      position = decoded
    }

    // newest first; with a status filter, examine at most MAX_LIST_SCAN submissions per request
    const items: Record<string, unknown>[] = []
    let scanned = 0
    let exhausted = false
    while (items.length < limit && scanned < MAX_LIST_SCAN) {
      const want = Math.min(status === undefined ? limit - items.length : 500, MAX_LIST_SCAN - scanned)
      const rows = opts.submissions(keyId, { before: position, since, limit: want })
      let full = false
      for (const row of rows) {
        scanned++
        position = { submittedAt: row.submittedAt, seq: row.seq }
        const found = opts.lookup(row.hash) ?? { hash: bytesToHex(row.hash), status: 'pending', l2: null }
        if (status !== undefined && found.status !== status) continue
        const { hash, ...rest } = found
        items.push({ hash, submittedAt: new Date(row.submittedAt).toISOString(), ...rest })
        if (items.length === limit) {
          full = rows.at(-1) !== row
          break
        }
      }
      if (rows.length < want && !full) {
        exhausted = true
        break
      }
    }
    if (!exhausted && opts.submissions(keyId, { before: position, since, limit: 1 }).length === 0) exhausted = true
    return reply.send({ items, nextCursor: exhausted ? null : encodeCursor(position) })
  })

  app.get<{ Params: { hash: string } }>('/v1/anchors/:hash', async (req, reply) => {
    const hash = parseHash(req.params.hash)
    if (hash === undefined) return fail(reply, 400, 'invalid_hash', 'the path must end in a 0x-prefixed 32-byte hex string')
    const status = opts.lookup(hash)
    if (status === undefined) return fail(reply, 404, 'not_found', 'this hash was never anchored through this node')
    return reply.send(status)
  })

  type Parsed = { hashes: Uint8Array[]; mode: AnchorMode } | { error: { status: number; code: string; message: string; [field: string]: unknown } }
  const invalid = (code: string, message: string, extra: Record<string, unknown> = {}): Parsed => ({ error: { status: 400, code, message, ...extra } })

  /** The mode, checked before anything else; `where` names it in the error. */
  function checkMode(mode: unknown, where: string): Parsed | undefined {
    if (ANCHOR_MODES.includes(mode as AnchorMode)) return undefined
    return invalid('invalid_mode', `${where} must be "onchain" (the default) or "aggregate", got ${JSON.stringify(mode)?.slice(0, 40)}`)
  }

  /** The hash count, checked before any hash is looked at. */
  function checkCount(mode: AnchorMode, count: number, empty: string): Parsed | undefined {
    if (count === 0) return invalid('no_hashes', empty)
    const max = mode === 'aggregate' ? maxAggregateHashes : maxHashes
    if (count > max) return invalid('too_many_hashes', `${count} hashes, at most ${max} per request in ${mode} mode`, { max })
    return undefined
  }

  /**
   * Refuses the zero hash and a repeated one, as a request's hashes are taken in order (both
   * encodings); `name(i)` names hash i in the errors.
   */
  function distinct(name: (i: number) => string): (hash: Buffer, i: number) => Parsed | undefined {
    const seen = new Map<string, number>()
    return (hash, i) => {
      if (ZERO.equals(hash)) return invalid('zero_hash', `${name(i)} is the zero hash`, { index: i })
      const key = hash.toString('latin1')
      const earlier = seen.get(key)
      if (earlier !== undefined) return invalid('duplicate_hash', `${name(i)} repeats ${name(earlier)}`, { index: i, duplicateOf: earlier })
      seen.set(key, i)
      return undefined
    }
  }

  /** `{"hashes": ["0x…", …], "mode"}`, decoded into one buffer (a few hundred nanoseconds a hash). */
  async function parseJson(raw: unknown): Promise<Parsed> {
    let body: unknown
    try {
      body = JSON.parse(typeof raw === 'string' ? raw : '')
    } catch {
      return invalid('invalid_json', 'the body must be JSON: {"hashes": ["0x<64 hex digits>", ...]}')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('invalid_body', 'the body must be an object with a "hashes" array')
    const { hashes: list, mode = 'onchain' } = body as { hashes?: unknown; mode?: unknown }
    const refused = checkMode(mode, '"mode"') ?? (Array.isArray(list) ? checkCount(mode as AnchorMode, list.length, '"hashes" is empty') : invalid('invalid_body', 'the body must be an object with a "hashes" array'))
    if (refused !== undefined) return refused
    const items = list as unknown[]
    const packed = Buffer.allocUnsafe(32 * items.length)
    const hashes: Uint8Array[] = new Array(items.length)
    const admit = distinct((i) => `hashes[${i}]`)
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      if (typeof item !== 'string' || !HASH_HEX.test(item)) return invalid('invalid_hash', `hashes[${i}] is not a 0x-prefixed 32-byte hex string`, { index: i })
      packed.write(item.slice(2), 32 * i, 32, 'hex')
      const hash = (hashes[i] = packed.subarray(32 * i, 32 * i + 32))
      const repeated = admit(hash, i)
      if (repeated !== undefined) return repeated
      if (i % VALIDATE_STEP === VALIDATE_STEP - 1) await new Promise<void>((resolve) => setImmediate(resolve))
    }
    return { hashes, mode: mode as AnchorMode }
  }

  /**
   * `application/octet-stream`: the hashes as n × 32 raw bytes, the mode in the query. The same
   * rules and errors as JSON (`index` counts hashes), at a fraction of the cost for both sides:
   * no hex to write, parse or check.
   */
  async function parseBinary(body: Buffer, mode: unknown = 'onchain'): Promise<Parsed> {
    if (body.length % 32 !== 0) return invalid('invalid_body', `an application/octet-stream body is n × 32 bytes (the hashes, concatenated), got ${body.length} bytes`)
    const refused = checkMode(mode, 'the "mode" query parameter') ?? checkCount(mode as AnchorMode, body.length / 32, 'the body is empty')
    if (refused !== undefined) return refused
    const hashes: Uint8Array[] = new Array(body.length / 32)
    const admit = distinct((i) => `hash ${i}`)
    for (let i = 0; i < hashes.length; i++) {
      const hash = (hashes[i] = body.subarray(32 * i, 32 * i + 32))
      const repeated = admit(hash, i)
      if (repeated !== undefined) return repeated
      if (i % VALIDATE_STEP === VALIDATE_STEP - 1) await new Promise<void>((resolve) => setImmediate(resolve))
    }
    return { hashes, mode: mode as AnchorMode }
  }
}

const ZERO = Buffer.alloc(32)

/**
 * The API key check of every keyed route (the list, submissions, the notifications' upgrade): the
 * caller's key id, or undefined once a 401 was sent.
 */
export function authenticator(apiKeys: string[]): (req: FastifyRequest, reply: FastifyReply) => Uint8Array | undefined {
  const check = keyChecker(apiKeys)
  return (req, reply) => {
    const key = apiKeyOf(req)
    if (key === undefined) {
      fail(reply, 401, 'missing_api_key', 'send an API key in "Authorization: Bearer <key>" or "X-API-Key"', { 'www-authenticate': 'Bearer' })
      return undefined
    }
    const keyId = check(key)
    if (keyId === undefined) fail(reply, 401, 'invalid_api_key', 'the API key is not valid', { 'www-authenticate': 'Bearer error="invalid_token"' })
    return keyId
  }
}

/** The key id of `key` if it is one of `apiKeys`, else undefined (for keys that do not come in a header). */
export function keyChecker(apiKeys: string[]): (key: string) => Uint8Array | undefined {
  const keys = apiKeys.map(digest)
  return (key) => (keys.some((k) => timingSafeEqual(k, digest(key))) ? keyIdOf(key) : undefined)
}

/** The key of `Authorization: Bearer <key>` or `X-API-Key: <key>`, if the request has one. */
export function apiKeyOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim())
    if (match !== null) return match[1]
  }
  const key = req.headers['x-api-key']
  return typeof key === 'string' && key !== '' ? key : undefined
}

/**
 * What the node stores to know which key submitted a hash: a domain-separated SHA-256 of the key,
 * never the key itself (and not the digest used for comparison).
 */
function keyIdOf(key: string): Uint8Array {
  return createHash('sha256').update('ai-rollup/anchoring/key-id\0').update(key).digest()
}

/** Milliseconds since the epoch, from a string of digits or an ISO 8601 date/time. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  if (/^[0-9]{1,15}$/.test(value)) return Number(value)
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** Cursors are opaque to clients: the position of the last item returned, base64url-encoded. */
function encodeCursor(position: Position): string {
  return encodePosition('a1', position.submittedAt, position.seq)
}

function decodeCursor(value: unknown): Position | undefined {
  const pair = decodePosition('a1', value)
  return pair && { submittedAt: pair[0], seq: pair[1] }
}

/** A cursor of the anchoring API (list, notifications): two integers under a version tag, base64url. */
export function encodePosition(tag: string, a: number, b: number): string {
  return Buffer.from(`${tag}:${a}:${b}`).toString('base64url')
}

/** The two integers of a cursor `encodePosition(tag, …)` made; undefined for anything else. */
export function decodePosition(tag: string, value: unknown): [number, number] | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined
  const match = /^([a-z0-9]+):([0-9]{1,16}):([0-9]{1,16})$/.exec(Buffer.from(value, 'base64url').toString())
  if (match === null || match[1] !== tag) return undefined
  const pair: [number, number] = [Number(match[2]), Number(match[3])]
  return pair.every(Number.isSafeInteger) ? pair : undefined
}

/** Keys are compared as SHA-256 digests, in constant time, so neither length nor prefix leaks. */
function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}

export function fail(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  const headers = Object.fromEntries(Object.entries(extra).filter(([k]) => k.includes('-'))) as Record<string, string>
  const fields = Object.fromEntries(Object.entries(extra).filter(([k]) => !k.includes('-')))
  return reply.code(status).headers(headers).send({ error: { code, message, ...fields } })
}
