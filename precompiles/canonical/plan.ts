/**
 * Canonical inference: a model, already accepted by the analyzer (onnx/analyze.ts), compiled into
 * a plan of kernels that computes the result docs/CANONICAL_INFERENCE.md defines, bit for bit,
 * on every CPU and JavaScript engine. The plan reuses the analyzer's operator rules for every
 * tensor's type and shape, so the two cannot disagree on what a node computes.
 *
 * ```ts
 * const model = compileModel(bytes)            // once per model (decode, initializers, kernels)
 * const y = model.run(Float32Array.of(...))     // per call: synchronous, allocation per node
 * ```
 * Off-chain workers call the same functions: the package's entry point is precompiles/canonical/index.ts.
 */
import { onnx } from 'onnx-proto'
import { ModelValidationError } from '../onnx/errors.ts'
import { Attrs, ruleFor, type AllowedOp } from '../onnx/operators.ts'
import { elementType, readInitializer, type ElementType, type TensorInfo } from '../onnx/tensors.ts'
import { ELEMENTWISE } from './elementwise.ts'
import { LAYOUT } from './layout.ts'
import { MatmulArena } from './arena.ts'
import { LINALG } from './linalg.ts'
import { WINDOW } from './window.ts'
import { alloc, size, type Data, type Kernel, type KernelFactory, type Operand } from './tensor.ts'

const KERNELS: Record<AllowedOp, KernelFactory> = { ...ELEMENTWISE, ...LINALG, ...WINDOW, ...LAYOUT } as Record<AllowedOp, KernelFactory>

/** Operators with a canonical kernel (the analyzer's allowlist; test/precompiles/canonical.test.ts keeps them equal). */
export const CANONICAL_OPS: readonly string[] = Object.keys(KERNELS).sort()

interface Step {
  kernel: Kernel
  /** Slot of each input (-1 where an optional input is omitted). */
  inputs: number[]
  output: number
  /** Slots whose last reader this step is: released after it (memory of a call stays near the live set). */
  release: number[]
}

/** A compiled model: `run` takes the input's elements (row-major) and returns the output's. */
export interface CompiledModel {
  readonly input: { name: string; type: ElementType; shape: number[] }
  readonly output: { name: string; type: ElementType; shape: number[] }
  run(input: Data): Data
}

export interface CompileOptions {
  /** Float32 products in WebAssembly SIMD where available (default true); false runs the JavaScript reference, same bits (for tests). */
  simd?: boolean
}

/**
 * Compiles an analyzed model. Throws ModelValidationError for a model outside the canonical
 * definition (the analyzer refuses those first; this is the backstop).
 */
export function compileModel(bytes: Uint8Array, options: CompileOptions = {}): CompiledModel {
  const model = onnx.ModelProto.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  const graph = model.graph!
  const opset = Number((model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0)
  const slots = new Map<string, number>()
  const operands: Operand[] = []
  const constants: (Data | undefined)[] = []
  const infos = new Map<string, TensorInfo>()
  const define = (name: string, operand: Operand, info: TensorInfo): number => {
    const slot = operands.length
    slots.set(name, slot)
    operands.push(operand)
    constants.push(operand.data)
    infos.set(name, info)
    return slot
  }
  for (const init of graph.initializer ?? []) {
    const info = readInitializer(init)
    define(init.name!, { type: info.type, shape: info.shape, data: initializerData(init, info) }, info)
  }
  const inputProto = (graph.input ?? []).find((i) => !slots.has(i.name ?? ''))!
  const input = endOf(inputProto)
  const inputSlot = define(input.name, { type: input.type, shape: input.shape }, { type: input.type, shape: input.shape, constant: false })

  const steps: Step[] = []
  const arena = new MatmulArena(options.simd ?? true)
  for (const node of graph.node ?? []) {
    const op = node.opType as AllowedOp
    const rule = ruleFor(op)
    const factory = KERNELS[op]
    if (rule === undefined || factory === undefined) throw new ModelValidationError(`operator ${op} has no canonical definition`)
    const names = node.input ?? []
    const inputInfos = names.map((n) => (n === '' ? undefined : infos.get(n)))
    const attrs = new Attrs(op, node.attribute ?? [], rule.attrs(opset))
    const [outInfo] = rule.infer({ node, op, inputs: inputInfos, opset }, attrs).outputs
    const kernel = factory({ op, attrs, inputs: names.map((n) => (n === '' ? undefined : operands[slots.get(n)!])), output: { type: outInfo.type, shape: outInfo.shape }, opset, arena })
    const output = define(node.output![0], { type: outInfo.type, shape: outInfo.shape }, outInfo)
    steps.push({ kernel, inputs: names.map((n) => (n === '' ? -1 : slots.get(n)!)), output, release: [] })
  }
  const output = endOf(graph.output![0])
  const outputSlot = slots.get(output.name)!
  // release each computed tensor after its last reader (never the output)
  const lastReader = new Map<number, Step>()
  for (const step of steps) for (const s of step.inputs) if (s >= 0 && constants[s] === undefined && s !== inputSlot) lastReader.set(s, step)
  for (const [slot, step] of lastReader) if (slot !== outputSlot) step.release.push(slot)

  return {
    input,
    output,
    run(data: Data): Data {
      const values = constants.slice()
      values[inputSlot] = data
      for (const step of steps) {
        values[step.output] = step.kernel(step.inputs.map((s) => (s < 0 ? undefined : values[s])))
        for (const s of step.release) values[s] = undefined
      }
      return values[outputSlot]!
    },
  }
}

function endOf(v: onnx.IValueInfoProto): { name: string; type: ElementType; shape: number[] } {
  const t = v.type!.tensorType!
  return { name: v.name ?? '', type: elementType(t.elemType)!, shape: (t.shape?.dim ?? []).map((d) => Number(d.dimValue)) }
}

/** An initializer's elements as a typed array of its type (raw little-endian bytes or the typed fields). */
function initializerData(t: onnx.ITensorProto, info: TensorInfo): Data {
  const count = size(info.shape)
  const raw = t.rawData
  const out = alloc(info.type, count)
  if (raw != null && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    for (let i = 0; i < count; i++) {
      switch (info.type) {
        case 'float32':
          ;(out as Float32Array)[i] = view.getFloat32(i * 4, true)
          break
        case 'int32':
          ;(out as Int32Array)[i] = view.getInt32(i * 4, true)
          break
        case 'int64':
          ;(out as BigInt64Array)[i] = view.getBigInt64(i * 8, true)
          break
        case 'int8':
          ;(out as Int8Array)[i] = view.getInt8(i)
          break
        case 'uint8':
          ;(out as Uint8Array)[i] = view.getUint8(i)
          break
      }
    }
    return out
  }
  if (info.type === 'float32') (out as Float32Array).set(t.floatData ?? [])
  else if (info.type === 'int64') (out as BigInt64Array).set((t.int64Data ?? []).map((v) => BigInt(typeof v === 'number' ? v : v.toString())))
  else (out as Int32Array).set(t.int32Data ?? [])
  return out
}
