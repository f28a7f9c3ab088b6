/**
 * Reads never stall block production (issue 19): eth_call, eth_estimateGas and the debug_trace*
 * methods execute on worker threads (sequencer/calls/) with a deadline, a bounded queue, a gas cap
 * per JSON-RPC batch, a lower gas cap for traces and a byte budget for trace results. Specified
 * against real nodes over HTTP, with small limits so each case stays short.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { rmSync } from 'node:fs'
import { callLoop } from '../../scripts/lib/call-loop.ts'
import { resolveConfig } from '../../sequencer/config.ts'
import { accounts, postRaw, rpcRaw, spawnNode, startTestNode, tempDir, type JsonRpcResponse, type TestNode } from '../helpers/node.ts'

/** JUMPDEST; PUSH1 0; JUMP: burns every unit of gas it gets, then fails "out of gas". */
const BURNER = '0x00000000000000000000000000000000000b0b0b'
const BURNER_CODE = '0x5b600056'
/** Loops CALLing the identity precompile (0x04) with 8 KiB of input: traces grow ~33 KiB a lap. */
const COPIER = '0x00000000000000000000000000000000000c0c0c'
const COPIER_CODE = '0x5b600060006120006000600060045af150600056'
/**
 * Loops STATICCALLing a contract that only STOPs: the most CPU per gas found in @ethereumjs (about
 * 0.4 µs a unit, 25 times the JUMP loop's), so 50M gas of it is seconds past any deadline here.
 */
const CALL_BURNER = '0x00000000000000000000000000000000000d0d0d'
const STOPPER: Hex = '0x00000000000000000000000000000000000e0e0e'
const CALL_BURNER_CODE = callLoop(STOPPER)
const OVERRIDES = { [BURNER]: { code: BURNER_CODE }, [COPIER]: { code: COPIER_CODE }, [CALL_BURNER]: { code: CALL_BURNER_CODE }, [STOPPER]: { code: '0x00' } }

const burn = (gas?: bigint) => ({ jsonrpc: '2.0', method: 'eth_call', params: [{ to: BURNER, ...(gas !== undefined && { gas: toHex(gas) }) }, 'latest', OVERRIDES] })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('calls config', () => {
  it('has a named default for every limit and refuses nonsense at start-up', () => {
    const c = resolveConfig({ dataDir: '/nonexistent' }).calls
    expect(c).toMatchObject({ timeoutMs: 5_000, maxQueued: 32, batchGasCap: 100_000_000n, traceGasCap: 10_000_000n, traceMaxBytes: 16 * 1024 * 1024 })
    expect(c.workers).toBeGreaterThanOrEqual(1)
    expect(() => resolveConfig({ calls: { workers: 0 } })).toThrow('invalid config calls.workers: must be a positive integer')
    expect(() => resolveConfig({ calls: { timeoutMs: 1.5 } })).toThrow('invalid config calls.timeoutMs: must be a positive integer')
    expect(() => resolveConfig({ calls: { batchGasCap: 0n } })).toThrow('invalid config calls.batchGasCap: must be a positive bigint (gas)')
    expect(() => resolveConfig({ calls: { traceGasCap: 5 as unknown as bigint } })).toThrow('invalid config calls.traceGasCap')
  })
})

describe('calls off the sequencer thread', () => {
  let t: TestNode
  beforeAll(async () => {
    // a 20M-gas burn takes about a second here: four loops of them keep the one worker busy
    t = await startTestNode({ rpc: { gasCap: 20_000_000n }, calls: { workers: 1, timeoutMs: 20_000 } })
  })
  afterAll(() => t?.close())

  it('keeps eth_blockNumber fast and mines transfers while four clients loop eth_call at the gas cap', async () => {
    const until = Date.now() + 4_000
    let heavyDone = 0
    const heavy = async () => {
      while (Date.now() < until) {
        const { body } = await postRaw(t.url, JSON.stringify({ ...burn(), id: 1 }))
        expect((body as JsonRpcResponse).error?.message).toBe('out of gas')
        heavyDone++
      }
    }
    let worstLatency = 0
    const poll = async () => {
      while (Date.now() < until) {
        const start = Date.now()
        await t.rpc('eth_blockNumber')
        worstLatency = Math.max(worstLatency, Date.now() - start)
        await sleep(100)
      }
    }
    const signer = privateKeyToAccount(accounts[1].privateKey as Hex)
    let nonce = await t.rpc<string>('eth_getTransactionCount', [signer.address, 'pending']).then(Number)
    const mined: number[] = []
    const transfer = async () => {
      await sleep(500) // let the heavy loops fill the worker and its queue first
      while (Date.now() < until) {
        const raw = await signer.signTransaction({ chainId: Number(t.node.chainId), type: 'eip1559', to: accounts[2].address as Hex, value: parseEther('0.001'), gas: 21_000n, maxFeePerGas: parseEther('0.000001'), maxPriorityFeePerGas: 1n, nonce: nonce++ })
        const start = Date.now()
        const hash = await t.rpc<string>('eth_sendRawTransaction', [raw])
        while ((await t.rpc('eth_getTransactionReceipt', [hash])) === null) await sleep(25)
        mined.push(Date.now() - start)
        await sleep(400)
      }
    }
    await Promise.all([heavy(), heavy(), heavy(), heavy(), poll(), transfer()])
    expect(heavyDone).toBeGreaterThanOrEqual(3)
    expect(t.node.calls.stats().workers).toBe(1)
    expect(mined.length).toBeGreaterThanOrEqual(3)
    expect(Math.max(...mined)).toBeLessThan(2_000)
    expect(worstLatency).toBeLessThan(1_500)
  })
})

describe('call limits', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({
      calls: { workers: 1, timeoutMs: 1_000, maxQueued: 1, batchGasCap: 5_000_000n, traceGasCap: 1_000_000n, traceMaxBytes: 64 * 1024 },
    })
    await t.rpc('eth_call', [{ to: BURNER, data: '0x' }, 'latest', { [BURNER]: { code: '0x00' } }]) // starts the worker
  })
  afterAll(() => t?.close())

  it('aborts a call past the deadline with geth\'s error, replaces the worker and keeps serving', async () => {
    const before = t.node.calls.stats().timeouts
    const started = Date.now()
    const r = await t.rpcRaw('eth_call', [{ to: CALL_BURNER }, 'latest', OVERRIDES]) // 50M gas: seconds of work
    expect(r.error).toEqual({ code: -32000, message: 'execution aborted (timeout = 1s)' })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(t.node.calls.stats().timeouts).toBe(before + 1)
    expect(typeof (await t.rpc('eth_blockNumber'))).toBe('string')
    // the next call gets a fresh worker and a normal answer
    expect(await t.rpc('eth_call', [{ to: BURNER, data: '0x' }, 'latest', { [BURNER]: { code: '0x600160005260206000f3' } }])).toBe(toHex(1n, { size: 32 }))
  })

  it('aborts eth_estimateGas on a gas burner at the deadline (the whole search counts)', async () => {
    const r = await t.rpcRaw('eth_estimateGas', [{ to: CALL_BURNER }, 'latest', OVERRIDES])
    expect(r.error).toEqual({ code: -32000, message: 'execution aborted (timeout = 1s)' })
    expect(await t.rpc('eth_estimateGas', [{ to: BURNER, data: '0x' }, 'latest', { [BURNER]: { code: '0x00' } }])).toBe(toHex(21_000n))
  })

  it('stops a batch once its calls executed the batch gas cap (-32005), answering every call', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => ({ ...burn(1_000_000n), id: i }))
    const { body } = await postRaw(t.url, JSON.stringify(batch))
    const answers = body as JsonRpcResponse[]
    expect(answers).toHaveLength(40)
    const ran = answers.filter((a) => a.error?.message === 'out of gas')
    const refused = answers.filter((a) => a.error?.code === -32005)
    expect(ran).toHaveLength(5) // 5 × 1M = the 5M cap
    expect(refused).toHaveLength(35)
    expect(refused[0].error?.message).toMatch(/^batch gas cap exceeded: earlier calls of this batch executed 5000000 gas, the cap is 5000000/)
    // a new request starts a new allowance
    expect((await t.rpcRaw('eth_call', burn(1_000_000n).params)).error?.message).toBe('out of gas')
  })

  it('refuses calls past the queue with "too many concurrent requests" (-32005)', async () => {
    const answers = await Promise.all([0, 1, 2, 3].map((i) => postRaw(t.url, JSON.stringify({ ...burn(3_000_000n), id: i })).then((r) => r.body as JsonRpcResponse)))
    const busy = answers.filter((a) => a.error?.code === -32005)
    expect(busy.length).toBeGreaterThanOrEqual(1)
    expect(busy[0].error?.message).toMatch(/^too many concurrent requests: /)
    expect(answers.filter((a) => a.error?.message === 'out of gas').length).toBeGreaterThanOrEqual(1)
  })

  it('caps debug_traceCall at the trace gas cap', async () => {
    const trace = await t.rpc('debug_traceCall', [{ to: BURNER, gas: toHex(5_000_000n) }, 'latest', { tracer: 'callTracer', stateOverrides: OVERRIDES }])
    expect(trace).toMatchObject({ type: 'CALL', gas: toHex(1_000_000n), gasUsed: toHex(1_000_000n), error: 'out of gas' })
  })

  it('refuses a trace over its byte budget (-32005), and traces the same call with onlyTopCall', async () => {
    const call = { to: COPIER, gas: toHex(1_000_000n) }
    const r = await t.rpcRaw('debug_traceCall', [call, 'latest', { tracer: 'callTracer', stateOverrides: OVERRIDES }])
    expect(r.error).toEqual({ code: -32005, message: 'trace result exceeds the limit of 65536 bytes; trace less (tracerConfig.onlyTopCall, a smaller call or less gas)' })
    const top = await t.rpc('debug_traceCall', [call, 'latest', { tracer: 'callTracer', tracerConfig: { onlyTopCall: true }, stateOverrides: OVERRIDES }])
    expect(top).toMatchObject({ type: 'CALL', to: COPIER, error: 'out of gas' })
    expect(top.calls).toBeUndefined()
  })
})

describe('call workers under the command line node (tsx sequencer/main.ts)', () => {
  it('start in the node process and take the deadline from --call-timeout', async () => {
    const dir = tempDir()
    const node = await spawnNode(dir, ['--call-timeout', '500', '--call-workers', '1'])
    try {
      const ok = await rpcRaw(node.url, 'eth_call', [{ to: BURNER, data: '0x' }, 'latest', { [BURNER]: { code: '0x600260005260206000f3' } }])
      expect(ok.result).toBe(toHex(2n, { size: 32 }))
      const r = await rpcRaw(node.url, 'eth_call', [{ to: CALL_BURNER }, 'latest', OVERRIDES])
      expect(r.error).toEqual({ code: -32000, message: 'execution aborted (timeout = 500ms)' })
    } finally {
      await node.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
