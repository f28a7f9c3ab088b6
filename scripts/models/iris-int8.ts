/**
 * The int8-quantized Iris MLP: the exactly reproducible example. The trained float MLP
 * (iris.ts) is quantized after training:
 *
 *   measurements int8 [1,4] in millimetres (round(cm · 10); every Iris value fits in int8)
 *   → MatMulInteger (int8 × int8 weights → int32) → Add int32 bias → Relu (int32)
 *   → requantize to int8: Cast float32 → Mul 2^-shift → Clip [0,127] → Cast int8
 *   → MatMulInteger (int8 × int8 weights → int32) → Add int32 bias → logits int32 [1,3]
 *
 * Every step is exact: integer products and sums; int32 → float32 of values below 2^24; a
 * multiply by a power of two; a clip; float → int8 truncation of a value in [0, 127]. So any CPU
 * gives the same logits, which irisInt8Logits reproduces in JS. Weights are 7-bit ([-64, 64]), so
 * onnxruntime on x86 without VNNI (whose int8 kernels saturate full-range products) agrees too.
 */
import { buildModel } from './build-model.ts'
import { irisDataset, IRIS_HIDDEN, trainIrisMlp, type IrisWeights } from './iris.ts'

/** Largest weight magnitude after quantization: 7 bits, the analyzer's limit for int8 weights. */
const WEIGHT_MAX = 64

export interface IrisInt8Weights {
  /** [4][8], int8, per millimetre of input. */
  w1: number[][]
  /** [8], int32. */
  b1: number[]
  /** Hidden activations are divided by 2^shift (floor) before layer 2. */
  shift: number
  /** [8][3], int8. */
  w2: number[][]
  /** [3], int32. */
  b2: number[]
  /** float logit ≈ int32 logit · logitScale. */
  logitScale: number
  /** Training accuracy of the quantized model. */
  accuracy: number
}

/** Millimetres as the int8 model takes them: round(cm · 10). */
export function irisToMillimetres(xCm: readonly number[]): number[] {
  return xCm.map((v) => Math.round(v * 10))
}

export function quantizeIrisMlp(weights: IrisWeights = trainIrisMlp()): IrisInt8Weights {
  const w1mm = weights.w1.map((r) => r.map((v) => v / 10))
  const s1 = maxAbs(w1mm.flat()) / WEIGHT_MAX
  const w1 = w1mm.map((r) => r.map((v) => clampRound(v / s1, -WEIGHT_MAX, WEIGHT_MAX)))
  const b1 = weights.b1.map((v) => Math.round(v / s1))

  // the smallest shift that keeps the largest hidden activation seen in training within int8
  const data = irisDataset()
  let maxHidden = 0
  for (const x of data.x) for (const v of hidden(irisToMillimetres(x), w1, b1)) maxHidden = Math.max(maxHidden, v)
  let shift = 0
  while (Math.floor(maxHidden / 2 ** shift) > 127) shift++

  const s2 = maxAbs(weights.w2.flat()) / WEIGHT_MAX
  const w2 = weights.w2.map((r) => r.map((v) => clampRound(v / s2, -WEIGHT_MAX, WEIGHT_MAX)))
  const logitScale = s1 * 2 ** shift * s2
  const b2 = weights.b2.map((v) => Math.round(v / logitScale))
  const q: IrisInt8Weights = { w1, b1, shift, w2, b2, logitScale, accuracy: 0 }
  q.accuracy = data.x.filter((x, i) => argmax(irisInt8Logits(q, irisToMillimetres(x))) === data.y[i]).length / data.x.length
  return q
}

function hidden(xMm: readonly number[], w1: number[][], b1: number[]): number[] {
  return b1.map((b, j) => Math.max(0, b + xMm.reduce((s, v, f) => s + v * w1[f][j], 0)))
}

/** The int8 model's exact output (int32 logits) for measurements in mm, computed in JS. */
export function irisInt8Logits(q: IrisInt8Weights, xMm: readonly number[]): number[] {
  const h = hidden(xMm, q.w1, q.b1).map((v) => Math.min(127, Math.trunc(v / 2 ** q.shift)))
  return q.b2.map((b, k) => b + h.reduce((s, v, j) => s + v * q.w2[j][k], 0))
}

/** ONNX bytes of the int8 Iris MLP: measurements int8 [1,4] (mm) → logits int32 [1,3]. */
export function buildIrisInt8Model(q: IrisInt8Weights = quantizeIrisMlp()): Uint8Array {
  return buildModel({
    graphName: 'iris_mlp_int8',
    docString: `Iris species logits (int32, × ${q.logitScale.toPrecision(6)} ≈ float logits) from [sepal length, sepal width, petal length, petal width] in mm (int8)`,
    inputs: [{ name: 'measurements_mm', type: 'int8', shape: [1, 4] }],
    outputs: [{ name: 'logits', type: 'int32', shape: [1, 3] }],
    initializers: [
      { name: 'W1', type: 'int8', shape: [4, IRIS_HIDDEN], values: q.w1.flat() },
      { name: 'b1', type: 'int32', shape: [IRIS_HIDDEN], values: q.b1 },
      { name: 'requant_scale', type: 'float32', shape: [], values: [2 ** -q.shift] },
      { name: 'requant_min', type: 'float32', shape: [], values: [0] },
      { name: 'requant_max', type: 'float32', shape: [], values: [127] },
      { name: 'W2', type: 'int8', shape: [IRIS_HIDDEN, 3], values: q.w2.flat() },
      { name: 'b2', type: 'int32', shape: [3], values: q.b2 },
    ],
    nodes: [
      { op: 'MatMulInteger', inputs: ['measurements_mm', 'W1'], outputs: ['acc1'] },
      { op: 'Add', inputs: ['acc1', 'b1'], outputs: ['acc1_biased'] },
      { op: 'Relu', inputs: ['acc1_biased'], outputs: ['hidden32'] },
      { op: 'Cast', inputs: ['hidden32'], outputs: ['hidden_f'], attrs: { to: { int: 1 } } },
      { op: 'Mul', inputs: ['hidden_f', 'requant_scale'], outputs: ['hidden_scaled'] },
      { op: 'Clip', inputs: ['hidden_scaled', 'requant_min', 'requant_max'], outputs: ['hidden_clipped'] },
      { op: 'Cast', inputs: ['hidden_clipped'], outputs: ['hidden8'], attrs: { to: { int: 3 } } },
      { op: 'MatMulInteger', inputs: ['hidden8', 'W2'], outputs: ['acc2'] },
      { op: 'Add', inputs: ['acc2', 'b2'], outputs: ['logits'] },
    ],
  })
}

function maxAbs(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
}

function clampRound(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v)))
}

function argmax(values: readonly number[]): number {
  return values.indexOf(Math.max(...values))
}
