/**
 * What the RPC namespaces may use. The pool is seen through the narrow interface below (the RPC
 * layer never touches the pool's internals); chain, store and executor are read-only views.
 */
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import type { CallExecutor } from '../builder/executor.ts'
import type { Chain } from '../chain/chain.ts'
import type { CallWorkers } from '../calls/pool.ts'
import type { NodeConfig } from '../config.ts'
import type { Logger } from '../log.ts'
import type { Store } from '../store/store.ts'
import type { FilterManager } from './filters.ts'

export interface PooledTx {
  tx: TypedTransaction
  hash: Uint8Array
  hashHex: string
  sender: { bytes: Uint8Array }
  senderHex: string
  nonce: bigint
}

export interface TxPoolView {
  add(raw: Uint8Array): Promise<PooledTx>
  get(hashHex: string): PooledTx | undefined
  pendingNonce(senderHex: string, stateNonce: bigint): bigint
  /** Pending and queued per sender; `of` restricts it to one sender. Walks what it returns: check stats() first. */
  content(of?: string): { pending: Map<string, PooledTx[]>; queued: Map<string, PooledTx[]> }
  /** Counts kept as transactions come and go (no walk). */
  stats(): { pending: number; queued: number; bytes: number }
  senderStats(senderHex: string): { count: number; bytes: number }
  all(): PooledTx[]
}

/** The node's view of a model's static analysis (precompiles/onnx/analyze.ts). */
export interface ModelView {
  info(id: Uint8Array):
    | { input: { type: string; shape: number[]; length: number }; output: { type: string; shape: number[]; length: number }; ops: string[]; macs: bigint; elementOps: bigint }
    | undefined
}

/** A key the node may sign with (dev mode's test accounts). */
export interface DevSigner {
  addresses(): string[]
  sign(from: string, tx: TypedTransaction): TypedTransaction | undefined
}

export interface RpcContext {
  config: NodeConfig
  common: Common
  chain: Chain
  store: Store
  pool: TxPoolView
  /** On the sequencer's thread: only for the node's own bounded calls (ai_getModel's registry reads). */
  executor: CallExecutor
  /** Where client-supplied calls and traces execute: worker threads with a deadline and limits. */
  calls: CallWorkers
  /** A scratch state at `root` (reads only; writes die with the object). */
  stateAt(root: Uint8Array): MerkleStateManager
  filters: FilterManager
  models: ModelView
  devSigner?: DevSigner
  clientVersion: string
  log: Logger
  /** Extra entries for rollup_getConfig contributed by other services (batcher, bridge, precompiles). */
  rollupConfig(): Record<string, unknown>
}
