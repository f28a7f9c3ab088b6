/**
 * Golden vectors of canonical inference (docs/CANONICAL_INFERENCE.md): for the example models and
 * for seeded random models of every allowlisted operator, the exact output bits on seeded inputs,
 * produced once and committed in test/precompiles/golden/canonical-vectors.json.
 * test/precompiles/canonical-golden.test.ts recomputes them on whatever machine runs the tests,
 * so every CI run on a new kind of CPU is a cross-machine check.
 *
 *   npm run golden:check     recompute and compare (exit 1 on any difference)
 *   npm run golden:update    rewrite the file — only when the canonical definition itself changes
 *                            (a consensus change: say so in the commit), never to make a test pass
 *
 * Everything is seeded (scripts/models/prng.ts, random-graphs.ts): the same seeds give the same
 * model bytes and inputs on every machine; each case records the SHA-256 of its model bytes, so a
 * change to the generator shows up as "model bytes differ", not as a wrong output.
 * Outputs are recorded as the SHA-256 of their little-endian bytes, with every float32 NaN written
 * as 0x7fc00000 first (which NaN an operation returns is not specified; only NaN-ness is), plus
 * the first elements in hex for reading.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { compileModel, type CompileOptions, type Data } from '../precompiles/canonical/index.ts'
import { ALLOWED_OPS, analyzeModel, ModelValidationError } from '../precompiles/onnx/analyze.ts'
import type { ElementType } from '../precompiles/onnx/tensors.ts'
import { createPrng, type Prng } from './models/prng.ts'
import { randomOpModel } from './models/random-graphs.ts'

export const GOLDEN_FILE = join(__dirname, '..', 'test', 'precompiles', 'golden', 'canonical-vectors.json')

/** Random models per operator, and inputs per model. */
const MODELS_PER_OP = 6
const INPUTS_PER_MODEL = 3
const EXAMPLES = ['credit-risk.onnx', 'iris-mlp.onnx', 'iris-mlp-int8.onnx']

export interface GoldenCase {
  name: string
  /** SHA-256 of the model bytes (hex). */
  model: string
  /** Refused by the analyzer: its reason (the verdict is consensus data too). */
  refused?: string
  /** Per input: SHA-256 of the output bytes, and the first output elements as hex. */
  outputs?: { digest: string; head: string }[]
}

export interface GoldenFile {
  note: string
  cases: GoldenCase[]
}

interface Source {
  name: string
  bytes: Uint8Array
  seed: number
}

/** Every model the vectors cover, in a fixed order. */
export function goldenSources(): Source[] {
  const out: Source[] = EXAMPLES.map((file, i) => ({ name: `example ${file}`, bytes: new Uint8Array(readFileSync(join(__dirname, '..', 'precompiles', 'models', file))), seed: 100 + i }))
  ALLOWED_OPS.forEach((op, k) => {
    for (let i = 0; i < MODELS_PER_OP; i++) {
      const seed = 7_000_000 + k * 100 + i
      const m = randomOpModel(op, createPrng(seed), { big: false, maxElements: 4096 })
      out.push({ name: `${op} #${i}: ${m.description}`, bytes: m.bytes, seed })
    }
  })
  return out
}

/** Seeded inputs of a type and length: the first all zeros, the others random with extremes (floats: ±0, subnormals, large, halves). */
export function goldenInputs(seed: number, type: ElementType, length: number, count = INPUTS_PER_MODEL): Data[] {
  const r = createPrng(seed)
  const floats = [0, -0, 1e-40, -1e-45, 65504, -3e5, 0.5, -2.5, 1, -1]
  return Array.from({ length: count }, (_, k) => {
    const value = (i: number) => (k === 0 ? 0 : r.next() < 0.2 ? floats[i % floats.length] : (r.next() * 2 - 1) * 8)
    switch (type) {
      case 'float32':
        return Float32Array.from({ length }, (_, i) => value(i))
      case 'int8':
        return Int8Array.from({ length }, () => (k === 0 ? 0 : randomInt(r, -128, 127)))
      case 'uint8':
        return Uint8Array.from({ length }, () => (k === 0 ? 0 : randomInt(r, 0, 255)))
      case 'int32':
        return Int32Array.from({ length }, () => (k === 0 ? 0 : randomInt(r, -100_000, 100_000)))
      case 'int64':
        return BigInt64Array.from({ length }, () => (k === 0 ? 0n : BigInt(randomInt(r, -100_000, 100_000))))
    }
  })
}

function randomInt(r: Prng, lo: number, hi: number): number {
  return lo + Math.floor(r.next() * (hi - lo + 1))
}

/** The output's bytes with every float32 NaN canonicalized to 0x7fc00000. */
function canonicalBytes(out: Data): Uint8Array {
  const bytes = new Uint8Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength))
  if (out instanceof Float32Array) {
    const words = new Uint32Array(bytes.buffer)
    for (let i = 0; i < out.length; i++) if (out[i] !== out[i]) words[i] = 0x7fc00000
  }
  return bytes
}

/** Computes the case for one source on this machine. */
export function computeCase(source: Source, options: CompileOptions = {}): GoldenCase {
  const model = bytesToHex(sha256(source.bytes))
  let info
  try {
    info = analyzeModel(source.bytes)
  } catch (err) {
    if (err instanceof ModelValidationError) return { name: source.name, model, refused: err.reason }
    throw err
  }
  const compiled = compileModel(source.bytes, options)
  const outputs = goldenInputs(source.seed, info.input.type, info.input.length).map((input) => {
    const bytes = canonicalBytes(compiled.run(input))
    return { digest: bytesToHex(sha256(bytes)), head: bytesToHex(bytes.subarray(0, 32)) }
  })
  return { name: source.name, model, outputs }
}

function main(): void {
  const write = process.argv.includes('--write')
  const cases = goldenSources().map((s) => computeCase(s))
  if (write) {
    const file: GoldenFile = { note: 'generated by scripts/golden-vectors.ts (npm run golden:update); see its doc comment before changing', cases }
    writeFileSync(GOLDEN_FILE, JSON.stringify(file, null, 1) + '\n')
    console.log(`wrote ${cases.length} cases (${cases.filter((c) => c.refused === undefined).length} run, ${cases.filter((c) => c.refused !== undefined).length} refused) to ${GOLDEN_FILE}`)
    return
  }
  const committed = (JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as GoldenFile).cases
  let differ = 0
  cases.forEach((c, i) => {
    if (JSON.stringify(c) !== JSON.stringify(committed[i])) {
      differ++
      console.log(`differs: ${c.name}`)
    }
  })
  if (cases.length !== committed.length) differ++
  console.log(differ === 0 ? `all ${cases.length} cases match` : `${differ} case(s) differ`)
  process.exitCode = differ === 0 ? 0 : 1
}

if (require.main === module) main()
