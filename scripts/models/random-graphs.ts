/**
 * Seeded random ONNX graphs over the operator allowlist, for the operator gas benchmark
 * (scripts/bench-operator-gas.ts) and the model fuzzer (scripts/fuzz-models.ts,
 * test/precompiles/fuzz.test.ts). Same seed, same bytes, on every machine (createPrng, no clock).
 *
 * `randomOpModel` builds one model around one operator: an input `x`, optionally widened by a
 * broadcasting Mul into a large tensor (`big`: up to a few million elements, the regime where the
 * per-element terms of the gas schedule matter), the operator under test with random attributes
 * and operands (initializers), and a ReduceSum back down to a small output when needed. Dims are
 * drawn including 1; the generator aims at valid models but does not promise them: whatever it
 * builds, the analyzer must judge (refuse with a ModelValidationError or accept and price).
 * `randomGraph` chains a few such operators; `mutateModel` damages encoded bytes (truncation,
 * flipped and inserted bytes) and decoded fields (a dim set to 0 or huge, an attribute changed).
 */
import { onnx } from 'onnx-proto'
import { buildModel, type AttributeSpec, type InitializerSpec, type NodeSpec } from './build-model.ts'
import type { Prng } from './prng.ts'

type T = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64'

/** The allowlist, as the generator knows it (kept equal to ALLOWED_OPS by the fuzz test). */
export const GENERATED_OPS = [
  'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'Reshape', 'Flatten',
  'Identity', 'Transpose', 'Concat', 'Clip', 'LeakyRelu', 'Exp', 'Neg', 'Abs', 'Max', 'Min', 'ArgMax',
  'ReduceSum', 'ReduceMean', 'Conv', 'MaxPool', 'AveragePool', 'BatchNormalization', 'QuantizeLinear',
  'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'MatMulInteger', 'ConvInteger', 'Cast', 'Squeeze',
  'Unsqueeze',
] as const

export interface RandomModel {
  bytes: Uint8Array
  /** One line: operators, shapes, attributes (for reports). */
  description: string
}

export interface RandomOpOptions {
  /** Widen the input into a large tensor before the operator (up to about `maxElements`). */
  big?: boolean
  /** Largest element count the generator aims at for a computed tensor (default 1 Mi). */
  maxElements?: number
  opset?: number
}

const IO_CAP = 65_536
const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1)

/** A small graph builder: fresh names, initializers, nodes. */
class G {
  nodes: NodeSpec[] = []
  inits: InitializerSpec[] = []
  private n = 0
  constructor(readonly r: Prng) {}
  name(prefix: string) {
    return `${prefix}${this.n++}`
  }
  init(type: T, shape: number[], values?: (i: number) => number | bigint): string {
    const name = this.name('w')
    const c = count(shape)
    const f = values ?? ((i: number) => (type === 'float32' ? Math.fround(this.r.uniform(-1, 1)) : type === 'uint8' ? (i * 37) % 256 : type === 'int64' ? BigInt((i % 7) - 3) : (i % 9) - 4))
    const vals = Array.from({ length: c }, (_, i) => f(i))
    this.inits.push({ name, type, shape, values: (type === 'int64' ? vals.map((v) => BigInt(v)) : vals.map(Number)) as number[] })
    return name
  }
  ints(values: number[]): string {
    return this.init('int64', [values.length], (i) => BigInt(values[i]))
  }
  node(op: string, inputs: string[], attrs?: Record<string, AttributeSpec>): string {
    const out = this.name('t')
    this.nodes.push({ op, inputs, outputs: [out], attrs })
    return out
  }
}

const int = (r: Prng, lo: number, hi: number) => lo + Math.floor(r.next() * (hi - lo + 1))
const pick = <X>(r: Prng, xs: readonly X[]): X => xs[Math.floor(r.next() * xs.length)]
const chance = (r: Prng, p: number) => r.next() < p

/** Random dims of `rank` with about `target` elements, 1s included. */
function randomShape(r: Prng, rank: number, target: number): number[] {
  const shape: number[] = []
  let left = Math.max(1, target)
  for (let i = 0; i < rank; i++) {
    if (chance(r, 0.2)) {
      shape.push(1)
      continue
    }
    const d = i === rank - 1 ? left : Math.max(1, Math.round(Math.pow(left, r.uniform(0.1, 1 / Math.max(1, rank - i - 1) + 0.2))))
    const dim = Math.max(1, Math.min(d, left))
    shape.push(dim)
    left = Math.max(1, Math.floor(left / dim))
  }
  return shape
}

interface Tensor {
  name: string
  type: T
  shape: number[]
}

interface OpCase {
  out: Tensor
  what: string
}

/** Applies `op` to `h` with random operands and attributes. */
function applyOp(g: G, op: string, h: Tensor, opset: number): OpCase {
  const r = g.r
  const rank = h.shape.length
  const floatIn = (): Tensor => (h.type === 'float32' ? h : { name: g.node('Cast', [h.name], { to: { int: 1 } }), type: 'float32', shape: h.shape })
  const asType = (t: Tensor, type: T): Tensor => (t.type === type ? t : { name: g.node('Cast', [t.name], { to: { int: TYPE_NUM[type] } }), type, shape: t.shape })
  const broadcastShape = () => {
    const keep = chance(r, 0.3) ? int(r, 0, rank) : rank
    return h.shape.slice(rank - keep).map((d) => (chance(r, 0.4) ? 1 : d))
  }
  const same = (name: string, shape = h.shape, type = h.type): OpCase => ({ out: { name, type, shape }, what: `${op} ${fmt(h.shape)}` })
  switch (op) {
    case 'Relu':
    case 'Neg':
    case 'Abs':
    case 'Identity': {
      const x = op === 'Relu' ? asType(h, pick(r, ['float32', 'int32'] as const)) : op === 'Neg' ? asType(h, pick(r, ['float32', 'int32', 'int64'] as const)) : h
      return { out: { ...x, name: g.node(op, [x.name]) }, what: `${op} ${x.type}${fmt(x.shape)}` }
    }
    case 'Sigmoid':
    case 'Tanh':
    case 'Exp': {
      const x = floatIn()
      return same(g.node(op, [x.name]), x.shape, 'float32')
    }
    case 'LeakyRelu': {
      const x = floatIn()
      return same(g.node(op, [x.name], { alpha: { float: r.uniform(0, 1) } }), x.shape, 'float32')
    }
    case 'Softmax': {
      const x = floatIn()
      return same(g.node(op, [x.name], { axis: { int: int(r, -rank, rank - 1) } }), x.shape, 'float32')
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const x = op === 'Div' ? floatIn() : asType(h, pick(r, ['float32', 'float32', 'int32', 'int64'] as const))
      const bs = broadcastShape()
      const w = g.init(x.type, bs, x.type === 'float32' ? (i) => (op === 'Div' ? 1 + (i % 5) : Math.fround(r.uniform(-1, 1))) : undefined)
      const operands = chance(r, 0.5) ? [x.name, w] : [w, x.name]
      return { out: { name: g.node(op, operands), type: x.type, shape: x.shape }, what: `${op} ${x.type}${fmt(x.shape)} ${fmt(bs)}` }
    }
    case 'Max':
    case 'Min': {
      const k = int(r, 0, 3)
      const ws = Array.from({ length: k }, () => g.init(h.type, broadcastShape()))
      return { out: { ...h, name: g.node(op, [h.name, ...ws]) }, what: `${op} ${h.type}${fmt(h.shape)} ×${k + 1}` }
    }
    case 'Clip': {
      const x = asType(h, pick(r, ['float32', 'int32', 'int64'] as const))
      const lo = g.init(x.type, chance(r, 0.5) ? [] : [1], () => (x.type === 'int64' ? -2n : -2))
      const hi = g.init(x.type, [], () => (x.type === 'int64' ? 3n : 3))
      const ins = chance(r, 0.3) ? [x.name] : chance(r, 0.5) ? [x.name, lo] : [x.name, '', hi]
      return { out: { ...x, name: g.node(op, ins) }, what: `Clip ${x.type}${fmt(x.shape)}` }
    }
    case 'Gemm': {
      const x = floatIn()
      const a2 = rank === 2 ? x : { name: g.node('Flatten', [x.name], { axis: { int: 1 } }), type: x.type, shape: [x.shape[0], count(x.shape.slice(1))] }
      const transA = chance(r, 0.3) ? 1 : 0
      const [m, k] = transA ? [a2.shape[1], a2.shape[0]] : a2.shape
      const n = int(r, 1, Math.max(1, Math.min(512, Math.floor(262_144 / Math.max(1, k)))))
      const transB = chance(r, 0.5) ? 1 : 0
      const b = g.init('float32', transB ? [n, k] : [k, n])
      const ins = [a2.name, b, ...(chance(r, 0.5) ? [g.init('float32', chance(r, 0.5) ? [n] : [1, n])] : [])]
      return { out: { name: g.node('Gemm', ins, { transA: { int: transA }, transB: { int: transB }, alpha: { float: 0.5 }, beta: { float: 1 } }), type: 'float32', shape: [m, n] }, what: `Gemm [${m},${k}]x[${k},${n}] tA${transA} tB${transB}` }
    }
    case 'MatMul': {
      const x = asType(h, pick(r, ['float32', 'float32', 'int32', 'int64'] as const))
      const k = x.shape[rank - 1]
      const n = int(r, 1, Math.max(1, Math.min(1024, Math.floor(262_144 / Math.max(1, k)))))
      const b = g.init(x.type, [k, n])
      return { out: { name: g.node('MatMul', [x.name, b]), type: x.type, shape: [...x.shape.slice(0, -1), n] }, what: `MatMul ${x.type}${fmt(x.shape)}x[${k},${n}]` }
    }
    case 'Reshape': {
      const target = [...h.shape].reverse()
      const i = int(r, 0, target.length - 1)
      const spec = target.map((d, j) => (j === i ? -1 : d))
      return { out: { ...h, name: g.node('Reshape', [h.name, g.ints(spec)]), shape: target }, what: `Reshape ${fmt(h.shape)}→${fmt(target)}` }
    }
    case 'Flatten': {
      const a = int(r, 0, rank)
      return { out: { ...h, name: g.node('Flatten', [h.name], { axis: { int: a } }), shape: [count(h.shape.slice(0, a)), count(h.shape.slice(a))] }, what: `Flatten ${fmt(h.shape)} axis ${a}` }
    }
    case 'Transpose': {
      const perm = h.shape.map((_, i) => i)
      for (let i = perm.length - 1; i > 0; i--) {
        const j = int(r, 0, i)
        ;[perm[i], perm[j]] = [perm[j], perm[i]]
      }
      return { out: { ...h, name: g.node('Transpose', [h.name], { perm: { ints: perm } }), shape: perm.map((p) => h.shape[p]) }, what: `Transpose ${fmt(h.shape)} ${fmt(perm)}` }
    }
    case 'Concat': {
      const a = int(r, 0, rank - 1)
      const k = int(r, 1, 3)
      const parts = Array.from({ length: k }, () => h.shape.map((d, i) => (i === a ? int(r, 1, 4) : d)))
      const ws = parts.map((s) => g.init(h.type, s))
      const shape = h.shape.map((d, i) => (i === a ? d + parts.reduce((s, p) => s + p[a], 0) : d))
      return { out: { ...h, name: g.node('Concat', [h.name, ...ws], { axis: { int: a } }), shape }, what: `Concat ${fmt(h.shape)} +${k} axis ${a}` }
    }
    case 'ArgMax': {
      const a = int(r, 0, rank - 1)
      const keep = chance(r, 0.5) ? 1 : 0
      const shape = keep ? h.shape.map((d, i) => (i === a ? 1 : d)) : h.shape.filter((_, i) => i !== a)
      return { out: { name: g.node('ArgMax', [h.name], { axis: { int: a }, keepdims: { int: keep }, select_last_index: { int: int(r, 0, 1) } }), type: 'int64', shape }, what: `ArgMax ${h.type}${fmt(h.shape)} axis ${a}` }
    }
    case 'ReduceSum':
    case 'ReduceMean': {
      const x = asType(h, pick(r, ['float32', 'int32', 'int64'] as const))
      const ax = h.shape.map((_, i) => i).filter(() => chance(r, 0.5))
      const keep = chance(r, 0.5) ? 1 : 0
      const asInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18
      const ins = ax.length > 0 && asInput ? [x.name, g.ints(ax)] : [x.name]
      const attrs: Record<string, AttributeSpec> = { keepdims: { int: keep } }
      if (ax.length > 0 && !asInput) attrs.axes = { ints: ax }
      const all = ax.length === 0
      const shape = keep ? x.shape.map((d, i) => (all || ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !(all || ax.includes(i)))
      return { out: { name: g.node(op, ins, attrs), type: x.type, shape }, what: `${op} ${x.type}${fmt(x.shape)} axes ${fmt(ax)}` }
    }
    case 'Conv':
    case 'ConvInteger':
    case 'QLinearConv':
      return conv(g, op, h, opset)
    case 'MaxPool':
    case 'AveragePool':
      return pool(g, op, h, opset)
    case 'BatchNormalization': {
      const x = floatIn()
      const c = x.shape[1] ?? 1
      const ps = [0, 1, 2, 3].map((i) => g.init('float32', [c], () => (i === 3 ? 1 + r.next() : r.uniform(-1, 1))))
      return same(g.node(op, [x.name, ...ps], { epsilon: { float: 1e-5 } }), x.shape, 'float32')
    }
    case 'QuantizeLinear': {
      const x = floatIn()
      const q = quantize(g, x)
      return { out: q, what: `QuantizeLinear ${fmt(x.shape)} → ${q.type}` }
    }
    case 'DequantizeLinear': {
      const q = quantize(g, floatIn())
      const zp = chance(r, 0.5) ? [g.init(q.type, [], () => (q.type === 'uint8' ? 128 : 0))] : []
      return { out: { name: g.node(op, [q.name, g.init('float32', [], () => 0.05), ...zp]), type: 'float32', shape: q.shape }, what: `DequantizeLinear ${q.type}${fmt(q.shape)}` }
    }
    case 'MatMulInteger':
    case 'QLinearMatMul': {
      const q = quantize(g, floatIn())
      const k = q.shape[rank - 1]
      const n = int(r, 1, Math.max(1, Math.min(512, Math.floor(262_144 / Math.max(1, k)))))
      const wType = q.type === 'int8' ? 'int8' : pick(r, ['int8', 'uint8'] as const)
      const w = g.init(wType, [k, n], (i) => (wType === 'int8' ? ((i * 13) % 129) - 64 : (i * 29) % 256))
      const shape = [...q.shape.slice(0, -1), n]
      if (op === 'MatMulInteger') {
        const zps = chance(r, 0.5) ? [g.init(q.type, [], () => 0), g.init(wType, [], () => 0)] : []
        return { out: { name: g.node(op, [q.name, w, ...zps]), type: 'int32', shape }, what: `MatMulInteger ${q.type}${fmt(q.shape)}x${wType}[${k},${n}]` }
      }
      const s = () => g.init('float32', [], () => 0.05)
      const z = (t: T) => g.init(t, [], () => (t === 'uint8' ? 128 : 0))
      return { out: { name: g.node(op, [q.name, s(), z(q.type), w, s(), z(wType), s(), z(q.type)]), type: q.type, shape }, what: `QLinearMatMul ${q.type}${fmt(q.shape)}x${wType}[${k},${n}]` }
    }
    case 'Cast': {
      const to = pick(r, ['float32', 'int8', 'uint8', 'int32', 'int64'] as const)
      const attrs: Record<string, AttributeSpec> = { to: { int: TYPE_NUM[to] } }
      if (opset >= 19 && chance(r, 0.3)) attrs.saturate = { int: 1 }
      return { out: { name: g.node('Cast', [h.name], attrs), type: to, shape: h.shape }, what: `Cast ${h.type}→${to} ${fmt(h.shape)}` }
    }
    case 'Squeeze': {
      const ones = h.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      const ax = ones.filter(() => chance(r, 0.6))
      const ins = ax.length > 0 ? [h.name, g.ints(ax)] : [h.name]
      const shape = h.shape.filter((d, i) => (ax.length > 0 ? !ax.includes(i) : d !== 1))
      return { out: { ...h, name: g.node('Squeeze', ins), shape }, what: `Squeeze ${fmt(h.shape)} axes ${fmt(ax)}` }
    }
    case 'Unsqueeze': {
      const k = int(r, 1, Math.max(1, Math.min(3, 8 - rank)))
      const outRank = rank + k
      const ax = Array.from({ length: outRank }, (_, i) => i).filter(() => chance(r, 0.4)).slice(0, k)
      while (ax.length < k) ax.push(outRank - 1 - ax.length)
      const set = new Set(ax)
      let next = 0
      const shape = Array.from({ length: outRank }, (_, i) => (set.has(i) ? 1 : h.shape[next++]))
      return { out: { ...h, name: g.node('Unsqueeze', [h.name, g.ints(ax)]), shape }, what: `Unsqueeze ${fmt(h.shape)} axes ${fmt(ax)}` }
    }
  }
  throw new Error(`no generator for ${op}`)
}

const TYPE_NUM: Record<T, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7 }

function quantize(g: G, x: Tensor): Tensor {
  const type = pick(g.r, ['uint8', 'int8'] as const)
  const zp = g.init(type, [], () => (type === 'uint8' ? 128 : 0))
  return { name: g.node('QuantizeLinear', [x.name, g.init('float32', [], () => 0.02), zp]), type, shape: x.shape }
}

function convAttrs(g: G, n: number, kernel: number[], allowDilation: boolean): { attrs: Record<string, AttributeSpec>; strides: number[]; pads: number[]; dil: number[]; auto: string } {
  const r = g.r
  const strides = kernel.map(() => int(r, 1, 3))
  const dil = kernel.map(() => (allowDilation && chance(r, 0.3) ? 2 : 1))
  const auto = chance(r, 0.25) ? pick(r, ['VALID', 'SAME_UPPER', 'SAME_LOWER']) : 'NOTSET'
  const pads = auto === 'NOTSET' ? [...kernel, ...kernel].map((k) => int(r, 0, Math.max(0, k - 1))) : []
  const attrs: Record<string, AttributeSpec> = { kernel_shape: { ints: kernel }, strides: { ints: strides } }
  if (dil.some((d) => d !== 1)) attrs.dilations = { ints: dil }
  if (auto !== 'NOTSET') attrs.auto_pad = { string: auto }
  else attrs.pads = { ints: pads }
  void n
  return { attrs, strides, pads, dil, auto }
}

function windowDims(spatial: number[], kernel: number[], strides: number[], pads: number[], dil: number[], auto: string): number[] {
  const n = spatial.length
  return spatial.map((size, i) => {
    const ext = dil[i] * (kernel[i] - 1) + 1
    if (auto === 'VALID') return Math.floor((size - ext) / strides[i]) + 1
    if (auto.startsWith('SAME')) return Math.ceil(size / strides[i])
    return Math.floor((size + pads[i] + pads[i + n] - ext) / strides[i]) + 1
  })
}

/** [N,C,...spatial] view of h (rank 3 or 4), through a Reshape when needed. */
function spatialView(g: G, h: Tensor): Tensor {
  if (h.shape.length >= 3 && h.shape.length <= 4) return h
  const c = count(h.shape)
  const side = Math.max(1, Math.floor(Math.sqrt(c)))
  const shape = [1, 1, side, Math.floor(c / side)]
  if (count(shape) !== c) return { name: g.node('Reshape', [h.name, g.ints([1, 1, c])]), type: h.type, shape: [1, 1, c] }
  return { name: g.node('Reshape', [h.name, g.ints(shape)]), type: h.type, shape }
}

function conv(g: G, op: string, h0: Tensor, opset: number): OpCase {
  const r = g.r
  void opset
  let h = spatialView(g, h0.type === 'float32' ? h0 : { name: g.node('Cast', [h0.name], { to: { int: 1 } }), type: 'float32', shape: h0.shape })
  const [nB, c, ...spatial] = h.shape
  const kernel = spatial.map((s) => int(r, 1, Math.max(1, Math.min(5, s))))
  const group = c > 1 && c % 2 === 0 && chance(r, 0.3) ? 2 : 1
  const m = group * int(r, 1, 8)
  const { attrs, strides, pads, dil, auto } = convAttrs(g, spatial.length, kernel, true)
  if (group !== 1) attrs.group = { int: group }
  const shape = [nB, m, ...windowDims(spatial, kernel, strides, pads, dil, auto)]
  const wShape = [m, c / group, ...kernel]
  if (op === 'Conv') {
    const ins = [h.name, g.init('float32', wShape), ...(chance(r, 0.5) ? [g.init('float32', [m])] : [])]
    return { out: { name: g.node(op, ins, attrs), type: 'float32', shape }, what: `Conv ${fmt(h.shape)} w${fmt(wShape)}` }
  }
  const q = quantize(g, h)
  h = q
  const wType = q.type === 'int8' ? 'int8' : pick(r, ['int8', 'uint8'] as const)
  const w = g.init(wType, wShape, (i) => (wType === 'int8' ? ((i * 13) % 129) - 64 : (i * 29) % 256))
  if (op === 'ConvInteger') return { out: { name: g.node(op, [q.name, w], attrs), type: 'int32', shape }, what: `ConvInteger ${q.type}${fmt(q.shape)} w${fmt(wShape)}` }
  const s = () => g.init('float32', [], () => 0.05)
  const z = (t: T) => g.init(t, [], () => (t === 'uint8' ? 128 : 0))
  const bias = chance(r, 0.5) ? [g.init('int32', [m])] : []
  return { out: { name: g.node(op, [q.name, s(), z(q.type), w, s(), z(wType), s(), z(q.type), ...bias], attrs), type: q.type, shape }, what: `QLinearConv ${q.type}${fmt(q.shape)} w${fmt(wShape)}` }
}

function pool(g: G, op: string, h0: Tensor, opset: number): OpCase {
  const r = g.r
  let h = spatialView(g, h0)
  if (op === 'AveragePool' && h.type !== 'float32') h = { name: g.node('Cast', [h.name], { to: { int: 1 } }), type: 'float32', shape: h.shape }
  if (op === 'MaxPool' && !['float32', 'int8', 'uint8'].includes(h.type)) h = { name: g.node('Cast', [h.name], { to: { int: 1 } }), type: 'float32', shape: h.shape }
  const [nB, c, ...spatial] = h.shape
  const kernel = spatial.map((s) => int(r, 1, Math.max(1, Math.min(4, s))))
  const { attrs, strides, pads, dil, auto } = convAttrs(g, spatial.length, kernel, op === 'MaxPool' || opset >= 19)
  if (op === 'AveragePool' && chance(r, 0.5)) attrs.count_include_pad = { int: 1 }
  const shape = [nB, c, ...windowDims(spatial, kernel, strides, pads, dil, auto)]
  return { out: { name: g.node(op, [h.name], attrs), type: h.type, shape }, what: `${op} ${h.type}${fmt(h.shape)} k${fmt(kernel)} s${fmt(strides)}` }
}

function fmt(s: readonly number[]): string {
  return `[${s.join(',')}]`
}

/** Brings `t` down to at most IO_CAP elements of a type ReduceSum takes, if it is not already an acceptable output. */
function finish(g: G, t: Tensor): Tensor {
  if (count(t.shape) <= IO_CAP && t.shape.length >= 1) return t
  let x = t
  if (!['float32', 'int32', 'int64'].includes(x.type)) x = { name: g.node('Cast', [x.name], { to: { int: 6 } }), type: 'int32', shape: x.shape }
  if (x.shape.length === 0) return { name: g.node('Unsqueeze', [x.name, g.ints([0])]), type: x.type, shape: [1] }
  return { name: g.node('ReduceSum', [x.name], { keepdims: { int: 1 } }), type: x.type, shape: x.shape.map(() => 1) }
}

/** The model's input: random rank 1–4, up to IO_CAP elements; `big` widens it by a broadcasting Mul (a new leading dim). */
function start(g: G, opts: RandomOpOptions): { input: number[]; h: Tensor } {
  const r = g.r
  const rank = int(r, 1, opts.big ? 3 : 4)
  const input = randomShape(r, rank, int(r, 1, opts.big ? 4096 : chance(g.r, 0.3) ? 16 : 2048))
  const x: Tensor = { name: 'x', type: 'float32', shape: input }
  if (!opts.big) return { input, h: x }
  const max = opts.maxElements ?? 1 << 20
  const factor = Math.max(1, Math.floor(max / count(input) / r.uniform(1, 8)))
  const w = g.init('float32', [factor, ...input.map(() => 1)], () => 1)
  return { input, h: { name: g.node('Mul', [x.name, w]), type: 'float32', shape: [factor, ...input] } }
}

function model(g: G, input: number[], out: Tensor, opset: number): Uint8Array {
  return buildModel({
    opset,
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    inputs: [{ name: 'x', type: 'float32', shape: input }],
    outputs: [{ name: out.name, type: out.type, shape: out.shape }],
    nodes: g.nodes,
    initializers: g.inits,
  })
}

/** One model around operator `op` (see the module comment). */
export function randomOpModel(op: string, r: Prng, opts: RandomOpOptions = {}): RandomModel {
  const opset = opts.opset ?? pick(r, [13, 15, 17, 17, 19, 21])
  const g = new G(r)
  const { input, h } = start(g, opts)
  const c = applyOp(g, op, h, opset)
  const out = finish(g, c.out)
  return { bytes: model(g, input, out, opset), description: `opset ${opset}: ${c.what}${opts.big ? ` (x${fmt(input)} widened)` : ''}` }
}

/** A chain of 1–`maxOps` random allowlisted operators. */
export function randomGraph(r: Prng, maxOps = 4): RandomModel {
  const opset = pick(r, [13, 15, 17, 19, 21])
  const g = new G(r)
  const { input, h: h0 } = start(g, { big: chance(r, 0.2), maxElements: 1 << 18 })
  let h = h0
  const whats: string[] = []
  const k = int(r, 1, maxOps)
  for (let i = 0; i < k; i++) {
    const op = pick(r, GENERATED_OPS)
    const c = applyOp(g, op, h, opset)
    whats.push(c.what)
    h = c.out
    if (h.shape.length === 0 || count(h.shape) > 1 << 20) h = finish(g, h)
  }
  const out = finish(g, h)
  return { bytes: model(g, input, out, opset), description: `opset ${opset}: ${whats.join(' → ')}` }
}

/**
 * A damaged copy of `bytes`: either a byte-level mutation of the encoding (truncation, flipped,
 * inserted or deleted bytes) or a field-level one on the decoded model (a dim of 0, 1 or huge, an
 * attribute value or type changed, an opset changed, an input renamed), re-encoded.
 */
export function mutateModel(bytes: Uint8Array, r: Prng): RandomModel {
  const kind = int(r, 0, 9)
  const b = Uint8Array.from(bytes)
  switch (kind) {
    case 0:
      return { bytes: b.slice(0, int(r, 0, b.length - 1)), description: 'truncated' }
    case 1:
    case 2: {
      const n = int(r, 1, 8)
      for (let i = 0; i < n; i++) b[int(r, 0, b.length - 1)] ^= 1 << int(r, 0, 7)
      return { bytes: b, description: `${n} bits flipped` }
    }
    case 3: {
      const at = int(r, 0, b.length)
      const junk = Uint8Array.from({ length: int(r, 1, 16) }, () => int(r, 0, 255))
      return { bytes: new Uint8Array([...b.slice(0, at), ...junk, ...b.slice(at)]), description: `${junk.length} bytes inserted` }
    }
    default:
      return fieldMutation(bytes, r)
  }
}

function fieldMutation(bytes: Uint8Array, r: Prng): RandomModel {
  const m = onnx.ModelProto.decode(bytes)
  const graph = m.graph!
  const nodes = graph.node ?? []
  const what = int(r, 0, 8)
  const dimValue = () => pick(r, [0, 0, 1, 1, 2, 7, 65_536, 1 << 24, 2 ** 40])
  let description = 'unchanged'
  if (what === 0 && graph.initializer && graph.initializer.length > 0) {
    const t = pick(r, graph.initializer)
    if (t.dims && t.dims.length > 0) {
      const i = int(r, 0, t.dims.length - 1)
      t.dims[i] = dimValue()
      description = `initializer ${t.name} dim ${i} = ${t.dims[i]}`
    }
  } else if (what === 1) {
    const v = pick(r, [...(graph.input ?? []), ...(graph.output ?? [])])
    const dims = v.type?.tensorType?.shape?.dim ?? []
    if (dims.length > 0) {
      const d = pick(r, dims)
      d.dimValue = dimValue()
      description = `${v.name} dim = ${d.dimValue}`
    }
  } else if (what === 2 && nodes.length > 0) {
    const n = pick(r, nodes)
    const a = n.attribute && n.attribute.length > 0 ? pick(r, n.attribute) : undefined
    if (a) {
      if (a.ints && a.ints.length > 0) a.ints[int(r, 0, a.ints.length - 1)] = pick(r, [-1, 0, 1, 3, 1000, -1000])
      else a.i = pick(r, [-2, -1, 0, 1, 2, 5, 19, 1000])
      description = `${n.opType}.${a.name} changed`
    }
  } else if (what === 3 && nodes.length > 0) {
    const n = pick(r, nodes)
    const names = ['saturate', 'axis', 'keepdims', 'group', 'auto_pad', 'alpha', 'perm', 'to', 'select_last_index', 'noop_with_empty_axes', 'allowzero', 'ceil_mode', 'count_include_pad']
    const name = pick(r, names)
    const T2 = onnx.AttributeProto.AttributeType
    const attr: onnx.IAttributeProto = pick(r, [
      { name, type: T2.INT, i: pick(r, [0, 1, -1, 2]) },
      { name, type: T2.INTS, ints: [0, 1] },
      { name, type: T2.FLOAT, f: 0.5 },
      { name, type: T2.STRING, s: new TextEncoder().encode(pick(r, ['SAME_UPPER', 'VALID', 'NOTSET', 'X'])) },
    ])
    n.attribute = [...(n.attribute ?? []).filter((a) => a.name !== name), attr]
    description = `${n.opType} gets ${name}`
  } else if (what === 4) {
    m.opsetImport = [{ domain: '', version: pick(r, [12, 13, 14, 16, 18, 19, 20, 21, 22]) }]
    description = `opset ${m.opsetImport[0].version}`
  } else if (what === 5 && nodes.length > 0) {
    const n = pick(r, nodes)
    n.opType = pick(r, GENERATED_OPS)
    description = `a node becomes ${n.opType}`
  } else if (what === 6 && nodes.length > 1) {
    const i = int(r, 0, nodes.length - 1)
    const j = int(r, 0, nodes.length - 1)
    ;[nodes[i], nodes[j]] = [nodes[j], nodes[i]]
    description = 'two nodes swapped'
  } else if (what === 7 && graph.initializer && graph.initializer.length > 0) {
    const t = pick(r, graph.initializer)
    t.dataType = pick(r, [1, 2, 3, 6, 7, 9, 10, 11])
    description = `initializer ${t.name} type ${t.dataType}`
  } else if (what === 8 && graph.initializer && graph.initializer.length > 0) {
    // an initializer also listed as a graph input (an overridable constant), declared as it is or not
    const t = pick(r, graph.initializer)
    const dims = (t.dims ?? []).map((d) => (chance(r, 0.3) ? Number(d) + 1 : Number(d)))
    const elemType = chance(r, 0.3) ? pick(r, [1, 6, 7]) : t.dataType
    graph.input = [...(graph.input ?? []), { name: t.name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }]
    description = `initializer ${t.name} listed as a graph input`
  }
  return { bytes: new Uint8Array(onnx.ModelProto.encode(m).finish()), description }
}
