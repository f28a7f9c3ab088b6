/**
 * The block commit's cost on the main thread as the chain grows: `Store.commitBlock` of blocks of
 * mined-transaction rows (the `txs` table, as the builder writes it), on a fresh data dir with the
 * node's own checkpoint thread and the explorer's address index following the chain on its own
 * thread (sequencer/store/address-index.ts), as in the node; timed per block and reported as
 * microseconds per transaction over successive windows of the chain, with how far the address
 * index trailed. Run it in a worktree of another commit to compare layouts (README "Measured
 * figures").
 *
 *   npx tsx scripts/bench-store.ts [--blocks N] [--txs-per-block T] [--raw-bytes B] [--windows W]
 *
 * Defaults: 200 blocks of 1,000 transactions of 347 bytes (a credit-model inference call), in 4
 * windows. The rows are random (hashes, senders, recipients among 1,000 addresses, the rest of a
 * transaction's RLP random bytes), so their index inserts land where a real chain's would.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { RLP } from '@ethereumjs/rlp'
import { Store, type TxRow } from '../sequencer/store/store.ts'
import { AddressIndex } from '../sequencer/store/address-index.ts'
import { median, parseFlags, positiveInt, runMain } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-store.ts [--blocks N] [--txs-per-block T] [--raw-bytes B] [--windows W]'

async function main(): Promise<void> {
  const opts = { blocks: 200, txsPerBlock: 1_000, rawBytes: 347, windows: 4 }
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--blocks') opts.blocks = positiveInt(flag, value())
    else if (flag === '--txs-per-block') opts.txsPerBlock = positiveInt(flag, value())
    else if (flag === '--raw-bytes') opts.rawBytes = positiveInt(flag, value())
    else if (flag === '--windows') opts.windows = positiveInt(flag, value())
    else return false
    return true
  })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-store-'))
  const store = new Store(path.join(dir, 'chain.sqlite'))
  const checkpointer = store.checkpointOnThread()
  const addresses = Array.from({ length: 1_000 }, () => randomBytes(20))
  const perTx: number[] = []
  const index = new AddressIndex(path.join(dir, 'addresses.sqlite'), store.path)
  const lag: number[] = []
  let caughtUpMs = 0
  try {
    for (let number = 1; number <= opts.blocks; number++) {
      const txs: TxRow[] = Array.from({ length: opts.txsPerBlock }, (_, i) => ({
        hash: randomBytes(32),
        blockNumber: number,
        txIndex: i,
        raw: rawTo(addresses[(number * 13 + i * 3) % addresses.length], opts.rawBytes),
        sender: addresses[(number * 7 + i) % addresses.length],
        status: 1,
        gasUsed: 30_000,
        cumulativeGasUsed: 30_000 * (i + 1),
        effectiveGasPrice: 1_000_000_007n,
        contractAddress: null,
        firstLogIndex: 0,
        logCount: 0,
      }))
      const block = { number, hash: randomBytes(32), header: randomBytes(520), size: 520 + opts.txsPerBlock * opts.rawBytes, txCount: txs.length }
      const started = performance.now()
      store.commitBlock({ block, txs, logs: [], trieNodes: new Map() })
      perTx.push(((performance.now() - started) * 1000) / txs.length)
      lag.push(number - 1 - index.indexedThrough()) // blocks behind when the next one is sealed
      index.follow(number)
      // the node's cadence leaves the checkpoint thread time between blocks; so does this
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await checkpointer.settled()
    const started = performance.now()
    if (!(await index.caughtUp(opts.blocks, 600_000))) throw new Error('the address index did not catch up')
    caughtUpMs = performance.now() - started
  } finally {
    await index.close()
    await checkpointer.close()
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
  const per = Math.ceil(opts.blocks / opts.windows)
  console.log(`Store.commitBlock, ${opts.txsPerBlock} transactions of ${opts.rawBytes} bytes a block: median µs per transaction by chain window`)
  for (let w = 0; w * per < opts.blocks; w++) {
    const first = w * per
    const last = Math.min(opts.blocks, first + per)
    console.log(`  transactions ${(first * opts.txsPerBlock).toLocaleString('en-US')}–${(last * opts.txsPerBlock).toLocaleString('en-US')}: ${median(perTx.slice(first, last)).toFixed(1)} µs; address index at most ${Math.max(...lag.slice(first, last))} blocks behind`)
  }
  console.log(`address index: caught up ${caughtUpMs.toFixed(0)} ms after the last commit`)
}

/** A legacy transaction's RLP with recipient `to`, padded to about `bytes` with random data. */
function rawTo(to: Uint8Array, bytes: number): Uint8Array {
  return RLP.encode([1, 1_000_000_007, 30_000, to, 0, randomBytes(Math.max(0, bytes - 60)), 27, randomBytes(32), randomBytes(32)])
}

runMain('bench-store', main, { onSignal: 'stopping' })
