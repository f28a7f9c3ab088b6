/**
 * How long from a transaction's receipt on L2 to its block being `finalized`, on the devnet with
 * one validator (fast finality by attestation)?
 *
 *   npx tsx scripts/bench-finality.ts [--txs N] [--validators N] [--l1-block-time S]
 *
 * Runs `npm start`'s devnet (scripts/devnet.ts) as a child on a temp data dir and free ports, with
 * its own defaults (2 s L1 blocks, batches closed after 2 s, 30 s challenge window) unless told
 * otherwise, waits until its validator has joined, then sends N transfers one after another. For
 * each: the clock starts when its receipt is read from the sequencer and stops when the
 * validator node's `finalized` head (RollupAnchor.isFinal, which follows attestations) reaches the
 * receipt's block. Prints the median, min and max; the figure goes to the README.
 */
import { performance } from 'node:perf_hooks'
import { privateKeyToAccount } from 'viem/accounts'
import { parseGwei, type Hex } from 'viem'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { machine, median, parseFlags, positiveInt, rpc, sleep, waitReceipt } from './lib/load.ts'
import { startDevnetChild } from './lib/devnet-child.ts'

const USAGE = 'usage: npx tsx scripts/bench-finality.ts [--txs N] [--validators N] [--l1-block-time S]   (defaults 10, 1, 2)'

async function main(): Promise<void> {
  let txs = 10
  let validators = 1
  let l1BlockTime = 2
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') txs = positiveInt(flag, value())
    else if (flag === '--validators') validators = positiveInt(flag, value())
    else if (flag === '--l1-block-time') l1BlockTime = positiveInt(flag, value())
    else return false
    return true
  })
  const devnet = await startDevnetChild('bench-finality', ['--l1-block-time', String(l1BlockTime), '--validators', String(validators)])
  const output = devnet.output
  try {
    const l2 = devnet.url
    const validator = `http://127.0.0.1:${devnet.port + 1}`
    // the validator must be staked before the batches it is to attest are posted
    for (let i = 0; ; i++) {
      const status = await rpc<{ stakeWei: string | null }>(validator, 'validator_getStatus').catch(() => undefined)
      if (status?.stakeWei !== undefined && status.stakeWei !== null && status.stakeWei !== '0') break
      if (i > 300) throw new Error(`the validator did not join:\n${output()}`)
      await sleep(100)
    }
    const sender = privateKeyToAccount(ANVIL_PRIVATE_KEYS[2])
    const chainId = Number(await rpc<Hex>(l2, 'eth_chainId'))
    let nonce = Number(await rpc<Hex>(l2, 'eth_getTransactionCount', [sender.address, 'latest']))
    const samples: number[] = []
    for (let i = 0; i < txs; i++) {
      const raw = await sender.signTransaction({ type: 'eip1559', chainId, nonce: nonce++, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: privateKeyToAccount(ANVIL_PRIVATE_KEYS[3]).address, value: 1n })
      const hash = await rpc<Hex>(l2, 'eth_sendRawTransaction', [raw])
      const receipt = await waitReceipt(l2, hash, 'a transfer', 20)
      const t0 = performance.now()
      const block = Number((receipt as unknown as { blockNumber: Hex }).blockNumber)
      for (;;) {
        const finalized = await rpc<{ number: Hex } | null>(validator, 'eth_getBlockByNumber', ['finalized', false])
        if (finalized !== null && Number(finalized.number) >= block) break
        if (performance.now() - t0 > 120_000) throw new Error(`block ${block} not finalized after 120 s:\n${output().slice(-3000)}`)
        await sleep(50)
      }
      samples.push((performance.now() - t0) / 1000)
      console.log(`tx ${i + 1}/${txs}: block ${block} finalized ${samples[i].toFixed(2)} s after its receipt`)
    }
    const sorted = [...samples].sort((a, b) => a - b)
    console.log(`\n${machine(`devnet: ${l1BlockTime} s L1 blocks, batches after 2 s, ${validators} validator(s), attest after 1 L1 confirmation`)}`)
    console.log(`receipt → finalized: median ${median(samples).toFixed(2)} s, min ${sorted[0].toFixed(2)} s, max ${sorted[sorted.length - 1].toFixed(2)} s over ${txs} transfers (challenge window ${/challenge window (\d+) s/.exec(output())?.[1] ?? '?'} s)`)
  } finally {
    await devnet.stop()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
