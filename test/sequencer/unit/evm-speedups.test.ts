/**
 * The patches to @ethereumjs internals (sequencer/builder/evm-speedups.ts) are installed where
 * they must be and give byte for byte what the library gives. If a dependency upgrade moves what
 * they patch, installEvmSpeedups throws and these tests fail, loudly.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import * as txModule from '@ethereumjs/tx'
import { createTx, TransactionType } from '@ethereumjs/tx'
import { bytesToHex, privateToAddress } from '@ethereumjs/util'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { installEvmSpeedups, TX_CLASSES } from '../../../sequencer/builder/evm-speedups.ts'

beforeAll(() => installEvmSpeedups())

describe('the jump-destination memo patched into @ethereumjs/evm', () => {
  it('is installed on the interpreter of both builds', async () => {
    const { dirname, join } = await import('node:path')
    const { pathToFileURL } = await import('node:url')
    const dir = dirname(require.resolve('@ethereumjs/evm'))
    const cjs = require(join(dir, 'interpreter.js')) as { Interpreter: { prototype: { __jumpdestCache?: boolean } } }
    const esm = (await import(pathToFileURL(join(dir, '..', 'esm', 'interpreter.js')).href)) as typeof cjs
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
