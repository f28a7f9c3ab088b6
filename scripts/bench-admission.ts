/**
 * Admission alone: how fast each node acknowledges `eth_sendRawTransaction` when it produces no
 * blocks meanwhile, and how much CPU one acknowledgement costs it. scripts/bench-tps.ts measures
 * acks/s while blocks are built on the same cores; this isolates what issue 15's acknowledgement
 * target leaves once execution is taken away, which is what moving block execution to a thread of
 * its own could at best give.
 *
 *   npx tsx scripts/bench-admission.ts [--txs N] [--runs R] [--only ours|anvil|hardhat[,…]]
 *   npm run bench:admission
 *
 * - Nodes: ours (`sequencer/main.ts` with a one-hour block time, its defaults otherwise: sqlite
 *   journal, recovery thread), Anvil with `--no-mining`, Hardhat's node with automine off and no
 *   interval mining. Each run sends N pre-signed ETH transfers (bench-tps's load: 10 dev senders,
 *   32 keep-alive HTTP clients), each run's nonces following the last run's, so the pool grows by
 *   N per run on every node alike. A rejected send leaves a nonce gap that would queue the
 *   transactions after it: `rejected` must be 0.
 * - acks/s: accepted sends per second, first send to last answer.
 * - CPU µs/ack: the node process's CPU time over the sending (all threads, /proc/<pid>/stat),
 *   divided by the acknowledgements; `main` the same for its main thread alone (its first task:
 *   for ours the thread that parses, checks and journals; Anvil and Hardhat spread work over
 *   runtime threads, so theirs says little). `load gen` is this process's CPU per send: all three
 *   share the machine's cores.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { startAnvilNode, startHardhatNode } from './lib/peers.ts'
import {
  CLIENTS,
  cleanup,
  cpuMeter,
  ETH_GAS,
  loadAccounts,
  machine,
  median,
  nonces,
  parseFlags,
  perTx,
  positiveInt,
  presign,
  runMain,
  sendAll,
  startOurNode,
  stopNode,
  type RunningNode,
} from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-admission.ts [--txs N] [--runs R] [--only ours|anvil|hardhat[,…]]'
const NODE_NAMES = ['anvil', 'hardhat', 'ours'] as const
type NodeName = (typeof NODE_NAMES)[number]
/** Our node's block time here: no block is due while the benchmark runs. */
const NO_BLOCKS_MS = 3_600_000

interface Run {
  node: NodeName
  acksPerSecond: number
  rejected: number
  cpuUs: number | undefined
  mainCpuUs: number | undefined
  loadGenCpuUs: number
}

async function startNode(name: NodeName, dataDir: string): Promise<RunningNode<NodeName>> {
  if (name === 'ours') return startOurNode(dataDir, ['--block-time', String(NO_BLOCKS_MS)])
  return name === 'anvil' ? startAnvilNode({ blockTimeMs: undefined }) : startHardhatNode({ blockTimeMs: undefined })
}

async function benchNode(node: RunningNode<NodeName>, txs: number, runs: number): Promise<Run[]> {
  const { senders, recipients } = loadAccounts()
  const out: Run[] = []
  // carried from run to run: Hardhat's `pending` count does not include what its pool holds unmined
  let start = await nonces(node.url, senders, 'latest')
  for (let run = 1; run <= runs; run++) {
    const batch = presign(node.chainId, senders, start, txs, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }))
    start = batch.finalNonces
    const cpu = cpuMeter(node.pid)
    const t = performance.now()
    const sent = await sendAll(node.url, batch.raw, { quiet: true })
    const seconds = (performance.now() - t) / 1000
    const acks = txs - sent.rejected
    const used = cpu.stop()
    const r: Run = {
      node: node.name,
      acksPerSecond: acks / seconds,
      rejected: sent.rejected,
      cpuUs: perTx(used.nodeUs, acks),
      mainCpuUs: perTx(used.nodeMainUs, acks),
      loadGenCpuUs: used.loadGenUs / txs,
    }
    out.push(r)
    console.log(`${node.name} run ${run}/${runs}: ${acks}/${txs} acknowledged in ${seconds.toFixed(2)} s = ${r.acksPerSecond.toFixed(0)} acks/s; CPU per ack: node ${fmt(r.cpuUs)} µs (main thread ${fmt(r.mainCpuUs)}), load generator ${fmt(r.loadGenCpuUs)} µs`)
    for (const e of sent.errors) console.log(`  rejected: ${e}`)
  }
  return out
}

const fmt = (us: number | undefined) => (us === undefined ? '?' : us.toFixed(0))
const pad = (cells: string[]) => cells.map((c, i) => c.padStart(i === 0 ? 8 : 11)).join('  ')

async function main(): Promise<void> {
  let txs = 10_000
  let runs = 3
  let only: NodeName[] = [...NODE_NAMES]
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') txs = positiveInt(flag, value())
    else if (flag === '--runs') runs = positiveInt(flag, value())
    else if (flag === '--only') {
      const names = value().split(',')
      for (const n of names) if (!NODE_NAMES.includes(n as NodeName)) throw new Error(`--only takes ${NODE_NAMES.join(', ')} (got ${n})`)
      only = NODE_NAMES.filter((n) => names.includes(n))
    } else return false
    return true
  })
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-admission-'))
  cleanup.tempDirs.add(tempDir)
  const results: Run[] = []
  for (const name of only) {
    const node = await startNode(name, path.join(tempDir, name))
    results.push(...(await benchNode(node, txs, runs)))
    await stopNode(node)
  }

  console.log(`\nMachine: ${machine()}`)
  console.log(`Load: ${txs} ETH transfers per run, ${CLIENTS} HTTP clients, no blocks produced; medians of ${runs} run(s)`)
  console.log(pad(['node', 'acks/s', 'CPU µs/ack', 'main µs/ack', 'load gen µs']))
  const medians = new Map<NodeName, Run>()
  for (const name of only) {
    const rs = results.filter((r) => r.node === name)
    const m = (f: (r: Run) => number | undefined) => {
      const xs = rs.map(f).filter((x) => x !== undefined)
      return xs.length === rs.length ? median(xs) : undefined
    }
    const row: Run = { node: name, acksPerSecond: median(rs.map((r) => r.acksPerSecond)), rejected: 0, cpuUs: m((r) => r.cpuUs), mainCpuUs: m((r) => r.mainCpuUs), loadGenCpuUs: median(rs.map((r) => r.loadGenCpuUs)) }
    medians.set(name, row)
    console.log(pad([name, row.acksPerSecond.toFixed(0), fmt(row.cpuUs), fmt(row.mainCpuUs), fmt(row.loadGenCpuUs)]))
  }
  const ours = medians.get('ours')
  for (const peer of ['anvil', 'hardhat'] as const) {
    const theirs = medians.get(peer)
    if (ours === undefined || theirs === undefined) continue
    const cpu = ours.cpuUs !== undefined && theirs.cpuUs !== undefined ? `, CPU per ack ${(ours.cpuUs / theirs.cpuUs).toFixed(2)}× theirs` : ''
    console.log(`ratio ours/${peer}: acks/s ${(ours.acksPerSecond / theirs.acksPerSecond).toFixed(2)}× (issue 15's target, with blocks: 1.2× Anvil)${cpu}`)
  }
}

runMain('bench-admission', main, { onSignal: 'stopping nodes...' })
