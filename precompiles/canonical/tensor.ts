/**
 * Tensors as canonical inference holds them (row-major typed arrays), and the index arithmetic
 * every kernel shares: strides, numpy broadcasting, and walking an output row by row.
 */
import type { ElementType } from '../onnx/tensors.ts'
import type { Attrs, AllowedOp } from '../onnx/operators.ts'
import type { MatmulArena } from './arena.ts'

/** A tensor's elements in row-major order. Stores into these arrays round (Float32Array) or wrap (the integer arrays) as the definition says. */
export type Data = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array

/** A tensor known at plan time: its type and shape, and its elements when it is a constant (initializer). */
export interface Operand {
  type: ElementType
  shape: number[]
  data?: Data
}

/** One node, ready to run: inputs in, a freshly allocated output out. Never writes to its inputs. */
export type Kernel = (inputs: readonly (Data | undefined)[]) => Data

/** What a kernel factory knows about its node when the plan is built. */
export interface KernelContext {
  op: AllowedOp
  attrs: Attrs
  inputs: readonly (Operand | undefined)[]
  output: { type: ElementType; shape: number[] }
  opset: number
  /** The compiled model's float32 matrix products (weights resident in WebAssembly memory). */
  arena: MatmulArena
}

export type KernelFactory = (ctx: KernelContext) => Kernel

export function alloc(type: ElementType, length: number): Data {
  switch (type) {
    case 'float32':
      return new Float32Array(length)
    case 'int8':
      return new Int8Array(length)
    case 'uint8':
      return new Uint8Array(length)
    case 'int32':
      return new Int32Array(length)
    case 'int64':
      return new BigInt64Array(length)
  }
}

/** Smallest and largest value of an integer type (int64 as bigints elsewhere). */
export const INT_RANGE: Record<'int8' | 'uint8' | 'int32', [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-2147483648, 2147483647],
}

export function size(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length)
  let s = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s
    s *= shape[i]
  }
  return out
}

/** Strides of `inShape` read as `outShape` under numpy broadcasting (right-aligned; 0 along a broadcast dim), one per output dim. */
export function broadcastStrides(outShape: readonly number[], inShape: readonly number[]): number[] {
  const own = strides(inShape)
  const offset = outShape.length - inShape.length
  return outShape.map((_, i) => (i < offset || inShape[i - offset] === 1 ? 0 : own[i - offset]))
}

/**
 * Walks `shape` row by row (the last dim is a row; a scalar is one row of one) and calls
 * `row(outOffset, offsets)` with the flat offset of the row's first element in each operand, given
 * each operand's strides along `shape`. The caller then steps along the row by the operand's
 * last stride. `offsets` is reused between calls.
 */
export function walkRows(shape: readonly number[], operandStrides: readonly (readonly number[])[], row: (outOffset: number, offsets: Int32Array | number[]) => void): void {
  const rank = shape.length
  const inner = rank === 0 ? 1 : shape[rank - 1]
  const total = size(shape)
  const k = operandStrides.length
  const offsets = new Array<number>(k).fill(0)
  const counter = new Array<number>(Math.max(rank - 1, 0)).fill(0)
  for (let out = 0; out < total; out += inner) {
    row(out, offsets)
    // advance the odometer over the outer dims, updating every operand's offset incrementally
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++
      if (counter[d] < shape[d]) {
        for (let j = 0; j < k; j++) offsets[j] += operandStrides[j][d]
        break
      }
      counter[d] = 0
      for (let j = 0; j < k; j++) offsets[j] -= operandStrides[j][d] * (shape[d] - 1)
    }
  }
}

/** The last entry of a strides list (the step along a row), 1 for a scalar. */
export function rowStep(s: readonly number[]): number {
  return s.length === 0 ? 0 : s[s.length - 1]
}

/** A constant input's elements, or the run-time one. */
export function pick(ctx: KernelContext, i: number, inputs: readonly (Data | undefined)[]): Data | undefined {
  return ctx.inputs[i]?.data ?? inputs[i]
}

/** A scalar-like constant parameter (one element) as a number or bigint; undefined when omitted. */
export function scalarOf(op: Operand | undefined): number | bigint | undefined {
  return op?.data?.[0]
}

/** Normalizes an axis to [0, rank). The analyzer already refused one out of range. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis
}
