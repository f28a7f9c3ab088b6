/**
 * The credit-risk example: a logistic model scoring a borrower's probability of default from four
 * normalized features. The data is synthetic (a fixed "true" risk law plus noise, drawn from a
 * seeded PRNG); the model is trained on it by plain full-batch gradient descent, then written as
 * Gemm → Sigmoid with float32 [1,4] in and [1,1] out.
 */
import { buildModel } from './build-model.ts'
import { createPrng } from './prng.ts'

/** The model's input, in order, and how a raw value is normalized before it is passed. */
export const CREDIT_FEATURES = [
  { name: 'income', normalize: 'annual income in USD / 100,000 (0.5 = $50k)' },
  { name: 'debtRatio', normalize: 'monthly debt payments / monthly income (0–1)' },
  { name: 'creditYears', normalize: 'years of credit history / 10 (1.5 = 15 years)' },
  { name: 'latePayments', normalize: 'late payments in the last 24 months / 5' },
] as const

export const CREDIT_SEED = 0xc4ed17
export const CREDIT_SAMPLES = 4000
const EPOCHS = 1500
const LEARNING_RATE = 0.5

/** The law the synthetic labels are drawn from: logit of P(default). Training should recover roughly these. */
export const CREDIT_TRUE_WEIGHTS = { bias: -1.0, income: -1.6, debtRatio: 3.2, creditYears: -0.9, latePayments: 2.0 } as const

export interface CreditDataset {
  x: number[][]
  y: number[]
}

export function generateCreditDataset(seed = CREDIT_SEED, samples = CREDIT_SAMPLES): CreditDataset {
  const rng = createPrng(seed)
  const x: number[][] = []
  const y: number[] = []
  const w = CREDIT_TRUE_WEIGHTS
  for (let i = 0; i < samples; i++) {
    const income = Math.max(0.1, 0.6 + 0.3 * rng.normal())
    const debtRatio = Math.min(1, Math.max(0, 0.35 + 0.18 * rng.normal()))
    const creditYears = rng.uniform(0, 3)
    const latePayments = Math.floor(rng.next() * rng.next() * 6) / 5
    const logit = w.bias + w.income * income + w.debtRatio * debtRatio + w.creditYears * creditYears + w.latePayments * latePayments
    x.push([income, debtRatio, creditYears, latePayments])
    y.push(rng.next() < sigmoid(logit) ? 1 : 0)
  }
  return { x, y }
}

export interface CreditWeights {
  /** One weight per feature, in CREDIT_FEATURES order. */
  w: number[]
  b: number
  /** Training accuracy at a 0.5 threshold. */
  accuracy: number
}

/** Logistic regression by full-batch gradient descent on the log loss, from zero weights. */
export function trainCreditModel(data: CreditDataset = generateCreditDataset()): CreditWeights {
  const n = data.x.length
  const w = [0, 0, 0, 0]
  let b = 0
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const gw = [0, 0, 0, 0]
    let gb = 0
    for (let i = 0; i < n; i++) {
      const err = sigmoid(dot(w, data.x[i]) + b) - data.y[i]
      for (let j = 0; j < 4; j++) gw[j] += err * data.x[i][j]
      gb += err
    }
    for (let j = 0; j < 4; j++) w[j] -= (LEARNING_RATE * gw[j]) / n
    b -= (LEARNING_RATE * gb) / n
  }
  let correct = 0
  for (let i = 0; i < n; i++) if ((sigmoid(dot(w, data.x[i]) + b) >= 0.5 ? 1 : 0) === data.y[i]) correct++
  return { w, b, accuracy: correct / n }
}

/** The credit model's score (P(default)) for normalized features, computed in JS (float64). */
export function creditScore(weights: CreditWeights, features: readonly number[]): number {
  return sigmoid(dot(weights.w, features) + weights.b)
}

/** ONNX bytes of the trained credit model: features float32 [1,4] → Gemm → Sigmoid → score float32 [1,1]. */
export function buildCreditModel(weights: CreditWeights = trainCreditModel()): Uint8Array {
  return buildModel({
    graphName: 'credit_risk',
    docString: 'P(default) from [income/1e5 USD, debt ratio, credit years/10, late payments (24 months)/5]',
    inputs: [{ name: 'features', type: 'float32', shape: [1, 4] }],
    outputs: [{ name: 'score', type: 'float32', shape: [1, 1] }],
    initializers: [
      { name: 'W', type: 'float32', shape: [4, 1], values: weights.w },
      { name: 'b', type: 'float32', shape: [1], values: [weights.b] },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['features', 'W', 'b'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['score'] },
    ],
  })
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}
