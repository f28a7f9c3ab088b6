/**
 * One off-chain request, end to end: model bytes, the model's two format strings and the input
 * bytes in, the output bytes out (what a worker commits to and reveals), computed by the canonical
 * evaluator (precompiles/canonical, docs/CANONICAL_INFERENCE.md), so every node gets the same bytes.
 *
 * | input format        | output format          | runner                                                     |
 * |---------------------|------------------------|------------------------------------------------------------|
 * | `int256[]`          | `int256[]`             | tensor: ABI int256[] → the model's input tensor → output tensor → ABI int256[] |
 * | `text/bow-fnv1a:D`  | `int256[]`             | text classifier: hashed bag of words (text.ts) → model → ABI int256[] |
 * | `text/utf-8`        | `text/greedy-ascii:N`  | language model: prompt → N greedy tokens (ascii-lm.ts)     |
 *
 * Checks run in this order, and the first failure is the request's answer (FormatError, a
 * deterministic function of the request): the format strings, the model (analyzer with the
 * off-chain size cap, then its signature against the formats), the input, the output's encoding.
 */
import { keccak256, type Hex } from 'viem'
import {
  analyzeModel,
  CodecError,
  encodeInferResult,
  fromTensorData,
  ModelCache,
  ModelValidationError,
  toTensorData,
  type CompiledModel,
  type TensorData,
} from '../../precompiles/index.ts'
import { decodeInt256Array } from './abi.ts'
import { generateGreedy, lmWindow, promptTokens } from './ascii-lm.ts'
import { FormatError, type FormatErrorCode } from './errors.ts'
import { parseFormat, type Format } from './names.ts'
import { rejectionOutput } from './rejection.ts'
import { bowFeatures } from './text.ts'

/** Most bytes of a request's input and of its output: the coordinator's MAX_INPUT_BYTES and MAX_OUTPUT_BYTES. */
export const MAX_INPUT_BYTES = 8192
export const MAX_OUTPUT_BYTES = 8192

/** Largest off-chain model the runner accepts unless told otherwise (the precompile's cap is 1 MiB). */
export const DEFAULT_MAX_OFFCHAIN_MODEL_BYTES = 64 * 1024 * 1024

export type RunnerKind = 'tensor' | 'text-classifier' | 'greedy-lm'

export interface FormatPair {
  runner: RunnerKind
  input: Format
  output: Format
}

/** The runner for a model's two format strings; throws FormatError UNKNOWN_FORMAT or UNSUPPORTED_FORMAT_PAIR. */
export function formatPair(inputFormat: string, outputFormat: string): FormatPair {
  const input = parseFormat(inputFormat)
  const output = parseFormat(outputFormat)
  if (input.name === 'int256[]' && output.name === 'int256[]') return { runner: 'tensor', input, output }
  if (input.name === 'text/bow-fnv1a' && output.name === 'int256[]') return { runner: 'text-classifier', input, output }
  if (input.name === 'text/utf-8' && output.name === 'text/greedy-ascii') return { runner: 'greedy-lm', input, output }
  throw new FormatError('UNSUPPORTED_FORMAT_PAIR', `no runner takes ${inputFormat} to ${outputFormat}`)
}

/** True when runInference can serve a model registered with these formats (the worker skips the others). */
export function supportsFormats(inputFormat: string, outputFormat: string): boolean {
  try {
    formatPair(inputFormat, outputFormat)
    return true
  } catch {
    return false
  }
}

export interface OffchainModelCacheOptions {
  /** Most compiled models kept (LRU), default 8. */
  maxModels?: number
  /** Most bytes of models kept (the sum of their serialized sizes), default 512 MiB. */
  maxBytes?: number
  /** Largest model analyzed and compiled, default DEFAULT_MAX_OFFCHAIN_MODEL_BYTES. */
  maxModelBytes?: number
}

/**
 * Compiled models by model id (keccak256 of the bytes): precompiles/canonical's LRU ModelCache,
 * with the analyzer (at the off-chain size cap) run before a model is compiled.
 */
export class OffchainModelCache {
  readonly maxModelBytes: number
  private readonly plans: ModelCache
  /** Ids of byte arrays already hashed (a worker passes the same array for every request to a model). */
  private readonly ids = new WeakMap<Uint8Array, Hex>()

  constructor(options: OffchainModelCacheOptions = {}) {
    this.maxModelBytes = options.maxModelBytes ?? DEFAULT_MAX_OFFCHAIN_MODEL_BYTES
    this.plans = new ModelCache({ maxModels: options.maxModels ?? 8, maxBytes: options.maxBytes ?? 512 * 1024 * 1024 })
  }

  /** keccak256 of the bytes (remembered per array object). */
  modelId(bytes: Uint8Array): Hex {
    let id = this.ids.get(bytes)
    if (id === undefined) {
      id = keccak256(bytes)
      this.ids.set(bytes, id)
    }
    return id
  }

  /** The compiled model; FormatError INVALID_MODEL for bytes the analyzer or the compiler refuses. `modelId`, when given, is trusted to be keccak256(bytes). */
  get(bytes: Uint8Array, modelId: Hex = this.modelId(bytes)): CompiledModel {
    try {
      return this.plans.get(modelId.toLowerCase(), () => {
        analyzeModel(bytes, { maxBytes: this.maxModelBytes })
        return bytes
      })
    } catch (e) {
      if (e instanceof ModelValidationError) throw new FormatError('INVALID_MODEL', `model refused: ${e.message}`)
      throw e
    }
  }

  stats() {
    return this.plans.stats()
  }
}

/** The cache runInference uses unless given one. */
export const defaultModelCache = new OffchainModelCache()

export interface RunOptions {
  cache?: OffchainModelCache
  /** keccak256(modelBytes) when the caller already knows it (a worker checked it after the download). */
  modelId?: Hex
}

/** Runs one request; returns the output bytes or throws FormatError (see the module comment for the order of checks). */
export function runInference(modelBytes: Uint8Array, inputFormat: string, outputFormat: string, inputBytes: Uint8Array, options: RunOptions = {}): Uint8Array {
  const pair = formatPair(inputFormat, outputFormat)
  const model = (options.cache ?? defaultModelCache).get(modelBytes, options.modelId)
  checkModel(model, pair)
  if (inputBytes.length > MAX_INPUT_BYTES) throw new FormatError('INPUT_TOO_LONG', `input is ${inputBytes.length} bytes, at most ${MAX_INPUT_BYTES} are accepted`)
  switch (pair.runner) {
    case 'tensor':
      return tensorOutput(model, model.run(tensorInput(model, decodeInt256Array(inputBytes))))
    case 'text-classifier':
      return tensorOutput(model, model.run(bowFeatures(inputBytes, (pair.input as { buckets: number }).buckets)))
    case 'greedy-lm':
      return generateGreedy(model, promptTokens(inputBytes), (pair.output as { tokens: number }).tokens)
  }
}

export interface Answer {
  /** The bytes to commit to and reveal: the output, or rejectionOutput(code) for a rejected request. */
  output: Uint8Array
  /** The FormatError code when the request was rejected. */
  rejected?: FormatErrorCode
  /** The FormatError's message when the request was rejected (for logs; not part of the answer's bytes). */
  reason?: string
}

/**
 * runInference, with a rejected request (a FormatError, the same on every honest node) answered by
 * its rejection bytes (rejection.ts). Any other error is a fault of this node (a bug, memory) and
 * propagates: the node has no answer to reveal.
 */
export function answerRequest(modelBytes: Uint8Array, inputFormat: string, outputFormat: string, inputBytes: Uint8Array, options: RunOptions = {}): Answer {
  try {
    return { output: runInference(modelBytes, inputFormat, outputFormat, inputBytes, options) }
  } catch (e) {
    if (e instanceof FormatError) return { output: rejectionOutput(e), rejected: e.code, reason: e.message }
    throw e
  }
}

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** The model's signature against the formats (before any input is read). */
function checkModel(model: CompiledModel, pair: FormatPair): void {
  if (pair.output.name === 'int256[]') {
    const bytes = 64 + 32 * elements(model.output.shape)
    if (bytes > MAX_OUTPUT_BYTES) throw new FormatError('OUTPUT_TOO_LONG', `the model's output ${model.output.type} [${model.output.shape.join(',')}] encodes to ${bytes} bytes, more than ${MAX_OUTPUT_BYTES}`)
  }
  if (pair.input.name === 'text/bow-fnv1a') {
    const D = pair.input.buckets
    if (model.input.type !== 'float32' || elements(model.input.shape) !== D) {
      throw new FormatError('MODEL_FORMAT_MISMATCH', `text/bow-fnv1a:${D} needs a model input float32 with ${D} elements; this one is ${model.input.type} [${model.input.shape.join(',')}]`)
    }
  }
  if (pair.runner === 'greedy-lm') lmWindow(model)
}

function tensorInput(model: CompiledModel, values: bigint[]): TensorData {
  const length = elements(model.input.shape)
  if (values.length !== length) throw new FormatError('WRONG_TENSOR_LENGTH', `input has ${values.length} values, the model takes ${length} (${model.input.type} [${model.input.shape.join(',')}])`)
  try {
    return toTensorData(values, model.input.type, length)
  } catch (e) {
    if (e instanceof CodecError) throw new FormatError('VALUE_OUT_OF_RANGE', e.message)
    throw e
  }
}

function tensorOutput(model: CompiledModel, data: TensorData): Uint8Array {
  try {
    return encodeInferResult(fromTensorData(data, model.output.type))
  } catch (e) {
    if (e instanceof CodecError) throw new FormatError('OUTPUT_NOT_ENCODABLE', e.message)
    throw e
  }
}
