/**
 * The worker's store (worker/store.ts): one salt per request ever, assignments and cursor
 * together, a data directory bound to one key, rows surviving a reopen.
 */
import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { WorkerStore } from '../../worker/index.ts'
import { tempDir } from '../helpers/node.ts'

const assignment = (requestId: bigint, blockNumber = 5) => ({ requestId, modelId: `0x${'ab'.repeat(32)}` as const, input: new Uint8Array([1, 2, 3]), commitDeadline: 100, revealDeadline: 200, blockNumber })

describe('the worker store', () => {
  const dirs: string[] = []
  const open = (dir = tempDir('worker-store-')) => {
    dirs.push(dir)
    return { dir, store: new WorkerStore(dir) }
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('records assignments with the cursor, once each, and keeps them across a reopen', () => {
    const { dir, store } = open()
    expect(store.cursor()).toBeUndefined()
    expect(store.recordScan([assignment(1n), assignment(2n)], [], 10).map((a) => a.requestId)).toEqual([1n, 2n])
    expect(store.insert(assignment(2n))).toBe(false) // pushed over WebSocket as well: no second row
    expect(store.recordScan([assignment(2n), assignment(3n, 11)], [{ kind: 'fulfilled', requestId: 1n, output: new Uint8Array([9]) }, { kind: 'rewarded', requestId: 1n, amount: 7n }, { kind: 'slashed', requestId: 99n, amount: 1n, reason: 3 }], 20).map((a) => a.requestId)).toEqual([3n])
    store.close()
    const again = new WorkerStore(dir)
    expect(again.cursor()).toBe(20)
    expect(again.open().map((r) => [r.requestId, r.state])).toEqual([[1n, 'assigned'], [2n, 'assigned'], [3n, 'assigned']])
    expect(again.get(1n)!.settlement).toEqual({ status: 'fulfilled', failureReason: null, result: new Uint8Array([9]), rewardWei: 7n, slashedWei: null, slashReason: null })
    expect(again.get(99n)).toBeUndefined() // not its request
    again.close()
  })

  it('keeps one answer and salt per request: a second putAnswer is refused', () => {
    const { store } = open()
    store.insert(assignment(1n))
    expect(store.putAnswer(1n, new Uint8Array([1]), `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`, 5)).toBe(true)
    expect(store.putAnswer(1n, new Uint8Array([2]), `0x${'33'.repeat(32)}`, `0x${'44'.repeat(32)}`, 5)).toBe(false)
    expect(store.get(1n)).toMatchObject({ state: 'computed', output: new Uint8Array([1]), salt: `0x${'11'.repeat(32)}`, commitment: `0x${'22'.repeat(32)}` })
    store.setTx(1n, 'commit', `0x${'55'.repeat(32)}`)
    store.setState(1n, 'committed')
    store.skip(1n, 'reveal deadline passed')
    store.done(1n, 'slashed')
    expect(store.get(1n)).toMatchObject({ state: 'done', commitTx: `0x${'55'.repeat(32)}`, note: 'reveal deadline passed', outcome: 'slashed' })
    expect(store.open()).toEqual([])
    store.close()
  })

  it('belongs to the first key that used it', () => {
    const { dir, store } = open()
    store.claim('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    store.claim('0x70997970c51812dc3a010c7d01b50e0d17dc79c8')
    store.close()
    const again = new WorkerStore(dir)
    expect(() => again.claim('0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC')).toThrow(/belongs to node 0x70997970c51812dc3a010c7d01b50e0d17dc79c8, not 0x3C44/)
    again.close()
  })
})
