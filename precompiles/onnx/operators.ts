/**
 * The operator allowlist and, for each allowed operator, its static rules: which attributes and
 * element types it takes, the shape and type of its output, and its cost (multiply-accumulates or
 * element operations). analyze.ts walks the graph node by node through this table; an operator
 * not in it, or a use of one that the table cannot type and shape, is refused.
 *
 * The element types per operator are the ones onnxruntime 1.30's CPU kernels implement (probed
 * on this machine, opsets 13, 17 and 21): a model we accept must also load, or its registration
 * would buy a model nobody can call.
 */
import type { onnx } from 'onnx-proto'
import { ModelValidationError } from './errors.ts'
import { elementCount, formatShape, MAX_RANK, quote, toSafeInt, type ElementType, type TensorInfo } from './tensors.ts'

/**
 * Operators a model may use (default ONNX domain only). Out: control flow and anything with a
 * subgraph (Loop, If, Scan: the cost would depend on the data), random generators and string ops
 * (outputs not reproducible), data-dependent shapes (NonZero, TopK with a computed k...), custom
 * domains (kernels nobody vetted). Div takes float32 only: onnxruntime's integer Div checks for a
 * zero divisor but not for INT_MIN / -1, which traps (SIGFPE, measured) and would kill every node
 * replaying the block.
 */
export const ALLOWED_OPS = [
  'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'Reshape', 'Flatten',
  'Identity', 'Transpose', 'Concat', 'Clip', 'LeakyRelu', 'Exp', 'Neg', 'Abs', 'Max', 'Min', 'ArgMax',
  'ReduceSum', 'ReduceMean', 'Conv', 'MaxPool', 'AveragePool', 'BatchNormalization', 'QuantizeLinear',
  'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'MatMulInteger', 'ConvInteger', 'Cast', 'Squeeze',
  'Unsqueeze',
] as const

export type AllowedOp = (typeof ALLOWED_OPS)[number]

/**
 * Element operations charged per int64 multiply-accumulate on top of the MAC itself: the canonical
 * evaluator computes int64 products with bigints, ≈60 ns each (25 gas/µs at ¼ gas per MAC,
 * too close to the 20 gas/µs floor), against ≈1 ns for the other types.
 */
export const INT64_MAC_OPS = 2n

/** Operators whose cost is counted in multiply-accumulates; every other operator counts element operations. */
export const MAC_OPS: readonly AllowedOp[] = ['Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'Conv', 'ConvInteger', 'QLinearConv']

/** What the analyzer passes to a rule: the node, its inputs (undefined where an optional input is omitted) and the model's opset. */
export interface NodeContext {
  node: onnx.INodeProto
  op: AllowedOp
  inputs: (TensorInfo | undefined)[]
  opset: number
}

/** What a rule returns: the node's outputs and its cost. */
export interface NodeResult {
  outputs: TensorInfo[]
  macs: bigint
  elementOps: bigint
}

type AttrKind = 'int' | 'ints' | 'float' | 'floats' | 'string'

interface OpRule {
  /** Attributes the operator takes at this opset (anything else is refused). */
  attrs: (opset: number) => Record<string, AttrKind>
  /** [required, most] inputs, counting omitted optional inputs. Every allowed use of an operator has exactly one output. */
  inputs: [number, number]
  infer: (ctx: NodeContext, attrs: Attrs) => NodeResult
}

const ALL: readonly ElementType[] = ['float32', 'int8', 'uint8', 'int32', 'int64']
const FLOAT: readonly ElementType[] = ['float32']
const QUANT: readonly ElementType[] = ['int8', 'uint8']

const none = () => ({})
const fail = (reason: string): never => {
  throw new ModelValidationError(reason)
}

// ---------------------------------------------------------------------------------------------
// attributes

const ATTR_TYPES: Record<number, AttrKind> = { 1: 'float', 2: 'int', 3: 'string', 6: 'floats', 7: 'ints' }

/**
 * Longest list attribute (pads: two per spatial dim of a rank-MAX_RANK tensor). Every list the
 * allowlist takes is per dim, so a longer one is wrong anyway; refusing it early keeps the
 * analysis of a node bounded whatever its size.
 */
export const MAX_ATTR_LIST = 2 * MAX_RANK

/** Longest string attribute (the longest valid one, auto_pad's SAME_UPPER, has 10 bytes). */
export const MAX_ATTR_STRING = 16

/** The value fields an attribute carries (protobufjs sets own properties only for fields on the wire). */
function valueFields(a: onnx.IAttributeProto): string[] {
  const present = (f: string) => Object.hasOwn(a, f) && (a as Record<string, unknown>)[f] != null
  const fields: string[] = []
  if (present('f')) fields.push('float')
  if (present('i')) fields.push('int')
  if (present('s')) fields.push('string')
  if ((a.floats?.length ?? 0) > 0) fields.push('floats')
  if ((a.ints?.length ?? 0) > 0) fields.push('ints')
  for (const f of ['t', 'g', 'sparseTensor', 'tp']) if (present(f)) fields.push(f)
  for (const f of ['strings', 'tensors', 'graphs', 'sparseTensors', 'typeProtos'] as const) if (((a as Record<string, unknown[] | undefined>)[f]?.length ?? 0) > 0) fields.push(f)
  return fields
}

/** A node's attributes, checked against what the operator takes. */
export class Attrs {
  private readonly byName = new Map<string, onnx.IAttributeProto>()

  constructor(
    private readonly op: string,
    list: onnx.IAttributeProto[],
    allowed: Record<string, AttrKind>,
  ) {
    for (const a of list) {
      const name = a.name ?? ''
      const label = quote(name)
      if (a.refAttrName) fail(`${op} attribute ${label} refers to a function attribute`)
      const kind = allowed[name]
      if (kind === undefined) fail(`${op} has an unknown attribute ${label}`)
      if (ATTR_TYPES[a.type ?? 0] !== kind) fail(`${op} attribute ${label} must be of type ${kind}`)
      // onnx's checker (run by onnxruntime at load) refuses a value field of another type than
      // the declared one, and more than one value field
      const fields = valueFields(a)
      if (fields.length > 1 || (fields.length === 1 && fields[0] !== kind)) fail(`${op} attribute ${label} holds a value of another type`)
      if (this.byName.has(name)) fail(`${op} has attribute ${label} twice`)
      if ((a.ints?.length ?? 0) > MAX_ATTR_LIST || (a.floats?.length ?? 0) > MAX_ATTR_LIST) fail(`${op} attribute ${label} has over ${MAX_ATTR_LIST} values`)
      if ((a.s?.length ?? 0) > MAX_ATTR_STRING) fail(`${op} attribute ${label} is over ${MAX_ATTR_STRING} bytes`)
      this.byName.set(name, a)
    }
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name)
    return a === undefined ? fallback : toSafeInt(a.i, `${this.op} attribute ${name}`)
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name)
    return a === undefined ? undefined : (a.ints ?? []).map((v) => toSafeInt(v, `${this.op} attribute ${name}`))
  }

  /** A 0/1 attribute. onnxruntime reads some as `== 1` and others as `!= 0`, so anything else is refused. */
  flag(name: string, fallback: 0 | 1): boolean {
    const v = this.int(name, fallback)
    if (v !== 0 && v !== 1) fail(`${this.op} attribute ${name} must be 0 or 1`)
    return v === 1
  }

  /** A float attribute (a binary32 value: onnx stores floats as 32-bit). */
  float(name: string, fallback: number): number {
    const a = this.byName.get(name)
    return Math.fround(a === undefined ? fallback : a.f ?? 0)
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name)
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array())
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

function input(ctx: NodeContext, i: number): TensorInfo {
  const t = ctx.inputs[i]
  if (t === undefined) return fail(`${ctx.op} is missing input ${i + 1}`)
  return t
}

function checkType(ctx: NodeContext, t: TensorInfo, allowed: readonly ElementType[], what = 'inputs'): void {
  if (!allowed.includes(t.type)) fail(`${ctx.op} does not take ${t.type} ${what}`)
}

function sameType(ctx: NodeContext, a: TensorInfo, b: TensorInfo): void {
  if (a.type !== b.type) fail(`${ctx.op} inputs differ in type (${a.type}, ${b.type})`)
}

/** An axis attribute normalized to [0, rank), refusing one out of range. */
function axis(ctx: NodeContext, value: number, rank: number): number {
  if (value < -rank || value >= rank) fail(`${ctx.op} axis ${value} is out of range for rank ${rank}`)
  return value < 0 ? value + rank : value
}

/** Axes normalized to [0, rank), as a set (constant-time membership), refusing a repeated one. */
function axes(ctx: NodeContext, values: readonly number[], rank: number): Set<number> {
  const out = new Set(values.map((v) => axis(ctx, v, rank)))
  if (out.size !== values.length) fail(`${ctx.op} has a repeated axis`)
  return out
}

/** Values of a constant int64 1-D input (shapes, axes); `cannot infer` if it is computed at run time. */
function constInts(ctx: NodeContext, t: TensorInfo, what: string): number[] {
  if (!t.constant || t.int64Values === undefined) fail(`cannot infer the shape after ${ctx.op}: its ${what} must be an int64 initializer`)
  if (t.shape.length !== 1) fail(`${ctx.op} ${what} must be 1-D`)
  // a shape or axes list longer than the largest rank is wrong anyway: refused before any work on it
  if (t.shape[0] > MAX_RANK) fail(`${ctx.op} ${what} has over ${MAX_RANK} values`)
  return t.int64Values!.map((v) => {
    if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${ctx.op} ${what} is out of range`)
    return Number(v)
  })
}

/** A scalar-like parameter (zero point, scale, clip bound): one element, rank 0 or 1, as onnxruntime requires. */
function isScalarLike(t: TensorInfo): boolean {
  return t.shape.length <= 1 && elementCount(t.shape) === 1
}

function broadcast(ctx: NodeContext, shapes: number[][]): number[] {
  // no Math.max(...spread): a node may have more inputs than the engine takes arguments
  const rank = shapes.reduce((r, s) => Math.max(r, s.length), 0)
  const out: number[] = []
  for (let i = 0; i < rank; i++) {
    let dim = 1
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1
      if (d === 1) continue
      if (dim !== 1 && dim !== d) fail(`${ctx.op} shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`)
      dim = d
    }
    out.push(dim)
  }
  return out
}

function product(dims: readonly number[]): bigint {
  let n = 1n
  for (const d of dims) n *= BigInt(d)
  return n
}

function out(type: ElementType, shape: number[]): TensorInfo {
  return { type, shape, constant: false }
}

/** Output of an element-wise node: cost = one operation per output element. */
function elementwise(t: TensorInfo): NodeResult {
  return { outputs: [t], macs: 0n, elementOps: product(t.shape) }
}

/** numpy matmul shapes: 1-D operands are promoted and the added dim removed afterwards. */
function matmul(ctx: NodeContext, a: number[], b: number[]): { shape: number[]; macs: bigint } {
  if (a.length === 0 || b.length === 0) fail(`${ctx.op} does not take scalars`)
  const a2 = a.length === 1 ? [1, a[0]] : a
  const b2 = b.length === 1 ? [b[0], 1] : b
  const [m, k] = a2.slice(-2)
  const [k2, n] = b2.slice(-2)
  if (k !== k2) fail(`${ctx.op} shapes ${formatShape(a)} and ${formatShape(b)} do not match`)
  const batch = broadcast(ctx, [a2.slice(0, -2), b2.slice(0, -2)])
  const shape = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])]
  return { shape, macs: product(batch) * BigInt(m) * BigInt(k) * BigInt(n) }
}

/**
 * The operand types of the integer products; `a` is the activation operand. int8 weights take
 * their full range: the canonical kernels compute exact integer sums (onnxruntime's x86 kernels
 * without VNNI saturate products of full-range int8 weights, which is why the chain limited them
 * to ±64 until it stopped running onnxruntime). int8 weights are initializers, as every exporter
 * writes them.
 */
function checkQuantizedOperands(ctx: NodeContext, a: TensorInfo, w: TensorInfo, pairs: readonly string[]): void {
  checkType(ctx, a, QUANT)
  checkType(ctx, w, QUANT, 'weights')
  if (!pairs.includes(`${a.type}x${w.type}`)) fail(`${ctx.op} does not take ${a.type} inputs with ${w.type} weights`)
  if (w.type === 'int8' && !w.constant) fail(`${ctx.op} int8 weights must be an initializer`)
}

/**
 * Verdicts on initializers' values, computed once per initializer: many nodes may read one large
 * initializer, and checking its values at every use would make the analysis quadratic
 * (2,048 nodes × a 1 MiB weight).
 */
const scalesPositive = new WeakMap<TensorInfo, boolean>()

/** A quantization parameter: a scale (float32) or zero point (`type`), per tensor or per channel (`channels`). */
function checkQuantParam(ctx: NodeContext, t: TensorInfo | undefined, type: ElementType | readonly ElementType[], what: string, channels?: number): void {
  if (t === undefined) return
  const types = typeof type === 'string' ? [type] : type
  if (!types.includes(t.type)) fail(`${ctx.op} ${what} must be ${types.join(' or ')}`)
  if (types.length === 1 && types[0] === 'float32') checkScale(ctx, t, what)
  if (isScalarLike(t)) return
  if (channels !== undefined && t.shape.length === 1 && t.shape[0] === channels) return
  fail(`${ctx.op} ${what} must be a scalar${channels !== undefined ? ` or have ${channels} elements` : ''}`)
}

/**
 * Scales must be constants, finite and positive: a zero, infinite or NaN scale sends the kernels
 * into float-to-int conversions of inf or NaN, which x86 and ARM resolve differently.
 */
function checkScale(ctx: NodeContext, t: TensorInfo, what: string): void {
  if (!t.constant || t.floatValues === undefined) return fail(`${ctx.op} ${what} must be an initializer`)
  let ok = scalesPositive.get(t)
  if (ok === undefined) {
    const values = t.floatValues()
    ok = true
    for (let i = 0; i < values.length && ok; i++) ok = Number.isFinite(values[i]) && values[i] > 0
    scalesPositive.set(t, ok)
  }
  if (!ok) fail(`${ctx.op} ${what} must be positive and finite`)
}

// ---------------------------------------------------------------------------------------------
// convolution and pooling

const CONV_ATTRS = { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', pads: 'ints', strides: 'ints' } as const

/** Spatial output dims of a convolution or pooling window (ONNX Conv/MaxPool/AveragePool formulas). */
function windowOutput(ctx: NodeContext, attrs: Attrs, spatial: number[], kernel: number[]): number[] {
  const n = spatial.length
  const strides = attrs.ints('strides') ?? Array(n).fill(1)
  const dilations = attrs.ints('dilations') ?? Array(n).fill(1)
  const autoPad = attrs.string('auto_pad', 'NOTSET')
  const pads = attrs.ints('pads') ?? Array(2 * n).fill(0)
  if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n || kernel.length !== n) {
    fail(`${ctx.op} attributes do not match ${n} spatial dims`)
  }
  if (strides.some((s) => s < 1) || dilations.some((d) => d < 1) || kernel.some((k) => k < 1) || pads.some((p) => p < 0)) {
    fail(`${ctx.op} has a non-positive stride, dilation or kernel dim, or a negative pad`)
  }
  if (autoPad !== 'NOTSET' && attrs.has('pads')) fail(`${ctx.op} has both auto_pad and pads`)
  // onnxruntime fails at run time on this combination
  if (autoPad.startsWith('SAME') && dilations.some((d) => d !== 1)) fail(`${ctx.op} auto_pad ${autoPad} with dilations is not supported`)
  return spatial.map((size, i) => {
    const extent = dilations[i] * (kernel[i] - 1) + 1
    let dim: number
    switch (autoPad) {
      case 'NOTSET':
        dim = Math.floor((size + pads[i] + pads[i + n] - extent) / strides[i]) + 1
        break
      case 'VALID':
        dim = Math.floor((size - extent) / strides[i]) + 1
        break
      case 'SAME_UPPER':
      case 'SAME_LOWER':
        dim = Math.ceil(size / strides[i])
        break
      default:
        return fail(`${ctx.op} auto_pad ${autoPad} is not valid`)
    }
    if (!(dim >= 1)) fail(`${ctx.op} window is larger than its input`)
    return dim
  })
}

/**
 * Element operations charged per image of a convolution (per batch item and group): onnxruntime's
 * Conv kernels set up an im2col and a GEMM for each, ≈60-85 ns even for a 1×1 image (measured
 * with [N,1,1] inputs, N = 2^19: Conv 85 ns, ConvInteger 75 ns, QLinearConv 59 ns per image), which
 * neither multiply-adds nor element accesses count when images are tiny.
 */
export const CONV_OPS_PER_IMAGE = 10n

/** Conv, ConvInteger, QLinearConv: x [N, C, ...spatial], w [M, C/group, ...kernel] → [N, M, ...]; `images` = N · group. */
function conv(ctx: NodeContext, attrs: Attrs, x: TensorInfo, w: TensorInfo): { shape: number[]; macs: bigint; channels: number; setupOps: bigint } {
  if (x.shape.length < 3) fail(`${ctx.op} input must have rank 3 or more`)
  if (w.shape.length !== x.shape.length) fail(`${ctx.op} weights must have the input's rank`)
  const [n, c, ...spatial] = x.shape
  const [m, cPerGroup, ...kernel] = w.shape
  const group = attrs.int('group', 1)
  if (group < 1 || c % group !== 0 || m % group !== 0 || cPerGroup !== c / group) fail(`${ctx.op} channels do not match (input ${c}, weights ${formatShape(w.shape)}, group ${group})`)
  const kernelAttr = attrs.ints('kernel_shape')
  if (kernelAttr !== undefined && formatShape(kernelAttr) !== formatShape(kernel)) fail(`${ctx.op} kernel_shape does not match the weights`)
  const outSpatial = windowOutput(ctx, attrs, spatial, kernel)
  const shape = [n, m, ...outSpatial]
  return { shape, macs: product(shape) * BigInt(cPerGroup) * product(kernel), channels: m, setupOps: BigInt(n) * BigInt(group) * CONV_OPS_PER_IMAGE }
}

function pool(ctx: NodeContext, attrs: Attrs, types: readonly ElementType[]): NodeResult {
  const x = input(ctx, 0)
  checkType(ctx, x, types)
  if (x.shape.length < 3) fail(`${ctx.op} input must have rank 3 or more`)
  if (attrs.flag('ceil_mode', 0)) fail(`${ctx.op} ceil_mode is not supported`)
  if (attrs.flag('storage_order', 0)) fail(`${ctx.op} storage_order is not supported`)
  attrs.flag('count_include_pad', 0)
  const kernel = attrs.ints('kernel_shape') ?? fail(`${ctx.op} needs kernel_shape`)
  const pads = attrs.ints('pads') ?? []
  // onnxruntime refuses a pooling window whose pad is as large as the window
  if (pads.some((p, i) => p >= kernel[i % kernel.length])) fail(`${ctx.op} pads must be smaller than the kernel`)
  const [n, c, ...spatial] = x.shape
  const shape = [n, c, ...windowOutput(ctx, attrs, spatial, kernel)]
  // SAME padding with a stride larger than the window asks for a negative pad, which
  // onnxruntime's pooling refuses at run time ("padding values must be non-negative")
  if (attrs.string('auto_pad', 'NOTSET').startsWith('SAME')) {
    const strides = attrs.ints('strides') ?? spatial.map(() => 1)
    if (spatial.some((size, i) => (shape[i + 2] - 1) * strides[i] + kernel[i] - size < 0)) fail(`${ctx.op} auto_pad SAME with a stride over the window needs a negative pad`)
  }
  // each output element reads a whole window
  return { outputs: [out(x.type, shape)], macs: 0n, elementOps: product(shape) * product(kernel) }
}

// ---------------------------------------------------------------------------------------------
// the table

function unary(types: readonly ElementType[], attrs: Record<string, AttrKind> = {}, typesBefore14?: readonly ElementType[]): OpRule {
  return {
    attrs: () => attrs,
    inputs: [1, 1],
    infer: (ctx) => {
      const x = input(ctx, 0)
      checkType(ctx, x, ctx.opset < 14 && typesBefore14 ? typesBefore14 : types)
      return elementwise(out(x.type, x.shape))
    },
  }
}

function binary(types: readonly ElementType[], typesBefore14?: readonly ElementType[]): OpRule {
  return {
    attrs: none,
    inputs: [2, 2],
    infer: (ctx) => {
      const [a, b] = [input(ctx, 0), input(ctx, 1)]
      checkType(ctx, a, ctx.opset < 14 && typesBefore14 ? typesBefore14 : types)
      sameType(ctx, a, b)
      return elementwise(out(a.type, broadcast(ctx, [a.shape, b.shape])))
    },
  }
}

function variadic(types: readonly ElementType[]): OpRule {
  return {
    attrs: none,
    inputs: [1, Number.MAX_SAFE_INTEGER],
    infer: (ctx) => {
      const xs = ctx.inputs.map((_, i) => input(ctx, i))
      checkType(ctx, xs[0], types)
      for (const x of xs) sameType(ctx, xs[0], x)
      const y = out(xs[0].type, broadcast(ctx, xs.map((x) => x.shape)))
      // one pass over the output per extra input
      return { outputs: [y], macs: 0n, elementOps: product(y.shape) * BigInt(Math.max(1, xs.length - 1)) }
    },
  }
}

function reduce(opsetWithAxesInput: number): OpRule {
  return {
    attrs: (opset): Record<string, AttrKind> => (opset < opsetWithAxesInput ? { axes: 'ints', keepdims: 'int' } : { keepdims: 'int', noop_with_empty_axes: 'int' }),
    inputs: [1, 2],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      checkType(ctx, x, ['float32', 'int32', 'int64'])
      const axesInput = ctx.inputs[1]
      if (ctx.opset < opsetWithAxesInput && axesInput !== undefined) fail(`${ctx.op} takes axes as an attribute at opset ${ctx.opset}`)
      const given = axesInput !== undefined ? constInts(ctx, axesInput, 'axes') : attrs.ints('axes') ?? []
      const keep = attrs.flag('keepdims', 1)
      if (given.length === 0 && attrs.flag('noop_with_empty_axes', 0)) return elementwise(out(x.type, x.shape))
      const reduced = given.length === 0 ? new Set(x.shape.keys()) : axes(ctx, given, x.shape.length)
      const shape = keep ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i))
      // a reduction reads every input element once
      return { outputs: [out(x.type, shape)], macs: 0n, elementOps: product(x.shape) }
    },
  }
}

const RULES: Record<AllowedOp, OpRule> = {
  Gemm: {
    attrs: () => ({ alpha: 'float', beta: 'float', transA: 'int', transB: 'int' }),
    inputs: [2, 3],
    infer: (ctx, attrs) => {
      const [a, b, c] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2]]
      checkType(ctx, a, FLOAT)
      sameType(ctx, a, b)
      if (a.shape.length !== 2 || b.shape.length !== 2) fail('Gemm inputs must be 2-D')
      const [m, k] = attrs.flag('transA', 0) ? [a.shape[1], a.shape[0]] : a.shape
      const [k2, n] = attrs.flag('transB', 0) ? [b.shape[1], b.shape[0]] : b.shape
      if (k !== k2) fail(`Gemm shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not match`)
      if (c !== undefined) {
        sameType(ctx, a, c)
        if (formatShape(broadcast(ctx, [[m, n], c.shape])) !== formatShape([m, n])) fail(`Gemm bias ${formatShape(c.shape)} does not broadcast to ${formatShape([m, n])}`)
      }
      return { outputs: [out(a.type, [m, n])], macs: BigInt(m) * BigInt(k) * BigInt(n), elementOps: 0n }
    },
  },
  MatMul: {
    attrs: none,
    inputs: [2, 2],
    infer: (ctx) => {
      const [a, b] = [input(ctx, 0), input(ctx, 1)]
      checkType(ctx, a, ['float32', 'int32', 'int64'])
      sameType(ctx, a, b)
      const { shape, macs } = matmul(ctx, a.shape, b.shape)
      // int64 products run as bigint arithmetic (≈60 ns each): each also counts INT64_MAC_OPS element operations
      return { outputs: [out(a.type, shape)], macs, elementOps: a.type === 'int64' ? macs * INT64_MAC_OPS : 0n }
    },
  },
  Add: binary(ALL, ['float32', 'int32', 'int64']),
  Sub: binary(ALL, ['float32', 'int32', 'int64']),
  Mul: binary(ALL, ['float32', 'int32', 'int64']),
  Div: binary(FLOAT),
  Relu: unary(['float32', 'int8', 'int32'], {}, FLOAT),
  Sigmoid: unary(FLOAT),
  Tanh: unary(FLOAT),
  Exp: unary(FLOAT),
  Neg: unary(['float32', 'int8', 'int32', 'int64']),
  Abs: unary(ALL),
  Identity: unary(ALL),
  LeakyRelu: unary(FLOAT, { alpha: 'float' }),
  Softmax: {
    attrs: () => ({ axis: 'int' }),
    inputs: [1, 1],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      checkType(ctx, x, FLOAT)
      axis(ctx, attrs.int('axis', -1), x.shape.length)
      return elementwise(out(x.type, x.shape))
    },
  },
  Reshape: {
    attrs: (opset): Record<string, AttrKind> => (opset >= 14 ? { allowzero: 'int' } : {}),
    inputs: [2, 2],
    infer: (ctx, attrs) => {
      const [x, s] = [input(ctx, 0), input(ctx, 1)]
      const target = constInts(ctx, s, 'shape')
      const allowZero = attrs.flag('allowzero', 0)
      let inferred = -1
      const shape = target.map((d, i) => {
        if (d === 0 && !allowZero) return x.shape[i] ?? fail(`Reshape copies dim ${i} the input does not have`)
        if (d === -1) {
          if (inferred !== -1) fail('Reshape has more than one -1 dim')
          inferred = i
          return 1
        }
        if (d < 1) fail(`Reshape target dim ${d} is not allowed`)
        return d
      })
      const total = product(x.shape)
      const known = product(shape)
      if (inferred !== -1) {
        if (total % known !== 0n) fail(`Reshape cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}`)
        shape[inferred] = Number(total / known)
      } else if (known !== total) fail(`Reshape cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}`)
      return elementwise(out(x.type, shape))
    },
  },
  Flatten: {
    attrs: () => ({ axis: 'int' }),
    inputs: [1, 1],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      const r = x.shape.length
      let a = attrs.int('axis', 1)
      if (a < -r || a > r) fail(`Flatten axis ${a} is out of range for rank ${r}`)
      if (a < 0) a += r
      return elementwise(out(x.type, [elementCount(x.shape.slice(0, a)), elementCount(x.shape.slice(a))]))
    },
  },
  Transpose: {
    attrs: () => ({ perm: 'ints' }),
    inputs: [1, 1],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      const r = x.shape.length
      const perm = attrs.ints('perm') ?? x.shape.map((_, i) => r - 1 - i)
      if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) fail('Transpose perm is not a permutation of the input dims')
      return elementwise(out(x.type, perm.map((p) => x.shape[p])))
    },
  },
  Concat: {
    attrs: () => ({ axis: 'int' }),
    inputs: [1, Number.MAX_SAFE_INTEGER],
    infer: (ctx, attrs) => {
      const xs = ctx.inputs.map((_, i) => input(ctx, i))
      if (!attrs.has('axis')) fail('Concat needs an axis')
      const r = xs[0].shape.length
      const a = axis(ctx, attrs.int('axis', 0), r)
      let sum = 0
      for (const x of xs) {
        sameType(ctx, xs[0], x)
        if (x.shape.length !== r || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) fail(`Concat input shapes ${formatShape(xs[0].shape)} and ${formatShape(x.shape)} do not match`)
        sum += x.shape[a]
      }
      return elementwise(out(xs[0].type, xs[0].shape.map((d, i) => (i === a ? sum : d))))
    },
  },
  Clip: {
    attrs: none,
    inputs: [1, 3],
    infer: (ctx) => {
      const x = input(ctx, 0)
      for (const bound of ctx.inputs.slice(1)) {
        if (bound === undefined) continue
        sameType(ctx, x, bound)
        if (!isScalarLike(bound)) fail('Clip bounds must be scalars')
      }
      return elementwise(out(x.type, x.shape))
    },
  },
  Max: variadic(ALL),
  Min: variadic(ALL),
  ArgMax: {
    attrs: () => ({ axis: 'int', keepdims: 'int', select_last_index: 'int' }),
    inputs: [1, 1],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      const a = axis(ctx, attrs.int('axis', 0), x.shape.length)
      attrs.flag('select_last_index', 0)
      const shape = attrs.flag('keepdims', 1) ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a)
      return { outputs: [out('int64', shape)], macs: 0n, elementOps: product(x.shape) }
    },
  },
  ReduceSum: reduce(13),
  ReduceMean: reduce(18),
  Conv: {
    attrs: () => CONV_ATTRS,
    inputs: [2, 3],
    infer: (ctx, attrs) => {
      const [x, w, b] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2]]
      checkType(ctx, x, FLOAT)
      sameType(ctx, x, w)
      const { shape, macs, channels, setupOps } = conv(ctx, attrs, x, w)
      if (b !== undefined) {
        sameType(ctx, x, b)
        if (formatShape(b.shape) !== formatShape([channels])) fail(`Conv bias must have shape [${channels}]`)
      }
      return { outputs: [out(x.type, shape)], macs, elementOps: setupOps }
    },
  },
  MaxPool: {
    attrs: () => ({ auto_pad: 'string', ceil_mode: 'int', dilations: 'ints', kernel_shape: 'ints', pads: 'ints', storage_order: 'int', strides: 'ints' }),
    inputs: [1, 1],
    infer: (ctx, attrs) => pool(ctx, attrs, ['float32', 'int8', 'uint8']),
  },
  AveragePool: {
    attrs: (opset) => ({
      auto_pad: 'string', ceil_mode: 'int', count_include_pad: 'int', kernel_shape: 'ints', pads: 'ints', strides: 'ints',
      ...(opset >= 19 ? { dilations: 'ints' as const } : {}),
    }),
    inputs: [1, 1],
    infer: (ctx, attrs) => pool(ctx, attrs, FLOAT),
  },
  BatchNormalization: {
    // training_mode arrived with BatchNormalization-14; onnx's checker refuses it at opset 13
    attrs: (opset): Record<string, AttrKind> => ({ epsilon: 'float', momentum: 'float', ...(opset >= 14 ? { training_mode: 'int' as const } : {}) }),
    inputs: [5, 5],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      checkType(ctx, x, FLOAT)
      if (attrs.flag('training_mode', 0)) fail('BatchNormalization training_mode is not supported')
      if (x.shape.length < 2) fail('BatchNormalization input must have rank 2 or more')
      for (let i = 1; i < 5; i++) {
        const p = input(ctx, i)
        sameType(ctx, x, p)
        if (formatShape(p.shape) !== formatShape([x.shape[1]])) fail(`BatchNormalization parameters must have shape [${x.shape[1]}]`)
      }
      return elementwise(out(x.type, x.shape))
    },
  },
  QuantizeLinear: {
    attrs: (opset) => ({ axis: 'int', ...(opset >= 19 ? { saturate: 'int' as const } : {}), ...(opset >= 21 ? { output_dtype: 'int' as const, block_size: 'int' as const } : {}) }),
    inputs: [2, 3],
    infer: (ctx, attrs) => {
      const [x, scale, zeroPoint] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2]]
      checkType(ctx, x, FLOAT)
      if (attrs.int('block_size', 0) !== 0) fail('QuantizeLinear block quantization is not supported')
      // as Cast: saturate only applies to float 8 outputs, which are not supported
      if (!attrs.flag('saturate', 1)) fail('QuantizeLinear saturate = 0 is only valid for float 8 types, which are not supported')
      const channels = x.shape.length > 0 ? x.shape[axis(ctx, attrs.int('axis', 1), x.shape.length)] : undefined
      checkQuantParam(ctx, scale, 'float32', 'scale', channels)
      checkQuantParam(ctx, zeroPoint, QUANT, 'zero point', channels)
      if (zeroPoint !== undefined && formatShape(zeroPoint.shape) !== formatShape(scale.shape)) fail('QuantizeLinear scale and zero point differ in shape')
      const dtype = attrs.int('output_dtype', 0)
      const declared = dtype === 0 ? undefined : dtype === 2 ? 'uint8' : dtype === 3 ? 'int8' : fail('QuantizeLinear output_dtype must be int8 or uint8')
      if (declared !== undefined && zeroPoint !== undefined && declared !== zeroPoint.type) fail('QuantizeLinear output_dtype does not match the zero point')
      return elementwise(out(zeroPoint?.type ?? declared ?? 'uint8', x.shape))
    },
  },
  DequantizeLinear: {
    attrs: (opset) => ({ axis: 'int', ...(opset >= 21 ? { block_size: 'int' as const } : {}) }),
    inputs: [2, 3],
    infer: (ctx, attrs) => {
      const [x, scale, zeroPoint] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2]]
      checkType(ctx, x, ['int8', 'uint8', 'int32'])
      if (attrs.int('block_size', 0) !== 0) fail('DequantizeLinear block quantization is not supported')
      const channels = x.shape.length > 0 ? x.shape[axis(ctx, attrs.int('axis', 1), x.shape.length)] : undefined
      checkQuantParam(ctx, scale, 'float32', 'scale', channels)
      if (zeroPoint !== undefined && x.type === 'int32') fail('DequantizeLinear takes no zero point for int32 inputs')
      checkQuantParam(ctx, zeroPoint, x.type, 'zero point', channels)
      if (zeroPoint !== undefined && formatShape(zeroPoint.shape) !== formatShape(scale.shape)) fail('DequantizeLinear scale and zero point differ in shape')
      return elementwise(out('float32', x.shape))
    },
  },
  MatMulInteger: {
    attrs: none,
    inputs: [2, 4],
    infer: (ctx) => {
      const [a, b, aZero, bZero] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2], ctx.inputs[3]]
      checkQuantizedOperands(ctx, a, b, ['int8xint8', 'uint8xint8', 'uint8xuint8'])
      const { shape, macs } = matmul(ctx, a.shape, b.shape)
      checkQuantParam(ctx, aZero, a.type, 'input zero point')
      checkQuantParam(ctx, bZero, b.type, 'weight zero point', b.shape.length === 2 ? b.shape[1] : undefined)
      return { outputs: [out('int32', shape)], macs, elementOps: 0n }
    },
  },
  ConvInteger: {
    attrs: () => CONV_ATTRS,
    inputs: [2, 4],
    infer: (ctx, attrs) => {
      const [x, w, xZero, wZero] = [input(ctx, 0), input(ctx, 1), ctx.inputs[2], ctx.inputs[3]]
      checkQuantizedOperands(ctx, x, w, ['int8xint8', 'uint8xint8', 'uint8xuint8'])
      const { shape, macs, setupOps } = conv(ctx, attrs, x, w)
      checkQuantParam(ctx, xZero, x.type, 'input zero point')
      checkQuantParam(ctx, wZero, w.type, 'weight zero point')
      return { outputs: [out('int32', shape)], macs, elementOps: setupOps }
    },
  },
  QLinearMatMul: {
    attrs: none,
    inputs: [8, 8],
    infer: (ctx) => {
      const t = ctx.inputs.map((_, i) => input(ctx, i))
      const [a, aScale, aZero, b, bScale, bZero, yScale, yZero] = t
      checkQuantizedOperands(ctx, a, b, ['int8xint8', 'uint8xint8', 'uint8xuint8'])
      const { shape, macs } = matmul(ctx, a.shape, b.shape)
      const columns = b.shape.length === 2 ? b.shape[1] : undefined
      checkQuantParam(ctx, aScale, 'float32', 'input scale')
      checkQuantParam(ctx, aZero, a.type, 'input zero point')
      checkQuantParam(ctx, bScale, 'float32', 'weight scale', columns)
      checkQuantParam(ctx, bZero, b.type, 'weight zero point', columns)
      checkQuantParam(ctx, yScale, 'float32', 'output scale')
      checkQuantParam(ctx, yZero, a.type, 'output zero point')
      return { outputs: [out(a.type, shape)], macs, elementOps: 0n }
    },
  },
  QLinearConv: {
    attrs: () => CONV_ATTRS,
    inputs: [8, 9],
    infer: (ctx, attrs) => {
      const t = ctx.inputs.slice(0, 8).map((_, i) => input(ctx, i))
      const [x, xScale, xZero, w, wScale, wZero, yScale, yZero] = t
      const bias = ctx.inputs[8]
      checkQuantizedOperands(ctx, x, w, ['int8xint8', 'uint8xint8', 'uint8xuint8'])
      const { shape, macs, channels, setupOps } = conv(ctx, attrs, x, w)
      checkQuantParam(ctx, xScale, 'float32', 'input scale')
      checkQuantParam(ctx, xZero, x.type, 'input zero point')
      checkQuantParam(ctx, wScale, 'float32', 'weight scale', channels)
      checkQuantParam(ctx, wZero, w.type, 'weight zero point', channels)
      checkQuantParam(ctx, yScale, 'float32', 'output scale')
      checkQuantParam(ctx, yZero, x.type, 'output zero point')
      if (bias !== undefined && (bias.type !== 'int32' || formatShape(bias.shape) !== formatShape([channels]))) fail(`QLinearConv bias must be int32 of shape [${channels}]`)
      return { outputs: [out(x.type, shape)], macs, elementOps: setupOps }
    },
  },
  Cast: {
    attrs: (opset) => ({ to: 'int', ...(opset >= 19 ? { saturate: 'int' as const } : {}) }),
    inputs: [1, 1],
    infer: (ctx, attrs) => {
      const x = input(ctx, 0)
      // onnxruntime refuses saturate = 0 at session creation unless the target is a float 8 type
      // (cast_op.cc: "Attribute saturate is only used for cast to float 8 types"), none of which we take
      if (!attrs.flag('saturate', 1)) fail('Cast saturate = 0 is only valid for float 8 types, which are not supported')
      const to = attrs.int('to', 0)
      const type = ({ 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64' } as const)[to as 1] as ElementType | undefined
      if (type === undefined) fail(`Cast to type ${to} is not supported`)
      return elementwise(out(type!, x.shape))
    },
  },
  Squeeze: {
    attrs: none,
    inputs: [1, 2],
    infer: (ctx) => {
      const x = input(ctx, 0)
      const given = ctx.inputs[1] !== undefined ? axes(ctx, constInts(ctx, ctx.inputs[1], 'axes'), x.shape.length) : undefined
      if (given !== undefined && [...given].some((a) => x.shape[a] !== 1)) fail('Squeeze axes must be dims of size 1')
      const shape = x.shape.filter((d, i) => (given === undefined ? d !== 1 : !given.has(i)))
      return elementwise(out(x.type, shape))
    },
  },
  Unsqueeze: {
    attrs: none,
    inputs: [2, 2],
    infer: (ctx) => {
      const x = input(ctx, 0)
      const given = constInts(ctx, input(ctx, 1), 'axes')
      const rank = x.shape.length + given.length
      if (rank > MAX_RANK) fail(`Unsqueeze output rank ${rank} is over ${MAX_RANK}`)
      const inserted = axes(ctx, given, rank)
      let next = 0
      const shape = Array.from({ length: rank }, (_, i) => (inserted.has(i) ? 1 : x.shape[next++]))
      return elementwise(out(x.type, shape))
    },
  },
}

/** The rule for `op`, or undefined if it is not allowed. */
export function ruleFor(op: string): OpRule | undefined {
  return Object.hasOwn(RULES, op) ? RULES[op as AllowedOp] : undefined
}

export type { OpRule }
