/**
 * Sliding-window kernels: Conv, ConvInteger, QLinearConv, MaxPool, AveragePool, over any number of
 * spatial dims. Definitions: docs/CANONICAL_INFERENCE.md. For each output position the window's
 * taps are visited in row-major kernel order, padded positions skipped; a convolution sums over
 * input channels (outer) and taps (inner) from +0 and adds the bias last.
 */
import { maxF as ieeeMax } from './math.ts'
import { multipliers, requantize } from './linalg.ts'
import { alloc, pick, size, type Data, type KernelContext, type KernelFactory } from './tensor.ts'
import type { Attrs } from '../onnx/operators.ts'

/** binary32 rounding (math.ts), bound locally: an imported binding is a property read per call in CommonJS output, on the hottest loops. */
const f32 = Math.fround
/** Bound locally for the same reason. */
const maxF = ieeeMax

/** Per spatial dim, for each output coordinate, the valid (kernel index, input coordinate) pairs, in kernel order. */
interface DimTaps {
  /** Pairs of output coordinate o are pairs[2·start[o] …] up to pairs[2·start[o + 1]]. */
  start: Int32Array
  /** Flat k0, i0, k1, i1, … */
  pairs: Int32Array
}

interface Window {
  outSpatial: number[]
  taps: DimTaps[]
  /** Elements of the whole kernel (padded taps included): AveragePool's count_include_pad divisor. */
  kernelSize: number
  /** Scratch for gatherTaps (one output position's coordinates): kernels run one at a time. */
  coords: Int32Array
}

function window(attrs: Attrs, spatial: number[], kernel: number[], outSpatial: number[]): Window {
  const n = spatial.length
  const stridesAttr = attrs.ints('strides') ?? Array(n).fill(1)
  const dilations = attrs.ints('dilations') ?? Array(n).fill(1)
  const autoPad = attrs.string('auto_pad', 'NOTSET')
  const pads = attrs.ints('pads') ?? Array(2 * n).fill(0)
  const taps = spatial.map((size, d): DimTaps => {
    let begin = autoPad === 'NOTSET' ? pads[d] : 0
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (outSpatial[d] - 1) * stridesAttr[d] + dilations[d] * (kernel[d] - 1) + 1 - size)
      begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2)
    }
    // flat typed arrays: an output dim may have millions of coordinates
    const start = new Int32Array(outSpatial[d] + 1)
    const pairs = new Int32Array(2 * outSpatial[d] * kernel[d])
    let count = 0
    for (let o = 0; o < outSpatial[d]; o++) {
      start[o] = count
      for (let k = 0; k < kernel[d]; k++) {
        const i = o * stridesAttr[d] - begin + k * dilations[d]
        if (i >= 0 && i < size) {
          pairs[2 * count] = k
          pairs[2 * count + 1] = i
          count++
        }
      }
    }
    start[outSpatial[d]] = count
    return { start, pairs }
  })
  return { outSpatial, taps, kernelSize: size(kernel), coords: new Int32Array(spatial.length) }
}

/**
 * The taps of one output position (flat spatial index `p`): fills `kOff` (offset in the kernel)
 * and `xOff` (offset in the input image) in row-major kernel order; returns their count.
 */
function gatherTaps(w: Window, p: number, spatial: number[], kernel: number[], kOff: Int32Array, xOff: Int32Array): number {
  const n = spatial.length
  let rest = p
  let count = 1
  kOff[0] = 0
  xOff[0] = 0
  // coordinates from the last dim up, the product built from dim 0: row-major kernel order
  const coords = w.coords
  for (let d = n - 1; d >= 0; d--) {
    coords[d] = rest % w.outSpatial[d]
    rest = Math.floor(rest / w.outSpatial[d])
  }
  for (let d = 0; d < n; d++) {
    const { start, pairs } = w.taps[d]
    const first = start[coords[d]]
    const pairCount = start[coords[d] + 1] - first
    const next = count * pairCount
    for (let t = next - 1; t >= 0; t--) {
      const prev = Math.floor(t / pairCount)
      const q = first + (t % pairCount)
      kOff[t] = kOff[prev] * kernel[d] + pairs[2 * q]
      xOff[t] = xOff[prev] * spatial[d] + pairs[2 * q + 1]
    }
    count = next
  }
  return count
}

interface ConvGeometry {
  batch: number
  channels: number
  outChannels: number
  group: number
  spatial: number[]
  kernel: number[]
  w: Window
  imageSize: number
  outImage: number
}

function convGeometry(ctx: KernelContext, xIndex: number, wIndex: number): ConvGeometry {
  const [batch, channels, ...spatial] = ctx.inputs[xIndex]!.shape
  const [outChannels, , ...kernel] = ctx.inputs[wIndex]!.shape
  const outSpatial = ctx.output.shape.slice(2)
  return {
    batch, channels, outChannels, spatial, kernel,
    group: ctx.attrs.int('group', 1),
    w: window(ctx.attrs, spatial, kernel, outSpatial),
    imageSize: size(spatial),
    outImage: size(outSpatial),
  }
}

/**
 * The shared convolution loop: for each output position, batch item and output channel, the sum
 * over the group's input channels (outer) and the taps (inner), written to `out`. `exact` sums
 * integers in binary64 (exact within the tensor caps; the caller wraps); otherwise the canonical
 * float32 sum, acc = f32(acc + f32(x·w)). Two loops, not a callback per tap: this is the hot path
 * of every convolution, and the gas schedule's slowest operator.
 */
function convolve(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, out: Float32Array | Float64Array, exact: boolean, xZero = 0): void {
  const perGroupIn = g.channels / g.group
  const perGroupOut = g.outChannels / g.group
  const kernelSize = g.w.kernelSize
  const kOff = new Int32Array(kernelSize)
  const xOff = new Int32Array(kernelSize)
  for (let p = 0; p < g.outImage; p++) {
    const taps = gatherTaps(g.w, p, g.spatial, g.kernel, kOff, xOff)
    for (let b = 0; b < g.batch; b++) {
      for (let m = 0; m < g.outChannels; m++) {
        const first = Math.floor(m / perGroupOut) * perGroupIn
        let acc = 0
        for (let c = 0; c < perGroupIn; c++) {
          const xBase = (b * g.channels + first + c) * g.imageSize
          const wBase = (m * perGroupIn + c) * kernelSize
          if (exact) for (let t = 0; t < taps; t++) acc += (x[xBase + xOff[t]] - xZero) * w[wBase + kOff[t]]
          else for (let t = 0; t < taps; t++) acc = f32(acc + f32(x[xBase + xOff[t]] * w[wBase + kOff[t]]))
        }
        out[(b * g.outChannels + m) * g.outImage + p] = acc
      }
    }
  }
}

/** Conv: acc over channels and taps (canonical float32 sum), then y = f32(acc + bias[m]). */
const conv: KernelFactory = (ctx) => {
  const g = convGeometry(ctx, 0, 1)
  const weights = ctx.inputs[1]!.data as Float32Array | undefined
  const viaProducts = weights !== undefined && weights.every(Number.isFinite) ? convAsProducts(ctx, g, weights) : undefined
  return (inputs) => {
    const out = new Float32Array(size(ctx.output.shape))
    const x = pick(ctx, 0, inputs) as Float32Array
    if (viaProducts !== undefined) viaProducts(x, out)
    else convolve(g, x, pick(ctx, 1, inputs) as Float32Array, out, false)
    const bias = pick(ctx, 2, inputs) as Float32Array | undefined
    if (bias !== undefined) for (let i = 0; i < out.length; i++) out[i] = out[i] + bias[Math.floor(i / g.outImage) % g.outChannels]
    return out
  }
}

/** Most elements of one im2col block (rows of output positions × the group's channels·taps). */
const IM2COL_BLOCK = 1 << 18

/**
 * Conv through the float32 matrix product (WebAssembly SIMD), bit for bit the definition's sum:
 * per image and group, a block of rows — one per output position, holding the group's input
 * values in (channel, tap) order with 0 at padded taps — times the group's weights laid out as
 * [channels·taps, outChannels]. Each output is then Σ over (c, t) in the definition's order, and
 * a padded tap adds f32(0·w) = ±0, which leaves the sum unchanged (it starts at +0 and can never
 * become −0) exactly as skipping the tap does — for finite weights only (0·∞ is NaN), so a model
 * with a non-finite weight takes the loop.
 */
function convAsProducts(ctx: KernelContext, g: ConvGeometry, weights: Float32Array): (x: Float32Array, out: Float32Array) => void {
  const inPerGroup = g.channels / g.group
  const outPerGroup = g.outChannels / g.group
  const kernelSize = g.w.kernelSize
  const depth = inPerGroup * kernelSize
  // per group: W' [depth, outPerGroup], W'[c·K + k][m] = W[group·outPerGroup + m][c][k]
  const handles = Array.from({ length: g.group }, (_, grp) => {
    const wt = new Float32Array(depth * outPerGroup)
    for (let m = 0; m < outPerGroup; m++) {
      const base = (grp * outPerGroup + m) * depth
      for (let d = 0; d < depth; d++) wt[d * outPerGroup + m] = weights[base + d]
    }
    return ctx.arena.constant(wt)
  })
  const rowsPerBlock = Math.max(1, Math.floor(IM2COL_BLOCK / depth))
  return (x, out) => {
    const kOff = new Int32Array(kernelSize)
    const xOff = new Int32Array(kernelSize)
    const rows = Math.min(rowsPerBlock, g.outImage)
    const col = new Float32Array(rows * depth)
    const prod = new Float32Array(rows * outPerGroup)
    for (let b = 0; b < g.batch; b++) {
      for (let grp = 0; grp < g.group; grp++) {
        for (let p0 = 0; p0 < g.outImage; p0 += rows) {
          const n = Math.min(rows, g.outImage - p0)
          col.fill(0, 0, n * depth)
          for (let r = 0; r < n; r++) {
            const taps = gatherTaps(g.w, p0 + r, g.spatial, g.kernel, kOff, xOff)
            for (let c = 0; c < inPerGroup; c++) {
              const xBase = (b * g.channels + grp * inPerGroup + c) * g.imageSize
              const rowBase = r * depth + c * kernelSize
              for (let t = 0; t < taps; t++) col[rowBase + kOff[t]] = x[xBase + xOff[t]]
            }
          }
          ctx.arena.multiply(col, 0, handles[grp], 0, prod, 0, n, depth, outPerGroup)
          for (let m = 0; m < outPerGroup; m++) {
            const outBase = (b * g.outChannels + grp * outPerGroup + m) * g.outImage + p0
            for (let r = 0; r < n; r++) out[outBase + r] = prod[r * outPerGroup + m]
          }
        }
      }
    }
  }
}

/** Σ (x − xZero)(w − wZero[m]) exactly (binary64 holds it within the tensor caps), then + bias, wrapped to int32. */
function integerConv(ctx: KernelContext, inputs: readonly (Data | undefined)[], g: ConvGeometry, idx: { x: number; xZero: number; w: number; wZero: number; bias?: number }): Int32Array {
  const x = pick(ctx, idx.x, inputs) as ArrayLike<number>
  const w = pick(ctx, idx.w, inputs) as ArrayLike<number>
  const xZero = (pick(ctx, idx.xZero, inputs)?.[0] as number | undefined) ?? 0
  const wZeros = pick(ctx, idx.wZero, inputs) as ArrayLike<number> | undefined
  const sums = new Float64Array(size(ctx.output.shape))
  if (wZeros === undefined || (wZeros.length === 1 && wZeros[0] === 0)) {
    convolve(g, x, w, sums, true, xZero)
  } else {
    // zero points per output channel: shift the weights once per call
    const perChannel = w.length / g.outChannels
    const shifted = Float64Array.from({ length: w.length }, (_, i) => w[i] - wZeros[wZeros.length === 1 ? 0 : Math.floor(i / perChannel)])
    convolve(g, x, shifted, sums, true, xZero)
  }
  const bias = idx.bias === undefined ? undefined : (pick(ctx, idx.bias, inputs) as Int32Array | undefined)
  if (bias !== undefined) for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] | 0) + bias[Math.floor(i / g.outImage) % g.outChannels]
  const out = new Int32Array(sums.length)
  out.set(sums) // wraps modulo 2^32
  return out
}

const convInteger: KernelFactory = (ctx) => {
  const g = convGeometry(ctx, 0, 1)
  return (inputs) => integerConv(ctx, inputs, g, { x: 0, xZero: 2, w: 1, wZero: 3 })
}

/** QLinearConv(x, xScale, xZero, w, wScale, wZero, yScale, yZero, bias?): integer sum + bias, requantized per output channel. */
const qLinearConv: KernelFactory = (ctx) => {
  const g = convGeometry(ctx, 0, 3)
  const scale = (i: number) => ctx.inputs[i]!.data as Float32Array
  const mult = multipliers(scale(1)[0], scale(4), scale(6)[0], g.outChannels)
  return (inputs) => {
    const acc = integerConv(ctx, inputs, g, { x: 0, xZero: 2, w: 3, wZero: 5, bias: 8 })
    const zero = (pick(ctx, 7, inputs)?.[0] as number | undefined) ?? 0
    return requantize(acc, (i) => Math.floor(i / g.outImage) % g.outChannels, mult, zero, ctx.output.type as 'int8')
  }
}

function poolGeometry(ctx: KernelContext) {
  const [batch, channels, ...spatial] = ctx.inputs[0]!.shape
  const kernel = ctx.attrs.ints('kernel_shape')!
  const w = window(ctx.attrs, spatial, kernel, ctx.output.shape.slice(2))
  return { planes: batch * channels, spatial, kernel, w, imageSize: size(spatial), outImage: size(ctx.output.shape.slice(2)) }
}

/** MaxPool: the IEEE maximum (NaN wins) over the window's taps, first tap first. */
const maxPool: KernelFactory = (ctx) => {
  const g = poolGeometry(ctx)
  const float = ctx.output.type === 'float32'
  const empty = float ? -Infinity : ctx.output.type === 'int8' ? -128 : 0
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as ArrayLike<number>
    const out = alloc(ctx.output.type, size(ctx.output.shape)) as Float32Array
    const kOff = new Int32Array(g.w.kernelSize)
    const xOff = new Int32Array(g.w.kernelSize)
    for (let p = 0; p < g.outImage; p++) {
      const taps = gatherTaps(g.w, p, g.spatial, g.kernel, kOff, xOff)
      for (let plane = 0; plane < g.planes; plane++) {
        const base = plane * g.imageSize
        // a window with no tap inside the input (dilation can skip it) holds the type's lowest value
        let v = taps === 0 ? empty : x[base + xOff[0]]
        for (let t = 1; t < taps; t++) {
          const next = x[base + xOff[t]]
          v = float ? maxF(v, next) : next > v ? next : v
        }
        out[plane * g.outImage + p] = v
      }
    }
    return out
  }
}

/** AveragePool: f32 sum over the taps in order from +0, then f32(sum / count), count = taps (or the whole kernel with count_include_pad). */
const averagePool: KernelFactory = (ctx) => {
  const g = poolGeometry(ctx)
  const includePad = ctx.attrs.flag('count_include_pad', 0)
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as Float32Array
    const out = new Float32Array(size(ctx.output.shape))
    const kOff = new Int32Array(g.w.kernelSize)
    const xOff = new Int32Array(g.w.kernelSize)
    for (let p = 0; p < g.outImage; p++) {
      const taps = gatherTaps(g.w, p, g.spatial, g.kernel, kOff, xOff)
      const count = includePad ? g.w.kernelSize : taps
      for (let plane = 0; plane < g.planes; plane++) {
        const base = plane * g.imageSize
        let s = 0
        for (let t = 0; t < taps; t++) s = f32(s + x[base + xOff[t]])
        out[plane * g.outImage + p] = s / count
      }
    }
    return out
  }
}

export const WINDOW: Record<string, KernelFactory> = {
  Conv: conv,
  ConvInteger: convInteger,
  QLinearConv: qLinearConv,
  MaxPool: maxPool,
  AveragePool: averagePool,
}
