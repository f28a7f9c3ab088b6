/**
 * Off-chain inference formats and runners (docs/OFFCHAIN_INFERENCE.md, "Formats"): what the bytes
 * of a request's input and output mean for a model registered with an `inputFormat` and an
 * `outputFormat`, and `runInference`, which computes a request's output with the canonical
 * evaluator. The worker process imports this file only.
 *
 * ```ts
 * import { runInference, supportsFormats } from './formats/index.ts'
 * if (supportsFormats(model.inputFormat, model.outputFormat)) {
 *   const output = runInference(modelBytes, model.inputFormat, model.outputFormat, input, { modelId })
 * }
 * ```
 */
export { decodeInt256Array, encodeInt256Array } from './abi.ts'
export { argmaxFirst, ASCII_VOCAB_SIZE, asciiToken, generateGreedy, lmWindow, promptTokens, tokenByte } from './ascii-lm.ts'
export { FormatError, type FormatErrorCode, type FormatErrorKind } from './errors.ts'
export {
  bowFormat,
  greedyAsciiFormat,
  INT256_ARRAY,
  isKnownFormat,
  MAX_BOW_BUCKETS,
  MAX_GREEDY_TOKENS,
  MIN_BOW_BUCKETS,
  MIN_GREEDY_TOKENS,
  parseFormat,
  TEXT_UTF8,
  type Format,
} from './names.ts'
export { decodeRejection, rejectionOutput, REJECTION_SELECTOR, REJECTION_SIGNATURE } from './rejection.ts'
export {
  answerRequest,
  DEFAULT_MAX_OFFCHAIN_MODEL_BYTES,
  defaultModelCache,
  formatPair,
  MAX_INPUT_BYTES,
  MAX_OUTPUT_BYTES,
  OffchainModelCache,
  runInference,
  supportsFormats,
  type Answer,
  type FormatPair,
  type OffchainModelCacheOptions,
  type RunnerKind,
  type RunOptions,
} from './run.ts'
export { bowFeatures, bowIndices, decodeUtf8, fnv1a32, MAX_TEXT_BYTES, MAX_WORD_BYTES, MIN_WORD_BYTES, words } from './text.ts'
