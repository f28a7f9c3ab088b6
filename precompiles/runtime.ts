/**
 * The node-side half of the AI precompiles: model bytes (content-addressed, kept by the node's
 * store), their analysis (a pure function of the bytes, cached), and ONNX sessions (cached).
 * The precompiles call this; the node builds one per process and closes it at shutdown.
 */
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from 'viem'
import { analyzeModel, type ModelInfo } from './onnx/analyze.ts'
import { SessionCache } from './sessions.ts'

/** Where model bytes are kept, keyed by keccak256(bytes). Declared here, implemented by the node's store. */
export interface ModelBytesStore {
  getModel(id: Uint8Array): Uint8Array | undefined
  putModel(id: Uint8Array, bytes: Uint8Array): void
}

export interface ModelRuntimeOptions {
  store: ModelBytesStore
  /** Largest model accepted at registration, in bytes. */
  maxModelBytes: number
  /** Most ONNX sessions kept open. */
  maxSessions?: number
}

export class ModelRuntime {
  private readonly infos = new Map<string, ModelInfo>()
  readonly sessions: SessionCache

  constructor(private readonly opts: ModelRuntimeOptions) {
    this.sessions = new SessionCache({ maxSessions: opts.maxSessions })
  }

  /** Validates and analyses `bytes`, keeps them, and returns their id and analysis. Throws ModelValidationError. */
  admit(bytes: Uint8Array): { id: Uint8Array; info: ModelInfo } {
    const info = analyzeModel(bytes, { maxBytes: this.opts.maxModelBytes })
    const id = hexToId(keccak256(bytes))
    this.opts.store.putModel(id, bytes)
    this.infos.set(bytesToHex(id), info)
    return { id, info }
  }

  /** The analysis of a kept model, or undefined if this node has never seen its bytes. */
  info(id: Uint8Array): ModelInfo | undefined {
    const key = bytesToHex(id)
    const cached = this.infos.get(key)
    if (cached !== undefined) return cached
    const bytes = this.opts.store.getModel(id)
    if (bytes === undefined) return undefined
    const info = analyzeModel(bytes, { maxBytes: Number.MAX_SAFE_INTEGER })
    this.infos.set(key, info)
    return info
  }

  bytes(id: Uint8Array): Uint8Array | undefined {
    return this.opts.store.getModel(id)
  }

  async close(): Promise<void> {
    await this.sessions.close()
  }
}

function hexToId(hex: `0x${string}`): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}
