/**
 * The model fuzzer's properties, shared by `npm run fuzz:models` (scripts/fuzz-models.ts, many
 * cases) and test/precompiles/fuzz.test.ts (a bounded number in `npm test`). One case: a seeded
 * model (valid over the allowlist, or mutated: scripts/models/random-graphs.ts) is analysed; then
 *
 * 1. the analyzer throws nothing but ModelValidationError;
 * 2. analysis time per byte stays bounded (reported; checked loosely by callers);
 * 3. a model the analyzer accepts goes through the registration trial (precompiles/trial.ts); one
 *    the trial refuses is a gap of the analysis (reported: the trial catches it, but a rule
 *    should);
 * 4. a model that passes the trial runs in onnxruntime on other inputs (seeded) without error,
 *    with the output the analysis promised, and its measured time is compared with its gas.
 */
import { onnx } from 'onnx-proto'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { analyzeModel, ModelValidationError, type ModelInfo } from '../../precompiles/onnx/analyze.ts'
import { ruleFor } from '../../precompiles/onnx/operators.ts'
import { deterministicSessionOptions } from '../../precompiles/sessions.ts'
import { trialRun } from '../../precompiles/trial.ts'
import { createPrng, type Prng } from './prng.ts'
import { GENERATED_OPS, mutateModel, randomGraph, randomOpModel, type RandomModel } from './random-graphs.ts'

export type CaseOutcome =
  | { kind: 'refused'; reason: string }
  | { kind: 'trial-refused'; reason: string; detail: string }
  | { kind: 'ran'; info: ModelInfo; runMicros: number; gasPerMicro: number }
  /** A property broken: the analyzer threw something else, or an accepted model failed to run. */
  | { kind: 'crash'; error: string }

export interface CaseResult {
  seed: number
  description: string
  bytes: Uint8Array
  analysisMicros: number
  outcome: CaseOutcome
}

/** Case `seed`'s model: a third single-operator models, a third chains, a third mutations of either. */
export function fuzzModel(seed: number): RandomModel {
  const r = createPrng(seed)
  const kind = seed % 3
  if (kind === 0) return randomOpModel(GENERATED_OPS[Math.floor(r.next() * GENERATED_OPS.length)], r, { big: r.next() < 0.2, maxElements: 1 << 18 })
  if (kind === 1) return randomGraph(r)
  const base = r.next() < 0.5 ? randomGraph(r) : randomOpModel(GENERATED_OPS[Math.floor(r.next() * GENERATED_OPS.length)], r)
  const m = mutateModel(base.bytes, r)
  return { bytes: m.bytes, description: `${base.description} / ${m.description}` }
}

/** Runs one case through the properties above. `runs` seeded inputs are tried on an accepted model. */
export async function fuzzCase(seed: number, runs = 3): Promise<CaseResult> {
  let model: RandomModel
  try {
    model = fuzzModel(seed)
  } catch (err) {
    // a generator that cannot even encode its model is not the analyzer's problem
    return { seed, description: `generator: ${String(err)}`, bytes: new Uint8Array(), analysisMicros: 0, outcome: { kind: 'refused', reason: 'generator failed' } }
  }
  const { bytes, description } = model
  const t0 = performance.now()
  let info: ModelInfo
  try {
    info = analyzeModel(bytes)
  } catch (err) {
    const analysisMicros = (performance.now() - t0) * 1000
    if (err instanceof ModelValidationError) return { seed, description, bytes, analysisMicros, outcome: { kind: 'refused', reason: err.reason } }
    return { seed, description, bytes, analysisMicros, outcome: { kind: 'crash', error: `analyzer threw ${String(err)}` } }
  }
  const analysisMicros = (performance.now() - t0) * 1000
  try {
    await trialRun(bytes, info)
  } catch (err) {
    if (err instanceof ModelValidationError) {
      return { seed, description, bytes, analysisMicros, outcome: { kind: 'trial-refused', reason: err.reason, detail: (err as { detail?: string }).detail ?? '' } }
    }
    return { seed, description, bytes, analysisMicros, outcome: { kind: 'crash', error: `trial threw ${String(err)}` } }
  }
  try {
    const runMicros = await runSeeded(bytes, info, createPrng(seed ^ 0x5eed), runs)
    return { seed, description, bytes, analysisMicros, outcome: { kind: 'ran', info, runMicros, gasPerMicro: Number(info.gasPerCall) / runMicros } }
  } catch (err) {
    return { seed, description, bytes, analysisMicros, outcome: { kind: 'crash', error: `accepted model failed in onnxruntime: ${err instanceof Error ? err.message : String(err)}` } }
  }
}

/** Runs the model on `runs` random inputs; returns the median µs of a run. Throws on any failure or a wrong output. */
export async function runSeeded(bytes: Uint8Array, info: ModelInfo, r: Prng, runs: number): Promise<number> {
  const session = await InferenceSession.create(bytes, { ...deterministicSessionOptions(), logSeverityLevel: 4 })
  try {
    const times: number[] = []
    // one untimed run first: a session's first run allocates what later runs reuse
    await session.run({ [info.input.name]: new Tensor(info.input.type, randomInput(info, r), info.input.shape) }, [info.output.name])
    for (let k = 0; k < runs; k++) {
      const data = randomInput(info, r)
      const t = performance.now()
      const out = (await session.run({ [info.input.name]: new Tensor(info.input.type, data, info.input.shape) }, [info.output.name]))[info.output.name]
      times.push((performance.now() - t) * 1000)
      if (out === undefined || out.type !== info.output.type || out.dims.join(',') !== info.output.shape.join(',')) {
        throw new Error(`output ${out?.type}[${out?.dims}] differs from the analysis ${info.output.type}[${info.output.shape}]`)
      }
    }
    times.sort((a, b) => a - b)
    return times[Math.floor(times.length / 2)]
  } finally {
    await session.release()
  }
}

function randomInput(info: ModelInfo, r: Prng) {
  const n = info.input.length
  switch (info.input.type) {
    case 'float32':
      return Float32Array.from({ length: n }, () => r.uniform(-1000, 1000) * (r.next() < 0.1 ? 1e30 : 1))
    case 'int8':
      return Int8Array.from({ length: n }, () => Math.floor(r.uniform(-128, 128)))
    case 'uint8':
      return Uint8Array.from({ length: n }, () => Math.floor(r.uniform(0, 256)))
    case 'int32':
      return Int32Array.from({ length: n }, () => Math.floor(r.uniform(-(2 ** 31), 2 ** 31)))
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r.uniform(-(2 ** 52), 2 ** 52))))
  }
}

/** A model the analysis accepted but the trial refused: a gap of the analysis. */
export interface AttributeGap {
  op: string
  attribute: string
  value: string
  description: string
  reason: string
  detail: string
}

const INT_VALUES = [-3, -2, -1, 0, 1, 2, 3, 7, 19, 1 << 20]
const LIST_VALUES = [[], [0], [1], [-1], [0, 0], [1, 1], [2, 2], [1, 0], [0, 1], [3, 1], [0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]]
const STRING_VALUES = ['', 'NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER', 'same_upper', 'X']

/**
 * Every allowlisted operator, every attribute it takes at opsets 13, 17, 19 and 21, set to each of a
 * list of edge values on a few seeded models around the operator: each model the analyzer
 * accepts must pass the trial. Returns the gaps (none expected) and how many models were tried.
 */
export async function attributeSweep(seed: number, modelsPerOp = 2): Promise<{ gaps: AttributeGap[]; tried: number; accepted: number }> {
  const r = createPrng(seed)
  const gaps: AttributeGap[] = []
  let tried = 0
  let accepted = 0
  const T = onnx.AttributeProto.AttributeType
  for (const op of GENERATED_OPS) {
    for (const opset of [13, 17, 19, 21]) {
      const allowed = ruleFor(op)!.attrs(opset)
      for (let k = 0; k < modelsPerOp; k++) {
        const base = randomOpModel(op, r, { opset })
        for (const [name, kind] of Object.entries(allowed)) {
          const values: onnx.IAttributeProto[] =
            kind === 'int'
              ? INT_VALUES.map((i) => ({ name, type: T.INT, i }))
              : kind === 'ints'
                ? LIST_VALUES.map((ints) => ({ name, type: T.INTS, ints }))
                : kind === 'float'
                  ? [0, -1, 1e-30, 1e30, Number.NaN, Infinity].map((f) => ({ name, type: T.FLOAT, f }))
                  : kind === 'string'
                    ? STRING_VALUES.map((s) => ({ name, type: T.STRING, s: new TextEncoder().encode(s) }))
                    : []
          for (const attr of values) {
            const m = onnx.ModelProto.decode(base.bytes)
            const node = m.graph!.node!.find((n) => n.opType === op)
            if (node === undefined) continue
            node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== name), attr]
            const bytes = new Uint8Array(onnx.ModelProto.encode(m).finish())
            tried++
            let info: ModelInfo
            try {
              info = analyzeModel(bytes)
            } catch (err) {
              if (!(err instanceof ModelValidationError)) throw err
              continue
            }
            accepted++
            try {
              await trialRun(bytes, info)
            } catch (err) {
              const value = JSON.stringify(attr.ints ?? attr.i ?? attr.f ?? (attr.s ? new TextDecoder().decode(attr.s) : ''))
              gaps.push({ op, attribute: name, value, description: base.description, reason: (err as ModelValidationError).reason, detail: (err as { detail?: string }).detail ?? String(err) })
            }
          }
        }
      }
    }
  }
  return { gaps, tried, accepted }
}
