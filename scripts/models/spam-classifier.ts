/**
 * The off-chain text classifier: spam or ham from the text of a message, too big for the
 * precompile (a 4096×128 float32 first layer is 2 MiB; the precompile's cap is 1 MiB).
 *
 * Input format `text/bow-fnv1a:4096` (worker/formats/text.ts): the message's UTF-8 bytes become a
 * binary bag of FNV-1a-hashed words, float32 [1,4096]. Graph: Gemm [4096→128] → Relu →
 * Gemm [128→2] → Softmax → `probabilities` float32 [1,2] = [p_ham, p_spam]; output format
 * `int256[]` (1e18 fixed point).
 *
 * Trained here, deterministically: the SpamAssassin extract (spam-corpus.ts) in corpus order,
 * every fifth message (index % 5 == 4) held out for the test, the others seen whole and cut to
 * their first 200 characters (SPAM_PREFIX_CHARS), plain SGD on one example at a time
 * (cross-entropy), seeded Glorot-uniform weights, a seeded shuffle each epoch, float64 arithmetic
 * with exp64 (docs/CANONICAL_INFERENCE.md: basic operations only), so the same bytes on every
 * machine. Accuracies are measured on the model bytes with the canonical evaluator.
 */
import { compileModel, exp64 } from '../../precompiles/canonical/index.ts'
import { bowFormat, bowIndices, INT256_ARRAY } from '../../worker/formats/index.ts'
import { buildModel } from './build-model.ts'
import { createPrng } from './prng.ts'
import { loadSpamCorpus, type SpamMessage } from './spam-corpus.ts'

export const SPAM_SEED = 0x5ba11ad
export const SPAM_BUCKETS = 4096
export const SPAM_HIDDEN = 128
export const SPAM_EPOCHS = 4
export const SPAM_LEARNING_RATE = 0.05
export const SPAM_INPUT_FORMAT = bowFormat(SPAM_BUCKETS)
export const SPAM_OUTPUT_FORMAT = INT256_ARRAY
export const SPAM_CLASSES = ['ham', 'spam'] as const
/**
 * Each training message is also seen cut to its first 200 characters (the Subject and the first
 * lines), with its label: without these, a short message with none of the mailing-list words of the
 * corpus' ham read as spam (held-out accuracy on messages cut to 150 characters: 92.1% → 95.9%;
 * on whole messages unchanged).
 */
export const SPAM_PREFIX_CHARS = 200

export interface SpamExample {
  /** Distinct hashed-word buckets of the message (its nonzero features). */
  features: number[]
  /** 1 for spam, 0 for ham. */
  label: number
}

export interface SpamSplit {
  train: SpamExample[]
  /** The first SPAM_PREFIX_CHARS characters of every training message, with its label (training augmentation). */
  trainPrefixes: SpamExample[]
  test: SpamExample[]
  /** The held-out messages' texts, in order (for tests that run them end to end). */
  testTexts: string[]
}

const utf8 = new TextEncoder()

/** The corpus split: message i is held out when i % 5 == 4 (corpus order: every group in both sets). */
export function spamSplit(corpus: SpamMessage[] = loadSpamCorpus(), buckets = SPAM_BUCKETS): SpamSplit {
  const split: SpamSplit = { train: [], trainPrefixes: [], test: [], testTexts: [] }
  corpus.forEach((m, i) => {
    const label = m.spam ? 1 : 0
    const example = { features: bowIndices(utf8.encode(m.text), buckets), label }
    if (i % 5 === 4) {
      split.test.push(example)
      split.testTexts.push(m.text)
    } else {
      split.train.push(example)
      split.trainPrefixes.push({ features: bowIndices(utf8.encode(m.text.slice(0, SPAM_PREFIX_CHARS)), buckets), label })
    }
  })
  return split
}

export interface SpamWeights {
  buckets: number
  hidden: number
  /** [buckets][hidden], row-major. */
  w1: Float64Array
  b1: Float64Array
  /** [hidden][2], row-major. */
  w2: Float64Array
  b2: Float64Array
}

export interface SpamTrainingParameters {
  buckets?: number
  hidden?: number
  epochs?: number
  learningRate?: number
  seed?: number
}

/** Trains the MLP on `train` (deterministic: fixed seed, fixed order of every operation). */
export function trainSpamClassifier(train: SpamExample[], p: SpamTrainingParameters = {}): SpamWeights {
  const D = p.buckets ?? SPAM_BUCKETS
  const H = p.hidden ?? SPAM_HIDDEN
  const epochs = p.epochs ?? SPAM_EPOCHS
  const lr = p.learningRate ?? SPAM_LEARNING_RATE
  const rng = createPrng(p.seed ?? SPAM_SEED)
  const glorot = (n: number, fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut))
    return Float64Array.from({ length: n }, () => rng.uniform(-limit, limit))
  }
  const w1 = glorot(D * H, D, H)
  const b1 = new Float64Array(H)
  const w2 = glorot(H * 2, H, 2)
  const b2 = new Float64Array(2)
  const h = new Float64Array(H)
  const dh = new Float64Array(H)
  const order = train.map((_, i) => i)
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    for (const k of order) {
      const { features, label } = train[k]
      // forward: h = relu(b1 + Σ_active w1[j]), z = h·w2 + b2, p = softmax(z)
      h.set(b1)
      for (const j of features) for (let u = 0, r = j * H; u < H; u++) h[u] += w1[r + u]
      let z0 = b2[0]
      let z1 = b2[1]
      for (let u = 0; u < H; u++) {
        if (h[u] < 0) h[u] = 0
        z0 += h[u] * w2[2 * u]
        z1 += h[u] * w2[2 * u + 1]
      }
      const p1 = 1 / (1 + exp64(z0 - z1)) // softmax of two: p_spam
      const d1 = p1 - label // dL/dz1; dL/dz0 = -d1
      // backward (SGD step per example)
      for (let u = 0; u < H; u++) {
        dh[u] = h[u] > 0 ? (w2[2 * u + 1] - w2[2 * u]) * d1 : 0
        w2[2 * u] += lr * d1 * h[u]
        w2[2 * u + 1] -= lr * d1 * h[u]
      }
      b2[0] += lr * d1
      b2[1] -= lr * d1
      for (let u = 0; u < H; u++) b1[u] -= lr * dh[u]
      for (const j of features) for (let u = 0, r = j * H; u < H; u++) w1[r + u] -= lr * dh[u]
    }
  }
  return { buckets: D, hidden: H, w1, b1, w2, b2 }
}

/** The ONNX model of the weights: features float32 [1,D] → probabilities float32 [1,2] (ham, spam). */
export function buildSpamClassifierModel(w: SpamWeights): Uint8Array {
  return buildModel({
    graphName: 'spam_classifier',
    docString: `Spam classifier: input format ${bowFormat(w.buckets)}, output format ${INT256_ARRAY} [p_ham, p_spam] (scripts/models/spam-classifier.ts)`,
    inputs: [{ name: 'features', type: 'float32', shape: [1, w.buckets] }],
    outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 2] }],
    initializers: [
      { name: 'w1', type: 'float32', shape: [w.buckets, w.hidden], values: w.w1 },
      { name: 'b1', type: 'float32', shape: [w.hidden], values: w.b1 },
      { name: 'w2', type: 'float32', shape: [w.hidden, 2], values: w.w2 },
      { name: 'b2', type: 'float32', shape: [2], values: w.b2 },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['features', 'w1', 'b1'], outputs: ['hidden_pre'] },
      { op: 'Relu', inputs: ['hidden_pre'], outputs: ['hidden'] },
      { op: 'Gemm', inputs: ['hidden', 'w2', 'b2'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probabilities'], attrs: { axis: { int: 1 } } },
    ],
  })
}

/** Accuracy of the model bytes (canonical evaluator) on examples: predicted spam when p_spam > p_ham. */
export function spamAccuracy(bytes: Uint8Array, examples: SpamExample[]): number {
  const model = compileModel(bytes)
  const D = model.input.shape[1]
  const x = new Float32Array(D)
  let right = 0
  for (const e of examples) {
    x.fill(0)
    for (const j of e.features) x[j] = 1
    const p = model.run(x) as Float32Array
    if ((p[1] > p[0] ? 1 : 0) === e.label) right++
  }
  return right / examples.length
}

export interface SpamClassifier {
  bytes: Uint8Array
  trainAccuracy: number
  testAccuracy: number
  trainSize: number
  testSize: number
}

/** Builds the example classifier from the committed corpus (a few seconds). */
export function buildSpamClassifier(p: SpamTrainingParameters = {}, corpus?: SpamMessage[]): SpamClassifier {
  const split = spamSplit(corpus, p.buckets ?? SPAM_BUCKETS)
  const bytes = buildSpamClassifierModel(trainSpamClassifier([...split.train, ...split.trainPrefixes], p))
  return { bytes, trainAccuracy: spamAccuracy(bytes, split.train), testAccuracy: spamAccuracy(bytes, split.test), trainSize: split.train.length, testSize: split.test.length }
}
