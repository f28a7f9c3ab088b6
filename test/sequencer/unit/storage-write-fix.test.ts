/**
 * The two fixes of sequencer/builder/storage-write-fix.ts:
 * - a storage-trie write that throws must reach the caller: unpatched, @ethereumjs's
 *   `_modifyContractStorage` swallows it in an async Promise executor and never settles, which
 *   would stall block production for good;
 * - with a storage cache, `putStorage` writes the cache only (unpatched it also writes through to
 *   the trie on every SSTORE), and the state ends at exactly the roots of a state without caches.
 */
import { describe, expect, it } from 'vitest'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, bytesToHex, createAddressFromString } from '@ethereumjs/util'
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

describe('storage writes with a storage cache', () => {
  const contracts = [1, 2, 3].map((i) => createAddressFromString(`0x${String(i).padStart(40, '0')}`))
  const slot = (i: number) => new Uint8Array(32).fill(i % 7, 31 - (i % 3))

  /** The same writes, checkpoints and reverts on `sm`, as a block builder makes them. */
  async function play(sm: MerkleStateManager): Promise<void> {
    for (const a of contracts) await sm.putAccount(a, new Account(1n, 0n))
    await sm.checkpoint() // the block
    for (let tx = 0; tx < 40; tx++) {
      await sm.checkpoint() // the transaction
      for (let w = 0; w < 5; w++) {
        const i = tx * 5 + w
        // every seventh write zeroes its slot (a delete in the trie)
        await sm.putStorage(contracts[i % 3], slot(i), i % 7 === 0 ? new Uint8Array() : new Uint8Array([i & 0xff, 1]))
      }
      if (tx % 4 === 3) await sm.revert() // a failed transaction
      else await sm.commit()
    }
    await sm.commit()
  }

  it('writes only the cache until the block commits, then ends at the roots a state without caches computes', async () => {
    await installStorageWriteFix()
    const cached = new MerkleStateManager({ caches: new Caches() })
    const plain = new MerkleStateManager()
    let throughBeforeFlush = 0
    const internals = cached as unknown as { _writeContractStorage: (...args: unknown[]) => Promise<void>; _checkpointCount: number }
    const write = internals._writeContractStorage.bind(cached)
    internals._writeContractStorage = (...args) => {
      if (internals._checkpointCount > 0) throughBeforeFlush++
      return write(...args)
    }
    await play(cached)
    await play(plain)
    expect(throughBeforeFlush).toBe(0)
    expect(bytesToHex(await cached.getStateRoot())).toBe(bytesToHex(await plain.getStateRoot()))
    for (const a of contracts) {
      expect(bytesToHex((await cached.getAccount(a))!.storageRoot)).toBe(bytesToHex((await plain.getAccount(a))!.storageRoot))
      for (let i = 0; i < 200; i++) expect(bytesToHex(await cached.getStorage(a, slot(i)))).toBe(bytesToHex(await plain.getStorage(a, slot(i))))
    }
  })

  it('keeps upstream\'s checks', async () => {
    await installStorageWriteFix()
    const sm = new MerkleStateManager({ caches: new Caches() })
    await expect(sm.putStorage(contracts[0], new Uint8Array(31), new Uint8Array([1]))).rejects.toThrow('Storage key must be 32 bytes long')
    await expect(sm.putStorage(contracts[0], slot(1), new Uint8Array(33))).rejects.toThrow('Storage value cannot be longer than 32 bytes')
    await expect(sm.putStorage(contracts[0], slot(1), new Uint8Array([1]))).rejects.toThrow('putStorage() called on non-existing account')
  })
})
