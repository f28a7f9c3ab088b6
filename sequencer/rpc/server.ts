/**
 * The JSON-RPC server: HTTP POST and WebSocket on one port (fastify + @fastify/websocket).
 * `buildRpcServer` wires routes and returns the fastify instance without listening, so tests can
 * `inject()`; the node calls `listen`. Every request, however malformed, gets a JSON-RPC answer;
 * nothing a client sends can throw out of a handler.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import websocket from '@fastify/websocket'
import type { Logger } from '../log.ts'
import { ErrorCode, RpcError, toJsonRpcError, type JsonRpcErrorObject } from './errors.ts'
import { parseArgs, type CallOrigin, type MethodTable } from './methods.ts'
import { ConnectionSubscriptions, type SubscriptionHub } from './subscriptions.ts'

export interface RpcServerOptions {
  methods: MethodTable
  hub: SubscriptionHub
  maxBodyBytes: number
  maxBatchSize: number
  corsOrigins: string
  log: Logger
  /** More HTTP routes on the same server (the anchoring API). */
  routes?: (app: FastifyInstance) => void
}

type Id = string | number | null
type Response = { jsonrpc: '2.0'; id: Id; result: unknown } | { jsonrpc: '2.0'; id: Id; error: JsonRpcErrorObject }

export class Dispatcher {
  constructor(private readonly opts: Pick<RpcServerOptions, 'methods' | 'maxBatchSize' | 'log'>) {}

  /** Handles one body (single call or batch). Undefined when there is nothing to send back (only notifications). */
  async handle(body: string, origin: CallOrigin): Promise<Response | Response[] | undefined> {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      return failure(null, { code: ErrorCode.parse, message: 'parse error: request body is not valid JSON' })
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return failure(null, { code: ErrorCode.invalidRequest, message: 'empty batch' })
      if (parsed.length > this.opts.maxBatchSize) {
        return failure(null, { code: ErrorCode.invalidRequest, message: `batch of ${parsed.length} calls is over the limit of ${this.opts.maxBatchSize}` })
      }
      const responses: Response[] = []
      const batchOrigin: CallOrigin = { ...origin, batch: { gasExecuted: 0n } }
      for (const call of parsed) {
        const r = await this.call(call, batchOrigin)
        if (r !== undefined) responses.push(r)
      }
      return responses.length === 0 ? undefined : responses
    }
    return this.call(parsed, origin)
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
      return failure(id, toJsonRpcError(err, (e) => this.opts.log.error(`${req.method} failed: ${(e as Error)?.stack ?? e}`)))
    }
  }

  private async run(name: string, params: unknown, origin: CallOrigin): Promise<unknown> {
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

export async function buildRpcServer(opts: RpcServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: opts.maxBodyBytes, logger: false, forceCloseConnections: true })
  const dispatcher = new Dispatcher(opts)

  await app.register(cors, { origin: opts.corsOrigins === '*' ? true : opts.corsOrigins.split(','), methods: ['POST', 'GET', 'OPTIONS'] })
  await app.register(websocket, { options: { maxPayload: opts.maxBodyBytes } })

  // the body is parsed by the dispatcher, so bad JSON is a JSON-RPC parse error rather than an HTTP 400
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    if (req.url.startsWith('/v1/')) {
      // REST routes answer in their own error shape
      const status = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 413 : (err.statusCode ?? 500)
      if (status >= 500) opts.log.error(`http error on ${req.url}: ${err.message}`)
      const message = status === 413 ? `request body over the limit of ${opts.maxBodyBytes} bytes` : status >= 500 ? 'internal error' : err.message
      return reply.code(status).send({ error: { code: status === 413 ? 'body_too_large' : status >= 500 ? 'internal' : 'bad_request', message } })
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(failure(null, { code: ErrorCode.invalidRequest, message: `request body over the limit of ${opts.maxBodyBytes} bytes` }))
    }
    opts.log.error(`http error: ${err.message}`)
    return reply.code(err.statusCode ?? 500).send(failure(null, { code: ErrorCode.internal, message: 'internal error' }))
  })

  app.post('/', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : ''
    const response = await dispatcher.handle(body, {})
    if (response === undefined) return reply.code(204).send()
    return reply.header('content-type', 'application/json').send(JSON.stringify(response))
  })

  app.route({
    method: 'GET',
    url: '/',
    handler: async (_req, reply) => reply.send({ name: 'ai-rollup JSON-RPC', usage: 'POST JSON-RPC 2.0 here, or open a WebSocket' }),
    wsHandler: (socket) => {
      const subscriptions = new ConnectionSubscriptions(opts.hub, (m) => {
        if (socket.readyState === socket.OPEN) socket.send(m)
      })
      const origin: CallOrigin = { subscriptions }
      socket.on('message', (data: Buffer) => {
        void dispatcher.handle(data.toString('utf8'), origin).then((response) => {
          if (response !== undefined && socket.readyState === socket.OPEN) socket.send(JSON.stringify(response))
        })
      })
      socket.on('close', () => subscriptions.close())
      socket.on('error', () => subscriptions.close())
    },
  })

  opts.routes?.(app)
  return app
}
