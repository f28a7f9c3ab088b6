/**
 * A storage-trie write that throws must reach the caller: unpatched, @ethereumjs's
 * `_modifyContractStorage` swallows it in an async Promise executor and never settles, which
 * would stall block production for good (sequencer/builder/storage-write-fix.ts).
 */
import { describe, expect, it } from 'vitest'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, createAddressFromString } from '@ethereumjs/util'
import { installStorageWriteFix } from '../../../sequencer/builder/storage-write-fix.ts'

const address = createAddressFromString('0x00000000000000000000000000000000000000aa')
const key = new Uint8Array(32).fill(1)

/** A state manager whose storage tries fail every write, as a failing disk would. */
async function failingStorage(): Promise<MerkleStateManager> {
  const sm = new MerkleStateManager()
  await sm.putAccount(address, new Account(0n, 1n))
  const failing = { put: async () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error')), del: async () => Promise.reject(new Error('SQLITE_IOERR')), root: () => new Uint8Array(32) }
  ;(sm as unknown as { _getStorageTrie: () => unknown })._getStorageTrie = () => failing
  return sm
}

const settlesWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => 'resolved', (err: Error) => `rejected: ${err.message}`), new Promise<string>((resolve) => setTimeout(() => resolve('never settled'), ms))])

describe('storage-trie writes that fail', () => {
  it('reject putStorage with the write error instead of never settling', async () => {
    await installStorageWriteFix()
    const sm = await failingStorage()
    expect(await settlesWithin(sm.putStorage(address, key, new Uint8Array([7])), 2_000)).toBe('rejected: SQLITE_IOERR: disk I/O error')
  })

  it('still write storage normally', async () => {
    await installStorageWriteFix()
    const sm = new MerkleStateManager()
    await sm.putAccount(address, new Account(0n, 1n))
    await sm.putStorage(address, key, new Uint8Array([7]))
    expect(await sm.getStorage(address, key)).toEqual(new Uint8Array([7]))
    const root = (await sm.getAccount(address))!.storageRoot
    await sm.clearStorage(address)
    expect((await sm.getAccount(address))!.storageRoot).not.toEqual(root)
  })
})
