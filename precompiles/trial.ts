/**
 * The registration-time trial: create the onnxruntime session a call would create and run the
 * model once on a fixed input. The static analysis (onnx/analyze.ts) mirrors onnxruntime's rules
 * as closely as we know them; the trial is the backstop for whatever it misses, so that a model
 * which cannot run is refused at registration instead of failing inside a transaction later.
 *
 * Consensus: the verdict must be the same on every node. Session creation and the run are
 * deterministic functions of the bytes and the fixed input (same onnxruntime build, same
 * options: sessions.ts), and the reason never contains onnxruntime's own message (it carries file
 * paths and line numbers of the build); that message goes to `detail` for the node's log.
 *
 * Why the timeout is only a safety valve: onnxruntime-node creates sessions and runs them
 * synchronously on the calling thread, so nothing can stop a run half-way; the work of the trial
 * is bounded by gas instead. The analyzer precompile charges the trial as one call of the model
 * (its gasPerCall) before starting it, gas tracks time at ≥ 20 gas/µs for every operator
 * (scripts/bench-operator-gas.ts), so a trial a transaction can pay for is short. Elapsed time
 * is not deterministic (another node may be slower, or busy), so refusing on time alone could
 * split nodes; the bound is set far above what any payable trial takes and only catches a gap in
 * the gas schedule, after the fact.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node'
import type { ModelInfo } from './onnx/analyze.ts'
import { ModelValidationError } from './onnx/errors.ts'
import type { ElementType } from './onnx/tensors.ts'
import { deterministicSessionOptions } from './sessions.ts'

/** Default bound on a trial's wall time, in ms (a safety valve; see the module comment). */
export const DEFAULT_TRIAL_TIMEOUT_MS = 10_000

export interface TrialRunOptions {
  /** Wall-time bound of session creation plus the run, in ms; DEFAULT_TRIAL_TIMEOUT_MS unless given. */
  timeoutMs?: number
}

/** A refusal by the trial: `reason` is consensus data, `detail` is onnxruntime's own message (for logs only). */
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
 * Creates the model's session with the node's options, checks that onnxruntime sees the inputs
 * and outputs the analysis promised, and runs the model once on `trialInput`.
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
  let session: InferenceSession
  try {
    // level 4 (fatal): a refused model is an expected outcome here, not something to print
    session = await InferenceSession.create(bytes, { ...deterministicSessionOptions(), logSeverityLevel: 4 })
  } catch (err) {
    throw new TrialRunError('onnxruntime refuses to load the model', message(err))
  }
  try {
    const { input, output } = info
    const inMeta = session.inputMetadata
    const outMeta = session.outputMetadata
    if (inMeta.length !== 1 || outMeta.length !== 1 || inMeta[0].name !== input.name || outMeta[0].name !== output.name) {
      throw new TrialRunError('onnxruntime sees other inputs or outputs than the analysis', `inputs ${session.inputNames}, outputs ${session.outputNames}`)
    }
    let out: Tensor | undefined
    try {
      const results = await session.run({ [input.name]: new Tensor(input.type, trialInput(input.type, input.length), input.shape) }, [output.name])
      out = results[output.name]
    } catch (err) {
      throw new TrialRunError('the model fails its trial run in onnxruntime', message(err))
    }
    if (out === undefined || out.type !== output.type || out.dims.length !== output.shape.length || out.dims.some((d, i) => d !== output.shape[i])) {
      throw new TrialRunError('onnxruntime computes another output type or shape than the analysis', out === undefined ? 'no output' : `${out.type}[${out.dims.join(',')}]`)
    }
    const elapsed = performance.now() - start
    if (elapsed > timeoutMs) throw new TrialRunError(`the trial run took over ${timeoutMs} ms`, `${elapsed.toFixed(0)} ms`)
    return elapsed
  } finally {
    await session.release()
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
