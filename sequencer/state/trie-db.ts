/**
 * The state trie's key-value store, on sqlite. @ethereumjs/mpt writes nodes here as it commits;
 * they are held in memory until the block that produced them is sealed, then written in that
 * block's sqlite transaction (Store.commitBlock), so the trie on disk only ever holds nodes of
 * sealed blocks. Nodes are content-addressed and never deleted (archive mode), which is what
 * makes state at any past block readable by opening the trie at that block's state root.
 */
import type { BatchDBOp, DB } from '@ethereumjs/util'
import type { Store } from '../store/store.ts'

export class SqliteTrieDB implements DB<string, Uint8Array> {
  private pending = new Map<string, Uint8Array>()

  constructor(private readonly store: Store) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.pending.get(key) ?? this.store.getTrieNode(Buffer.from(key, 'hex'))
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.pending.set(key, value)
  }

  /** Archive mode keeps every node: a delete from the trie must not remove a node another root shares. */
  async del(): Promise<void> {}

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.pending.set(op.key, op.value)
  }

  shallowCopy(): DB<string, Uint8Array> {
    return this
  }

  async open(): Promise<void> {}

  /** Hands the nodes written since the last call to the caller, which persists them with its block. */
  takePending(): Map<string, Uint8Array> {
    const nodes = this.pending
    this.pending = new Map()
    return nodes
  }

  /** Drops unsealed nodes (a block that failed to seal). Readers never needed them: no head points at them. */
  discardPending(): void {
    this.pending = new Map()
  }
}

/**
 * A throw-away layer over the node's trie DB for speculative execution (eth_call, gas estimation,
 * tracing, state overrides): reads fall through, writes stay in this object and die with it.
 */
export class OverlayTrieDB implements DB<string, Uint8Array> {
  private readonly writes = new Map<string, Uint8Array>()

  constructor(private readonly base: DB<string, Uint8Array>) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.writes.get(key) ?? this.base.get(key)
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.writes.set(key, value)
  }

  async del(): Promise<void> {}

  async batch(ops: BatchDBOp<string, Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') this.writes.set(op.key, op.value)
  }

  shallowCopy(): DB<string, Uint8Array> {
    return this
  }

  async open(): Promise<void> {}
}
