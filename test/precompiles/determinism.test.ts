/**
 * Determinism harness: every model in MODELS runs through its canonical plan (what the inference
 * precompile runs) on seeded inputs in this process (one plan, repeated runs; a second,
 * independently compiled plan) and in two separate child processes (test/precompiles/run-model.ts),
 * and all outputs must be bit-identical. Across machines, the golden vectors
 * (canonical-golden.test.ts) compare against bits committed once.
 *
 * Adding a model is one line in MODELS: `{ name, model: () => bytes }`. Inputs are generated from
 * the model's input metadata (type and shape; symbolic dimensions become 1); give `inputs` to
 * choose them yourself and `reference` to also check the outputs against exact values. Models
 * must have one input and one output (what the precompile runs).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { onnx } from 'onnx-proto'
import { afterAll, describe, expect, it } from 'vitest'
import { compileModel, type CompiledModel } from '../../precompiles/canonical/index.ts'
import { fromTensorData, type TensorData, type TensorType } from '../../precompiles/tensor-codec.ts'
import { buildFloatMlp, irisInt8Logits, quantizeIrisMlp, type IrisInt8Weights } from '../../scripts/models/index.ts'
import { type InputSpec, tensorFromHex, tensorToHex } from './run-model.ts'
import { createPrng } from '../../scripts/models/prng.ts'

const execFileAsync = promisify(execFile)
const ROOT = join(__dirname, '..', '..')
const RUN_MODEL = join(__dirname, 'run-model.ts')

// ---------------------------------------------------------------------------------------------
// Seeded randomness and model builders (onnx-proto)

const mulberry32 = (seed: number): (() => number) => createPrng(seed).next

const DT = onnx.TensorProto.DataType

function initializer(name: string, dataType: number, dims: number[], data: ArrayBufferView): onnx.ITensorProto {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

function valueInfo(name: string, elemType: number, dims: number[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }
}

function encodeModel(nodes: onnx.INodeProto[], inits: onnx.ITensorProto[], input: onnx.IValueInfoProto, output: onnx.IValueInfoProto): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'determinism.test',
    graph: { name: 'g', node: nodes, initializer: inits, input: [input], output: [output] },
  }).finish()
}

/** Int8 model: y = MatMulInteger(x int8[1,n], W int8[n,m]) + b int32[m], output int32[1,m]. */
function int8Weights(seed: number, n: number, m: number): { W: Int8Array; b: Int32Array } {
  const rand = mulberry32(seed)
  return {
    W: Int8Array.from({ length: n * m }, () => Math.floor(rand() * 256) - 128),
    b: Int32Array.from({ length: m }, () => Math.floor(rand() * 20001) - 10000),
  }
}

function buildInt8MatMul(seed: number, n: number, m: number): Uint8Array {
  const { W, b } = int8Weights(seed, n, m)
  return encodeModel(
    [
      { opType: 'MatMulInteger', input: ['x', 'W'], output: ['acc'] },
      { opType: 'Add', input: ['acc', 'b'], output: ['y'] },
    ],
    [initializer('W', DT.INT8, [n, m], W), initializer('b', DT.INT32, [m], b)],
    valueInfo('x', DT.INT8, [1, n]),
    valueInfo('y', DT.INT32, [1, m]),
  )
}

/** The exact int8 result, computed with bigints. */
function int8MatMulReference(seed: number, n: number, m: number): (x: TensorData) => bigint[] {
  const { W, b } = int8Weights(seed, n, m)
  return (x) =>
    Array.from({ length: m }, (_, j) => {
      let acc = BigInt(b[j])
      for (let i = 0; i < n; i++) acc += BigInt((x as Int8Array)[i]) * BigInt(W[i * m + j])
      return acc
    })
}

// ---------------------------------------------------------------------------------------------
// The table

interface ModelCase {
  name: string
  model: () => Uint8Array
  /** Defaults to seeded inputs generated from the model's input metadata. */
  inputs?: InputSpec[]
  /** Exact expected outputs as integers (what fromTensorData gives), when known. */
  reference?: (input: TensorData) => bigint[]
}

/** The committed example models (precompiles/models/, what scripts/register-models.ts registers). */
const exampleModel = (file: string) => () => new Uint8Array(readFileSync(join(ROOT, 'precompiles/models', file)))

/** The int8 Iris MLP's exact int32 logits, computed in JS (scripts/models/iris-int8.ts); weights trained once. */
let irisInt8Weights: IrisInt8Weights | undefined
const irisInt8Reference = (x: TensorData) => irisInt8Logits((irisInt8Weights ??= quantizeIrisMlp()), Array.from(x as Int8Array)).map(BigInt)

const MODELS: ModelCase[] = [
  { name: 'mlp-f32-64x256x256x10', model: () => buildFloatMlp(1, [64, 256, 256, 10]) },
  { name: 'int8-matmulinteger-add-32x16', model: () => buildInt8MatMul(7, 32, 16), reference: int8MatMulReference(7, 32, 16) },
  { name: 'example credit-risk.onnx', model: exampleModel('credit-risk.onnx') },
  { name: 'example iris-mlp.onnx', model: exampleModel('iris-mlp.onnx') },
  { name: 'example iris-mlp-int8.onnx', model: exampleModel('iris-mlp-int8.onnx'), reference: irisInt8Reference },
]

const INPUTS_PER_MODEL = 8

/** Seeded inputs for a tensor: zeros, then random vectors; float ones add extremes and subnormals. */
function generateInputs(seed: number, type: TensorType, shape: number[], count: number): InputSpec[] {
  const rand = mulberry32(seed)
  const length = shape.reduce((a, b) => a * b, 1)
  const specs: InputSpec[] = []
  for (let k = 0; k < count; k++) {
    let data: TensorData
    switch (type) {
      case 'float32': {
        const special = [0, 1e-40, -1e-45, 1e4, -1e4, 1, -1, 0.5] // subnormals, large, exact
        data = Float32Array.from({ length }, (_, i) => (k === 0 ? 0 : k === 1 ? special[i % special.length] : (rand() * 2 - 1) * 4))
        break
      }
      case 'int8':
        data = Int8Array.from({ length }, (_, i) => (k === 0 ? 0 : k === 1 ? (i % 2 ? 127 : -128) : Math.floor(rand() * 256) - 128))
        break
      case 'uint8':
        data = Uint8Array.from({ length }, (_, i) => (k === 0 ? 0 : k === 1 ? 255 * (i % 2) : Math.floor(rand() * 256)))
        break
      case 'int32':
        data = Int32Array.from({ length }, () => (k === 0 ? 0 : Math.floor(rand() * 2001) - 1000))
        break
      case 'int64':
        data = BigInt64Array.from({ length }, () => (k === 0 ? 0n : BigInt(Math.floor(rand() * 2001) - 1000)))
        break
    }
    specs.push({ type, shape, hex: tensorToHex(data) })
  }
  return specs
}

/** Output bytes as hex, one string per input. */
function runInProcess(model: CompiledModel, inputs: InputSpec[]): string[] {
  return inputs.map((input) => tensorToHex(model.run(tensorFromHex(input.type, input.hex))))
}

async function runInChild(modelPath: string, inputsPath: string): Promise<string[]> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', RUN_MODEL, modelPath, inputsPath], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  })
  return stdout.trim().split('\n')
}

// ---------------------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'determinism-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('inference is bit-identical', () => {
  MODELS.forEach((c, index) => {
    describe(c.name, () => {
      const bytes = c.model()
      let inputs: InputSpec[]
      let expected: string[]
      let outputType: TensorType

      it('across repeated runs of one plan and across separately compiled plans', () => {
        const a = compileModel(bytes)
        const b = compileModel(bytes)
        outputType = a.output.type
        inputs = c.inputs ?? generateInputs(1000 + index, a.input.type, [...a.input.shape], INPUTS_PER_MODEL)
        expected = runInProcess(a, inputs)
        expect(expected).toHaveLength(inputs.length)
        for (let rep = 0; rep < 3; rep++) expect(runInProcess(a, inputs)).toEqual(expected)
        expect(runInProcess(b, inputs)).toEqual(expected)
        // distinct inputs give distinct outputs (the harness compares something real)
        expect(new Set(expected).size).toBeGreaterThan(1)
      })

      it('across two separate processes', async () => {
        expect(expected).toBeDefined()
        const modelPath = join(tmp, `${index}.onnx`)
        const inputsPath = join(tmp, `${index}.json`)
        writeFileSync(modelPath, bytes)
        writeFileSync(inputsPath, JSON.stringify(inputs))
        const [first, second] = await Promise.all([runInChild(modelPath, inputsPath), runInChild(modelPath, inputsPath)])
        expect(first).toEqual(expected)
        expect(second).toEqual(expected)
      })

      it('converts to int256 through the fixed-point codec (finite outputs; exact where a reference exists)', () => {
        expect(expected).toBeDefined()
        for (let i = 0; i < inputs.length; i++) {
          const values = fromTensorData(tensorFromHex(outputType, expected[i]), outputType)
          expect(values).toHaveLength(tensorFromHex(outputType, expected[i]).length)
          if (c.reference) expect(values).toEqual(c.reference(tensorFromHex(inputs[i].type, inputs[i].hex)))
        }
      })
    })
  })
})
