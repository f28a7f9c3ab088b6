/**
 * The builder's state caches never evict on their own (sequencer/builder/builder.ts
 * boundCaches): past their limits they are emptied between blocks, and the state reads the same
 * afterwards, from the tries.
 */
import { describe, expect, it } from 'vitest'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, createAddressFromString } from '@ethereumjs/util'
import { boundCaches } from '../../../sequencer/builder/builder.ts'
import { installEvmSpeedups } from '../../../sequencer/builder/evm-speedups.ts'
import { installStorageWriteFix } from '../../../sequencer/builder/storage-write-fix.ts'

const address = (i: number) => createAddressFromString(`0x${(i + 1).toString(16).padStart(40, '0')}`)
const slot = (i: number) => new Uint8Array(32).fill(i % 251, 28)

interface Sizes {
  _caches: { account: { size(): number }; storage: { size(): number } }
}
const sizes = (sm: MerkleStateManager) => (sm as unknown as Sizes)._caches

/** One "block": `accounts` fresh accounts, `slots` slots of account 0, committed (flushed into the tries). */
async function block(sm: MerkleStateManager, accounts: number, slots: number, from = 0): Promise<void> {
  await sm.checkpoint()
  for (let i = from; i < from + accounts; i++) await sm.putAccount(address(i), new Account(BigInt(i), BigInt(i) * 10n))
  for (let i = 0; i < slots; i++) await sm.putStorage(address(0), slot(i), new Uint8Array([i % 200, 1]))
  await sm.commit()
}

describe('bounding the builder state caches', () => {
  it('leaves caches under the limits alone', async () => {
    await Promise.all([installEvmSpeedups(), installStorageWriteFix()])
    const sm = new MerkleStateManager({ caches: new Caches() })
    await block(sm, 10, 5)
    expect(boundCaches(sm, { accounts: 10, slots: 5 })).toBe(false)
    expect(sizes(sm).account.size()).toBe(10)
  })

  it('empties them past the account or the slot limit, and the state reads the same from the tries', async () => {
    await Promise.all([installEvmSpeedups(), installStorageWriteFix()])
    const sm = new MerkleStateManager({ caches: new Caches() })
    await block(sm, 30, 0)
    const root = await sm.getStateRoot()
    expect(boundCaches(sm, { accounts: 20, slots: 1_000 })).toBe(true)
    expect(sizes(sm).account.size()).toBe(0)
    expect(await sm.getStateRoot()).toEqual(root)
    for (let i = 0; i < 30; i++) expect((await sm.getAccount(address(i)))?.balance).toBe(BigInt(i) * 10n)

    await block(sm, 0, 40) // 40 slots of one contract: one storage-cache entry, forty slots
    expect(sizes(sm).storage.size()).toBe(1)
    expect(boundCaches(sm, { accounts: 1_000, slots: 30 })).toBe(true)
    expect(sizes(sm).storage.size()).toBe(0)
    expect(Object.keys((sm as unknown as { _storageTries: object })._storageTries)).toEqual([])
    for (let i = 0; i < 40; i++) expect(await sm.getStorage(address(0), slot(i))).toEqual(new Uint8Array([i % 200, 1]).subarray(i % 200 === 0 ? 1 : 0))
    // and the next block builds on what the tries hold
    await block(sm, 5, 0, 30)
    expect((await sm.getAccount(address(3)))?.nonce).toBe(3n)
    expect((await sm.getAccount(address(34)))?.nonce).toBe(34n)
  })
})
