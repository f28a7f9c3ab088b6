/**
 * The node's log lines (sequencer/log.ts, README "Logs"): in JSON, one object per line with the
 * documented fields, for a sealed block and for RPC errors (a client's at debug, an internal one at
 * error with its stack); a level hides what is below it. The node runs in this process with its
 * lines caught (NodeHooks.logDestination); test/scripts/cli.test.ts checks the same lines from a
 * `npm run node` process.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { keccak256, parseEther, toHex, type Hex } from 'viem'
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { until } from '../helpers/rollup.ts'

async function transfer(n: TestNode): Promise<bigint> {
  const hash = await n.wallet(1).sendTransaction({ to: accounts[2].address as Hex, value: parseEther('1') })
  return (await n.publicClient.waitForTransactionReceipt({ hash })).blockNumber
}

describe('the JSON log lines of a node at debug', () => {
  let node: TestNode
  let logs: CapturedLogs
  beforeAll(async () => {
    logs = captureLogs()
    node = await startTestNode({ logLevel: 'debug', logFormat: 'json' }, { logDestination: logs.destination })
  })
  afterAll(() => node?.close())

  it('start with the chain it opened and where it listens', () => {
    expect(logs.events('chain_opened')).toEqual([expect.objectContaining({ level: 'info', name: 'node', chainId: 0xa5b8, block: 0, blockHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) })])
    expect(logs.events('rpc_listening')).toEqual([expect.objectContaining({ url: node.url, wsUrl: node.wsUrl })])
  })

  it('are one block_sealed line per sealed block with its number, transactions, gas and build time', async () => {
    const block = await transfer(node)
    const sealed = logs.events('block_sealed')
    expect(sealed).toHaveLength(1) // the first block since start
    const line = sealed[0]
    expect(line).toMatchObject({ level: 'info', name: 'node', block: Number(block), txs: 1, systemTxs: 0, gasUsed: 21000 })
    expect(line.ms).toBeGreaterThanOrEqual(0)
    expect(Number.isInteger(line.ms)).toBe(true)
    // the build's two parts: running the transactions, then the tries, header and sqlite commit
    const { executeMs, waitMs, sealMs, ms } = line as unknown as Record<string, number>
    for (const part of [executeMs, waitMs, sealMs]) expect(Number.isInteger(part) && part >= 0).toBe(true)
    expect(executeMs + waitMs + sealMs).toBeLessThanOrEqual(ms + 2)
    expect(line.msg).toBe(`sealed block ${block}: 1 transaction, 21000 gas, built in ${line.ms} ms`)
    expect(Date.parse(line.time)).toBeGreaterThan(Date.now() - 60_000)
    expect(typeof line.pid).toBe('number')
  })

  it('log the hashes a block anchored as anchors_included', async () => {
    const hashes = [keccak256(toHex('logs test document 1')), keccak256(toHex('logs test document 2'))]
    const res = await fetch(`${node.url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev-anchor-key' }, body: JSON.stringify({ hashes }) })
    expect(res.status).toBe(202)
    await until(() => logs.events('anchors_included').length > 0 || undefined, 'the anchoring block')
    const [line] = logs.events('anchors_included')
    expect(line).toMatchObject({ level: 'info', hashes: 2, queued: 0, msg: `anchored 2 hashes in block ${line.block}; 0 waiting` })
    expect(logs.events('block_sealed').find((b) => b.block === line.block)).toMatchObject({ systemTxs: 1 })
  })

  it("log a client's RPC errors at debug as rpc_error, with the method as the metrics label it", async () => {
    const before = logs.events('rpc_error').length // viem's wallet asked for eth_fillTransaction above
    await node.rpcRaw('eth_getBalance', ['not an address', 'latest'])
    // a method this node does not serve is `other`: a client cannot put its own names in the logs
    await node.rpcRaw(`no_such_method_${'x'.repeat(5_000)}`, [])
    const errors = logs.events('rpc_error').slice(before)
    expect(errors).toEqual([
      expect.objectContaining({ level: 'debug', method: 'eth_getBalance', code: -32602, message: expect.stringMatching(/^invalid argument 0/) }),
      expect.objectContaining({ level: 'debug', method: 'other', code: -32601 }),
    ])
    // the message may quote the request: it is cut
    expect(errors[1].message).toMatch(/^the method no_such_method_x+…$/)
    expect((errors[1].message as string).length).toBe(201)
  })

  it('log an internal error at error level with its stack, and answer the client "internal error" only', async () => {
    // a fault inside the node (a broken store) while serving eth_blockNumber
    const spy = vi.spyOn(node.node.chain, 'headNumber', 'get').mockImplementationOnce(() => {
      throw new Error('disk I/O error')
    })
    try {
      const answer = await node.rpcRaw('eth_blockNumber', [])
      expect(answer.error).toEqual({ code: -32603, message: 'internal error' })
    } finally {
      spy.mockRestore()
    }
    const internal = logs.events('rpc_error').filter((l) => l.level === 'error')
    expect(internal).toHaveLength(1)
    expect(internal[0]).toMatchObject({ method: 'eth_blockNumber', code: -32603, msg: 'eth_blockNumber failed: disk I/O error', err: { type: 'Error', message: 'disk I/O error' } })
    expect((internal[0].err as { stack: string }).stack).toMatch(/^Error: disk I\/O error\n\s+at /)
  })

  it('are all JSON objects with a level, a time, the name and a message', () => {
    const lines = logs.lines()
    expect(lines.length).toBeGreaterThan(4)
    for (const l of lines) {
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level)
      expect(l.name).toBe('node')
      expect(typeof l.msg).toBe('string')
    }
  })
})

describe('the log level', () => {
  it('hides what is below it: no block line at warn', async () => {
    const logs = captureLogs()
    const node = await startTestNode({ logLevel: 'warn', logFormat: 'json' }, { logDestination: logs.destination })
    try {
      await transfer(node)
      await node.rpcRaw('eth_getBalance', ['not an address', 'latest'])
      expect(logs.lines()).toEqual([])
    } finally {
      await node.close()
    }
  })
})
