/**
 * The patches to @ethereumjs internals (sequencer/builder/evm-speedups.ts) are installed where
 * they must be and give byte for byte what the library gives. If a dependency upgrade moves what
 * they patch, installEvmSpeedups throws and these tests fail, loudly.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import * as txModule from '@ethereumjs/tx'
import { createTx, TransactionType } from '@ethereumjs/tx'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, bytesToHex, createAddressFromString, privateToAddress, type Address } from '@ethereumjs/util'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { installEvmSpeedups, MESSAGE_LITERAL, SPREAD_LITERAL, syncGasTwins, TX_CLASSES } from '../../../sequencer/builder/evm-speedups.ts'
import { bothBuilds } from '../../../sequencer/builder/dual-build.ts'
import { callLoop } from '../../../scripts/lib/call-loop.ts'
import type { Hex } from 'viem'

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

describe('synchronous steps, one result merge and a bounded journal patched into @ethereumjs/evm', () => {
  type Proto = Record<string, unknown>
  const at = (c: string) => createAddressFromString(`0x${c.repeat(40)}`)
  const hex = (a: Address) => a.toString().slice(2)
  const [callee, target, toucherX, toucherY, reverter, committer, nested, undone, logger] = ['c', 'd', 'a', 'b', '1', '2', '3', '4', '5'].map(at)
  /** CALL(gas, to, 0, 0, 0, 0, 0); POP */
  const call = (to: Address) => `60006000600060006000 73${hex(to)}5af150`.replace(' ', '')
  /** Leaves what BALANCE(address) cost (plus 7 gas of GAS, PUSH20, POP): 2607 if the address is cold, 107 if warm. */
  const balanceCost = (a: Address) => `5a73${hex(a)}31505a9003`
  /** Contracts every program can call: how a frame's accesses survive its commit or revert shows in the warm/cold gas of EIP-2929. */
  const CONTRACTS: [Address, string][] = [
    [callee, '602a60005260206000fd'], // REVERT with 42
    [reverter, `73${hex(toucherX)}315060006000fd`], // touch X, revert
    [committer, `73${hex(toucherY)}315000`], // touch Y, stop
    [nested, `${call(reverter)}${call(committer)}00`], // call both, stop
    [undone, `${call(committer)}60006000fd`], // call the committer, then revert
    [logger, '60006000a000'], // LOG0, stop
  ]
  /** Programs through every path of the patched loop: static and dynamic gas, async handlers, jumps before and after the analysis, each way a frame ends, and nested commits and reverts. */
  const PROGRAMS: Record<string, { code: string; gas?: bigint }> = {
    'a counting loop (jumps)': { code: '600a5b60019003806002570000' },
    'memory, keccak, return (no jump analysis)': { code: '602a600052602060002060005260206000f3' },
    'storage and a log': { code: '600760015560015460005260aa60206000a100' },
    'an invalid opcode': { code: '6001fe' },
    'a jump to a non-JUMPDEST': { code: '60055600000000' },
    'a stack underflow': { code: '01' },
    'out of gas in static-gas steps': { code: '5b600056', gas: 5_000n },
    'a revert with data': { code: '602a60005260206000fd' },
    'a call to a reverting contract, its return data copied': { code: `600060006000600060007 3${callee.toString().slice(2)}5af16000523d600060203e60406000f3`.replace(' ', '') },
    'nested calls: a reverted child\'s access is cold, a committed one\'s warm': { code: `${call(nested)}${balanceCost(toucherX)}600052${balanceCost(toucherY)}60205260406000f3` },
    'a committed grandchild\'s access is cold after its parent reverts': { code: `${call(undone)}${balanceCost(toucherY)}60005260206000f3` },
    // CALLDATASIZE, CALLDATALOAD, CALLER, CALLVALUE: flagged async by the library, plain functions
    'calldata, caller and callvalue': { code: '36600052600035602052336040523460605260806000f3' },
    'calldatacopy, then mcopy': { code: '600360006000376003600060205e60406000f3' },
    'out of gas expanding memory (in a dynamic-gas step)': { code: '6001630fffffff52' },
    // LOG0 in a STATICCALL: its gas handler traps, the child fails, the caller gets 0
    'a log in a static call': { code: `6000600060006000 73${hex(logger)}5afa60005260206000f3`.replace(' ', '') },
  }

  /** Runs PROGRAMS on the ES module build (what vitest loads), or on the CommonJS one (the node's under tsx). */
  async function runAll(listen: boolean, build: 'esm' | 'cjs' = 'esm'): Promise<unknown[]> {
    type Builds = { createEVM: typeof import('@ethereumjs/evm').createEVM; MerkleStateManager: typeof MerkleStateManager; Caches: typeof Caches }
    const cjs = require
    const { createEVM, MerkleStateManager: StateManager, Caches: StateCaches }: Builds =
      build === 'esm' ? { createEVM: (await import('@ethereumjs/evm')).createEVM, MerkleStateManager, Caches } : { ...cjs('@ethereumjs/evm'), ...cjs('@ethereumjs/statemanager') }
    const out: unknown[] = []
    for (const [name, { code, gas }] of Object.entries(PROGRAMS)) {
      const stateManager = new StateManager({ caches: new StateCaches() })
      const evm = await createEVM({ common: createChainCommon(42424n), stateManager })
      for (const [address, contract] of CONTRACTS) await stateManager.putCode(address, hexToBytesStrict(contract))
      await stateManager.putCode(target, hexToBytesStrict(code))
      let steps = 0
      if (listen) evm.events.on('step', () => void steps++)
      const { execResult } = await evm.runCall({ to: target, gasLimit: gas ?? 100_000n, data: new Uint8Array([1, 2, 3]) })
      const runState = (execResult as unknown as { runState: Record<string, unknown> }).runState
      out.push({
        name,
        steps,
        returnValue: bytesToHex(execResult.returnValue),
        gasUsed: execResult.executionGasUsed,
        gasLeft: execResult.gas,
        refund: execResult.gasRefund,
        error: execResult.exceptionError?.error,
        logs: (execResult.logs ?? []).map((log) => log.map((part) => (part instanceof Uint8Array ? bytesToHex(part) : part.map((topic) => bytesToHex(topic))))),
        slot: bytesToHex(await stateManager.getStorage(target, new Uint8Array(32).fill(1, 31))),
        // the frame's result object: the same keys in the same order
        keys: Object.keys(execResult),
        // the merged runState: the same keys in the same order, and the same plain values
        runState: Object.entries(runState).map(([key, value]) => [key, typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean' ? value : value instanceof Uint8Array ? bytesToHex(value) : (value?.constructor?.name ?? String(value))]),
      })
    }
    return out
  }

  it('is installed on both builds', async () => {
    for (const { Interpreter } of await bothBuilds<{ Interpreter: { prototype: Proto } }>('@ethereumjs/evm', 'interpreter.js')) expect(Interpreter.prototype.__syncSteps).toBe(true)
    for (const { EVM } of await bothBuilds<{ EVM: { prototype: Proto } }>('@ethereumjs/evm', 'evm.js')) expect(EVM.prototype.__oneMerge).toBe(true)
    for (const { Journal } of await bothBuilds<{ Journal: { prototype: Proto } }>('@ethereumjs/evm', 'journal.js')) expect(Journal.prototype.__boundedDiff).toBe(true)
  })

  it('was copied from the library functions installed: an upgrade that changes them fails here, to have the copies reviewed', async () => {
    // evm-speedups.ts's runSync follows Interpreter.run and runStep's path for static gas, its
    // runInterpreter follows EVM.runInterpreter, its journal commit Journal.commit (and the
    // revert it must stay consistent with): [CommonJS build, ES module build] source fingerprints
    const fingerprint = (fn: unknown) => createHash('sha256').update(String(fn)).digest('hex').slice(0, 16)
    const interpreters = (await bothBuilds<{ Interpreter: { prototype: Proto } }>('@ethereumjs/evm', 'interpreter.js')).map((m) => m.Interpreter.prototype)
    const evms = (await bothBuilds<{ EVM: { prototype: Proto } }>('@ethereumjs/evm', 'evm.js')).map((m) => m.EVM.prototype)
    expect(interpreters.map((p) => fingerprint(p.__libraryRun))).toEqual(['cae1a8c6a825cb67', '8e769d9b5ec21205'])
    expect(interpreters.map((p) => fingerprint(p.runStep))).toEqual(['b62aba7694d154e9', 'cc2ccda2341c2f42'])
    expect(interpreters.map((p) => fingerprint(p.useGas))).toEqual(['e81db31781328f5c', '2362d4d43a082739'])
    expect(evms.map((p) => fingerprint(p.__libraryRunInterpreter))).toEqual(['e4735022de8ee460', '1f4905264075376d'])
    const journals = (await bothBuilds<{ Journal: { prototype: Proto } }>('@ethereumjs/evm', 'journal.js')).map((m) => m.Journal.prototype)
    expect(journals.map((p) => fingerprint(p.__libraryCommit))).toEqual(['22069975fbda074b', '22069975fbda074b'])
    expect(journals.map((p) => fingerprint(p.revert))).toEqual(['448123267e3c56dc', 'bc7b97704fddbced'])
  })

  it('gives what the library gives: results, gas, errors, logs, state, step events and the merged run state', async () => {
    const interpreters = (await bothBuilds<{ Interpreter: { prototype: Proto } }>('@ethereumjs/evm', 'interpreter.js')).map((m) => m.Interpreter.prototype)
    const evms = (await bothBuilds<{ EVM: { prototype: Proto } }>('@ethereumjs/evm', 'evm.js')).map((m) => m.EVM.prototype)
    const journals = (await bothBuilds<{ Journal: { prototype: Proto } }>('@ethereumjs/evm', 'journal.js')).map((m) => m.Journal.prototype)
    const patched = [await runAll(false), await runAll(true)]
    const saved = [...interpreters.map((p) => p.run), ...evms.map((p) => p.runInterpreter), ...journals.map((p) => p.commit)]
    let library: unknown[][]
    try {
      for (const p of interpreters) p.run = p.__libraryRun
      for (const p of evms) p.runInterpreter = p.__libraryRunInterpreter
      for (const p of journals) p.commit = p.__libraryCommit
      library = [await runAll(false), await runAll(true)]
    } finally {
      interpreters.forEach((p, i) => (p.run = saved[i]))
      evms.forEach((p, i) => (p.runInterpreter = saved[2 + i]))
      journals.forEach((p, i) => (p.commit = saved[4 + i]))
    }
    expect(patched).toEqual(library)
    // the programs end as written: the cases are not vacuous
    const byName = Object.fromEntries((patched[1] as { name: string; error?: string; steps: number; returnValue: string; slot: string }[]).map((r) => [r.name, r]))
    expect(byName['a counting loop (jumps)']).toMatchObject({ error: undefined, steps: 72 }) // PUSH1, 10 × 7 steps, STOP
    expect(byName['an invalid opcode'].error).toBe('invalid opcode')
    expect(byName['a jump to a non-JUMPDEST'].error).toMatch(/^invalid JUMP/)
    expect(byName['a stack underflow'].error).toBe('stack underflow')
    expect(byName['out of gas in static-gas steps'].error).toBe('out of gas')
    expect(byName['a revert with data']).toMatchObject({ error: 'revert', returnValue: `0x${'0'.repeat(62)}2a` })
    expect(byName['storage and a log'].slot).toBe('0x07')
    expect(byName['a call to a reverting contract, its return data copied'].returnValue).toBe(`0x${'0'.repeat(64)}${'0'.repeat(62)}2a`)
    const words = (r: string) => (r.slice(2).match(/.{64}/g) ?? []).map((w) => Number(BigInt(`0x${w}`)))
    expect(words(byName["nested calls: a reverted child's access is cold, a committed one's warm"].returnValue)).toEqual([2607, 107])
    expect(words(byName["a committed grandchild's access is cold after its parent reverts"].returnValue)).toEqual([2607])
    // the size (3), the first word of the calldata, the caller and the value (both zero in runCall)
    expect(byName['calldata, caller and callvalue'].returnValue).toBe(`0x${'0'.repeat(63)}3010203${'0'.repeat(58 + 128)}`)
    expect(byName['calldatacopy, then mcopy'].returnValue).toBe(`0x010203${'0'.repeat(58)}010203${'0'.repeat(58)}`)
    expect(byName['out of gas expanding memory (in a dynamic-gas step)'].error).toBe('out of gas')
    expect(words(byName['a log in a static call'].returnValue)).toEqual([0])
  })

  describe('synchronous twins of the gas handlers that never await (CommonJS build)', () => {
    const gasFile = () => join(dirname(require.resolve('@ethereumjs/evm')), 'opcodes', 'gas.js')

    it('are the library\'s handlers without `async`, for the memory, hashing, logging and returning opcodes, and none that awaits', () => {
      const library = (require(gasFile()) as { dynamicGasHandlers: Map<number, unknown> }).dynamicGasHandlers
      const twins = syncGasTwins(gasFile())
      const twinOps = [...library].filter(([, h]) => twins.has(h as never)).map(([op]) => op)
      for (const op of [0x20, 0x37, 0x51, 0x52, 0x53, 0x54, 0xa0, 0xa3, 0xf3, 0xfd]) expect(twinOps).toContain(op)
      for (const [op, handler] of library) {
        const twin = twins.get(handler as never)
        if (/\bawait\b/.test(String(handler))) expect(twin, `0x${op.toString(16)}`).toBeUndefined()
        else expect(String(twin), `0x${op.toString(16)}`).toBe(String(handler).replace(/^async /, ''))
      }
      expect(twins.has(library.get(0x55) as never)).toBe(false) // SSTORE reads the slot: it awaits
    })

    it('give what the library\'s own run gives', async () => {
      const proto = (await bothBuilds<{ Interpreter: { prototype: Proto } }>('@ethereumjs/evm', 'interpreter.js'))[0].Interpreter.prototype
      const patched = [await runAll(false, 'cjs'), await runAll(true, 'cjs')]
      const run = proto.run
      let library: unknown[][]
      try {
        proto.run = proto.__libraryRun
        library = [await runAll(false, 'cjs'), await runAll(true, 'cjs')]
      } finally {
        proto.run = run
      }
      expect(patched).toEqual(library)
    })
  })

  describe('one literal for a frame\'s message, patched into @ethereumjs/evm (CommonJS build)', () => {
    type Proto = { _executeCall: unknown; __libraryExecuteCall?: unknown; __messageLiteral?: boolean }
    const proto = () => (require('@ethereumjs/evm') as { EVM: { prototype: Proto } }).EVM.prototype

    it('is the library\'s _executeCall with its one spread literal rewritten, and nothing else', () => {
      const { _executeCall: patched, __libraryExecuteCall: library, __messageLiteral } = proto()
      expect(__messageLiteral).toBe(true)
      expect(String(library)).toMatch(SPREAD_LITERAL)
      expect(String(patched)).not.toMatch(SPREAD_LITERAL)
      expect(String(patched)).toBe(String(library).replace(SPREAD_LITERAL, MESSAGE_LITERAL))
    })

    it('gives what the library gives, through calls, nested calls, reverts and errors', async () => {
      const p = proto()
      const patched = p._executeCall
      const results = { patched: [] as unknown[], library: [] as unknown[] }
      try {
        results.patched = [await runAll(false, 'cjs'), await runAll(true, 'cjs')]
        p._executeCall = p.__libraryExecuteCall
        results.library = [await runAll(false, 'cjs'), await runAll(true, 'cjs')]
      } finally {
        p._executeCall = patched
      }
      expect(results.patched).toEqual(results.library)
      expect(results.patched).toEqual([await runAll(false), await runAll(true)]) // and what the other build gives
    })
  })
})

describe('the EVM journal under a transaction looping calls', () => {
  it('stays as deep as the call stack, where the library kept six collections per call until the end', async () => {
    const { createEVM } = await import('@ethereumjs/evm')
    const stopper = createAddressFromString(`0x${'e'.repeat(40)}`)
    const looper = createAddressFromString(`0x${'f'.repeat(40)}`)
    const stateManager = new MerkleStateManager({ caches: new Caches() })
    const evm = await createEVM({ common: createChainCommon(42424n), stateManager })
    await stateManager.putCode(stopper, hexToBytesStrict('00'))
    await stateManager.putCode(looper, hexToBytesStrict(callLoop(stopper.toString() as Hex).slice(2)))
    const journal = (evm as unknown as { journal: { journalDiff: unknown[] } }).journal
    let calls = 0
    let deepest = 0
    evm.events.on('afterMessage', () => {
      calls++
      deepest = Math.max(deepest, journal.journalDiff.length)
    })
    const { execResult } = await evm.runCall({ to: looper, gasLimit: 1_000_000n })
    expect(execResult.exceptionError?.error).toBe('out of gas')
    expect(calls).toBeGreaterThan(5_000) // 1M gas of 130-gas laps
    expect(deepest).toBeLessThanOrEqual(3)
  })
})

function hexToBytesStrict(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}
