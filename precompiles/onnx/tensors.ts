/**
 * Element types, shapes and initializer contents as the analyzer sees them. onnx-proto hands out
 * int64 fields as Long objects and tensor data in one of several fields; everything here turns
 * that into plain numbers, bigints and checked sizes, or throws ModelValidationError.
 */
import { onnx } from 'onnx-proto'
import { ModelValidationError } from './errors.ts'

/**
 * Element types a model may use, anywhere in its graph, with their ONNX numbers and byte sizes.
 *
 * | type    | ONNX | bytes | as a model input or output                                   |
 * |---------|------|-------|--------------------------------------------------------------|
 * | float32 | 1    | 4     | yes (crosses the ABI as int256 scaled by 1e18)               |
 * | uint8   | 2    | 1     | yes (plain integers)                                         |
 * | int8    | 3    | 1     | yes (plain integers)                                         |
 * | int32   | 6    | 4     | yes (plain integers)                                         |
 * | int64   | 7    | 8     | yes (plain integers)                                         |
 *
 * Not supported: float16, bfloat16, double (no fixed-point mapping we want to promise, and most
 * allowlisted kernels lack them), string, bool, complex, uint16/int16/uint32/uint64, the float8 and
 * 4-bit types.
 */
export const ELEMENT_TYPES = {
  float32: { onnx: onnx.TensorProto.DataType.FLOAT, bytes: 4 },
  uint8: { onnx: onnx.TensorProto.DataType.UINT8, bytes: 1 },
  int8: { onnx: onnx.TensorProto.DataType.INT8, bytes: 1 },
  int32: { onnx: onnx.TensorProto.DataType.INT32, bytes: 4 },
  int64: { onnx: onnx.TensorProto.DataType.INT64, bytes: 8 },
} as const

export type ElementType = keyof typeof ELEMENT_TYPES

const BY_NUMBER = new Map<number, ElementType>(Object.entries(ELEMENT_TYPES).map(([name, t]) => [t.onnx, name as ElementType]))

/** The element type for an ONNX DataType number, or undefined if we do not support it. */
export function elementType(dataType: number | null | undefined): ElementType | undefined {
  return dataType == null ? undefined : BY_NUMBER.get(dataType)
}

/** A DataType number as a readable name, for error messages. */
export function dataTypeName(dataType: number | null | undefined): string {
  const t = elementType(dataType)
  if (t !== undefined) return t
  const name = dataType ? (onnx.TensorProto.DataType as unknown as Record<number, string>)[dataType] : undefined
  return name !== undefined ? name.toLowerCase() : `${dataType ?? 0} (unknown)`
}

/**
 * A name from the model as it appears in a reason: as is when it is short and plain, else quoted,
 * escaped and cut, so that a crafted model cannot put control characters or a megabyte of text
 * into a revert reason.
 */
export function quote(name: string): string {
  if (/^[\w.:\/-]{1,64}$/.test(name)) return name
  return name.length > 64 ? `${JSON.stringify(name.slice(0, 64))}…` : JSON.stringify(name)
}

/** What the analyzer knows about a tensor: its type, its (always fully known) shape, and some initializers' values. */
export interface TensorInfo {
  type: ElementType
  shape: number[]
  /** Set for initializers (constants). */
  constant: boolean
  /** Values of an int64 initializer (shapes, axes). */
  int64Values?: bigint[]
  /** Values of an int8 or uint8 initializer (quantized weights). */
  byteValues?: ArrayLike<number>
  /** Decodes a float32 initializer's values (on demand: only quantization scales are ever read). */
  floatValues?: () => ArrayLike<number>
}

/**
 * Largest rank of any tensor (input, output, initializer, computed). onnxruntime's kernels take up
 * to 8 dims in practice (its Transpose and broadcasting helpers are written for small ranks), and
 * every per-dim list of the analysis (shapes, axes, perms, pads) is bounded by it, so a node's
 * analysis costs a bounded amount whatever the model claims.
 */
export const MAX_RANK = 8

type LongLike = number | { toString(): string } | null | undefined

/** A non-negative int64 field as a safe integer, or throws with `what` in the reason. */
export function toSafeInt(value: LongLike, what: string): number {
  const big = BigInt(value == null ? 0 : typeof value === 'number' ? value : value.toString())
  if (big < BigInt(Number.MIN_SAFE_INTEGER) || big > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelValidationError(`${what} is out of range`)
  return Number(big)
}

export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`
}

/**
 * Checks an initializer (type, no external data, contents matching its dims) and returns what the
 * analysis needs of it. Contents are checked so that the dims — which drive the cost — are backed
 * by bytes the model actually carries, and so that the runtime can load what we accept.
 */
export function readInitializer(t: onnx.ITensorProto): TensorInfo {
  const name = quote(t.name ?? '')
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new ModelValidationError(`initializer ${name} uses external data`)
  }
  if (t.segment != null) throw new ModelValidationError(`initializer ${name} is segmented`)
  const type = elementType(t.dataType)
  if (type === undefined) throw new ModelValidationError(`initializer ${name} has unsupported type ${dataTypeName(t.dataType)}`)
  if ((t.dims?.length ?? 0) > MAX_RANK) throw new ModelValidationError(`initializer ${name} has rank over ${MAX_RANK}`)
  const shape = (t.dims ?? []).map((d) => toSafeInt(d, `initializer ${name} dim`))
  if (shape.some((d) => d < 0)) throw new ModelValidationError(`initializer ${name} has a negative dim`)
  // onnxruntime's kernels do not all handle empty tensors (ArgMax over an empty axis fails at run
  // time), and a zero-size operand hides work from the cost (MatMul [2048,0]×[0,2048] writes 4M zeros
  // for no multiply-adds): refused everywhere, as in inputs, outputs and computed tensors
  if (shape.some((d) => d === 0)) throw new ModelValidationError(`initializer ${name} has a zero-size dim`)
  // each element takes at least one byte of the (size-capped) model, so this cannot overflow
  const count = elementCount(shape)
  const raw = t.rawData ?? new Uint8Array()
  const typed = typedLength(t, type)
  const info: TensorInfo = { type, shape, constant: true }
  if (raw.length > 0) {
    if (typed > 0) throw new ModelValidationError(`initializer ${name} has both raw and typed data`)
    if (raw.length !== count * ELEMENT_TYPES[type].bytes) throw new ModelValidationError(`initializer ${name} has ${raw.length} data bytes for shape ${formatShape(shape)}`)
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    if (type === 'int64') info.int64Values = Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true))
    if (type === 'int8') info.byteValues = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength)
    if (type === 'uint8') info.byteValues = raw
    if (type === 'float32') info.floatValues = () => Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true))
  } else {
    if (typed !== count) throw new ModelValidationError(`initializer ${name} has ${typed} values for shape ${formatShape(shape)}`)
    if (type === 'int64') info.int64Values = (t.int64Data ?? []).map((v) => BigInt(typeof v === 'number' ? v : v.toString()))
    if (type === 'float32') info.floatValues = () => t.floatData ?? []
    if (type === 'int8' || type === 'uint8') {
      const values = t.int32Data ?? []
      const [lo, hi] = type === 'int8' ? [-128, 127] : [0, 255]
      if (values.some((v) => v < lo || v > hi)) throw new ModelValidationError(`initializer ${name} has values outside ${type}`)
      info.byteValues = values
    }
  }
  return info
}

function typedLength(t: onnx.ITensorProto, type: ElementType): number {
  // where ONNX keeps non-raw data for each type (onnx.proto, TensorProto)
  switch (type) {
    case 'float32':
      return t.floatData?.length ?? 0
    case 'int64':
      return t.int64Data?.length ?? 0
    default:
      return t.int32Data?.length ?? 0
  }
}
