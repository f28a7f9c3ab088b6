/**
 * What a block's two ordered tries (transactions and receipts, sequencer/builder/tries.ts) cost
 * its seal, on the main thread, per transaction: `orderedTrieRoot` over N random values of a
 * transfer's size and N of a receipt's, repeated; median and fastest of the repetitions.
 *
 *   npx tsx scripts/bench-tries.ts [--txs N] [--rounds R]
 *
 * Defaults: 2,857 transactions (a full block of ETH transfers at the 60M gas limit), 30 rounds.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { orderedTrieRoot } from '../sequencer/builder/tries.ts'
import { keccakReady } from '../sequencer/chain/crypto.ts'
import { median, parseFlags, positiveInt, runMain } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-tries.ts [--txs N] [--rounds R]'
/** A signed EIP-1559 transfer's bytes, and its receipt's (status, gas, a 256-byte bloom, no logs). */
const TX_BYTES = 110
const RECEIPT_BYTES = 270

async function main(): Promise<void> {
  const opts = { txs: 2_857, rounds: 30 }
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') opts.txs = positiveInt(flag, value())
    else if (flag === '--rounds') opts.rounds = positiveInt(flag, value())
    else return false
    return true
  })
  await keccakReady
  const txs = Array.from({ length: opts.txs }, () => randomBytes(TX_BYTES))
  const receipts = Array.from({ length: opts.txs }, () => randomBytes(RECEIPT_BYTES))
  const perTx: number[] = []
  for (let r = 0; r < opts.rounds; r++) {
    const started = performance.now()
    orderedTrieRoot(txs)
    orderedTrieRoot(receipts)
    perTx.push(((performance.now() - started) * 1000) / opts.txs)
  }
  console.log(`orderedTrieRoot of ${opts.txs} transactions and their receipts: ${median(perTx).toFixed(2)} µs per transaction (median of ${opts.rounds}), fastest ${Math.min(...perTx).toFixed(2)} µs`)
}

runMain('bench-tries', main, { onSignal: 'stopping' })
