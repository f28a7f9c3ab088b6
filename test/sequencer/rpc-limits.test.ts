/**
 * What one client can hold on the RPC server (issue 19), over real sockets to 127.0.0.1: polling
 * filters (capped per client and in total, reading shared buffers instead of a copy each),
 * WebSocket subscriptions, requests in progress and unread data, HTTP request timeouts and the
 * connection cap, no ERROR line per aborted request, txpool_content's cap and the response size
 * limit (-32003).
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { parseGwei, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { captureLogs } from '../helpers/logs.ts'
import { accounts, postRaw, startTestNode, type JsonRpcResponse, type TestNode } from '../helpers/node.ts'
import { resolveConfig } from '../../sequencer/config.ts'

const SINK = '0x000000000000000000000000000000000000dEaD' as const
const CHAIN_ID = 42424
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function sign(i: number, nonce: number, data?: Hex, gas = 21_000n): Promise<Hex> {
  return privateKeyToAccount(accounts[i].privateKey as Hex).signTransaction({
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce,
    gas,
    maxFeePerGas: parseGwei('10'),
    maxPriorityFeePerGas: parseGwei('1'),
    to: SINK,
    value: 1n,
    data,
  })
}

/** A JSON-RPC client over one WebSocket: replies by id, notifications counted. */
class Ws {
  private nextId = 1
  private readonly replies = new Map<number, (r: JsonRpcResponse) => void>()
  readonly unmatched: JsonRpcResponse[] = []
  notifications = 0
  bytes = 0

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.bytes += data.length
      const msg = JSON.parse(data.toString())
      if (msg.method === 'eth_subscription') this.notifications++
      else if (this.replies.has(msg.id)) {
        this.replies.get(msg.id)!(msg)
        this.replies.delete(msg.id)
      } else this.unmatched.push(msg)
    })
  }

  static async open(url: string): Promise<Ws> {
    const ws = new WebSocket(url)
    await once(ws, 'open')
    return new Ws(ws)
  }

  call(method: string, params: unknown[] = []): Promise<JsonRpcResponse> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.replies.set(id, resolve)
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  close(): void {
    this.ws.terminate()
  }
}

/** Connects a raw TCP socket to the node. */
async function rawSocket(t: TestNode): Promise<Socket> {
  const { hostname, port } = new URL(t.url)
  const s = connect(Number(port), hostname)
  await once(s, 'connect')
  return s
}

function collectGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

describe('polling filters', () => {
  it('are capped per client (HTTP: the remote address; WebSocket: the connection) and in total, with -32005', async () => {
    const t = await startTestNode({ rpc: { maxFiltersPerClient: 5, maxFilters: 8 } })
    const ws = await Ws.open(t.wsUrl)
    try {
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push(await t.rpc('eth_newBlockFilter'))
      const over = await t.rpcRaw('eth_newPendingTransactionFilter')
      expect(over.error?.code).toBe(-32005)
      expect(over.error?.message).toMatch(/too many filters: this client has 5, the limit is 5/)
      // another client (a WebSocket connection) has its own share, up to the total of 8
      for (let i = 0; i < 3; i++) expect((await ws.call('eth_newPendingTransactionFilter')).result).toMatch(/^0x/)
      const total = await ws.call('eth_newFilter', [{}])
      expect(total.error?.code).toBe(-32005)
      expect(total.error?.message).toMatch(/the node holds 8, the limit is 8/)
      // uninstalling frees room
      expect(await t.rpc('eth_uninstallFilter', [ids[0]])).toBe(true)
      expect(await t.rpc('eth_newBlockFilter')).toMatch(/^0x/)
    } finally {
      ws.close()
      await t.close()
    }
  })

  it('read one shared buffer of pending transactions: a filter polled too rarely misses the oldest, not the newest', async () => {
    const t = await startTestNode({ rpc: { filterBufferEntries: 3 }, sequencer: { automine: false, blockTimeMs: 60_000 } })
    try {
      const early = await t.rpc('eth_newPendingTransactionFilter')
      const hashes: Hex[] = []
      for (let nonce = 0; nonce < 2; nonce++) hashes.push(await t.rpc('eth_sendRawTransaction', [await sign(0, nonce)]))
      const late = await t.rpc('eth_newPendingTransactionFilter')
      for (let nonce = 2; nonce < 5; nonce++) hashes.push(await t.rpc('eth_sendRawTransaction', [await sign(0, nonce)]))
      expect(await t.rpc('eth_getFilterChanges', [early])).toEqual(hashes.slice(2))
      expect(await t.rpc('eth_getFilterChanges', [late])).toEqual(hashes.slice(2))
      expect(await t.rpc('eth_getFilterChanges', [early])).toEqual([])
    } finally {
      await t.close()
    }
  })

  it('cost no memory per filter per new transaction (20,000 never-polled filters, 300 transactions)', async () => {
    const gc = collectGc()
    const t = await startTestNode({ rpc: { maxFilters: 20_000, maxFiltersPerClient: 20_000 }, sequencer: { automine: false, blockTimeMs: 60_000 } })
    try {
      for (let b = 0; b < 20; b++) {
        const { body } = await postRaw(t.url, JSON.stringify(Array.from({ length: 1_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_newPendingTransactionFilter', params: [] }))))
        expect(body.every((r: JsonRpcResponse) => typeof r.result === 'string')).toBe(true)
      }
      const raws = await Promise.all(Array.from({ length: 300 }, (_, nonce) => sign(nonce % 10, Math.floor(nonce / 10))))
      gc()
      const before = process.memoryUsage().heapUsed
      const { body } = await postRaw(t.url, JSON.stringify(raws.map((raw, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [raw] }))))
      expect(body.filter((r: JsonRpcResponse) => r.error !== undefined)).toEqual([])
      gc()
      const grown = process.memoryUsage().heapUsed - before
      // a copy per filter is 20,000 × 300 references (48 MB); the shared buffer holds 300 hashes
      expect(grown).toBeLessThan(16 * 1024 * 1024)
    } finally {
      await t.close()
    }
  })
})

describe('WebSocket limits', () => {
  it('caps subscriptions per connection with -32005', async () => {
    const t = await startTestNode({ rpc: { wsMaxSubscriptions: 3 } })
    const ws = await Ws.open(t.wsUrl)
    try {
      for (let i = 0; i < 3; i++) expect((await ws.call('eth_subscribe', ['newHeads'])).result).toMatch(/^0x/)
      const over = await ws.call('eth_subscribe', ['newPendingTransactions'])
      expect(over.error?.code).toBe(-32005)
      expect(over.error?.message).toMatch(/too many subscriptions on this connection \(limit 3\)/)
      const other = await Ws.open(t.wsUrl)
      expect((await other.call('eth_subscribe', ['newHeads'])).result).toMatch(/^0x/)
      other.close()
    } finally {
      ws.close()
      await t.close()
    }
  })

  it('runs at most rpc.wsMaxInflight requests of a connection at once: the next ones wait, and past 16 × that many waiting they get -32005', async () => {
    const t = await startTestNode({ rpc: { wsMaxInflight: 4 } })
    const ws = await Ws.open(t.wsUrl)
    try {
      // 60 at once fit in 4 running + 64 waiting: all answered, in order of arrival
      const first = await Promise.all(Array.from({ length: 60 }, () => ws.call('eth_getBlockByNumber', ['latest', true])))
      expect(first.filter((a) => a.error !== undefined)).toEqual([])
      // 300 at once do not
      const answers = await Promise.all(Array.from({ length: 300 }, () => ws.call('eth_getBlockByNumber', ['latest', true])))
      const refused = answers.filter((a) => a.error?.code === -32005)
      expect(refused.length).toBeGreaterThan(0)
      expect(refused[0].error?.message).toMatch(/too many requests in progress on this connection \(limit 4, and 64 waiting\)/)
      expect(answers.filter((a) => a.result !== undefined).length).toBeGreaterThanOrEqual(4 + 64)
      // once answered, the connection serves again
      expect((await ws.call('eth_chainId')).result).toBe('0xa5b8')
    } finally {
      ws.close()
      await t.close()
    }
  })

  it('closes a connection that does not read once its unsent data passes rpc.wsMaxBufferedBytes; others are served', async () => {
    const t = await startTestNode({ rpc: { wsMaxBufferedBytes: 1024 * 1024 } })
    const slow = await Ws.open(t.wsUrl)
    const good = await Ws.open(t.wsUrl)
    try {
      await Promise.all(Array.from({ length: 1_000 }, () => slow.call('eth_subscribe', ['newHeads'])))
      expect(slow.notifications).toBe(0)
      await good.call('eth_subscribe', ['newHeads'])
      const closed = once(slow.ws, 'close')
      ;(slow.ws as unknown as { _socket: Socket })._socket.pause() // stop reading
      // 40 blocks × 1,000 headers of ~1.2 kB: about 50 MB for a reader that never reads
      for (let nonce = 0; nonce < 40; nonce++) await t.rpc('eth_sendRawTransaction', [await sign(0, nonce)])
      await sleep(500)
      ;(slow.ws as unknown as { _socket: Socket })._socket.resume()
      const [code] = (await Promise.race([closed, sleep(10_000).then(() => ['still open'])])) as [number | string]
      expect([1008, 1006]).toContain(code)
      expect(slow.bytes).toBeLessThan(25 * 1024 * 1024)
      expect(good.notifications).toBeGreaterThanOrEqual(40)
    } finally {
      slow.close()
      good.close()
      await t.close()
    }
  })
})

describe('HTTP limits', () => {
  it('closes a request whose body trickles in past rpc.requestTimeoutMs (408)', async () => {
    const t = await startTestNode({ rpc: { requestTimeoutMs: 1_500, headersTimeoutMs: 1_000 } })
    const s = await rawSocket(t)
    let answer = ''
    s.on('data', (d) => (answer += d))
    const timer = setInterval(() => s.writable && s.write(' '), 200)
    try {
      s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n')
      const started = Date.now()
      const closed = await Promise.race([once(s, 'close').then(() => true), sleep(8_000).then(() => false)])
      expect(closed).toBe(true)
      expect(Date.now() - started).toBeLessThan(6_000)
      expect(answer).toMatch(/^HTTP\/1\.1 408/)
      expect(await t.rpc('eth_chainId')).toBe('0xa5b8')
    } finally {
      clearInterval(timer)
      s.destroy()
      await t.close()
    }
  })

  it('accepts at most rpc.maxConnections connections; the rest are closed at once', async () => {
    const t = await startTestNode({ rpc: { maxConnections: 20 } })
    const sockets: Socket[] = []
    try {
      let closed = 0
      for (let i = 0; i < 40; i++) {
        const s = await rawSocket(t)
        s.on('close', () => closed++)
        s.on('error', () => undefined)
        sockets.push(s)
      }
      await sleep(500)
      expect(closed).toBeGreaterThanOrEqual(15)
      expect(closed).toBeLessThanOrEqual(40 - 15)
      for (const s of sockets) s.destroy()
      await sleep(200)
      expect(await t.rpc('eth_chainId')).toBe('0xa5b8')
    } finally {
      for (const s of sockets) s.destroy()
      await t.close()
    }
  })

  it('logs no ERROR line when a client aborts its request mid-body', async () => {
    const logs = captureLogs()
    const t = await startTestNode({ logLevel: 'debug', logFormat: 'json' }, { logDestination: logs.destination })
    try {
      for (let i = 0; i < 5; i++) {
        const s = await rawSocket(t)
        s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":')
        await sleep(50)
        s.destroy()
      }
      await sleep(500)
      expect(logs.lines().length, 'the node logs (at debug)').toBeGreaterThan(0)
      expect(logs.lines().filter((l) => l.level === 'error')).toEqual([])
      expect(await t.rpc('eth_chainId')).toBe('0xa5b8')
    } finally {
      await t.close()
    }
  })
})

describe('txpool_content', () => {
  it('answers -32005 past rpc.txpoolContentMaxTxs; txpool_contentFrom and txpool_status still answer', async () => {
    const t = await startTestNode({ rpc: { txpoolContentMaxTxs: 3 }, sequencer: { automine: false, blockTimeMs: 60_000 } })
    try {
      for (const nonce of [0, 1, 2]) await t.rpc('eth_sendRawTransaction', [await sign(0, nonce)])
      expect(Object.keys((await t.rpc('txpool_content')).pending)).toHaveLength(1)
      await t.rpc('eth_sendRawTransaction', [await sign(1, 0)])
      const r = await t.rpcRaw('txpool_content')
      expect(r.error?.code).toBe(-32005)
      expect(r.error?.message).toMatch(/4 transactions .* over the txpool_content limit of 3 transactions/)
      const mine = await t.rpc('txpool_contentFrom', [accounts[0].address])
      expect(Object.keys(mine.pending)).toEqual(['0', '1', '2'])
      expect(mine.queued).toEqual({})
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x4', queued: '0x0' })
    } finally {
      await t.close()
    }
  })
})

describe('response size limit', () => {
  it('answers -32003 "response too large" past rpc.maxResponseBytes, for a call and within a batch, over HTTP and WebSocket', async () => {
    const t = await startTestNode({ rpc: { maxResponseBytes: 50_000 } })
    try {
      // 15 kB of calldata: 30 kB of hex in each answer that carries it
      const raw = await sign(0, 0, `0x${'ab'.repeat(15_000)}`, 700_000n)
      const hash: Hex = await t.rpc('eth_sendRawTransaction', [raw])
      let receipt = null
      for (let i = 0; i < 100 && receipt === null; i++) {
        receipt = await t.rpc('eth_getTransactionReceipt', [hash])
        if (receipt === null) await sleep(50)
      }
      expect(receipt).not.toBeNull()
      expect((await t.rpc('eth_getTransactionByHash', [hash])).input).toHaveLength(30_002)

      const call = (id: number, method: string, params: unknown[]) => ({ jsonrpc: '2.0', id, method, params })
      const { body } = await postRaw(
        t.url,
        JSON.stringify([call(1, 'eth_getRawTransactionByHash', [hash]), call(2, 'eth_chainId', []), call(3, 'eth_getTransactionByHash', [hash]), call(4, 'eth_chainId', [])]),
      )
      expect(body.map((r: JsonRpcResponse) => r.id)).toEqual([1, 2, 3, 4])
      expect(body[0].result).toHaveLength(raw.length)
      expect(body[1].result).toBe('0xa5b8')
      // 30 kB more would pass 50,000 bytes: refused, and the batch answer stays under the limit
      expect(body[2].error).toEqual({ code: -32003, message: expect.stringMatching(/^response too large: over the limit of 50000 bytes/) })
      expect(body[3].result).toBe('0xa5b8')
      expect(JSON.stringify(body).length).toBeLessThan(50_000)

      // a single answer over the limit
      await t.rpc('eth_getTransactionByHash', [hash]) // 30 kB: fine alone
      const block = await t.rpcRaw('eth_getBlockByNumber', [receipt.blockNumber, true])
      expect(block.error).toBeUndefined()
      const three = await postRaw(t.url, JSON.stringify([1, 2, 3].map((id) => call(id, 'eth_getTransactionByHash', [hash]))))
      expect(three.body.map((r: JsonRpcResponse) => r.error?.code)).toEqual([undefined, -32003, -32003])

      const ws = await Ws.open(t.wsUrl)
      try {
        const big = await ws.call('eth_getBlockByNumber', [receipt.blockNumber, true])
        expect(big.result?.transactions?.[0]?.input).toHaveLength(30_002)
      } finally {
        ws.close()
      }
    } finally {
      await t.close()
    }
    const small = await startTestNode({ rpc: { maxResponseBytes: 20_000 } })
    try {
      const hash: Hex = await small.rpc('eth_sendRawTransaction', [await sign(0, 0, `0x${'ab'.repeat(15_000)}`, 700_000n)])
      const r = await small.rpcRaw('eth_getTransactionByHash', [hash])
      expect(r.error).toEqual({ code: -32003, message: expect.stringMatching(/^response too large/) })
      const ws = await Ws.open(small.wsUrl)
      try {
        expect((await ws.call('eth_getTransactionByHash', [hash])).error?.code).toBe(-32003)
      } finally {
        ws.close()
      }
    } finally {
      await small.close()
    }
  })

  it('refuses a receipt whose log count alone passes the limit before building it; a neighbour in the same block is served', async () => {
    const t = await startTestNode({ rpc: { maxResponseBytes: 50_000 }, sequencer: { automine: false, blockTimeMs: 60_000 } })
    try {
      // runtime: emit calldata[0..32] empty LOG0s; init code copies it into place
      const runtime = '6000355b8015601457600080a0600190036003565b00'
      const len = (runtime.length / 2).toString(16).padStart(2, '0')
      const deploy = await privateKeyToAccount(accounts[0].privateKey as Hex).signTransaction({
        type: 'eip1559', chainId: CHAIN_ID, nonce: 0, gas: 200_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'),
        data: `0x60${len}600c60003960${len}6000f3${runtime}`,
      })
      const deployHash: Hex = await t.rpc('eth_sendRawTransaction', [deploy])
      await t.node.mine()
      const emitter = (await t.rpc('eth_getTransactionReceipt', [deployHash])).contractAddress
      const emit = await privateKeyToAccount(accounts[0].privateKey as Hex).signTransaction({
        type: 'eip1559', chainId: CHAIN_ID, nonce: 1, gas: 400_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'),
        to: emitter, data: `0x${(400).toString(16).padStart(64, '0')}`,
      })
      const emitHash: Hex = await t.rpc('eth_sendRawTransaction', [emit])
      const neighbour: Hex = await t.rpc('eth_sendRawTransaction', [await sign(1, 0)])
      await t.node.mine()
      // 400 logs are at least 400 × 300 bytes of JSON: over 50,000 without building them
      const r = await t.rpcRaw('eth_getTransactionReceipt', [emitHash])
      expect(r.error).toEqual({ code: -32003, message: expect.stringMatching(/^response too large/) })
      expect((await t.rpcRaw('eth_getBlockReceipts', ['latest'])).error?.code).toBe(-32003)
      const other = await t.rpc('eth_getTransactionReceipt', [neighbour])
      expect(other.status).toBe('0x1')
      expect(other.logs).toEqual([])
      expect(other.blockNumber).toBe((await t.rpc('eth_getTransactionByHash', [emitHash])).blockNumber)
    } finally {
      await t.close()
    }
  })
})

describe('limits config', () => {
  it('refuses invalid limits at start-up, naming the field', () => {
    expect(() => resolveConfig({ rpc: { maxFilters: 0 } })).toThrow(/rpc\.maxFilters/)
    expect(() => resolveConfig({ rpc: { maxFilters: 10, maxFiltersPerClient: 11 } })).toThrow(/rpc\.maxFiltersPerClient/)
    expect(() => resolveConfig({ rpc: { requestTimeoutMs: 1_000, headersTimeoutMs: 2_000 } })).toThrow(/rpc\.headersTimeoutMs/)
    expect(() => resolveConfig({ rpc: { wsMaxBufferedBytes: 1.5 } })).toThrow(/rpc\.wsMaxBufferedBytes/)
    expect(() => resolveConfig({ pool: { minFeeCap: -1n } })).toThrow(/pool\.minFeeCap/)
    expect(() => resolveConfig({ pool: { maxBytes: 1_000 } })).toThrow(/pool\.maxBytes/)
    expect(() => resolveConfig({ pool: { queuedLifetimeMs: -1 } })).toThrow(/pool\.queuedLifetimeMs/)
    const c = resolveConfig()
    expect(c.pool).toMatchObject({ minFeeCap: 1_000_000n, minReplacementBump: 1_000_000n, maxBytes: 32 * 1024 * 1024, queuedGlobalSlots: 1024, queuedAccountSlots: 64, queuedLifetimeMs: 3 * 3600 * 1000 })
    expect(c.rpc).toMatchObject({ maxResponseBytes: 10 * 1024 * 1024, maxFilters: 10_000, maxFiltersPerClient: 1_000, wsMaxSubscriptions: 1_000, wsMaxInflight: 64, maxConnections: 5_000, requestTimeoutMs: 30_000 })
  })
})
