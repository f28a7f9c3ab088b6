/**
 * Inference benchmark (issue 11, "Speed"), in one run: (1) the canonical evaluator
 * (precompiles/canonical/) against onnxruntime on the same models, (2) what the inference
 * precompile (0x…a1) costs on top of its model's own run, (3) the TPS of transactions that each
 * run one inference against plain ETH transfers on the same node. Each figure is printed with
 * its target, and a summary table (figure, target, met / NOT met) closes the run.
 *
 *   npx tsx scripts/bench-inference.ts [--calls N] [--txs N] [--runs R] [--only models|overhead|tps]
 *   npm run bench:inference -- --runs 5
 *
 * --only may be given more than once; without it, all three parts run.
 *
 * Models: parts 1 and 2 use the same bytes and the same int256 input (what a contract would pass,
 * converted once with toTensorData as the precompile converts it):
 *   mlp-64x256x256x10  float32 MLP, MatMul + Add per layer, Relu, Tanh, Softmax (84,480 MACs):
 *                      buildFloatMlp(1, [64, 256, 256, 10]) from scripts/models/float-nets.ts (the
 *                      weights of test/precompiles/determinism.test.ts's MLP); 64 seeded inputs in [-1, 1)
 *   credit-risk, iris-mlp, iris-mlp-int8
 *                      the example models, built by scripts/models (the bytes of precompiles/models/*.onnx);
 *                      one fixed applicant, one setosa (cm, float; mm, int8)
 *   cnn-28x28          float32 Conv 8×3×3 + Relu + MaxPool 2×2 + Flatten + Gemm 1352→10 + Softmax on a
 *                      1×1×28×28 image: buildFloatCnn(1); 784 seeded pixels in [0, 1)
 *
 * Part 1, canonical vs onnxruntime (--only models), per model:
 *   (a) canonical: compileModel(bytes) once (its time is printed), then `plan.run(data)` per call:
 *       synchronous, float matmuls in WebAssembly SIMD (canonical/wasm-matmul.ts);
 *   (b) onnxruntime: one InferenceSession with the node's reference options
 *       (precompiles/sessions.ts deterministicSessionOptions(): CPU, one thread, no graph
 *       optimization), a pre-built input Tensor, `await session.run(feeds, [output])` per call.
 *   The outputs are compared once: integer models must agree exactly; for float models the largest
 *   difference is printed (onnxruntime is a reference, not the canonical definition, so its last
 *   bits may differ). Ratio = canonical / onnxruntime, printed for every model; the target,
 *   ≤ 8× (CANONICAL_VS_ORT_TARGET), applies to the MLP.
 *
 * Part 2, the precompile's overhead (--only overhead), per model:
 *   (a) raw: the compiled plan the precompile itself runs (runtime.plans.get after the warm-up),
 *       `plan.run(data)` per call: the model's own arithmetic;
 *   (b) precompile: the precompile function, in this process, called the way the EVM calls it: a
 *       ModelRuntime over an in-memory store (a Map) that admitted the model bytes,
 *       createInferencePrecompile(runtime), and a PrecompileInput whose
 *       `_EVM.stateManager.getStorage` answers a non-zero word (the model is registered) and whose
 *       data is `infer(modelId, input)` calldata. One call = ABI decode, registry check (slot from
 *       a cache, one storage read), info lookup, gas check, input conversion (fixed point →
 *       tensor), plan-cache lookup and plan.run, output check and conversion, keccak of input and
 *       output, return encoding and the Inference log. Its output is checked against (a)'s.
 *   Overhead = median (b) − median (a), target < 5 µs per call (OVERHEAD_TARGET_US); (b)/(a) is
 *   printed next to it. A breakdown times each piece of (b)'s work on its own (median of batch
 *   means) so that the overhead can be explained; "not in the pieces" is (b) minus their sum
 *   (two async frames and their promises, the try/catch, the result object). Plan compilations
 *   are counted with runtime.plans.stats(): one per model (the warm-up's first call; the
 *   registration trial compiles its own plan outside the cache) and none during timed calls.
 *   (c) eth_call, for context: the same call as an `eth_call` over HTTP to our node started in
 *       this process (startNode on a temp dir, port 0, automine, models registered through
 *       ModelRegistry; transaction and block byte limits raised to ETH_CALL_NODE_MAX_TX_BYTES,
 *       as the MLP's 340 kB exceed the default 120,000), one client, sequential, ⌈N/10⌉ calls;
 *       next to it an eth_call with the same calldata to an account without code (HTTP +
 *       JSON-RPC + EVM call setup, no precompile).
 *
 * Timing in parts 1 and 2: N = --calls (default 20000) timed calls per path, model and run, after
 * WARMUP_CALLS untimed ones; each call is timed on its own (performance.now, awaited when it
 * returns a promise) and the figure is the median µs per call; the mean (total time / N, so it
 * includes GC pauses) is printed next to it. With --runs R (default 3) the measurement repeats R
 * times, alternating which path goes first, and the median of the R run medians is reported
 * [min–max of the run medians].
 *
 * Part 3, TPS (--only tps): our node as a child process (`sequencer/main.ts --block-time 1000`,
 * fresh temp data dir, as scripts/bench-tps.ts does), the credit-risk model registered from dev
 * account 0, then per run two workloads of N = --txs (default 5000) pre-signed EIP-1559
 * transactions, round-robin from dev accounts 0..9, sent by 32 concurrent keep-alive HTTP
 * clients; the clock runs from the first send until every sender's `latest` nonce is final:
 *   infer = a transaction straight to 0x…a1 with `infer(creditModelId, input)` calldata,
 *           gas = eth_estimateGas of one such call + 10%; a sample of receipts is checked
 *           (status 1, an Inference log);
 *   eth   = 1 wei transfers to accounts 10..19 (21000 gas), the baseline.
 * TPS = mined / seconds, median over the runs; target infer/eth ≥ 0.70 (TPS_RATIO_TARGET). Next
 * to each workload: its gas ceiling (block gas limit / gas used per transaction) and its byte
 * ceiling (the node's block byte limit, DEFAULT_MAX_BLOCK_BYTES, / mean bytes of a signed
 * transaction of the batch), in TPS at 1 s blocks.
 *
 * How to read it
 * - The machine has few cores and (part 3) the load generator shares them with the node, so
 *   absolute figures are machine-dependent; the ratios from one run are what to compare.
 * - Part 1: the ratio is the price of bit-exact results on every CPU. onnxruntime's kernels use
 *   AVX2/AVX-512 and fused multiply-adds; the canonical float MatMul and Gemm use WebAssembly
 *   f32x4 add and mul only, while Conv (canonical/window.ts) runs scalar JavaScript loops, so the
 *   CNN's ratio says how far that kernel is from a SIMD one. The example models are so small that
 *   onnxruntime's per-call cost (N-API, tensor wrapping) dominates them.
 * - Part 2: the overhead is a difference of two medians, so it is good to about ±0.5 µs. Part of
 *   it grows with the input's length (ABI decode, fixed-point conversion, 32 bytes per value in the
 *   input hash): compare models of the same input length, and the CNN's 784 inputs apart.
 * - Part 3: a block holds at most gasLimit / gasUsed transactions and at most
 *   DEFAULT_MAX_BLOCK_BYTES of them (so that every block fits one L1 batch transaction); the
 *   report prints both ceilings for each workload. A workload at a ceiling is limited by the
 *   block's gas or bytes, not by CPU; when both workloads sit at their byte ceilings, infer/eth
 *   is the ratio of their transaction sizes (calldata of 4 int256 inputs against none).
 * - With 1 s blocks the end of a run is quantised to a block boundary (plus ≤100 ms of polling).
 *   At the default 5000 transactions a transfer run lasts only a few seconds, so the faster
 *   workload is understated most and infer/eth comes out too high; --txs 20000 gives a steadier ratio.
 * - `rejected` must be 0 and every run complete; otherwise TPS counts mined transactions only.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { bytesToHex as utilBytesToHex, equalsBytes, hexToBytes as utilHexToBytes } from '@ethereumjs/util'
import type { PrecompileInput } from '@ethereumjs/evm'
import { decodeFunctionResult, keccak256, parseAbi, toHex, type Hex } from 'viem'
import { createInferencePrecompile } from '../precompiles/a1-infer.ts'
import { compileModel, type CompiledModel } from '../precompiles/canonical/index.ts'
import { analyzeModel, DEFAULT_MAX_MODEL_BYTES, INFERENCE_PRECOMPILE, ModelRuntime, type ModelBytesStore, type ModelInfo } from '../precompiles/index.ts'
import { ACCESS_READ_GAS } from '../precompiles/gas.ts'
import { accessSlot, isRegistered, REGISTRY_ADDRESS, registrySlot } from '../precompiles/runtime.ts'
import { deterministicSessionOptions } from '../precompiles/sessions.ts'
import { decodeInferCall, encodeInferCall, encodeInferResult, fromTensorData, toTensorData, type TensorData } from '../precompiles/tensor-codec.ts'
import { createChainCommon } from '../sequencer/chain/common.ts'
import { DEFAULT_MAX_BLOCK_BYTES } from '../sequencer/config.ts'
import { startNode, type RunningNode as InProcessNode } from '../sequencer/node.ts'
import { buildCreditModel, buildFloatCnn, buildFloatMlp, buildIrisInt8Model, buildIrisModel, createPrng } from './models/index.ts'
import {
  BLOCK_TIME_MS,
  CLIENTS,
  cleanup,
  devAccounts,
  ETH_GAS,
  loadAccounts,
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
  startOurNode,
  stopNode,
  verifySignatures,
  type Batch,
  type Measured,
  type Payload,
  type Receipt,
  type RpcReply,
  type Sender,
} from './lib/load.ts'
import { CREDIT_INPUT, loadRegistryAbi, prepareInferenceLoad, registerModel } from './lib/inference-load.ts'

// ---------------------------------------------------------------------------------------------
// Constants (the load's own are in scripts/lib/load.ts)

/** Untimed calls per path and model before timing parts 1 and 2 (plan compilation, JIT tiering). */
const WARMUP_CALLS = 2_000
/** eth_call round trips per model: this fraction of --calls (HTTP is ~50× slower than a call). */
const ETH_CALL_FRACTION = 10
const ETH_CALL_WARMUP = 200
/** Transaction and block byte limit of the eth_call node, bytes: the MLP's registration is ~341 kB. */
const ETH_CALL_NODE_MAX_TX_BYTES = 512 * 1024
/** Operations per timed batch in the breakdown (pieces of ~1 µs are too short to time one by one). */
const BREAKDOWN_BATCH = 100
/** Receipts checked after an infer run. */
const RECEIPT_SAMPLE = 20
/** Issue 11's targets: canonical / onnxruntime on the MLP (×), precompile overhead (µs per call), infer / eth TPS. */
const CANONICAL_VS_ORT_TARGET = 8
const OVERHEAD_TARGET_US = 5
const TPS_RATIO_TARGET = 0.7
/** The model the canonical-vs-onnxruntime target is about, and the one the TPS part registers. */
const MLP_MODEL = 'mlp-64x256x256x10'
const TPS_MODEL = 'credit-risk'
const CHAIN_ID_FOR_COMMON = 42424n
const INFER_ABI = parseAbi(['function infer(bytes32 modelId, int256[] input) returns (int256[] output)'])

/** A decimal number as int256 fixed point (×1e18), exactly for up to 6 decimals. */
const fixed = (x: number) => BigInt(Math.round(x * 1e6)) * 10n ** 12n
/** `length` seeded fixed-point values uniform in [lo, hi), 6 decimals. */
function seededInput(seed: number, length: number, lo: number, hi: number): bigint[] {
  const r = createPrng(seed)
  return Array.from({ length }, () => fixed(r.uniform(lo, hi)))
}

interface BenchModel {
  name: string
  build: () => Uint8Array
  /** The int256 input the benchmark sends (what a contract would pass). */
  input: () => bigint[]
}

const MODELS: BenchModel[] = [
  { name: MLP_MODEL, build: () => buildFloatMlp(1, [64, 256, 256, 10]), input: () => seededInput(64, 64, -1, 1) },
  // $50k income, 30% debt ratio, 10 years of history, 1 late payment (normalized as in credit.ts)
  { name: TPS_MODEL, build: () => buildCreditModel(), input: () => [...CREDIT_INPUT] },
  // a setosa, in cm, as 1e18 fixed point
  { name: 'iris-mlp', build: () => buildIrisModel(), input: () => [5.1, 3.5, 1.4, 0.2].map(fixed) },
  // the same flower in millimetres, int8
  { name: 'iris-mlp-int8', build: () => buildIrisInt8Model(), input: () => [51n, 35n, 14n, 2n] },
  { name: 'cnn-28x28', build: () => buildFloatCnn(1), input: () => seededInput(784, 784, 0, 1) },
]

const PARTS = ['models', 'overhead', 'tps'] as const
type Part = (typeof PARTS)[number]

interface Options {
  calls: number
  txs: number
  runs: number
  parts: Part[]
}

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = 'usage: npx tsx scripts/bench-inference.ts [--calls N] [--txs N] [--runs R] [--only models|overhead|tps]'

function parseArgs(argv: string[]): Options {
  const opts: Options = { calls: 20_000, txs: 5_000, runs: 3, parts: [] }
  parseFlags(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--calls': opts.calls = positiveInt(flag, value()); break
      case '--txs': opts.txs = positiveInt(flag, value()); break
      case '--runs': opts.runs = positiveInt(flag, value()); break
      case '--only': {
        const p = value()
        if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only must be ${PARTS.join(', ')} (got ${p})`)
        if (!opts.parts.includes(p as Part)) opts.parts.push(p as Part)
        break
      }
      default:
        return false
    }
    return true
  })
  if (opts.parts.length === 0) opts.parts = [...PARTS]
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

/** Times `n` sequential calls one by one (awaiting those that return a promise). */
async function timeCalls(n: number, fn: () => unknown): Promise<Timing> {
  const samples = new Float64Array(n)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const a = performance.now()
    const r = fn()
    if (r instanceof Promise) await r
    samples[i] = performance.now() - a
  }
  const total = performance.now() - t0
  return { medianUs: median(samples) * 1000, meanUs: (total / n) * 1000 }
}

/** `n` untimed calls. */
async function warmUp(n: number, fn: () => unknown): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = fn()
    if (r instanceof Promise) await r
  }
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

/** The median over runs of the per-run medians (or means), µs. */
const med = (ts: Timing[], k: keyof Timing = 'medianUs') => median(ts.map((t) => t[k]))

const us = (x: number) => x.toFixed(1)
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
const spread = (ts: Timing[]) => (ts.length > 1 ? ` [${us(Math.min(...ts.map((t) => t.medianUs)))}–${us(Math.max(...ts.map((t) => t.medianUs)))}]` : '')
const verdict = (met: boolean) => (met ? 'met' : 'NOT met')

// ---------------------------------------------------------------------------------------------
// Models and registration

/** A model as parts 1 and 2 use it: bytes, analysis, and the input as int256, tensor and calldata. */
interface Prepared {
  name: string
  bytes: Uint8Array
  id: Hex
  info: ModelInfo
  input: bigint[]
  data: TensorData
  calldata: Uint8Array
}

function prepareModels(): Prepared[] {
  return MODELS.map((m) => {
    const bytes = m.build()
    const info = analyzeModel(bytes)
    const input = m.input()
    const id = keccak256(bytes)
    return { name: m.name, bytes, id, info, input, data: toTensorData(input, info.input.type, info.input.length), calldata: encodeInferCall(id, input) }
  })
}

function describeModel(i: ModelInfo): string {
  return `${i.input.type}[${i.input.shape.join(',')}] → ${i.output.type}[${i.output.shape.join(',')}], ${i.nodes} nodes, ${i.macs} MACs, gas/call ${i.gasPerCall}`
}

// ---------------------------------------------------------------------------------------------
// Part 1: the canonical evaluator against onnxruntime

interface ModelsRow {
  name: string
  /** compileModel(bytes), ms (once). */
  compileMs: number
  /** onnxruntime vs canonical output: 'exact', or the largest absolute difference. */
  agreement: string
  canonical: Timing[]
  ort: Timing[]
}

/** How onnxruntime's output compares with the canonical one (integer outputs must be equal). */
function agreement(p: Prepared, canonical: TensorData, ort: TensorData): string {
  if (canonical.length !== ort.length) throw new Error(`${p.name}: onnxruntime gives ${ort.length} outputs, the canonical plan ${canonical.length}`)
  if (p.info.output.type !== 'float32') {
    const c = fromTensorData(canonical, p.info.output.type)
    const o = fromTensorData(ort, p.info.output.type)
    if (c.some((v, i) => v !== o[i])) throw new Error(`${p.name}: integer outputs differ: canonical ${c}, onnxruntime ${o}`)
    return 'exact'
  }
  const c = canonical as Float32Array
  const o = ort as Float32Array
  let maxDiff = 0
  let sameBits = true
  for (let i = 0; i < c.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(c[i] - o[i]))
    if (!Object.is(c[i], o[i])) sameBits = false
  }
  return sameBits ? 'same bits' : `max |Δ| ${maxDiff.toExponential(1)}`
}

async function benchModels(opts: Options, prepared: Prepared[]): Promise<ModelsRow[]> {
  console.log(`\n== Part 1: canonical vs onnxruntime (${opts.calls} calls per path, model and run, ${opts.runs} run(s), warm-up ${WARMUP_CALLS}) ==`)
  const rows: ModelsRow[] = []
  for (const p of prepared) {
    const t = performance.now()
    const plan = compileModel(p.bytes)
    const compileMs = performance.now() - t
    const session = await InferenceSession.create(p.bytes, deterministicSessionOptions())
    try {
      const feeds = { [p.info.input.name]: new Tensor(p.info.input.type, p.data, p.info.input.shape) }
      const fetches = [p.info.output.name]
      const paths = {
        canonical: () => plan.run(p.data),
        ort: () => session.run(feeds, fetches),
      }
      const ortOut = (await session.run(feeds, fetches))[p.info.output.name].data as TensorData
      const row: ModelsRow = { name: p.name, compileMs, agreement: agreement(p, plan.run(p.data), ortOut), canonical: [], ort: [] }
      const warmup = Math.min(WARMUP_CALLS, opts.calls)
      await warmUp(warmup, paths.canonical)
      await warmUp(warmup, paths.ort)
      console.log(`${p.name}: ${describeModel(p.info)}; compiled in ${compileMs.toFixed(1)} ms; onnxruntime vs canonical: ${row.agreement}`)
      for (let run = 0; run < opts.runs; run++) {
        const order = run % 2 === 0 ? (['canonical', 'ort'] as const) : (['ort', 'canonical'] as const)
        for (const which of order) row[which].push(await timeCalls(opts.calls, paths[which]))
        const c = row.canonical.at(-1)!.medianUs
        const o = row.ort.at(-1)!.medianUs
        console.log(`  run ${run + 1}/${opts.runs}: canonical ${us(c)} µs, onnxruntime ${us(o)} µs (median per call; ratio ${(c / o).toFixed(2)}×)`)
      }
      rows.push(row)
    } finally {
      await session.release()
    }
  }
  return rows
}

function reportModels(rows: ModelsRow[], opts: Options): void {
  console.log(`\nCanonical evaluator vs onnxruntime (one thread), µs per call: median over ${opts.runs} run(s) of the per-call median${opts.runs > 1 ? ' [min–max of the run medians]' : ''}; mean = total / calls`)
  const w = [18, 20, 20, 8, 8, 10, 10, 15]
  console.log(pad(['model', 'canonical', 'onnxruntime', 'ratio', 'target', 'mean can.', 'mean ORT', 'ORT vs can.'], w))
  for (const r of rows) {
    const ratio = med(r.canonical) / med(r.ort)
    const target = r.name === MLP_MODEL ? `${verdict(ratio <= CANONICAL_VS_ORT_TARGET)}` : '—'
    console.log(pad([r.name, us(med(r.canonical)) + spread(r.canonical), us(med(r.ort)) + spread(r.ort), `${ratio.toFixed(2)}×`, target, us(med(r.canonical, 'meanUs')), us(med(r.ort, 'meanUs')), r.agreement], w))
  }
  console.log(`ratio = canonical / onnxruntime (medians); issue target: ≤ ${CANONICAL_VS_ORT_TARGET}× on ${MLP_MODEL}`)
}

// ---------------------------------------------------------------------------------------------
// Part 2: the precompile's overhead over its model's own run

interface OverheadRow {
  name: string
  inputs: number
  gasPerCall: bigint
  raw: Timing[]
  precompile: Timing[]
  breakdown?: { label: string; us: number; model?: boolean }[]
  ethCall?: { infer: Timing; baseline: Timing }
  /** Plan compilations during this model's warm-up (expected 1). */
  compilations: number
}

/** A Map as the node's model store. */
class MapStore implements ModelBytesStore {
  private readonly map = new Map<string, Uint8Array>()
  getModel(id: Uint8Array) {
    return this.map.get(utilBytesToHex(id))
  }
}

/**
 * What the EVM's state manager answers for ModelRegistry's storage: a non-zero word for the
 * model's owner ("registered"), zero for every other word (its access word: a public model).
 */
function registeredState(id: Uint8Array) {
  const ownerSlot = registrySlot(id)
  const registered = new Uint8Array(32)
  registered[31] = 1
  const zero = new Uint8Array()
  return { getStorage: async (_address: unknown, key: Uint8Array) => (equalsBytes(key, ownerSlot) ? registered : zero) }
}

/** A PrecompileInput as the EVM builds it; the state reads (ModelRegistry storage) answer "registered, public". */
function precompileInput(data: Uint8Array): PrecompileInput {
  const stateManager = registeredState(decodeInferCall(data).id)
  return { data, gasLimit: 10_000_000n, common: createChainCommon(CHAIN_ID_FOR_COMMON), _EVM: { stateManager } as unknown as PrecompileInput['_EVM'] }
}

interface Harness {
  p: Prepared
  /** The precompile's output for p.input (checked against the raw plan's). */
  output: bigint[]
  plan: CompiledModel
  raw: () => unknown
  precompile: () => Promise<unknown>
}

async function prepareHarness(p: Prepared, runtime: ModelRuntime, infer: ReturnType<typeof createInferencePrecompile>): Promise<Harness> {
  const { id: idBytes } = await runtime.admit(p.bytes, p.info)
  if (utilBytesToHex(idBytes) !== p.id) throw new Error(`${p.name}: runtime id ${utilBytesToHex(idBytes)} ≠ keccak ${p.id}`)
  const input = precompileInput(p.calldata)
  const precompile = async () => {
    const r = await infer(input)
    if (r.exceptionError !== undefined) throw new Error(`${p.name}: precompile failed: ${r.exceptionError.error}`)
    return r
  }
  const first = await precompile()
  // a public model: its gasPerCall plus the read of its access word
  const expectedGas = p.info.gasPerCall + ACCESS_READ_GAS
  if (first.executionGasUsed !== expectedGas || first.logs?.length !== 1) {
    throw new Error(`${p.name}: precompile charged ${first.executionGasUsed} gas (expected ${expectedGas}) with ${first.logs?.length ?? 0} logs`)
  }
  // the plan the precompile compiled on its first call, from the runtime's cache
  const plan = runtime.plans.get(p.id, () => runtime.bytes(idBytes))
  const expected = fromTensorData(plan.run(p.data), p.info.output.type)
  const output = [...decodeFunctionResult({ abi: INFER_ABI, functionName: 'infer', data: toHex(first.returnValue) })]
  if (output.length !== expected.length || output.some((v, i) => v !== expected[i])) {
    throw new Error(`${p.name}: precompile output ${output} differs from the plan's ${expected}`)
  }
  return { p, output, plan, raw: () => plan.run(p.data), precompile }
}

/** Each piece of the precompile's work on its own (mirrors a1-infer.ts; for explaining the overhead). */
async function breakdown(h: Harness, runtime: ModelRuntime, n: number): Promise<{ label: string; us: number; model?: boolean }[]> {
  const { p, output } = h
  const { info, calldata, input, data } = p
  const idBytes = utilHexToBytes(p.id)
  // the node's keccak (native addon through Common.customCrypto), as the precompile uses it
  const nativeKeccak = createChainCommon(CHAIN_ID_FOR_COMMON).customCrypto.keccak256!
  const state = registeredState(idBytes) as unknown as Parameters<typeof isRegistered>[0]
  const loader = () => runtime.bytes(idBytes)
  const outData = h.plan.run(data)
  const topic = utilHexToBytes(keccak256(toHex('Inference(bytes32,bytes32,bytes32)')))
  const words = decodeInferCall(calldata).words
  const returnWords = encodeInferResult(output).subarray(64)
  const pieces: [string, () => unknown, boolean?][] = [
    ['ABI decode (decodeInferCall)', () => decodeInferCall(calldata)],
    ['registry check (isRegistered: slot cache, read)', () => isRegistered(state, idBytes, nativeKeccak, p.id)],
    ['access check (access word: slot cache, read)', () => state.getStorage(REGISTRY_ADDRESS, accessSlot(idBytes, nativeKeccak, p.id))],
    ['model info lookup (runtime.info)', () => runtime.info(idBytes, p.id)],
    ['input int256 → tensor (toTensorData)', () => toTensorData(input, info.input.type, info.input.length)],
    ['plan cache + plan.run + output check', () => runtime.plans.run(p.id, loader, info, data), true],
    ['output tensor → int256 (fromTensorData)', () => fromTensorData(outData, info.output.type)],
    ['record: keccak of the input and output words', () => [nativeKeccak(words), nativeKeccak(returnWords)]],
    ['return encoding + log assembly', () => [encodeInferResult(output), [topic, idBytes]]],
  ]
  const out: { label: string; us: number; model?: boolean }[] = []
  for (const [label, fn, model] of pieces) {
    await timeBatched(Math.min(n, 2_000), fn) // warm-up
    out.push({ label, us: await timeBatched(n, fn), model })
  }
  return out
}

async function benchOverhead(opts: Options, prepared: Prepared[], tempDir: string): Promise<OverheadRow[]> {
  console.log(`\n== Part 2: the precompile's overhead (${opts.calls} calls per path, model and run, ${opts.runs} run(s), warm-up ${WARMUP_CALLS}) ==`)
  const runtime = new ModelRuntime({ store: new MapStore(), maxModelBytes: DEFAULT_MAX_MODEL_BYTES })
  const closeRuntime = () => runtime.close()
  cleanup.closers.add(closeRuntime)
  const infer = createInferencePrecompile(runtime)

  const harnesses: Harness[] = []
  const rows: OverheadRow[] = []
  for (const p of prepared) {
    const t = performance.now()
    const before = runtime.plans.stats().compilations
    const h = await prepareHarness(p, runtime, infer)
    const warmup = Math.min(WARMUP_CALLS, opts.calls)
    await warmUp(warmup, h.raw)
    await warmUp(warmup, h.precompile)
    harnesses.push(h)
    rows.push({ name: p.name, inputs: p.input.length, gasPerCall: p.info.gasPerCall, raw: [], precompile: [], compilations: runtime.plans.stats().compilations - before })
    console.log(`${p.name}: admitted and warmed up in ${((performance.now() - t) / 1000).toFixed(1)} s (${p.bytes.length} bytes; output ${h.output.length > 4 ? `${h.output.slice(0, 4).join(', ')}, …` : h.output.join(', ')})`)
  }
  const statsBefore = runtime.plans.stats()

  for (let run = 0; run < opts.runs; run++) {
    for (const [k, h] of harnesses.entries()) {
      const order = run % 2 === 0 ? (['raw', 'precompile'] as const) : (['precompile', 'raw'] as const)
      for (const which of order) rows[k][which].push(await timeCalls(opts.calls, h[which]))
      const r = rows[k].raw.at(-1)!.medianUs
      const c = rows[k].precompile.at(-1)!.medianUs
      console.log(`run ${run + 1}/${opts.runs} ${h.p.name}: raw plan ${us(r)} µs, precompile ${us(c)} µs (median per call; overhead ${us(c - r)} µs)`)
    }
  }
  const stats = runtime.plans.stats()
  const timedCompilations = stats.compilations - statsBefore.compilations
  const timedMisses = stats.misses - statsBefore.misses

  for (const [k, h] of harnesses.entries()) rows[k].breakdown = await breakdown(h, runtime, Math.min(opts.calls, 20_000))
  if (runtime.plans.stats().compilations !== stats.compilations) throw new Error('the breakdown compiled a plan: the cache did not hold')

  // (c) eth_call to a node in this process
  const node = await startInProcessNode(path.join(tempDir, 'eth-call'))
  try {
    const ethCalls = Math.max(100, Math.ceil(opts.calls / ETH_CALL_FRACTION))
    console.log(`eth_call: our node in-process at ${node.url}, ${ethCalls} sequential calls per model`)
    const abi = loadRegistryAbi()
    const [owner, , , , , , , , , , , , , , , , , , , noCode] = devAccounts(20)
    const chainId = Number(node.chainId)
    for (const p of prepared) await registerModel(node.url, chainId, abi, owner, p.bytes, p.name)
    const inferRuns0 = node.calls.stats().inferenceRuns
    for (const [k, h] of harnesses.entries()) {
      const { p } = h
      const data = toHex(p.calldata)
      const inferBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: INFERENCE_PRECOMPILE, data }, 'latest'] })
      const baseBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: noCode.address, data }, 'latest'] })
      const reply = JSON.parse(await post(node.url, inferBody)) as RpcReply<Hex>
      if (reply.result === undefined) throw new Error(`${p.name}: eth_call failed: ${JSON.stringify(reply.error)}`)
      const got = [...decodeFunctionResult({ abi: INFER_ABI, functionName: 'infer', data: reply.result })]
      if (got.some((v, i) => v !== h.output[i])) throw new Error(`${p.name}: eth_call output ${got} differs from the precompile's ${h.output}`)
      const call = (body: string) => async () => {
        const text = await post(node.url, body)
        if (!text.includes('"result"')) throw new Error(`eth_call failed: ${text.slice(0, 200)}`)
      }
      await warmUp(ETH_CALL_WARMUP, call(inferBody))
      await warmUp(ETH_CALL_WARMUP, call(baseBody))
      rows[k].ethCall = { infer: await timeCalls(ethCalls, call(inferBody)), baseline: await timeCalls(ethCalls, call(baseBody)) }
      console.log(`${p.name}: eth_call ${us(rows[k].ethCall!.infer.medianUs)} µs, to an account without code ${us(rows[k].ethCall!.baseline.medianUs)} µs (median)`)
    }
    // eth_calls execute on the node's call worker threads: their count of inferences run must be exactly the eth_calls sent to 0x…a1
    const { workers, inferenceRuns } = node.calls.stats()
    const expectedRuns = harnesses.length * (1 + ETH_CALL_WARMUP + ethCalls)
    console.log(`call workers: ${workers}, inferences run ${inferenceRuns - inferRuns0} for ${expectedRuns} eth_calls to 0x…a1${inferenceRuns - inferRuns0 === expectedRuns ? ' (ok)' : '  ← expected equal'}`)
  } finally {
    await node.close()
    cleanup.closers.delete(node.close)
  }

  await runtime.close()
  cleanup.closers.delete(closeRuntime)

  console.log('\nPlan compilations (runtime.plans.stats()):')
  for (const r of rows) console.log(`  ${r.name}: ${r.compilations} during warm-up${r.compilations === 1 ? '' : '  ← expected 1'}`)
  const ok = timedCompilations === 0 && timedMisses === 0
  console.log(`  during ${opts.calls * opts.runs * harnesses.length} timed precompile calls: ${timedCompilations} compilations, ${timedMisses} misses${ok ? ' (ok: every call hit the cache)' : '  ← the cache did not hold'}`)
  return rows
}

async function startInProcessNode(dataDir: string): Promise<InProcessNode> {
  const node = await startNode({
    dataDir,
    rpc: { host: '127.0.0.1', port: 0 },
    sequencer: { automine: true, maxBlockBytes: ETH_CALL_NODE_MAX_TX_BYTES },
    pool: { maxTxBytes: ETH_CALL_NODE_MAX_TX_BYTES },
    logLevel: 'error',
  })
  cleanup.closers.add(node.close)
  return node
}

/** Median precompile − median raw plan, µs. */
const overheadUs = (r: OverheadRow) => med(r.precompile) - med(r.raw)

function reportOverhead(rows: OverheadRow[], opts: Options): void {
  console.log(`\nThe precompile against its model's own run, µs per call: median over ${opts.runs} run(s) of the per-call median${opts.runs > 1 ? ' [min–max of the run medians]' : ''}; mean = total / calls`)
  const w = [18, 7, 9, 18, 18, 9, 8, 8, 10, 12]
  console.log(pad(['model', 'inputs', 'gas/call', 'raw plan.run', 'precompile', 'overhead', 'target', 'ratio', 'mean raw', 'mean precomp'], w))
  for (const r of rows) {
    const o = overheadUs(r)
    console.log(
      pad(
        [
          r.name,
          String(r.inputs),
          String(r.gasPerCall),
          us(med(r.raw)) + spread(r.raw),
          us(med(r.precompile)) + spread(r.precompile),
          us(o),
          verdict(o < OVERHEAD_TARGET_US),
          `${(med(r.precompile) / med(r.raw)).toFixed(2)}×`,
          us(med(r.raw, 'meanUs')),
          us(med(r.precompile, 'meanUs')),
        ],
        w,
      ),
    )
  }
  console.log(`overhead = precompile − raw plan.run (medians); issue target: < ${OVERHEAD_TARGET_US} µs per call. ratio = precompile / raw`)

  console.log('\nWhere the precompile time goes, µs per call (each piece timed alone, median of batch means):')
  for (const r of rows) {
    if (!r.breakdown) continue
    const sum = r.breakdown.reduce((s, b) => s + b.us, 0)
    const around = r.breakdown.filter((b) => !b.model).reduce((s, b) => s + b.us, 0)
    console.log(`  ${r.name} (whole call ${us(med(r.precompile))}; raw plan.run ${us(med(r.raw))}; pieces around the model ${us(around)})`)
    for (const b of r.breakdown) console.log(`    ${b.label.padEnd(48)} ${b.us.toFixed(2).padStart(7)}`)
    console.log(`    ${'not in the pieces (async frames, promises, …)'.padEnd(48)} ${(med(r.precompile) - sum).toFixed(2).padStart(7)}`)
  }

  if (rows.some((r) => r.ethCall)) {
    console.log('\neth_call round trip over HTTP to our node (in-process, one client), µs, median per call:')
    const we = [18, 12, 22, 12, 16]
    console.log(pad(['model', 'eth_call', 'same data, no code', 'difference', 'vs precompile'], we))
    for (const r of rows) {
      if (!r.ethCall) continue
      const { infer: i, baseline: b } = r.ethCall
      console.log(pad([r.name, us(i.medianUs), us(b.medianUs), us(i.medianUs - b.medianUs), `${(i.medianUs / med(r.precompile)).toFixed(0)}× precompile`], we))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Part 3: TPS with one inference per transaction

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
  /** Mean bytes of one signed transaction (what counts against the node's block byte limit). */
  txBytes: Record<Workload, number>
  gasLimit: bigint
  inferGas: bigint
}

async function benchTps(opts: Options, tempDir: string): Promise<TpsReport> {
  console.log(`\n== Part 3: TPS, ${opts.txs} txs per workload and run, ${opts.runs} run(s), ${CLIENTS} HTTP clients, ${SENDER_COUNT} senders ==`)
  const { senders, recipients } = loadAccounts()

  const node = await startOurNode(path.join(tempDir, 'tps'))
  try {
    console.log(`our node: up at ${node.url} (chain id ${node.chainId}, pid ${node.pid})`)
    const inference = await prepareInferenceLoad(node.url, node.chainId, senders[0])
    const inferGas = inference.payload().gas
    const gasLimit = BigInt((await rpc<{ gasLimit: Hex }>(node.url, 'eth_getBlockByNumber', ['latest', false])).gasLimit)
    console.log(`${TPS_MODEL} registered as ${inference.modelId}; eth_estimateGas of infer() = ${inference.estimate}, txs sent with gas ${inferGas}`)

    const payloads: Record<Workload, (i: number) => Payload> = {
      eth: (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }),
      infer: inference.payload,
    }
    const results: TpsResult[] = []
    const gasUsed: Record<Workload, bigint> = { eth: ETH_GAS, infer: 0n }
    const txBytes: Record<Workload, number> = { eth: 0, infer: 0 }
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
        txBytes[workload] = batch.raw.reduce((sum, raw) => sum + (raw.length - 2) / 2, 0) / batch.raw.length
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
    return { results, gasUsed, txBytes, gasLimit, inferGas }
  } finally {
    await stopNode(node)
  }
}

/** Median TPS per workload over the runs. */
function tpsMedians(rep: TpsReport): Partial<Record<Workload, number>> {
  const out: Partial<Record<Workload, number>> = {}
  for (const workload of ['infer', 'eth'] as const) {
    const rs = rep.results.filter((r) => r.workload === workload)
    if (rs.length > 0) out[workload] = median(rs.map((r) => r.tps))
  }
  return out
}

/** Most transactions per second that fit in the blocks: by gas and by bytes (the node's default block byte limit). */
function ceilings(rep: TpsReport, workload: Workload): { gas: number; bytes: number } {
  const perSecond = 1000 / BLOCK_TIME_MS
  return {
    gas: Number(rep.gasLimit / rep.gasUsed[workload]) * perSecond,
    bytes: Math.floor(DEFAULT_MAX_BLOCK_BYTES / rep.txBytes[workload]) * perSecond,
  }
}

function reportTps(rep: TpsReport, opts: Options): void {
  console.log(`\nTPS, ${BLOCK_TIME_MS} ms blocks, block gas limit ${rep.gasLimit}, block byte limit ${DEFAULT_MAX_BLOCK_BYTES}, ${opts.txs} txs per run:`)
  const w = [9, 6, 8, 9, 8, 9, 10, 14, 9, 14]
  console.log(pad(['workload', 'run', 'txs', 'seconds', 'TPS', 'rejected', 'gas used', 'gas ceiling', 'bytes/tx', 'byte ceiling'], w))
  const medians = tpsMedians(rep)
  for (const workload of ['infer', 'eth'] as const) {
    const rs = rep.results.filter((r) => r.workload === workload)
    if (rs.length === 0) continue
    const c = ceilings(rep, workload)
    rs.forEach((r, k) =>
      console.log(
        pad(
          [workload, String(k + 1), String(r.mined), r.seconds.toFixed(2), r.tps.toFixed(0), String(r.rejected), String(rep.gasUsed[workload]), `${c.gas.toFixed(0)} TPS`, rep.txBytes[workload].toFixed(0), `${c.bytes.toFixed(0)} TPS`],
          w,
        ),
      ),
    )
    if (rs.length > 1) console.log(pad([workload, 'median', '', median(rs.map((r) => r.seconds)).toFixed(2), medians[workload]!.toFixed(0), '', '', '', '', ''], w))
  }
  const { infer: i, eth: e } = medians
  if (i !== undefined && e !== undefined) {
    console.log(`ratio infer/eth: ${(i / e).toFixed(2)} (one ${TPS_MODEL} inference per transaction vs a plain transfer); issue target: ≥ ${TPS_RATIO_TARGET.toFixed(2)}, ${verdict(i / e >= TPS_RATIO_TARGET)}`)
    const byBytes = ceilings(rep, 'infer').bytes / ceilings(rep, 'eth').bytes
    console.log(`ratio of the byte ceilings infer/eth: ${byBytes.toFixed(2)} (what infer/eth comes to when both workloads are held by their blocks' byte limit)`)
  }
  console.log('gas / byte ceiling = block gas limit / gas used per tx, block byte limit / bytes per tx, per second of blocks: at most that many TPS fit in the blocks')
}

// ---------------------------------------------------------------------------------------------
// Summary: every figure that has a target

function reportSummary(results: { models?: ModelsRow[]; overhead?: OverheadRow[]; tps?: TpsReport }): void {
  const lines: string[][] = []
  for (const r of results.models ?? []) {
    const ratio = med(r.canonical) / med(r.ort)
    const targeted = r.name === MLP_MODEL
    lines.push([`canonical / onnxruntime, ${r.name}`, `${ratio.toFixed(2)}× (${us(med(r.canonical))} / ${us(med(r.ort))} µs)`, targeted ? `≤ ${CANONICAL_VS_ORT_TARGET}×` : '—', targeted ? verdict(ratio <= CANONICAL_VS_ORT_TARGET) : ''])
  }
  for (const r of results.overhead ?? []) {
    const o = overheadUs(r)
    lines.push([`precompile overhead, ${r.name} (${r.inputs} inputs)`, `${us(o)} µs (${us(med(r.precompile))} − ${us(med(r.raw))})`, `< ${OVERHEAD_TARGET_US} µs`, verdict(o < OVERHEAD_TARGET_US)])
  }
  if (results.tps) {
    const { infer: i, eth: e } = tpsMedians(results.tps)
    if (i !== undefined && e !== undefined) {
      const [ci, ce] = [ceilings(results.tps, 'infer').bytes, ceilings(results.tps, 'eth').bytes]
      lines.push([`TPS infer / eth, ${TPS_MODEL}`, `${(i / e).toFixed(2)} (${i.toFixed(0)} / ${e.toFixed(0)} TPS; byte ceilings ${ci.toFixed(0)} / ${ce.toFixed(0)})`, `≥ ${TPS_RATIO_TARGET.toFixed(2)}`, verdict(i / e >= TPS_RATIO_TARGET)])
    }
  }
  const w = [Math.max(...lines.map((l) => l[0].length), 7), Math.max(...lines.map((l) => l[1].length), 6), 9, 7]
  console.log('\nTargets (issue 11, "Speed"):')
  console.log(pad(['measure', 'figure', 'target', 'verdict'], w))
  for (const l of lines) console.log(pad(l, w))
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
  console.log(`Parts: ${opts.parts.join(', ')}; --calls ${opts.calls} --runs ${opts.runs} --txs ${opts.txs}`)
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-inference-'))
  cleanup.tempDirs.add(tempDir)
  loadRegistryAbi() // compile before any clock runs

  const prepared = opts.parts.includes('models') || opts.parts.includes('overhead') ? prepareModels() : []
  const models = opts.parts.includes('models') ? await benchModels(opts, prepared) : undefined
  const overhead = opts.parts.includes('overhead') ? await benchOverhead(opts, prepared, tempDir) : undefined
  const tps = opts.parts.includes('tps') ? await benchTps(opts, tempDir) : undefined

  console.log(`\n==== Summary ====\nMachine: ${machine()}`)
  if (models) reportModels(models, opts)
  if (overhead) reportOverhead(overhead, opts)
  if (tps) reportTps(tps, opts)
  reportSummary({ models, overhead, tps })
}

runMain('bench-inference', main, { onSignal: 'stopping...', stack: true })
