/**
 * Makes a failing storage-trie write reject instead of hanging. @ethereumjs/statemanager's
 * `_modifyContractStorage` runs the write inside an async Promise executor (`new Promise(async
 * (resolve) => …)`): when the write throws (a trie node the database cannot read, a failing disk),
 * that promise never settles, so `putStorage` or the state flush that called it waits forever,
 * block production stops without a word, and the error escapes as an unhandled rejection. The
 * replacement does the same steps with plain awaits, so the error reaches the caller (the block
 * builder then leaves the transaction out or abandons the block: builder.ts).
 *
 * A method of MerkleStateManager; both of the package's builds (CommonJS under tsx, ESM under
 * vitest) are patched, once, as evm-speedups.ts does for the interpreter.
 */
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bytesToUnprefixedHex, type Address } from '@ethereumjs/util'

interface StorageTrie {
  root(): Uint8Array
}
interface Account {
  storageRoot: Uint8Array
}
type ModifyTrie = (trie: StorageTrie, done: () => void) => unknown
interface StateManagerProto {
  _modifyContractStorage(this: StateManagerThis, address: Address, account: Account, modifyTrie: ModifyTrie): Promise<void>
  __storageWriteFix?: true
}
interface StateManagerThis {
  _getStorageTrie(address: Address, account: Account): StorageTrie
  _storageTries: Record<string, StorageTrie>
  putAccount(address: Address, account: Account): Promise<void>
}

let installed: Promise<void> | undefined

export function installStorageWriteFix(): Promise<void> {
  installed ??= (async () => {
    const cjsDir = dirname(require.resolve('@ethereumjs/statemanager'))
    const cjs = require(join(cjsDir, 'merkleStateManager.js')) as { MerkleStateManager: { prototype: StateManagerProto } }
    patch(cjs.MerkleStateManager.prototype)
    const esm = (await import(pathToFileURL(join(cjsDir, '..', 'esm', 'merkleStateManager.js')).href)) as { MerkleStateManager: { prototype: StateManagerProto } }
    patch(esm.MerkleStateManager.prototype)
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
  proto.__storageWriteFix = true
}
