/**
 * A bounded cache of onnxruntime-node inference sessions, one per model, created from the
 * model's bytes with fixed, deterministic options.
 *
 * ## Determinism options (`deterministicSessionOptions()`)
 * - `executionProviders: ['cpu']`: CPU kernels only, never a GPU or other accelerator.
 * - `intraOpNumThreads: 1`, `interOpNumThreads: 1`, `executionMode: 'sequential'`: no thread
 *   pool, so reductions (MatMul, Softmax sums, …) always add in the same order.
 * - `graphOptimizationLevel: 'disabled'`: the graph runs node by node exactly as registered.
 *   'basic' would constant-fold and fuse (e.g. Conv+BatchNorm, Conv+Add, MatMul+Add → Gemm),
 *   which changes float rounding and whose rule set changes between onnxruntime releases;
 *   with 'disabled', the result depends only on the graph and the kernels, and the static gas
 *   cost (computed from the graph as written) describes what actually runs. The price, measured
 *   here: the 64→256→256→10 float MLP runs in about 16.4 µs instead of 15 µs with 'basic'
 *   (probably the MatMul+Add → Gemm fusion); a 4-input logistic model shows no difference (about 10 µs).
 *   Both levels gave bit-identical outputs on this machine.
 * - `enableCpuMemArena: false`: released sessions give their memory back (the arena would keep
 *   its high-water mark for the process lifetime); does not affect results.
 * - `logSeverityLevel: 3`: errors only.
 * What remains machine-dependent: float kernels may use different SIMD code paths on different
 * CPUs (AVX2 vs AVX-512 vs NEON), which can change the last bits of float32 results. Integer
 * models (MatMulInteger, ConvInteger, QLinear*) compute exactly and are reproducible anywhere.
 *
 * ## The cache
 * - Keyed by model id (a string, compared as given: use lowercase 0x-hex).
 * - Bounded LRU by count (`maxSessions`, default 64) and by total model bytes (`maxBytes`,
 *   default 256 MiB). Inserting a model evicts least recently used models until both bounds
 *   hold; the model just inserted is never evicted by its own insertion (so a model larger than
 *   `maxBytes` is cached alone). The serialized model size stands in for a session's memory
 *   (weights dominate for these models; activations of one run come on top).
 * - Sessions evicted while a `run()` uses them stay alive until it settles, so the bounds can be
 *   exceeded by the sessions of runs in flight.
 * - Model bytes come from a synchronous loader called only on a miss; `undefined` means the
 *   model is unknown (`ModelNotFoundError`).
 * - Concurrent requests for a model share one creation promise. A creation that fails is
 *   dropped from the cache (the next request tries again) and every waiter gets the error.
 * - Evicted sessions are released (`session.release()`) once no `run()` is using them; `close()`
 *   releases everything and waits for the releases. A session returned by `get()` is not leased:
 *   it may be released when it is evicted, so use `run()` (or `withSession()`) to run models.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node'
import type { TensorData, TensorType } from './tensor-codec.ts'

/**
 * A fresh copy of the deterministic session options (documented above). A function, not a
 * frozen constant: onnxruntime-node wraps the options object in a Proxy, which fails on frozen
 * properties.
 */
export function deterministicSessionOptions(): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'disabled',
    enableCpuMemArena: false,
    logSeverityLevel: 3,
  }
}

/** The loader returned no bytes for the model id. */
export class ModelNotFoundError extends Error {
  constructor(readonly modelId: string) {
    super(`unknown model ${modelId}`)
    this.name = 'ModelNotFoundError'
  }
}

/** One end of a model: graph name, element type and fixed shape. */
export interface TensorSignatureLike {
  readonly name: string
  readonly type: TensorType
  readonly shape: readonly number[]
}

/**
 * What `run()` needs to know about a model: its single input and output. The analyzer's
 * `ModelInfo` (precompiles/onnx/analyze.ts) has this shape; `signatureOf(session)` reads it from a
 * session.
 */
export interface ModelSignature {
  readonly input: TensorSignatureLike
  readonly output: TensorSignatureLike
}

export interface SessionCacheStats {
  /** Lookups that found the model cached (ready or being created). */
  hits: number
  /** Lookups that did not; each one either starts a creation or throws ModelNotFoundError. */
  misses: number
  /** Sessions created successfully, and creations that failed. */
  creations: number
  creationFailures: number
  /** Models dropped to respect maxSessions / maxBytes (not counting delete() and close()). */
  evictions: number
  releases: number
  runs: number
  /** Current number of cached models and the sum of their byte sizes. */
  sessions: number
  bytes: number
}

export interface SessionCacheOptions {
  maxSessions?: number
  maxBytes?: number
  /** Session factory; defaults to `InferenceSession.create(bytes, deterministicSessionOptions())`. */
  createSession?: (bytes: Uint8Array) => Promise<InferenceSession>
}

interface Entry {
  readonly modelId: string
  readonly size: number
  readonly promise: Promise<InferenceSession>
  session?: InferenceSession
  /** run()/withSession() calls currently holding the session. */
  users: number
  /** Removed from the cache (evicted, failed, or closed); release once users = 0. */
  retired: boolean
  released: boolean
  /** Settles when the session has been released or its creation failed. */
  readonly done: Promise<void>
  settle: () => void
}

export const DEFAULT_MAX_SESSIONS = 64
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024

export class SessionCache {
  readonly maxSessions: number
  readonly maxBytes: number
  private readonly create: (bytes: Uint8Array) => Promise<InferenceSession>
  /** Map iteration order is the LRU order: first = least recently used. */
  private readonly entries = new Map<string, Entry>()
  /** Entries whose session exists or may still come into existence and is not yet released. */
  private readonly unreleased = new Set<Entry>()
  private totalBytes = 0
  private closed = false
  private readonly counters = { hits: 0, misses: 0, creations: 0, creationFailures: 0, evictions: 0, releases: 0, runs: 0 }

  constructor(options: SessionCacheOptions = {}) {
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
    if (!(this.maxSessions >= 1)) throw new RangeError('maxSessions must be at least 1')
    if (!(this.maxBytes >= 0)) throw new RangeError('maxBytes must be non-negative')
    this.create = options.createSession ?? ((bytes) => InferenceSession.create(bytes, deterministicSessionOptions()))
  }

  /**
   * The session for `modelId`, created from `load()` on a miss. The session is not leased (see
   * the module comment): prefer `run()`.
   */
  get(modelId: string, load: () => Uint8Array | undefined): Promise<InferenceSession> {
    try {
      return this.lookup(modelId, load).promise
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Runs `fn` with the model's session, which is not released until `fn` settles. */
  async withSession<T>(modelId: string, load: () => Uint8Array | undefined, fn: (session: InferenceSession) => Promise<T>): Promise<T> {
    const entry = this.lookup(modelId, load)
    entry.users++
    try {
      return await fn(await entry.promise)
    } finally {
      entry.users--
      this.maybeRelease(entry)
    }
  }

  /**
   * Runs the model on one input tensor (`data`, elements in row-major order, shaped
   * `signature.input.shape`) and returns the elements of the output tensor `signature.output.name`.
   * Throws if onnxruntime rejects the input or if the output's type or shape differs from
   * `signature.output` (a model whose analysis is wrong: a node fault, not a user error).
   */
  run(modelId: string, load: () => Uint8Array | undefined, signature: ModelSignature, data: TensorData): Promise<TensorData> {
    return this.withSession(modelId, load, async (session) => {
      const { input, output } = signature
      const results = await session.run({ [input.name]: new Tensor(input.type, data, input.shape) }, [output.name])
      this.counters.runs++
      const out = results[output.name]
      if (out === undefined) throw new Error(`model ${modelId} produced no output ${output.name}`)
      if (out.type !== output.type || !sameShape(out.dims, output.shape)) {
        throw new Error(`model ${modelId} output is ${out.type}[${out.dims.join(',')}], expected ${output.type}[${output.shape.join(',')}]`)
      }
      return out.data as TensorData
    })
  }

  /** Whether the model is cached (ready or being created). Does not touch the LRU order. */
  has(modelId: string): boolean {
    return this.entries.has(modelId)
  }

  /** Cached model ids, least recently used first. */
  keys(): string[] {
    return [...this.entries.keys()]
  }

  /** Drops a model from the cache (released once idle). Returns whether it was cached. */
  delete(modelId: string): boolean {
    const entry = this.entries.get(modelId)
    if (entry === undefined) return false
    this.retire(entry)
    return true
  }

  /**
   * Releases every session and waits until all are released, including sessions still being
   * created or used by a run in flight (released when that run settles). The cache cannot be
   * used afterwards.
   */
  async close(): Promise<void> {
    this.closed = true
    for (const entry of [...this.entries.values()]) this.retire(entry)
    while (this.unreleased.size > 0) await Promise.all([...this.unreleased].map((e) => e.done))
  }

  stats(): SessionCacheStats {
    return { ...this.counters, sessions: this.entries.size, bytes: this.totalBytes }
  }

  private lookup(modelId: string, load: () => Uint8Array | undefined): Entry {
    if (this.closed) throw new Error('SessionCache is closed')
    const cached = this.entries.get(modelId)
    if (cached !== undefined) {
      this.counters.hits++
      this.entries.delete(modelId) // move to the most recently used end
      this.entries.set(modelId, cached)
      return cached
    }
    this.counters.misses++
    const bytes = load()
    if (bytes === undefined) throw new ModelNotFoundError(modelId)
    let promise: Promise<InferenceSession>
    try {
      promise = this.create(bytes)
    } catch (err) {
      promise = Promise.reject(err)
    }
    let settle!: () => void
    const done = new Promise<void>((resolve) => (settle = resolve))
    const entry: Entry = { modelId, size: bytes.byteLength, promise, users: 0, retired: false, released: false, done, settle }
    this.unreleased.add(entry)
    promise.then(
      (session) => {
        this.counters.creations++
        entry.session = session
        this.maybeRelease(entry)
      },
      () => {
        this.counters.creationFailures++
        this.unreleased.delete(entry)
        entry.settle()
        if (this.entries.get(modelId) === entry) this.retire(entry)
      },
    )
    this.entries.set(modelId, entry)
    this.totalBytes += entry.size
    this.evictFor(entry)
    return entry
  }

  private evictFor(keep: Entry): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxSessions && this.totalBytes <= this.maxBytes) return
      if (entry !== keep) this.retire(entry, true)
    }
  }

  private retire(entry: Entry, countEviction = false): void {
    if (entry.retired) return
    entry.retired = true
    if (this.entries.get(entry.modelId) === entry) {
      this.entries.delete(entry.modelId)
      this.totalBytes -= entry.size
    }
    if (countEviction) this.counters.evictions++
    this.maybeRelease(entry)
  }

  private maybeRelease(entry: Entry): void {
    if (!entry.retired || entry.released || entry.users > 0 || entry.session === undefined) return
    entry.released = true
    const finish = () => {
      this.counters.releases++
      this.unreleased.delete(entry)
      entry.settle()
    }
    entry.session.release().then(finish, finish)
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

/**
 * The signature of a session's model from onnxruntime's metadata: its only input and output
 * (symbolic dimensions become 1). Throws for models with several inputs or outputs or non-tensor
 * ones. For tools and tests; the node uses the analyzer's signature.
 */
export function signatureOf(session: InferenceSession): ModelSignature {
  const end = (list: readonly InferenceSession.ValueMetadata[], what: string): TensorSignatureLike => {
    if (list.length !== 1) throw new Error(`model has ${list.length} ${what}s; one expected`)
    const m = list[0]
    if (!m.isTensor) throw new Error(`model ${what} ${m.name} is not a tensor`)
    return { name: m.name, type: m.type as TensorType, shape: m.shape.map((d) => (typeof d === 'number' ? d : 1)) }
  }
  return { input: end(session.inputMetadata, 'input'), output: end(session.outputMetadata, 'output') }
}
