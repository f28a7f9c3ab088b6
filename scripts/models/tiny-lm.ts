/**
 * The off-chain language model: a decoder-only transformer over the 96 tokens of the ascii96
 * vocabulary (worker/formats/ascii-lm.ts), built only from the allowlisted operators, too big
 * for the precompile (about 1.7 MB of float32 weights; the cap is 1 MiB).
 *
 * Input `window` float32 [T, 96] (one-hot rows, zero rows for padding; T = 32). Graph:
 *   h = window·E + P                                    (MatMul instead of Gather: one-hot × embedding)
 *   per block (2 blocks, d = 128, 4 heads of 32, MLP 512, no normalization):
 *     q, k, v = h·Wq, h·Wk, h·Wv → Reshape [T,4,32] → Transpose to [4,T,32] (k to [4,32,T])
 *     a = Softmax(q·kᵀ · 1/√32 + causal mask)          (mask: 0 at and below the diagonal, −1e9 above)
 *     h = h + Reshape(Transpose(a·v)) · Wo
 *     h = h + Relu(h·W1 + b1)·W2 + b2
 *   logits = (s·h) · Wout + bout, s = e_{T−1}ᵀ (MatMul with a selector row instead of Slice: the last position)
 * Output `logits` float32 [1, 96].
 *
 * Weights: not trained by gradient descent. The embedding puts token c on axis c (E = identity
 * in the first 96 of the 128 dimensions, seeded noise in the other 32, where the positional
 * embedding P lives too), and the readout Wout is the table of log bigram probabilities
 * log P(next | current) counted on the SpamAssassin extract (add-½ smoothing), so that the
 * residual path alone is a character bigram model. The two blocks' weights are seeded
 * (normal, scaled), and their outputs shift the logits with the context. Deterministic: seeded
 * PRNG, counts, and float64 basic operations only (log64 below, no Math.log).
 *
 * It writes English-looking character soup, not sense: it is the example of the
 * `text/utf-8` → `text/greedy-ascii:N` formats and of their cost, not a useful model. Measured on
 * windows of the held-out fifth of the corpus: 4.28 bits per character, the next character right
 * 18.5% of the time (the bigram alone, blocks zeroed: 4.01 bits, 22.3%). Tried and dropped:
 * training the readout by SGD on the seeded blocks' features (3,100 windows, 3 epochs, 12 s)
 * gave 4.13 bits, no better than the bigram; training the whole network by backpropagation in
 * TypeScript is out of a build's time budget (≈400 characters per second on one core).
 */
import { exp64 } from '../../precompiles/canonical/index.ts'
import { ASCII_VOCAB_SIZE, asciiToken } from '../../worker/formats/index.ts'
import { buildModel, type InitializerSpec, type NodeSpec } from './build-model.ts'
import { createPrng } from './prng.ts'
import { loadSpamCorpus } from './spam-corpus.ts'

export const LM_SEED = 0x7e57a11
export const LM_CONTEXT = 32
export const LM_DIM = 128
export const LM_HEADS = 4
export const LM_MLP = 512
export const LM_BLOCKS = 2
/** Standard deviation of the seeded block weights. */
export const LM_INIT_STD = 0.02

export interface TinyLmParameters {
  context?: number
  dim?: number
  heads?: number
  mlp?: number
  blocks?: number
  seed?: number
  initStd?: number
  /** Texts the bigram table is counted on; the SpamAssassin extract unless given. */
  texts?: readonly string[]
}

/** Natural logarithm of x > 0 with float64 basic operations only (Newton on exp64, a fixed 64 steps from an exponent estimate). */
export function log64(x: number): number {
  if (!(x > 0)) throw new RangeError(`log64 of ${x}`)
  let k = 0
  let m = x
  while (m >= 2) {
    m /= 2
    k++
  }
  while (m < 1) {
    m *= 2
    k--
  }
  let y = k * 0.6931471805599453 + (m - 1)
  for (let i = 0; i < 64; i++) y = y - 1 + x * exp64(-y)
  return y
}

/** Bigram log probabilities log P(b | a), [96][96] row-major, counted on texts with add-½ smoothing. */
export function bigramLogProbs(texts: readonly string[]): Float64Array {
  const V = ASCII_VOCAB_SIZE
  const counts = new Float64Array(V * V)
  for (const text of texts) {
    let prev = -1
    for (const ch of text) {
      const t = asciiToken(ch.codePointAt(0)!)
      const tok = t >= 0 ? t : 1
      if (prev >= 0) counts[prev * V + tok]++
      prev = tok
    }
  }
  const out = new Float64Array(V * V)
  for (let a = 0; a < V; a++) {
    let total = 0
    for (let b = 0; b < V; b++) total += counts[a * V + b] + 0.5
    for (let b = 0; b < V; b++) out[a * V + b] = log64((counts[a * V + b] + 0.5) / total)
  }
  return out
}

/** Builds the model bytes (deterministic). */
export function buildTinyLm(p: TinyLmParameters = {}): Uint8Array {
  const T = p.context ?? LM_CONTEXT
  const d = p.dim ?? LM_DIM
  const H = p.heads ?? LM_HEADS
  const F = p.mlp ?? LM_MLP
  const blocks = p.blocks ?? LM_BLOCKS
  const std = p.initStd ?? LM_INIT_STD
  const V = ASCII_VOCAB_SIZE
  const dh = d / H
  if (!Number.isInteger(dh) || d < V) throw new Error(`dim ${d} must be a multiple of heads ${H} and at least ${V}`)
  const rng = createPrng(p.seed ?? LM_SEED)
  const normal = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s)

  const embedding = new Float32Array(V * d)
  for (let c = 0; c < V; c++) {
    embedding[c * d + c] = 1
    for (let j = V; j < d; j++) embedding[c * d + j] = rng.normal() * 0.5
  }
  const positions = new Float32Array(T * d)
  for (let t = 0; t < T; t++) for (let j = V; j < d; j++) positions[t * d + j] = rng.normal() * 0.5
  const bigram = bigramLogProbs(p.texts ?? loadSpamCorpus().map((m) => m.text))
  // rows 0..95: token axis c → log P(· | c) minus the column's mean over c, which goes to the bias
  // (the same logits for h = e_c, and the blocks' perturbations of h do not favour any token); rows 96..d-1 stay 0
  const columnMean = new Float64Array(V)
  for (let c = 0; c < V; c++) for (let b = 0; b < V; b++) columnMean[b] += bigram[c * V + b] / V
  const readout = new Float32Array(d * V)
  for (let c = 0; c < V; c++) for (let b = 0; b < V; b++) readout[c * V + b] = bigram[c * V + b] - columnMean[b]
  const mask = new Float32Array(T * T)
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) mask[i * T + j] = -1e9
  const selector = new Float32Array(T)
  selector[T - 1] = 1

  const inits: InitializerSpec[] = [
    { name: 'embedding', type: 'float32', shape: [V, d], values: embedding },
    { name: 'positions', type: 'float32', shape: [T, d], values: positions },
    { name: 'mask', type: 'float32', shape: [T, T], values: mask },
    { name: 'attention_scale', type: 'float32', shape: [1], values: [1 / Math.sqrt(dh)] },
    { name: 'heads_shape', type: 'int64', shape: [3], values: [T, H, dh] },
    { name: 'model_shape', type: 'int64', shape: [2], values: [T, d] },
    { name: 'last_position', type: 'float32', shape: [1, T], values: selector },
    { name: 'readout', type: 'float32', shape: [d, V], values: readout },
    { name: 'readout_bias', type: 'float32', shape: [V], values: columnMean },
  ]
  const nodes: NodeSpec[] = [
    { op: 'MatMul', inputs: ['window', 'embedding'], outputs: ['tokens'] },
    { op: 'Add', inputs: ['tokens', 'positions'], outputs: ['h0'] },
  ]
  let h = 'h0'
  for (let b = 0; b < blocks; b++) {
    const n = (s: string) => `b${b}_${s}`
    inits.push(
      { name: n('wq'), type: 'float32', shape: [d, d], values: normal(d * d, std) },
      { name: n('wk'), type: 'float32', shape: [d, d], values: normal(d * d, std) },
      { name: n('wv'), type: 'float32', shape: [d, d], values: normal(d * d, std) },
      { name: n('wo'), type: 'float32', shape: [d, d], values: normal(d * d, std) },
      { name: n('w1'), type: 'float32', shape: [d, F], values: normal(d * F, std) },
      { name: n('b1'), type: 'float32', shape: [F], values: normal(F, std) },
      { name: n('w2'), type: 'float32', shape: [F, d], values: normal(F * d, std) },
      { name: n('b2'), type: 'float32', shape: [d], values: new Float32Array(d) },
    )
    for (const x of ['q', 'k', 'v']) {
      nodes.push(
        { op: 'MatMul', inputs: [h, n(`w${x}`)], outputs: [n(x)] },
        { op: 'Reshape', inputs: [n(x), 'heads_shape'], outputs: [n(`${x}_split`)] },
        { op: 'Transpose', inputs: [n(`${x}_split`)], outputs: [n(`${x}_heads`)], attrs: { perm: { ints: x === 'k' ? [1, 2, 0] : [1, 0, 2] } } },
      )
    }
    nodes.push(
      { op: 'MatMul', inputs: [n('q_heads'), n('k_heads')], outputs: [n('scores_raw')] },
      { op: 'Mul', inputs: [n('scores_raw'), 'attention_scale'], outputs: [n('scores_scaled')] },
      { op: 'Add', inputs: [n('scores_scaled'), 'mask'], outputs: [n('scores')] },
      { op: 'Softmax', inputs: [n('scores')], outputs: [n('attention')], attrs: { axis: { int: -1 } } },
      { op: 'MatMul', inputs: [n('attention'), n('v_heads')], outputs: [n('mixed_heads')] },
      { op: 'Transpose', inputs: [n('mixed_heads')], outputs: [n('mixed_split')], attrs: { perm: { ints: [1, 0, 2] } } },
      { op: 'Reshape', inputs: [n('mixed_split'), 'model_shape'], outputs: [n('mixed')] },
      { op: 'MatMul', inputs: [n('mixed'), n('wo')], outputs: [n('attn_out')] },
      { op: 'Add', inputs: [h, n('attn_out')], outputs: [n('h_attn')] },
      { op: 'MatMul', inputs: [n('h_attn'), n('w1')], outputs: [n('mlp_pre0')] },
      { op: 'Add', inputs: [n('mlp_pre0'), n('b1')], outputs: [n('mlp_pre')] },
      { op: 'Relu', inputs: [n('mlp_pre')], outputs: [n('mlp_hidden')] },
      { op: 'MatMul', inputs: [n('mlp_hidden'), n('w2')], outputs: [n('mlp_out0')] },
      { op: 'Add', inputs: [n('mlp_out0'), n('b2')], outputs: [n('mlp_out')] },
      { op: 'Add', inputs: [n('h_attn'), n('mlp_out')], outputs: [n('h')] },
    )
    h = n('h')
  }
  nodes.push(
    { op: 'MatMul', inputs: ['last_position', h], outputs: ['h_last'] },
    { op: 'MatMul', inputs: ['h_last', 'readout'], outputs: ['logits_raw'] },
    { op: 'Add', inputs: ['logits_raw', 'readout_bias'], outputs: ['logits'] },
  )
  return buildModel({
    graphName: 'tiny_lm',
    docString: `Byte-level transformer LM: input format text/utf-8, output format text/greedy-ascii:N (scripts/models/tiny-lm.ts)`,
    inputs: [{ name: 'window', type: 'float32', shape: [T, V] }],
    outputs: [{ name: 'logits', type: 'float32', shape: [1, V] }],
    initializers: inits,
    nodes,
  })
}
