/**
 * Two speedups to @ethereumjs internals, each a measured hot spot (README "Measured figures") and
 * each checked by test/sequencer/unit/evm-speedups.test.ts, which fails if an upgrade moves what
 * they patch.
 *
 * 1. Memoizes @ethereumjs/evm's jump-destination analysis per contract code. The interpreter
 * re-analyses a contract's whole bytecode on every call that jumps (8% of block building for
 * ERC-20 transfers); the result depends only on the code bytes and the opcode table, and the
 * interpreter only reads it, so it is cached per (opcode table, code) object pair. Code objects
 * come from the state manager's code cache, so a contract called again hits the cache.
 *
 * The analysis is a method of the interpreter, which the package does not export; both of its
 * builds (CommonJS for our code under tsx, ESM under vitest) are patched, once.
 *
 * 2. Caches a transaction's sender address. @ethereumjs caches the recovered public key but
 * derives the address again on every `getSenderAddress()` (runTx asks once per execution), with
 * its JavaScript keccak (≈15 µs); the patched method hashes with the native keccak once and keeps
 * the address in the transaction's own `cache` object (frozen transactions only, as @ethereumjs
 * does for the key). Admission stores the address it recovered there too (mempool/validator.ts),
 * so a block never recovers or hashes a sender again.
 */
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Address } from '@ethereumjs/util'
import { publicKeyToAddressBytes } from '../chain/crypto.ts'

type Analysis = unknown
interface InterpreterProto {
  _getValidJumpDestinations(this: { _evm: Record<string, object> }, code: Uint8Array): Analysis
  __jumpdestCache?: true
}

let installed: Promise<void> | undefined

export function installEvmSpeedups(): Promise<void> {
  installed ??= (async () => {
    const cjsDir = dirname(require.resolve('@ethereumjs/evm'))
    const cjs = require(join(cjsDir, 'interpreter.js')) as { Interpreter: { prototype: InterpreterProto } }
    patch(cjs.Interpreter.prototype)
    const esm = (await import(pathToFileURL(join(cjsDir, '..', 'esm', 'interpreter.js')).href)) as { Interpreter: { prototype: InterpreterProto } }
    patch(esm.Interpreter.prototype)
    const txCjs = require('@ethereumjs/tx') as TxModule
    const txEsm = (await import(pathToFileURL(join(dirname(require.resolve('@ethereumjs/tx')), '..', 'esm', 'index.js')).href)) as TxModule
    for (const mod of [txCjs, txEsm]) for (const name of TX_CLASSES) patchSenderCache(mod[name].prototype, name)
  })()
  return installed
}

function patch(proto: InterpreterProto): void {
  if (proto.__jumpdestCache === true) return
  const analyse = proto._getValidJumpDestinations
  const byOpcodeMap = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()
  proto._getValidJumpDestinations = function (code) {
    const opcodeMap = this._evm._opcodeMap
    let byCode = byOpcodeMap.get(opcodeMap)
    if (byCode === undefined) byOpcodeMap.set(opcodeMap, (byCode = new WeakMap()))
    let analysis = byCode.get(code)
    if (analysis === undefined) byCode.set(code, (analysis = analyse.call(this, code)))
    return analysis
  }
  proto.__jumpdestCache = true
}

/** Every transaction class @ethereumjs/tx exports; each has its own getSenderAddress. */
export const TX_CLASSES = ['LegacyTx', 'AccessList2930Tx', 'FeeMarket1559Tx', 'Blob4844Tx', 'EOACode7702Tx'] as const
type TxModule = Record<(typeof TX_CLASSES)[number], { prototype: TxProto }>
interface TxProto {
  getSenderAddress(this: SignedTx): Address
  __senderCache?: true
}
interface SignedTx {
  cache: { senderAddress?: Address }
  getSenderPublicKey(): Uint8Array
}

function patchSenderCache(proto: TxProto | undefined, name: string): void {
  if (proto === undefined || typeof proto.getSenderAddress !== 'function') throw new Error(`@ethereumjs/tx no longer has ${name}.getSenderAddress: review sequencer/builder/evm-speedups.ts`)
  if (proto.__senderCache === true) return
  proto.getSenderAddress = function () {
    const cached = this.cache.senderAddress
    if (cached !== undefined) return cached
    const address = new Address(publicKeyToAddressBytes(this.getSenderPublicKey()))
    if (Object.isFrozen(this)) this.cache.senderAddress = address
    return address
  }
  proto.__senderCache = true
}
