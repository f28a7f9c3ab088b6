/**
 * Kernels that move or reduce along axes: Reshape, Flatten, Squeeze, Unsqueeze (the data is
 * unchanged), Transpose, Concat, ReduceSum, ReduceMean, ArgMax, Softmax.
 * Definitions: docs/CANONICAL_INFERENCE.md.
 */
import { exp64 as exp64Import, maxF as ieeeMax } from './math.ts'
import { alloc, normAxis, pick, size, strides, type KernelContext, type KernelFactory } from './tensor.ts'

/** binary32 rounding (math.ts), bound locally: an imported binding is a property read per call in CommonJS output, on the hottest loops. */
const f32 = Math.fround
/** Bound locally for the same reason. */
const exp64 = exp64Import
const maxF = ieeeMax

/** Same elements, another shape. */
const view: KernelFactory = (ctx) => (inputs) => pick(ctx, 0, inputs)!

const transpose: KernelFactory = (ctx) => {
  const inShape = ctx.inputs[0]!.shape
  const rank = inShape.length
  const perm = ctx.attrs.ints('perm') ?? inShape.map((_, i) => rank - 1 - i)
  const inStrides = strides(inShape)
  const outShape = ctx.output.shape
  const total = size(outShape)
  // the input offset of each output element, walked with an odometer over the output dims
  const step = perm.map((p) => inStrides[p])
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as unknown as number[]
    const out = alloc(ctx.output.type, total) as unknown as number[]
    const counter = new Array<number>(rank).fill(0)
    let offset = 0
    for (let o = 0; o < total; o++) {
      out[o] = x[offset]
      for (let d = rank - 1; d >= 0; d--) {
        counter[d]++
        offset += step[d]
        if (counter[d] < outShape[d]) break
        offset -= step[d] * outShape[d]
        counter[d] = 0
      }
    }
    return out as never
  }
}

const concat: KernelFactory = (ctx) => {
  const outShape = ctx.output.shape
  const axis = normAxis(ctx.attrs.int('axis', 0), outShape.length)
  const outer = size(outShape.slice(0, axis))
  const inner = size(outShape.slice(axis + 1))
  const widths = ctx.inputs.map((x) => x!.shape[axis] * inner)
  const rowWidth = outShape[axis] * inner
  return (inputs) => {
    const out = alloc(ctx.output.type, size(outShape))
    let at = 0
    ctx.inputs.forEach((_, i) => {
      const x = pick(ctx, i, inputs)!
      const w = widths[i]
      for (let r = 0; r < outer; r++) (out as Float32Array).set((x as Float32Array).subarray(r * w, (r + 1) * w), r * rowWidth + at)
      at += w
    })
    return out
  }
}

/** The reduced axes of a ReduceSum/ReduceMean node (every axis when none are given); undefined for a no-op. */
function reducedAxes(ctx: KernelContext): Set<number> | undefined {
  const rank = ctx.inputs[0]!.shape.length
  const given = ctx.inputs[1]?.data !== undefined ? Array.from(ctx.inputs[1].data as BigInt64Array, Number) : ctx.attrs.ints('axes') ?? []
  if (given.length === 0 && ctx.attrs.flag('noop_with_empty_axes', 0)) return undefined
  return given.length === 0 ? new Set(Array.from({ length: rank }, (_, i) => i)) : new Set(given.map((a) => normAxis(a, rank)))
}

/**
 * ReduceSum / ReduceMean: each output is the sum of its inputs in increasing input order from 0,
 * rounded (float32) or wrapped (integers) after every addition; the mean divides once at the
 * end: f32(sum / count) for float32, truncation toward zero for integers.
 */
function reduce(mean: boolean): KernelFactory {
  return (ctx) => {
    const axes = reducedAxes(ctx)
    if (axes === undefined) return view(ctx)
    const inShape = ctx.inputs[0]!.shape
    const keptStrides = strides(inShape.map((d, i) => (axes.has(i) ? 1 : d)))
    const outStride = inShape.map((_, i) => (axes.has(i) ? 0 : keptStrides[i]))
    const count = inShape.reduce((n, d, i) => (axes.has(i) ? n * d : n), 1)
    const total = size(inShape)
    const type = ctx.output.type
    return (inputs) => {
      const x = pick(ctx, 0, inputs) as unknown as number[]
      const out = alloc(type, size(ctx.output.shape)) as unknown as number[]
      const rank = inShape.length
      const counter = new Array<number>(rank).fill(0)
      let o = 0
      for (let i = 0; i < total; i++) {
        out[o] = out[o] + x[i]
        for (let d = rank - 1; d >= 0; d--) {
          counter[d]++
          o += outStride[d]
          if (counter[d] < inShape[d]) break
          o -= outStride[d] * inShape[d]
          counter[d] = 0
        }
      }
      if (mean) {
        if (type === 'float32') for (let i = 0; i < out.length; i++) out[i] = out[i] / count
        else if (type === 'int64') for (let i = 0; i < out.length; i++) out[i] = ((out[i] as unknown as bigint) / BigInt(count)) as never
        else for (let i = 0; i < out.length; i++) out[i] = (out[i] - (out[i] % count)) / count
      }
      return out as never
    }
  }
}

/** Outer × axis × inner decomposition of a shape around an axis. */
function around(shape: readonly number[], axis: number) {
  return { outer: size(shape.slice(0, axis)), length: shape[axis], inner: size(shape.slice(axis + 1)) }
}

/** ArgMax: the first index of the largest value (`v > best`), or the last (`v >= best`) with select_last_index; NaN never replaces. */
const argMax: KernelFactory = (ctx) => {
  const inShape = ctx.inputs[0]!.shape
  const { outer, length, inner } = around(inShape, normAxis(ctx.attrs.int('axis', 0), inShape.length))
  const last = ctx.attrs.flag('select_last_index', 0)
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as unknown as number[]
    const out = new BigInt64Array(outer * inner)
    for (let a = 0; a < outer; a++) {
      for (let b = 0; b < inner; b++) {
        const base = a * length * inner + b
        let best = x[base]
        let at = 0
        for (let i = 1; i < length; i++) {
          const v = x[base + i * inner]
          if (last ? v >= best : v > best) {
            best = v
            at = i
          }
        }
        out[a * inner + b] = BigInt(at)
      }
    }
    return out
  }
}

/**
 * Softmax along one axis: m = IEEE maximum of the slice, e_i = f32(exp64(f32(x_i − m))),
 * s = Σ e_i in order from +0 (f32 after each addition), y_i = f32(e_i / s).
 */
const softmax: KernelFactory = (ctx) => {
  const shape = ctx.output.shape
  const { outer, length, inner } = around(shape, normAxis(ctx.attrs.int('axis', -1), shape.length))
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as Float32Array
    const out = new Float32Array(x.length)
    for (let a = 0; a < outer; a++) {
      for (let b = 0; b < inner; b++) {
        const base = a * length * inner + b
        let m = x[base]
        for (let i = 1; i < length; i++) m = maxF(m, x[base + i * inner])
        let s = 0
        for (let i = 0; i < length; i++) {
          const e = f32(exp64(f32(x[base + i * inner] - m)))
          out[base + i * inner] = e
          s = f32(s + e)
        }
        for (let i = 0; i < length; i++) out[base + i * inner] = out[base + i * inner] / s
      }
    }
    return out
  }
}

export const LAYOUT: Record<string, KernelFactory> = {
  Reshape: view,
  Flatten: view,
  Squeeze: view,
  Unsqueeze: view,
  Transpose: transpose,
  Concat: concat,
  ReduceSum: reduce(false),
  ReduceMean: reduce(true),
  ArgMax: argMax,
  Softmax: softmax,
}
