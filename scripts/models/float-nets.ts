/**
 * Seeded float32 networks with random weights, for benchmarks and tests that need a model of a
 * given shape rather than a trained one: an MLP (MatMul + Add per layer) and a small
 * convolutional network (Conv, MaxPool, Gemm). Same seed, same bytes, on every machine
 * (createPrng, Glorot-uniform weights drawn in a fixed order).
 */
import { buildModel, type InitializerSpec, type NodeSpec } from './build-model.ts'
import { createPrng, type Prng } from './prng.ts'

/** `count` values uniform in (-limit, limit), in the order the PRNG gives them. */
function uniform(r: Prng, count: number, limit: number): Float32Array {
  return Float32Array.from({ length: count }, () => (r.next() * 2 - 1) * limit)
}

/** Glorot-uniform bound for a layer with `fanIn` inputs and `fanOut` outputs per weight. */
const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut))

/**
 * A float32 MLP over `sizes` (e.g. [64, 256, 256, 10]): x [1, sizes[0]] → y [1, sizes.at(-1)].
 * Each layer is MatMul + Add; hidden layers alternate Relu and Tanh (Relu first); Softmax over
 * the last axis at the end. Per layer, W [n, m] then b [m] are drawn from the PRNG: Glorot
 * uniform for W, uniform in (-0.1, 0.1) for b (the weights of test/precompiles/determinism.test.ts's
 * MLP with the same seed).
 *
 * @example
 * const bytes = buildFloatMlp(1, [64, 256, 256, 10])
 */
export function buildFloatMlp(seed: number, sizes: readonly number[]): Uint8Array {
  if (sizes.length < 2) throw new Error('an MLP needs at least an input and an output size')
  const r = createPrng(seed)
  const nodes: NodeSpec[] = []
  const initializers: InitializerSpec[] = []
  let x = 'x'
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [n, m] = [sizes[l], sizes[l + 1]]
    initializers.push({ name: `W${l}`, type: 'float32', shape: [n, m], values: uniform(r, n * m, glorot(n, m)) })
    initializers.push({ name: `b${l}`, type: 'float32', shape: [m], values: uniform(r, m, 0.1) })
    nodes.push({ op: 'MatMul', inputs: [x, `W${l}`], outputs: [`mm${l}`] })
    nodes.push({ op: 'Add', inputs: [`mm${l}`, `b${l}`], outputs: [`z${l}`] })
    if (l + 2 === sizes.length) {
      nodes.push({ op: 'Softmax', inputs: [`z${l}`], outputs: ['y'], attrs: { axis: { int: -1 } } })
    } else {
      nodes.push({ op: l % 2 === 0 ? 'Relu' : 'Tanh', inputs: [`z${l}`], outputs: [`a${l}`] })
      x = `a${l}`
    }
  }
  return buildModel({
    nodes,
    initializers,
    inputs: [{ name: 'x', type: 'float32', shape: [1, sizes[0]] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, sizes[sizes.length - 1]] }],
    graphName: `mlp_${sizes.join('x')}`,
  })
}

export interface FloatCnnParameters {
  /** Input image side, pixels (one channel, batch of one). Default 28 (an MNIST digit). */
  side?: number
  /** Conv output channels. Default 8. */
  channels?: number
  /** Conv kernel side (stride 1, no padding). Default 3. */
  kernel?: number
  /** MaxPool window and stride. Default 2. */
  pool?: number
  /** Classes out of the final Gemm. Default 10. */
  classes?: number
}

/**
 * A small float32 convolutional classifier: x [1, 1, side, side] → Conv (channels × kernel²,
 * bias) → Relu → MaxPool (pool², stride pool) → Flatten → Gemm (transB, bias) → Softmax → y [1, classes].
 * With the defaults, 28×28 → 8×26×26 → 8×13×13 → 1352 → 10. Drawn from the PRNG in this
 * order: conv weights, conv bias, Gemm weights ([classes, features]), Gemm bias.
 *
 * @example
 * const bytes = buildFloatCnn(1)   // 1×1×28×28 → 10
 */
export function buildFloatCnn(seed: number, parameters: FloatCnnParameters = {}): Uint8Array {
  const { side = 28, channels = 8, kernel = 3, pool = 2, classes = 10 } = parameters
  const convSide = side - kernel + 1
  const pooledSide = Math.floor((convSide - pool) / pool) + 1
  if (pooledSide < 1) throw new Error(`a ${side}×${side} image is too small for a ${kernel}×${kernel} kernel and a ${pool}×${pool} pool`)
  const features = channels * pooledSide * pooledSide
  const r = createPrng(seed)
  const initializers: InitializerSpec[] = [
    { name: 'Wc', type: 'float32', shape: [channels, 1, kernel, kernel], values: uniform(r, channels * kernel * kernel, glorot(kernel * kernel, channels * kernel * kernel)) },
    { name: 'bc', type: 'float32', shape: [channels], values: uniform(r, channels, 0.1) },
    { name: 'Wg', type: 'float32', shape: [classes, features], values: uniform(r, classes * features, glorot(features, classes)) },
    { name: 'bg', type: 'float32', shape: [classes], values: uniform(r, classes, 0.1) },
  ]
  return buildModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'Wc', 'bc'], outputs: ['conv'], attrs: { kernel_shape: { ints: [kernel, kernel] } } },
      { op: 'Relu', inputs: ['conv'], outputs: ['act'] },
      { op: 'MaxPool', inputs: ['act'], outputs: ['pooled'], attrs: { kernel_shape: { ints: [pool, pool] }, strides: { ints: [pool, pool] } } },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attrs: { axis: { int: 1 } } },
      { op: 'Gemm', inputs: ['flat', 'Wg', 'bg'], outputs: ['logits'], attrs: { transB: { int: 1 } } },
      { op: 'Softmax', inputs: ['logits'], outputs: ['y'], attrs: { axis: { int: -1 } } },
    ],
    initializers,
    inputs: [{ name: 'x', type: 'float32', shape: [1, 1, side, side] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, classes] }],
    graphName: `cnn_${side}x${side}_c${channels}k${kernel}p${pool}_${classes}`,
  })
}
