/**
 * The JSON-RPC server: HTTP POST and WebSocket on one port (fastify + @fastify/websocket).
 * `buildRpcServer` wires routes and returns the fastify instance without listening, so tests can
 * `inject()`; the node calls `listen`. Every request, however malformed, gets a JSON-RPC answer;
 * nothing a client sends can throw out of a handler.
 *
 * What one client can hold is bounded: an answer's size (-32003 "response too large", geth's), a
 * request's time to arrive (node answers 408), open connections, and per WebSocket connection its
 * requests in progress (-32005), its subscriptions (-32005) and the data it leaves unread (past
 * the limit the connection is closed with 1008).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import cors from '@fastify/cors'
import websocket from '@fastify/websocket'
import type { Logger } from '../log.ts'
import type { RpcConfig } from '../config.ts'
import { ErrorCode, RpcError, responseTooLargeError, toJsonRpcError, type JsonRpcErrorObject } from './errors.ts'
import { parseArgs, type CallOrigin, type MethodTable } from './methods.ts'
import { ConnectionSubscriptions, type SubscriptionHub } from './subscriptions.ts'

/** The server's limits are the node's RPC settings (their units and meaning: config.ts). */
export interface RpcServerOptions
  extends Pick<
    RpcConfig,
    | 'maxBodyBytes'
    | 'maxBatchSize'
    | 'corsOrigins'
    | 'maxResponseBytes'
    | 'wsMaxInflight'
    | 'wsMaxBufferedBytes'
    | 'maxConnections'
    | 'requestTimeoutMs'
    | 'headersTimeoutMs'
    | 'keepAliveTimeoutMs'
  > {
  methods: MethodTable
  hub: SubscriptionHub
  log: Logger
  /** More HTTP routes on the same server (the anchoring API, the explorer). */
  routes?: (app: FastifyInstance) => void
  /** What a plain GET / (not a WebSocket upgrade) answers: the explorer's home page; absent, a JSON note on how to use the port. */
  home?: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  /** Told of each call that names a method: its name as sent, its time in seconds, whether it answered a result (the node's metrics). */
  observe?: (method: string, seconds: number, ok: boolean) => void
}

type Id = string | number | null

/** A batch yields to the event loop after running this long, in milliseconds. */
const BATCH_SLICE_MS = 10
/** Longest client error message a debug `rpc_error` line repeats (it may quote the request). */
const MAX_LOGGED_MESSAGE = 200

/** Requests a WebSocket connection may have waiting, as a multiple of wsMaxInflight. */
export const WS_QUEUE_FACTOR = 16
type Response = { jsonrpc: '2.0'; id: Id; result: unknown } | { jsonrpc: '2.0'; id: Id; error: JsonRpcErrorObject }

export class Dispatcher {
  constructor(private readonly opts: Pick<RpcServerOptions, 'methods' | 'maxBatchSize' | 'maxResponseBytes' | 'log' | 'observe'>) {}

  /**
   * Handles one body (single call or batch) and returns the JSON text to send back; undefined when
   * there is nothing to send (only notifications). An answer over maxResponseBytes is replaced by
   * -32003 "response too large"; in a batch, once the total passes it, every later call gets that
   * error (as geth's batch limit does), so the answer stays bounded.
   */
  async handle(body: string, origin: CallOrigin): Promise<string | undefined> {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return JSON.stringify(failure(null, { code: ErrorCode.parse, message: 'parse error: request body is not valid JSON' }))
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return JSON.stringify(failure(null, { code: ErrorCode.invalidRequest, message: 'empty batch' }))
      if (parsed.length > this.opts.maxBatchSize) {
        return JSON.stringify(failure(null, { code: ErrorCode.invalidRequest, message: `batch of ${parsed.length} calls is over the limit of ${this.opts.maxBatchSize}` }))
      }
      const parts: string[] = []
      let total = 2
      const batchOrigin: CallOrigin = { ...origin, batch: { gasExecuted: 0n } }
      let slice = performance.now()
      for (const call of parsed) {
        if (performance.now() - slice > BATCH_SLICE_MS) {
          // a long batch lets other clients' requests and block production in between its calls
          await new Promise((resolve) => setImmediate(resolve))
          slice = performance.now()
        }
        if (total > this.opts.maxResponseBytes) {
          // the answer is already too large: the rest are not run
          const id = typeof call === 'object' && call !== null && validId((call as { id?: unknown }).id) ? ((call as { id: Id }).id ?? null) : null
          parts.push(JSON.stringify(tooLarge(id, this.opts.maxResponseBytes)))
          continue
        }
        const r = await this.call(call, batchOrigin)
        if (r === undefined) continue
        const text = this.serialize(r, this.opts.maxResponseBytes - total)
        total += text.length + 1
        parts.push(text)
      }
      return parts.length === 0 ? undefined : `[${parts.join(',')}]`
    }
    const r = await this.call(parsed, origin)
    return r === undefined ? undefined : this.serialize(r, this.opts.maxResponseBytes)
  }

  /** The response's JSON, or -32003 if it is over `budget` bytes. */
  private serialize(r: Response, budget: number): string {
    const text = JSON.stringify(r)
    // JSON of hex and ASCII: its length is its size in bytes
    return text.length <= budget ? text : JSON.stringify(tooLarge(r.id, this.opts.maxResponseBytes))
  }

  private async call(raw: unknown, origin: CallOrigin): Promise<Response | undefined> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return failure(null, { code: ErrorCode.invalidRequest, message: 'invalid request: expected a JSON-RPC object' })
    }
    const req = raw as Record<string, unknown>
    const id = validId(req.id) ? (req.id as Id) : null
    if (req.jsonrpc !== '2.0') return failure(id, { code: ErrorCode.invalidRequest, message: 'invalid request: jsonrpc must be "2.0"' })
    if (!('id' in req) || req.id === undefined) {
      // a notification: run it, answer nothing
      if (typeof req.method === 'string') await this.run(req.method, req.params, origin).catch(() => undefined)
      return undefined
    }
    if (!validId(req.id)) return failure(null, { code: ErrorCode.invalidRequest, message: 'invalid request: id must be a string, number or null' })
    if (typeof req.method !== 'string') return failure(id, { code: ErrorCode.invalidRequest, message: 'invalid request: method must be a string' })
    try {
      return { jsonrpc: '2.0', id, result: await this.run(req.method, req.params, origin) }
    } catch (err) {
      return failure(id, this.answerError(req.method, err))
    }
  }

  /**
   * The error answer for a failed call, logged as `rpc_error` with the method as the metrics label
   * it (the name if this node serves it, else `other`: a client picks the name): an internal error
   * at error level with its stack, the client's own errors (a revert, bad params, a limit) at debug
   * only, their message cut to MAX_LOGGED_MESSAGE characters (it may quote what the client sent).
   */
  private answerError(method: string, err: unknown): JsonRpcErrorObject {
    const label = Object.hasOwn(this.opts.methods, method) ? method : 'other'
    const answer = toJsonRpcError(err, (e) =>
      this.opts.log.error(`${label} failed: ${e instanceof Error ? e.message : String(e)}`, { event: 'rpc_error', method: label, code: ErrorCode.internal, err: e }),
    )
    if (answer.code !== ErrorCode.internal) {
      const message = answer.message.length > MAX_LOGGED_MESSAGE ? `${answer.message.slice(0, MAX_LOGGED_MESSAGE)}…` : answer.message
      this.opts.log.debug(`${label}: error ${answer.code}: ${message}`, { event: 'rpc_error', method: label, code: answer.code, message })
    }
    return answer
  }

  private async run(name: string, params: unknown, origin: CallOrigin): Promise<unknown> {
    const observe = this.opts.observe
    if (observe === undefined) return this.runMethod(name, params, origin)
    const started = performance.now()
    try {
      const result = await this.runMethod(name, params, origin)
      observe(name, (performance.now() - started) / 1000, true)
      return result
    } catch (err) {
      observe(name, (performance.now() - started) / 1000, false)
      throw err
    }
  }

  private async runMethod(name: string, params: unknown, origin: CallOrigin): Promise<unknown> {
    const def = Object.hasOwn(this.opts.methods, name) ? this.opts.methods[name] : undefined
    if (def === undefined) {
      throw new RpcError(ErrorCode.methodNotFound, `the method ${name} does not exist/is not available`)
    }
    const result = await def.handler(parseArgs(def, params), origin)
    return result === undefined ? null : result
  }
}

function validId(id: unknown): boolean {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

function failure(id: Id, error: JsonRpcErrorObject): Response {
  return { jsonrpc: '2.0', id, error }
}

function tooLarge(id: Id, limit: number): Response {
  const err = responseTooLargeError(limit)
  return failure(id, { code: err.code, message: err.message })
}

export async function buildRpcServer(opts: RpcServerOptions): Promise<FastifyInstance> {
  const dispatcher = new Dispatcher(opts)
  let closing = false
  const app = Fastify({
    bodyLimit: opts.maxBodyBytes,
    // no request log: a line per request would outweigh the work at thousands of calls a second;
    // rates and latencies are the metrics' (airollup_rpc_*), failures are logged as rpc_error and http_error
    logger: false,
    forceCloseConnections: true,
    // the node's own server (fastify then leaves its timeouts to it): plain JSON-RPC posts skip fastify
    serverFactory: (fastifyHandler) => {
      const server = createServer(
        // node checks the request and headers timeouts on this interval (default 30 s): check often enough to honour them
        { headersTimeout: opts.headersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs) },
        (req, res) => (!closing && isPlainRpcPost(req, opts.maxBodyBytes) ? answerPlainRpcPost(req, res, dispatcher, opts.log) : fastifyHandler(req, res)),
      )
      // a body trickling in byte by byte must not hold a socket forever (node answers 408)
      server.requestTimeout = opts.requestTimeoutMs
      server.keepAliveTimeout = opts.keepAliveTimeoutMs
      return server
    },
  })
  app.server.maxConnections = opts.maxConnections
  // from here on every request goes through fastify, which answers 503 while it closes
  app.addHook('preClose', async () => {
    closing = true
  })

  await app.register(cors, { origin: opts.corsOrigins === '*' ? true : opts.corsOrigins.split(','), methods: ['POST', 'GET', 'OPTIONS'] })
  await app.register(websocket, { options: { maxPayload: opts.maxBodyBytes } })

  // the body is parsed by the dispatcher, so bad JSON is a JSON-RPC parse error rather than an HTTP 400
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  // raw bytes for the anchoring API's binary submissions (sequencer/anchoring/http.ts)
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    // a client that went away mid-request (aborted upload, reset) is not the node's error: no ERROR line, nothing to answer
    if (req.raw.destroyed || req.raw.socket?.destroyed === true || err.code === 'ECONNRESET' || err.message === 'aborted') {
      opts.log.debug(`request on ${req.url} from ${req.ip} aborted by the client`)
      return reply.code(400).send()
    }
    if (req.url.startsWith('/v1/')) {
      // REST routes answer in their own error shape
      const status = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : (err.statusCode ?? 500)
      if (status >= 500) opts.log.error(`http error on ${req.url}: ${err.message}`, { event: 'http_error', status, err })
      const message = status === 413 ? `request body over the limit of ${opts.maxBodyBytes} bytes` : status >= 500 ? 'internal error' : err.message
      return reply.code(status).send({ error: { code: status === 413 ? 'body_too_large' : status >= 500 ? 'internal' : 'bad_request', message } })
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(failure(null, { code: ErrorCode.invalidRequest, message: `request body over the limit of ${opts.maxBodyBytes} bytes` }))
    }
    const status = err.statusCode ?? 500
    if (status >= 500) opts.log.error(`http error: ${err.message}`, { event: 'http_error', status, err })
    return reply.code(status).send(failure(null, { code: status >= 500 ? ErrorCode.internal : ErrorCode.invalidRequest, message: status >= 500 ? 'internal error' : err.message }))
  })

  app.post('/', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : ''
    const response = await dispatcher.handle(body, { client: `http:${req.ip}` })
    if (response === undefined) return reply.code(204).send()
    return reply.header('content-type', 'application/json').send(response)
  })

  let wsConnections = 0
  app.route({
    method: 'GET',
    url: '/',
    handler: async (req, reply) => (opts.home !== undefined ? opts.home(req, reply) : reply.send({ name: 'ai-rollup JSON-RPC', usage: 'POST JSON-RPC 2.0 here, or open a WebSocket' })),
    wsHandler: (socket, req) => {
      const connection = `ws:${++wsConnections}`
      let inflight = 0
      let closing = false
      /** Sends unless the peer stopped reading: past the limit of unsent bytes the connection is closed (1008) and its subscriptions die. */
      const send = (m: string) => {
        if (closing || socket.readyState !== socket.OPEN) return
        // only what is already unsent counts: one large answer (up to maxResponseBytes) to a reading client is fine
        if (socket.bufferedAmount > opts.wsMaxBufferedBytes) {
          closing = true
          subscriptions.close()
          opts.log.info(`closing WebSocket ${connection} from ${req.ip}: over ${opts.wsMaxBufferedBytes} bytes unsent (the client does not read)`)
          socket.close(1008, 'too much unsent data: read your messages')
          // the close frame waits behind the unread data; do not wait for a peer that does not read
          setTimeout(() => socket.terminate(), 1_000).unref()
          return
        }
        socket.send(m)
      }
      const subscriptions = new ConnectionSubscriptions(opts.hub, send)
      const origin: CallOrigin = { subscriptions, client: connection }
      // at most wsMaxInflight requests run at once; the next ones wait (and the socket stops being
      // read, so the client's own TCP window holds them); past a queue of WS_QUEUE_FACTOR × that
      // (what arrived in the chunks already read) they are answered -32005
      const waiting: string[] = []
      const maxWaiting = opts.wsMaxInflight * WS_QUEUE_FACTOR
      const run = (body: string) => {
        inflight++
        void dispatcher.handle(body, origin).then((response) => {
          inflight--
          if (response !== undefined) send(response)
          const next = waiting.shift()
          if (next !== undefined) run(next)
          else if (socket.isPaused) socket.resume()
        })
      }
      socket.on('message', (data: Buffer) => {
        const body = data.toString('utf8')
        if (inflight < opts.wsMaxInflight) return run(body)
        if (waiting.length >= maxWaiting) {
          send(JSON.stringify(failure(idOf(body), { code: ErrorCode.limitExceeded, message: `too many requests in progress on this connection (limit ${opts.wsMaxInflight}, and ${maxWaiting} waiting); wait for answers before sending more` })))
          return
        }
        waiting.push(body)
        if (!socket.isPaused) socket.pause()
      })
      socket.on('close', () => subscriptions.close())
      socket.on('error', () => subscriptions.close())
    },
  })

  opts.routes?.(app)
  return app
}

/**
 * JSON-RPC over HTTP without fastify's request pipeline (its request and reply objects, hooks,
 * body parser: about 10 µs of the main thread per call, a fifth of the HTTP layer's cost: README
 * "Measured figures"). Taken by a POST to / that fastify would answer exactly so: no Origin header
 * (not a browser, so the only CORS header @fastify/cors would add is `Vary: Origin`) and a declared
 * length within the limit (no chunked body, nothing to cut off at the limit). Everything else,
 * browsers, uploads, the REST routes and `inject()` in tests, goes through fastify and the POST
 * route above, which answers the same body through the same dispatcher
 * (test/sequencer/unit/rpc-fast-path.test.ts compares the two).
 */
function isPlainRpcPost(req: IncomingMessage, maxBodyBytes: number): boolean {
  if (req.method !== 'POST' || req.url !== '/') return false
  const { headers } = req
  if (headers.origin !== undefined || headers['transfer-encoding'] !== undefined) return false
  const length = headers['content-length']
  return length !== undefined && /^\d{1,10}$/.test(length) && Number(length) <= maxBodyBytes
}

function answerPlainRpcPost(req: IncomingMessage, res: ServerResponse, dispatcher: Dispatcher, log: Logger): void {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('error', () => undefined) // an aborted upload: nothing to answer, and not the node's error
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')
    dispatcher.handle(body, { client: `http:${req.socket.remoteAddress}` }).then(
      (response) => {
        if (res.destroyed) return
        if (response === undefined) res.writeHead(204, { vary: 'Origin' }).end()
        else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(response), vary: 'Origin' }).end(response)
      },
      (err: unknown) => {
        // the dispatcher answers every failure itself; this is the error handler's last resort
        log.error(`http error: ${err instanceof Error ? err.message : String(err)}`, { event: 'http_error', status: 500, err })
        if (res.destroyed) return
        const text = JSON.stringify(failure(null, { code: ErrorCode.internal, message: 'internal error' }))
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), vary: 'Origin' }).end(text)
      },
    )
  })
}

/** The id of a single request, for an answer to a request that is not run; null for anything else. */
function idOf(body: string): Id {
  try {
    const parsed = JSON.parse(body) as { id?: unknown }
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && validId(parsed.id) ? (parsed.id as Id) : null
  } catch {
    return null
  }
}
