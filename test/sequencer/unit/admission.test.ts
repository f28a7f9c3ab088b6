/**
 * Admission's two throughput measures (issue 15) keep their guarantees:
 * - senders recovered on the recovery thread (mempool/recovery.ts) are exactly @ethereumjs's, for
 *   every transaction type, bad signatures are refused as before, and a worker that dies loses
 *   no request;
 * - the journal's group write (mempool/pool.ts) writes a turn's admissions in one journal
 *   write (one append to mempool/journal.ts's log), acknowledges nothing before it, and takes back
 *   what a failed write could not make durable;
 * (The sender-address cache that lets a block reuse the recovery: evm-speedups.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createTx, createTxFromRLP, FeeMarket1559Tx, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, privateToAddress, SECP256K1_ORDER } from '@ethereumjs/util'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { TxValidator } from '../../../sequencer/mempool/validator.ts'
import { WorkerRecovery } from '../../../sequencer/mempool/recovery.ts'
import { TxPool, type JournalEntry } from '../../../sequencer/mempool/pool.ts'
import { PoolError } from '../../../sequencer/mempool/errors.ts'
import { installEvmSpeedups } from '../../../sequencer/builder/evm-speedups.ts'
import { RLP } from '@ethereumjs/rlp'
import { testPoolOptions } from '../../helpers/pool.ts'

// as the node does at start: the sender cache is what lets a block reuse admission's recovery
beforeAll(() => installEvmSpeedups())

const common = createChainCommon(42424n)
const keys = Array.from({ length: 4 }, () => randomBytes(32))

function signed(type: TransactionType, key: Uint8Array, nonce: bigint): TypedTransaction {
  const base = { nonce, gasLimit: 21_000n, to: new Address(new Uint8Array(20).fill(7)), value: 1n }
  const fees = type === TransactionType.Legacy || type === TransactionType.AccessListEIP2930 ? { gasPrice: 10n ** 9n } : { maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n }
  const extra = type === TransactionType.EOACodeEIP7702 ? { authorizationList: [] } : {}
  return createTx({ type, ...base, ...fees, ...extra } as never, { common }).sign(key)
}

const TYPES = [TransactionType.Legacy, TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559]

function validator(recovery?: WorkerRecovery) {
  return new TxValidator({ common, blockGasLimit: () => 60_000_000n, maxTxBytes: 128 * 1024, minPriorityFee: 0n, recovery })
}

describe('sender recovery on a worker thread', () => {
  let recovery: WorkerRecovery
  beforeAll(async () => {
    recovery = new WorkerRecovery()
    // until the worker is up, recovery runs inline; wait so that these tests exercise the worker
    for (let i = 0; i < 200 && recovery.stats.batches === 0; i++) {
      await validator(recovery).decode(signed(TransactionType.FeeMarketEIP1559, keys[0], 0n).serialize())
      await new Promise((r) => setTimeout(r, 25))
    }
  })
  afterAll(() => recovery.close())

  it('recovers the sender @ethereumjs recovers, for every transaction type and in batches', async () => {
    const txs = Array.from({ length: 120 }, (_, i) => signed(TYPES[i % TYPES.length], keys[i % keys.length], BigInt(i)))
    const before = recovery.stats.onWorker
    const decoded = await Promise.all(txs.map((tx) => validator(recovery).decode(tx.serialize())))
    expect(recovery.stats.onWorker - before).toBe(120) // all on the worker, none inline
    decoded.forEach((d, i) => {
      expect(d.sender.toString()).toBe(bytesToHex(privateToAddress(keys[i % keys.length])))
      // what @ethereumjs computes on its own from the same bytes
      expect(d.sender.toString()).toBe(createTxFromRLP(txs[i].serialize(), { common }).getSenderAddress().toString())
      // and the transaction keeps it: executing it recovers nothing again
      expect(d.tx.getSenderAddress()).toBe(d.sender)
    })
  })

  it('refuses a high-s signature and a zero r as invalid senders, as before', async () => {
    const tx = signed(TransactionType.FeeMarketEIP1559, keys[1], 0n) as FeeMarket1559Tx
    const values = tx.raw()
    const flipped = [...values.slice(0, 9), values[9], values[10], bigBytes(SECP256K1_ORDER - BigInt(bytesToHex(values[11] as Uint8Array)))]
    const zeroR = [...values.slice(0, 10), new Uint8Array(), values[11]]
    for (const fields of [flipped, zeroR]) {
      const raw = new Uint8Array([2, ...RLP.encode(fields as Uint8Array[])])
      await expect(validator(recovery).decode(raw)).rejects.toBeInstanceOf(PoolError)
      await expect(validator(recovery).decode(raw)).rejects.toThrow(/invalid sender|signature/i)
    }
  })

  it('keeps one batch at the worker: what is asked meanwhile waits and goes in the next message', async () => {
    const worker = (recovery as unknown as { worker: { postMessage(msg: unknown, transfer: unknown[]): void } }).worker
    const inFlight = (recovery as unknown as { inFlight: Map<number, unknown> }).inFlight
    const outAtPost: number[] = []
    const post = worker.postMessage.bind(worker)
    worker.postMessage = (msg, transfer) => {
      outAtPost.push(inFlight.size - 1) // the batch being posted is already counted
      post(msg, transfer)
    }
    try {
      const before = recovery.stats.batches
      // one large batch (tens of ms of recoveries), then three turns of requests while it is out
      const pending = Array.from({ length: 500 }, (_, i) => validator(recovery).decode(signed(TransactionType.FeeMarketEIP1559, keys[i % keys.length], BigInt(i)).serialize()))
      await new Promise((r) => setImmediate(r))
      expect(recovery.stats.batches - before).toBe(1)
      for (let turn = 0; turn < 3; turn++) {
        for (let i = 0; i < 10; i++) pending.push(validator(recovery).decode(signed(TransactionType.FeeMarketEIP1559, keys[3], BigInt(1000 + turn * 10 + i)).serialize()))
        await new Promise((r) => setImmediate(r))
      }
      const decoded = await Promise.all(pending)
      decoded.forEach((d, i) => expect(d.sender.toString()).toBe(bytesToHex(privateToAddress(keys[i < 500 ? i % keys.length : 3]))))
      expect(outAtPost.every((n) => n === 0)).toBe(true) // never a second batch while one is out
      // one message per turn was the old way (4); the three later turns share what follows the first answer
      expect(recovery.stats.batches - before).toBeLessThan(4)
    } finally {
      worker.postMessage = post
    }
  })

  it('answers every request when its worker dies mid-flight, and starts another', async () => {
    // a batch that takes the worker tens of milliseconds, so that it is still out when the worker dies
    const txs = Array.from({ length: 400 }, (_, i) => signed(TransactionType.FeeMarketEIP1559, keys[2], BigInt(i)))
    const pending = txs.map((tx) => validator(recovery).decode(tx.serialize()))
    await new Promise((r) => setImmediate(r)) // the batch is posted
    // asked while the doomed batch is out: they wait behind it, and must not wait forever
    const behind = Array.from({ length: 8 }, (_, i) => validator(recovery).decode(signed(TransactionType.FeeMarketEIP1559, keys[2], BigInt(400 + i)).serialize()))
    await new Promise((r) => setImmediate(r))
    await (recovery as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate()
    const decoded = await Promise.all([...pending, ...behind])
    expect(decoded).toHaveLength(408)
    for (const d of decoded) expect(d.sender.toString()).toBe(bytesToHex(privateToAddress(keys[2])))
    expect(recovery.stats.restarts).toBeGreaterThanOrEqual(1)
  })
})

function bigBytes(n: bigint): Uint8Array {
  const hex = n.toString(16)
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'))
}

describe('journal group commit', () => {
  function poolWith(journalWrite: (added: JournalEntry[], removed: Uint8Array[]) => void | Promise<void>) {
    return new TxPool(testPoolOptions({ validator: validator(), journal: { journalWrite, journalRemove: () => undefined } }))
  }

  it('writes the admissions of one turn in one journal write, before any of them is acknowledged', async () => {
    const writes: number[] = []
    const pool = poolWith((added) => void writes.push(added.length))
    const acked: number[] = []
    const adds = Array.from({ length: 20 }, (_, i) => pool.add(signed(TransactionType.FeeMarketEIP1559, keys[3], BigInt(i)).serialize()).then(() => acked.push(writes.length)))
    await Promise.all(adds)
    expect(writes.reduce((a, b) => a + b, 0)).toBe(20)
    expect(writes.length).toBeLessThanOrEqual(3) // a few turns at most, not one write per transaction
    expect(acked.every((w) => w >= 1)).toBe(true) // every acknowledgement came after a write
  })

  it('a replacement and the row it replaces go in the same write', async () => {
    const log: { added: string[]; removed: string[] }[] = []
    const pool = poolWith((added, removed) => void log.push({ added: added.map((e) => bytesToHex(e.hash)), removed: removed.map(bytesToHex) }))
    const first = createTx({ type: 2, nonce: 0n, gasLimit: 21_000n, to: new Address(new Uint8Array(20)), maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n }, { common }).sign(keys[0])
    const second = createTx({ type: 2, nonce: 0n, gasLimit: 21_000n, to: new Address(new Uint8Array(20)), maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 2n * 10n ** 9n }, { common }).sign(keys[0])
    await pool.add(first.serialize())
    await pool.add(second.serialize())
    expect(log.at(-1)).toEqual({ added: [bytesToHex(second.hash())], removed: [bytesToHex(first.hash())] })
  })

  it('a failed journal write refuses its transactions and leaves the pool without them', async () => {
    const pool = poolWith(() => {
      throw new Error('SQLITE_FULL: database or disk is full')
    })
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => pool.add(signed(TransactionType.FeeMarketEIP1559, keys[1], BigInt(i)).serialize())))
    expect(results.every((r) => r.status === 'rejected' && /SQLITE_FULL/.test(String(r.reason)))).toBe(true)
    expect(pool.size).toBe(0)
  })

  it('so does an asynchronous journal write that rejects, and nothing is acknowledged before it settles', async () => {
    let fail: (err: Error) => void = () => undefined
    const pool = poolWith(() => new Promise<void>((_, reject) => (fail = reject)))
    const adds = Array.from({ length: 5 }, (_, i) => pool.add(signed(TransactionType.FeeMarketEIP1559, keys[2], BigInt(i)).serialize()))
    const settled = Promise.allSettled(adds)
    await new Promise((r) => setTimeout(r, 20))
    expect(pool.size).toBe(5) // admitted, waiting for the write: no answer yet
    fail(new Error('the pool journal thread exited (code 1)'))
    const results = await settled
    expect(results.every((r) => r.status === 'rejected' && /thread exited/.test(String(r.reason)))).toBe(true)
    expect(pool.size).toBe(0)
  })
})
