/**
 * The heaviest transaction a stranger can send, per unit of gas, against our node and Anvil:
 * a creation whose init code loops STATICCALLs to a contract that only STOPs (130 gas a lap; the
 * most CPU per gas found in @ethereumjs, about 0.3 µs a unit). What it costs each node, and
 * whether the node keeps answering while it executes.
 *
 *   npx tsx scripts/bench-heavy-tx.ts [--gas N] [--loops K] [--only ours|anvil[,…]]
 *   npm run bench:heavy-tx
 *
 * Each node runs as its own child process with 1 s blocks and the 60M block gas limit (the same
 * start as scripts/bench-tps.ts). Dev account 0 deploys the STOP contract, then dev accounts 0..9
 * send K loops (default 1) in turn, each with N gas (default 30,000,000), all in one JSON-RPC batch.
 * Meanwhile one client calls `eth_blockNumber` every 20 ms, and the node's RSS is sampled every
 * 100 ms. Printed per node: the time from the send to the first and to the last receipt, the
 * blocks the loops landed in, the worst `eth_blockNumber` round trip over that time, how many of
 * those calls and of the receipt polls failed (connections reset), and the node's peak RSS.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { getContractAddress, type Hex } from 'viem'
import { callLoop, STOPPER_INIT } from './lib/call-loop.ts'
import { startAnvilNode } from './lib/peers.ts'
import { BLOCK_TIME_MS, devAccounts, machine, parseFlags, positiveInt, post, rpc, rssMb, runMain, signTx, sleep, startOurNode, stopNode, type RunningNode } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-heavy-tx.ts [--gas N] [--loops K] [--only ours|anvil[,…]]'
const NODES = ['ours', 'anvil'] as const
type NodeName = (typeof NODES)[number]
const POLL_MS = 20
const RSS_EVERY_MS = 100

interface Result {
  firstMinedMs: number
  minedMs: number
  blocks: number
  /** Every loop ran out of gas having used all of it. */
  allSpent: boolean
  worstRpcMs: number
  answers: number
  /** eth_blockNumber calls and receipt polls that failed (connection reset, timeout). */
  failures: number
  peakRssMb: number | undefined
}

/** Polls for a receipt; a failed poll (a connection the stalled node reset) is counted and retried. */
interface Receipt {
  status: string
  gasUsed: Hex
  blockNumber: Hex
}

async function receipt(url: string, hash: Hex, failed = { count: 0 }): Promise<Receipt> {
  for (;;) {
    try {
      const r = await rpc<Receipt | null>(url, 'eth_getTransactionReceipt', [hash], 120_000)
      if (r !== null) return r
    } catch {
      failed.count++
    }
    await sleep(POLL_MS)
  }
}

async function measure(node: RunningNode, gas: bigint, loops: number): Promise<Result> {
  // Anvil funds the first 10 dev accounts: more loops than that take turns among them
  const senders = devAccounts(Math.min(loops, 10))
  const nonces = await Promise.all(senders.map(async (s) => Number(await rpc<Hex>(node.url, 'eth_getTransactionCount', [s.address, 'latest']))))
  const stopper = getContractAddress({ from: senders[0].address, nonce: BigInt(nonces[0]) })
  await receipt(node.url, await rpc<Hex>(node.url, 'eth_sendRawTransaction', [signTx(senders[0], { chainId: node.chainId, nonce: nonces[0]++, data: STOPPER_INIT, gas: 100_000n })]))
  const data = callLoop(stopper)
  const batch = Array.from({ length: loops }, (_, i) => {
    const k = i % senders.length
    return { jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [signTx(senders[k], { chainId: node.chainId, nonce: nonces[k]++, data, gas })] }
  })

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
    const replies = JSON.parse(await post(node.url, JSON.stringify(batch), 120_000)) as { id: number; result?: Hex; error?: { message: string } }[]
    const hashes = replies.map((a) => {
      if (a.result === undefined) throw new Error(`a loop was refused: ${a.error?.message}`)
      return a.result
    })
    const failed = { count: 0 }
    let firstMinedMs = Number.POSITIVE_INFINITY
    const receipts = await Promise.all(hashes.map(async (hash) => {
      const r = await receipt(node.url, hash, failed)
      firstMinedMs = Math.min(firstMinedMs, performance.now() - start)
      return r
    }))
    failures += failed.count
    return {
      firstMinedMs,
      minedMs: performance.now() - start,
      blocks: new Set(receipts.map((r) => r.blockNumber)).size,
      allSpent: receipts.every((r) => r.status === '0x0' && BigInt(r.gasUsed) === gas),
      worstRpcMs,
      answers,
      failures,
      peakRssMb,
    }
  } finally {
    done = true
    clearInterval(sampler)
    await poller
  }
}

async function main(): Promise<void> {
  let gas = 30_000_000n
  let loops = 1
  let only: NodeName[] = [...NODES]
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--gas') gas = BigInt(positiveInt(flag, value()))
    else if (flag === '--loops') loops = positiveInt(flag, value())
    else if (flag === '--only') {
      only = value().split(',') as NodeName[]
      for (const n of only) if (!NODES.includes(n)) throw new Error(`--only takes ${NODES.join(', ')}, not ${n}`)
    } else return false
    return true
  })
  console.log(machine())
  console.log(`${loops} creation(s) looping STATICCALLs to a STOP contract, ${gas} gas each, in one batch; ${BLOCK_TIME_MS} ms blocks; eth_blockNumber every ${POLL_MS} ms meanwhile`)
  const columns = ['node', 'first mined', 'last mined', 'blocks', 'all gas spent', 'worst eth_blockNumber', 'answers', 'failed', 'peak RSS']
  const widths = [6, 12, 11, 7, 14, 22, 8, 7, 9]
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join(' ')
  console.log(line(columns))
  for (const name of only) {
    const node = name === 'ours' ? await startOurNode(mkdtempSync(path.join(os.tmpdir(), 'bench-heavy-'))) : await startAnvilNode({ blockTimeMs: BLOCK_TIME_MS })
    try {
      const r = await measure(node, gas, loops)
      const ms = (x: number) => `${Math.round(x)} ms`
      console.log(line([name, ms(r.firstMinedMs), ms(r.minedMs), String(r.blocks), r.allSpent ? 'yes' : 'NO', ms(r.worstRpcMs), String(r.answers), String(r.failures), r.peakRssMb === undefined ? 'n/a' : `${Math.round(r.peakRssMb)} MB`]))
    } finally {
      await stopNode(node)
    }
  }
}

runMain('bench-heavy-tx', main, { onSignal: 'bench-heavy-tx: interrupted' })
