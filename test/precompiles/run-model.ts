/**
 * Runs one ONNX model in this process through its canonical plan (precompiles/canonical/, what
 * the inference precompile runs) and prints the raw output bytes, so a test can compare
 * processes bit for bit.
 *
 *   node --import tsx test/precompiles/run-model.ts <model.onnx> <inputs.json | inline JSON>
 *
 * The model must have one input and one output. Inputs: a JSON array of
 * `{ "type": "float32" | "int8" | "uint8" | "int32" | "int64", "shape": number[],
 * "hex": "<the tensor's elements as little-endian bytes>" }`.
 * Output: one line per input, the output tensor's bytes as lowercase hex (little-endian, as
 * the typed array holds them). Exit code 1 with a message on stderr on any error.
 */
import { readFileSync } from 'node:fs'
import { compileModel } from '../../precompiles/canonical/index.ts'
import type { TensorData, TensorType } from '../../precompiles/tensor-codec.ts'

export interface InputSpec {
  type: TensorType
  shape: number[]
  hex: string
}

const ARRAYS = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
} as const

/** The typed array whose little-endian bytes are `hex` (copied, so it is aligned). */
export function tensorFromHex(type: TensorType, hex: string): TensorData {
  const bytes = Buffer.from(hex, 'hex')
  const Ctor = ARRAYS[type]
  if (Ctor === undefined) throw new Error(`unsupported tensor type ${type}`)
  const buffer = new ArrayBuffer(bytes.length)
  new Uint8Array(buffer).set(bytes)
  return new Ctor(buffer)
}

export function tensorToHex(data: TensorData): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')
}

async function main(): Promise<void> {
  const [modelPath, inputsArg] = process.argv.slice(2)
  if (modelPath === undefined || inputsArg === undefined) {
    throw new Error('usage: run-model.ts <model.onnx> <inputs.json | inline JSON>')
  }
  const model = new Uint8Array(readFileSync(modelPath))
  const json = /^\s*[[{]/.test(inputsArg) ? inputsArg : readFileSync(inputsArg, 'utf8')
  const inputs = JSON.parse(json) as InputSpec[]
  const compiled = compileModel(model)
  const lines: string[] = []
  for (const input of inputs) {
    if (input.type !== compiled.input.type) throw new Error(`input is ${input.type}, the model takes ${compiled.input.type}`)
    lines.push(tensorToHex(compiled.run(tensorFromHex(input.type, input.hex))))
  }
  process.stdout.write(lines.join('\n') + '\n')
}

// Run as a script, not when a test imports the helpers above.
if (/run-model\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  })
}
