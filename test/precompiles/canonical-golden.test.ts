/**
 * Golden vectors (scripts/golden-vectors.ts): the canonical output bits of the example models and
 * of seeded random models of every allowlisted operator, committed once. Recomputed here on
 * whatever machine runs the suite, so each CI run on another CPU (Intel, AMD, ARM) or engine is a
 * cross-machine check of docs/CANONICAL_INFERENCE.md. A failure here means this machine computes
 * other bits than the machine that produced the file: a consensus bug, never a reason to
 * regenerate the file.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ALLOWED_OPS } from '../../precompiles/onnx/analyze.ts'
import { computeCase, GOLDEN_FILE, goldenSources, type GoldenFile } from '../../scripts/golden-vectors.ts'

const committed = (JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as GoldenFile).cases
const sources = goldenSources()

describe('canonical inference: golden vectors', () => {
  it('cover the example models and every allowlisted operator, most of them run', () => {
    expect(sources.map((s) => s.name)).toEqual(committed.map((c) => c.name))
    for (const op of ALLOWED_OPS) expect(committed.some((c) => c.name.startsWith(`${op} #`) && c.outputs !== undefined), op).toBe(true)
    expect(committed.filter((c) => c.outputs !== undefined).length).toBeGreaterThan(200)
  })

  it.each(sources.map((s, i) => [s.name, i] as const))('%s', (_name, i) => {
    const want = committed[i]
    const got = computeCase(sources[i])
    // a different model digest is a generator change (scripts/models), not an inference difference
    expect(got.model, 'the model bytes differ: the seeded generator changed').toBe(want.model)
    expect(got).toEqual(want)
    // the JavaScript reference of the float32 products (where WebAssembly SIMD is missing) gives the same bits
    expect(computeCase(sources[i], { simd: false })).toEqual(want)
  })
})
