/**
 * Opens the world state at a given root. The builder keeps one long-lived state (with caches)
 * at the head; readers open a fresh one per request at whatever root they need, over an
 * overlay so nothing they do reaches disk.
 */
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { ValueEncoding, type DB } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import { OverlayTrieDB } from './trie-db.ts'

export interface OpenStateOptions {
  common: Common
  db: DB<string, Uint8Array>
  root?: Uint8Array
  /** Keep account/storage/code caches (the builder's state); readers do without. */
  cached?: boolean
}

export function openState({ common, db, root, cached }: OpenStateOptions): MerkleStateManager {
  const trie = new MerklePatriciaTrie({ db, root, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
  return new MerkleStateManager({ trie, common, caches: cached === true ? new Caches() : undefined })
}

/** A state at `root` whose writes stay in memory: for eth_call, estimation, tracing and proofs. */
export function openScratchState(common: Common, db: DB<string, Uint8Array>, root: Uint8Array): MerkleStateManager {
  return openState({ common, db: new OverlayTrieDB(db), root })
}
