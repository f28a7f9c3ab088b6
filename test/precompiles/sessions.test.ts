import type { InferenceSession } from 'onnxruntime-node'
import { onnx } from 'onnx-proto'
import { describe, expect, it } from 'vitest'
import { type ModelSignature, ModelNotFoundError, SessionCache, deterministicSessionOptions, signatureOf } from '../../precompiles/sessions.ts'

// ---------------------------------------------------------------------------------------------
// A fake session factory: fast, and lets a test decide when creation finishes.

interface FakeSession {
  id: string
  released: boolean
  inputNames: string[]
  outputNames: string[]
  release(): Promise<void>
}

function fakeFactory() {
  const created: FakeSession[] = []
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  let manual = false
  let fail = false
  const create = (bytes: Uint8Array): Promise<InferenceSession> => {
    const session: FakeSession = {
      id: Buffer.from(bytes).toString('hex'),
      released: false,
      inputNames: ['x'],
      outputNames: ['y'],
      async release() {
        if (session.released) throw new Error('Session already disposed.')
        session.released = true
      },
    }
    if (fail) return Promise.reject(new Error('Failed to load model because protobuf parsing failed.'))
    created.push(session)
    if (!manual) return Promise.resolve(session as unknown as InferenceSession)
    return new Promise((resolve, reject) => pending.push({ resolve: () => resolve(session as unknown as InferenceSession), reject }))
  }
  return {
    create,
    created,
    pending,
    manual: (on: boolean) => void (manual = on),
    failing: (on: boolean) => void (fail = on),
  }
}

/** Model "bytes" of a given size whose first byte names the model. */
function model(tag: number, size = 1): () => Uint8Array {
  return () => {
    const b = new Uint8Array(size)
    b[0] = tag
    return b
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('SessionCache (LRU, fake sessions)', () => {
  it('evicts the least recently used model beyond maxSessions and releases it', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ maxSessions: 2, createSession: f.create })
    const a = await cache.get('a', model(1))
    await cache.get('b', model(2))
    await cache.get('a', model(1)) // a is now the most recently used
    await cache.get('c', model(3)) // evicts b
    await tick()
    expect(cache.keys()).toEqual(['a', 'c'])
    expect(f.created.map((s) => [s.id, s.released])).toEqual([
      ['01', false],
      ['02', true],
      ['03', false],
    ])
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, creations: 3, evictions: 1, releases: 1, sessions: 2, bytes: 2 })
    // a is still the same session (no re-creation)
    expect(await cache.get('a', model(1))).toBe(a)
    // b comes back as a new session
    await cache.get('b', model(2))
    expect(f.created).toHaveLength(4)
    expect(cache.keys()).toEqual(['a', 'b'])
    await cache.close()
  })

  it('evicts by total model bytes', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ maxBytes: 100, createSession: f.create })
    await cache.get('a', model(1, 40))
    await cache.get('b', model(2, 40))
    expect(cache.stats().bytes).toBe(80)
    await cache.get('c', model(3, 40)) // 120 > 100: evicts a
    expect(cache.keys()).toEqual(['b', 'c'])
    expect(cache.stats().bytes).toBe(80)
    await cache.get('d', model(4, 90)) // evicts b and c
    expect(cache.keys()).toEqual(['d'])
    expect(cache.stats().bytes).toBe(90)
    // a model larger than maxBytes is cached alone
    await cache.get('e', model(5, 150))
    expect(cache.keys()).toEqual(['e'])
    expect(cache.stats()).toMatchObject({ bytes: 150, evictions: 4 })
    await tick()
    expect(f.created.filter((s) => s.released).map((s) => s.id.slice(0, 2))).toEqual(['01', '02', '03', '04'])
    await cache.close()
  })

  it('shares one creation promise between concurrent requests for a model', async () => {
    const f = fakeFactory()
    f.manual(true)
    const cache = new SessionCache({ createSession: f.create })
    let loads = 0
    const load = () => {
      loads++
      return new Uint8Array([9])
    }
    const p1 = cache.get('m', load)
    const p2 = cache.get('m', load)
    const p3 = cache.withSession('m', load, async (s) => s)
    expect(p2).toBe(p1)
    expect(f.created).toHaveLength(1)
    expect(loads).toBe(1)
    expect(cache.has('m')).toBe(true)
    f.pending[0].resolve()
    const [s1, s2, s3] = await Promise.all([p1, p2, p3])
    expect(s2).toBe(s1)
    expect(s3).toBe(s1)
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1, creations: 1 })
    await cache.close()
  })

  it('drops a failed creation so every waiter sees the error and the next request retries', async () => {
    const f = fakeFactory()
    f.failing(true)
    const cache = new SessionCache({ createSession: f.create })
    const results = await Promise.allSettled([cache.get('bad', model(1)), cache.get('bad', model(1))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/protobuf parsing failed/)
    expect(cache.has('bad')).toBe(false)
    expect(cache.stats()).toMatchObject({ misses: 1, hits: 1, creations: 0, creationFailures: 1, sessions: 0, bytes: 0, evictions: 0 })
    f.failing(false)
    await cache.get('bad', model(1))
    expect(cache.stats()).toMatchObject({ misses: 2, creations: 1 })
    await cache.close()
  })

  it('throws ModelNotFoundError when the loader has no bytes, and calls the loader only on a miss', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ createSession: f.create })
    await expect(cache.get('0xabc', () => undefined)).rejects.toBeInstanceOf(ModelNotFoundError)
    await expect(cache.run('0xabc', () => undefined, AFFINE, new Float32Array(2))).rejects.toThrow('unknown model 0xabc')
    expect(cache.has('0xabc')).toBe(false)
    await cache.get('m', model(1))
    await cache.get('m', () => {
      throw new Error('loader called on a hit')
    })
    await cache.close()
  })

  it('defers releasing an evicted session until the run using it finishes', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ maxSessions: 1, createSession: f.create })
    let finishRun!: () => void
    const running = cache.withSession('a', model(1), (s) => new Promise<InferenceSession>((resolve) => (finishRun = () => resolve(s))))
    await tick()
    await cache.get('b', model(2)) // evicts a while it is in use
    await tick()
    expect(cache.keys()).toEqual(['b'])
    expect(f.created[0].released).toBe(false)
    finishRun()
    await running
    await tick()
    expect(f.created[0].released).toBe(true)
    expect(cache.stats()).toMatchObject({ evictions: 1, releases: 1 })
    await cache.close()
  })

  it('close() releases everything, including sessions still being created, and refuses new work', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ createSession: f.create })
    await cache.get('a', model(1))
    await cache.get('b', model(2))
    f.manual(true)
    const pending = cache.get('c', model(3))
    let closed = false
    const closing = cache.close().then(() => (closed = true))
    await tick()
    expect(closed).toBe(false) // waits for c's creation
    f.pending[0].resolve()
    await pending
    await closing
    expect(f.created.map((s) => s.released)).toEqual([true, true, true])
    expect(cache.stats()).toMatchObject({ sessions: 0, bytes: 0, releases: 3, evictions: 0 })
    await expect(cache.get('a', model(1))).rejects.toThrow('SessionCache is closed')
  })

  it('delete() drops one model and releases it', async () => {
    const f = fakeFactory()
    const cache = new SessionCache({ createSession: f.create })
    await cache.get('a', model(1))
    expect(cache.delete('a')).toBe(true)
    expect(cache.delete('a')).toBe(false)
    await tick()
    expect(f.created[0].released).toBe(true)
    await cache.close()
  })
})

// ---------------------------------------------------------------------------------------------
// onnxruntime-node

/** y[1,3] = x[1,2] · W + b with small exact weights. */
function affineModel(): Uint8Array {
  const DT = onnx.TensorProto.DataType
  const f32 = (a: number[]) => new Uint8Array(Float32Array.from(a).buffer)
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } })
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'affine',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'b'], output: ['y'] },
      ],
      initializer: [
        { name: 'W', dataType: DT.FLOAT, dims: [2, 3], rawData: f32([1, 2, 3, 4, 5, 6]) },
        { name: 'b', dataType: DT.FLOAT, dims: [3], rawData: f32([0.5, -0.5, 0.25]) },
      ],
      input: [vi('x', [1, 2])],
      output: [vi('y', [1, 3])],
    },
  }).finish()
}

const AFFINE: ModelSignature = { input: { name: 'x', type: 'float32', shape: [1, 2] }, output: { name: 'y', type: 'float32', shape: [1, 3] } }

describe('SessionCache with onnxruntime-node', () => {
  it('uses one thread, sequential execution, CPU only and a fixed optimization level', () => {
    expect(deterministicSessionOptions()).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'disabled',
    })
  })

  it('reads the signature from a session', async () => {
    const cache = new SessionCache()
    expect(signatureOf(await cache.get('affine', affineModel))).toEqual(AFFINE)
    await cache.close()
  })

  it('runs a model, reuses the session, and releases it on close', async () => {
    const bytes = affineModel()
    const cache = new SessionCache()
    const out = await cache.run('affine', () => bytes, AFFINE, new Float32Array([1, 2]))
    expect(out).toBeInstanceOf(Float32Array)
    expect([...out]).toEqual([9.5, 11.5, 15.25]) // [1·1+2·4, 1·2+2·5, 1·3+2·6] + b
    const again = await cache.run('affine', () => undefined, AFFINE, new Float32Array([1, 2]))
    expect([...again]).toEqual([9.5, 11.5, 15.25])
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, creations: 1, runs: 2, sessions: 1, bytes: bytes.length })

    const session = await cache.get('affine', () => bytes)
    await cache.close()
    expect(cache.stats().releases).toBe(1)
    await expect(session.release()).rejects.toThrow(/disposed/) // already released
  })

  it('reports invalid model bytes as a failed creation', async () => {
    const cache = new SessionCache()
    await expect(cache.run('junk', () => new Uint8Array([1, 2, 3]), AFFINE, new Float32Array(2))).rejects.toThrow(/protobuf parsing failed/)
    expect(cache.stats()).toMatchObject({ creationFailures: 1, sessions: 0 })
    await cache.close()
  })

  it('reports a wrong input shape from onnxruntime', async () => {
    const cache = new SessionCache()
    const wrong = { ...AFFINE, input: { ...AFFINE.input, shape: [1, 3] } }
    await expect(cache.run('affine', affineModel, wrong, new Float32Array(3))).rejects.toThrow(/invalid dimensions/i)
    await cache.close()
  })

  it('refuses an output whose type or shape differs from the signature', async () => {
    const cache = new SessionCache()
    const wrongType = { ...AFFINE, output: { ...AFFINE.output, type: 'int32' as const } }
    await expect(cache.run('affine', affineModel, wrongType, new Float32Array(2))).rejects.toThrow('model affine output is float32[1,3], expected int32[1,3]')
    const wrongShape = { ...AFFINE, output: { ...AFFINE.output, shape: [3] } }
    await expect(cache.run('affine', affineModel, wrongShape, new Float32Array(2))).rejects.toThrow(/expected float32\[3\]/)
    await cache.close()
  })
})
