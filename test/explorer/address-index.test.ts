/**
 * The address index behind the explorer's address page (sequencer/store/schema.ts address_txs):
 * written with each block for sender, recipient and created contract, listed newest first a page
 * at a time, removed with the blocks a rewind takes away, and on a data directory from before the
 * index, marked complete only from the next block on. Real sqlite files.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { Store, type TxRow } from '../../sequencer/store/store.ts'
import { tempDir } from '../helpers/node.ts'

const addr = (n: number) => new Uint8Array(20).fill(n)
const hash = (block: number, index: number) => {
  const h = new Uint8Array(32)
  h[0] = block
  h[1] = index
  return h
}

function tx(block: number, index: number, from: number, to: number | null, created?: number): TxRow {
  return {
    hash: hash(block, index),
    blockNumber: block,
    txIndex: index,
    raw: new Uint8Array([block, index]),
    sender: addr(from),
    status: 1,
    gasUsed: 21_000,
    cumulativeGasUsed: 21_000 * (index + 1),
    effectiveGasPrice: 1n,
    contractAddress: created === undefined ? null : addr(created),
    firstLogIndex: 0,
    logCount: 0,
    to: to === null ? null : addr(to),
  }
}

function commit(store: Store, number: number, txs: TxRow[]): void {
  store.commitBlock({ block: { number, hash: hash(number, 255), header: new Uint8Array([number]), size: 1, txCount: txs.length }, txs, logs: [], trieNodes: new Map() })
}

describe('address index', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  const open = () => {
    const dir = tempDir('address-index-')
    dirs.push(dir)
    return join(dir, 'chain.sqlite')
  }

  it('lists sender, recipient and created contract, newest first, a page at a time, and forgets rewound blocks', () => {
    const store = new Store(open())
    commit(store, 0, [])
    commit(store, 1, [tx(1, 0, 1, 2), tx(1, 1, 2, 3)])
    commit(store, 2, [tx(2, 0, 3, null, 9), tx(2, 1, 2, 2)]) // a creation; a self-transfer (one row)
    commit(store, 3, [tx(3, 0, 4, 5)])
    const all = (a: number) => store.getAddressTxs(addr(a), { blockNumber: Number.MAX_SAFE_INTEGER, txIndex: 0 }, 100)
    expect(all(2)).toEqual([{ blockNumber: 2, txIndex: 1 }, { blockNumber: 1, txIndex: 1 }, { blockNumber: 1, txIndex: 0 }])
    expect(all(9)).toEqual([{ blockNumber: 2, txIndex: 0 }])
    expect(all(3)).toEqual([{ blockNumber: 2, txIndex: 0 }, { blockNumber: 1, txIndex: 1 }])
    // pages: before is exclusive
    expect(store.getAddressTxs(addr(2), { blockNumber: 2, txIndex: 1 }, 1)).toEqual([{ blockNumber: 1, txIndex: 1 }])
    expect(store.getAddressTxs(addr(2), { blockNumber: 1, txIndex: 0 }, 10)).toEqual([])
    expect(store.getRecentTxs(3, 2).map((t) => [t.blockNumber, t.txIndex])).toEqual([[3, 0], [2, 1]])
    expect(store.getRecentTxs(1, 10).map((t) => [t.blockNumber, t.txIndex])).toEqual([[1, 1], [1, 0]])

    store.rewindTo(1)
    expect(all(9)).toEqual([])
    expect(all(4)).toEqual([])
    expect(all(2)).toEqual([{ blockNumber: 1, txIndex: 1 }, { blockNumber: 1, txIndex: 0 }])
    expect(store.addressIndexFirstBlock()).toBe(0)
    store.close()
  })

  it('on a data directory from before the index, says from which block it is complete', () => {
    const path = open()
    const store = new Store(path)
    commit(store, 0, [])
    commit(store, 1, [tx(1, 0, 1, 2)])
    store.close()
    // as an older node left it: no address_txs table
    const db = new Database(path)
    db.exec('DROP TABLE address_txs')
    db.close()
    const reopened = new Store(path)
    expect(reopened.addressIndexFirstBlock()).toBe(2)
    commit(reopened, 2, [tx(2, 0, 1, 3)])
    expect(reopened.getAddressTxs(addr(1), { blockNumber: Number.MAX_SAFE_INTEGER, txIndex: 0 }, 10)).toEqual([{ blockNumber: 2, txIndex: 0 }])
    reopened.close()
  })
})
