import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { onnx } from 'onnx-proto'
import { describe, expect, it } from 'vitest'
import {
  ALLOWED_OPS,
  analyzeModel,
  DEFAULT_MAX_MODEL_BYTES,
  GAS_PER_IO_ELEMENT,
  GAS_PER_INITIALIZER,
  GAS_PER_NODE,
  GAS_PER_NODE_INPUT,
  GAS_PER_VALUE_INFO,
  INFERENCE_BASE_GAS,
  inferenceGas,
  MAX_IO_ELEMENTS,
  MAX_NODE_INPUTS,
  MAX_NODES,
  ModelValidationError,
  type ModelInfo,
} from '../../precompiles/onnx/analyze.ts'
import {
  buildCreditModel,
  buildIrisInt8Model,
  buildIrisModel,
  buildModel,
  createPrng,
  creditScore,
  irisDataset,
  irisInt8Logits,
  irisToMillimetres,
  quantizeIrisMlp,
  trainCreditModel,
  trainIrisMlp,
  type BuildModelParameters,
  type InitializerSpec,
  type NodeSpec,
} from '../../scripts/models/index.ts'

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'disabled',
  executionProviders: ['cpu'],
}

const ARRAYS = { float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int32: Int32Array, int64: BigInt64Array } as const

/** The reason analyzeModel refuses `bytes` with (fails the test if it accepts them or throws anything else). */
function reasonFor(bytes: Uint8Array, limits?: { maxBytes?: number }): string {
  try {
    analyzeModel(bytes, limits)
  } catch (err) {
    if (err instanceof ModelValidationError) return err.reason
    throw err
  }
  throw new Error('model was accepted')
}

/** A one-input graph: x (float32 [1,4] unless given) → nodes → y. */
function graph(nodes: NodeSpec[], opts: Partial<BuildModelParameters> & { x?: BuildModelParameters['inputs'][number]; y?: BuildModelParameters['outputs'][number] } = {}): Uint8Array {
  return buildModel({
    inputs: [opts.x ?? { name: 'x', type: 'float32', shape: [1, 4] }],
    outputs: [opts.y ?? { name: 'y', type: 'float32', shape: [1, 4] }],
    nodes,
    ...opts,
  })
}

async function run(bytes: Uint8Array, info: ModelInfo, data?: ArrayLike<number>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS)
  try {
    const Ctor = ARRAYS[info.input.type]
    const values = Array.from({ length: info.input.length }, (_, i) => data?.[i] ?? 0)
    const array = Ctor === BigInt64Array ? BigInt64Array.from(values, BigInt) : (Ctor as Float32ArrayConstructor).from(values)
    const result = await session.run({ [info.input.name]: new ort.Tensor(info.input.type, array, info.input.shape) })
    return result[info.output.name]
  } finally {
    await session.release()
  }
}

describe('analyzeModel: the example models', () => {
  it('accepts the credit model: float32 [1,4] → float32 [1,1] through Gemm and Sigmoid', () => {
    const info = analyzeModel(buildCreditModel())
    expect(info.input).toEqual({ name: 'features', type: 'float32', shape: [1, 4], length: 4 })
    expect(info.output).toEqual({ name: 'score', type: 'float32', shape: [1, 1], length: 1 })
    expect(info.ops).toEqual(['Gemm', 'Sigmoid'])
    expect(info.macs).toBe(4n)
    expect(info.gasPerCall).toBeGreaterThan(INFERENCE_BASE_GAS)
  })

  it('accepts the Iris MLP: float32 [1,4] → float32 [1,3], 4·8 + 8·3 MACs', () => {
    const info = analyzeModel(buildIrisModel())
    expect(info.input).toEqual({ name: 'measurements', type: 'float32', shape: [1, 4], length: 4 })
    expect(info.output).toEqual({ name: 'probabilities', type: 'float32', shape: [1, 3], length: 3 })
    expect(info.ops).toEqual(['Gemm', 'Relu', 'Softmax'])
    expect(info.macs).toBe(56n)
    expect(info.gasPerCall).toBeGreaterThan(INFERENCE_BASE_GAS)
  })

  it('accepts the int8 Iris MLP: int8 [1,4] → int32 [1,3] through MatMulInteger', () => {
    const info = analyzeModel(buildIrisInt8Model())
    expect(info.input).toEqual({ name: 'measurements_mm', type: 'int8', shape: [1, 4], length: 4 })
    expect(info.output).toEqual({ name: 'logits', type: 'int32', shape: [1, 3], length: 3 })
    expect(info.ops).toContain('MatMulInteger')
    expect(info.macs).toBe(56n)
    expect(info.gasPerCall).toBeGreaterThan(INFERENCE_BASE_GAS)
  })

  it('charges base + ⌈MACs/4⌉ + element ops + ⌈elements read, written and loaded/4⌉ + per node, node input, initializer + per input and output element (64→256→256→10 MLP)', () => {
    const sizes = [64, 256, 256, 10]
    const initializers: InitializerSpec[] = []
    const nodes: NodeSpec[] = []
    let last = 'x'
    for (let l = 0; l < 3; l++) {
      initializers.push({ name: `W${l}`, type: 'float32', shape: [sizes[l], sizes[l + 1]], values: new Float32Array(sizes[l] * sizes[l + 1]) })
      nodes.push({ op: 'MatMul', inputs: [last, `W${l}`], outputs: [`m${l}`] })
      nodes.push({ op: l < 2 ? 'Relu' : 'Softmax', inputs: [`m${l}`], outputs: [l < 2 ? `h${l}` : 'y'] })
      last = `h${l}`
    }
    const info = analyzeModel(graph(nodes, { initializers, x: { name: 'x', type: 'float32', shape: [1, 64] }, y: { name: 'y', type: 'float32', shape: [1, 10] } }))
    expect(info.macs).toBe(64n * 256n + 256n * 256n + 256n * 10n) // 84,480
    expect(info.elementOps).toBe(256n + 256n + 10n)
    expect(info.nodes).toBe(6)
    // reads and writes per node: MatMul 64 + 64·256 → 256, Relu 256 → 256, MatMul 256 + 256·256 → 256,
    // Relu 256 → 256, MatMul 256 + 256·10 → 10, Softmax 10 → 10; plus the three weights loaded once
    expect(info.elementAccesses).toBe(16_704n + 512n + 66_048n + 512n + 2_826n + 20n + (16_384n + 65_536n + 2_560n)) // 171,102
    expect([info.nodeInputs, info.initializers, info.valueInfos]).toEqual([9, 3, 0])
    expect(info.gasPerCall).toBe(
      INFERENCE_BASE_GAS + 21_120n + 522n + 42_776n + 6n * GAS_PER_NODE + 9n * GAS_PER_NODE_INPUT + 3n * GAS_PER_INITIALIZER + (64n + 10n) * GAS_PER_IO_ELEMENT,
    )
    const zero = { macs: 0n, elementOps: 0n, elementAccesses: 0n, nodes: 0, nodeInputs: 0, initializers: 0, valueInfos: 0, inputLength: 0, outputLength: 0 }
    expect(inferenceGas({ ...zero, macs: 5n })).toBe(INFERENCE_BASE_GAS + 2n) // rounds up
    expect(inferenceGas({ ...zero, elementAccesses: 5n })).toBe(INFERENCE_BASE_GAS + 2n)
    expect(inferenceGas({ ...zero, valueInfos: 2 })).toBe(INFERENCE_BASE_GAS + 2n * GAS_PER_VALUE_INFO)
  })

  it('the committed precompiles/models/*.onnx are what the builders produce', () => {
    const dir = join(__dirname, '../../precompiles/models')
    expect(new Uint8Array(readFileSync(join(dir, 'credit-risk.onnx')))).toEqual(buildCreditModel())
    expect(new Uint8Array(readFileSync(join(dir, 'iris-mlp.onnx')))).toEqual(buildIrisModel())
    expect(new Uint8Array(readFileSync(join(dir, 'iris-mlp-int8.onnx')))).toEqual(buildIrisInt8Model())
  })

  it('gives the same answer for a Node Buffer as for a Uint8Array of the same bytes', () => {
    const bytes = buildIrisModel()
    expect(analyzeModel(Buffer.from(bytes))).toEqual(analyzeModel(bytes))
    // protobufjs's Buffer reader would clamp this string instead of failing
    const cut = bytes.slice(0, 100)
    expect(reasonFor(Buffer.from(cut))).toBe(reasonFor(cut))
  })
})

describe('example models in onnxruntime', () => {
  it('credit model: a score in (0, 1) matching the trained weights, higher for the riskier borrower', async () => {
    const bytes = buildCreditModel()
    const info = analyzeModel(bytes)
    const weights = trainCreditModel()
    const safe = [1.2, 0.1, 2.0, 0]
    const risky = [0.3, 0.8, 0.2, 0.8]
    const safeScore = (await run(bytes, info, safe)).data[0] as number
    const riskyScore = (await run(bytes, info, risky)).data[0] as number
    expect(safeScore).toBeCloseTo(creditScore(weights, safe), 5)
    expect(riskyScore).toBeCloseTo(creditScore(weights, risky), 5)
    expect(safeScore).toBeGreaterThan(0)
    expect(riskyScore).toBeLessThan(1)
    expect(riskyScore).toBeGreaterThan(safeScore + 0.5)
  })

  it('Iris MLP classifies known flowers (setosa, versicolor, virginica) and trains above 90%', async () => {
    expect(trainIrisMlp().accuracy).toBeGreaterThan(0.9)
    const bytes = buildIrisModel()
    const info = analyzeModel(bytes)
    const { x, y } = irisDataset()
    for (const i of [0, 10, 49, 50, 60, 99, 100, 120, 149]) {
      const p = Array.from((await run(bytes, info, x[i])).data as Float32Array)
      expect(p.indexOf(Math.max(...p)), `flower ${i}`).toBe(y[i])
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
    }
  })

  it('int8 Iris MLP: onnxruntime gives exactly the integer logits computed in JS, for all 150 flowers', async () => {
    const q = quantizeIrisMlp()
    expect(q.accuracy).toBeGreaterThan(0.9)
    expect([...q.w1.flat(), ...q.w2.flat()].every((w) => Math.abs(w) <= 64)).toBe(true)
    const bytes = buildIrisInt8Model(q)
    const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS)
    const { x, y } = irisDataset()
    let correct = 0
    for (let i = 0; i < x.length; i++) {
      const mm = irisToMillimetres(x[i])
      const out = await session.run({ measurements_mm: new ort.Tensor('int8', Int8Array.from(mm), [1, 4]) })
      const logits = Array.from(out.logits.data as Int32Array)
      expect(logits).toEqual(irisInt8Logits(q, mm))
      if (logits.indexOf(Math.max(...logits)) === y[i]) correct++
    }
    await session.release()
    expect(correct / x.length).toBeGreaterThan(0.9)
  })

  it('building twice gives identical bytes (seeded training, no clock)', () => {
    expect(buildCreditModel()).toEqual(buildCreditModel())
    expect(buildIrisModel()).toEqual(buildIrisModel())
    expect(buildIrisInt8Model()).toEqual(buildIrisInt8Model())
  })
})

describe('analyzeModel: shape inference agrees with onnxruntime', () => {
  const f = (name: string, shape: number[], fill = 0.5): InitializerSpec => ({ name, type: 'float32', shape, values: new Array(shape.reduce((a, b) => a * b, 1)).fill(fill) })
  const i64 = (name: string, values: number[]): InitializerSpec => ({ name, type: 'int64', shape: [values.length], values: values.map(BigInt) })
  const scalar = (name: string, type: InitializerSpec['type'], value: number): InitializerSpec => ({ name, type, shape: [], values: type === 'int64' ? [BigInt(value)] : [value] })
  const cases: { name: string; x: number[]; xType?: 'float32' | 'int8' | 'uint8' | 'int32'; y: number[]; yType?: 'float32' | 'int8' | 'uint8' | 'int32' | 'int64'; nodes: NodeSpec[]; inits?: InitializerSpec[]; opset?: number; macs?: bigint; elementOps?: bigint }[] = [
    { name: 'Conv with pads and strides', x: [1, 3, 8, 8], y: [1, 4, 4, 4], nodes: [{ op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } }], inits: [f('W', [4, 3, 3, 3]), f('B', [4])], macs: 64n * 27n },
    { name: 'Conv SAME_UPPER stride 2', x: [1, 1, 7, 7], y: [1, 2, 4, 4], nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { string: 'SAME_UPPER' }, strides: { ints: [2, 2] } } }], inits: [f('W', [2, 1, 3, 3])] },
    { name: 'Conv dilated, grouped', x: [1, 4, 9, 9], y: [1, 6, 5, 5], nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs: { dilations: { ints: [2, 2] }, group: { int: 2 } } }], inits: [f('W', [6, 2, 3, 3])], macs: 6n * 25n * 2n * 9n },
    { name: 'Conv 1-D VALID', x: [1, 2, 10], y: [1, 3, 8], nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { string: 'VALID' } } }], inits: [f('W', [3, 2, 3])] },
    { name: 'MaxPool padded', x: [1, 2, 7, 7], y: [1, 2, 4, 4], nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } } }] },
    { name: 'MaxPool int8', x: [1, 1, 4, 4], xType: 'int8', y: [1, 1, 2, 2], yType: 'int8', nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } }] },
    { name: 'AveragePool', x: [1, 2, 7, 7], y: [1, 2, 3, 3], nodes: [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } }] },
    { name: 'BatchNormalization', x: [1, 3, 4, 4], y: [1, 3, 4, 4], nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'] }], inits: ['s', 'b', 'm', 'v'].map((n) => f(n, [3], 1)) },
    { name: 'Flatten axis 2', x: [2, 3, 4, 5], y: [6, 20], nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs: { axis: { int: 2 } } }] },
    { name: 'Flatten axis 0', x: [2, 3, 4], y: [1, 24], nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs: { axis: { int: 0 } } }] },
    { name: 'Transpose perm', x: [2, 3, 4], y: [2, 4, 3], nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: { ints: [0, 2, 1] } } }] },
    { name: 'Transpose default', x: [2, 3, 4], y: [4, 3, 2], nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'] }] },
    { name: 'Concat axis -1', x: [2, 3], y: [2, 8], nodes: [{ op: 'Concat', inputs: ['x', 'c'], outputs: ['y'], attrs: { axis: { int: -1 } } }], inits: [f('c', [2, 5])] },
    { name: 'ReduceSum axes input, keepdims 0', x: [2, 3, 4], y: [2, 4], nodes: [{ op: 'ReduceSum', inputs: ['x', 'a'], outputs: ['y'], attrs: { keepdims: { int: 0 } } }], inits: [i64('a', [1])] },
    { name: 'ReduceSum all', x: [2, 3, 4], y: [1, 1, 1], nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'] }] },
    { name: 'ReduceSum noop', x: [2, 3], y: [2, 3], nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { noop_with_empty_axes: { int: 1 } } }] },
    { name: 'ReduceMean opset 17 (axes attribute)', x: [2, 3, 4], y: [2, 3, 1], nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: { ints: [-1] } } }] },
    { name: 'ReduceMean opset 18 (axes input)', x: [2, 3, 4], y: [1, 3, 4], opset: 18, nodes: [{ op: 'ReduceMean', inputs: ['x', 'a'], outputs: ['y'] }], inits: [i64('a', [0])] },
    { name: 'ArgMax', x: [2, 3, 4], y: [2, 4], yType: 'int64', nodes: [{ op: 'ArgMax', inputs: ['x'], outputs: ['y'], attrs: { axis: { int: 1 }, keepdims: { int: 0 } } }] },
    { name: 'Squeeze all', x: [1, 3, 1, 2], y: [3, 2], nodes: [{ op: 'Squeeze', inputs: ['x'], outputs: ['y'] }] },
    { name: 'Unsqueeze', x: [3, 2], y: [1, 3, 2, 1], nodes: [{ op: 'Unsqueeze', inputs: ['x', 'a'], outputs: ['y'] }], inits: [i64('a', [0, -1])] },
    { name: 'Reshape 0 and -1', x: [2, 3, 4], y: [2, 12], nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }], inits: [i64('s', [0, -1])] },
    { name: 'MatMul batch broadcast', x: [2, 1, 3, 4], y: [2, 5, 3, 6], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }], inits: [f('w', [5, 4, 6])], macs: 10n * 3n * 4n * 6n },
    { name: 'MatMul 1-D left', x: [4], y: [6], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }], inits: [f('w', [4, 6])] },
    { name: 'MatMul 1-D right', x: [3, 4], y: [3], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }], inits: [f('w', [4])] },
    { name: 'Gemm transA transB, bias [N]', x: [4, 2], y: [2, 3], nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'c'], outputs: ['y'], attrs: { transA: { int: 1 }, transB: { int: 1 }, alpha: { float: 0.5 } } }], inits: [f('w', [3, 4]), f('c', [3])] },
    { name: 'Add broadcast', x: [3, 1], y: [3, 4], nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }], inits: [f('c', [1, 4])] },
    { name: 'Max of three', x: [2, 1], y: [2, 3], nodes: [{ op: 'Max', inputs: ['x', 'a', 'b'], outputs: ['y'] }], inits: [f('a', [3]), f('b', [1, 1])], elementOps: 12n },
    { name: 'element-wise chain', x: [1, 4], y: [1, 4], nodes: [
      { op: 'LeakyRelu', inputs: ['x'], outputs: ['a'], attrs: { alpha: { float: 0.1 } } }, { op: 'Exp', inputs: ['a'], outputs: ['b'] }, { op: 'Neg', inputs: ['b'], outputs: ['c'] },
      { op: 'Abs', inputs: ['c'], outputs: ['d'] }, { op: 'Tanh', inputs: ['d'], outputs: ['e'] }, { op: 'Sigmoid', inputs: ['e'], outputs: ['g'] }, { op: 'Sub', inputs: ['g', 'x'], outputs: ['h'] },
      { op: 'Div', inputs: ['h', 'two'], outputs: ['i'] }, { op: 'Clip', inputs: ['i', 'lo'], outputs: ['j'] }, { op: 'Min', inputs: ['j', 'x'], outputs: ['k'] }, { op: 'Identity', inputs: ['k'], outputs: ['l'] },
      { op: 'Softmax', inputs: ['l'], outputs: ['y'] },
    ], inits: [scalar('two', 'float32', 2), scalar('lo', 'float32', 0)] },
    { name: 'Quantize → Dequantize, per channel', x: [1, 3], y: [1, 3], nodes: [
      { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] }, { op: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['y'] },
    ], inits: [f('s', [3], 0.1), { name: 'z', type: 'int8', shape: [3], values: [0, 1, 2] }] },
    { name: 'QLinearMatMul uint8 × int8', x: [2, 4], xType: 'uint8', y: [2, 3], yType: 'uint8', nodes: [{ op: 'QLinearMatMul', inputs: ['x', 'as', 'az', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'] }], inits: [
      scalar('as', 'float32', 0.1), scalar('az', 'uint8', 128), { name: 'w', type: 'int8', shape: [4, 3], values: [-64, 64, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }, scalar('ws', 'float32', 0.05), scalar('wz', 'int8', 0), scalar('ys', 'float32', 0.2), scalar('yz', 'uint8', 128),
    ], macs: 24n },
    { name: 'QLinearConv uint8 × int8 with bias', x: [1, 2, 5, 5], xType: 'uint8', y: [1, 3, 3, 3], yType: 'uint8', nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], outputs: ['y'] }], inits: [
      scalar('xs', 'float32', 0.1), scalar('xz', 'uint8', 0), { name: 'w', type: 'int8', shape: [3, 2, 3, 3], values: new Array(54).fill(1) }, scalar('ws', 'float32', 0.1), scalar('wz', 'int8', 0), scalar('ys', 'float32', 0.5), scalar('yz', 'uint8', 0),
      { name: 'b', type: 'int32', shape: [3], values: [1, 2, 3] },
    ] },
    { name: 'ConvInteger uint8 × uint8', x: [1, 1, 4, 4], xType: 'uint8', y: [1, 2, 3, 3], yType: 'int32', nodes: [{ op: 'ConvInteger', inputs: ['x', 'w'], outputs: ['y'] }], inits: [{ name: 'w', type: 'uint8', shape: [2, 1, 2, 2], values: [200, 1, 2, 3, 4, 5, 6, 255] }] },
    { name: 'MatMulInteger with per-column zero point', x: [2, 4], xType: 'int8', y: [2, 3], yType: 'int32', nodes: [{ op: 'MatMulInteger', inputs: ['x', 'w', 'az', 'wz'], outputs: ['y'] }], inits: [
      { name: 'w', type: 'int8', shape: [4, 3], values: new Array(12).fill(-3) }, scalar('az', 'int8', 1), { name: 'wz', type: 'int8', shape: [3], values: [1, 2, 3] },
    ] },
    { name: 'Cast chain', x: [1, 4], y: [1, 4], yType: 'int64', nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['a'], attrs: { to: { int: 6 } } }, { op: 'Cast', inputs: ['a'], outputs: ['y'], attrs: { to: { int: 7 } } }] },
  ]

  for (const c of cases) {
    it(`${c.name}: ${c.x.join('×')} → ${c.y.join('×')}`, async () => {
      const bytes = graph(c.nodes, {
        x: { name: 'x', type: c.xType ?? 'float32', shape: c.x },
        y: { name: 'y', type: c.yType ?? c.xType ?? 'float32', shape: c.y },
        initializers: c.inits,
        opset: c.opset,
        irVersion: c.opset === 18 ? 8 : undefined,
      })
      const info = analyzeModel(bytes)
      if (c.macs !== undefined) expect(info.macs).toBe(c.macs)
      if (c.elementOps !== undefined) expect(info.elementOps).toBe(c.elementOps)
      const out = await run(bytes, info, Array.from({ length: info.input.length }, (_, i) => i % 7))
      expect(out.dims).toEqual(c.y)
      expect(out.type).toBe(info.output.type)
    })
  }
})

describe('analyzeModel: rejections', () => {
  it('random bytes', () => {
    const rng = createPrng(42)
    expect(reasonFor(Uint8Array.from({ length: 512 }, () => Math.floor(rng.next() * 256)))).toMatch(/^not an ONNX model: /)
  })

  it('empty bytes', () => {
    expect(reasonFor(new Uint8Array())).toBe('not an ONNX model: no graph')
  })

  it('a truncated model', () => {
    const bytes = buildIrisModel()
    for (const n of [1, 50, 200, Math.floor(bytes.length / 2), bytes.length - 1]) {
      expect(reasonFor(bytes.slice(0, n)), `cut at ${n}`).toMatch(/^not an ONNX model: /)
    }
  })

  it('a disallowed operator (Loop)', () => {
    expect(reasonFor(graph([{ op: 'Loop', inputs: ['x'], outputs: ['y'] }]))).toBe('operator Loop is not allowed')
  })

  it('an operator from a custom domain, even with an allowed name', () => {
    const bytes = graph([{ op: 'Relu', domain: 'com.example', inputs: ['x'], outputs: ['y'] }], { extraOpsets: [{ domain: 'com.example', version: 1 }] })
    expect(reasonFor(bytes)).toBe('operator com.example.Relu is not allowed (custom domain)')
  })

  it('model-local functions', () => {
    const model = onnx.ModelProto.decode(graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]))
    model.functions = [{ name: 'F', domain: 'local', input: ['a'], output: ['b'], node: [{ opType: 'Relu', input: ['a'], output: ['b'] }] }]
    expect(reasonFor(onnx.ModelProto.encode(model).finish())).toBe('model-local functions are not allowed')
  })

  it('a model over the size cap', () => {
    const bytes = buildIrisModel()
    expect(reasonFor(bytes, { maxBytes: 100 })).toBe(`model is ${bytes.length} bytes, over the 100 byte cap`)
    expect(DEFAULT_MAX_MODEL_BYTES).toBe(1_048_576)
    const big = graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { initializers: [{ name: 'pad', type: 'uint8', shape: [DEFAULT_MAX_MODEL_BYTES], values: new Uint8Array(DEFAULT_MAX_MODEL_BYTES) }] })
    expect(reasonFor(big)).toBe(`model is ${big.length} bytes, over the 1048576 byte cap`)
  })

  it('two inputs, or two outputs', () => {
    const two = buildModel({
      inputs: [{ name: 'a', type: 'float32', shape: [1, 4] }, { name: 'b', type: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 4] }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
    })
    expect(reasonFor(two)).toBe('model must have exactly one input, has 2')
    const twoOut = graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Neg', inputs: ['x'], outputs: ['z'] }], {
      outputs: [{ name: 'y', type: 'float32', shape: [1, 4] }, { name: 'z', type: 'float32', shape: [1, 4] }],
    })
    expect(reasonFor(twoOut)).toBe('model must have exactly one output, has 2')
  })

  it('a symbolic batch dim, or no shape at all', () => {
    const relu = [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]
    expect(reasonFor(graph(relu, { x: { name: 'x', type: 'float32', shape: ['N', 4] }, y: { name: 'y', type: 'float32', shape: ['N', 4] } }))).toBe('input must have a fixed shape')
    expect(reasonFor(graph(relu, { x: { name: 'x', type: 'float32', shape: null } }))).toBe('input must have a fixed shape')
    expect(reasonFor(graph(relu, { y: { name: 'y', type: 'float32', shape: ['N', 4] } }))).toBe('output must have a fixed shape')
  })

  it('unsupported input types (float16, string, double)', () => {
    for (const type of ['float16', 'string', 'double'] as const) {
      expect(reasonFor(graph([{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], { x: { name: 'x', type, shape: [1, 4] } }))).toBe(`input type ${type} is not supported`)
    }
  })

  it('an initializer with external data', () => {
    const model = onnx.ModelProto.decode(buildIrisModel())
    const w1 = model.graph!.initializer![0]
    w1.rawData = new Uint8Array()
    w1.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL
    w1.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }]
    expect(reasonFor(onnx.ModelProto.encode(model).finish())).toBe('initializer W1 uses external data')
  })

  it('an unsupported opset or IR version', () => {
    const relu = [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }]
    expect(reasonFor(graph(relu, { opset: 12, irVersion: 7 }))).toBe('opset 12 is not supported (13-21)')
    expect(reasonFor(graph(relu, { opset: 22, irVersion: 10 }))).toBe('opset 22 is not supported (13-21)')
    expect(reasonFor(graph(relu, { irVersion: 3 }))).toBe('IR version 3 is not supported (7-10)')
  })

  it('integer Div (onnxruntime traps on INT_MIN / -1)', () => {
    const bytes = graph([{ op: 'Div', inputs: ['x', 'x'], outputs: ['y'] }], { x: { name: 'x', type: 'int32', shape: [1, 4] }, y: { name: 'y', type: 'int32', shape: [1, 4] } })
    expect(reasonFor(bytes)).toBe('Div does not take int32 inputs')
  })

  it('int8 weights computed at run time (full-range int8 weights are accepted: the canonical kernels are exact)', () => {
    const mm = (w: number[]) => graph([{ op: 'MatMulInteger', inputs: ['x', 'w'], outputs: ['y'] }], {
      x: { name: 'x', type: 'int8', shape: [1, 2] }, y: { name: 'y', type: 'int32', shape: [1, 1] },
      initializers: [{ name: 'w', type: 'int8', shape: [2, 1], values: w }],
    })
    expect(() => analyzeModel(mm([64, -64]))).not.toThrow()
    expect(() => analyzeModel(mm([127, -128]))).not.toThrow()
    const dynamic = graph([{ op: 'MatMulInteger', inputs: ['x', 'x'], outputs: ['y'] }], { x: { name: 'x', type: 'int8', shape: [2, 2] }, y: { name: 'y', type: 'int32', shape: [2, 2] } })
    expect(reasonFor(dynamic)).toBe('MatMulInteger int8 weights must be an initializer')
  })

  it('a quantization scale that is zero, or computed at run time', () => {
    const q = (scale: InitializerSpec | undefined, nodes: NodeSpec[] = []) => graph([...nodes, { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'] }], {
      y: { name: 'y', type: 'uint8', shape: [1, 4] }, initializers: scale ? [scale] : [],
    })
    expect(() => analyzeModel(q({ name: 's', type: 'float32', shape: [], values: [0.5] }))).not.toThrow()
    expect(reasonFor(q({ name: 's', type: 'float32', shape: [], values: [0] }))).toBe('QuantizeLinear scale must be positive and finite')
    expect(reasonFor(q({ name: 's', type: 'float32', shape: [], values: [Infinity] }))).toBe('QuantizeLinear scale must be positive and finite')
    expect(reasonFor(q(undefined, [{ op: 'ReduceMean', inputs: ['x'], outputs: ['s'], attrs: { keepdims: { int: 0 } } }]))).toBe('QuantizeLinear scale must be an initializer')
  })

  it('a shape that is only known at run time', () => {
    const bytes = graph([{ op: 'Cast', inputs: ['x'], outputs: ['s'], attrs: { to: { int: 7 } } }, { op: 'Reshape', inputs: ['x', 's'], outputs: ['y'] }], { x: { name: 'x', type: 'float32', shape: [2] }, y: { name: 'y', type: 'float32', shape: [2] } })
    expect(reasonFor(bytes)).toBe('cannot infer the shape after Reshape: its shape must be an int64 initializer')
  })

  it('a declared output shape or type that the graph does not compute', () => {
    expect(reasonFor(graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { y: { name: 'y', type: 'float32', shape: [1, 3] } }))).toBe('output is declared [1,3] but computed as [1,4]')
    expect(reasonFor(graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { y: { name: 'y', type: 'int32', shape: [1, 4] } }))).toBe('output is declared int32 but computed as float32')
  })

  it('inputs or intermediate tensors over the element caps', () => {
    const wide = MAX_IO_ELEMENTS + 1
    expect(reasonFor(graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], { x: { name: 'x', type: 'float32', shape: [1, wide] }, y: { name: 'y', type: 'float32', shape: [1, wide] } }))).toBe(`input has ${wide} elements, over the 65536 cap`)
    // each Concat doubles the tensor: 2^16 · 2^7 elements after seven of them
    const nodes: NodeSpec[] = Array.from({ length: 7 }, (_, i) => ({ op: 'Concat', inputs: [`t${i}`, `t${i}`], outputs: [`t${i + 1}`], attrs: { axis: { int: 0 } } }))
    const bytes = graph([{ op: 'Identity', inputs: ['x'], outputs: ['t0'] }, ...nodes, { op: 'ReduceSum', inputs: ['t7'], outputs: ['y'] }], { x: { name: 'x', type: 'float32', shape: [65_536] }, y: { name: 'y', type: 'float32', shape: [1] } })
    expect(reasonFor(bytes)).toBe('tensor t7 has 8388608 elements, over the 4194304 cap')
  })

  it('more nodes than the cap, a node with too many inputs, two nodes of one name', () => {
    const chain = (n: number) => graph(Array.from({ length: n }, (_, i) => ({ op: 'Relu', name: '', inputs: [i === 0 ? 'x' : `t${i}`], outputs: [i === n - 1 ? 'y' : `t${i + 1}`] })))
    expect(() => analyzeModel(chain(MAX_NODES))).not.toThrow()
    expect(reasonFor(chain(MAX_NODES + 1))).toBe(`graph has ${MAX_NODES + 1} nodes, over the 2048 cap`)
    expect(reasonFor(graph([{ op: 'Max', inputs: Array(MAX_NODE_INPUTS + 1).fill('x'), outputs: ['y'] }]))).toBe(`Max has ${MAX_NODE_INPUTS + 1} inputs, takes at most 64`)
    expect(reasonFor(graph([{ op: 'Relu', name: 'n', inputs: ['x'], outputs: ['a'] }, { op: 'Relu', name: 'n', inputs: ['a'], outputs: ['y'] }]))).toBe('two nodes are named n')
  })

  it('a node reading a tensor defined after it', () => {
    const bytes = graph([{ op: 'Relu', inputs: ['h'], outputs: ['y'] }, { op: 'Neg', inputs: ['x'], outputs: ['h'] }])
    expect(reasonFor(bytes)).toBe('Relu reads h, which is not computed before it')
  })

  it('protobuf that onnx-proto would read differently from onnxruntime (a second graph field)', () => {
    const bytes = buildIrisModel()
    const model = onnx.ModelProto.decode(bytes)
    // appending another `graph` field: C++ merges the two, protobufjs keeps the last
    const extra = onnx.ModelProto.encode({ graph: model.graph }).finish()
    expect(reasonFor(new Uint8Array([...bytes, ...extra]))).toBe('not an ONNX model: a repeated singular field in ModelProto field 7')
  })

  it('names from the model are quoted and cut in reasons', () => {
    const reason = reasonFor(graph([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Bad\nOp'.repeat(30), inputs: ['y'], outputs: ['z'] }]))
    expect(reason).toMatch(/^operator "Bad\\nOp.*"… is not allowed$/)
    expect(reason.length).toBeLessThan(120)
  })

  it('only ever throws ModelValidationError, whatever the bytes (3,000 mutations of the example models)', () => {
    const rng = createPrng(7)
    const bases = [buildIrisInt8Model(), buildIrisModel(), buildCreditModel()]
    for (let i = 0; i < 3000; i++) {
      const bytes = bases[i % 3].slice()
      for (let k = 0; k < 1 + (i % 3); k++) bytes[Math.floor(rng.next() * bytes.length)] = Math.floor(rng.next() * 256)
      try {
        analyzeModel(bytes)
      } catch (err) {
        if (!(err instanceof ModelValidationError)) throw err
      }
    }
  })

  it('ALLOWED_OPS is the documented allowlist', () => {
    expect([...ALLOWED_OPS].sort()).toEqual(
      ['Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Tanh', 'Softmax', 'Reshape', 'Flatten', 'Identity', 'Transpose', 'Concat', 'Clip', 'LeakyRelu', 'Exp', 'Neg', 'Abs', 'Max', 'Min', 'ArgMax', 'ReduceSum', 'ReduceMean', 'Conv', 'MaxPool', 'AveragePool', 'BatchNormalization', 'QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'MatMulInteger', 'ConvInteger', 'Cast', 'Squeeze', 'Unsqueeze'].sort(),
    )
  })
})
