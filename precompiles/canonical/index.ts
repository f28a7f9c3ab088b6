/**
 * Canonical inference, the library: what the inference precompile runs, and what any other
 * program that must agree with it bit for bit (a replica, a validator, an off-chain inference
 * worker) calls. The definition it implements is docs/CANONICAL_INFERENCE.md.
 *
 * ```ts
 * import { analyzeModel } from '../onnx/analyze.ts'
 * import { compileModel } from './index.ts'
 * analyzeModel(bytes)                       // refuse what is outside the definition first
 * const y = compileModel(bytes).run(x)       // the canonical output
 * ```
 */
export { compileModel, CANONICAL_OPS, type CompiledModel, type CompileOptions } from './plan.ts'
export { ModelCache, ModelNotFoundError, DEFAULT_MAX_MODELS, DEFAULT_MAX_BYTES, type ModelCacheStats, type ModelSignature } from './cache.ts'
export { matmulReference, wasmSimdAvailable } from './wasm-matmul.ts'
export { exp64, expF32, sigmoidF32, tanhF32, roundHalfEven } from './math.ts'
export type { Data } from './tensor.ts'
