/**
 * Gas per µs of every allowlisted operator (`npm run bench:op-gas -- --cases 8 --seed 1`).
 *
 * For each operator in ALLOWED_OPS: `--cases` seeded models built around it
 * (scripts/models/random-graphs.ts: random shapes with 1s, random attributes; half of them widened
 * to large tensors, up to `--max-elements`), each analysed for its gas per call, then run the way
 * the inference precompile runs it: its canonical plan (precompiles/canonical/, this thread):
 *
 * - warm: µs of one `run` of a compiled plan (median of `--runs` timed batches);
 * - cold: µs of compiling the plan and running it once (median of 5, after 20 unmeasured ones that
 *   JIT-compile the kernels as a running node has), which is what a call costs when the node's
 *   plan cache does not hold the model: gas prices every call as cold.
 *
 * It prints, per operator, the worst (lowest) gas per µs over its cases, warm and cold, with the
 * case; then the same for graph structures at the analyzer's caps whose cost is mostly
 * compilation (scripts/models/adversarial.ts, structureModels); and the overall worst. Target: ≥ 20 gas/µs everywhere, so that a 60M-gas block of
 * inference calls runs in under 3 s. Models the analyzer refuses are counted and skipped.
 * Timings on a shared machine are noisy: medians, and run it when the machine is quiet.
 */
import { compileModel } from '../precompiles/canonical/index.ts'
import { ALLOWED_OPS, analyzeModel, ModelValidationError, type ModelInfo } from '../precompiles/onnx/analyze.ts'
import { trialInput } from '../precompiles/trial.ts'
import { createPrng } from './models/prng.ts'
import { structureModels } from './models/adversarial.ts'
import { randomOpModel } from './models/random-graphs.ts'

const TARGET_GAS_PER_MICRO = 20

/** Unmeasured compilations before the timed cold ones (JIT warm-up of the kernels, see measure()). */
const WARMUP_COLD = 20

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const v = Number(process.argv[i + 1])
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} takes a positive integer`)
  return v
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

interface Measured {
  description: string
  info: ModelInfo
  warmMicros: number
  coldMicros: number
}

async function measure(bytes: Uint8Array, info: ModelInfo, runs: number): Promise<{ warm: number; cold: number }> {
  const input = () => trialInput(info.input.type, info.input.length)
  const colds: number[] = []
  // a node that has run a while has its kernels JIT-compiled: the first compilations of a kernel
  // (≈0.1-6 ms each for the first dozen, once per process) are warm-up, not the cost of a cold call
  for (let i = 0; i < WARMUP_COLD; i++) compileModel(bytes).run(input())
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    compileModel(bytes).run(input())
    colds.push((performance.now() - t) * 1000)
  }
  const model = compileModel(bytes)
  model.run(input())
  const warms: number[] = []
  for (let b = 0; b < runs; b++) {
    // a batch lasts at least 2 ms so that the clock's resolution does not matter
    let n = 0
    const t = performance.now()
    do {
      model.run(input())
      n++
    } while (performance.now() - t < 2)
    warms.push(((performance.now() - t) * 1000) / n)
  }
  return { warm: median(warms), cold: median(colds) }
}

async function main(): Promise<void> {
  const cases = arg('cases', 8)
  const seed = arg('seed', 1)
  const runs = arg('runs', 5)
  const maxElements = arg('max-elements', 1 << 21)
  const only = process.argv.includes('--op') ? process.argv[process.argv.indexOf('--op') + 1].split(',') : undefined
  const rows: { op: string; accepted: number; refused: number; warst: Measured | undefined; coldst: Measured | undefined }[] = []
  const started = performance.now()
  for (const op of ALLOWED_OPS) {
    if (only && !only.includes(op)) continue
    const r = createPrng(seed * 1000 + ALLOWED_OPS.indexOf(op))
    let accepted = 0
    let refused = 0
    let warst: Measured | undefined
    let coldst: Measured | undefined
    for (let c = 0; c < cases; c++) {
      const m = randomOpModel(op, r, { big: c % 2 === 1, maxElements })
      let info: ModelInfo
      try {
        info = analyzeModel(m.bytes)
      } catch (err) {
        if (!(err instanceof ModelValidationError)) throw err
        refused++
        continue
      }
      let t
      try {
        t = await measure(m.bytes, info, runs)
      } catch (err) {
        console.error(`${op}: ${m.description}: the canonical plan failed: ${err instanceof Error ? err.message : err}`)
        refused++
        continue
      }
      accepted++
      const row: Measured = { description: m.description, info, warmMicros: t.warm, coldMicros: t.cold }
      const g = Number(info.gasPerCall)
      if (warst === undefined || g / t.warm < Number(warst.info.gasPerCall) / warst.warmMicros) warst = row
      if (coldst === undefined || g / t.cold < Number(coldst.info.gasPerCall) / coldst.coldMicros) coldst = row
    }
    rows.push({ op, accepted, refused, warst, coldst })
    const w = warst ? (Number(warst.info.gasPerCall) / warst.warmMicros).toFixed(0) : '-'
    const k = coldst ? (Number(coldst.info.gasPerCall) / coldst.coldMicros).toFixed(0) : '-'
    console.error(`${op}: ${accepted} measured, ${refused} refused; worst warm ${w} gas/µs, cold ${k} gas/µs (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  console.log(`\n| operator | cases | worst gas/µs warm | its case (gas, µs) | worst gas/µs cold | its case (gas, µs) |`)
  console.log('|---|---|---|---|---|---|')
  let worstWarm = Infinity
  let worstCold = Infinity
  for (const { op, accepted, warst, coldst } of rows) {
    if (!warst || !coldst) {
      console.log(`| ${op} | 0 | - | - | - | - |`)
      continue
    }
    const w = Number(warst.info.gasPerCall) / warst.warmMicros
    const k = Number(coldst.info.gasPerCall) / coldst.coldMicros
    worstWarm = Math.min(worstWarm, w)
    worstCold = Math.min(worstCold, k)
    console.log(
      `| ${op} | ${accepted} | ${w.toFixed(0)} | ${warst.description} (${warst.info.gasPerCall}, ${warst.warmMicros.toFixed(0)}) | ${k.toFixed(0)} | ${coldst.description} (${coldst.info.gasPerCall}, ${coldst.coldMicros.toFixed(0)}) |`,
    )
  }
  // graph structures whose cost is mostly compilation (at the analyzer's caps)
  console.log(`\n| structure | gas | warm µs | gas/µs warm | cold µs | gas/µs cold |`)
  console.log('|---|---|---|---|---|---|')
  for (const m of structureModels()) {
    let info: ModelInfo
    try {
      info = analyzeModel(m.bytes)
    } catch (err) {
      console.log(`| ${m.name} | refused: ${(err as ModelValidationError).reason} | | | | |`)
      continue
    }
    const t = await measure(m.bytes, info, runs)
    const g = Number(info.gasPerCall)
    worstWarm = Math.min(worstWarm, g / t.warm)
    worstCold = Math.min(worstCold, g / t.cold)
    console.log(`| ${m.name} | ${g} | ${t.warm.toFixed(0)} | ${(g / t.warm).toFixed(0)} | ${t.cold.toFixed(0)} | ${(g / t.cold).toFixed(0)} |`)
  }
  const worst = Math.min(worstWarm, worstCold)
  console.log(`\noverall worst: ${worstWarm.toFixed(1)} gas/µs warm, ${worstCold.toFixed(1)} gas/µs cold (target ≥ ${TARGET_GAS_PER_MICRO}: ${worst >= TARGET_GAS_PER_MICRO ? 'met' : 'NOT met'})`)
  process.exitCode = worst >= TARGET_GAS_PER_MICRO ? 0 : 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
