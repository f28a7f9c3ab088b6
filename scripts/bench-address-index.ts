/**
 * What the explorer's address index (sequencer/store/schema.ts address_txs) costs block
 * production: Store.commitBlock of full blocks of ETH transfers (2,857 transactions: the 60M gas
 * limit at 21,000 gas each) with the index, and with its insert statement replaced by a no-op
 * (reaching into the store's prepared statements, for this measurement only), on a fresh sqlite
 * file each, alternating; medians of the blocks after the first two.
 *
 *   npx tsx scripts/bench-address-index.ts [--blocks N] [--rounds R]
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Store, type TxRow } from '../sequencer/store/store.ts'
import { machine, median, parseFlags, positiveInt, runMain } from './lib/load.ts'

const USAGE = `usage: npx tsx scripts/bench-address-index.ts [--blocks N] [--rounds R]
  --blocks N   blocks committed per measurement (default 12; the first 2 are not counted)
  --rounds R   measurements each way (default 3)`
const TXS_PER_BLOCK = 2857

/** Per-block commit times in ms (the first two blocks dropped), on a fresh store. */
function commitTimes(blocks: number, withIndex: boolean): number[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-address-index-'))
  try {
    const store = new Store(path.join(dir, 'chain.sqlite'))
    if (!withIndex) (store as unknown as { stmts: { putAddressTx: { run: () => void } } }).stmts.putAddressTx = { run: () => undefined }
    const senders = Array.from({ length: 10 }, () => randomBytes(20))
    const times: number[] = []
    for (let b = 0; b < blocks; b++) {
      const txs: TxRow[] = Array.from({ length: TXS_PER_BLOCK }, (_, i) => ({
        hash: randomBytes(32), blockNumber: b, txIndex: i, raw: randomBytes(110), sender: senders[i % senders.length], status: 1, gasUsed: 21_000,
        cumulativeGasUsed: 21_000 * (i + 1), effectiveGasPrice: 1n, contractAddress: null, firstLogIndex: 0, logCount: 0, to: randomBytes(20),
      }))
      const started = performance.now()
      store.commitBlock({ block: { number: b, hash: randomBytes(32), header: randomBytes(500), size: 1, txCount: TXS_PER_BLOCK }, txs, logs: [], trieNodes: new Map() })
      times.push(performance.now() - started)
    }
    store.close()
    return times.slice(2)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const opts = { blocks: 12, rounds: 3 }
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--blocks') opts.blocks = Math.max(3, positiveInt(flag, value()))
    else if (flag === '--rounds') opts.rounds = positiveInt(flag, value())
    else return false
    return true
  })
  const without: number[] = []
  const withIndex: number[] = []
  for (let r = 0; r < opts.rounds; r++) {
    without.push(...commitTimes(opts.blocks, false))
    withIndex.push(...commitTimes(opts.blocks, true))
  }
  const [a, b] = [median(without), median(withIndex)]
  console.log(`commit of a block of ${TXS_PER_BLOCK} transfers: ${a.toFixed(1)} ms without the address index, ${b.toFixed(1)} ms with it: ${(((b - a) * 1000) / TXS_PER_BLOCK).toFixed(1)} µs per transaction (medians of ${without.length} blocks each)`)
  console.log(`Machine: ${machine()}`)
}

runMain('bench-address-index', main, { onSignal: 'stopping' })
