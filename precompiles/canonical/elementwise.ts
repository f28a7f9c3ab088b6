/**
 * Element-wise kernels: unary and binary arithmetic, activations, variadic Max/Min, Clip, Cast,
 * quantization and BatchNormalization. Definitions: docs/CANONICAL_INFERENCE.md.
 */
import { expF32, maxF, minF, roundHalfEven, sigmoidF32, tanhF32 } from './math.ts'
import { alloc, broadcastStrides, INT_RANGE, normAxis, pick, rowStep, scalarOf, size, walkRows, type Data, type Kernel, type KernelContext, type KernelFactory } from './tensor.ts'

/** binary32 rounding (math.ts), bound locally: an imported binding is a property read per call in CommonJS output, on the hottest loops. */
const f32 = Math.fround

/**
 * An element: a number, or a bigint in an int64 tensor. One function body serves both (`+`, `-`,
 * `*` and comparisons work on either; the typed array the result is stored in rounds or wraps).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Num = any
type Binary = (a: Num, b: Num) => Num

/** numpy-broadcast binary kernel: out[i] = f(a[..], b[..]), the store rounding (float32) or wrapping (integers). */
function binaryKernel(ctx: KernelContext, f: Binary): Kernel {
  const { shape, type } = ctx.output
  const sa = broadcastStrides(shape, ctx.inputs[0]!.shape)
  const sb = broadcastStrides(shape, ctx.inputs[1]!.shape)
  const [stepA, stepB] = [rowStep(sa), rowStep(sb)]
  const inner = shape.length === 0 ? 1 : shape[shape.length - 1]
  const same = stepA === 1 && stepB === 1 && size(ctx.inputs[0]!.shape) === size(shape) && size(ctx.inputs[1]!.shape) === size(shape)
  return (inputs) => {
    const a = pick(ctx, 0, inputs) as unknown as Num[]
    const b = pick(ctx, 1, inputs) as unknown as Num[]
    const out = alloc(type, size(shape)) as unknown as Num[]
    if (same) {
      for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i])
      return out as unknown as Data
    }
    walkRows(shape, [sa, sb], (o, [ia, ib]) => {
      for (let j = 0; j < inner; j++, ia += stepA, ib += stepB) out[o + j] = f(a[ia], b[ib])
    })
    return out as unknown as Data
  }
}

const add: Binary = (a, b) => (a + b) as Num
const sub: Binary = (a, b) => (a - b) as Num
const mul: Binary = (a, b) => (a * b) as Num
const imul32: Binary = (a, b) => Math.imul(a, b) as Num
const div: Binary = (a, b) => (a / b) as Num

function binary(f: Binary, int32?: Binary): KernelFactory {
  return (ctx) => binaryKernel(ctx, ctx.output.type === 'int32' && int32 ? int32 : f)
}

type Unary = (x: Num) => Num

function unaryKernel(ctx: KernelContext, f: Unary): Kernel {
  const { type, shape } = ctx.output
  return (inputs) => {
    const x = pick(ctx, 0, inputs) as unknown as Num[]
    const out = alloc(type, size(shape)) as unknown as Num[]
    for (let i = 0; i < out.length; i++) out[i] = f(x[i])
    return out as unknown as Data
  }
}

function unary(float: Unary, int: Unary = float, int64: Unary = int): KernelFactory {
  return (ctx) => unaryKernel(ctx, ctx.output.type === 'float32' ? float : ctx.output.type === 'int64' ? int64 : int)
}

const identity: KernelFactory = (ctx) => (inputs) => pick(ctx, 0, inputs)!

const reluF: Unary = (x) => (x > 0 || x !== x ? x : 0) as Num
const reluI: Unary = (x) => (x > 0 ? x : 0) as Num
const neg: Unary = (x) => -x as Num
const absF: Unary = (x) => Math.abs(x) as Num
const absI: Unary = (x) => (x < 0 ? -x : x) as Num
const absBig: Unary = (x) => (x < 0n ? -x : x) as Num

const leakyRelu: KernelFactory = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.01)
  return unaryKernel(ctx, ((x: number) => (x < 0 ? alpha * x : x)) as Unary)
}

/** Variadic Max/Min: a left fold over the inputs, each broadcast to the output shape. */
function variadic(float: Binary, other: Binary): KernelFactory {
  return (ctx) => {
    const f = ctx.output.type === 'float32' ? float : other
    const { type, shape } = ctx.output
    const n = ctx.inputs.length
    const all = ctx.inputs.map((x) => broadcastStrides(shape, x!.shape))
    const steps = all.map(rowStep)
    const inner = shape.length === 0 ? 1 : shape[shape.length - 1]
    return (inputs) => {
      const xs = ctx.inputs.map((_, i) => pick(ctx, i, inputs) as unknown as Num[])
      const out = alloc(type, size(shape)) as unknown as Num[]
      walkRows(shape, all, (o, offsets) => {
        for (let j = 0; j < inner; j++) {
          let v = xs[0][offsets[0] + j * steps[0]]
          for (let i = 1; i < n; i++) v = f(v, xs[i][offsets[i] + j * steps[i]])
          out[o + j] = v
        }
      })
      return out as unknown as Data
    }
  }
}
const greater: Binary = (a, b) => (b > a ? b : a)
const lesser: Binary = (a, b) => (b < a ? b : a)

/** Clip(x, lo?, hi?): v = x < lo ? lo : x, then v > hi ? hi : v (NaN stays NaN). */
const clip: KernelFactory = (ctx) => {
  const lo = scalarOf(ctx.inputs[1])
  const hi = scalarOf(ctx.inputs[2])
  const bounded = (lo: Num | undefined, hi: Num | undefined): Unary => (x) => {
    let v = x
    if (lo !== undefined && v < lo) v = lo
    if (hi !== undefined && v > hi) v = hi
    return v
  }
  // bounds given at run time (not initializers) are read per call
  if ((ctx.inputs[1] !== undefined && lo === undefined) || (ctx.inputs[2] !== undefined && hi === undefined)) {
    return (inputs) => unaryKernel(ctx, bounded(pick(ctx, 1, inputs)?.[0] as Num | undefined, pick(ctx, 2, inputs)?.[0] as Num | undefined))(inputs)
  }
  return unaryKernel(ctx, bounded(lo as Num | undefined, hi as Num | undefined))
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Cast. float32 → integer: NaN → 0, else truncated toward zero and saturated to the target's range.
 * integer → float32: rounded to binary64, then to binary32. integer → integer: two's complement
 * wrap (the low bits). Same type: a copy.
 */
const cast: KernelFactory = (ctx) => {
  const from = ctx.inputs[0]!.type
  const to = ctx.output.type
  let f: Unary
  if (from === to) return identity(ctx)
  if (from === 'float32') {
    if (to === 'int64') {
      f = ((x: number) => (x !== x ? 0n : x >= 9223372036854775807 ? INT64_MAX : x <= -9223372036854775808 ? INT64_MIN : BigInt(Math.trunc(x)))) as Unary
    } else {
      const [lo, hi] = INT_RANGE[to as 'int8']
      f = ((x: number) => (x !== x ? 0 : x <= lo ? lo : x >= hi ? hi : Math.trunc(x))) as Unary
    }
  } else if (to === 'float32') {
    f = from === 'int64' ? (((x: bigint) => Number(x)) as unknown as Unary) : ((x: number) => x) as Unary
  } else if (from === 'int64') {
    f = ((x: bigint) => Number(BigInt.asIntN(32, x))) as unknown as Unary // the store then wraps to int8/uint8
  } else if (to === 'int64') {
    f = ((x: number) => BigInt(x)) as Unary
  } else {
    f = ((x: number) => x) as Unary // the store wraps
  }
  return unaryKernel(ctx, f)
}

/** The index of the channel (along `axis`) of each element, for per-axis parameters; undefined for per-tensor ones. */
function channelOf(shape: readonly number[], axisAttr: number, paramLength: number): ((i: number) => number) | undefined {
  if (paramLength === 1 || shape.length === 0) return undefined
  const axis = normAxis(axisAttr, shape.length)
  let inner = 1
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]
  const channels = shape[axis]
  return (i) => Math.floor(i / inner) % channels
}

/** QuantizeLinear: q = clamp(roundHalfEven(f32(x / scale)) + zeroPoint) (NaN counts as 0). */
const quantize: KernelFactory = (ctx) => {
  const scale = ctx.inputs[1]!.data as Float32Array // an initializer (the analyzer requires it)
  const [lo, hi] = INT_RANGE[ctx.output.type as 'int8']
  const channel = channelOf(ctx.inputs[0]!.shape, ctx.attrs.int('axis', 1), scale.length)
  return unaryKernelIndexed(ctx, (inputs) => {
    const zero = pick(ctx, 2, inputs)
    return (x, i) => {
      const c = channel === undefined ? 0 : channel(i)
      const v = f32(x / scale[c])
      const q = (v !== v ? 0 : roundHalfEven(v)) + (zero === undefined ? 0 : (zero[c] as number))
      return q < lo ? lo : q > hi ? hi : q
    }
  })
}

/** DequantizeLinear: y = f32(f32(x − zeroPoint) · scale). */
const dequantize: KernelFactory = (ctx) => {
  const scale = ctx.inputs[1]!.data as Float32Array
  const channel = channelOf(ctx.inputs[0]!.shape, ctx.attrs.int('axis', 1), scale.length)
  return unaryKernelIndexed(ctx, (inputs) => {
    const zero = pick(ctx, 2, inputs)
    return (x, i) => {
      const c = channel === undefined ? 0 : channel(i)
      return f32(x - (zero === undefined ? 0 : (zero[c] as number))) * scale[c]
    }
  })
}

/** An element-wise kernel whose function also sees the element's index; `make` binds the run's other inputs. */
function unaryKernelIndexed(ctx: KernelContext, make: (inputs: readonly (Data | undefined)[]) => (x: number, i: number) => number): Kernel {
  const { type, shape } = ctx.output
  return (inputs) => {
    const f = make(inputs)
    const x = pick(ctx, 0, inputs) as ArrayLike<number>
    const out = alloc(type, size(shape)) as Float32Array
    for (let i = 0; i < out.length; i++) out[i] = f(x[i], i)
    return out
  }
}

/** BatchNormalization (inference): y = f32(f32(f32(f32(x − mean) / f32(√f32(var + ε))) · scale) + bias), per channel (dim 1). */
const batchNorm: KernelFactory = (ctx) => {
  const eps = ctx.attrs.float('epsilon', 1e-5)
  const shape = ctx.output.shape
  const channels = shape[1]
  let inner = 1
  for (let d = 2; d < shape.length; d++) inner *= shape[d]
  return (inputs) => {
    const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => pick(ctx, i, inputs) as Float32Array)
    const denom = variance.map((v) => f32(Math.sqrt(f32(v + eps))))
    const out = new Float32Array(size(shape))
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % channels
      out[i] = f32(f32(f32(x[i] - mean[c]) / denom[c]) * scale[c]) + bias[c]
    }
    return out
  }
}

export const ELEMENTWISE: Record<string, KernelFactory> = {
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul, imul32),
  Div: binary(div),
  Relu: unary(reluF, reluI),
  Sigmoid: unary(sigmoidF32 as Unary),
  Tanh: unary(tanhF32 as Unary),
  Exp: unary(expF32 as Unary),
  Neg: unary(neg),
  Abs: unary(absF, absI, absBig),
  Identity: identity,
  LeakyRelu: leakyRelu,
  Max: variadic(maxF as Binary, greater),
  Min: variadic(minF as Binary, lesser),
  Clip: clip,
  Cast: cast,
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  BatchNormalization: batchNorm,
}
