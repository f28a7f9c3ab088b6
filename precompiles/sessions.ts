/**
 * The options onnxruntime-node sessions are created with wherever this project runs onnxruntime:
 * the benchmarks' and tests' reference next to the canonical evaluator (precompiles/canonical/),
 * which is what the chain runs, and the fuzzer's check that accepted models also load there.
 *
 * ## Determinism options (`deterministicSessionOptions()`)
 * - `executionProviders: ['cpu']`: CPU kernels only, never a GPU or other accelerator.
 * - `intraOpNumThreads: 1`, `interOpNumThreads: 1`, `executionMode: 'sequential'`: no thread
 *   pool, so reductions (MatMul, Softmax sums, …) always add in the same order.
 * - `graphOptimizationLevel: 'disabled'`: the graph runs node by node exactly as registered.
 *   'basic' would constant-fold and fuse (e.g. Conv+BatchNorm, Conv+Add, MatMul+Add → Gemm),
 *   which changes float rounding and whose rule set changes between onnxruntime releases;
 *   with 'disabled', the result depends only on the graph and the kernels, and the static gas
 *   cost (computed from the graph as written) describes what actually runs. The price, measured
 *   here: the 64→256→256→10 float MLP runs in about 16.4 µs instead of 15 µs with 'basic'
 *   (probably the MatMul+Add → Gemm fusion); a 4-input logistic model shows no difference (about 10 µs).
 *   Both levels gave bit-identical outputs on this machine.
 * - `enableCpuMemArena: false`: released sessions give their memory back (the arena would keep
 *   its high-water mark for the process lifetime); does not affect results.
 * - `logSeverityLevel: 3`: errors only.
 * What remains machine-dependent: float kernels may use different SIMD code paths on different
 * CPUs (AVX2 vs AVX-512 vs NEON), which can change the last bits of float32 results: the reason the
 * chain runs the canonical evaluator instead.
 */
import type { InferenceSession } from 'onnxruntime-node'

/**
 * A fresh copy of the deterministic session options (documented above). A function, not a
 * frozen constant: onnxruntime-node wraps the options object in a Proxy, which fails on frozen
 * properties.
 */
export function deterministicSessionOptions(): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'disabled',
    enableCpuMemArena: false,
    logSeverityLevel: 3,
  }
}
