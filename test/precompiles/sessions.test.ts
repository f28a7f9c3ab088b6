/**
 * The two model caches' contracts: the compiled-plan cache the inference precompile runs
 * (precompiles/canonical/cache.ts: LRU by count and bytes, loader called only on a miss, output
 * checked against the signature) and the onnxruntime options the benchmarks and tests use.
 */
import { describe, expect, it } from 'vitest'
import { ModelCache, ModelNotFoundError } from '../../precompiles/canonical/index.ts'
import { deterministicSessionOptions } from '../../precompiles/sessions.ts'
import { buildModel } from '../../scripts/models/index.ts'

/** y[1,3] = x[1,2] · W + b with small exact weights; `bias` tells models apart. */
function affineModel(bias = 0.5): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [{ name: 'x', type: 'float32', shape: [1, 2] }],
    outputs: [{ name: 'y', type: 'float32', shape: [1, 3] }],
    initializers: [
      { name: 'W', type: 'float32', shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
      { name: 'b', type: 'float32', shape: [3], values: [bias, -0.5, 0.25] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['y'] },
    ],
  })
}

const AFFINE = { input: { type: 'float32' as const, shape: [1, 2] }, output: { type: 'float32' as const, shape: [1, 3], length: 3 } }

/** A loader that counts its calls. */
function loader(bytes: Uint8Array | undefined) {
  const calls = { n: 0 }
  return { calls, load: () => (calls.n++, bytes) }
}

describe('ModelCache (compiled plans)', () => {
  it('runs a model, compiles it once, and checks the output against the signature', () => {
    const cache = new ModelCache()
    const l = loader(affineModel())
    const out = cache.run('affine', l.load, AFFINE, new Float32Array([1, 2]))
    expect([...out]).toEqual([9.5, 11.5, 15.25]) // [1·1+2·4, 1·2+2·5, 1·3+2·6] + b
    expect([...cache.run('affine', l.load, AFFINE, new Float32Array([1, 2]))]).toEqual([9.5, 11.5, 15.25])
    expect(l.calls.n).toBe(1) // the loader is called on a miss only
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, compilations: 1, runs: 2, models: 1 })
    const wrongType = { ...AFFINE, output: { ...AFFINE.output, type: 'int32' as const } }
    expect(() => cache.run('affine', l.load, wrongType, new Float32Array([1, 2]))).toThrow('model affine output is float32[3], expected int32[3]')
  })

  it('throws ModelNotFoundError when the loader has no bytes, and caches nothing for a model that does not compile', () => {
    const cache = new ModelCache()
    expect(() => cache.get('missing', () => undefined)).toThrow(ModelNotFoundError)
    expect(() => cache.get('junk', () => new Uint8Array([1, 2, 3]))).toThrow()
    expect(cache.stats()).toMatchObject({ misses: 2, compilations: 0, models: 0 })
  })

  it('evicts the least recently used model beyond maxModels', () => {
    const cache = new ModelCache({ maxModels: 2 })
    const [a, b, c] = [loader(affineModel(1)), loader(affineModel(2)), loader(affineModel(3))]
    cache.get('a', a.load)
    cache.get('b', b.load)
    cache.get('a', a.load) // a is now the most recently used
    cache.get('c', c.load) // evicts b
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true])
    expect(cache.stats()).toMatchObject({ evictions: 1, models: 2 })
    cache.get('b', b.load)
    expect(b.calls.n).toBe(2) // compiled again after its eviction
  })

  it('evicts by total model bytes, never the model just inserted', () => {
    const size = affineModel().length
    const cache = new ModelCache({ maxBytes: size + 1 })
    cache.get('a', () => affineModel(1))
    cache.get('b', () => affineModel(2))
    expect([cache.has('a'), cache.has('b')]).toEqual([false, true])
    const tiny = new ModelCache({ maxBytes: 1 }) // a model over the cap is still cached, alone
    tiny.get('a', () => affineModel(1))
    expect(tiny.has('a')).toBe(true)
    expect(tiny.stats().bytes).toBe(size)
  })
})

describe('onnxruntime session options (benchmarks and tests)', () => {
  it('use one thread, sequential execution, CPU only and a fixed optimization level', () => {
    expect(deterministicSessionOptions()).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'disabled',
    })
    expect(deterministicSessionOptions()).not.toBe(deterministicSessionOptions()) // a fresh object each time
  })
})
