/**
 * The address index behind the explorer's address page (sequencer/store/address-index.ts): its
 * thread follows the chain file and lists each transaction under its sender, its recipient (read
 * off the raw bytes: legacy and typed) and the contract it created, newest first, a page at a
 * time; a rewind takes rows out; a restarted index catches up from its cursor, a new one indexes
 * the whole history, and one ahead of a chain file that lost blocks is trimmed to it. Real sqlite
 * files and a real thread.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createTx } from '@ethereumjs/tx'
import { AddressIndex } from '../../sequencer/store/address-index.ts'
import { Store, type TxRow } from '../../sequencer/store/store.ts'
import { createChainCommon } from '../../sequencer/chain/common.ts'
import { tempDir } from '../helpers/node.ts'

const common = createChainCommon(42424n)
const KEY = new Uint8Array(32).fill(1)
const addr = (n: number) => new Uint8Array(20).fill(n)
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}` as const
const hash = (block: number, index: number) => {
  const h = new Uint8Array(32)
  h[0] = block
  h[1] = index
  return h
}
const NEWEST = { blockNumber: Number.MAX_SAFE_INTEGER, txIndex: 0 }

/** A mined transaction's row: `to` goes into the raw bytes (type 2, or legacy), as a real one's does. */
function tx(block: number, index: number, from: number, to: number | null, opts: { created?: number; legacy?: boolean } = {}): TxRow {
  const fields = { to: to === null ? undefined : hex(addr(to)), gasLimit: 21_000n, nonce: BigInt(index) }
  const unsigned = opts.legacy === true ? createTx({ type: 0, ...fields, gasPrice: 1n }, { common }) : createTx({ type: 2, ...fields, maxFeePerGas: 1n }, { common })
  const raw = unsigned.sign(KEY).serialize()
  return {
    hash: hash(block, index),
    blockNumber: block,
    txIndex: index,
    raw,
    sender: addr(from),
    status: 1,
    gasUsed: 21_000,
    cumulativeGasUsed: 21_000 * (index + 1),
    effectiveGasPrice: 1n,
    contractAddress: opts.created === undefined ? null : addr(opts.created),
    firstLogIndex: 0,
    logCount: 0,
  }
}

function commit(store: Store, number: number, txs: TxRow[]): void {
  store.commitBlock({ block: { number, hash: hash(number, 255), header: new Uint8Array([number]), size: 1, txCount: txs.length }, txs, logs: [], trieNodes: new Map() })
}

describe('address index', () => {
  const dirs: string[] = []
  const open: { close(): unknown }[] = []
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  const files = () => {
    const dir = tempDir('address-index-')
    dirs.push(dir)
    return { chain: join(dir, 'chain.sqlite'), index: join(dir, 'addresses.sqlite') }
  }
  const openIndex = (f: { chain: string; index: string }) => {
    const index = new AddressIndex(f.index, f.chain)
    open.push(index)
    return index
  }
  const openStore = (f: { chain: string }) => {
    const store = new Store(f.chain)
    open.push(store)
    return store
  }
  /** An index that follows the chain to `head`, then stops (as the node's does when it stops). */
  const indexThenStop = async (f: { chain: string; index: string }, head: number) => {
    const index = new AddressIndex(f.index, f.chain)
    index.follow(head)
    expect(await index.caughtUp(head, 10_000)).toBe(true)
    await index.close()
  }
  const all = (index: AddressIndex, a: number) => index.getAddressTxs(addr(a), NEWEST, 100)

  it('lists sender, recipient and created contract, newest first, a page at a time, and forgets rewound blocks', async () => {
    const f = files()
    const store = openStore(f)
    const index = openIndex(f)
    commit(store, 0, [])
    commit(store, 1, [tx(1, 0, 1, 2), tx(1, 1, 2, 3, { legacy: true })])
    commit(store, 2, [tx(2, 0, 3, null, { created: 9 }), tx(2, 1, 2, 2)]) // a creation; a self-transfer (one row)
    commit(store, 3, [tx(3, 0, 4, 5)])
    index.follow(3)
    expect(await index.caughtUp(3, 10_000)).toBe(true)
    expect(index.indexedThrough()).toBe(3)
    expect(all(index, 2)).toEqual([{ blockNumber: 2, txIndex: 1 }, { blockNumber: 1, txIndex: 1 }, { blockNumber: 1, txIndex: 0 }])
    expect(all(index, 9)).toEqual([{ blockNumber: 2, txIndex: 0 }])
    expect(all(index, 3)).toEqual([{ blockNumber: 2, txIndex: 0 }, { blockNumber: 1, txIndex: 1 }]) // a legacy transaction's recipient too
    expect(all(index, 5)).toEqual([{ blockNumber: 3, txIndex: 0 }])
    // pages: before is exclusive
    expect(index.getAddressTxs(addr(2), { blockNumber: 2, txIndex: 1 }, 1)).toEqual([{ blockNumber: 1, txIndex: 1 }])
    expect(index.getAddressTxs(addr(2), { blockNumber: 1, txIndex: 0 }, 10)).toEqual([])

    // the node rewinds the chain, tells the index, then seals other blocks at those heights
    store.rewindTo(1)
    await index.rewindTo(1)
    expect(index.indexedThrough()).toBe(1)
    expect(all(index, 9)).toEqual([])
    expect(all(index, 4)).toEqual([])
    commit(store, 2, [tx(2, 0, 7, 8)])
    index.follow(2)
    expect(await index.caughtUp(2, 10_000)).toBe(true)
    expect(all(index, 7)).toEqual([{ blockNumber: 2, txIndex: 0 }])
    expect(all(index, 2)).toEqual([{ blockNumber: 1, txIndex: 1 }, { blockNumber: 1, txIndex: 0 }])
  })

  it('catches up from its cursor after a restart, and a new index file takes in the whole history in chunks', async () => {
    const f = files()
    const store = openStore(f)
    commit(store, 0, [])
    commit(store, 1, [tx(1, 0, 1, 2)])
    await indexThenStop(f, 1)
    // blocks sealed while the index was down, one of them bigger than a chunk (20,000 rows)
    const row = tx(2, 0, 3, 4)
    const big = Array.from({ length: 20_050 }, (_, i) => ({ ...row, hash: hash(2, i % 256).map((b, j) => (j === 2 ? i >> 8 : b)), txIndex: i }))
    commit(store, 2, big)
    commit(store, 3, [tx(3, 0, 5, 6)])
    const again = openIndex(f)
    expect(again.indexedThrough()).toBe(1) // from its file
    expect(await again.caughtUp(3, 1)).toBe(false) // nothing followed yet
    again.follow(3)
    expect(await again.caughtUp(3, 20_000)).toBe(true)
    expect(all(again, 1)).toEqual([{ blockNumber: 1, txIndex: 0 }])
    expect(again.getAddressTxs(addr(4), NEWEST, 2)).toEqual([{ blockNumber: 2, txIndex: 20_049 }, { blockNumber: 2, txIndex: 20_048 }])
    expect(all(again, 6)).toEqual([{ blockNumber: 3, txIndex: 0 }])
  }, 60_000)

  it('trims itself to a chain file that is behind it (one that lost its last blocks)', async () => {
    const f = files()
    const store = openStore(f)
    commit(store, 0, [])
    commit(store, 1, [tx(1, 0, 1, 2)])
    commit(store, 2, [tx(2, 0, 1, 3)])
    await indexThenStop(f, 2)
    store.rewindTo(1) // as if the chain file had lost block 2
    const reopened = openIndex(f)
    expect(reopened.indexedThrough()).toBe(2) // what its file says
    reopened.follow(1)
    for (const started = Date.now(); reopened.indexedThrough() !== 1 && Date.now() - started < 10_000; ) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(all(reopened, 3)).toEqual([])
    expect(all(reopened, 1)).toEqual([{ blockNumber: 1, txIndex: 0 }])
    expect(reopened.indexedThrough()).toBe(1)
  })
})
