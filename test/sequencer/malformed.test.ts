/**
 * Whatever a client sends, the node answers with a JSON-RPC error (or closes the WebSocket) and
 * keeps serving: after every case the same in-process node still answers eth_blockNumber.
 */
import { connect } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { keccak256, parseGwei, parseTransaction, serializeTransaction, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts, postRaw, startTestNode, type TestNode } from '../helpers/node.ts'

const MAX_BATCH = 3
const MAX_BODY = 64 * 1024
const ADDR = accounts[1].address

const call = (method: string, params?: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) })

const signTransfer = (nonce: number) =>
  privateKeyToAccount(accounts[0].privateKey as Hex).signTransaction({
    type: 'eip1559', chainId: 42424, nonce, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: ADDR, value: 1n,
  })

describe('malformed input', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ rpc: { maxBatchSize: MAX_BATCH, maxBodyBytes: MAX_BODY } })
  })
  afterAll(() => t?.close())
  afterEach(async () => {
    // the same process keeps serving
    expect(await t.rpc('eth_blockNumber')).toMatch(/^0x[0-9a-f]+$/)
  })

  /** POSTs `body` and expects one JSON-RPC error with `code`; returns it. */
  async function expectError(body: string, code: number, message?: RegExp, id: unknown = null) {
    const res = await postRaw(t.url, body)
    expect(res.status, body.slice(0, 80)).toBe(200)
    expect(res.body, body.slice(0, 80)).toEqual({ jsonrpc: '2.0', id, error: expect.objectContaining({ code }) })
    if (message !== undefined) expect(res.body.error.message).toMatch(message)
    return res.body.error as { code: number; message: string }
  }

  it('bad JSON → -32700 with id null', async () => {
    for (const body of ['{"jsonrpc":"2.0",', 'not json', '', '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}}', '\u0000', "{'jsonrpc':'2.0'}", '[1,]']) {
      await expectError(body, -32700, /parse error/)
    }
  })

  it('an empty batch → -32600', async () => {
    await expectError('[]', -32600, /empty batch/)
  })

  it('a batch over the cap → one -32600; at the cap every call is answered', async () => {
    const calls = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })))
    await expectError(calls(MAX_BATCH + 1), -32600, new RegExp(`batch of ${MAX_BATCH + 1} calls is over the limit of ${MAX_BATCH}`))
    const ok = await postRaw(t.url, calls(MAX_BATCH))
    expect(ok.body).toEqual([0, 1, 2].map((id) => ({ jsonrpc: '2.0', id, result: '0xa5b8' })))
  })

  it('a request that is not an object → -32600 (alone or inside a batch)', async () => {
    for (const body of ['42', '"eth_blockNumber"', 'null', 'true']) await expectError(body, -32600, /expected a JSON-RPC object/)
    const res = await postRaw(t.url, JSON.stringify([1, 'x', { jsonrpc: '2.0', id: 9, method: 'eth_chainId' }]))
    expect(res.body).toEqual([
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
      { jsonrpc: '2.0', id: 9, result: '0xa5b8' },
    ])
  })

  it('missing or invalid jsonrpc → -32600 echoing the id', async () => {
    await expectError(JSON.stringify({ id: 5, method: 'eth_blockNumber' }), -32600, /jsonrpc must be "2.0"/, 5)
    await expectError(JSON.stringify({ jsonrpc: '1.0', id: 6, method: 'eth_blockNumber' }), -32600, /jsonrpc/, 6)
    await expectError(JSON.stringify({ jsonrpc: 2, id: 'seven', method: 'eth_blockNumber' }), -32600, /jsonrpc/, 'seven')
  })

  it('missing or non-string method → -32600; unknown method → -32601', async () => {
    await expectError(JSON.stringify({ jsonrpc: '2.0', id: 1 }), -32600, /method must be a string/, 1)
    await expectError(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 42 }), -32600, /method must be a string/, 2)
    await expectError(JSON.stringify({ jsonrpc: '2.0', id: 3, method: ['eth_blockNumber'] }), -32600, /method must be a string/, 3)
    await expectError(call('eth_noSuchMethod', []), -32601, /the method eth_noSuchMethod does not exist\/is not available/, 1)
    for (const m of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) await expectError(call(m, []), -32601, /does not exist/, 1)
  })

  it('an id that is an object or array → -32600', async () => {
    await expectError(JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'eth_blockNumber' }), -32600, /id must be/)
    await expectError(JSON.stringify({ jsonrpc: '2.0', id: [1], method: 'eth_blockNumber' }), -32600, /id must be/)
  })

  it('wrong parameter types → -32602 naming the argument', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['eth_getBalance', [1, 'latest'], /^invalid argument 0: .*cannot unmarshal number/],
      ['eth_getBalance', [ADDR, 12], /^invalid argument 1: /],
      ['eth_getBalance', [{ address: ADDR }, 'latest'], /^invalid argument 0: .*cannot unmarshal object/],
      ['eth_getBlockByNumber', ['latest', 'yes'], /^invalid argument 1: .*bool/],
      ['eth_getBlockByNumber', [true, false], /^invalid argument 0: /],
      ['eth_getTransactionByHash', ['0x1234'], /^invalid argument 0: hash must be 32 bytes/],
      ['eth_feeHistory', ['0x1', 'latest', { p: 50 }], /^invalid argument 2: expected an array, got object/],
      ['eth_getLogs', [[]], /^invalid argument 0: expected an object, got array/],
      ['eth_call', ['0x00', 'latest'], /^invalid argument 0: expected an object, got string/],
      ['eth_call', [{ to: 5 }, 'latest'], /^invalid argument 0: field to: /],
      ['eth_getBalance', [null, 'latest'], /argument 0/],
    ]
    for (const [method, params, message] of cases) await expectError(call(method, params), -32602, message, 1)
  })

  it('too many or too few arguments → -32602', async () => {
    await expectError(call('eth_blockNumber', [1]), -32602, /^too many arguments, want at most 0$/, 1)
    await expectError(call('eth_getBalance', [ADDR, 'latest', 'extra']), -32602, /^too many arguments, want at most 2$/, 1)
    await expectError(call('eth_getBalance', []), -32602, /^missing value for required argument 0$/, 1)
    await expectError(call('eth_getTransactionByHash'), -32602, /^missing value for required argument 0$/, 1)
  })

  it('params as an object (named parameters) → -32602', async () => {
    await expectError(call('eth_getBalance', { address: ADDR, block: 'latest' }), -32602, /params must be an array/, 1)
    await expectError(call('eth_blockNumber', {}), -32602, /params must be an array/, 1)
    await expectError(call('eth_blockNumber', 'latest'), -32602, /params must be an array/, 1)
  })

  it('an oversized body → HTTP 413 with a JSON-RPC error', async () => {
    const body = call('eth_getBalance', [`0x${'11'.repeat(MAX_BODY)}`, 'latest'])
    const res = await postRaw(t.url, body)
    expect(res.status).toBe(413)
    expect(res.body).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `request body over the limit of ${MAX_BODY} bytes` } })
    // just under the limit is parsed and judged on its content
    const padded = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', pad: 'x'.repeat(MAX_BODY - 100) })
    expect(Buffer.byteLength(padded)).toBeLessThanOrEqual(MAX_BODY)
    expect((await postRaw(t.url, padded)).body).toEqual({ jsonrpc: '2.0', id: 1, result: expect.stringMatching(/^0x/) })
  })

  it('bad transaction bytes in eth_sendRawTransaction → -32000', async () => {
    const good = await signTransfer(0)
    const decodeError = /^rlp: invalid transaction encoding(: .*)?$/
    const cases: [string, Hex, RegExp][] = [
      ['not RLP', '0xdeadbeef', decodeError],
      ['typed prefix, truncated list header', '0x02f8', decodeError],
      ['empty list', '0xc0', decodeError],
      ['empty input', '0x', decodeError],
      ['EIP-1559 with an empty list', '0x02c0', decodeError],
      ['truncated by one byte', good.slice(0, -2) as Hex, decodeError],
      ['truncated to 10 bytes', good.slice(0, 22) as Hex, decodeError],
      ['trailing byte', `${good}00`, decodeError],
      ['unknown type 0x05', '0x05c0', /^transaction type not supported(: .*)?$/],
    ]
    for (const [label, raw, message] of cases) {
      const r = await t.rpcRaw('eth_sendRawTransaction', [raw])
      expect(r.error?.code, label).toBe(-32000)
      expect(r.error?.message, label).toMatch(message)
    }
    // a signature that recovers no key
    const tx = parseTransaction(good)
    const badSig = serializeTransaction({ ...tx, type: 'eip1559' } as any, { r: `0x${'11'.repeat(32)}`, s: tx.s!, yParity: tx.yParity! })
    const r = await t.rpcRaw('eth_sendRawTransaction', [badSig])
    expect(r.error).toEqual({ code: -32000, message: expect.stringMatching(/^invalid sender(: .*)?$/) })
    expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
  })

  it('hex without 0x, odd length, non-hex characters → -32602', async () => {
    const good = await signTransfer(0)
    const cases: [string, unknown[], RegExp][] = [
      ['eth_sendRawTransaction', [good.slice(2)], /^invalid argument 0: hex string without 0x prefix$/],
      ['eth_sendRawTransaction', [good.slice(0, -1)], /^invalid argument 0: hex string of odd length$/],
      ['eth_sendRawTransaction', [`${good.slice(0, -2)}zz`], /^invalid argument 0: invalid hex string$/],
      ['eth_getBalance', [ADDR.slice(2), 'latest'], /^invalid argument 0: hex string without 0x prefix$/],
      ['eth_getBalance', [`${ADDR}0`, 'latest'], /^invalid argument 0: hex string of odd length$/],
      ['eth_getBalance', [`0x${'g'.repeat(40)}`, 'latest'], /^invalid argument 0: invalid hex string$/],
      ['eth_getBalance', [`0x${'ab'.repeat(19)}`, 'latest'], /^invalid argument 0: address must be 20 bytes/],
      ['eth_getBlockByNumber', ['0xzz', false], /^invalid argument 0: invalid hex string$/],
      ['eth_getBlockByNumber', ['12', false], /^invalid argument 0: /],
      ['eth_getBlockByNumber', ['0x', false], /^invalid argument 0: /],
      ['eth_getBlockByNumber', ['0x01', false], /^invalid argument 0: hex number with leading zero digits$/],
      ['eth_getBlockByNumber', ['0X1', false], /^invalid argument 0: /],
    ]
    for (const [method, params, message] of cases) await expectError(call(method, params), -32602, message, 1)
  })

  it('huge numbers → -32602 (or -32600 for a non-finite id)', async () => {
    await expectError(call('eth_getBlockByNumber', [`0x${'f'.repeat(65)}`, false]), -32602, /^invalid argument 0: hex number > 256 bits$/, 1)
    await expectError(call('eth_getBlockByNumber', [`0x${'f'.repeat(20)}`, false]), -32602, /^invalid argument 0: number too large$/, 1)
    await expectError(call('eth_getBalance', [ADDR, `0x${'f'.repeat(1000)}`]), -32602, /^invalid argument 1: /, 1)
    await expectError('{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":[1e400,false]}', -32602, /^invalid argument 0: /, 1)
    await expectError('{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":[123456789012345678901234567890,false]}', -32602, /^invalid argument 0: /, 1)
    await expectError('{"jsonrpc":"2.0","id":1e400,"method":"eth_blockNumber"}', -32600, /id must be/)
    // a block far in the future is simply absent
    expect(await t.rpc('eth_getBlockByNumber', [`0x${(2 ** 40).toString(16)}`, false])).toBeNull()
  })

  it('deeply nested JSON is refused without harm', async () => {
    const depth = 30_000
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`
    const res = await postRaw(t.url, arrays)
    expect(res.status).toBe(200)
    // a batch of one (nested) array: that call is not an object
    expect(res.body).toEqual([{ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) }])
    const objects = `${'{"a":'.repeat(depth / 4)}1${'}'.repeat(depth / 4)}`
    await expectError(objects, -32600)
    const inParams = `{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":${'['.repeat(depth)}${']'.repeat(depth)}}`
    await expectError(inParams, -32602, /^invalid argument 0: /, 1)
    const inObjectParam = `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[${'{"to":'.repeat(depth / 8)}1${'}'.repeat(depth / 8)},"latest"]}`
    await expectError(inObjectParam, -32602, /^invalid argument 0: field to: /, 1)
  })

  it('a notification (no id) gets HTTP 204 and no body, but runs', async () => {
    const raw = await signTransfer(0)
    const res = await postRaw(t.url, JSON.stringify({ jsonrpc: '2.0', method: 'eth_sendRawTransaction', params: [raw] }))
    expect(res.status).toBe(204)
    expect(res.body).toBeUndefined()
    const hash = keccak256(raw)
    const deadline = Date.now() + 10_000
    let receipt = null
    while (receipt === null && Date.now() < deadline) {
      receipt = await t.rpc('eth_getTransactionReceipt', [hash])
      if (receipt === null) await new Promise((r) => setTimeout(r, 25))
    }
    expect(receipt?.status).toBe('0x1')
    // a failing notification is silent too, and a batch of notifications answers nothing
    expect((await postRaw(t.url, JSON.stringify({ jsonrpc: '2.0', method: 'eth_noSuchMethod' }))).status).toBe(204)
    expect((await postRaw(t.url, JSON.stringify({ jsonrpc: '2.0', method: 'eth_getBalance', params: [1] }))).status).toBe(204)
    const batch = await postRaw(t.url, JSON.stringify([{ jsonrpc: '2.0', method: 'eth_chainId' }, { jsonrpc: '2.0', method: 'eth_blockNumber' }]))
    expect(batch.status).toBe(204)
    expect(batch.body).toBeUndefined()
    // in a mixed batch only the calls with an id are answered
    const mixed = await postRaw(t.url, JSON.stringify([{ jsonrpc: '2.0', method: 'eth_chainId' }, { jsonrpc: '2.0', id: 'x', method: 'eth_chainId' }]))
    expect(mixed.body).toEqual([{ jsonrpc: '2.0', id: 'x', result: '0xa5b8' }])
  })

  describe('over WebSocket', () => {
    const open = async () => {
      const ws = new WebSocket(t.wsUrl)
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
      })
      return ws
    }
    const next = (ws: WebSocket) => new Promise<any>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))))

    it('garbage text and binary messages get parse errors and the connection keeps working', async () => {
      const ws = await open()
      try {
        for (const garbage of ['garbage{{{', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), '', '[]', '42']) {
          const reply = next(ws)
          ws.send(garbage)
          const r = await reply
          expect(r.jsonrpc).toBe('2.0')
          expect(r.id).toBeNull()
          expect([-32700, -32600]).toContain(r.error.code)
        }
        const reply = next(ws)
        ws.send(call('eth_chainId', [], 77))
        expect(await reply).toEqual({ jsonrpc: '2.0', id: 77, result: '0xa5b8' })
      } finally {
        ws.terminate()
      }
    })

    it('a message over the size limit closes that connection with 1009', async () => {
      const ws = await open()
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
      ws.on('error', () => undefined)
      ws.send('x'.repeat(MAX_BODY + 1))
      expect(await closed).toBe(1009)
    })

    it('frames that break the WebSocket protocol close that connection with 1002', async () => {
      const { hostname, port } = new URL(t.url)
      const frames: [string, Buffer][] = [
        ['reserved opcode', Buffer.from([0x8f, 0x85, 1, 2, 3, 4, 9, 9, 9, 9, 9])],
        ['unmasked client frame', Buffer.from([0x81, 0x03, 0x61, 0x62, 0x63])],
        ['not a frame at all', Buffer.from('totally not a websocket frame')],
        ['RSV bits set', Buffer.from([0xf1, 0x81, 1, 2, 3, 4, 0x61])],
      ]
      for (const [label, frame] of frames) {
        const socket = connect(Number(port), hostname)
        try {
          let received = Buffer.alloc(0)
          const upgraded = new Promise<void>((resolve) =>
            socket.on('data', (d) => {
              received = Buffer.concat([received, d])
              if (received.includes('\r\n\r\n')) resolve()
            }),
          )
          const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
          socket.on('error', () => undefined)
          socket.write(
            `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          )
          await upgraded
          expect(received.toString('latin1'), label).toMatch(/^HTTP\/1\.1 101 /)
          socket.write(frame)
          await closed
          const after = received.subarray(received.indexOf('\r\n\r\n') + 4)
          // a close frame (0x88) with status 1002 (protocol error)
          expect(after.subarray(0, 4).toString('hex'), label).toBe('880203ea')
        } finally {
          socket.destroy()
        }
        expect(await t.rpc('eth_chainId')).toBe('0xa5b8')
      }
    })
  })
})
