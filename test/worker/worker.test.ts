/**
 * Resource nodes as real processes (`npm run worker`, sequencer/worker-main.ts) against a real L2
 * node: tiny off-chain models (a 4→3 float MLP, one per test so that the nodes of one test are never
 * assigned another's requests) registered with registerOffchain and 8 s phases, served over a local
 * HTTP server or a file, and ConsumerProbe (contracts/test) as the requesting dApp.
 *
 *   1. three workers stake, serve (found by enumerating the registry), answer a redundancy-3
 *      request with the canonical evaluator's exact output, are paid their share and withdraw it;
 *   2. a worker SIGKILLed between its commit and its reveal reveals after a restart, from its store;
 *   3. a worker whose model URI serves other bytes refuses to serve it, and says why;
 *   4. a rogue node (driven here with viem) that reveals another output, then one that never
 *      reveals, beside two honest workers: the honest majority is delivered, the rogue slashed;
 *   5. restarts never commit twice: store and chain agree, a restart after settlement sends nothing;
 *   6. the L2 node goes away and comes back on the same data directory and port: the workers keep
 *      running, and the requests made before (during the outage's start) and after are answered.
 */
import { createServer, type Server } from 'node:http'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeAbiParameters, keccak256, parseEther, parseEventLogs, type Abi, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { buildModel } from '../../scripts/models/build-model.ts'
import { rejectionOutput, runInference } from '../../worker/formats/index.ts'
import { INFERENCE_COORDINATOR, inferenceCommitment, newSalt } from '../../worker/index.ts'
import { accounts, freePort, ROOT, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker.ts'

const artifact = (path: string) => JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts', path), 'utf8')) as { abi: Abi; bytecode: Hex }
const coordinator = artifact('L2/InferenceCoordinator.sol/InferenceCoordinator.json')
const registry = artifact('L2/ModelRegistry.sol/ModelRegistry.json')
const probe = artifact('test/ConsumerProbe.sol/ConsumerProbe.json')

const TIMEOUT_SECONDS = 8
const PRICE = parseEther('0.001')
const CALLBACK_GAS = 300_000
const MIN_STAKE = parseEther('1')
const SLASH_BPS = 1_000n

/** A 4 → 3 float MLP (MatMul + Add + Relu); `tag` changes only the doc string, so each test has its own model id. */
function tinyModel(tag: string): Uint8Array {
  const w = [0.5, -0.25, 1, 0.75, 0.1, -0.5, -1, 0.3, 0.2, 0.05, -0.6, 0.9]
  return buildModel({
    docString: `worker test ${tag}`,
    inputs: [{ name: 'x', type: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, 3] }],
    initializers: [
      { name: 'w', type: 'float32', shape: [4, 3], values: w },
      { name: 'b', type: 'float32', shape: [1, 3], values: [0.1, -0.2, 0.3] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
      { op: 'Add', inputs: ['h', 'b'], outputs: ['z'] },
      { op: 'Relu', inputs: ['z'], outputs: ['y'] },
    ],
  })
}

/** `abi.encode(int256[] values)` of float inputs in 1e18 fixed point. */
const input = (xs: number[]): Hex => encodeAbiParameters([{ type: 'int256[]' }], [xs.map((x) => BigInt(Math.round(x * 1000)) * 10n ** 15n)])
const toBytes = (h: Hex) => new Uint8Array(Buffer.from(h.slice(2), 'hex'))
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('inference workers (processes)', () => {
  let t: TestNode
  let port: number
  let nodeDir: string
  let server: Server
  let serverUrl: string
  const served = new Map<string, Uint8Array>()
  const dirs: string[] = []
  const workers: WorkerProcess[] = []
  let consumer: Address

  // one block a second, as a sequencer runs: block times follow the clock (automine would stamp a
  // burst of blocks a second apart each, running the chain's clock, hence the deadlines, ahead)
  const nodeConfig = () => ({ dataDir: nodeDir, rpc: { port }, sequencer: { automine: false, blockTimeMs: 1_000 } })
  const dir = (prefix: string) => {
    const d = tempDir(prefix)
    dirs.push(d)
    return d
  }
  const start = (i: number, extra: Partial<Parameters<typeof startWorkerProcess>[0]> = {}, dataDir = dir(`worker-${i}-`)) => {
    const w = startWorkerProcess({ key: accounts[i].privateKey as Hex, l2Rpc: t.url, dataDir, stake: '1', price: PRICE, ...extra })
    workers.push(w)
    return w
  }
  const read = <T>(functionName: string, args: unknown[] = []) => t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: coordinator.abi, functionName, args }) as Promise<T>
  const send = async (i: number, address: Address, abi: Abi, functionName: string, args: unknown[], value?: bigint, gas?: bigint) => {
    const hash = await t.wallet(i).writeContract({ address, abi, functionName, args, value, gas, chain: t.chain } as never)
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status, functionName).toBe('success')
    return receipt
  }
  const stakeOf = async (a: Address) => (await read<{ stake: bigint }>('getNode', [a])).stake

  /** Registers `bytes` as an off-chain model at `uri` (default: this test's HTTP server). */
  async function register(bytes: Uint8Array, name: string, uri?: string, servedBytes = bytes): Promise<Hex> {
    const id = keccak256(bytes)
    served.set(id, servedBytes)
    await send(0, '0x4200000000000000000000000000000000000100', registry.abi, 'registerOffchain', [id, name, BigInt(bytes.length), 'int256[]', 'int256[]', uri ?? `${serverUrl}/models/${id}`, TIMEOUT_SECONDS])
    return id
  }

  /** Asks through ConsumerProbe; returns the request id. */
  async function request(modelId: Hex, x: Hex, redundancy = 3): Promise<bigint> {
    // eth_call runs at base fee 0: the quote it gives leaves out the callback's part (callbackGas × basefee),
    // which the probe pays from what it is sent (its surplus stays with it)
    const fee = (await read<bigint>('quote', [modelId, redundancy, CALLBACK_GAS])) + BigInt(CALLBACK_GAS) * 10n ** 10n
    const receipt = await send(0, consumer, probe.abi, 'request', [modelId, x, redundancy, CALLBACK_GAS], fee)
    const ev = parseEventLogs({ abi: coordinator.abi, logs: receipt.logs, eventName: 'InferenceRequested' as never })[0] as unknown as { args: { requestId: bigint } }
    return ev.args.requestId
  }

  const fulfilled = (id: bigint, timeoutMs = 40_000) =>
    until(`request ${id} to settle`, async () => {
      const [status, output] = await read<[number, Hex]>('getRequest', [id])
      return status === 2 || status === 3 ? { status, output } : undefined
    }, timeoutMs)

  const coordinatorLogs = async (fromBlock = 0n) => parseEventLogs({ abi: coordinator.abi, logs: await t.publicClient.getLogs({ address: INFERENCE_COORDINATOR, fromBlock }) }) as unknown as { eventName: string; args: Record<string, any>; transactionHash: Hex; blockNumber: bigint }[]

  const expected = (bytes: Uint8Array, x: Hex) => hex(runInference(bytes, 'int256[]', 'int256[]', toBytes(x)))

  beforeAll(async () => {
    server = createServer((req, res) => {
      const bytes = served.get(req.url!.replace('/models/', ''))
      if (bytes === undefined) {
        res.statusCode = 404
        return res.end()
      }
      res.end(Buffer.from(bytes))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    serverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    port = await freePort()
    nodeDir = dir('worker-l2-')
    t = await startTestNode(nodeConfig())
    const hash = await t.wallet(0).deployContract({ abi: probe.abi, bytecode: probe.bytecode, args: [INFERENCE_COORDINATOR], chain: t.chain } as never)
    consumer = (await t.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
  }, 60_000)

  // a failed test leaves no worker behind to act on the next one's chain
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.kill9()))
  })

  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    await t?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('three workers stake, serve and answer a redundancy-3 request with the exact output; each is paid its share and withdraws it', async () => {
    const bytes = tinyModel('full flow')
    const modelId = await register(bytes, 'tiny-1')
    const ws = [1, 2, 3].map((i) => start(i, { args: ['--withdraw-threshold', '1', '--withdraw-interval', '500'] }))
    // no --models: each finds the model by enumerating ModelRegistry
    await Promise.all(ws.map((w) => w.waitFor(/: serving model tiny-1 .* at 1000000000000000 wei per request, tx 0x/)))
    for (const i of [1, 2, 3]) {
      expect(await stakeOf(accounts[i].address)).toBe(MIN_STAKE)
      expect(await read<[boolean, bigint]>('getOffer', [accounts[i].address, modelId])).toEqual([true, PRICE])
    }
    const from = await t.publicClient.getBlockNumber()
    const x = input([5.1, 3.5, 1.4, 0.2])
    const id = await request(modelId, x)
    const { status, output } = await fulfilled(id)
    expect(status).toBe(2)
    expect(output).toBe(expected(bytes, x))
    expect(await t.publicClient.readContract({ address: consumer, abi: probe.abi, functionName: 'lastOutput' })).toBe(expected(bytes, x))
    const logs = await coordinatorLogs(from)
    expect(logs.filter((l) => l.eventName === 'InferenceFulfilled')).toEqual([expect.objectContaining({ args: { requestId: id, output: expected(bytes, x), callbackSucceeded: true } })])
    const rewarded = logs.filter((l) => l.eventName === 'Rewarded').map((l) => [l.args.node, l.args.amount])
    expect(rewarded.sort()).toEqual([1, 2, 3].map((i) => [accounts[i].address, PRICE]).sort())
    expect(logs.filter((l) => l.eventName === 'Slashed')).toEqual([])
    // the earnings are withdrawn by the workers themselves
    const withdrawn = await until('the three withdrawals', async () => {
      const w = (await coordinatorLogs(from)).filter((l) => l.eventName === 'Withdrawn')
      return w.length === 3 ? w : undefined
    })
    // its share, and for the node whose reveal settled the request the callback's reimbursement
    const reimbursed = logs.filter((l) => l.eventName === 'CallbackReimbursed')
    expect(reimbursed).toHaveLength(1)
    const owed = (a: Address) => PRICE + (reimbursed[0].args.settler === a ? (reimbursed[0].args.amount as bigint) : 0n)
    expect(withdrawn.map((l) => [l.args.account, l.args.amount]).sort()).toEqual([1, 2, 3].map((i) => [accounts[i].address, owed(accounts[i].address)]).sort())
    for (const i of [1, 2, 3]) expect(await read<bigint>('balanceOf', [accounts[i].address])).toBe(0n)
    // each step is logged
    for (const w of ws) {
      await w.waitFor(new RegExp(`request ${id} settled: fulfilled with .*; this node was paid ${PRICE} wei \\(its output\\)`))
      for (const re of [new RegExp(`request ${id} assigned`), new RegExp(`request ${id}: ran tiny-1 in \\d+ ms`), new RegExp(`request ${id}: committed 0x`), new RegExp(`request ${id}: revealed in tx 0x`), /withdrew \d+ wei of earnings/]) {
        await w.waitFor(re, 10_000)
      }
    }
    // a request the formats reject (3 values for a 4-value input) is answered alike by every
    // node: the rejection bytes are delivered and nobody is slashed
    const bad = await request(modelId, encodeAbiParameters([{ type: 'int256[]' }], [[1n, 2n, 3n]]))
    expect(await fulfilled(bad)).toEqual({ status: 2, output: hex(rejectionOutput('WRONG_TENSOR_LENGTH')) })
    expect((await coordinatorLogs(from)).filter((l) => l.eventName === 'Slashed')).toEqual([])
    for (const w of ws) await w.waitFor(new RegExp(`request ${bad}: tiny-1 rejects it \\(WRONG_TENSOR_LENGTH: .*answering with its rejection bytes`))
    await Promise.all(ws.map((w) => w.stop()))
    expect(await Promise.all(ws.map((w) => w.exited))).toEqual([0, 0, 0])
  }, 120_000)

  it('refuses a model whose URI serves bytes that do not hash to its id: it does not serve it and says why', async () => {
    const bytes = tinyModel('mismatch')
    const modelId = await register(bytes, 'tiny-bad', undefined, tinyModel('imposter')) // as long, other bytes
    const w = start(13, { models: [modelId] })
    const line = await w.waitFor(/refusing model tiny-bad/)
    expect(line).toMatch(new RegExp(`refusing model tiny-bad \\(${modelId}\\), not serving it: keccak256 of the \\d+ bytes from http://127.0.0.1:\\d+/models/${modelId} is 0x[0-9a-f]{64}, not the model id ${modelId}: refusing to serve it`))
    await w.waitFor(/stake 1000000000000000000 wei|staked/)
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await read<[boolean, bigint]>('getOffer', [accounts[13].address, modelId])).toEqual([false, 0n])
    expect(await t.publicClient.getTransactionCount({ address: accounts[13].address })).toBe(1) // its stake, nothing else
    await w.stop()
  }, 60_000)

  it('a rogue node beside two honest workers: the honest majority is delivered, the rogue is slashed for another output and for no reveal', async () => {
    const bytes = tinyModel('rogue')
    const file = join(dir('worker-file-'), 'tiny-rogue.onnx')
    writeFileSync(file, bytes)
    const modelId = await register(bytes, 'tiny-rogue', pathToFileURL(file).href)
    const rogueKey = 9
    const rogue = accounts[rogueKey].address
    // 2 ETH: still eligible (at least MIN_STAKE) after the first slash
    await send(rogueKey, INFERENCE_COORDINATOR, coordinator.abi, 'stake', [], 2n * MIN_STAKE)
    await send(rogueKey, INFERENCE_COORDINATOR, coordinator.abi, 'serve', [modelId, PRICE])
    const ws = [7, 8].map((i) => start(i, { models: [modelId] }))
    await Promise.all(ws.map((w) => w.waitFor(/: serving model tiny-rogue/)))

    // (a) the rogue commits to another output and reveals it
    const x = input([6.3, 2.9, 5.6, 1.8])
    const wrong = encodeAbiParameters([{ type: 'int256[]' }], [[1n, 2n, 3n]])
    const id = await request(modelId, x)
    const salt = newSalt()
    await send(rogueKey, INFERENCE_COORDINATOR, coordinator.abi, 'commit', [id, inferenceCommitment(id, toBytes(wrong), salt, rogue)])
    await until('the commit phase to close', async () => ((await read<{ phase: number }>('getAssignment', [id])).phase === 2 ? true : undefined))
    // enough gas to be the settling reveal, if the honest ones land first
    await send(rogueKey, INFERENCE_COORDINATOR, coordinator.abi, 'reveal', [id, wrong, salt], undefined, 3_000_000n)
    const a = await fulfilled(id)
    expect(a).toEqual({ status: 2, output: expected(bytes, x) })
    expect(await stakeOf(rogue)).toBe(2n * MIN_STAKE - (2n * MIN_STAKE * SLASH_BPS) / 10_000n)
    const slashedA = (await coordinatorLogs()).filter((l) => l.eventName === 'Slashed' && l.args.requestId === id)
    expect(slashedA.map((l) => [l.args.node, l.args.amount, l.args.reason])).toEqual([[rogue, parseEther('0.2'), 1]])

    // (b) the rogue commits and never reveals: after the reveal deadline a worker finalizes
    const y = input([4.9, 3.0, 1.4, 0.2])
    const id2 = await request(modelId, y)
    await send(rogueKey, INFERENCE_COORDINATOR, coordinator.abi, 'commit', [id2, inferenceCommitment(id2, toBytes(wrong), newSalt(), rogue)])
    const b = await fulfilled(id2, 2 * TIMEOUT_SECONDS * 1000 + 20_000)
    expect(b).toEqual({ status: 2, output: expected(bytes, y) })
    expect(await stakeOf(rogue)).toBe(parseEther('1.62'))
    const logs = await coordinatorLogs()
    expect(logs.filter((l) => l.eventName === 'Slashed' && l.args.requestId === id2).map((l) => [l.args.node, l.args.amount, l.args.reason])).toEqual([[rogue, parseEther('0.18'), 2]])
    const settledBy = logs.find((l) => l.eventName === 'InferenceFulfilled' && l.args.requestId === id2)!
    const tx = await t.publicClient.getTransaction({ hash: settledBy.transactionHash })
    expect([accounts[7].address, accounts[8].address].map((a) => a.toLowerCase())).toContain(tx.from.toLowerCase()) // finalize, sent by a worker
    await until('a worker to log the finalize', async () => (ws.some((w) => w.lines.some((l) => new RegExp(`request ${id2}: finalized in tx`).test(l))) ? true : undefined))
    for (const w of ws) await w.waitFor(new RegExp(`request ${id2} settled: fulfilled .* paid`))
    await Promise.all(ws.map((w) => w.stop()))
  }, 120_000)

  describe('restarts', () => {
    const killedKey = 4
    let killedDir: string
    let modelId: Hex
    let id: bigint
    let bytes: Uint8Array

    it('a worker killed between its commit and its reveal reveals after a restart, and the request is fulfilled', async () => {
      bytes = tinyModel('sigkill')
      modelId = await register(bytes, 'tiny-kill')
      // a third node that is assigned and never commits: the reveal phase opens only at the commit deadline
      const silentKey = 6
      await send(silentKey, INFERENCE_COORDINATOR, coordinator.abi, 'stake', [], MIN_STAKE)
      await send(silentKey, INFERENCE_COORDINATOR, coordinator.abi, 'serve', [modelId, PRICE])
      killedDir = dir('worker-killed-')
      const killed = start(killedKey, { models: [modelId] }, killedDir)
      const other = start(5, { models: [modelId] })
      await Promise.all([killed, other].map((w) => w.waitFor(/: serving model tiny-kill/)))
      const x = input([5.9, 3.0, 5.1, 1.8])
      id = await request(modelId, x)
      await killed.waitFor(new RegExp(`request ${id}: committed 0x`))
      await killed.kill9()
      const killedAt = await t.publicClient.getBlockNumber()
      const a = await read<{ committed: boolean[]; revealed: boolean[]; nodes: Address[] }>('getAssignment', [id])
      const i = a.nodes.indexOf(accounts[killedKey].address)
      expect([a.committed[i], a.revealed[i]]).toEqual([true, false])
      // its store holds the answer it committed to
      const db = new Database(join(killedDir, 'worker.sqlite'), { readonly: true })
      const row = db.prepare('SELECT state, salt, commitment, commit_tx FROM worker_requests WHERE request_id = ?').get(id.toString()) as { state: string; salt: Hex; commitment: Hex; commit_tx: Hex }
      db.close()
      expect(row.state).toMatch(/computed|committed/)
      expect(row.commitment).toBe(inferenceCommitment(id, toBytes(expected(bytes, x)), row.salt, accounts[killedKey].address))
      const restarted = start(killedKey, { models: [modelId] }, killedDir)
      const { status, output } = await fulfilled(id)
      expect([status, output]).toEqual([2, expected(bytes, x)])
      await restarted.waitFor(new RegExp(`request ${id}: revealed in tx`))
      const logs = await coordinatorLogs(killedAt)
      expect(logs.filter((l) => l.eventName === 'Revealed' && l.args.requestId === id).map((l) => l.args.node).sort()).toEqual([accounts[killedKey].address, accounts[5].address].sort())
      expect(logs.filter((l) => l.eventName === 'Slashed' && l.args.requestId === id).map((l) => [l.args.node, l.args.reason])).toEqual([[accounts[silentKey].address, 3]])
      await restarted.waitFor(new RegExp(`request ${id} settled: fulfilled .* paid`))
      await other.stop()
    }, 120_000)

    it('never commits twice: store and chain agree, and a restart after the settlement sends nothing', async () => {
      const address = accounts[killedKey].address
      const committed = (await coordinatorLogs()).filter((l) => l.eventName === 'Committed' && l.args.node === address)
      expect(committed.map((l) => l.args.requestId)).toEqual([id])
      const db = () => new Database(join(killedDir, 'worker.sqlite'), { readonly: true })
      let d = db()
      const row = d.prepare('SELECT state, commit_tx, reveal_tx, outcome FROM worker_requests').all() as { state: string; commit_tx: Hex; reveal_tx: Hex; outcome: string }[]
      d.close()
      expect(row).toEqual([{ state: 'done', commit_tx: committed[0].transactionHash, reveal_tx: expect.stringMatching(/^0x/), outcome: expect.stringMatching(/paid/) }])
      // stake, serve, commit, reveal: nothing else from this key
      const nonce = await t.publicClient.getTransactionCount({ address })
      expect(nonce).toBe(4)
      // started again (the previous one was killed after the test before)
      const again = start(killedKey, { models: [modelId] }, killedDir)
      await again.waitFor(/serving model tiny-kill .*already/)
      await new Promise((r) => setTimeout(r, 3_000))
      expect(await t.publicClient.getTransactionCount({ address })).toBe(nonce)
      d = db()
      expect(d.prepare("SELECT COUNT(*) AS n FROM worker_requests WHERE state <> 'done'").get()).toEqual({ n: 0 })
      d.close()
      await again.stop()
    }, 60_000)
  })

  it('keeps running while the L2 node is down and answers the requests made before and after it comes back', async () => {
    const bytes = tinyModel('outage')
    const modelId = await register(bytes, 'tiny-outage')
    // two blocks per eth_getLogs: the catch-up after the outage takes several bounded calls
    const ws = [10, 11, 12].map((i) => start(i, { models: [modelId], args: ['--logs-range', '2'] }))
    await Promise.all(ws.map((w) => w.waitFor(/: serving model tiny-outage/)))
    const x = input([5.0, 3.6, 1.4, 0.2])
    const before = await request(modelId, x)
    // down at once: the workers may not even have seen the request yet
    await t.close({ keepData: true })
    await new Promise((r) => setTimeout(r, 3_000))
    expect(ws.map((w) => w.child.exitCode)).toEqual([null, null, null])
    t = await startTestNode(nodeConfig())
    expect(await fulfilled(before)).toEqual({ status: 2, output: expected(bytes, x) })
    const y = input([6.7, 3.1, 4.4, 1.4])
    const after = await request(modelId, y)
    expect(await fulfilled(after)).toEqual({ status: 2, output: expected(bytes, y) })
    expect((await coordinatorLogs()).filter((l) => l.eventName === 'Slashed' && (l.args.requestId === before || l.args.requestId === after))).toEqual([])
    for (const w of ws) {
      await w.waitFor(new RegExp(`request ${after} settled: fulfilled .* paid`))
      expect(w.lines.some((l) => /step failed/.test(l)), 'the outage is logged').toBe(true)
      expect(w.lines.some((l) => /answers again/.test(l)), 'and its end').toBe(true)
    }
    await Promise.all(ws.map((w) => w.stop()))
  }, 120_000)
})
