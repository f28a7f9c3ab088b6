/**
 * The AI chain's precompiles. Data flows: a registration transaction carries the model bytes in
 * calldata → ModelRegistry calls the analyzer (0x…a2) → the node validates, costs and keeps the
 * bytes → a contract calls the inference precompile (0x…a1) → gas charged from the analysis →
 * onnxruntime runs the model on one thread → output and an Inference log.
 *
 * What other folders may use: the table below, the runtime, the addresses and the record topic.
 */
import type { CustomPrecompile } from '@ethereumjs/evm'
import { createInferencePrecompile, INFERENCE_EVENT_TOPIC } from './a1-infer.ts'
import { createAnalyzerPrecompile } from './a2-analyze.ts'
import { DATA_ANCHOR, DATASET_REGISTRY, INFERENCE_COORDINATOR, INFERENCE_PRECOMPILE, L2_BRIDGE, MODEL_ANALYZER_PRECOMPILE, MODEL_REGISTRY } from './addresses.ts'
import { ModelRuntime, type ModelBytesStore, type ModelRuntimeOptions } from './runtime.ts'

/** (address, name, function) for every precompile of this chain beyond Ethereum's own. */
export function aiPrecompiles(runtime: ModelRuntime) {
  return [
    { address: INFERENCE_PRECOMPILE, name: 'infer', function: createInferencePrecompile(runtime) },
    { address: MODEL_ANALYZER_PRECOMPILE, name: 'analyzeModel', function: createAnalyzerPrecompile(runtime) },
  ] as const
}

/** The same table in the shape @ethereumjs/evm's `customPrecompiles` option takes. */
export function customPrecompiles(runtime: ModelRuntime): CustomPrecompile[] {
  return aiPrecompiles(runtime).map(({ address, function: fn }) => ({ address, function: fn }))
}

/** Every VM that runs these precompiles must record the inference precompile's callers (access rules). */
export { trackInferenceCallers } from './callers.ts'
export { DATA_ANCHOR, DATASET_REGISTRY, INFERENCE_COORDINATOR, INFERENCE_EVENT_TOPIC, INFERENCE_PRECOMPILE, L2_BRIDGE, MODEL_ANALYZER_PRECOMPILE, MODEL_REGISTRY, ModelRuntime }
export type { ModelBytesStore, ModelRuntimeOptions }
export { analyzeModel, DEFAULT_MAX_MODEL_BYTES, inferenceGas, ModelValidationError, type ModelInfo } from './onnx/analyze.ts'
export { ELEMENT_TYPES, type ElementType } from './onnx/tensors.ts'
export { DEFAULT_TRIAL_TIMEOUT_MS, trialRun, TrialRunError, type TrialRunOptions } from './trial.ts'
// For programs that must compute what the precompile computes off-chain (worker/formats): the
// canonical evaluator and the fixed-point codec of int256 values.
export { compileModel, ModelCache, type CompiledModel } from './canonical/index.ts'
export { CodecError, encodeInferResult, FIXED_POINT_SCALE, fromTensorData, toTensorData, type TensorData, type TensorType } from './tensor-codec.ts'
export { MAX_IO_ELEMENTS } from './onnx/analyze.ts'
