/**
 * Anchoring notifications: `GET /v1/anchors/events` upgraded to a WebSocket pushes, for the
 * calling API key's own HTTP submissions, one JSON message per status change (queued, in an L2
 * block, posted in a batch on L1, final; back to pending if an L1 reorg takes a batch away), so a
 * client can wait for "final" without polling.
 *
 * Where the changes come from: every sqlite transaction that changes a submitted hash's status
 * stamps the key's submission rows with the next change number (store.ts: the submission itself,
 * the block writer, the ledger's batch writer, the finalized-head hook node.ts installs) and wakes
 * this hub. Nothing is pushed from memory: each connection reads its key's rows after its own
 * position, in change order, one page at a time, and sends the row's current status
 * (`lookup`, the answer of GET /v1/anchors/{hash}). So:
 *
 * - resumption has no gap and no race: catch-up and live events are one loop over the same
 *   order; a page read and the decision "caught up" happen in one synchronous step, with no
 *   commit in between, and whatever commits later has a larger change number;
 * - a client sees each row at its latest change (a client that was away gets the current state
 *   once, not every step it missed); every message carries its position (`cursor`);
 * - memory per connection is one page: the next page is read only once the previous one was
 *   written to the socket, and a connection that leaves a page unsent for `stallTimeoutMs` is
 *   closed (1008). A key with millions of submissions reconnecting from the start costs pages
 *   in turn, not a query of millions.
 *
 * Authentication is the anchoring API key: in the upgrade request's headers (refused with the
 * API's 401/429/503 before any upgrade), or, for browsers, which cannot set WebSocket headers, in
 * a first message `{"type": "auth", "apiKey": …}` within `authTimeoutMs` (such connections count
 * against a small cap while they wait). Keys never go in the URL: URLs end up in proxy and access logs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { bytesToHex } from '@ethereumjs/util'
import { apiKeyOf, authenticator, decodePosition, encodePosition, fail, keyChecker, parseTime } from './http.ts'
import type { AnchorChangeRow, ChangePosition } from './store.ts'
import type { Socket } from 'node:net'

/** Rows read and sent per step of a connection: its whole send buffer. */
export const EVENTS_PAGE_SIZE = 100
/** Largest message a client may send (the auth message); anything bigger closes the connection. */
export const MAX_AUTH_MESSAGE_BYTES = 1_024

/** A WebSocket frame's header (2–14 bytes) with room for a close frame: the pre-auth byte count's slack. */
const MAX_FRAME_OVERHEAD_BYTES = 64

/** Close codes (4000-4999 are the application's; 1008 as the JSON-RPC WebSocket uses it). */
export const CloseCode = {
  /** The client did not read its messages; reconnect with the last cursor. */
  tooSlow: 1008,
  /** A message from the client after authentication (the socket only sends). */
  unexpectedMessage: 1008,
  /** The node is shutting down. */
  goingAway: 1001,
  badRequest: 4400,
  unauthorized: 4401,
  tooManyConnections: 4429,
} as const

/** What the notifications read (AnchorStore implements it). */
export interface AnchorChangeSource {
  anchorChangesAfter(keyId: Uint8Array, after: ChangePosition, limit: number): AnchorChangeRow[]
  lastAnchorChange(): number
  firstAnchorChangeAt(ms: number): number | undefined
}

export interface AnchorEventsOptions {
  changes: AnchorChangeSource
  /** Status of one hash, as GET /v1/anchors/{hash} answers (undefined: never seen). */
  lookup(hash: Uint8Array): { hash: string; status: string } | undefined
  apiKeys: string[]
  /** Open notification sockets, authenticated or not. */
  maxConnections: number
  maxConnectionsPerKey: number
  /** Sockets waiting for their auth message. */
  maxUnauthenticated: number
  /** How long a socket may wait before its auth message (ms). */
  authTimeoutMs: number
  /** How long a page may stay unsent before the connection is closed (ms). */
  stallTimeoutMs: number
  pageSize?: number
  log: { info(message: string): void; debug(message: string): void }
}

/** Past the last row of a change: a position after every row stamped with it. */
const AFTER_ALL = Number.MAX_SAFE_INTEGER
/** Before every row, those of change 0 included. */
const BEFORE_ALL: ChangePosition = { change: -1, seq: AFTER_ALL }

export class AnchorEvents {
  private readonly subscribers = new Set<Subscriber>()
  private readonly perKey = new Map<string, number>()
  private unauthenticated = 0
  private scheduled = false
  private closed = false
  private readonly checkKey: (key: string) => Uint8Array | undefined
  private readonly authenticate: ReturnType<typeof authenticator>

  constructor(private readonly opts: AnchorEventsOptions) {
    this.checkKey = keyChecker(opts.apiKeys)
    this.authenticate = authenticator(opts.apiKeys)
  }

  /** Open sockets (authenticated, and waiting for their auth message). */
  get connections(): { subscribers: number; unauthenticated: number } {
    return { subscribers: this.subscribers.size, unauthenticated: this.unauthenticated }
  }

  /**
   * Something changed (called inside the writing transaction): every subscriber looks for rows
   * after its position once the current task, and so the transaction, is over.
   */
  wake(): void {
    if (this.scheduled || this.subscribers.size === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      for (const s of this.subscribers) s.pump()
    })
  }

  /** Closes every socket (the node is stopping). */
  close(): void {
    this.closed = true
    for (const s of this.subscribers) s.close(CloseCode.goingAway, 'the node is shutting down')
  }

  register(app: FastifyInstance): void {
    app.route<{ Querystring: Record<string, unknown> }>({
      method: 'GET',
      url: '/v1/anchors/events',
      // before the upgrade: a refusal is a plain HTTP answer in the API's error shape
      preHandler: async (req, reply) => {
        if (!(req as FastifyRequest & { ws?: boolean }).ws) return
        if (this.total() >= this.opts.maxConnections) return this.refuseBusy(reply)
        const start = this.startOf(req.query ?? {})
        if (isInvalid(start)) return fail(reply, 400, start, messageOf(start))
        if (req.headers.authorization === undefined && req.headers['x-api-key'] === undefined) {
          if (this.unauthenticated >= this.opts.maxUnauthenticated) return this.refuseBusy(reply)
          return // a browser: the key comes in the first message
        }
        const keyId = this.authenticate(req, reply)
        if (keyId === undefined) return reply
        if ((this.perKey.get(bytesToHex(keyId)) ?? 0) >= this.opts.maxConnectionsPerKey) {
          return fail(reply, 429, 'too_many_connections', `this API key has ${this.opts.maxConnectionsPerKey} notification sockets open, the limit; close one first`, { max: this.opts.maxConnectionsPerKey })
        }
      },
      handler: async (_req, reply) => fail(reply, 426, 'upgrade_required', 'open a WebSocket on this URL (GET with "Upgrade: websocket")'),
      wsHandler: (socket, req) => this.accept(socket, req as FastifyRequest<{ Querystring: Record<string, unknown> }>),
    })
  }

  private accept(socket: WebSocket, req: FastifyRequest<{ Querystring: Record<string, unknown> }>): void {
    if (this.closed) return socket.close(CloseCode.goingAway, 'the node is shutting down')
    const start = this.startOf(req.query ?? {}) as Start // checked before the upgrade
    if (req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined) {
      // checked before the upgrade, which answered 401 to a bad key: this one passed
      const key = apiKeyOf(req)
      const keyId = key === undefined ? undefined : this.checkKey(key)
      if (keyId === undefined) return closeWith(socket, CloseCode.unauthorized, 'invalid_api_key')
      return this.subscribe(socket, keyId, start, req.ip)
    }
    // a browser: wait for {"type": "auth", "apiKey": ..., "cursor"?: ..., "since"?: ...}
    this.unauthenticated++
    let waiting = true
    // ws buffers a whole message (up to the server's shared payload cap, MiBs) before handing it
    // over: a stranger could park that much per waiting socket. Count the raw bytes instead and
    // drop the connection once they pass what an auth message takes (ws keeps its TCP socket in
    // `_socket`, not public API: without it the cap falls back to the payload limit).
    const raw = (socket as unknown as { _socket?: Socket })._socket
    let received = 0
    const guard = (chunk: Buffer) => {
      received += chunk.length
      if (received > MAX_AUTH_MESSAGE_BYTES + MAX_FRAME_OVERHEAD_BYTES && done()) raw?.destroy()
    }
    raw?.on('data', guard)
    const done = () => {
      if (!waiting) return false
      waiting = false
      this.unauthenticated--
      clearTimeout(timer)
      raw?.off('data', guard)
      return true
    }
    const timer = setTimeout(() => {
      if (done()) closeWith(socket, CloseCode.unauthorized, `missing_api_key: send {"type":"auth","apiKey":"..."} within ${this.opts.authTimeoutMs} ms`)
    }, this.opts.authTimeoutMs)
    timer.unref()
    socket.once('close', done)
    socket.once('message', (data: Buffer) => {
      if (!done()) return
      if (data.length > MAX_AUTH_MESSAGE_BYTES) return closeWith(socket, CloseCode.badRequest, `the auth message is over ${MAX_AUTH_MESSAGE_BYTES} bytes`)
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>
      } catch {
        msg = {}
      }
      if (typeof msg !== 'object' || msg === null || msg.type !== 'auth' || typeof msg.apiKey !== 'string') {
        return closeWith(socket, CloseCode.unauthorized, 'missing_api_key: the first message must be {"type":"auth","apiKey":"..."}')
      }
      const keyId = this.checkKey(msg.apiKey)
      if (keyId === undefined) return closeWith(socket, CloseCode.unauthorized, 'invalid_api_key: the API key is not valid')
      const own = msg.cursor !== undefined || msg.since !== undefined ? this.startOf({ cursor: msg.cursor, since: msg.since === undefined ? undefined : String(msg.since) }) : start
      if (isInvalid(own)) return closeWith(socket, CloseCode.badRequest, `${own}: ${messageOf(own)}`)
      this.subscribe(socket, keyId, own, req.ip)
    })
  }

  private subscribe(socket: WebSocket, keyId: Uint8Array, start: Start, ip: string): void {
    const key = bytesToHex(keyId)
    const open = this.perKey.get(key) ?? 0
    // checked before the upgrade; checked again here, since other upgrades may have finished since
    if (open >= this.opts.maxConnectionsPerKey) return closeWith(socket, CloseCode.tooManyConnections, `too_many_connections: ${this.opts.maxConnectionsPerKey} open for this API key`)
    if (this.subscribers.size >= this.opts.maxConnections) return closeWith(socket, CloseCode.tooManyConnections, `too_many_connections: the node holds ${this.opts.maxConnections}`)
    this.perKey.set(key, open + 1)
    const position = start === 'now' ? { change: this.opts.changes.lastAnchorChange(), seq: AFTER_ALL } : start
    const sub = new Subscriber(socket, keyId, position, this.opts, `${ip} (key ${key.slice(0, 10)}…)`)
    this.subscribers.add(sub)
    socket.on('close', () => {
      sub.stop()
      if (!this.subscribers.delete(sub)) return
      const n = (this.perKey.get(key) ?? 1) - 1
      if (n === 0) this.perKey.delete(key)
      else this.perKey.set(key, n)
    })
    socket.on('message', () => sub.close(CloseCode.unexpectedMessage, 'unexpected message: this socket only sends'))
    sub.pump()
  }

  private total(): number {
    return this.subscribers.size + this.unauthenticated
  }

  private refuseBusy(reply: FastifyReply): FastifyReply {
    return fail(reply, 503, 'too_many_connections', `the node has ${this.opts.maxConnections} notification sockets open (or ${this.opts.maxUnauthenticated} waiting for their key); retry shortly`, { 'retry-after': '5' })
  }

  /** Where a connection starts: after a cursor, at a time, or (neither) at what commits from now on. */
  private startOf(q: Record<string, unknown>): Start | InvalidStart {
    if (q.cursor !== undefined) return decodeCursor(q.cursor) ?? 'invalid_cursor'
    if (q.since !== undefined) {
      const ms = parseTime(q.since)
      if (ms === undefined) return 'invalid_since'
      const first = this.opts.changes.firstAnchorChangeAt(ms)
      // rows of a data dir from before the notifications carry change 0 and no time: a `since`
      // before every recorded change includes them (more than asked, never less)
      if (first === undefined) return this.opts.changes.lastAnchorChange() === 0 ? BEFORE_ALL : 'now'
      return first === this.opts.changes.firstAnchorChangeAt(0) ? BEFORE_ALL : { change: first - 1, seq: AFTER_ALL }
    }
    return 'now'
  }
}

type Start = ChangePosition | 'now'
type InvalidStart = 'invalid_cursor' | 'invalid_since'

function isInvalid(start: Start | InvalidStart): start is InvalidStart {
  return start === 'invalid_cursor' || start === 'invalid_since'
}

/** One authenticated socket: walks its key's changes from its position, a page at a time. */
class Subscriber {
  private pumping = false
  private again = false
  private stopped = false
  private caughtUp = false
  private readonly pageSize: number

  constructor(
    private readonly socket: WebSocket,
    private readonly keyId: Uint8Array,
    private position: ChangePosition,
    private readonly opts: AnchorEventsOptions,
    private readonly who: string,
  ) {
    this.pageSize = opts.pageSize ?? EVENTS_PAGE_SIZE
  }

  pump(): void {
    if (this.stopped) return
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = true
    this.run()
      .catch((err) => {
        this.opts.log.info(`anchoring events: closing the socket of ${this.who}: ${(err as Error).message}`)
        this.close(1011, 'internal error; reconnect with your last cursor')
      })
      .finally(() => (this.pumping = false))
  }

  stop(): void {
    this.stopped = true
  }

  close(code: number, reason: string): void {
    this.stopped = true
    closeWith(this.socket, code, reason)
  }

  private async run(): Promise<void> {
    do {
      this.again = false
      // one synchronous step: read a page, and if it is the last one, where the committed changes end
      const rows = this.opts.changes.anchorChangesAfter(this.keyId, this.position, this.pageSize)
      const end = rows.length < this.pageSize ? this.opts.changes.lastAnchorChange() : undefined
      let last: Promise<void> | undefined
      for (const row of rows) {
        this.position = { change: row.change, seq: row.seq }
        last = this.send(this.message(row))
      }
      if (end !== undefined) {
        // every row stamped up to `end` was in this page: later ones carry larger change numbers
        if (end > this.position.change) this.position = { change: end, seq: AFTER_ALL }
        if (!this.caughtUp) {
          this.caughtUp = true
          last = this.send(JSON.stringify({ type: 'caughtUp', cursor: encodeCursor(this.position) }))
        }
      } else {
        this.again = true
      }
      if (last !== undefined) await this.flushed(last)
    } while (this.again && !this.stopped)
  }

  private message(row: AnchorChangeRow): string {
    const status = this.opts.lookup(row.hash) ?? { hash: bytesToHex(row.hash), status: 'pending', l2: null }
    return JSON.stringify({ type: 'anchor', ...status, submittedAt: new Date(row.submittedAt).toISOString(), cursor: encodeCursor({ change: row.change, seq: row.seq }) })
  }

  /** Resolves once the message was handed to the operating system (or the socket is gone). */
  private send(text: string): Promise<void> {
    if (this.stopped || this.socket.readyState !== this.socket.OPEN) return Promise.resolve()
    return new Promise((resolve) => this.socket.send(text, () => resolve()))
  }

  /** Waits for the page to be written; a client that leaves it unread for stallTimeoutMs is closed. */
  private async flushed(last: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const stalled = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.opts.stallTimeoutMs)
    })
    const slow = await Promise.race([last.then(() => false), stalled])
    clearTimeout(timer)
    if (slow && !this.stopped) {
      this.opts.log.info(`anchoring events: closing the socket of ${this.who}: messages unread for ${this.opts.stallTimeoutMs} ms`)
      this.close(CloseCode.tooSlow, 'too slow: messages left unread; reconnect with your last cursor')
    }
  }
}

/** Closes with a reason, and gives up on a peer that does not read even the close frame. */
function closeWith(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.CLOSED) return
  // a close reason is at most 123 bytes (ours are ASCII)
  socket.close(code, reason.slice(0, 123))
  setTimeout(() => socket.terminate(), 1_000).unref()
}

function messageOf(code: InvalidStart): string {
  return code === 'invalid_cursor' ? '"cursor" must be a cursor from a message of this endpoint' : '"since" must be milliseconds since the epoch or an ISO 8601 time'
}

/** Cursors are opaque to clients: a position in the key's changes. */
export function encodeCursor(position: ChangePosition): string {
  return encodePosition('e1', position.change, position.seq)
}

function decodeCursor(value: unknown): ChangePosition | undefined {
  const pair = decodePosition('e1', value)
  return pair && { change: pair[0], seq: pair[1] }
}
