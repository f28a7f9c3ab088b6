/**
 * The registration-time trial: compile the model into its canonical plan (canonical/plan.ts),
 * exactly as a call would, and run it once on a fixed input. The static analysis
 * (onnx/analyze.ts) is the judge of what a model may be; the trial is the backstop for a gap
 * between the analysis and the canonical kernels, so that a model which cannot run is refused at
 * registration instead of failing inside a transaction later.
 *
 * Consensus: the verdict is the same on every node. Compilation and the run are deterministic
 * functions of the bytes and the fixed input (docs/CANONICAL_INFERENCE.md), and the reason never
 * contains the kernel's own message (it may carry engine-specific wording); that goes to `detail`
 * for the node's log.
 *
 * Why the timeout is only a safety valve: the run is synchronous on the calling thread, so nothing
 * can stop it half-way; the work of the trial is bounded by gas instead. The analyzer precompile
 * charges the trial as one call of the model (its gasPerCall) before starting it, and gas tracks
 * time at ≥ 20 gas/µs for every operator (scripts/bench-operator-gas.ts), so a trial a
 * transaction can pay for is short. Elapsed time is not deterministic (another node may be slower,
 * or busy), so refusing on time alone could split nodes; the bound is set far above what any
 * payable trial takes and only catches a gap in the gas schedule, after the fact.
 */
import { compileModel, type CompiledModel } from './canonical/plan.ts'
import type { ModelInfo } from './onnx/analyze.ts'
import { ModelValidationError } from './onnx/errors.ts'
import type { ElementType } from './onnx/tensors.ts'

/** Default bound on a trial's wall time, in ms (a safety valve; see the module comment). */
export const DEFAULT_TRIAL_TIMEOUT_MS = 10_000

export interface TrialRunOptions {
  /** Wall-time bound of session creation plus the run, in ms; DEFAULT_TRIAL_TIMEOUT_MS unless given. */
  timeoutMs?: number
}

/** A refusal by the trial: `reason` is consensus data, `detail` is the kernel's own message (for logs only). */
export class TrialRunError extends ModelValidationError {
  constructor(
    reason: string,
    readonly detail: string,
  ) {
    super(reason)
  }
}

/**
 * The fixed trial input of a model: element i is ((i · 7919) mod 17) − 8, scaled by 1/8 for float32
 * and shifted into range for uint8. Not all zeros, so that a kernel which special-cases zeros
 * still runs its ordinary path; small, so that no conversion saturates.
 */
export function trialInput(type: ElementType, length: number): Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array {
  const v = (i: number) => ((i * 7919) % 17) - 8
  switch (type) {
    case 'float32':
      return Float32Array.from({ length }, (_, i) => v(i) / 8)
    case 'int8':
      return Int8Array.from({ length }, (_, i) => v(i))
    case 'uint8':
      return Uint8Array.from({ length }, (_, i) => v(i) + 8)
    case 'int32':
      return Int32Array.from({ length }, (_, i) => v(i))
    case 'int64':
      return BigInt64Array.from({ length }, (_, i) => BigInt(v(i)))
  }
}

/**
 * Compiles the model's canonical plan, checks that it has the inputs and outputs the analysis
 * promised, and runs it once on `trialInput`.
 *
 * @param bytes the model, as registered
 * @param info its analysis (analyzeModel)
 * @returns the wall time the trial took, in ms (for logs and benchmarks; never consensus data)
 * @throws TrialRunError (a ModelValidationError) naming the step that failed
 *
 * @example
 * const info = analyzeModel(bytes)
 * await trialRun(bytes, info, { timeoutMs: 5_000 })
 */
export async function trialRun(bytes: Uint8Array, info: ModelInfo, options: TrialRunOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TRIAL_TIMEOUT_MS
  const start = performance.now()
  let model: CompiledModel
  try {
    model = compileModel(bytes)
  } catch (err) {
    throw new TrialRunError('the model does not compile to its canonical plan', message(err))
  }
  const { input, output } = info
  if (model.input.name !== input.name || model.output.name !== output.name || model.input.type !== input.type) {
    throw new TrialRunError('the canonical plan has other inputs or outputs than the analysis', `input ${model.input.name}, output ${model.output.name}`)
  }
  let out
  try {
    out = model.run(trialInput(input.type, input.length))
  } catch (err) {
    throw new TrialRunError('the model fails its trial run', message(err))
  }
  if (model.output.type !== output.type || out.length !== output.length || model.output.shape.join() !== output.shape.join()) {
    throw new TrialRunError('the canonical plan computes another output type or shape than the analysis', `${model.output.type}[${model.output.shape.join(',')}] with ${out.length} elements`)
  }
  const elapsed = performance.now() - start
  if (elapsed > timeoutMs) throw new TrialRunError(`the trial run took over ${timeoutMs} ms`, `${elapsed.toFixed(0)} ms`)
  return elapsed
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
