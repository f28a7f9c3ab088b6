/**
 * Matrix products: MatMul (float32, int32, int64), Gemm, MatMulInteger and QLinearMatMul.
 * Definitions: docs/CANONICAL_INFERENCE.md. Every output element is a sum over k in increasing
 * order from +0, each product and each partial sum rounded (float32) or wrapped (integers).
 */
import { roundHalfEven } from './math.ts'
import { alloc, broadcastStrides, INT_RANGE, pick, size, strides, type Data, type Kernel, type KernelContext, type KernelFactory } from './tensor.ts'

/** binary32 rounding (math.ts), bound locally: an imported binding is a property read per call in CommonJS output, on the hottest loops. */
const f32 = Math.fround

function matmulI32(a: Int32Array, aOff: number, b: Int32Array, bOff: number, out: Int32Array, outOff: number, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const row = outOff + i * n
    for (let p = 0; p < k; p++) {
      const x = a[aOff + i * k + p]
      const bRow = bOff + p * n
      for (let j = 0; j < n; j++) out[row + j] = out[row + j] + Math.imul(x, b[bRow + j])
    }
  }
}

function matmulI64(a: BigInt64Array, aOff: number, b: BigInt64Array, bOff: number, out: BigInt64Array, outOff: number, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const row = outOff + i * n
    for (let p = 0; p < k; p++) {
      const x = a[aOff + i * k + p]
      const bRow = bOff + p * n
      for (let j = 0; j < n; j++) out[row + j] = out[row + j] + x * b[bRow + j]
    }
  }
}

/** numpy matmul geometry: 1-D operands promoted, batch dims broadcast; offsets of each batch's A and B. */
function geometry(aShape: number[], bShape: number[]) {
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape
  const [m, k] = a2.slice(-2)
  const n = b2[b2.length - 1]
  const aBatch = a2.slice(0, -2)
  const bBatch = b2.slice(0, -2)
  const rank = Math.max(aBatch.length, bBatch.length)
  const batch: number[] = []
  for (let i = 0; i < rank; i++) {
    const da = aBatch[aBatch.length - rank + i] ?? 1
    const db = bBatch[bBatch.length - rank + i] ?? 1
    batch.push(da === 1 ? db : da)
  }
  // strides counted in whole matrices
  const sa = broadcastStrides(batch, aBatch)
  const sb = broadcastStrides(batch, bBatch)
  const count = size(batch)
  const offsets: [number, number][] = []
  const bs = strides(batch)
  for (let t = 0; t < count; t++) {
    let oa = 0
    let ob = 0
    for (let d = 0; d < batch.length; d++) {
      const c = Math.floor(t / bs[d]) % batch[d]
      oa += c * sa[d]
      ob += c * sb[d]
    }
    offsets.push([oa * m * k, ob * k * n])
  }
  return { m, k, n, offsets }
}

const matMul: KernelFactory = (ctx) => {
  const { m, k, n, offsets } = geometry(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape)
  const type = ctx.output.type
  const constB = type === 'float32' ? (ctx.inputs[1]!.data as Float32Array | undefined) : undefined
  const handle = constB === undefined ? undefined : ctx.arena.constant(constB)
  return (inputs) => {
    const a = pick(ctx, 0, inputs)!
    const b = pick(ctx, 1, inputs)!
    const out = alloc(type, offsets.length * m * n)
    offsets.forEach(([oa, ob], t) => {
      if (type === 'float32') ctx.arena.multiply(a as Float32Array, oa, handle ?? (b as Float32Array), ob, out as Float32Array, t * m * n, m, k, n)
      else if (type === 'int32') matmulI32(a as Int32Array, oa, b as Int32Array, ob, out as Int32Array, t * m * n, m, k, n)
      else matmulI64(a as BigInt64Array, oa, b as BigInt64Array, ob, out as BigInt64Array, t * m * n, m, k, n)
    })
    return out
  }
}

function transpose2d(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]
  return out
}

/** Gemm: y = f32(f32(α·S) + f32(β·c)), S = A′·B′ (canonical product), c broadcast; without C, y = f32(α·S). A constant B is transposed once. */
const gemm: KernelFactory = (ctx) => {
  const transA = ctx.attrs.flag('transA', 0)
  const transB = ctx.attrs.flag('transB', 0)
  const alpha = ctx.attrs.float('alpha', 1)
  const beta = ctx.attrs.float('beta', 1)
  const [aRows, aCols] = ctx.inputs[0]!.shape
  const [bRows, bCols] = ctx.inputs[1]!.shape
  const [m, n] = ctx.output.shape
  const k = transA ? aRows : aCols
  const constB = ctx.inputs[1]!.data as Float32Array | undefined
  const fixedB = constB === undefined ? undefined : ctx.arena.constant(transB ? transpose2d(constB, bRows, bCols) : constB)
  const c = ctx.inputs[2]
  const cStrides = c === undefined ? undefined : broadcastStrides([m, n], c.shape)
  return (inputs) => {
    const a0 = pick(ctx, 0, inputs) as Float32Array
    const a = transA ? transpose2d(a0, aRows, aCols) : a0
    const b = fixedB ?? (transB ? transpose2d(inputs[1] as Float32Array, bRows, bCols) : (inputs[1] as Float32Array))
    const out = new Float32Array(m * n)
    ctx.arena.multiply(a, 0, b, 0, out, 0, m, k, n)
    const cData = pick(ctx, 2, inputs) as Float32Array | undefined
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const t = f32(alpha * out[i * n + j])
        out[i * n + j] = cData === undefined ? t : t + f32(beta * cData[i * cStrides![0] + j * cStrides![1]])
      }
    }
    return out
  }
}

/** A quantization parameter per column (length n) or per tensor, as a lookup by column. */
function perColumn(data: ArrayLike<number> | undefined, fallback = 0): (j: number) => number {
  if (data === undefined) return () => fallback
  return data.length === 1 ? () => data[0] : (j) => data[j]
}

/** Σ_k (a − aZero)(b − bZero[j]) for every output, exact in binary64 (|sum| < 2^53 within the tensor caps), then wrapped to int32. */
function integerProduct(ctx: KernelContext, inputs: readonly (Data | undefined)[], aZeroIndex: number, bZeroIndex: number, aIndex = 0, bIndex = 1): Int32Array {
  const { m, k, n, offsets } = geometry(ctx.inputs[aIndex]!.shape, ctx.inputs[bIndex]!.shape)
  const a = pick(ctx, aIndex, inputs) as ArrayLike<number>
  const b = pick(ctx, bIndex, inputs) as ArrayLike<number>
  const aZero = (pick(ctx, aZeroIndex, inputs)?.[0] as number | undefined) ?? 0
  const bZero = perColumn(pick(ctx, bZeroIndex, inputs) as ArrayLike<number> | undefined)
  const out = new Int32Array(offsets.length * m * n)
  const acc = new Float64Array(n)
  offsets.forEach(([oa, ob], t) => {
    for (let i = 0; i < m; i++) {
      acc.fill(0)
      for (let p = 0; p < k; p++) {
        const x = a[oa + i * k + p] - aZero
        const bRow = ob + p * n
        for (let j = 0; j < n; j++) acc[j] += x * (b[bRow + j] - bZero(j))
      }
      out.set(acc, t * m * n + i * n) // the Int32Array store wraps modulo 2^32
    }
  })
  return out
}

const matMulInteger: KernelFactory = (ctx) => (inputs) => integerProduct(ctx, inputs, 2, 3)

/**
 * Requantization of an int32 accumulator: q = clamp(roundHalfEven(f32(f32(acc) · mult)) + zero), with
 * mult = f32(f32(inScale · weightScale) / outScale) per output channel.
 */
export function requantize(acc: Int32Array, channelOf: (i: number) => number, multipliers: Float32Array, zero: number, type: 'int8' | 'uint8'): Int8Array | Uint8Array {
  const [lo, hi] = INT_RANGE[type]
  const out = type === 'int8' ? new Int8Array(acc.length) : new Uint8Array(acc.length)
  for (let i = 0; i < acc.length; i++) {
    const v = f32(f32(acc[i]) * multipliers[channelOf(i)])
    const q = roundHalfEven(v) + zero
    out[i] = q < lo ? lo : q > hi ? hi : q
  }
  return out
}

/** Per-channel multipliers f32(f32(inScale · weightScale[c]) / outScale). */
export function multipliers(inScale: number, weightScales: ArrayLike<number>, outScale: number, channels: number): Float32Array {
  return Float32Array.from({ length: channels }, (_, c) => f32(f32(inScale * weightScales[weightScales.length === 1 ? 0 : c]) / outScale))
}

/** QLinearMatMul(a, aScale, aZero, b, bScale, bZero, yScale, yZero). */
const qLinearMatMul: KernelFactory = (ctx) => {
  const n = ctx.output.shape[ctx.output.shape.length - 1]
  const scale = (i: number) => ctx.inputs[i]!.data as Float32Array
  const mult = multipliers(scale(1)[0], scale(4), scale(6)[0], n)
  return (inputs) => {
    const acc = integerProduct(ctx, inputs, 2, 5, 0, 3)
    const zero = (pick(ctx, 7, inputs)?.[0] as number | undefined) ?? 0
    return requantize(acc, (i) => i % n, mult, zero, ctx.output.type as 'int8')
  }
}

export const LINALG: Record<string, KernelFactory> = {
  MatMul: matMul,
  Gemm: gemm,
  MatMulInteger: matMulInteger,
  QLinearMatMul: qLinearMatMul,
}

export type { Kernel }
