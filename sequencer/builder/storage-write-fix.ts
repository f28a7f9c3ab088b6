/**
 * Two fixes to @ethereumjs/statemanager's storage writes, each checked by
 * test/sequencer/unit/storage-write-fix.test.ts.
 *
 * 1. Makes a failing storage-trie write reject instead of hanging. @ethereumjs/statemanager's
 * `_modifyContractStorage` runs the write inside an async Promise executor (`new Promise(async
 * (resolve) => …)`): when the write throws (a trie node the database cannot read, a failing disk),
 * that promise never settles, so `putStorage` or the state flush that called it waits forever,
 * block production stops without a word, and the error escapes as an unhandled rejection. The
 * replacement does the same steps with plain awaits, so the error reaches the caller (the block
 * builder then leaves the transaction out or abandons the block: builder.ts).
 *
 * 2. Makes `putStorage` write only to the storage cache when the state has one (the builder's:
 * state/state.ts), as its code intends. Upstream writes
 * `this._caches?.storage?.put(…) ?? (await this._writeContractStorage(…))`, and the cache's `put`
 * returns nothing, so every SSTORE also went through to the storage trie at once: a trie insert
 * with its path re-encoded and re-hashed, and the account re-encoded with its new storage root,
 * about 15% of executing an ERC-20 transfer (README "Measured figures"). The cache is
 * checkpointed with the state and written to the tries by `flush()` when the block's outermost
 * checkpoint commits (and before every state root), so the tries, and every root, end exactly as
 * before; only a slot nobody wrote is read from the trie, at the storage root of the last flush,
 * which is where it is. States without caches (the call workers', replays') write through as before.
 *
 * Methods of MerkleStateManager; both of the package's builds are patched (dual-build.ts), once.
 */
import { RLP } from '@ethereumjs/rlp'
import { bytesToUnprefixedHex, unpadBytes, type Address } from '@ethereumjs/util'
import { bothBuilds } from './dual-build.ts'

interface StorageTrie {
  root(): Uint8Array
}
interface Account {
  storageRoot: Uint8Array
}
type ModifyTrie = (trie: StorageTrie, done: () => void) => unknown
interface StateManagerProto {
  _modifyContractStorage(this: StateManagerThis, address: Address, account: Account, modifyTrie: ModifyTrie): Promise<void>
  putStorage(this: StateManagerThis, address: Address, key: Uint8Array, value: Uint8Array): Promise<void>
  __storageWriteFix?: true
}
interface StateManagerThis {
  _getStorageTrie(address: Address, account: Account): StorageTrie
  _storageTries: Record<string, StorageTrie>
  _caches?: { storage?: { put(address: Address, key: Uint8Array, value: Uint8Array): void } }
  _writeContractStorage(address: Address, account: Account, key: Uint8Array, value: Uint8Array): Promise<void>
  getAccount(address: Address): Promise<Account | undefined>
  putAccount(address: Address, account: Account): Promise<void>
}

let installed: Promise<void> | undefined

export function installStorageWriteFix(): Promise<void> {
  installed ??= (async () => {
    for (const { MerkleStateManager } of await bothBuilds<{ MerkleStateManager: { prototype: StateManagerProto } }>('@ethereumjs/statemanager', 'merkleStateManager.js')) {
      patch(MerkleStateManager.prototype)
    }
  })()
  return installed
}

function patch(proto: StateManagerProto): void {
  if (proto.__storageWriteFix === true) return
  proto._modifyContractStorage = async function (address, account, modifyTrie) {
    const storageTrie = this._getStorageTrie(address, account)
    let called = false
    await modifyTrie(storageTrie, () => {
      called = true
    })
    if (!called) throw new Error('storage trie modification did not complete')
    this._storageTries[bytesToUnprefixedHex(address.bytes)] = storageTrie
    account.storageRoot = storageTrie.root()
    await this.putAccount(address, account)
  }
  // the same checks and messages as upstream's putStorage
  proto.putStorage = async function (address, key, value) {
    if (key.length !== 32) throw new Error('Storage key must be 32 bytes long')
    if (value.length > 32) throw new Error('Storage value cannot be longer than 32 bytes')
    const account = await this.getAccount(address)
    if (!account) throw new Error('putStorage() called on non-existing account')
    const unpadded = unpadBytes(value)
    const cache = this._caches?.storage
    if (cache !== undefined) cache.put(address, key, RLP.encode(unpadded))
    else await this._writeContractStorage(address, account, key, unpadded)
  }
  proto.__storageWriteFix = true
}
