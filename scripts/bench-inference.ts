/**
 * Inference benchmark (issue 3, "Speed"): what the inference precompile (0x…a1) costs per call
 * compared with calling onnxruntime-node directly, and what TPS a chain gets when every
 * transaction runs one inference, compared with plain ETH transfers on the same node.
 *
 *   npx tsx scripts/bench-inference.ts [--calls N] [--txs N] [--runs R] [--only overhead|tps]
 *   npm run bench:inference -- --runs 5
 *
 * Part 1, per-call overhead (--only overhead), for each example model built by scripts/models
 * (credit-risk, iris-mlp, iris-mlp-int8), on the same model bytes and the same input:
 *   (a) direct: one onnxruntime InferenceSession created once with the node's options
 *       (precompiles/sessions.ts deterministicSessionOptions(): CPU, one thread, no graph
 *       optimization), a pre-built input tensor, `await session.run(feeds, [output])` N times;
 *   (b) precompile: the precompile function itself, in this process, called the way the EVM calls
 *       it: a ModelRuntime over an in-memory store (a Map) that admitted the model bytes,
 *       createInferencePrecompile(runtime), and a PrecompileInput whose
 *       `_EVM.stateManager.getStorage` answers a non-zero word (the model is registered) and whose
 *       data is `infer(modelId, input)` calldata. One call = ABI decode, registry-slot hash and
 *       storage read, input conversion (fixed-point → tensor), session-cache lookup, the same
 *       session.run, output checks and conversion, keccak of input and output, return encoding
 *       and the Inference log;
 *   (c) eth_call: the same call as an `eth_call` over HTTP to our node started in this process
 *       (startNode on a temp dir, port 0, automine, models registered through ModelRegistry),
 *       one client, sequential, ⌈N/10⌉ calls; next to it an eth_call with the same calldata to an
 *       account without code (HTTP + JSON-RPC + EVM call setup, no precompile). For context only:
 *       HTTP and the EVM dominate.
 *   N = --calls (default 20000) timed calls per model and run, after a warm-up; each call is
 *   timed on its own (performance.now) and the figure is the median µs per call; the mean
 *   (total time / N, so it includes GC pauses) is printed next to it. With --runs R the whole
 *   measurement repeats R times (alternating the order of (a) and (b)) and the median of the
 *   R run medians is reported. Overhead ratio = precompile / direct, against the 1.3×
 *   target. A breakdown times each piece of the precompile's work on its own (median of batch
 *   means) so that the ratio can be explained. Session creations are counted with
 *   runtime.plans.stats(): they must be 1 per model (the warm-up) and 0 during timed calls.
 *
 * Part 2, TPS (--only tps): our node as a child process (`sequencer/main.ts --block-time 1000`,
 * fresh temp data dir, as scripts/bench-tps.ts does), the credit-risk model registered from dev
 * account 0, then per run two workloads of N = --txs (default 5000) pre-signed EIP-1559
 * transactions, round-robin from dev accounts 0..9, sent by 32 concurrent keep-alive HTTP
 * clients; the clock runs from the first send until every sender's `latest` nonce is final:
 *   infer = a transaction straight to 0x…a1 with `infer(creditModelId, input)` calldata,
 *           gas = eth_estimateGas of one such call + 10%; a sample of receipts is checked
 *           (status 1, an Inference log);
 *   eth   = 1 wei transfers to accounts 10..19 (21000 gas), the baseline.
 * TPS = mined / seconds; the ratio infer/eth is the cost of one inference per transaction.
 *
 * How to read it
 * - The machine has few cores and the load generator shares them with the node (part 2), so
 *   absolute figures are machine-dependent; the ratios from one run are what to compare.
 * - Part 1 compares two in-process loops: the ratio is the precompile's own cost on top of
 *   onnxruntime. Small models run in ~10 µs, so fixed per-call work (hashing, bigints) weighs a lot.
 * - Part 2: a 1 s block holds at most gasLimit / gasUsed transactions; the report prints that
 *   ceiling for each workload. A workload at its ceiling is limited by gas, not CPU.
 * - With 1 s blocks the end of a run is quantised to a block boundary (plus ≤100 ms of polling).
 *   At the default 5000 transactions a transfer run lasts only ~4 s, so the faster workload is
 *   understated most and infer/eth comes out too high; --txs 20000 gives a steadier ratio.
 * - `rejected` must be 0 and every run complete; otherwise TPS counts mined transactions only.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { bytesToHex as utilBytesToHex, hexToBytes as utilHexToBytes } from '@ethereumjs/util'
import type { PrecompileInput } from '@ethereumjs/evm'
import { decodeFunctionResult, encodeFunctionData, keccak256, parseAbi, toHex, type Abi, type Hex } from 'viem'
import { createInferencePrecompile, packWords } from '../precompiles/a1-infer.ts'
import { DEFAULT_MAX_MODEL_BYTES, INFERENCE_PRECOMPILE, MODEL_REGISTRY, ModelRuntime, type ModelBytesStore, type ModelInfo } from '../precompiles/index.ts'
import { deterministicSessionOptions } from '../precompiles/sessions.ts'
import { decodeInferCall, encodeInferCall, encodeInferResult, fromTensorData, toTensorData, type TensorData } from '../precompiles/tensor-codec.ts'
import { createChainCommon } from '../sequencer/chain/common.ts'
import { startNode, type RunningNode as InProcessNode } from '../sequencer/node.ts'
import { buildCreditModel, buildIrisInt8Model, buildIrisModel } from './models/index.ts'
import {
  BLOCK_TIME_MS,
  CLIENTS,
  cleanup,
  devAccounts,
  ETH_GAS,
  loadAccounts,
  loadArtifact,
  machine as describeMachine,
  measure,
  median,
  nonces,
  parseFlags,
  positiveInt,
  post,
  presign,
  ROOT,
  rpc,
  runMain,
  SENDER_COUNT,
  signTx,
  startOurNode,
  stopNode,
  verifySignatures,
  waitReceipt,
  type Batch,
  type Measured,
  type Payload,
  type Receipt,
  type RpcReply,
  type Sender,
} from './lib/load.ts'

// ---------------------------------------------------------------------------------------------
// Constants (the load's own are in scripts/lib/load.ts)

/** Warm-up calls per model before timing part 1 (session creation, JIT). */
const WARMUP_CALLS = 2_000
/** eth_call round trips per model: this fraction of --calls (HTTP is ~50× slower than a call). */
const ETH_CALL_FRACTION = 10
const ETH_CALL_WARMUP = 200
/** Operations per timed batch in the breakdown (pieces of ~1 µs are too short to time one by one). */
const BREAKDOWN_BATCH = 100
/** Receipts checked after an infer run. */
const RECEIPT_SAMPLE = 20
const OVERHEAD_TARGET = 1.3
const REGISTRY_ARTIFACT = path.join(ROOT, 'artifacts/contracts/L2/ModelRegistry.sol/ModelRegistry.json')
const CHAIN_ID_FOR_COMMON = 42424n
const INFER_ABI = parseAbi(['function infer(bytes32 modelId, int256[] input) returns (int256[] output)'])

const ONE = 10n ** 18n
/** A decimal number as int256 fixed point (×1e18), exactly for up to 6 decimals. */
const fixed = (x: number) => BigInt(Math.round(x * 1e6)) * 10n ** 12n

interface ExampleModel {
  name: string
  build: () => Uint8Array
  /** The int256 input the benchmark sends (what a contract would pass). */
  input: bigint[]
}

const MODELS: ExampleModel[] = [
  // $50k income, 30% debt ratio, 10 years of history, 1 late payment (normalized as in credit.ts)
  { name: 'credit-risk', build: () => buildCreditModel(), input: [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n] },
  // a setosa, in cm, as 1e18 fixed point
  { name: 'iris-mlp', build: () => buildIrisModel(), input: [5.1, 3.5, 1.4, 0.2].map(fixed) },
  // the same flower in millimetres, int8
  { name: 'iris-mlp-int8', build: () => buildIrisInt8Model(), input: [51n, 35n, 14n, 2n] },
]

type Part = 'overhead' | 'tps'

interface Options {
  calls: number
  txs: number
  runs: number
  parts: Part[]
}

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = 'usage: npx tsx scripts/bench-inference.ts [--calls N] [--txs N] [--runs R] [--only overhead|tps]'

function parseArgs(argv: string[]): Options {
  const opts: Options = { calls: 20_000, txs: 5_000, runs: 3, parts: ['overhead', 'tps'] }
  parseFlags(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--calls': opts.calls = positiveInt(flag, value()); break
      case '--txs': opts.txs = positiveInt(flag, value()); break
      case '--runs': opts.runs = positiveInt(flag, value()); break
      case '--only': {
        const p = value()
        if (p !== 'overhead' && p !== 'tps') throw new Error(`--only must be overhead or tps (got ${p})`)
        opts.parts = [p]
        break
      }
      default:
        return false
    }
    return true
  })
  return opts
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

interface Timing {
  /** Median of the per-call times, µs. */
  medianUs: number
  /** Total time / calls, µs (includes GC pauses and outliers). */
  meanUs: number
}

/** Times `n` sequential awaited calls one by one. */
async function timeCalls(n: number, fn: () => Promise<unknown>): Promise<Timing> {
  const samples = new Float64Array(n)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const a = performance.now()
    await fn()
    samples[i] = performance.now() - a
  }
  const total = performance.now() - t0
  return { medianUs: median(samples) * 1000, meanUs: (total / n) * 1000 }
}

/** Median over batches of BREAKDOWN_BATCH calls of the mean µs per call (for sub-µs pieces). */
async function timeBatched(n: number, fn: () => unknown): Promise<number> {
  const batches = Math.max(1, Math.floor(n / BREAKDOWN_BATCH))
  const samples = new Float64Array(batches)
  for (let b = 0; b < batches; b++) {
    const a = performance.now()
    for (let i = 0; i < BREAKDOWN_BATCH; i++) {
      const r = fn()
      if (r instanceof Promise) await r
    }
    samples[b] = ((performance.now() - a) / BREAKDOWN_BATCH) * 1000
  }
  return median(samples)
}

const us = (x: number) => x.toFixed(1)
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
const spread = (xs: number[]) => (xs.length > 1 ? ` [${us(Math.min(...xs))}–${us(Math.max(...xs))}]` : '')

// ---------------------------------------------------------------------------------------------
// Registration

function loadRegistryAbi(): Abi {
  return loadArtifact('ModelRegistry', REGISTRY_ARTIFACT).abi
}

/** Registers `bytes` through ModelRegistry with a signed raw transaction from `from`; returns the model id. */
async function registerModel(url: string, chainId: number, abi: Abi, from: Sender, bytes: Uint8Array, name: string): Promise<Hex> {
  const data = encodeFunctionData({ abi, functionName: 'register', args: [toHex(bytes), name] })
  const gas = BigInt(await rpc<Hex>(url, 'eth_estimateGas', [{ from: from.address, to: MODEL_REGISTRY, data }]))
  const nonce = Number(await rpc<Hex>(url, 'eth_getTransactionCount', [from.address, 'pending']))
  const hash = await rpc<Hex>(url, 'eth_sendRawTransaction', [signTx(from, { chainId, nonce, to: MODEL_REGISTRY, data, gas: (gas * 12n) / 10n })])
  await waitReceipt(url, hash, `register ${name}`, 50)
  return keccak256(bytes)
}

// ---------------------------------------------------------------------------------------------
// Part 1: per-call overhead

interface Prepared {
  model: ExampleModel
  bytes: Uint8Array
  id: Hex
  info: ModelInfo
  calldata: Uint8Array
  /** The output onnxruntime gives directly, converted to int256 (the precompile must return it). */
  expected: bigint[]
  direct: { session: InferenceSession; call: () => Promise<unknown> }
  precompile: { call: () => Promise<unknown> }
  creationsAfterWarmup?: number
}

interface OverheadRow {
  name: string
  gasPerCall: bigint
  direct: Timing[]
  precompile: Timing[]
  breakdown?: { label: string; us: number }[]
  ethCall?: { infer: Timing; baseline: Timing }
  creations: number
}

/** A Map as the node's model store. */
class MapStore implements ModelBytesStore {
  private readonly map = new Map<string, Uint8Array>()
  getModel(id: Uint8Array) {
    return this.map.get(utilBytesToHex(id))
  }
  putModel(id: Uint8Array, bytes: Uint8Array) {
    this.map.set(utilBytesToHex(id), bytes)
  }
}

/** A PrecompileInput as the EVM builds it; the only state read (ModelRegistry storage) answers "registered". */
function precompileInput(data: Uint8Array): PrecompileInput {
  const registered = new Uint8Array(32)
  registered[31] = 1 // the owner word of the model's registry entry: non-zero
  const stateManager = { getStorage: async () => registered }
  return { data, gasLimit: 10_000_000n, common: createChainCommon(CHAIN_ID_FOR_COMMON), _EVM: { stateManager } as unknown as PrecompileInput['_EVM'] }
}

async function prepareModel(model: ExampleModel, runtime: ModelRuntime, infer: ReturnType<typeof createInferencePrecompile>): Promise<Prepared> {
  const bytes = model.build()
  const { id: idBytes, info } = await runtime.admit(bytes)
  const id = keccak256(bytes)
  if (utilBytesToHex(idBytes) !== id) throw new Error(`${model.name}: runtime id ${utilBytesToHex(idBytes)} ≠ keccak ${id}`)

  // (a) direct: one session, a pre-built tensor and feeds
  const session = await InferenceSession.create(bytes, deterministicSessionOptions())
  const feeds = { [info.input.name]: new Tensor(info.input.type, toTensorData(model.input, info.input.type, info.input.length), info.input.shape) }
  const fetches = [info.output.name]
  const directOut = (await session.run(feeds, fetches))[info.output.name]
  const expected = fromTensorData(directOut.data as TensorData, info.output.type)

  // (b) precompile: the function the EVM calls
  const calldata = encodeInferCall(id, model.input)
  const input = precompileInput(calldata)
  const callPrecompile = async () => {
    const r = await infer(input)
    if (r.exceptionError !== undefined) throw new Error(`${model.name}: precompile failed: ${r.exceptionError.error}`)
    return r
  }
  const first = await callPrecompile()
  const got = [...decodeFunctionResult({ abi: INFER_ABI, functionName: 'infer', data: toHex(first.returnValue) })]
  if (got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
    throw new Error(`${model.name}: precompile output ${got} differs from the direct call ${expected}`)
  }
  if (first.executionGasUsed !== info.gasPerCall || first.logs?.length !== 1) {
    throw new Error(`${model.name}: precompile charged ${first.executionGasUsed} gas (expected ${info.gasPerCall}) with ${first.logs?.length ?? 0} logs`)
  }
  return {
    model,
    bytes,
    id,
    info,
    calldata,
    expected,
    direct: { session, call: () => session.run(feeds, fetches) },
    precompile: { call: callPrecompile },
  }
}

/** Each piece of the precompile's work on its own (mirrors a1-infer.ts; for explaining the ratio). */
async function breakdown(p: Prepared, runtime: ModelRuntime, n: number): Promise<{ label: string; us: number }[]> {
  const { info, calldata, model } = p
  const idBytes = utilHexToBytes(p.id)
  // the node's keccak (native addon through Common.customCrypto), as the precompile uses it
  const nativeKeccak = createChainCommon(CHAIN_ID_FOR_COMMON).customCrypto.keccak256!
  const data = toTensorData(model.input, info.input.type, info.input.length)
  const loader = () => runtime.bytes(idBytes)
  const outData = await runtime.plans.run(p.id, loader, info, data)
  const output = fromTensorData(outData, info.output.type)
  const topic = utilHexToBytes(keccak256(toHex('Inference(bytes32,bytes32,bytes32)')))
  const pieces: [string, () => unknown][] = [
    ['ABI decode (decodeInferCall)', () => decodeInferCall(calldata)],
    // the precompile computes each model's registry slot once, so only the info lookup remains per call
    ['model info lookup', () => runtime.info(utilHexToBytes(p.id))],
    ['input int256 → tensor (toTensorData)', () => toTensorData(model.input, info.input.type, info.input.length)],
    ['session cache + Tensor + session.run', () => runtime.plans.run(p.id, loader, info, data)],
    ['output tensor → int256 (fromTensorData)', () => fromTensorData(outData, info.output.type)],
    ['record: packWords + keccak of input and output', () => [nativeKeccak(packWords(model.input)), nativeKeccak(packWords(output))]],
    ['return encoding + log assembly', () => [encodeInferResult(output), [topic, idBytes]]],
  ]
  const out: { label: string; us: number }[] = []
  for (const [label, fn] of pieces) {
    await timeBatched(Math.min(n, 2_000), fn) // warm-up
    out.push({ label, us: await timeBatched(n, fn) })
  }
  return out
}

async function benchOverhead(opts: Options, tempDir: string): Promise<OverheadRow[]> {
  console.log(`\n== Part 1: per-call overhead (${opts.calls} calls per model and run, ${opts.runs} run(s), warm-up ${WARMUP_CALLS}) ==`)
  const runtime = new ModelRuntime({ store: new MapStore(), maxModelBytes: DEFAULT_MAX_MODEL_BYTES })
  const closeRuntime = () => runtime.close()
  cleanup.closers.add(closeRuntime)
  const infer = createInferencePrecompile(runtime)

  const prepared: Prepared[] = []
  for (const model of MODELS) {
    const t = performance.now()
    const before = runtime.plans.stats().compilations
    const p = await prepareModel(model, runtime, infer)
    const warmup = Math.min(WARMUP_CALLS, opts.calls)
    for (let i = 0; i < warmup; i++) await p.direct.call()
    for (let i = 0; i < warmup; i++) await p.precompile.call()
    p.creationsAfterWarmup = runtime.plans.stats().compilations - before
    prepared.push(p)
    console.log(`${model.name}: built, admitted and warmed up in ${((performance.now() - t) / 1000).toFixed(1)} s (${p.bytes.length} bytes, ${describeModel(p.info)}, gas/call ${p.info.gasPerCall}, output ${p.expected.join(', ')})`)
  }
  const creationsBefore = runtime.plans.stats().compilations
  const missesBefore = runtime.plans.stats().misses

  const rows: OverheadRow[] = prepared.map((p) => ({ name: p.model.name, gasPerCall: p.info.gasPerCall, direct: [], precompile: [], creations: p.creationsAfterWarmup! }))
  for (let run = 0; run < opts.runs; run++) {
    for (const [k, p] of prepared.entries()) {
      const order = run % 2 === 0 ? (['direct', 'precompile'] as const) : (['precompile', 'direct'] as const)
      for (const which of order) rows[k][which].push(await timeCalls(opts.calls, p[which].call))
      const d = rows[k].direct.at(-1)!
      const c = rows[k].precompile.at(-1)!
      console.log(`run ${run + 1}/${opts.runs} ${p.model.name}: direct ${us(d.medianUs)} µs, precompile ${us(c.medianUs)} µs (median per call; ratio ${(c.medianUs / d.medianUs).toFixed(2)}×)`)
    }
  }
  const stats = runtime.plans.stats()
  const timedCreations = stats.compilations - creationsBefore
  const timedMisses = stats.misses - missesBefore

  for (const [k, p] of prepared.entries()) rows[k].breakdown = await breakdown(p, runtime, Math.min(opts.calls, 20_000))
  if (runtime.plans.stats().compilations !== stats.compilations) throw new Error('the breakdown created a session: the cache did not hold')

  // (c) eth_call to a node in this process
  const node = await startInProcessNode(path.join(tempDir, 'eth-call'))
  try {
    const ethCalls = Math.max(100, Math.ceil(opts.calls / ETH_CALL_FRACTION))
    console.log(`eth_call: our node in-process at ${node.url}, ${ethCalls} sequential calls per model`)
    const abi = loadRegistryAbi()
    const [owner, , , , , , , , , , , , , , , , , , , noCode] = devAccounts(20)
    const chainId = Number(node.chainId)
    for (const p of prepared) await registerModel(node.url, chainId, abi, owner, p.bytes, p.model.name)
    const nodeCreations0 = node.models.plans.stats().compilations
    for (const [k, p] of prepared.entries()) {
      const data = toHex(p.calldata)
      const inferBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: INFERENCE_PRECOMPILE, data }, 'latest'] })
      const baseBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: noCode.address, data }, 'latest'] })
      const reply = JSON.parse(await post(node.url, inferBody)) as RpcReply<Hex>
      if (reply.result === undefined) throw new Error(`${p.model.name}: eth_call failed: ${JSON.stringify(reply.error)}`)
      const got = [...decodeFunctionResult({ abi: INFER_ABI, functionName: 'infer', data: reply.result })]
      if (got.some((v, i) => v !== p.expected[i])) throw new Error(`${p.model.name}: eth_call output ${got} differs from the direct call ${p.expected}`)
      const call = (body: string) => async () => {
        const text = await post(node.url, body)
        if (!text.includes('"result"')) throw new Error(`eth_call failed: ${text.slice(0, 200)}`)
      }
      for (let i = 0; i < ETH_CALL_WARMUP; i++) await call(inferBody)()
      for (let i = 0; i < ETH_CALL_WARMUP; i++) await call(baseBody)()
      rows[k].ethCall = { infer: await timeCalls(ethCalls, call(inferBody)), baseline: await timeCalls(ethCalls, call(baseBody)) }
      console.log(`${p.model.name}: eth_call ${us(rows[k].ethCall!.infer.medianUs)} µs, to an account without code ${us(rows[k].ethCall!.baseline.medianUs)} µs (median)`)
    }
    const nodeStats = node.models.plans.stats()
    console.log(
      `node session cache: ${nodeStats.compilations} creations for ${prepared.length} models (${nodeStats.compilations - nodeCreations0} after registration), ` +
        `${nodeStats.hits} hits, ${nodeStats.misses} misses, ${nodeStats.runs} runs`,
    )
  } finally {
    await node.close()
    cleanup.closers.delete(node.close)
  }

  for (const p of prepared) await p.direct.session.release()
  await runtime.close()
  cleanup.closers.delete(closeRuntime)

  // report
  console.log('\nSession creations (runtime.plans.stats()):')
  for (const r of rows) console.log(`  ${r.name}: ${r.creations} during warm-up${r.creations === 1 ? '' : '  ← expected 1'}`)
  const ok = timedCreations === 0 && timedMisses === 0
  console.log(`  during ${opts.calls * opts.runs * prepared.length} timed precompile calls: ${timedCreations} creations, ${timedMisses} misses${ok ? ' (ok: every call hit the cache)' : '  ← the cache did not hold'}`)
  return rows
}

function describeModel(i: ModelInfo): string {
  return `${i.input.type}[${i.input.shape.join(',')}] → ${i.output.type}[${i.output.shape.join(',')}], ${i.nodes} nodes, ${i.macs} MACs`
}

async function startInProcessNode(dataDir: string): Promise<InProcessNode> {
  const node = await startNode({ dataDir, rpc: { host: '127.0.0.1', port: 0 }, sequencer: { automine: true }, logLevel: 'error' })
  cleanup.closers.add(node.close)
  return node
}

function reportOverhead(rows: OverheadRow[], opts: Options): void {
  const med = (ts: Timing[], k: keyof Timing) => median(ts.map((t) => t[k]))
  console.log(`\nPer-call time, µs: median over ${opts.runs} run(s) of the per-call median${opts.runs > 1 ? ' [min–max of the run medians]' : ''}; mean = total / calls`)
  const w = [14, 9, 20, 20, 9, 8, 12, 12]
  console.log(pad(['model', 'gas/call', 'direct ORT', 'precompile', 'ratio', 'target', 'mean direct', 'mean precomp'], w))
  for (const r of rows) {
    const d = med(r.direct, 'medianUs')
    const p = med(r.precompile, 'medianUs')
    const ratio = p / d
    console.log(
      pad(
        [
          r.name,
          String(r.gasPerCall),
          us(d) + spread(r.direct.map((t) => t.medianUs)),
          us(p) + spread(r.precompile.map((t) => t.medianUs)),
          `${ratio.toFixed(2)}×`,
          ratio <= OVERHEAD_TARGET ? 'met' : 'NOT met',
          us(med(r.direct, 'meanUs')),
          us(med(r.precompile, 'meanUs')),
        ],
        w,
      ),
    )
  }
  console.log(`ratio = precompile / direct (medians); issue target: ≤ ${OVERHEAD_TARGET}×`)

  console.log('\nWhere the precompile time goes, µs per call (each piece timed alone, median of batch means):')
  for (const r of rows) {
    if (!r.breakdown) continue
    const sum = r.breakdown.reduce((s, b) => s + b.us, 0)
    console.log(`  ${r.name} (sum ${us(sum)}; direct session.run ${us(median(r.direct.map((t) => t.medianUs)))})`)
    for (const b of r.breakdown) console.log(`    ${b.label.padEnd(48)} ${b.us.toFixed(2).padStart(7)}`)
  }

  if (rows.some((r) => r.ethCall)) {
    console.log('\neth_call round trip over HTTP to our node (in-process, one client), µs, median per call:')
    const we = [14, 12, 22, 12, 14]
    console.log(pad(['model', 'eth_call', 'same data, no code', 'difference', 'vs precompile'], we))
    for (const r of rows) {
      if (!r.ethCall) continue
      const { infer: i, baseline: b } = r.ethCall
      const p = median(r.precompile.map((t) => t.medianUs))
      console.log(pad([r.name, us(i.medianUs), us(b.medianUs), us(i.medianUs - b.medianUs), `${(i.medianUs / p).toFixed(0)}× precompile`], we))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: TPS with one inference per transaction

type Workload = 'eth' | 'infer'

interface TpsResult extends Measured {
  workload: Workload
}

/** Receipts of a spread of the batch's transactions: status 1 and (infer) one Inference log from 0x…a1. */
async function checkReceipts(url: string, batch: Batch, workload: Workload): Promise<bigint> {
  let gasUsed = 0n
  const step = Math.max(1, Math.floor(batch.raw.length / RECEIPT_SAMPLE))
  for (let j = 0; j < batch.raw.length; j += step) {
    const hash = keccak256(batch.raw[j])
    const r = await rpc<Receipt | null>(url, 'eth_getTransactionReceipt', [hash])
    if (!r) throw new Error(`${workload} tx ${hash}: no receipt`)
    if (r.status !== '0x1') throw new Error(`${workload} tx ${hash} failed (status ${r.status})`)
    if (workload === 'infer' && !r.logs.some((l) => l.address.toLowerCase() === INFERENCE_PRECOMPILE)) throw new Error(`infer tx ${hash} has no Inference log`)
    gasUsed = BigInt(r.gasUsed)
  }
  return gasUsed
}

interface TpsReport {
  results: TpsResult[]
  gasUsed: Record<Workload, bigint>
  gasLimit: bigint
  inferGas: bigint
}

async function benchTps(opts: Options, tempDir: string): Promise<TpsReport> {
  console.log(`\n== Part 2: TPS, ${opts.txs} txs per workload and run, ${opts.runs} run(s), ${CLIENTS} HTTP clients, ${SENDER_COUNT} senders ==`)
  const { senders, recipients } = loadAccounts()
  const abi = loadRegistryAbi()
  const credit = MODELS[0]
  const creditBytes = credit.build()

  const node = await startOurNode(path.join(tempDir, 'tps'))
  try {
    console.log(`our node: up at ${node.url} (chain id ${node.chainId}, pid ${node.pid})`)
    const modelId = await registerModel(node.url, node.chainId, abi, senders[0], creditBytes, credit.name)
    const data = toHex(encodeInferCall(modelId, credit.input))
    const estimate = BigInt(await rpc<Hex>(node.url, 'eth_estimateGas', [{ from: senders[0].address, to: INFERENCE_PRECOMPILE, data }]))
    const inferGas = estimate + estimate / 10n
    const gasLimit = BigInt((await rpc<{ gasLimit: Hex }>(node.url, 'eth_getBlockByNumber', ['latest', false])).gasLimit)
    console.log(`${credit.name} registered as ${modelId}; eth_estimateGas of infer() = ${estimate}, txs sent with gas ${inferGas}`)

    const payloads: Record<Workload, (i: number) => Payload> = {
      eth: (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }),
      infer: () => ({ to: INFERENCE_PRECOMPILE, data, gas: inferGas }),
    }
    const results: TpsResult[] = []
    const gasUsed: Record<Workload, bigint> = { eth: ETH_GAS, infer: 0n }
    for (let run = 1; run <= opts.runs; run++) {
      const order: Workload[] = run % 2 === 1 ? ['infer', 'eth'] : ['eth', 'infer']
      for (const workload of order) {
        const start = await nonces(node.url, senders)
        const pendingStart = await nonces(node.url, senders, 'pending')
        if (pendingStart.some((n, i) => n !== start[i])) throw new Error('transactions left in the pool from an earlier run')
        const t = performance.now()
        const batch = presign(node.chainId, senders, start, opts.txs, payloads[workload])
        await verifySignatures(batch, senders)
        const signS = (performance.now() - t) / 1000
        const r: TpsResult = { workload, ...(await measure(node.url, senders, start, batch)) }
        results.push(r)
        console.log(
          `run ${run}/${opts.runs} ${workload.padEnd(5)}: ${r.mined}/${r.txs} txs in ${r.seconds.toFixed(2)} s = ${r.tps.toFixed(0)} TPS, ` +
            `rejected ${r.rejected}${r.complete ? '' : ' (INCOMPLETE: stalled)'} [pre-signed in ${signS.toFixed(1)} s]`,
        )
        for (const e of r.errors) console.log(`  rejected: ${e}`)
        if (!r.complete) throw new Error(`${workload} run stalled; its stuck transactions would collide with the next run's nonces`)
        gasUsed[workload] = await checkReceipts(node.url, batch, workload)
      }
    }
    return { results, gasUsed, gasLimit, inferGas }
  } finally {
    await stopNode(node)
  }
}

function reportTps(rep: TpsReport, opts: Options): void {
  console.log(`\nTPS, ${BLOCK_TIME_MS} ms blocks, block gas limit ${rep.gasLimit}, ${opts.txs} txs per run:`)
  const w = [9, 6, 8, 9, 8, 9, 10, 14]
  console.log(pad(['workload', 'run', 'txs', 'seconds', 'TPS', 'rejected', 'gas used', 'gas ceiling'], w))
  const medians = new Map<Workload, number>()
  for (const workload of ['infer', 'eth'] as const) {
    const rs = rep.results.filter((r) => r.workload === workload)
    if (rs.length === 0) continue
    const ceiling = Number(rep.gasLimit / rep.gasUsed[workload]) / (BLOCK_TIME_MS / 1000)
    rs.forEach((r, k) => console.log(pad([workload, String(k + 1), String(r.mined), r.seconds.toFixed(2), r.tps.toFixed(0), String(r.rejected), String(rep.gasUsed[workload]), `${ceiling.toFixed(0)} TPS`], w)))
    const m = median(rs.map((r) => r.tps))
    medians.set(workload, m)
    if (rs.length > 1) console.log(pad([workload, 'median', '', median(rs.map((r) => r.seconds)).toFixed(2), m.toFixed(0), '', '', ''], w))
  }
  const i = medians.get('infer')
  const e = medians.get('eth')
  if (i !== undefined && e !== undefined) console.log(`ratio infer/eth: ${(i / e).toFixed(2)}× (one credit-risk inference per transaction vs a plain transfer)`)
  console.log('gas ceiling = block gas limit / gas used per tx per second of blocks: at most that many TPS fit in the blocks')
}

// ---------------------------------------------------------------------------------------------
// Main

function machine(): string {
  const ort = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version
  return describeMachine(`onnxruntime-node ${ort}`)
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  console.log(`Machine: ${machine()}`)
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-inference-'))
  cleanup.tempDirs.add(tempDir)
  loadRegistryAbi() // compile before any clock runs

  let overhead: OverheadRow[] | undefined
  let tps: TpsReport | undefined
  if (opts.parts.includes('overhead')) overhead = await benchOverhead(opts, tempDir)
  if (opts.parts.includes('tps')) tps = await benchTps(opts, tempDir)

  console.log(`\n==== Summary ====\nMachine: ${machine()}`)
  if (overhead) reportOverhead(overhead, opts)
  if (tps) reportTps(tps, opts)
}

runMain('bench-inference', main, { onSignal: 'stopping...', stack: true })
