/**
 * The heaviest transaction a stranger can send, per unit of gas, against our node and Anvil:
 * a creation whose init code loops STATICCALLs to a contract that only STOPs (130 gas a lap; the
 * most CPU per gas found in @ethereumjs, about 0.3 µs a unit). What it costs each node, and
 * whether the node keeps answering while it executes.
 *
 *   npx tsx scripts/bench-heavy-tx.ts [--gas N] [--only ours|anvil[,…]]
 *   npm run bench:heavy-tx
 *
 * Each node runs as its own child process with 1 s blocks and the 60M block gas limit (the same
 * start as scripts/bench-tps.ts). Dev account 0 deploys the STOP contract, then sends the loop
 * with N gas (default 30,000,000). Meanwhile one client calls `eth_blockNumber` every 20 ms, and
 * the node's RSS is sampled every 100 ms. Printed per node: the time from the send to the
 * receipt, the worst `eth_blockNumber` round trip over that time, how many of those calls and of
 * the receipt polls failed (connections reset), and the node's peak RSS.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { getContractAddress, type Hex } from 'viem'
import { startAnvilNode } from './lib/peers.ts'
import { BLOCK_TIME_MS, devAccounts, machine, parseFlags, positiveInt, rpc, rssMb, runMain, signTx, sleep, startOurNode, stopNode, type RunningNode } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-heavy-tx.ts [--gas N] [--only ours|anvil[,…]]'
const NODES = ['ours', 'anvil'] as const
type NodeName = (typeof NODES)[number]
/** Init code returning the one-byte runtime code STOP. */
const STOPPER_INIT = '0x6001600c60003960016000f300'
const POLL_MS = 20
const RSS_EVERY_MS = 100

interface Result {
  minedMs: number
  status: string
  gasUsed: bigint
  worstRpcMs: number
  answers: number
  /** eth_blockNumber calls and receipt polls that failed (connection reset, timeout). */
  failures: number
  peakRssMb: number | undefined
}

/** Polls for a receipt; a failed poll (a connection the stalled node reset) is counted and retried. */
async function receipt(url: string, hash: Hex, failed = { count: 0 }): Promise<{ status: string; gasUsed: Hex }> {
  for (;;) {
    try {
      const r = await rpc<{ status: string; gasUsed: Hex } | null>(url, 'eth_getTransactionReceipt', [hash], 120_000)
      if (r !== null) return r
    } catch {
      failed.count++
    }
    await sleep(POLL_MS)
  }
}

async function measure(node: RunningNode, gas: bigint): Promise<Result> {
  const [sender] = devAccounts(1)
  const nonce = Number(await rpc<Hex>(node.url, 'eth_getTransactionCount', [sender.address, 'latest']))
  const stopper = getContractAddress({ from: sender.address, nonce: BigInt(nonce) })
  await receipt(node.url, await rpc<Hex>(node.url, 'eth_sendRawTransaction', [signTx(sender, { chainId: node.chainId, nonce, data: STOPPER_INIT, gas: 100_000n })]))
  const loop = signTx(sender, { chainId: node.chainId, nonce: nonce + 1, data: `0x5b600060006000600073${stopper.slice(2)}5afa50600056`, gas })

  let done = false
  let worstRpcMs = 0
  let answers = 0
  let failures = 0
  let peakRssMb = rssMb(node.pid)
  const poller = (async () => {
    while (!done) {
      const t = performance.now()
      try {
        await rpc(node.url, 'eth_blockNumber', [], 120_000)
        answers++
      } catch {
        failures++
      }
      worstRpcMs = Math.max(worstRpcMs, performance.now() - t)
      await sleep(POLL_MS)
    }
  })()
  const sampler = setInterval(() => {
    const rss = rssMb(node.pid)
    if (rss !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, rss)
  }, RSS_EVERY_MS)
  try {
    const start = performance.now()
    const hash = await rpc<Hex>(node.url, 'eth_sendRawTransaction', [loop])
    const failed = { count: 0 }
    const r = await receipt(node.url, hash, failed)
    failures += failed.count
    return { minedMs: performance.now() - start, status: r.status, gasUsed: BigInt(r.gasUsed), worstRpcMs, answers, failures, peakRssMb }
  } finally {
    done = true
    clearInterval(sampler)
    await poller
  }
}

async function main(): Promise<void> {
  let gas = 30_000_000n
  let only: NodeName[] = [...NODES]
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--gas') gas = BigInt(positiveInt(flag, value()))
    else if (flag === '--only') {
      only = value().split(',') as NodeName[]
      for (const n of only) if (!NODES.includes(n)) throw new Error(`--only takes ${NODES.join(', ')}, not ${n}`)
    } else return false
    return true
  })
  console.log(machine())
  console.log(`A creation looping STATICCALLs to a STOP contract with ${gas} gas; ${BLOCK_TIME_MS} ms blocks; eth_blockNumber every ${POLL_MS} ms meanwhile`)
  console.log(`${'node'.padStart(6)} ${'mined after'.padStart(12)} ${'status'.padStart(7)} ${'gas used'.padStart(11)} ${'worst eth_blockNumber'.padStart(22)} ${'answers'.padStart(8)} ${'failed'.padStart(7)} ${'peak RSS'.padStart(9)}`)
  for (const name of only) {
    const node = name === 'ours' ? await startOurNode(mkdtempSync(path.join(os.tmpdir(), 'bench-heavy-'))) : await startAnvilNode({ blockTimeMs: BLOCK_TIME_MS })
    try {
      const r = await measure(node, gas)
      const rss = r.peakRssMb === undefined ? 'n/a' : `${Math.round(r.peakRssMb)} MB`
      console.log(`${name.padStart(6)} ${`${Math.round(r.minedMs)} ms`.padStart(12)} ${r.status.padStart(7)} ${String(r.gasUsed).padStart(11)} ${`${Math.round(r.worstRpcMs)} ms`.padStart(22)} ${String(r.answers).padStart(8)} ${String(r.failures).padStart(7)} ${rss.padStart(9)}`)
    } finally {
      await stopNode(node)
    }
  }
}

runMain('bench-heavy-tx', main, { onSignal: 'bench-heavy-tx: interrupted' })
