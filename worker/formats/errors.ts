/**
 * The one error class of worker/formats. Every error is a deterministic function of the request
 * (model bytes, the two format strings, the input bytes): every honest node that runs the same
 * request reaches the same `code`, so the protocol can treat a rejected request like an answer.
 *
 * `kind` says whose fault it is:
 * - `format`: the model's registered format strings (unknown name, bad parameter, unsupported pair);
 * - `model`:  the model bytes (outside the canonical definition, or a signature the formats cannot
 *   feed: e.g. `text/bow-fnv1a:4096` for a model whose input is not float32 [1,4096], or an output
 *   whose encoding exceeds the coordinator's 8 KiB);
 * - `input`:  the request's input bytes (too long, not UTF-8, malformed ABI, wrong length, out of range);
 * - `output`: the model's result cannot be encoded (a NaN or an infinity in a fixed-point output).
 */
export type FormatErrorKind = 'format' | 'model' | 'input' | 'output'

export type FormatErrorCode =
  | 'UNKNOWN_FORMAT'
  | 'UNSUPPORTED_FORMAT_PAIR'
  | 'INVALID_MODEL'
  | 'MODEL_FORMAT_MISMATCH'
  | 'INPUT_TOO_LONG'
  | 'INVALID_UTF8'
  | 'MALFORMED_ABI'
  | 'WRONG_TENSOR_LENGTH'
  | 'VALUE_OUT_OF_RANGE'
  | 'OUTPUT_NOT_ENCODABLE'
  | 'OUTPUT_TOO_LONG'

const KIND: Record<FormatErrorCode, FormatErrorKind> = {
  UNKNOWN_FORMAT: 'format',
  UNSUPPORTED_FORMAT_PAIR: 'format',
  INVALID_MODEL: 'model',
  MODEL_FORMAT_MISMATCH: 'model',
  INPUT_TOO_LONG: 'input',
  INVALID_UTF8: 'input',
  MALFORMED_ABI: 'input',
  WRONG_TENSOR_LENGTH: 'input',
  VALUE_OUT_OF_RANGE: 'input',
  OUTPUT_NOT_ENCODABLE: 'output',
  OUTPUT_TOO_LONG: 'model',
}

export class FormatError extends Error {
  readonly kind: FormatErrorKind
  constructor(
    readonly code: FormatErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'FormatError'
    this.kind = KIND[code]
  }
}
