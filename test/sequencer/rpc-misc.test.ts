/**
 * The node's identity and plumbing over JSON-RPC, specified against a real node through viem and
 * raw JSON-RPC: web3_ / net_ methods, chain id, syncing, dev accounts and dev signing, the txpool_
 * namespace, rollup_getConfig, batches, and the error codes for unknown methods, bad parameters
 * and malformed requests. Results of methods in the execution-apis spec are validated against it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, hexToBigInt, http, keccak256, parseGwei, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts, postRaw, startTestNode, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec, assertMatchesSpecSchema, specMethods } from '../helpers/spec.ts'

const CHAIN_ID = 42424
const FEE_RECIPIENT = '0x4200000000000000000000000000000000000011'

let t: TestNode

/** Validates `result` against the spec when the method is in it (web3_, txpool_, rollup_ are not). */
function specCheck(method: string, result: unknown): void {
  if (specMethods().includes(method)) assertMatchesSpec(method, result, { noExtraFields: true })
}

async function call(method: string, params: unknown[] = []) {
  const result = await t.rpc(method, params)
  specCheck(method, result)
  return result
}

async function rpcError(method: string, params: unknown[]) {
  const r = await t.rpcRaw(method, params)
  expect(r.result, `${method} should fail`).toBeUndefined()
  return r.error!
}

beforeAll(async () => {
  t = await startTestNode({ rpc: { maxBatchSize: 5 } })
})
afterAll(() => t?.close())

describe('web3_clientVersion', () => {
  it('names the client, its version and the runtime', async () => {
    const version = await call('web3_clientVersion')
    expect(version).toMatch(/^ai-rollup\/v\d+\.\d+\.\d+[^/]*\/node-v\d+\.\d+\.\d+$/)
    expect(version).toContain(process.version)
    expect(await t.publicClient.request({ method: 'web3_clientVersion' })).toBe(version)
  })
})

describe('web3_sha3', () => {
  it('returns the keccak-256 of the data', async () => {
    expect(await call('web3_sha3', ['0x68656c6c6f'])).toBe(keccak256('0x68656c6c6f'))
    expect(await call('web3_sha3', ['0x'])).toBe(keccak256('0x'))
    expect(await t.publicClient.request({ method: 'web3_sha3', params: ['0x01'] })).toBe(keccak256('0x01'))
  })

  it('rejects data without 0x with -32602', async () => {
    const err = await rpcError('web3_sha3', ['68656c6c6f'])
    expect(err.code).toBe(-32602)
    expect(err.message).toBe('invalid argument 0: hex string without 0x prefix')
  })
})

describe('net_version, net_listening, net_peerCount', () => {
  it('net_version is the chain id in decimal', async () => {
    expect(await call('net_version')).toBe(String(CHAIN_ID))
    expect(await t.publicClient.request({ method: 'net_version' })).toBe(String(CHAIN_ID))
  })

  it('net_listening is true and net_peerCount 0x0 (a sequencer has no peers)', async () => {
    expect(await call('net_listening')).toBe(true)
    expect(await call('net_peerCount')).toBe('0x0')
    expect(await t.publicClient.request({ method: 'net_listening' })).toBe(true)
  })
})

describe('eth_chainId', () => {
  it('returns the chain id of the genesis file as a quantity', async () => {
    expect(await call('eth_chainId')).toBe(toHex(CHAIN_ID))
    expect(await t.publicClient.getChainId()).toBe(CHAIN_ID)
  })
})

describe('eth_syncing', () => {
  it('is false: the sequencer produces the chain, it never syncs', async () => {
    expect(await call('eth_syncing')).toBe(false)
    expect(await t.publicClient.request({ method: 'eth_syncing' } as never)).toBe(false)
  })
})

describe('eth_coinbase, eth_mining, eth_hashrate, eth_blobBaseFee', () => {
  it('eth_coinbase is the fee recipient', async () => {
    expect(await call('eth_coinbase')).toBe(FEE_RECIPIENT)
  })

  it('eth_mining is true and eth_hashrate 0x0 (no proof of work)', async () => {
    expect(await call('eth_mining')).toBe(true)
    expect(await call('eth_hashrate')).toBe('0x0')
  })

  it('eth_blobBaseFee is the minimum, 0x1 (the L2 takes no blobs)', async () => {
    expect(await call('eth_blobBaseFee')).toBe('0x1')
    expect(await t.publicClient.getBlobBaseFee()).toBe(1n)
  })
})

describe('uncles', () => {
  it('every block has none: counts are 0x0, lookups null, unknown blocks null', async () => {
    const latest = await t.rpc('eth_getBlockByNumber', ['latest', false])
    expect(await call('eth_getUncleCountByBlockNumber', ['latest'])).toBe('0x0')
    expect(await call('eth_getUncleCountByBlockHash', [latest.hash])).toBe('0x0')
    expect(await call('eth_getUncleCountByBlockHash', [`0x${'77'.repeat(32)}`])).toBeNull()
    expect(await call('eth_getUncleCountByBlockNumber', ['0xffffff'])).toBeNull()
    expect(await call('eth_getUncleByBlockNumberAndIndex', ['latest', '0x0'])).toBeNull()
    expect(await call('eth_getUncleByBlockHashAndIndex', [latest.hash, '0x0'])).toBeNull()
  })
})

describe('eth_accounts', () => {
  it('lists the 20 dev accounts of the test mnemonic in dev mode', async () => {
    const list = await call('eth_accounts')
    expect(list).toEqual(accounts.map((a) => a.address.toLowerCase()))
    expect(list).toHaveLength(20)
    expect(list[0]).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266')
    const wallet = createWalletClient({ chain: t.chain, transport: http(t.url) })
    expect(await wallet.getAddresses()).toEqual(accounts.map((a) => a.address))
  })

  describe('outside dev mode', () => {
    let prod: TestNode
    beforeAll(async () => {
      prod = await startTestNode({ chain: { dev: false } })
    })
    afterAll(() => prod?.close())

    it('is empty, and eth_sendTransaction is refused', async () => {
      const list = await prod.rpc('eth_accounts')
      specCheck('eth_accounts', list)
      expect(list).toEqual([])
      const r = await prod.rpcRaw('eth_sendTransaction', [{ from: accounts[0].address, to: accounts[1].address, value: '0x1' }])
      expect(r.error?.code).toBe(-32601)
      expect(r.error?.message).toMatch(/dev mode/)
    })
  })
})

describe('eth_sendTransaction', () => {
  it('signs with a dev account, fills nonce, gas and fees, and submits', async () => {
    const from = accounts[7].address
    const hash = await call('eth_sendTransaction', [{ from, to: accounts[8].address, value: '0x2a' }])
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(receipt.from).toBe(from.toLowerCase())
    const tx = await t.rpc('eth_getTransactionByHash', [hash])
    expect(tx).toMatchObject({ type: '0x2', value: '0x2a', gas: toHex(21000) })

    // viem sends eth_sendTransaction for a JSON-RPC (address-only) account
    const wallet = createWalletClient({ chain: t.chain, transport: http(t.url), account: from })
    const viaViem = await wallet.sendTransaction({ to: accounts[8].address, value: 43n })
    expect((await t.publicClient.waitForTransactionReceipt({ hash: viaViem })).status).toBe('success')
  })

  it('sends a legacy transaction when gasPrice is given', async () => {
    const hash = await call('eth_sendTransaction', [{ from: accounts[7].address, to: accounts[8].address, value: '0x1', gasPrice: toHex(parseGwei('5')) }])
    await t.publicClient.waitForTransactionReceipt({ hash })
    const tx = await t.rpc('eth_getTransactionByHash', [hash])
    expect(tx.type).toBe('0x0')
    expect(tx.gasPrice).toBe(toHex(parseGwei('5')))
  })

  it('refuses an account it has no key for, and a call without from', async () => {
    const unknown = await rpcError('eth_sendTransaction', [{ from: '0x000000000000000000000000000000000000beef', to: accounts[8].address }])
    expect(unknown.code).toBe(-32000)
    expect(unknown.message).toMatch(/unknown account/)
    const noFrom = await rpcError('eth_sendTransaction', [{ to: accounts[8].address }])
    expect(noFrom.code).toBe(-32602)
    expect(noFrom.message).toMatch(/from/)
  })
})

describe('txpool_status and txpool_content', () => {
  let m: TestNode
  beforeAll(async () => {
    m = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  })
  afterAll(() => m?.close())

  const sign = (i: number, nonce: number) =>
    privateKeyToAccount(accounts[i].privateKey as Hex).signTransaction({
      type: 'eip1559',
      chainId: CHAIN_ID,
      nonce,
      to: accounts[19].address,
      value: 1n,
      gas: 21000n,
      maxFeePerGas: parseGwei('10'),
      maxPriorityFeePerGas: parseGwei('1'),
    })

  /** txpool_content's entry for a sender (keys compared case-insensitively). */
  const entryOf = (group: Record<string, Record<string, any>>, address: string) =>
    Object.entries(group).find(([k]) => k.toLowerCase() === address.toLowerCase())?.[1]

  it('is empty on a fresh node', async () => {
    const status = await m.rpc('txpool_status')
    assertMatchesSpecSchema('TxpoolStatus', status, { noExtraFields: true })
    expect(status).toEqual({ pending: '0x0', queued: '0x0' })
    const content = await m.rpc('txpool_content')
    assertMatchesSpecSchema('TxpoolContent', content, { noExtraFields: true })
    expect(content).toEqual({ pending: {}, queued: {} })
  })

  it('counts executable transactions as pending and those behind a nonce gap as queued', async () => {
    const p0 = await m.rpc('eth_sendRawTransaction', [await sign(1, 0)])
    const p1 = await m.rpc('eth_sendRawTransaction', [await sign(1, 1)])
    const q3 = await m.rpc('eth_sendRawTransaction', [await sign(2, 3)]) // account 2 is at nonce 0: gap

    const status = await m.rpc('txpool_status')
    assertMatchesSpecSchema('TxpoolStatus', status, { noExtraFields: true })
    expect(status).toEqual({ pending: '0x2', queued: '0x1' })
    expect(await m.publicClient.request({ method: 'txpool_status' } as never)).toEqual(status)

    const content = await m.rpc('txpool_content')
    assertMatchesSpecSchema('TxpoolContent', content, { noExtraFields: true })
    expect(Object.keys(content.pending)).toHaveLength(1)
    expect(Object.keys(content.queued)).toHaveLength(1)
    const pending = entryOf(content.pending, accounts[1].address)!
    // keyed by the nonce in decimal, each a pending transaction object
    expect(Object.keys(pending)).toEqual(['0', '1'])
    expect(pending['0']).toMatchObject({ hash: p0, nonce: '0x0', blockHash: null, blockNumber: null, transactionIndex: null })
    expect(pending['1'].hash).toBe(p1)
    expect(pending['0']).toEqual(await m.rpc('eth_getTransactionByHash', [p0]))
    const queued = entryOf(content.queued, accounts[2].address)!
    expect(Object.keys(queued)).toEqual(['3'])
    expect(queued['3'].hash).toBe(q3)
  })

  it('drops mined transactions and promotes queued ones once the gap is filled', async () => {
    await m.node.mine()
    expect(await m.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })

    for (const nonce of [0, 1, 2]) await m.rpc('eth_sendRawTransaction', [await sign(2, nonce)])
    expect(await m.rpc('txpool_status')).toEqual({ pending: '0x4', queued: '0x0' })
    const content = await m.rpc('txpool_content')
    assertMatchesSpecSchema('TxpoolContent', content, { noExtraFields: true })
    expect(Object.keys(entryOf(content.pending, accounts[2].address)!)).toEqual(['0', '1', '2', '3'])

    await m.node.mine()
    expect(await m.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
    expect(await m.rpc('eth_getTransactionCount', [accounts[2].address, 'latest'])).toBe('0x4')
  })
})

describe('rollup_getConfig', () => {
  it('describes the chain: id, hardfork, block time, gas limit, fee recipient, genesis and heads', async () => {
    const config = await call('rollup_getConfig')
    const genesis = await t.rpc('eth_getBlockByNumber', ['0x0', false])
    const head = await t.rpc('eth_blockNumber')
    expect(config).toMatchObject({
      chainId: CHAIN_ID,
      hardfork: 'prague',
      blockTimeMs: 1000,
      automine: true,
      gasLimit: 60_000_000,
      feeRecipient: FEE_RECIPIENT,
      genesisHash: genesis.hash,
      heads: { unsafe: Number(hexToBigInt(head)), safe: 0, finalized: 0 },
      l1: null,
    })
    expect(typeof config.predeploys).toBe('object')
    expect(typeof config.precompiles).toBe('object')
    expect(await t.publicClient.request({ method: 'rollup_getConfig' } as never)).toEqual(config)
  })

  it('follows the unsafe head as blocks are sealed', async () => {
    const before = (await t.rpc('rollup_getConfig')).heads.unsafe
    const hash = await t.wallet(3).sendTransaction({ to: accounts[4].address, value: 1n })
    const { blockNumber } = await t.publicClient.waitForTransactionReceipt({ hash })
    const after = (await t.rpc('rollup_getConfig')).heads.unsafe
    expect(after).toBe(Number(blockNumber))
    expect(after).toBeGreaterThan(before)
  })
})

describe('JSON-RPC batches', () => {
  it('answers each call of a batch, in order, results and errors side by side', async () => {
    const { status, body } = await postRaw(
      t.url,
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 'two', method: 'no_suchMethod', params: [] },
        { jsonrpc: '2.0', id: 3, method: 'eth_getBalance', params: [accounts[9].address, 'earliest'] },
        { jsonrpc: '2.0', method: 'eth_blockNumber', params: [] }, // a notification: no answer
      ]),
    )
    expect(status).toBe(200)
    expect(body).toHaveLength(3)
    expect(body[0]).toEqual({ jsonrpc: '2.0', id: 1, result: toHex(CHAIN_ID) })
    expect(body[1]).toMatchObject({ jsonrpc: '2.0', id: 'two', error: { code: -32601 } })
    expect(body[2]).toEqual({ jsonrpc: '2.0', id: 3, result: toHex(10_000n * 10n ** 18n) })
    specCheck('eth_getBalance', body[2].result)
  })

  it('answers a batch of notifications with nothing (HTTP 204)', async () => {
    const { status, body } = await postRaw(t.url, JSON.stringify([{ jsonrpc: '2.0', method: 'eth_chainId' }]))
    expect(status).toBe(204)
    expect(body).toBeUndefined()
  })

  it('rejects an empty batch and one over the size limit with -32600', async () => {
    const empty = await postRaw(t.url, '[]')
    expect(empty.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
    const big = Array.from({ length: 6 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' }))
    const over = await postRaw(t.url, JSON.stringify(big))
    expect(over.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
    expect(over.body.error.message).toMatch(/over the limit of 5/)
  })

  it('carries viem batched requests', async () => {
    const client = createPublicClient({ chain: t.chain, transport: http(t.url, { batch: true }) })
    const [chainId, balance, block] = await Promise.all([
      client.getChainId(),
      client.getBalance({ address: accounts[9].address, blockTag: 'earliest' }),
      client.getBlock({ blockTag: 'earliest' }),
    ])
    expect(chainId).toBe(CHAIN_ID)
    expect(balance).toBe(10_000n * 10n ** 18n)
    expect(block.number).toBe(0n)
  })
})

describe('errors', () => {
  it('an unknown method is -32601, naming the method', async () => {
    const err = await rpcError('eth_doesNotExist', [])
    expect(err).toEqual({ code: -32601, message: 'the method eth_doesNotExist does not exist/is not available' })
    await expect(t.publicClient.request({ method: 'eth_doesNotExist' } as never)).rejects.toThrow(/does not exist/)
  })

  it('a bad parameter is -32602, naming the argument and the reason', async () => {
    const shortAddress = await rpcError('eth_getBalance', ['0x1234', 'latest'])
    expect(shortAddress.code).toBe(-32602)
    expect(shortAddress.message).toBe('invalid argument 0: address must be 20 bytes, got 2')

    const notBool = await rpcError('eth_getBlockByNumber', ['latest', 'yes'])
    expect(notBool).toEqual({ code: -32602, message: 'invalid argument 1: json: cannot unmarshal string into bool' })

    const leadingZero = await rpcError('eth_getBlockByNumber', ['0x01', false])
    expect(leadingZero).toEqual({ code: -32602, message: 'invalid argument 0: hex number with leading zero digits' })

    const field = await rpcError('eth_call', [{ to: 'abc' }, 'latest'])
    expect(field.code).toBe(-32602)
    expect(field.message).toBe('invalid argument 0: field to: hex string without 0x prefix')

    await expect(t.publicClient.request({ method: 'eth_getBalance', params: ['0x1234', 'latest'] } as never)).rejects.toThrow(/invalid argument 0/)
  })

  it('a missing required argument and too many arguments are -32602', async () => {
    const missing = await rpcError('eth_getBalance', [])
    expect(missing).toEqual({ code: -32602, message: 'missing value for required argument 0' })
    const tooMany = await rpcError('eth_chainId', [1])
    expect(tooMany.code).toBe(-32602)
    expect(tooMany.message).toMatch(/too many arguments/)
  })

  it('a body that is not JSON is -32700, a request without jsonrpc "2.0" -32600', async () => {
    const parse = await postRaw(t.url, '{"jsonrpc": "2.0", "id": 1, "method": ')
    expect(parse.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
    const noVersion = await postRaw(t.url, JSON.stringify({ id: 7, method: 'eth_chainId' }))
    expect(noVersion.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32600 } })
    const badMethod = await postRaw(t.url, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 42 }))
    expect(badMethod.body).toMatchObject({ jsonrpc: '2.0', id: 8, error: { code: -32600 } })
  })
})

describe('rollup_ without an L1', () => {
  it('rollup_getBatcherStatus and rollup_getBatch answer null, rollup_getConfig has l1 null and safe/finalized at genesis', async () => {
    expect(await t.rpc('rollup_getBatcherStatus')).toBeNull()
    expect(await t.rpc('rollup_getBatch', ['0x0'])).toBeNull()
    const config = await t.rpc('rollup_getConfig')
    expect(config.l1).toBeNull()
    expect(config.heads).toMatchObject({ safe: 0, finalized: 0 })
    expect(config.predeploys).toMatchObject({ DataAnchor: '0x4200000000000000000000000000000000000200', L2Bridge: '0x4200000000000000000000000000000000000300', InferenceCoordinator: '0x4200000000000000000000000000000000000400', DatasetRegistry: '0x4200000000000000000000000000000000000500' })
  })
})

describe('coverage of these suites', () => {
  it('every eth_, net_, web3_, txpool_ and rollup_ method the node serves is specified in an rpc-*.test.ts suite', async () => {
    const { ethMethods } = await import('../../sequencer/rpc/namespaces/eth.ts')
    const { netMethods } = await import('../../sequencer/rpc/namespaces/net.ts')
    const { web3Methods } = await import('../../sequencer/rpc/namespaces/web3.ts')
    const { txpoolMethods } = await import('../../sequencer/rpc/namespaces/txpool.ts')
    const { rollupMethods } = await import('../../sequencer/rpc/namespaces/rollup.ts')
    // the tables are built without touching the context; only the names are needed here
    const ctx = {} as never
    const served = Object.keys({ ...ethMethods(ctx), ...netMethods(ctx), ...web3Methods(ctx), ...txpoolMethods(ctx), ...rollupMethods(ctx, { batch: () => undefined }) })
    expect(served.length).toBeGreaterThan(50)
    const { readFileSync, readdirSync } = await import('node:fs')
    const sources = readdirSync(__dirname)
      .filter((f) => /^rpc-.*\.test\.ts$/.test(f))
      .map((f) => readFileSync(`${__dirname}/${f}`, 'utf8'))
      .join('\n')
    const unspecified = served.filter((name) => !sources.includes(`'${name}'`))
    expect(unspecified, 'methods without a spec in test/sequencer/rpc-*.test.ts').toEqual([])
    // and each answers (no -32601) when called without arguments
    for (const name of served) {
      const r = await t.rpcRaw(name, [])
      expect(r.error?.code, name).not.toBe(-32601)
    }
  })
})
