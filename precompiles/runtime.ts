/**
 * The node-side half of the AI precompiles: model bytes (content-addressed), their analysis (a
 * pure function of the bytes, cached) and their compiled canonical plans (cached). The precompiles call this.
 *
 * Model bytes reach disk only through a sealed block: `admit` (the analyzer precompile, run by a
 * registration) keeps the bytes in memory as *pending*; when the block builder seals a block it
 * asks `takeRegistered` for the pending models that the block's final state lists as registered
 * in ModelRegistry and writes them in the block's own sqlite transaction. Everything else is
 * dropped (`discardPending`). So an `eth_call` or `eth_estimateGas` of a registration, or a
 * registration that reverts, stores nothing: the node's disk grows only with what the chain paid for.
 *
 * A runtime used for calls (`scratch: true`) never hands pending bytes to a block: it keeps the
 * last few admitted models in a small LRU so a call can register and run a model in one go.
 */
import { Address, bigIntToBytes, bytesToBigInt, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { keccak256 } from 'viem'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { analyzeModel, ModelValidationError, type ModelInfo } from './onnx/analyze.ts'
import { ModelCache } from './canonical/cache.ts'
import { trialRun } from './trial.ts'
import { MODEL_REGISTRY } from './addresses.ts'

/** Where sealed model bytes are read, keyed by keccak256(bytes). Declared here, implemented by the node's store. */
export interface ModelBytesStore {
  getModel(id: Uint8Array): Uint8Array | undefined
}

/** The state a registration check reads (the EVM's state manager is one). */
export interface StorageReader {
  getStorage(address: Address, key: Uint8Array): Promise<Uint8Array>
}

export interface ModelRuntimeOptions {
  store: ModelBytesStore
  /** Largest model accepted at registration, in bytes. */
  maxModelBytes: number
  /** Most compiled models kept (LRU). */
  maxLoadedModels?: number
  /** A runtime for calls and estimates: pending bytes are never sealed, only kept in a small LRU. */
  scratch?: boolean
  /** Most bytes of pending models a scratch runtime keeps, in bytes (default 4 × maxModelBytes). */
  maxScratchBytes?: number
  /** Wall-time bound of a registration's trial run, in ms (a safety valve: trial.ts). */
  trialTimeoutMs?: number
}

/** Most analyses cached (a ModelInfo is a few hundred bytes; beyond this the oldest are recomputed on use). */
const MAX_CACHED_INFOS = 4096

/** Most trial verdicts remembered. */
const MAX_CACHED_TRIALS = 1024

const TRIAL_PASSED = 'passed' as const

/** Storage slot of ModelRegistry's `_models` mapping (slot 0 by contract layout; its first word holds the owner). */
const MODELS_MAPPING_SLOT = 0n

/** Storage slot of ModelRegistry's `_access` mapping (slot 3; see the storage notes in contracts/L2/ModelRegistry.sol). */
const ACCESS_MAPPING_SLOT = 3n

export class ModelRuntime {
  private readonly infos = new Map<string, ModelInfo>()
  /** Trial verdicts by model id (bounded, oldest dropped first). */
  private readonly trials = new Map<string, typeof TRIAL_PASSED | ModelValidationError>()
  /** Admitted, not yet sealed: id hex → bytes, oldest first. */
  private readonly pending = new Map<string, Uint8Array>()
  private pendingBytes = 0
  private faultListener: ((err: unknown) => void) | undefined
  /** Told of each model run by the inference precompile (the node's metrics); undefined: nothing is timed. */
  inferenceListener: ((modelId: string, seconds: number, ok: boolean) => void) | undefined
  /** Compiled canonical plans, by model id (precompiles/canonical/). */
  readonly plans: ModelCache

  constructor(private readonly opts: ModelRuntimeOptions) {
    this.plans = new ModelCache({ maxModels: opts.maxLoadedModels })
  }

  /** Validates and analyses `bytes` (a pure function of them: no trial, nothing kept). Throws ModelValidationError. */
  analyze(bytes: Uint8Array): ModelInfo {
    return analyzeModel(bytes, { maxBytes: this.opts.maxModelBytes })
  }

  /**
   * Validates and analyses `bytes` (unless `info` is their analysis already), runs the
   * registration trial (trial.ts: session creation and one run on a fixed input), and keeps them
   * as pending (in memory only); returns their id and analysis. Throws ModelValidationError.
   */
  async admit(bytes: Uint8Array, info: ModelInfo = this.analyze(bytes)): Promise<{ id: Uint8Array; info: ModelInfo }> {
    const id = hexToBytes(keccak256(bytes))
    const key = bytesToHex(id)
    const known = this.pending.has(key) || this.opts.store.getModel(id) !== undefined
    // the trial's verdict is a function of the bytes: a model this runtime holds passed it, and a
    // verdict is remembered, so eth_estimateGas's binary search does not run the model ~25 times
    const verdict = known ? TRIAL_PASSED : this.trials.get(key)
    if (verdict === undefined) {
      try {
        await trialRun(bytes, info, { timeoutMs: this.opts.trialTimeoutMs })
        this.rememberTrial(key, TRIAL_PASSED)
      } catch (err) {
        if (err instanceof ModelValidationError) this.rememberTrial(key, err)
        throw err
      }
    } else if (verdict !== TRIAL_PASSED) throw verdict
    if (!known) {
      this.pending.set(key, bytes)
      this.pendingBytes += bytes.length
      if (this.opts.scratch) this.trimScratch(key)
    }
    this.remember(key, info)
    return { id, info }
  }

  /** The analysis of a known model (sealed or pending), or undefined if this node has not seen its bytes. */
  info(id: Uint8Array, key: string = bytesToHex(id)): ModelInfo | undefined {
    const cached = this.infos.get(key)
    if (cached !== undefined) return cached
    const bytes = this.bytes(id)
    if (bytes === undefined) return undefined
    const info = analyzeModel(bytes, { maxBytes: Number.MAX_SAFE_INTEGER })
    this.remember(key, info)
    return info
  }

  bytes(id: Uint8Array): Uint8Array | undefined {
    return this.pending.get(bytesToHex(id)) ?? this.opts.store.getModel(id)
  }

  /**
   * The pending models that `state` lists as registered in ModelRegistry, to be written with the
   * block being sealed; pending bytes are then forgotten. Not for scratch runtimes.
   */
  async takeRegistered(state: StorageReader): Promise<{ id: Uint8Array; bytes: Uint8Array }[]> {
    if (this.opts.scratch) throw new Error('a scratch model runtime never seals models')
    const registered: { id: Uint8Array; bytes: Uint8Array }[] = []
    for (const [key, bytes] of this.pending) {
      const id = hexToBytes(key as `0x${string}`)
      if (await isRegistered(state, id)) registered.push({ id, bytes })
    }
    this.discardPending()
    return registered
  }

  /** Forgets every pending model (a block was abandoned, or sealed). Unsealed analyses go too. */
  discardPending(): void {
    for (const key of this.pending.keys()) this.infos.delete(key)
    this.pending.clear()
    this.pendingBytes = 0
  }

  /**
   * Who hears of a node fault inside a precompile (the model store failing, bytes missing that the
   * chain says are registered): unlike a model that fails in onnxruntime, such a failure is this
   * node's own, so the block builder must leave the transaction out rather than seal the halt.
   */
  onFault(listener: (err: unknown) => void): void {
    this.faultListener = listener
  }

  /** Calls `listener` after each model run of the inference precompile: model id (hex), seconds, whether it ran to an output. */
  onInference(listener: (modelId: string, seconds: number, ok: boolean) => void): void {
    this.inferenceListener = listener
  }

  /** Reports a node fault (see onFault). */
  fault(err: unknown): void {
    this.faultListener?.(err)
  }

  /** Kept for callers that shut runtimes down: compiled plans hold only memory, nothing to release. */
  async close(): Promise<void> {}

  private rememberTrial(key: string, verdict: typeof TRIAL_PASSED | ModelValidationError): void {
    setBounded(this.trials, key, verdict, MAX_CACHED_TRIALS)
  }

  private remember(key: string, info: ModelInfo): void {
    setBounded(this.infos, key, info, MAX_CACHED_INFOS)
  }

  private trimScratch(keep: string): void {
    const max = this.opts.maxScratchBytes ?? 4 * this.opts.maxModelBytes
    for (const [key, bytes] of this.pending) {
      if (this.pendingBytes <= max) return
      if (key === keep) continue
      this.pending.delete(key)
      this.infos.delete(key)
      this.pendingBytes -= bytes.length
    }
  }
}

/** Sets `key` in a map that keeps at most `max` entries, dropping the oldest first. */
function setBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value as string)
  map.set(key, value)
}

const registry = new Address(hexToBytes(MODEL_REGISTRY))
/** Registry storage slot of each model's first word, keccak256(modelId . 0): computed once per model. */
const registrySlots = new Map<string, Uint8Array>()
/** Bound on the slot cache (a map of 32-byte keys; cleared when full). */
const MAX_CACHED_SLOTS = 4096

/**
 * ModelRegistry's storage slot of `id`'s first word (its owner), keccak256(id ‖ 0), cached. The
 * precompile reads it itself (one await fewer per call than `isRegistered`).
 */
export function registrySlot(id: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak_256, key: string = bytesToHex(id)): Uint8Array {
  let slot = registrySlots.get(key)
  if (slot === undefined) {
    slot = keccak(concatWords(id, MODELS_MAPPING_SLOT))
    if (registrySlots.size >= MAX_CACHED_SLOTS) registrySlots.clear()
    registrySlots.set(key, slot)
  }
  return slot
}

/** Registry storage slot of each model's access word, keccak256(modelId . 3): computed once per model. */
const accessSlots = new Map<string, Uint8Array>()

/**
 * ModelRegistry's storage slot of `id`'s access word, keccak256(id ‖ 3), cached: bits 0-7 hold
 * `restricted`, bits 8-39 the allowlist's size (contracts/L2/ModelRegistry.sol storage notes).
 */
export function accessSlot(id: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak_256, key: string = bytesToHex(id)): Uint8Array {
  let slot = accessSlots.get(key)
  if (slot === undefined) {
    slot = keccak(concatWords(id, ACCESS_MAPPING_SLOT))
    if (accessSlots.size >= MAX_CACHED_SLOTS) accessSlots.clear()
    accessSlots.set(key, slot)
  }
  return slot
}

/**
 * ModelRegistry's storage slot of `caller`'s (20 bytes) entry in a model's allowlist, given the
 * slot A of its access word (`accessSlot`): the `allowed` mapping sits one word after A, so the
 * entry is at keccak256(caller left-padded to 32 bytes ‖ (A + 1)); nonzero = allowed.
 */
export function allowlistSlot(accessWordSlot: Uint8Array, caller: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak_256): Uint8Array {
  const preimage = new Uint8Array(64)
  preimage.set(caller, 12)
  preimage.set(setLengthLeft(bigIntToBytes((bytesToBigInt(accessWordSlot) + 1n) & WORD_MASK), 32), 32)
  return keccak(preimage)
}

const WORD_MASK = (1n << 256n) - 1n

/** A 32-byte key followed by a mapping's slot number as a word: the preimage of a mapping entry's slot. */
function concatWords(key: Uint8Array, mappingSlot: bigint): Uint8Array {
  const preimage = new Uint8Array(64)
  preimage.set(key, 0)
  preimage.set(setLengthLeft(bigIntToBytes(mappingSlot), 32), 32)
  return preimage
}

/** The ModelRegistry predeploy, as the state manager addresses it. */
export const REGISTRY_ADDRESS = registry

/** True when ModelRegistry's storage in `state` holds an owner for `id` (chain state decides, not the byte store). */
export async function isRegistered(state: StorageReader, id: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak_256, key: string = bytesToHex(id)): Promise<boolean> {
  const word = await state.getStorage(registry, registrySlot(id, keccak, key))
  return word.some((b) => b !== 0)
}
