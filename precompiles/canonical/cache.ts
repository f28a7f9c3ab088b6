/**
 * A bounded cache of compiled models (plan.ts), one per model id, for the inference precompile.
 *
 * - Keyed by model id (lowercase 0x-hex); bounded LRU by count (`maxModels`, default 64) and by
 *   the total bytes of the cached models' serialized forms (`maxBytes`, default 256 MiB; a plan
 *   holds its initializers decoded, so its memory is about its model's size, up to 2× for int8
 *   weights kept as typed arrays). The model just inserted is never evicted by its own insertion.
 * - Model bytes come from a synchronous loader called only on a miss; `undefined` means the
 *   model is unknown (`ModelNotFoundError`). A compilation that throws caches nothing.
 * - Everything is synchronous: a call compiles (on a miss) and runs on the calling thread, with
 *   the work bounded by the gas the call paid (docs/CANONICAL_INFERENCE.md, "Cost").
 */
import type { TensorData, TensorType } from '../tensor-codec.ts'
import { compileModel, type CompiledModel } from './plan.ts'

export class ModelNotFoundError extends Error {
  constructor(readonly modelId: string) {
    super(`unknown model ${modelId}`)
    this.name = 'ModelNotFoundError'
  }
}

/** What `run()` checks the output against: the analyzer's signature (ModelInfo has this shape). */
export interface ModelSignature {
  readonly input: { readonly type: TensorType; readonly shape: readonly number[] }
  readonly output: { readonly type: TensorType; readonly shape: readonly number[]; readonly length: number }
}

export interface ModelCacheStats {
  hits: number
  misses: number
  compilations: number
  evictions: number
  runs: number
  /** Models cached now, and the sum of their byte sizes. */
  models: number
  bytes: number
}

export interface ModelCacheOptions {
  maxModels?: number
  maxBytes?: number
}

export const DEFAULT_MAX_MODELS = 64
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024

export class ModelCache {
  readonly maxModels: number
  readonly maxBytes: number
  /** Map order is the LRU order: first = least recently used. */
  private readonly entries = new Map<string, { model: CompiledModel; size: number }>()
  private totalBytes = 0
  private readonly counters = { hits: 0, misses: 0, compilations: 0, evictions: 0, runs: 0 }

  constructor(options: ModelCacheOptions = {}) {
    this.maxModels = options.maxModels ?? DEFAULT_MAX_MODELS
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
    if (!(this.maxModels >= 1)) throw new RangeError('maxModels must be at least 1')
    if (!(this.maxBytes >= 0)) throw new RangeError('maxBytes must be non-negative')
  }

  /** The compiled model, compiled from `load()` on a miss. */
  get(modelId: string, load: () => Uint8Array | undefined): CompiledModel {
    const cached = this.entries.get(modelId)
    if (cached !== undefined) {
      this.counters.hits++
      this.entries.delete(modelId) // to the most recently used end
      this.entries.set(modelId, cached)
      return cached.model
    }
    this.counters.misses++
    const bytes = load()
    if (bytes === undefined) throw new ModelNotFoundError(modelId)
    const model = compileModel(bytes)
    this.counters.compilations++
    this.entries.set(modelId, { model, size: bytes.byteLength })
    this.totalBytes += bytes.byteLength
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxModels && this.totalBytes <= this.maxBytes) break
      if (id === modelId) continue
      this.entries.delete(id)
      this.totalBytes -= entry.size
      this.counters.evictions++
    }
    return model
  }

  /**
   * Runs the model on the input's elements (row-major, shaped `signature.input.shape`) and returns
   * the output's. Throws if the output's type or length differs from `signature.output` (an
   * analysis that disagrees with the plan: a node fault, not a user error).
   */
  run(modelId: string, load: () => Uint8Array | undefined, signature: ModelSignature, data: TensorData): TensorData {
    const model = this.get(modelId, load)
    const out = model.run(data)
    this.counters.runs++
    if (model.output.type !== signature.output.type || out.length !== signature.output.length) {
      throw new Error(`model ${modelId} output is ${model.output.type}[${out.length}], expected ${signature.output.type}[${signature.output.length}]`)
    }
    return out
  }

  has(modelId: string): boolean {
    return this.entries.has(modelId)
  }

  delete(modelId: string): boolean {
    const entry = this.entries.get(modelId)
    if (entry === undefined) return false
    this.entries.delete(modelId)
    this.totalBytes -= entry.size
    return true
  }

  stats(): ModelCacheStats {
    return { ...this.counters, models: this.entries.size, bytes: this.totalBytes }
  }
}
