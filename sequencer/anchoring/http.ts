/**
 * The enterprise anchoring API, served on the node's HTTP port next to JSON-RPC:
 *
 *   POST /v1/anchors        {"hashes": ["0x<32 bytes>", ...]}  (1 to 10,000 hashes; API key required)
 *   GET  /v1/anchors/{hash}  status, and once posted the batch, L1 transaction and Merkle proof
 *
 * The key goes in `Authorization: Bearer <key>` or `X-API-Key: <key>`. Reads are public: a
 * proof is checkable by anyone against L1 and discloses nothing beyond the hash asked about.
 * A 202 from POST means the hashes are in sqlite: they survive a crash and will be anchored.
 * Errors are JSON `{"error": {"code", "message", ...}}` with a 4xx/5xx status.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AnchorQueueFullError, MAX_HASHES_PER_CALL, parseHash } from './queue.ts'

/** What a submission needs from the queue. */
export interface AnchorSubmitter {
  submit(hashes: Uint8Array[]): { added: number; known: number }
}

export interface AnchorApiOptions {
  queue: AnchorSubmitter
  /** Status of one hash (undefined: never seen). */
  lookup(hash: Uint8Array): unknown
  /** Accepted API keys; with none configured every submission is refused. */
  apiKeys: string[]
  /** Most hashes in one request. */
  maxHashes?: number
}

export function registerAnchorRoutes(app: FastifyInstance, opts: AnchorApiOptions): void {
  const maxHashes = opts.maxHashes ?? MAX_HASHES_PER_CALL
  const keys = opts.apiKeys.map(digest)

  app.post('/v1/anchors', async (req, reply) => {
    const key = apiKeyOf(req)
    if (key === undefined) return fail(reply, 401, 'missing_api_key', 'send an API key in "Authorization: Bearer <key>" or "X-API-Key"', { 'www-authenticate': 'Bearer' })
    if (!keys.some((k) => timingSafeEqual(k, digest(key)))) return fail(reply, 401, 'invalid_api_key', 'the API key is not valid', { 'www-authenticate': 'Bearer error="invalid_token"' })

    let body: unknown
    try {
      body = JSON.parse(typeof req.body === 'string' ? req.body : '')
    } catch {
      return fail(reply, 400, 'invalid_json', 'the body must be JSON: {"hashes": ["0x<64 hex digits>", ...]}')
    }
    const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { hashes?: unknown }).hashes : undefined
    if (!Array.isArray(list)) return fail(reply, 400, 'invalid_body', 'the body must be an object with a "hashes" array')
    if (list.length === 0) return fail(reply, 400, 'no_hashes', '"hashes" is empty')
    if (list.length > maxHashes) return fail(reply, 400, 'too_many_hashes', `${list.length} hashes, at most ${maxHashes} per request`, { max: maxHashes })

    const hashes: Uint8Array[] = []
    const seen = new Map<string, number>()
    for (const [i, item] of list.entries()) {
      const hash = parseHash(item)
      if (hash === undefined) return fail(reply, 400, 'invalid_hash', `hashes[${i}] is not a 0x-prefixed 32-byte hex string`, { index: i })
      if (hash.every((b) => b === 0)) return fail(reply, 400, 'zero_hash', `hashes[${i}] is the zero hash`, { index: i })
      const lower = (item as string).toLowerCase()
      const earlier = seen.get(lower)
      if (earlier !== undefined) return fail(reply, 400, 'duplicate_hash', `hashes[${i}] repeats hashes[${earlier}]`, { index: i, duplicateOf: earlier })
      seen.set(lower, i)
      hashes.push(hash)
    }

    try {
      const { added, known } = opts.queue.submit(hashes)
      return reply.code(202).send({ accepted: hashes.length, queued: added, alreadyKnown: known, status: 'pending' })
    } catch (err) {
      if (err instanceof AnchorQueueFullError) return fail(reply, 503, 'queue_full', err.message, { 'retry-after': '5' })
      throw err
    }
  })

  app.get<{ Params: { hash: string } }>('/v1/anchors/:hash', async (req, reply) => {
    const hash = parseHash(req.params.hash)
    if (hash === undefined) return fail(reply, 400, 'invalid_hash', 'the path must end in a 0x-prefixed 32-byte hex string')
    const status = opts.lookup(hash)
    if (status === undefined) return fail(reply, 404, 'not_found', 'this hash was never anchored through this node')
    return reply.send(status)
  })
}

function apiKeyOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim())
    if (match !== null) return match[1]
  }
  const key = req.headers['x-api-key']
  return typeof key === 'string' && key !== '' ? key : undefined
}

/** Keys are compared as SHA-256 digests, in constant time, so neither length nor prefix leaks. */
function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}

function fail(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  const headers = Object.fromEntries(Object.entries(extra).filter(([k]) => k.includes('-'))) as Record<string, string>
  const fields = Object.fromEntries(Object.entries(extra).filter(([k]) => !k.includes('-')))
  return reply.code(status).headers(headers).send({ error: { code, message, ...fields } })
}
