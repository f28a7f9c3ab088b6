/**
 * Models built to make the analysis slow, each about `bytes` long: the analyzer must spend time
 * linear in a model's size on them (and the analyzer precompile charges per byte), whatever the
 * structure. Used by test/precompiles/analysis-cost.test.ts and to measure ANALYZE_GAS_PER_BYTE
 * (precompiles/gas.ts).
 */
import { onnx } from 'onnx-proto'
import { buildModel, type InitializerSpec, type NodeSpec } from './build-model.ts'

export interface AdversarialModel {
  name: string
  bytes: Uint8Array
}

const x = { name: 'x', type: 'float32' as const, shape: [1, 1] }
const y = { name: 'y', type: 'float32' as const, shape: [1, 1] }
const identity: NodeSpec = { op: 'Identity', inputs: ['x'], outputs: ['y'] }

/** Every adversarial model at about `bytes` bytes (480 kB in the test: the Unsqueeze case). */
export function adversarialModels(bytes: number): AdversarialModel[] {
  return [
    unsqueezeAxes(bytes),
    sharedInt8Weights(bytes),
    manyInitializers(bytes),
    wideNodes(bytes),
    longNames(bytes),
    manyValueInfos(bytes),
  ]
}

/** Unsqueeze with an axes initializer of bytes/8 entries (membership checks were quadratic in it). */
export function unsqueezeAxes(bytes: number): AdversarialModel {
  const n = Math.floor(bytes / 8)
  return {
    name: `Unsqueeze with ${n.toLocaleString('en-US')} axes`,
    bytes: buildModel({
      inputs: [x],
      outputs: [y],
      initializers: [{ name: 'axes', type: 'int64', shape: [n], values: Array.from({ length: n }, (_, i) => BigInt(i)) }],
      nodes: [{ op: 'Unsqueeze', inputs: ['x', 'axes'], outputs: ['u'] }, identity],
    }),
  }
}

/** One large int8 weight read by 2,048 MatMulInteger nodes (its values were checked at every use). */
export function sharedInt8Weights(bytes: number): AdversarialModel {
  const n = Math.max(1, Math.floor((bytes - 2048 * 40) / 8))
  const nodes: NodeSpec[] = [{ op: 'QuantizeLinear', inputs: ['x8', 's', 'z'], outputs: ['q'] }]
  for (let i = 0; i < 2046; i++) nodes.push({ op: 'MatMulInteger', inputs: ['q', 'w'], outputs: [`m${i}`] })
  nodes.push({ op: 'Identity', inputs: ['x'], outputs: ['y'] })
  return {
    name: `2,048 nodes sharing a ${(n * 8).toLocaleString('en-US')}-byte int8 weight`,
    bytes: buildModel({
      inputs: [{ name: 'x', type: 'float32', shape: [1, 8] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 8] }],
      initializers: [
        { name: 'x8', type: 'float32', shape: [1, 8], values: new Float32Array(8) },
        { name: 's', type: 'float32', shape: [], values: [0.1] },
        { name: 'z', type: 'int8', shape: [], values: [0] },
        { name: 'w', type: 'int8', shape: [8, n], values: new Int8Array(8 * n).fill(1) },
      ],
      nodes,
    }),
  }
}

/** As many one-element initializers as fit. */
export function manyInitializers(bytes: number): AdversarialModel {
  const n = Math.floor(bytes / 24)
  const initializers: InitializerSpec[] = Array.from({ length: n }, (_, i) => ({ name: `i${i}`, type: 'float32', shape: [1], values: [i] }))
  return { name: `${n.toLocaleString('en-US')} initializers`, bytes: buildModel({ inputs: [x], outputs: [y], initializers, nodes: [identity] }) }
}

/** 2,048 Max nodes of 64 rank-8 inputs each (broadcasting work per node). */
export function wideNodes(bytes: number): AdversarialModel {
  const shape = [1, 1, 1, 1, 1, 1, 1, 2]
  const nodes: NodeSpec[] = []
  const perNode = Math.max(1, Math.min(64, Math.floor(bytes / 2048 / 4)))
  for (let i = 0; i < 2047; i++) nodes.push({ op: 'Max', inputs: Array.from({ length: perNode }, () => 'w'), outputs: [`m${i}`] })
  nodes.push(identity)
  return {
    name: `2,048 Max nodes × ${perNode} rank-8 inputs`,
    bytes: buildModel({ inputs: [x], outputs: [y], initializers: [{ name: 'w', type: 'float32', shape, values: [1, 2] }], nodes }),
  }
}

/** Node and tensor names as long as the size allows (hashing and quoting them). */
export function longNames(bytes: number): AdversarialModel {
  const len = Math.floor(bytes / 2048 / 3)
  const nodes: NodeSpec[] = []
  let last = 'x'
  for (let i = 0; i < 2047; i++) {
    const out = `${'t'.repeat(len)}${i}`
    nodes.push({ op: 'Relu', inputs: [last], outputs: [out], name: `${'n'.repeat(len)}${i}` })
    last = out
  }
  nodes.push({ op: 'Identity', inputs: [last], outputs: ['y'] })
  return { name: `2,048 nodes with ${len}-character names`, bytes: buildModel({ inputs: [x], outputs: [y], nodes }) }
}

/** Graph value_info entries (checked against the computed shapes), as many as fit. */
export function manyValueInfos(bytes: number): AdversarialModel {
  const base = buildModel({ inputs: [x], outputs: [y], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Identity', inputs: ['r'], outputs: ['y'] }] })
  // value_info is not in buildModel's description: append the repeated GraphProto field 13 by hand
  const entry = encodeValueInfo('r')
  const count = Math.floor((bytes - base.length) / (entry.length + 4))
  return { name: `${count.toLocaleString('en-US')} value_info entries`, bytes: appendToGraph(base, Array.from({ length: count }, () => entry)) }
}

function encodeValueInfo(name: string): Uint8Array {
  // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 } ×2 } } } }
  const dim = [0x0a, 0x02, 0x08, 0x01]
  const shape = [0x12, dim.length * 2, ...dim, ...dim]
  const tensorType = [0x08, 0x01, ...shape]
  const type = [0x0a, tensorType.length, ...tensorType]
  const nameBytes = [...new TextEncoder().encode(name)]
  return Uint8Array.from([0x0a, nameBytes.length, ...nameBytes, 0x12, type.length, ...type])
}

/** Re-encodes `model` with extra GraphProto value_info entries (field 13), through onnx-proto. */
function appendToGraph(model: Uint8Array, entries: Uint8Array[]): Uint8Array {
  // decoding and re-encoding keeps the wire format canonical, as the analyzer's strict pre-check wants
  const m = onnx.ModelProto.decode(model)
  m.graph!.valueInfo = entries.map((e) => onnx.ValueInfoProto.decode(e))
  return new Uint8Array(onnx.ModelProto.encode(m).finish())
}

/**
 * Models at the analyzer's caps whose cost is in session creation rather than in the run (the
 * most initializers and value_info entries, the widest and the most nodes, one large unused
 * initializer), and a convolution over the most one-pixel images an input can hold. scripts/bench-operator-gas.ts measures their gas per µs, cold and warm.
 */
export function structureModels(): AdversarialModel[] {
  const big: AdversarialModel = {
    name: 'one unused 1 MB initializer',
    bytes: buildModel({ inputs: [x], outputs: [y], initializers: [{ name: 'w', type: 'float32', shape: [250_000], values: new Float32Array(250_000) }], nodes: [identity] }),
  }
  const narrow = wideNodes(2 * 2048 * 4)
  // 65,536 one-pixel images: per-image set-up dominates a convolution
  const images: AdversarialModel = {
    name: 'Conv over 65,536 one-pixel images',
    bytes: buildModel({
      inputs: [{ name: 'x', type: 'float32', shape: [65_536, 1, 1] }],
      outputs: [{ name: 'y', type: 'float32', shape: [1, 1, 1] }],
      initializers: [{ name: 'w', type: 'float32', shape: [1, 1, 1], values: [2] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] }, { op: 'ReduceSum', inputs: ['c'], outputs: ['y'], attrs: { keepdims: { int: 1 } } }],
    }),
  }
  return [manyInitializers(4_090 * 24), manyValueInfos(4_090 * 21), wideNodes(64 * 2048 * 4), { ...narrow, name: `${narrow.name} (broadcasting set-up per node)` }, longNames(900_000), big, images]
}
