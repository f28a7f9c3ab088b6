/**
 * Plain JSON-RPC posts (no Origin header, a declared length within the limit) skip fastify's
 * pipeline (sequencer/rpc/server.ts `isPlainRpcPost`). Over real HTTP, each body here is sent both
 * ways, plain and with an Origin header (which goes through fastify and @fastify/cors), and the
 * answers must be the same: status, body, and every header but the CORS ones and the date.
 */
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildRpcServer } from '../../../sequencer/rpc/server.ts'
import { method } from '../../../sequencer/rpc/methods.ts'
import { SubscriptionHub } from '../../../sequencer/rpc/subscriptions.ts'
import * as p from '../../../sequencer/rpc/params.ts'
import { createLogger } from '../../../sequencer/log.ts'

const MAX_BODY = 4096

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One POST over a fresh connection; `chunked` sends the body without a Content-Length. */
function post(port: number, body: string, opts: { origin?: string; chunked?: boolean; contentType?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' }
    if (opts.origin !== undefined) headers.origin = opts.origin
    if (!opts.chunked) headers['content-length'] = String(Buffer.byteLength(body))
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    if (opts.chunked) for (let i = 0; i < body.length; i += 7) req.write(body.slice(i, i + 7))
    else req.write(body)
    req.end()
  })
}

/** The headers both paths must agree on. */
function comparable(a: Answer): Answer {
  const { date: _d, 'access-control-allow-origin': _o, ...headers } = a.headers
  return { status: a.status, headers, body: a.body }
}

describe('plain JSON-RPC posts skip fastify and answer as it would', () => {
  let app: FastifyInstance
  let port: number
  let throughFastify = 0

  beforeAll(async () => {
    app = await buildRpcServer({
      methods: {
        eth_chainId: method([], () => '0xa5b8'),
        echo: method([p.data], (bytes) => `0x${Buffer.from(bytes).toString('hex')}`),
        broken: method([], () => {
          throw new Error('boom')
        }),
      },
      hub: new SubscriptionHub(undefined as never, { maxPerConnection: 1 }), // no WebSocket here
      log: createLogger('silent'),
      maxBodyBytes: MAX_BODY,
      maxBatchSize: 10,
      corsOrigins: '*',
      maxResponseBytes: 1024 * 1024,
      wsMaxInflight: 8,
      wsMaxBufferedBytes: 1024 * 1024,
      maxConnections: 100,
      requestTimeoutMs: 10_000,
      headersTimeoutMs: 5_000,
      keepAliveTimeoutMs: 5_000,
      routes: (a) => {
        a.addHook('onRequest', async () => {
          throughFastify++
        })
      },
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as AddressInfo).port
  })
  afterAll(() => app?.close())

  const call = (m: string, params: unknown[] = [], id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: m, params })
  const bodies: [string, string][] = [
    ['one call', call('eth_chainId')],
    ['a call with an argument', call('echo', ['0xc0ffee'], 'abc')],
    ['a batch', `[${call('eth_chainId', [], 1)},${call('echo', ['0x01'], 2)},${call('nope', [], 3)}]`],
    ['only notifications (204)', `[${JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' })}]`],
    ['bad JSON', '{"jsonrpc":"2.0",'],
    ['an empty body', ''],
    ['an unknown method', call('eth_nothing')],
    ['bad params', call('echo', ['0xzz'])],
    ['an internal error', call('broken')],
    ['a non-ASCII body', call('echo', ['é'])],
  ]

  for (const [what, body] of bodies) {
    it(`${what}: the same answer both ways`, async () => {
      const before = throughFastify
      const plain = await post(port, body)
      expect(throughFastify).toBe(before) // not through fastify
      const browser = await post(port, body, { origin: 'http://dapp.example' })
      expect(throughFastify).toBe(before + 1)
      expect(comparable(plain)).toEqual(comparable(browser))
      expect(plain.headers['access-control-allow-origin']).toBeUndefined()
      expect(browser.headers['access-control-allow-origin']).toBe('http://dapp.example')
      expect(plain.headers.vary).toBe('Origin')
      if (plain.status === 200) expect(JSON.parse(plain.body)).toBeTruthy()
    })
  }

  it('answers a call on the fast path with its result', async () => {
    const a = await post(port, call('echo', ['0xc0ffee'], 7))
    expect(a.status).toBe(200)
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8') // as fastify answers
    expect(JSON.parse(a.body)).toEqual({ jsonrpc: '2.0', id: 7, result: '0xc0ffee' })
  })

  it('leaves a chunked body, a body over the limit and other content types to fastify, with the same answers', async () => {
    const body = call('echo', ['0x0102'])
    const before = throughFastify
    const chunked = await post(port, body, { chunked: true })
    expect(throughFastify).toBe(before + 1)
    expect(comparable(chunked)).toEqual(comparable(await post(port, body)))

    const big = call('echo', [`0x${'11'.repeat(MAX_BODY)}`])
    const over = await post(port, big)
    expect(throughFastify).toBe(before + 2)
    expect(over.status).toBe(413)
    expect(JSON.parse(over.body)).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `request body over the limit of ${MAX_BODY} bytes` } })

    const octets = await post(port, body, { contentType: 'application/octet-stream' })
    expect(JSON.parse(octets.body)).toEqual({ jsonrpc: '2.0', id: 1, result: '0x0102' })
  })
})
