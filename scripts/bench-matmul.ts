/**
 * Matrix-multiply micro-benchmark: the WebAssembly SIMD kernel (precompiles/canonical/wasm-matmul.ts)
 * against its JavaScript reference, on the three matmuls of a 64 → 256 → 256 → 10 MLP with a
 * batch of one: [1,64]·[64,256], [1,256]·[256,256], [1,256]·[256,10], and the three in a row.
 *
 *   npx tsx scripts/bench-matmul.ts [--calls N (default 20000)] [--runs R (default 5)]
 *
 * Each shape's operands sit in one WasmMatmul (weights and activations allocated once), filled
 * with seeded values. After a warm-up (so V8 has tiered the kernel up to its optimizing
 * compiler), calls are timed in batches of BATCH and a batch's mean is one sample; the figure
 * per run is the median sample in µs per call, and with --runs R the median of the R runs.
 * The MLP line times the three calls back to back, each layer reading the previous one's output
 * (no activation function: only the matmuls are measured). Before timing, every shape's wasm
 * output is checked bit for bit against the reference. For scale: onnxruntime, single-threaded,
 * runs the whole MLP (matmuls, biases, activations) in about 16 µs on this machine.
 */
import { performance } from 'node:perf_hooks'
import { matmulReference, WasmMatmul } from '../precompiles/canonical/wasm-matmul.ts'
import { machine, median, parseFlags, positiveInt } from './lib/load.ts'
import { progress } from './lib/progress.ts'
import { createPrng } from './models/prng.ts'

const USAGE = 'usage: npx tsx scripts/bench-matmul.ts [--calls N (default 20000)] [--runs R (default 5)]'
const BATCH = 100
const WARMUP_CALLS = 5_000
const SEED = 20_240_601

const LAYERS = [
  { label: '[1,64]x[64,256]', K: 64, N: 256 },
  { label: '[1,256]x[256,256]', K: 256, N: 256 },
  { label: '[1,256]x[256,10]', K: 256, N: 10 },
] as const

/** Median µs per call of `fn` over `calls` calls timed in batches. */
function timePerCall(fn: () => void, calls: number): number {
  const samples: number[] = []
  for (let done = 0; done < calls; done += BATCH) {
    const t0 = performance.now()
    for (let c = 0; c < BATCH; c++) fn()
    samples.push(((performance.now() - t0) * 1000) / BATCH)
  }
  return median(samples)
}

function sameBits(x: Float32Array, y: Float32Array): boolean {
  const ux = new Uint32Array(x.buffer, x.byteOffset, x.length)
  const uy = new Uint32Array(y.buffer, y.byteOffset, y.length)
  return ux.length === uy.length && ux.every((v, i) => v === uy[i])
}

function main(): void {
  let calls = 20_000
  let runs = 5
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--calls') calls = positiveInt(flag, value())
    else if (flag === '--runs') runs = positiveInt(flag, value())
    else return false
    return true
  })

  const prng = createPrng(SEED)
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => prng.normal() * scale)
  const input = values(LAYERS[0].K, 1)
  const weights = LAYERS.map(({ K, N }) => values(K * N, 1 / Math.sqrt(K)))

  // wasm: resident weights, then the activations (input and each layer's output)
  const mm = new WasmMatmul()
  const wPtr = LAYERS.map(({ K, N }, l) => {
    const ptr = mm.alloc(K * N)
    mm.f32(ptr, K * N).set(weights[l])
    return ptr
  })
  const xPtr = mm.alloc(input.length)
  const yPtr = LAYERS.map(({ N }) => mm.alloc(N))
  mm.f32(xPtr, input.length).set(input)
  const inPtr = [xPtr, yPtr[0], yPtr[1]]
  const wasmLayer = LAYERS.map(({ K, N }, l) => () => mm.matmul(inPtr[l], wPtr[l], yPtr[l], 1, K, N))
  const wasmMlp = () => {
    for (const layer of wasmLayer) layer()
  }

  const refInputs = [input, matmulReference(input, weights[0], 1, 64, 256)]
  refInputs.push(matmulReference(refInputs[1], weights[1], 1, 256, 256))
  const refLayer = LAYERS.map(({ K, N }, l) => () => void matmulReference(refInputs[l], weights[l], 1, K, N))
  const refMlp = () => {
    let x: Float32Array = input
    for (let l = 0; l < LAYERS.length; l++) x = matmulReference(x, weights[l], 1, LAYERS[l].K, LAYERS[l].N)
  }

  wasmMlp()
  for (let l = 0; l < LAYERS.length; l++) {
    const expected = matmulReference(refInputs[l], weights[l], 1, LAYERS[l].K, LAYERS[l].N)
    if (!sameBits(mm.f32(yPtr[l], LAYERS[l].N), expected)) throw new Error(`${LAYERS[l].label}: wasm and reference bits differ`)
  }

  const cases = [
    ...LAYERS.map(({ label }, l) => ({ label, wasm: wasmLayer[l], ref: refLayer[l] })),
    { label: 'MLP 64→256→256→10', wasm: wasmMlp, ref: refMlp },
  ]
  for (const c of cases) {
    for (let i = 0; i < WARMUP_CALLS; i++) c.wasm()
    for (let i = 0; i < WARMUP_CALLS / 10; i++) c.ref()
  }

  const refCalls = Math.max(BATCH, Math.floor(calls / 20)) // the reference is tens of times slower
  const perRun = cases.map(() => ({ wasm: [] as number[], ref: [] as number[] }))
  const shown = progress('runs', { total: runs }) // on stderr
  for (let r = 0; r < runs; r++) {
    cases.forEach((c, i) => {
      perRun[i].wasm.push(timePerCall(c.wasm, calls))
      perRun[i].ref.push(timePerCall(c.ref, refCalls))
    })
    shown.update(r + 1)
  }
  shown.done()

  console.log(machine())
  console.log(`median µs per call (${calls} wasm / ${refCalls} reference calls per run, batches of ${BATCH}, median of ${runs} runs)`)
  console.log(`${'shape'.padEnd(22)}${'wasm'.padStart(10)}${'reference'.padStart(12)}${'ratio'.padStart(9)}`)
  let sumWasm = 0
  let sumRef = 0
  cases.forEach((c, i) => {
    const wasm = median(perRun[i].wasm)
    const ref = median(perRun[i].ref)
    if (i < LAYERS.length) {
      sumWasm += wasm
      sumRef += ref
    }
    console.log(`${c.label.padEnd(22)}${wasm.toFixed(2).padStart(10)}${ref.toFixed(2).padStart(12)}${`${(ref / wasm).toFixed(1)}×`.padStart(9)}`)
  })
  console.log(`${'sum of the 3 layers'.padEnd(22)}${sumWasm.toFixed(2).padStart(10)}${sumRef.toFixed(2).padStart(12)}${`${(sumRef / sumWasm).toFixed(1)}×`.padStart(9)}`)
}

main()
