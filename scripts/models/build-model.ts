/**
 * Assembles an ONNX model from a plain description (nodes, one or more inputs and outputs,
 * initializers) and encodes it with onnx-proto. The example-model builders use it, and so do the
 * tests that need small, deliberately broken graphs (a disallowed op, two inputs, a symbolic
 * batch dim...). The encoding is deterministic: the same description always gives the same bytes.
 */
import { onnx } from 'onnx-proto'

/** ONNX opset (default domain) of the models we build: supported by onnxruntime 1.30 and by our analyzer. */
export const DEFAULT_OPSET = 17

/** IR version matching DEFAULT_OPSET (IR 8 ⇔ opsets 14–18); also the newest onnx-proto 8 knows. */
export const DEFAULT_IR_VERSION = 8

/** Element types by name, as ONNX numbers them (TensorProto.DataType). */
export const ELEMENT_TYPES = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  // not accepted by the analyzer; here so tests can build models that use them
  string: onnx.TensorProto.DataType.STRING,
  bool: onnx.TensorProto.DataType.BOOL,
  float16: onnx.TensorProto.DataType.FLOAT16,
  double: onnx.TensorProto.DataType.DOUBLE,
} as const

export type ElementTypeName = keyof typeof ELEMENT_TYPES

/** A graph input or output. A string dim is symbolic (dim_param), which the analyzer rejects; `shape: null` leaves the shape out. */
export interface ValueSpec {
  name: string
  type: ElementTypeName
  shape: (number | string)[] | null
}

/** A constant tensor; values in row-major order, stored little-endian in raw_data. */
export interface InitializerSpec {
  name: string
  type: 'float32' | 'uint8' | 'int8' | 'int32' | 'int64'
  shape: number[]
  values: ArrayLike<number> | readonly bigint[]
}

/** One attribute, typed explicitly (ONNX does not coerce an INT attribute where a FLOAT is expected). */
export type AttributeSpec = { int: number } | { float: number } | { ints: number[] } | { floats: number[] } | { string: string }

export interface NodeSpec {
  op: string
  inputs: string[]
  outputs: string[]
  attrs?: Record<string, AttributeSpec>
  /** Operator domain; '' (the default ONNX domain) unless given. */
  domain?: string
  name?: string
}

export interface BuildModelParameters {
  nodes: NodeSpec[]
  inputs: ValueSpec[]
  outputs: ValueSpec[]
  initializers?: InitializerSpec[]
  /** Default-domain opset; DEFAULT_OPSET unless given. */
  opset?: number
  /** Extra opset imports, e.g. a custom domain. */
  extraOpsets?: { domain: string; version: number }[]
  irVersion?: number
  graphName?: string
  docString?: string
}

/**
 * Encodes a model. Nodes must be listed in topological order (ONNX requires it).
 *
 * @example
 * const bytes = buildModel({
 *   inputs: [{ name: 'x', type: 'float32', shape: [1, 4] }],
 *   outputs: [{ name: 'y', type: 'float32', shape: [1, 4] }],
 *   nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
 * })
 */
export function buildModel(parameters: BuildModelParameters): Uint8Array {
  const { nodes, inputs, outputs, initializers = [], opset = DEFAULT_OPSET, extraOpsets = [] } = parameters
  const model: onnx.IModelProto = {
    irVersion: parameters.irVersion ?? DEFAULT_IR_VERSION,
    producerName: 'ai-rollup scripts/models',
    opsetImport: [{ domain: '', version: opset }, ...extraOpsets],
    docString: parameters.docString,
    graph: {
      name: parameters.graphName ?? 'graph',
      node: nodes.map((n, i) => ({
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, value]) => encodeAttribute(name, value)),
      })),
      input: inputs.map(valueInfo),
      output: outputs.map(valueInfo),
      initializer: initializers.map(tensor),
    },
  }
  // finish() returns a Node Buffer whose slice() shares memory; hand out a plain copy
  return new Uint8Array(onnx.ModelProto.encode(model).finish())
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPES[v.type],
        shape: v.shape === null ? undefined : { dim: v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  }
}

function encodeAttribute(name: string, value: AttributeSpec): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType
  if ('int' in value) return { name, type: T.INT, i: value.int }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float }
  if ('ints' in value) return { name, type: T.INTS, ints: value.ints }
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats }
  return { name, type: T.STRING, s: new TextEncoder().encode(value.string) }
}

/** Encodes an initializer with raw_data (little-endian), which every runtime reads without conversion. */
export function tensor(spec: InitializerSpec): onnx.ITensorProto {
  const count = spec.shape.reduce((a, b) => a * b, 1)
  if (spec.values.length !== count) throw new Error(`initializer ${spec.name}: ${spec.values.length} values for shape [${spec.shape}]`)
  let raw: Uint8Array
  switch (spec.type) {
    case 'float32':
      raw = bytesOf(Float32Array.from(spec.values as ArrayLike<number>))
      break
    case 'int32':
      raw = bytesOf(Int32Array.from(spec.values as ArrayLike<number>))
      break
    case 'int8':
      raw = bytesOf(Int8Array.from(spec.values as ArrayLike<number>))
      break
    case 'uint8':
      raw = bytesOf(Uint8Array.from(spec.values as ArrayLike<number>))
      break
    case 'int64':
      raw = bytesOf(BigInt64Array.from(Array.from(spec.values as ArrayLike<number | bigint>, (v) => BigInt(v))))
      break
  }
  return { name: spec.name, dataType: ELEMENT_TYPES[spec.type], dims: spec.shape, rawData: raw }
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  // typed arrays are little-endian on every platform Node runs on (x64, arm64)
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice()
}
