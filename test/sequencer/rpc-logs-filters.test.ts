/**
 * Logs, polling filters and subscriptions, specified against a real node: eth_getLogs (address,
 * topics, block hash, the block-range and result caps), the eth_newFilter family with
 * eth_getFilterChanges / eth_getFilterLogs / eth_uninstallFilter, and eth_subscribe over a real
 * WebSocket (raw, and through viem's webSocket transport). Successful raw results are validated
 * against the execution-apis spec.
 *
 * Spec note: FilterResults is `oneOf [hashes, logs]`, so an empty array (which is both) cannot
 * validate; empty results are checked with toEqual([]) instead.
 */
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  bytesToHex,
  createPublicClient,
  encodeEventTopics,
  hexToBytes,
  keccak256,
  pad,
  parseAbiItem,
  toHex,
  webSocket,
  type Address,
  type Hex,
  type Log,
} from 'viem'
import { accounts, startTestNode, type JsonRpcResponse, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec, assertMatchesSpecSchema } from '../helpers/spec.ts'
import { compile, type Compiled } from '../helpers/solidity.ts'

const SOURCE = `
contract Emitter {
    event Ping(uint256 indexed id, address indexed from, string note);
    event Pong(uint256 indexed id);

    function ping(uint256 id, string calldata note) external {
        emit Ping(id, msg.sender, note);
    }

    function both(uint256 id) external {
        emit Ping(id, msg.sender, "");
        emit Pong(id);
    }
}
`

const PING = parseAbiItem('event Ping(uint256 indexed id, address indexed from, string note)')
const PONG = parseAbiItem('event Pong(uint256 indexed id)')
/** Emitter's ABI, typed for viem's inference (the compiled one is a plain Abi). */
const EMITTER_ABI = [PING, PONG, parseAbiItem('function ping(uint256 id, string note)'), parseAbiItem('function both(uint256 id)')] as const
const PING_TOPIC = encodeEventTopics({ abi: [PING], eventName: 'Ping' })[0]
const PONG_TOPIC = encodeEventTopics({ abi: [PONG], eventName: 'Pong' })[0]
const idTopic = (id: bigint) => pad(toHex(id))

let emitter: Compiled

/** Whether a 2048-bit logs bloom has the three bits of `item` (an address or a topic) set. */
function inBloom(bloom: Hex, item: Hex): boolean {
  const bits = hexToBytes(bloom)
  const h = hexToBytes(keccak256(item))
  for (let i = 0; i < 6; i += 2) {
    const idx = ((h[i] << 8) | h[i + 1]) & 2047
    if ((bits[255 - (idx >> 3)] & (1 << (idx & 7))) === 0) return false
  }
  return true
}

/** A raw JSON-RPC client over one WebSocket connection, collecting eth_subscription notifications. */
class WsRpc {
  private nextId = 1
  private readonly replies = new Map<number, (r: JsonRpcResponse) => void>()
  readonly notifications: { subscription: string; result: any }[] = []
  private wake: (() => void)[] = []
  private batchReply: ((r: JsonRpcResponse[]) => void) | undefined

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString())
      if (Array.isArray(msg)) {
        this.batchReply?.(msg)
        this.batchReply = undefined
      } else if (msg.method === 'eth_subscription') {
        this.notifications.push(msg.params)
        for (const w of this.wake.splice(0)) w()
      } else {
        this.replies.get(msg.id)?.(msg)
        this.replies.delete(msg.id)
      }
    })
  }

  static async open(url: string): Promise<WsRpc> {
    const ws = new WebSocket(url)
    await once(ws, 'open')
    return new WsRpc(ws)
  }

  call(method: string, params: unknown[] = []): Promise<JsonRpcResponse> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.replies.set(id, resolve)
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** Sends calls as one batch (one at a time per connection). */
  batch(calls: { method: string; params?: unknown[] }[]): Promise<JsonRpcResponse[]> {
    return new Promise((resolve) => {
      this.batchReply = resolve
      this.ws.send(JSON.stringify(calls.map((c) => ({ jsonrpc: '2.0', id: this.nextId++, method: c.method, params: c.params ?? [] }))))
    })
  }

  async subscribe(...params: unknown[]): Promise<string> {
    const r = await this.call('eth_subscribe', params)
    expect(r.error).toBeUndefined()
    return r.result
  }

  of(subscription: string): any[] {
    return this.notifications.filter((n) => n.subscription === subscription).map((n) => n.result)
  }

  /** Resolves with the subscription's notifications once there are at least `count`. */
  async waitFor(subscription: string, count: number, timeoutMs = 10_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs
    while (this.of(subscription).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} notifications of ${subscription}, have ${this.of(subscription).length}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200)
        this.wake.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.of(subscription)
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const closed = once(this.ws, 'close')
    this.ws.close()
    await closed
  }
}

async function deployEmitter(t: TestNode): Promise<Address> {
  const hash = await t.wallet(0).deployContract({ abi: EMITTER_ABI, bytecode: emitter.bytecode })
  return (await t.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
}

async function ping(t: TestNode, address: Address, id: bigint, note = 'hi', wallet = 1) {
  const hash = await t.wallet(wallet).writeContract({ address, abi: EMITTER_ABI, functionName: 'ping', args: [id, note] })
  return t.publicClient.waitForTransactionReceipt({ hash })
}

async function both(t: TestNode, address: Address, id: bigint) {
  const hash = await t.wallet(1).writeContract({ address, abi: EMITTER_ABI, functionName: 'both', args: [id] })
  return t.publicClient.waitForTransactionReceipt({ hash })
}

async function transfer(t: TestNode, wallet = 2) {
  const hash = await t.wallet(wallet).sendTransaction({ to: accounts[3].address, value: 1n })
  return t.publicClient.waitForTransactionReceipt({ hash })
}

async function rpcError(t: TestNode, method: string, params: unknown[]) {
  const r = await t.rpcRaw(method, params)
  expect(r.result, `${method} should fail`).toBeUndefined()
  return r.error!
}

beforeAll(() => {
  emitter = compile(SOURCE, 'Emitter')
})

describe('eth_getLogs', () => {
  let t: TestNode
  let a: Address
  let b: Address
  let first: bigint
  let last: bigint
  let bothBlock: Hex

  beforeAll(async () => {
    t = await startTestNode()
    a = await deployEmitter(t)
    b = await deployEmitter(t)
    first = (await ping(t, a, 1n, 'one')).blockNumber
    await ping(t, b, 2n, 'two')
    await ping(t, a, 3n, 'three', 2)
    const r = await both(t, a, 4n)
    bothBlock = r.blockHash
    last = r.blockNumber
  })
  afterAll(() => t?.close())

  it('returns the logs of one address, in chain order, with spec-shaped fields', async () => {
    const logs = await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), toBlock: 'latest', address: a }])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs).toHaveLength(4)
    expect(logs.map((l: { topics: Hex[] }) => l.topics[1])).toEqual([idTopic(1n), idTopic(3n), idTopic(4n), idTopic(4n)])
    for (const l of logs) {
      expect(l.address).toBe(a.toLowerCase())
      expect(l.removed).toBe(false)
    }
    const [one] = logs
    const receipt = await t.rpc('eth_getTransactionReceipt', [one.transactionHash])
    expect(receipt.logs[0]).toEqual(one)
    const block = await t.rpc('eth_getBlockByNumber', [one.blockNumber, false])
    expect(one.blockHash).toBe(block.hash)
    expect(one.blockTimestamp).toBe(block.timestamp)
  })

  it('numbers logs across the block: the second log of a transaction has logIndex 0x1', async () => {
    const logs = await t.rpc('eth_getLogs', [{ blockHash: bothBlock }])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs.map((l: { logIndex: Hex; topics: Hex[] }) => [l.logIndex, l.topics[0]])).toEqual([
      ['0x0', PING_TOPIC],
      ['0x1', PONG_TOPIC],
    ])
  })

  it("sets each log's address and topics in the receipt's logsBloom; the block's bloom is the OR of its receipts'", async () => {
    const receipts = await t.rpc('eth_getBlockReceipts', [{ blockHash: bothBlock }])
    const block = await t.rpc('eth_getBlockByHash', [bothBlock, false])
    const or = new Uint8Array(256)
    for (const r of receipts) hexToBytes(r.logsBloom).forEach((byte, i) => (or[i] |= byte))
    expect(block.logsBloom).toBe(bytesToHex(or))
    const [receipt] = receipts
    expect(receipt.logs).toHaveLength(2)
    for (const l of receipt.logs) for (const item of [l.address, ...l.topics]) expect(inBloom(receipt.logsBloom, item), item).toBe(true)
    expect(inBloom(receipt.logsBloom, b)).toBe(false)
    expect(inBloom(block.logsBloom, a)).toBe(true)
  })

  it('matches several addresses', async () => {
    const logs = await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), address: [a, b] }])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs).toHaveLength(5)
  })

  it('matches topics by position, with null as a wildcard and arrays as alternatives', async () => {
    const pongs = await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), topics: [PONG_TOPIC] }])
    assertMatchesSpec('eth_getLogs', pongs, { noExtraFields: true })
    expect(pongs).toHaveLength(1)

    const idOneOrTwo = await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), topics: [null, [idTopic(1n), idTopic(2n)]] }])
    expect(idOneOrTwo.map((l: { address: Hex }) => l.address)).toEqual([a.toLowerCase(), b.toLowerCase()])

    const fromWallet2 = await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), topics: [PING_TOPIC, null, pad(accounts[2].address.toLowerCase() as Hex)] }])
    expect(fromWallet2).toHaveLength(1)
    expect(fromWallet2[0].topics[1]).toBe(idTopic(3n))

    expect(await t.rpc('eth_getLogs', [{ fromBlock: toHex(first), topics: [PONG_TOPIC, idTopic(1n)] }])).toEqual([])
  })

  it('filters by block hash', async () => {
    const logs = await t.rpc('eth_getLogs', [{ blockHash: bothBlock, topics: [PONG_TOPIC] }])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs).toHaveLength(1)
    expect(logs[0].blockHash).toBe(bothBlock)
  })

  it('defaults fromBlock and toBlock to latest', async () => {
    const logs = await t.rpc('eth_getLogs', [{}])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs.map((l: { blockNumber: Hex }) => l.blockNumber)).toEqual([toHex(last), toHex(last)])
  })

  it('works through viem with decoded arguments', async () => {
    const logs = await t.publicClient.getLogs({ address: a, event: PING, args: { id: 3n }, fromBlock: first })
    expect(logs).toHaveLength(1)
    expect(logs[0].args).toEqual({ id: 3n, from: accounts[2].address, note: 'three' })
    const events = await t.publicClient.getContractEvents({ address: [a, b], abi: EMITTER_ABI, eventName: 'Ping', fromBlock: first })
    expect(events.map((e) => e.args.note)).toEqual(['one', 'two', 'three', ''])
  })

  it('rejects blockHash together with fromBlock/toBlock with -32602', async () => {
    const err = await rpcError(t, 'eth_getLogs', [{ blockHash: bothBlock, fromBlock: '0x1' }])
    expect(err.code).toBe(-32602)
    expect(err.message).toMatch(/cannot specify both BlockHash and FromBlock\/ToBlock/)
  })

  it('rejects fromBlock after toBlock with -32602', async () => {
    const err = await rpcError(t, 'eth_getLogs', [{ fromBlock: toHex(last), toBlock: toHex(first) }])
    expect(err.code).toBe(-32602)
  })

  it('fails with -32000 for an unknown block hash', async () => {
    const err = await rpcError(t, 'eth_getLogs', [{ blockHash: `0x${'99'.repeat(32)}` }])
    expect(err.code).toBe(-32000)
  })

  it('rejects more than 4 topic positions and a malformed topic with -32602', async () => {
    expect((await rpcError(t, 'eth_getLogs', [{ topics: [null, null, null, null, null] }])).code).toBe(-32602)
    const err = await rpcError(t, 'eth_getLogs', [{ topics: ['0x1234'] }])
    expect(err.code).toBe(-32602)
    expect(err.message).toMatch(/topics\[0\]/)
  })
})

describe('eth_getLogs limits', () => {
  let t: TestNode
  let a: Address
  beforeAll(async () => {
    t = await startTestNode({ rpc: { logsBlockRange: 5, logsMaxResults: 3 } })
    a = await deployEmitter(t)
    for (let i = 1n; i <= 6n; i++) await ping(t, a, i)
  })
  afterAll(() => t?.close())

  it('rejects a range over the cap with -32005', async () => {
    const head = await t.publicClient.getBlockNumber({ cacheTime: 0 })
    const err = await rpcError(t, 'eth_getLogs', [{ fromBlock: toHex(head - 5n), toBlock: toHex(head), address: '0x0000000000000000000000000000000000000001' }])
    expect(err.code).toBe(-32005)
    expect(err.message).toMatch(/max block range 5/)
    await expect(t.publicClient.getLogs({ fromBlock: 0n, toBlock: head })).rejects.toThrow(/max block range 5/)
  })

  it('serves a range of exactly the cap', async () => {
    const head = await t.publicClient.getBlockNumber({ cacheTime: 0 })
    const logs = await t.rpc('eth_getLogs', [{ fromBlock: toHex(head - 4n), toBlock: toHex(head), topics: [PING_TOPIC, idTopic(6n)] }])
    assertMatchesSpec('eth_getLogs', logs, { noExtraFields: true })
    expect(logs).toHaveLength(1)
  })

  it('rejects a query with more results than the cap with -32005 instead of truncating', async () => {
    const head = await t.publicClient.getBlockNumber({ cacheTime: 0 })
    const err = await rpcError(t, 'eth_getLogs', [{ fromBlock: toHex(head - 4n), toBlock: toHex(head) }])
    expect(err.code).toBe(-32005)
    expect(err.message).toMatch(/more than 3 results/)
  })
})

describe('polling filters', () => {
  let t: TestNode
  let a: Address
  let b: Address
  beforeAll(async () => {
    t = await startTestNode()
    a = await deployEmitter(t)
    b = await deployEmitter(t)
  })
  afterAll(() => t?.close())

  describe('eth_newFilter', () => {
    it('returns new matching logs once per eth_getFilterChanges; eth_getFilterLogs resolves "latest" when asked, as geth', async () => {
      // without fromBlock the filter starts at the head when it was installed
      const id = await t.rpc('eth_newFilter', [{ address: a, topics: [PING_TOPIC] }])
      assertMatchesSpec('eth_newFilter', id, { noExtraFields: true })
      expect(await t.rpc('eth_getFilterChanges', [id])).toEqual([])

      await ping(t, a, 10n)
      await ping(t, b, 11n) // other address
      await both(t, a, 12n) // the Pong is another topic
      const changes = await t.rpc('eth_getFilterChanges', [id])
      assertMatchesSpec('eth_getFilterChanges', changes, { noExtraFields: true })
      expect(changes.map((l: { topics: Hex[] }) => l.topics[1])).toEqual([idTopic(10n), idTopic(12n)])
      expect(await t.rpc('eth_getFilterChanges', [id])).toEqual([])

      await ping(t, a, 13n)
      const more = await t.rpc('eth_getFilterChanges', [id])
      expect(more.map((l: { topics: Hex[] }) => l.topics[1])).toEqual([idTopic(13n)])

      // no fromBlock/toBlock: both mean the head at the time of the call, so only its block's logs
      const all = await t.rpc('eth_getFilterLogs', [id])
      assertMatchesSpec('eth_getFilterLogs', all, { noExtraFields: true })
      expect(all).toEqual(more)
    })

    it('with fromBlock in the past, eth_getFilterLogs includes the earlier logs', async () => {
      const id = await t.rpc('eth_newFilter', [{ fromBlock: '0x0', address: b }])
      const all = await t.rpc('eth_getFilterLogs', [id])
      assertMatchesSpec('eth_getFilterLogs', all, { noExtraFields: true })
      expect(all.map((l: { topics: Hex[] }) => l.topics[1])).toEqual([idTopic(11n)])
    })

    it('works through viem: createContractEventFilter, getFilterChanges, getFilterLogs', async () => {
      const fromBlock = (await t.publicClient.getBlockNumber()) + 1n
      const filter = await t.publicClient.createContractEventFilter({ address: a, abi: EMITTER_ABI, eventName: 'Ping', args: { id: 20n }, fromBlock })
      await ping(t, a, 20n, 'twenty')
      await ping(t, a, 21n, 'not me')
      const changes = (await t.publicClient.getFilterChanges({ filter })) as Log[]
      expect(changes).toHaveLength(1)
      expect((changes[0] as unknown as { args: { note: string } }).args.note).toBe('twenty')
      expect(await t.publicClient.getFilterLogs({ filter })).toHaveLength(1)
      expect(await t.publicClient.uninstallFilter({ filter })).toBe(true)
    })
  })

  describe('eth_newBlockFilter', () => {
    it('returns the hashes of blocks sealed since the last poll', async () => {
      const id = await t.rpc('eth_newBlockFilter')
      assertMatchesSpec('eth_newBlockFilter', id, { noExtraFields: true })
      const r1 = await transfer(t)
      const r2 = await transfer(t)
      const changes = await t.rpc('eth_getFilterChanges', [id])
      assertMatchesSpec('eth_getFilterChanges', changes, { noExtraFields: true })
      expect(changes).toEqual([r1.blockHash, r2.blockHash])
      expect(await t.rpc('eth_getFilterChanges', [id])).toEqual([])

      const viaViem = await t.publicClient.createBlockFilter()
      const r3 = await transfer(t)
      expect(await t.publicClient.getFilterChanges({ filter: viaViem })).toEqual([r3.blockHash])
    })

    it('is not a log filter: eth_getFilterLogs refuses it', async () => {
      const id = await t.rpc('eth_newBlockFilter')
      const err = await rpcError(t, 'eth_getFilterLogs', [id])
      expect(err.code).toBe(-32602)
    })
  })

  describe('eth_newPendingTransactionFilter', () => {
    it('returns the hashes of transactions the pool accepted since the last poll', async () => {
      const id = await t.rpc('eth_newPendingTransactionFilter')
      assertMatchesSpec('eth_newPendingTransactionFilter', id, { noExtraFields: true })
      const r1 = await transfer(t, 4)
      const r2 = await transfer(t, 5)
      const changes = await t.rpc('eth_getFilterChanges', [id])
      assertMatchesSpec('eth_getFilterChanges', changes, { noExtraFields: true })
      expect(changes).toEqual([r1.transactionHash, r2.transactionHash])

      const viaViem = await t.publicClient.createPendingTransactionFilter()
      const r3 = await transfer(t, 4)
      expect(await t.publicClient.getFilterChanges({ filter: viaViem })).toEqual([r3.transactionHash])
    })
  })

  describe('filter timeout', () => {
    let short: TestNode
    beforeAll(async () => {
      short = await startTestNode({ rpc: { filterTimeoutMs: 1000 } })
    })
    afterAll(() => short?.close())

    it('removes a filter not polled within the timeout, and polling keeps one alive', async () => {
      const idle = await short.rpc('eth_newBlockFilter')
      const polled = await short.rpc('eth_newBlockFilter')
      // the sweep runs every timeout (1 s): after 2.4 s the idle filter has been swept
      for (let i = 0; i < 12; i++) {
        await new Promise((r) => setTimeout(r, 200))
        await short.rpc('eth_getFilterChanges', [polled])
      }
      const r = await short.rpcRaw('eth_getFilterChanges', [idle])
      expect(r.error).toEqual({ code: -32000, message: 'filter not found' })
      expect(await short.rpc('eth_getFilterChanges', [polled])).toEqual([])
    })
  })

  describe('eth_uninstallFilter', () => {
    it('removes a filter: true once, then false, and polling it fails with "filter not found"', async () => {
      const id = await t.rpc('eth_newBlockFilter')
      const removed = await t.rpc('eth_uninstallFilter', [id])
      assertMatchesSpec('eth_uninstallFilter', removed, { noExtraFields: true })
      expect(removed).toBe(true)
      expect(await t.rpc('eth_uninstallFilter', [id])).toBe(false)
      const err = await rpcError(t, 'eth_getFilterChanges', [id])
      expect(err.code).toBe(-32000)
      expect(err.message).toBe('filter not found')
      expect((await rpcError(t, 'eth_getFilterLogs', [id])).message).toBe('filter not found')
    })
  })
})

describe('eth_subscribe', () => {
  let t: TestNode
  let a: Address
  let ws: WsRpc
  beforeAll(async () => {
    t = await startTestNode()
    a = await deployEmitter(t)
  })
  afterAll(async () => {
    await ws?.close()
    await t?.close()
  })

  it('newHeads: one header per sealed block, equal to the block without its body', async () => {
    ws = await WsRpc.open(t.wsUrl)
    const sub = await ws.subscribe('newHeads')
    expect(sub).toMatch(/^0x[0-9a-f]{32}$/)
    const r1 = await transfer(t)
    const r2 = await transfer(t)
    const heads = await ws.waitFor(sub, 2)
    expect(heads.map((h) => h.hash)).toEqual([r1.blockHash, r2.blockHash])
    for (const head of heads) {
      const { transactions: _t, uncles: _u, withdrawals: _w, size: _s, ...header } = await t.rpc('eth_getBlockByHash', [head.hash, false])
      expect(head).toEqual(header)
    }
  })

  it('logs: the matching logs of each sealed block, as eth_getLogs returns them', async () => {
    const sub = await ws.subscribe('logs', { address: a, topics: [PING_TOPIC] })
    const r1 = await ping(t, a, 30n)
    await both(t, a, 31n)
    const logs = await ws.waitFor(sub, 2)
    expect(logs.map((l) => l.topics[1])).toEqual([idTopic(30n), idTopic(31n)])
    for (const l of logs) assertMatchesSpecSchema('Log', l, { noExtraFields: true })
    expect(logs[0]).toEqual((await t.rpc('eth_getLogs', [{ blockHash: r1.blockHash }]))[0])
  })

  it('newPendingTransactions: hashes by default, full transactions with true', async () => {
    const hashes = await ws.subscribe('newPendingTransactions')
    const full = await ws.subscribe('newPendingTransactions', true)
    const r = await transfer(t, 6)
    expect(await ws.waitFor(hashes, 1)).toEqual([r.transactionHash])
    const [tx] = await ws.waitFor(full, 1)
    assertMatchesSpecSchema('PendingTransactionInfo', tx, { noExtraFields: true })
    expect(tx).toMatchObject({ hash: r.transactionHash, from: accounts[6].address.toLowerCase(), blockHash: null })
  })

  it('eth_unsubscribe stops the notifications: true for a live subscription, false after', async () => {
    const sub = await ws.subscribe('newHeads')
    await transfer(t)
    await ws.waitFor(sub, 1)
    const r = await ws.call('eth_unsubscribe', [sub])
    expect(r.result).toBe(true)
    expect((await ws.call('eth_unsubscribe', [sub])).result).toBe(false)
    await transfer(t)
    // a subscription still live on the same connection proves the notification would have arrived
    const other = await ws.subscribe('newHeads')
    await transfer(t)
    await ws.waitFor(other, 1)
    expect(ws.of(sub)).toHaveLength(1)
  })

  it("belongs to its connection: another connection can neither unsubscribe it nor see its notifications", async () => {
    const sub = await ws.subscribe('newHeads')
    const other = await WsRpc.open(t.wsUrl)
    try {
      expect((await other.call('eth_unsubscribe', [sub])).result).toBe(false)
      await transfer(t)
      expect(await ws.waitFor(sub, 1)).toHaveLength(1)
      expect(other.notifications).toEqual([])
    } finally {
      await other.close()
    }
    expect((await ws.call('eth_unsubscribe', [sub])).result).toBe(true)
  })

  it('keeps serving the others when a connection with subscriptions closes', async () => {
    const gone = await WsRpc.open(t.wsUrl)
    await gone.subscribe('newHeads')
    await gone.subscribe('logs', {})
    await gone.close()
    const sub = await ws.subscribe('newHeads')
    await transfer(t)
    expect(await ws.waitFor(sub, 1)).toHaveLength(1)
    expect((await ws.call('eth_unsubscribe', [sub])).result).toBe(true)
  })

  it('rejects a malformed logs filter with -32602', async () => {
    const r = await ws.call('eth_subscribe', ['logs', { address: '0x1234' }])
    expect(r.error?.code).toBe(-32602)
  })

  it('rejects an unknown subscription kind with -32602', async () => {
    const r = await ws.call('eth_subscribe', ['newBananas'])
    expect(r.error?.code).toBe(-32602)
    expect(r.error?.message).toMatch(/newBananas/)
  })

  it('serves ordinary calls and batches on the same connection', async () => {
    const r = await ws.call('eth_chainId')
    expect(r.result).toBe(toHex(t.node.chainId))
    const answers = await ws.batch([{ method: 'eth_chainId' }, { method: 'eth_nope' }, { method: 'net_version' }])
    expect(answers.map((a) => a.result ?? a.error?.code)).toEqual([toHex(t.node.chainId), -32601, t.node.chainId.toString()])
  })

  it('is refused over HTTP, which cannot carry notifications', async () => {
    const err = await rpcError(t, 'eth_subscribe', ['newHeads'])
    expect(err.code).toBe(-32004)
    expect(err.message).toMatch(/notifications not supported.*WebSocket/)
    expect((await rpcError(t, 'eth_unsubscribe', ['0x1'])).code).toBe(-32004)
  })

  it('drives viem watchers over the webSocket transport', async () => {
    const client = createPublicClient({ chain: t.chain, transport: webSocket(t.wsUrl, { retryCount: 0 }) })
    const blocks: bigint[] = []
    const pings: bigint[] = []
    const pending: Hex[] = []
    const unwatchBlocks = client.watchBlocks({ poll: false, onBlock: (b) => void blocks.push(b.number!) })
    const unwatchEvents = client.watchContractEvent({ poll: false, address: a, abi: EMITTER_ABI, eventName: 'Ping', onLogs: (logs) => logs.forEach((l) => pings.push(l.args.id!)) })
    const unwatchPending = client.watchPendingTransactions({ poll: false, onTransactions: (hashes) => void pending.push(...hashes) })
    try {
      // viem sets its subscriptions up asynchronously: keep emitting until all three have seen something
      const sent: { id: bigint; block: bigint; hash: Hex }[] = []
      for (let id = 40n; id < 80n && (blocks.length === 0 || pings.length === 0 || pending.length === 0); id++) {
        const r = await ping(t, a, id)
        sent.push({ id, block: r.blockNumber, hash: r.transactionHash })
        await new Promise((res) => setTimeout(res, 100))
      }
      expect(blocks.length).toBeGreaterThan(0)
      expect(pings.length).toBeGreaterThan(0)
      expect(pending.length).toBeGreaterThan(0)
      // whatever they saw is what was sent, in order, without duplicates
      const sentIds = sent.map((x) => x.id)
      expect(pings).toEqual(sentIds.slice(sentIds.indexOf(pings[0]), sentIds.indexOf(pings[0]) + pings.length))
      for (const n of blocks) expect(sent.map((x) => x.block)).toContain(n)
      for (const h of pending) expect(sent.map((x) => x.hash)).toContain(h)
    } finally {
      unwatchBlocks()
      unwatchEvents()
      unwatchPending()
      ;(await client.transport.getRpcClient()).close()
    }
  })
})
