/**
 * Static analysis of ONNX model bytes: the node's only judge of whether a model may be registered
 * and of what each call to it costs. Bytes flow in, are parsed with onnx-proto, checked (one
 * fixed-shape input and output of a supported type, allowlisted operators, no external data,
 * supported opset), walked node by node to infer every tensor's shape and type and count the work
 * (operators.ts), and come out as a ModelInfo whose gasPerCall the registry stores.
 *
 * Consensus: the result is a pure function of the bytes (integer arithmetic only, no runtime, no
 * clock), so every node replaying a registration stores the same gas figure. Anything wrong with
 * the bytes is a ModelValidationError; no other error escapes for any input.
 */
import { onnx } from 'onnx-proto'
import { ModelValidationError } from './errors.ts'
import { Attrs, ruleFor, type AllowedOp } from './operators.ts'
import { checkWireFormat } from './wire.ts'
import { dataTypeName, elementCount, elementType, formatShape, MAX_RANK, quote, readInitializer, toSafeInt, type ElementType, type TensorInfo } from './tensors.ts'

export { ALLOWED_OPS, MAC_OPS, type AllowedOp } from './operators.ts'
export { ELEMENT_TYPES, MAX_RANK, type ElementType } from './tensors.ts'
export { MAX_ATTR_LIST, MAX_ATTR_STRING } from './operators.ts'
export { ModelValidationError }

/** Largest model accepted unless the node configures another cap, in bytes (1 MiB). */
export const DEFAULT_MAX_MODEL_BYTES = 1024 * 1024

/** Most elements in the model's input, and separately in its output (each crosses the ABI as an int256 word). */
export const MAX_IO_ELEMENTS = 65_536

/** Most elements in any tensor the graph computes (4 Mi: 16 MiB of float32), bounding a call's memory. */
export const MAX_TENSOR_ELEMENTS = 4 * 1024 * 1024

/** Oldest default-domain opset accepted: from 13 on, Squeeze/Unsqueeze/ReduceSum/Clip take axes and bounds as inputs, which the shape rules assume. */
export const MIN_OPSET = 13

/** Newest default-domain opset accepted: the newest whose operator semantics operators.ts follows (onnxruntime 1.30 itself runs up to 26). */
export const MAX_OPSET = 21

/** IR versions accepted (7 ⇔ opset 13, 10 ⇔ opset 21). */
export const MIN_IR_VERSION = 7
export const MAX_IR_VERSION = 10

/** Most nodes in a graph. onnxruntime spends ≈15-20 µs per node creating a session; this bounds a cold load at ≈40 ms. */
export const MAX_NODES = 2048

/** Most inputs of one node (variadic Max, Min, Concat); each is priced (GAS_PER_NODE_INPUT). */
export const MAX_NODE_INPUTS = 64

/**
 * Most initializers. onnxruntime spends ≈6 µs per initializer creating a session, and more per
 * initializer beyond a few thousand (17 µs each at 16,000: superlinear); real models carry one or
 * two per node.
 */
export const MAX_INITIALIZERS = 2 * MAX_NODES

/** Most graph value_info entries (≈1 µs each at session creation; exporters write one per intermediate tensor at most). */
export const MAX_VALUE_INFOS = 2 * MAX_NODES

// ---------------------------------------------------------------------------------------------
// Gas schedule of one inference call. Units: gas per unit of static work.
//
// The cost must be known before running (gas is charged up front) and be the same on every node,
// so it is computed from the graph, not measured. The target: at least 20 gas per µs of one core
// for every operator and shape, so that a 60M-gas block of inference calls runs in under 3 s
// (plain transfers run at ≈34 gas/µs here: 1,600 tx/s × 21,000 gas). `npm run bench:op-gas`
// (scripts/bench-operator-gas.ts) checks it: every allowlisted operator over seeded random shapes,
// warm (a compiled plan) and cold (the plan compiled for the call), on the canonical path the
// precompile runs (precompiles/canonical/, docs/CANONICAL_INFERENCE.md); its last figures are in
// the README ("Registration checks and gas").
//
// - fixed cost: a cold call decodes the model and compiles its plan (≈10 µs for a one-node model,
//   ≈40-50 µs for the example models, WebAssembly instantiation included) and may analyse it
//   (≈15-60 µs; analyses are cached apart from plans). Whether a plan is cached differs between
//   nodes and cannot enter gas, so every call is priced as if cold: INFERENCE_BASE_GAS, and for
//   the per-structure work GAS_PER_NODE (≈10-15 µs per node analysed and compiled in chains of
//   2,048 nodes), GAS_PER_NODE_INPUT, GAS_PER_INITIALIZER (≈2.5 µs each at 4,090 initializers)
//   and GAS_PER_VALUE_INFO (≈1 µs each, checked by the analysis). These set the worst case, at
//   small shapes and for graph structures at the caps;
// - dense products: 1 gas per 4 MACs. The slow cases are the JavaScript loops of the
//   convolutions (float Conv and the integer/quantized ones, ≈22-27 gas/µs at their worst);
//   float32 matrix products run in WebAssembly SIMD, far above the target;
// - element-wise work: 1 gas per element operation (an output element of an element-wise op, an
//   input element of a reduction, a window element of a pooling); int64 elements (bigints) are
//   the slow case at ≈60-80 gas/µs. Convolutions add CONV_OPS_PER_IMAGE (10) element operations
//   per image (batch item × group) for their per-image set-up;
// - memory traffic: every node is charged ¼ gas for every element it reads (initializers
//   included) and writes, whatever its arithmetic, so that no operator and no shape runs for
//   free (a Concat, Transpose or Reshape only moves elements); every initializer element counts
//   once more, decoded when the plan is compiled, used or not;
// - each input and output element is decoded from an int256, range-checked, converted and
//   re-encoded by the precompile: 30 gas each.
//
// gas = 3,000 + ⌈MACs / 4⌉ + element ops + ⌈elements read, written and loaded / 4⌉
//       + 500 · nodes + 100 · node inputs + 200 · initializers + 100 · value_info entries
//       + 30 · (input + output elements)
//
// History: until the canonical evaluator, calls ran in onnxruntime, whose session creation
// (≈350 µs for a one-node model, 10-18 µs per node, 6-9 µs per initializer) set the fixed terms at
// 30,000 + 2,000 · nodes + 500 · initializers. Models registered before keep the gasPerCall the
// registry stored for them.
// ---------------------------------------------------------------------------------------------

/** Fixed gas of every inference call. */
export const INFERENCE_BASE_GAS = 3_000n

/** Gas per multiply-accumulate, as a fraction (1/4 gas per MAC: 4 MACs per gas). */
export const GAS_PER_MAC = { numerator: 1n, denominator: 4n } as const

/** Gas per element operation (an output element of an element-wise op, an input element of a reduction). */
export const GAS_PER_ELEMENT_OP = 1n

/** Gas per element a node reads or writes (every input element, initializers included, and every output element), as a fraction (4 elements per gas). */
export const GAS_PER_ELEMENT_ACCESS = { numerator: 1n, denominator: 4n } as const

/** Gas per node of the graph (its analysis and compilation into the plan, and its dispatch). */
export const GAS_PER_NODE = 500n

/** Gas per input edge of a node (resolved when the plan is compiled, read at each run). */
export const GAS_PER_NODE_INPUT = 100n

/** Gas per initializer (≈2.5 µs each decoded into the plan); their elements count as element accesses (decoded at compilation). */
export const GAS_PER_INITIALIZER = 200n

/** Gas per graph value_info entry (checked against the analysis' own shapes, ≈1 µs each). */
export const GAS_PER_VALUE_INFO = 100n

/** Gas per element of the input and of the output (ABI decoding, fixed-point conversion, encoding). */
export const GAS_PER_IO_ELEMENT = 30n

export interface InferenceGasParameters {
  macs: bigint
  elementOps: bigint
  elementAccesses: bigint
  nodes: number
  /** Present inputs summed over the nodes. */
  nodeInputs: number
  initializers: number
  valueInfos: number
  inputLength: number
  outputLength: number
}

/** Gas of one call to a model with this static cost (see the schedule above); the MAC term rounds up. */
export function inferenceGas({ macs, elementOps, elementAccesses, nodes, nodeInputs, initializers, valueInfos, inputLength, outputLength }: InferenceGasParameters): bigint {
  const macGas = (macs * GAS_PER_MAC.numerator + GAS_PER_MAC.denominator - 1n) / GAS_PER_MAC.denominator
  const accessGas = (elementAccesses * GAS_PER_ELEMENT_ACCESS.numerator + GAS_PER_ELEMENT_ACCESS.denominator - 1n) / GAS_PER_ELEMENT_ACCESS.denominator
  return (
    INFERENCE_BASE_GAS +
    macGas +
    elementOps * GAS_PER_ELEMENT_OP +
    accessGas +
    BigInt(nodes) * GAS_PER_NODE +
    BigInt(nodeInputs) * GAS_PER_NODE_INPUT +
    BigInt(initializers) * GAS_PER_INITIALIZER +
    BigInt(valueInfos) * GAS_PER_VALUE_INFO +
    BigInt(inputLength + outputLength) * GAS_PER_IO_ELEMENT
  )
}

/** One end of the model: its graph name, element type and fixed shape; `length` is the element count. */
export interface TensorSignature {
  name: string
  type: ElementType
  shape: number[]
  length: number
}

export interface ModelInfo {
  input: TensorSignature
  output: TensorSignature
  /** Distinct operator types used, sorted. */
  ops: string[]
  /** Default-domain opset the model imports. */
  opset: number
  /** Multiply-accumulates of one call (Gemm, MatMul, Conv and their integer forms). */
  macs: bigint
  /** Element operations of one call (every other operator). */
  elementOps: bigint
  /** Elements read and written in one call: every node's input elements (initializers included) and output elements, plus every initializer's elements (loaded when the session is created). */
  elementAccesses: bigint
  /** Nodes in the graph. */
  nodes: number
  /** Present node inputs, summed over the nodes. */
  nodeInputs: number
  /** Initializers in the graph. */
  initializers: number
  /** value_info entries in the graph. */
  valueInfos: number
  /** What each call is charged, in gas (inferenceGas). */
  gasPerCall: bigint
  /** Size of the model, in bytes. */
  bytes: number
}

export interface AnalyzeLimits {
  /** Largest model accepted, in bytes; DEFAULT_MAX_MODEL_BYTES unless given. */
  maxBytes?: number
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx'])

/**
 * Validates an ONNX model and computes its static cost.
 *
 * @param bytes the serialized ModelProto, as registered
 * @param limits size cap (default 1 MiB)
 * @returns the model's signature, operators and gas per call
 * @throws ModelValidationError with a short reason when the model is refused
 *
 * @example
 * const info = analyzeModel(buildIrisModel())
 * // info.input = { name: 'measurements', type: 'float32', shape: [1, 4], length: 4 }
 */
export function analyzeModel(bytes: Uint8Array, limits: AnalyzeLimits = {}): ModelInfo {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_MODEL_BYTES
  if (bytes.length > maxBytes) throw new ModelValidationError(`model is ${bytes.length} bytes, over the ${maxBytes} byte cap`)
  try {
    return analyze(bytes)
  } catch (err) {
    if (err instanceof ModelValidationError) throw err
    // Not expected after the wire check, but the reason must not depend on the engine: a
    // TypeError's wording differs between Node versions, and a revert reason is consensus data.
    throw new ModelValidationError('not an ONNX model: malformed')
  }
}

function analyze(bytes: Uint8Array): ModelInfo {
  // Always work on a plain Uint8Array view. Given a Node Buffer (what sqlite hands back),
  // protobufjs switches to its BufferReader, which clamps a string running past the end instead
  // of failing: the same bytes would be valid or not depending on who called.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  checkWireFormat(view)
  let model: onnx.ModelProto
  try {
    model = onnx.ModelProto.decode(view)
  } catch (err) {
    throw new ModelValidationError(`not an ONNX model: ${err instanceof Error ? err.message : String(err)}`)
  }
  const graph = model.graph
  if (graph == null) throw new ModelValidationError('not an ONNX model: no graph')

  const irVersion = toSafeInt(model.irVersion, 'IR version')
  if (irVersion < MIN_IR_VERSION || irVersion > MAX_IR_VERSION) throw new ModelValidationError(`IR version ${irVersion} is not supported (${MIN_IR_VERSION}-${MAX_IR_VERSION})`)
  const opset = defaultOpset(model)
  if ((model.functions?.length ?? 0) > 0) throw new ModelValidationError('model-local functions are not allowed')
  if ((graph.sparseInitializer?.length ?? 0) > 0) throw new ModelValidationError('sparse initializers are not supported')

  // initializers first: graph inputs that name one are overridable constants, not inputs
  const env = new Map<string, TensorInfo>()
  const initializers = graph.initializer ?? []
  if (initializers.length > MAX_INITIALIZERS) throw new ModelValidationError(`graph has ${initializers.length} initializers, over the ${MAX_INITIALIZERS} cap`)
  const valueInfos = graph.valueInfo ?? []
  if (valueInfos.length > MAX_VALUE_INFOS) throw new ModelValidationError(`graph has ${valueInfos.length} value_info entries, over the ${MAX_VALUE_INFOS} cap`)
  // a session loads every initializer, used or not: its elements are accessed once per (cold) call
  let elementAccesses = 0n
  for (const init of initializers) {
    const name = init.name ?? ''
    if (name === '') throw new ModelValidationError('an initializer has no name')
    if (env.has(name)) throw new ModelValidationError(`initializer ${quote(name)} is defined twice`)
    const t = readInitializer(init)
    env.set(name, t)
    elementAccesses += BigInt(elementCount(t.shape))
  }
  const inputs: onnx.IValueInfoProto[] = []
  for (const i of graph.input ?? []) {
    const init = env.get(i.name ?? '')
    if (init === undefined) inputs.push(i)
    else checkOverridable(i, init)
  }
  const outputs = graph.output ?? []
  if (inputs.length !== 1) throw new ModelValidationError(`model must have exactly one input, has ${inputs.length}`)
  if (outputs.length !== 1) throw new ModelValidationError(`model must have exactly one output, has ${outputs.length}`)
  const input = signature(inputs[0], 'input')
  const declaredOutput = signature(outputs[0], 'output')
  if (input.name === '') throw new ModelValidationError('input has no name')
  env.set(input.name, { type: input.type, shape: input.shape, constant: false })

  const nodes = graph.node ?? []
  if (nodes.length > MAX_NODES) throw new ModelValidationError(`graph has ${nodes.length} nodes, over the ${MAX_NODES} cap`)
  let macs = 0n
  let elementOps = 0n
  let inputCount = 0
  const ops = new Set<string>()
  const nodeNames = new Set<string>()
  for (const node of nodes) {
    const op = node.opType ?? ''
    const domain = node.domain ?? ''
    if (!DEFAULT_DOMAINS.has(domain)) throw new ModelValidationError(`operator ${quote(`${domain}.${op}`)} is not allowed (custom domain)`)
    const rule = ruleFor(op)
    if (rule === undefined) throw new ModelValidationError(`operator ${quote(op)} is not allowed`)
    ops.add(op)

    const nodeName = node.name ?? ''
    if (nodeName !== '') {
      // onnxruntime refuses a graph with two nodes of one name
      if (nodeNames.has(nodeName)) throw new ModelValidationError(`two nodes are named ${quote(nodeName)}`)
      nodeNames.add(nodeName)
    }

    const inputNames = node.input ?? []
    const [required, rawMost] = rule.inputs
    const most = Math.min(rawMost, MAX_NODE_INPUTS)
    if (inputNames.length > most) throw new ModelValidationError(`${op} has ${inputNames.length} inputs, takes at most ${most}`)
    const nodeInputs = inputNames.map((name) => {
      if (name === '') return undefined
      const t = env.get(name)
      if (t === undefined) throw new ModelValidationError(`${op} reads ${quote(name)}, which is not computed before it`)
      return t
    })
    for (let i = 0; i < required; i++) if (nodeInputs[i] === undefined) throw new ModelValidationError(`${op} is missing input ${i + 1}`)

    const outputNames = node.output ?? []
    if (outputNames.length !== 1 || outputNames[0] === '') throw new ModelValidationError(`${op} must have exactly one output`)

    const attrs = new Attrs(op, node.attribute ?? [], rule.attrs(opset))
    const result = rule.infer({ node, op: op as AllowedOp, inputs: nodeInputs, opset }, attrs)
    const [name] = outputNames
    if (env.has(name)) throw new ModelValidationError(`tensor ${quote(name)} is defined twice`)
    const [t] = result.outputs
    checkComputedShape(name, t.shape)
    env.set(name, t)
    macs += result.macs
    elementOps += result.elementOps
    // every element read and written costs memory traffic whatever the arithmetic: a node whose
    // multiply-adds or element operations are few can still read or write millions of elements
    elementAccesses += BigInt(elementCount(t.shape))
    for (const x of nodeInputs) {
      if (x === undefined) continue
      elementAccesses += BigInt(elementCount(x.shape))
      inputCount++
    }
  }

  const computed = env.get(declaredOutput.name)
  if (computed === undefined) throw new ModelValidationError(`output ${quote(declaredOutput.name)} is not computed`)
  if (computed.type !== declaredOutput.type) throw new ModelValidationError(`output is declared ${declaredOutput.type} but computed as ${computed.type}`)
  if (formatShape(computed.shape) !== formatShape(declaredOutput.shape)) {
    throw new ModelValidationError(`output is declared ${formatShape(declaredOutput.shape)} but computed as ${formatShape(computed.shape)}`)
  }
  checkValueInfo(valueInfos, env)

  const cost = {
    macs,
    elementOps,
    elementAccesses,
    nodes: nodes.length,
    nodeInputs: inputCount,
    initializers: initializers.length,
    valueInfos: valueInfos.length,
  }
  return {
    input,
    output: declaredOutput,
    ops: [...ops].sort(),
    opset,
    ...cost,
    gasPerCall: inferenceGas({ ...cost, inputLength: input.length, outputLength: declaredOutput.length }),
    bytes: bytes.length,
  }
}

function defaultOpset(model: onnx.ModelProto): number {
  let opset: number | undefined
  for (const o of model.opsetImport ?? []) {
    if (!DEFAULT_DOMAINS.has(o.domain ?? '')) continue // another domain's import; its nodes are refused one by one
    if (opset !== undefined) throw new ModelValidationError('the default opset is imported twice')
    opset = toSafeInt(o.version, 'opset')
  }
  if (opset === undefined) throw new ModelValidationError('model imports no default-domain opset')
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new ModelValidationError(`opset ${opset} is not supported (${MIN_OPSET}-${MAX_OPSET})`)
  return opset
}

/** The graph input or output as a fixed-shape tensor of a supported type. */
function signature(v: onnx.IValueInfoProto, which: 'input' | 'output'): TensorSignature {
  const tensorType = v.type?.tensorType
  if (tensorType == null) throw new ModelValidationError(`${which} must be a tensor`)
  const type = elementType(tensorType.elemType)
  if (type === undefined) throw new ModelValidationError(`${which} type ${dataTypeName(tensorType.elemType)} is not supported`)
  if (tensorType.shape == null) throw new ModelValidationError(`${which} must have a fixed shape`)
  if ((tensorType.shape.dim?.length ?? 0) > MAX_RANK) throw new ModelValidationError(`${which} has rank over ${MAX_RANK}`)
  const shape = (tensorType.shape.dim ?? []).map((d) => {
    if (d.dimValue == null || (d.dimParam ?? '') !== '') throw new ModelValidationError(`${which} must have a fixed shape`)
    const n = toSafeInt(d.dimValue, `${which} dim`)
    if (n < 1) throw new ModelValidationError(`${which} must have a fixed shape`)
    return n
  })
  const length = elementCount(shape)
  if (length > MAX_IO_ELEMENTS) throw new ModelValidationError(`${which} has ${length} elements, over the ${MAX_IO_ELEMENTS} cap`)
  return { name: v.name ?? '', type, shape, length }
}

function checkComputedShape(name: string, shape: number[]): void {
  if (shape.length > MAX_RANK) throw new ModelValidationError(`tensor ${quote(name)} has rank over ${MAX_RANK}`)
  let count = 1n
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 1) throw new ModelValidationError(`tensor ${quote(name)} has an empty or invalid dim`)
    count *= BigInt(d)
  }
  if (count > BigInt(MAX_TENSOR_ELEMENTS)) throw new ModelValidationError(`tensor ${quote(name)} has ${count} elements, over the ${MAX_TENSOR_ELEMENTS} cap`)
}

/**
 * A graph input that names an initializer (an overridable constant): onnxruntime refuses the
 * model at load when its declared type or shape differs from the initializer's.
 */
function checkOverridable(v: onnx.IValueInfoProto, init: TensorInfo): void {
  const name = quote(v.name ?? '')
  const tensorType = v.type?.tensorType
  if (tensorType == null) {
    if (v.type != null && Object.keys(v.type).some((k) => Object.hasOwn(v.type!, k))) throw new ModelValidationError(`graph input ${name} names an initializer but is not a tensor`)
    return
  }
  if (tensorType.elemType != null && tensorType.elemType !== 0 && elementType(tensorType.elemType) !== init.type) {
    throw new ModelValidationError(`graph input ${name} is declared ${dataTypeName(tensorType.elemType)}, its initializer is ${init.type}`)
  }
  const dims = tensorType.shape?.dim
  if (dims == null) return
  if (dims.length !== init.shape.length || dims.some((d, i) => d.dimValue != null && Object.hasOwn(d, 'dimValue') && toSafeInt(d.dimValue, 'graph input dim') !== init.shape[i])) {
    throw new ModelValidationError(`graph input ${name} is declared with another shape than its initializer ${formatShape(init.shape)}`)
  }
}

/** value_info entries are hints the runtime checks against its own inference; one that disagrees with ours would fail to load. */
function checkValueInfo(valueInfo: onnx.IValueInfoProto[], env: Map<string, TensorInfo>): void {
  for (const v of valueInfo) {
    const t = env.get(v.name ?? '')
    const tensorType = v.type?.tensorType
    if (t === undefined || tensorType == null) continue
    if (tensorType.elemType != null && tensorType.elemType !== 0 && elementType(tensorType.elemType) !== t.type) {
      throw new ModelValidationError(`value_info for ${quote(v.name ?? '')} says ${dataTypeName(tensorType.elemType)}, computed ${t.type}`)
    }
    const dims = tensorType.shape?.dim
    if (dims == null) continue
    if (dims.length !== t.shape.length) throw new ModelValidationError(`value_info for ${quote(v.name ?? '')} has rank ${dims.length}, computed ${formatShape(t.shape)}`)
    dims.forEach((d, i) => {
      if (d.dimValue != null && toSafeInt(d.dimValue, 'value_info dim') !== t.shape[i]) {
        throw new ModelValidationError(`value_info for ${quote(v.name ?? '')} disagrees with the computed shape ${formatShape(t.shape)}`)
      }
    })
  }
}
