/**
 * The patches to @ethereumjs internals (sequencer/builder/evm-speedups.ts) are installed where
 * they must be and give byte for byte what the library gives. If a dependency upgrade moves what
 * they patch, installEvmSpeedups throws and these tests fail, loudly.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import * as txModule from '@ethereumjs/tx'
import { createTx, TransactionType } from '@ethereumjs/tx'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, bytesToHex, createAddressFromString, privateToAddress, type Address } from '@ethereumjs/util'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { installEvmSpeedups, TX_CLASSES } from '../../../sequencer/builder/evm-speedups.ts'
import { bothBuilds } from '../../../sequencer/builder/dual-build.ts'

beforeAll(() => installEvmSpeedups())

describe('the jump-destination memo patched into @ethereumjs/evm', () => {
  it('is installed on the interpreter of both builds', async () => {
    const [cjs, esm] = await bothBuilds<{ Interpreter: { prototype: { __jumpdestCache?: boolean } } }>('@ethereumjs/evm', 'interpreter.js')
    expect(cjs.Interpreter.prototype.__jumpdestCache).toBe(true)
    expect(esm.Interpreter.prototype.__jumpdestCache).toBe(true)
  })
})

describe('the sender-address cache patched into @ethereumjs/tx', () => {
  it('is installed on every transaction class and answers what the library computes', () => {
    for (const name of TX_CLASSES) expect((txModule as unknown as Record<string, { prototype: { __senderCache?: boolean } }>)[name].prototype.__senderCache, name).toBe(true)
    const key = randomBytes(32)
    const tx = createTx({ type: TransactionType.Legacy, nonce: 5n, gasLimit: 21_000n, gasPrice: 1n }, { common: createChainCommon(42424n) }).sign(key)
    expect(tx.getSenderAddress().toString()).toBe(bytesToHex(privateToAddress(key)))
    expect(tx.getSenderAddress()).toBe(tx.getSenderAddress()) // cached
  })
})

describe('accounts kept as values in the state manager\'s account cache', () => {
  const addresses = [1, 2, 3, 4].map((i) => createAddressFromString(`0x${String(i).padStart(40, '0')}`))

  it('is installed on the account cache of both builds', async () => {
    const [cjs, esm] = await bothBuilds<{ AccountCache: { prototype: { __decodedAccounts?: boolean } } }>('@ethereumjs/statemanager', 'cache/account.js')
    expect(cjs.AccountCache.prototype.__decodedAccounts).toBe(true)
    expect(esm.AccountCache.prototype.__decodedAccounts).toBe(true)
  })

  it('hands out copies: a caller mutating its account changes nothing cached', async () => {
    const sm = new MerkleStateManager({ caches: new Caches() })
    const account = new Account(1n, 100n)
    await sm.putAccount(addresses[0], account)
    account.balance = 5n // after the put: must not reach the cache
    const first = (await sm.getAccount(addresses[0]))!
    expect(first.balance).toBe(100n)
    first.nonce = 9n // nor may a reader's change
    const second = (await sm.getAccount(addresses[0]))!
    expect(second).not.toBe(first)
    expect([second.nonce, second.balance]).toEqual([1n, 100n])
    const element = (sm as unknown as { _caches: { account: { get(a: Address): { accountRLP: Uint8Array } } } })._caches.account.get(addresses[0])
    expect(bytesToHex(element.accountRLP)).toBe(bytesToHex(new Account(1n, 100n).serialize()))
  })

  it('ends at the state root a state without caches computes, through checkpoints, reverts and deletions', async () => {
    const play = async (sm: MerkleStateManager) => {
      await sm.checkpoint()
      for (let i = 0; i < 60; i++) {
        await sm.checkpoint()
        const a = addresses[i % 4]
        const current = (await sm.getAccount(a)) ?? new Account()
        current.balance += BigInt(i * 1_000)
        current.nonce += 1n
        await sm.putAccount(a, current)
        if (i % 11 === 10) await sm.deleteAccount(addresses[(i + 1) % 4])
        if (i % 5 === 4) await sm.revert()
        else await sm.commit()
      }
      await sm.commit()
    }
    const cached = new MerkleStateManager({ caches: new Caches() })
    const plain = new MerkleStateManager()
    await play(cached)
    await play(plain)
    expect(bytesToHex(await cached.getStateRoot())).toBe(bytesToHex(await plain.getStateRoot()))
    for (const a of addresses) expect((await cached.getAccount(a))?.serialize()).toEqual((await plain.getAccount(a))?.serialize())
  })
})

describe('setLengthLeft/Right padding in one allocation (CommonJS build)', () => {
  it('gives what the unpatched ES module build gives, with its errors', async () => {
    type Pad = (msg: Uint8Array, length: number, opts?: { allowTruncate?: boolean }) => Uint8Array
    const [cjs, esm] = await bothBuilds<{ setLengthLeft: Pad; setLengthRight: Pad; __onePadding?: boolean }>('@ethereumjs/util', 'bytes.js')
    expect(cjs.__onePadding).toBe(true)
    for (const n of [0, 1, 20, 31, 32, 33, 40]) {
      const msg = randomBytes(n)
      for (const name of ['setLengthLeft', 'setLengthRight'] as const) {
        if (n > 32) {
          expect(() => cjs[name](msg, 32)).toThrow(`Input length ${n} exceeds target length 32`)
          expect(() => esm[name](msg, 32)).toThrow(`Input length ${n} exceeds target length 32`)
        }
        expect(bytesToHex(cjs[name](msg, 32, { allowTruncate: true }))).toBe(bytesToHex(esm[name](msg, 32, { allowTruncate: true })))
      }
    }
    expect(() => cjs.setLengthLeft('0x01' as unknown as Uint8Array, 32)).toThrow('only supports Uint8Array')
  })
})
