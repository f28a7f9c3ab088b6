/**
 * End-to-end TPS benchmark: our L2 node against Anvil and Hardhat's own node (EDR), in the same
 * run, on the same machine, with the same load.
 *
 *   npx tsx scripts/bench-tps.ts [--txs N] [--workload eth|erc20|infer[,…]] [--runs R]
 *                                [--only ours|anvil|hardhat[,…]] [--rss-txs N] [--l1] [--no-latency]
 *                                [--heavy-calls C]
 *   npm run bench:tps -- --txs 20000
 *
 * What is measured
 * - Each node runs as its own child process with 1 s blocks and a 60,000,000 block gas limit.
 *   Anvil: the binary of the npm package the devnet uses, `--block-time 1 --gas-limit 60000000`.
 *   Hardhat: `hardhat node` with automine off and interval mining at 1000 ms (it rejects nonce gaps
 *   while automining). Ours: `sequencer/main.ts --block-time 1000` on a fresh temp data dir.
 * - acks/s: accepted `eth_sendRawTransaction` per second over the sending phase alone (admission;
 *   ours acknowledges only once the transaction is in its sqlite journal).
 * - CPU µs/tx: the CPU time the node's process used over the run (all its threads, user plus
 *   system, from /proc/<pid>/stat), divided by the run's transactions; each run's line also gives
 *   the load generator's own. The load generator and the node share the machine's cores, so this
 *   cost, not one thread's speed, is what bounds acks/s and TPS once every core is busy; it is also
 *   far less noisy than the rates.
 * - --heavy-calls C: C more clients call `eth_call` in a loop during every run, each a creation
 *   call whose init code is an endless JUMP loop (`0x5b600056`) with 50,000,000 gas, which every
 *   node runs (no state overrides). A loop of calls costs more CPU per gas (bench-heavy-tx.ts)
 *   and meets our 5 s deadline instead of running out of gas. Printed: the calls answered and their median time, and the TPS
 *   beside the same node's without them (run once with and once without to compare).
 * - Latency (unless --no-latency): after a workload's runs, LATENCY_SECONDS of steady load at half
 *   that node's median TPS; median and p95 from each send to the block holding it being visible.
 * - The load is N transactions pre-signed before the clock starts (EIP-1559, 1000 gwei max fee,
 *   1 gwei tip), round-robin from dev accounts 0..9 to fixed recipients 10..19:
 *   `eth` = 1 wei transfers (gas 21000); `erc20` = ExampleToken `transfer(recipient, 1)` (gas 60000)
 *   on a token deployed and distributed to the senders before the clock starts; `infer` (ours
 *   only: the peers have no inference precompile) = one `infer(creditModelId, input)` call to
 *   0x…a1 per transaction, the credit-risk model registered first (scripts/lib/inference-load.ts,
 *   as bench-inference.ts part 3), its TPS printed as a ratio of our own ETH transfers' (target
 *   ≥ 0.70). --workload takes a comma-separated list; all three by default, `both` = eth,erc20.
 * - 32 concurrent keep-alive HTTP clients share one queue and send `eth_sendRawTransaction`.
 *   The clock starts at the first send and stops when every sender's `latest` nonce equals its
 *   expected final nonce (polled every 100 ms). TPS = txs / seconds, so it includes admission,
 *   block building, execution and persistence — everything up to "mined and visible over RPC".
 *
 * How to read it
 * - The load generator shares the CPU with the node under test (2 cores here), so absolute figures
 *   depend on the machine; only the ratio ours/hardhat from the same run is meaningful.
 * - With 1 s blocks, the end of the run is quantised to a block boundary (plus ≤100 ms of polling):
 *   small --txs values understate TPS for both nodes. Use ≥5000 per workload.
 * - `rejected` must be 0. A rejected send leaves a nonce gap, the run stalls, and it is reported as
 *   incomplete (TPS then counts only the transactions that were mined).
 * - Every run prints its largest block (transactions, bytes). A block is bounded by gas and by
 *   the per-block data limit (sequencer.maxBlockBytes, 2,000,000 bytes: README "Batch format"),
 *   no longer by one L1 transaction's 120,000 bytes.
 * - --l1 gives our node an Anvil L1 with the rollup's contracts and its batcher (blobs), and after
 *   each run waits until every block of it is posted, printing the batches and L1 transactions:
 *   the largest block goes to L1 as any other (in a channel of as many frames as it needs).
 * - --rss-txs N sends N more ETH transfers to a fresh instance of our node, in chunks of 20k at
 *   RSS_RATE (1,250 tx/s: under half the gas limit, so the base fee stays at its floor), and prints
 *   its resident memory (VmRSS) at start, after every chunk and at the end.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { encodeDeployData, encodeFunctionData, keccak256, toHex, type Abi, type Address, type Hex } from 'viem'
import { startAnvilNode, startHardhatNode } from './lib/peers.ts'
import { startRollupL1 } from './lib/rollup-l1.ts'
import { prepareInferenceLoad } from './lib/inference-load.ts'
import {
  BLOCK_GAS_LIMIT,
  BLOCK_TIME_MS,
  CLIENTS,
  cleanup,
  cpuMeter,
  ETH_GAS,
  loadAccounts,
  loadArtifact,
  ERC20_GAS,
  TOKEN_ARTIFACT,
  TOKEN_DEPLOY_GAS,
  machine,
  measure,
  median,
  nonces,
  OUR_MAIN,
  parseFlags,
  perTx,
  positiveInt,
  presign,
  rpc,
  rssMb,
  runMain,
  SENDER_COUNT,
  signTx,
  sleep,
  sendAll,
  waitMined,
  type Batch,
  startOurNode,
  stopNode,
  verifySignatures,
  waitReceipt,
  type Measured,
  type Payload,
  type RunningNode,
  type Sender,
} from './lib/load.ts'

// ---------------------------------------------------------------------------------------------
// Constants (the load's own are in scripts/lib/load.ts)

const RSS_CHUNK = 20_000
/**
 * The memory phase's sending rate: under half the gas limit's worth of transfers per block
 * (60M / 21,000 / 2 = 1,428), so the base fee stays at its floor. Full blocks raise it 12.5% per
 * block (EIP-1559): at full speed it passes the pre-signed 1,000 gwei fee cap after about 60 blocks
 * and every later transfer waits in the pool, on any EIP-1559 chain.
 */
const RSS_RATE = 1_250

type NodeName = 'anvil' | 'hardhat' | 'ours'
const NODE_NAMES: readonly NodeName[] = ['anvil', 'hardhat', 'ours']
type Workload = 'eth' | 'erc20' | 'infer'
const WORKLOADS: readonly Workload[] = ['eth', 'erc20', 'infer']
/** Issue 15: one-inference transactions at least this fraction of our own ETH-transfer TPS. */
const INFER_RATIO_TARGET = 0.7

interface Options {
  txs: number
  workloads: Workload[]
  nodes: NodeName[]
  runs: number
  rssTxs: number
  l1: boolean
  latency: boolean
  /** Clients hammering a 50M-gas eth_call loop during every run (reads must not stall the sequencer). */
  heavyCalls: number
}

interface RunResult extends Measured {
  node: NodeName
  workload: Workload
  largest: { number: number; txs: number; bytes: number }
  /** CPU the node used per transaction over the run (all its threads, sending and mining), in µs. */
  nodeCpuUs: number | undefined
  /** CPU this process (the load generator) used per transaction over the run, in µs. */
  clientCpuUs: number
}

interface LatencyResult {
  node: NodeName
  workload: Workload
  /** Transactions per second sent: half the node's median TPS of the same workload. */
  rate: number
  count: number
  /** Milliseconds from the send to the first sight of the block holding it. */
  median: number
  p95: number
}

/** Seconds of steady load in the latency phase. */
const LATENCY_SECONDS = 10
/** How often the latency phase looks for new blocks (ms): the figures are this coarse. */
const LATENCY_POLL_MS = 20

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = 'usage: npx tsx scripts/bench-tps.ts [--txs N] [--workload eth|erc20|infer[,…]] [--runs R] [--only ours|anvil|hardhat[,…]] [--rss-txs N] [--l1] [--no-latency] [--heavy-calls C]'

function parseArgs(argv: string[]): Options {
  const opts: Options = { txs: 10_000, workloads: [...WORKLOADS], nodes: [...NODE_NAMES], runs: 1, rssTxs: 0, l1: false, latency: true, heavyCalls: 0 }
  parseFlags(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--l1': opts.l1 = true; break
      case '--no-latency': opts.latency = false; break
      case '--heavy-calls': opts.heavyCalls = positiveInt(flag, value()); break
      case '--txs': opts.txs = positiveInt(flag, value()); break
      case '--runs': opts.runs = positiveInt(flag, value()); break
      case '--rss-txs': opts.rssTxs = positiveInt(flag, value()); break
      case '--workload': {
        // `both`, the transfers alone, as before the inference workload joined them
        const names = value().split(',').flatMap((w) => (w === 'both' ? ['eth', 'erc20'] : [w]))
        for (const w of names) if (!WORKLOADS.includes(w as Workload)) throw new Error(`--workload takes ${WORKLOADS.join(', ')}, both, or a comma-separated list (got ${w})`)
        opts.workloads = WORKLOADS.filter((w) => names.includes(w))
        break
      }
      case '--only': {
        const names = value().split(',')
        for (const n of names) if (!NODE_NAMES.includes(n as NodeName)) throw new Error(`--only takes ${NODE_NAMES.join(', ')} or a comma-separated list (got ${n})`)
        opts.nodes = NODE_NAMES.filter((n) => names.includes(n))
        break
      }
      default:
        return false
    }
    return true
  })
  return opts
}

// ---------------------------------------------------------------------------------------------
// Nodes

/** Our node, with a hint if it does not exist; with `l1`, an Anvil L1 and the batcher posting to it. */
async function startOurs(dataDir: string, withL1 = false): Promise<RunningNode<'ours'>> {
  if (!existsSync(OUR_MAIN)) throw new Error(`our node is missing: ${OUR_MAIN} does not exist (use --only hardhat meanwhile)`)
  if (!withL1) return startOurNode(dataDir)
  const l1 = await startRollupL1(path.join(dataDir, '..'))
  console.log(`ours: L1 Anvil at ${l1.l1Url}, RollupAnchor ${l1.rollupAnchor}; the batcher posts blobs`)
  return startOurNode(dataDir, [...l1.nodeArgs, '--batch-max-age', '2000', '--data-availability', 'blobs'])
}

/** The block with the most transactions among from..to. */
async function largestBlock(url: string, from: number, to: number): Promise<{ number: number; txs: number; bytes: number }> {
  let best = { number: 0, txs: 0, bytes: 0 }
  for (let n = from; n <= to; n++) {
    const b = await rpc<{ transactions: Hex[]; size: Hex }>(url, 'eth_getBlockByNumber', [toHex(n), false])
    if (b.transactions.length > best.txs) best = { number: n, txs: b.transactions.length, bytes: Number(b.size) }
  }
  return best
}

/** Waits until our batcher has posted every block up to the head; says what it took. */
async function untilPosted(url: string): Promise<string> {
  const deadline = Date.now() + 600_000
  for (;;) {
    const [s, head] = await Promise.all([rpc<any>(url, 'rollup_getBatcherStatus'), rpc<Hex>(url, 'eth_blockNumber')])
    if (s.lastPostedBlock === Number(head) && s.inflight === null) return `posted to L1 up to block ${Number(head)}: ${s.batchesPosted} batches, ${s.dataBytesPosted} bytes of frames, ${s.l1GasUsed} L1 gas`
    if (Date.now() > deadline) throw new Error(`the batcher did not post up to block ${Number(head)} in 600 s: ${JSON.stringify(s)}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

// ---------------------------------------------------------------------------------------------
// ERC-20 setup

interface Token {
  address: Address
  abi: Abi
}

function loadTokenArtifact(): { abi: Abi; bytecode: Hex } {
  return loadArtifact('ExampleToken', TOKEN_ARTIFACT)
}

/** Deploys ExampleToken from account 0 and gives each other sender enough tokens for any run. */
async function deployToken(node: RunningNode, senders: Sender[]): Promise<Token> {
  const { abi, bytecode } = loadTokenArtifact()
  const [deployer] = senders
  let nonce = (await nonces(node.url, [deployer]))[0]
  const data = encodeDeployData({ abi, bytecode, args: ['Bench Token', 'BENCH', 18, 10n ** 30n] })
  const deployHash = await rpc<Hex>(node.url, 'eth_sendRawTransaction', [signTx(deployer, { chainId: node.chainId, nonce: nonce++, data, gas: TOKEN_DEPLOY_GAS })])
  const { contractAddress } = await waitReceipt(node.url, deployHash, 'ExampleToken deployment', 200)
  if (!contractAddress) throw new Error('ExampleToken deployment receipt has no contractAddress')
  const hashes = await Promise.all(
    senders.slice(1).map((s) => {
      const call = encodeFunctionData({ abi, functionName: 'transfer', args: [s.address, 10n ** 27n] })
      const raw = signTx(deployer, { chainId: node.chainId, nonce: nonce++, to: contractAddress, data: call, gas: ERC20_GAS * 2n })
      return rpc<Hex>(node.url, 'eth_sendRawTransaction', [raw])
    }),
  )
  for (const h of hashes) await waitReceipt(node.url, h, 'token distribution', 200)
  return { address: contractAddress, abi }
}

// ---------------------------------------------------------------------------------------------
// Benchmark phases

/** All requested workloads and runs against one node; the node is stopped afterwards. */
async function benchNode(node: RunningNode<NodeName>, opts: Options, senders: Sender[], recipients: Address[], latencies: LatencyResult[]): Promise<RunResult[]> {
  const results: RunResult[] = []
  console.log(`${node.name}: up at ${node.url} (chain id ${node.chainId}, pid ${node.pid})`)
  for (const workload of opts.workloads) {
    let payload = (i: number): Payload => ({ to: recipients[i], value: 1n, gas: ETH_GAS })
    if (workload === 'infer') {
      if (node.name !== 'ours') {
        console.log(`${node.name}: no inference precompile, infer workload skipped`)
        continue
      }
      const inference = await prepareInferenceLoad(node.url, node.chainId, senders[0])
      console.log(`${node.name}: credit-risk model registered as ${inference.modelId}; infer() estimated at ${inference.estimate} gas`)
      payload = inference.payload
    }
    if (workload === 'erc20') {
      const token = await deployToken(node, senders)
      console.log(`${node.name}: ExampleToken at ${token.address}`)
      payload = (i) => ({ to: token.address, data: encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [recipients[i], 1n] }), gas: ERC20_GAS })
    }
    for (let run = 1; run <= opts.runs; run++) {
      const start = await nonces(node.url, senders)
      const t = performance.now()
      const batch = presign(node.chainId, senders, start, opts.txs, payload)
      await verifySignatures(batch, senders)
      const signMs = performance.now() - t
      const firstBlock = Number(await rpc<Hex>(node.url, 'eth_blockNumber')) + 1
      const hammer = opts.heavyCalls > 0 ? hammerHeavyCalls(node.url, opts.heavyCalls) : undefined
      const cpu = cpuMeter(node.pid)
      const measured = await measure(node.url, senders, start, batch)
      const used = cpu.stop()
      const nodeCpuUs = perTx(used.nodeUs, batch.raw.length)
      const clientCpuUs = used.loadGenUs / batch.raw.length
      if (hammer !== undefined) console.log(`${node.name}: heavy calls during the run: ${await hammer.stop()}`)
      const largest = await largestBlock(node.url, firstBlock, Number(await rpc<Hex>(node.url, 'eth_blockNumber')))
      const result: RunResult = { node: node.name, workload, ...measured, largest, nodeCpuUs, clientCpuUs }
      results.push(result)
      console.log(
        `${node.name} ${workload} run ${run}/${opts.runs}: ${result.mined}/${result.txs} txs in ${result.seconds.toFixed(2)} s = ` +
          `${result.tps.toFixed(0)} TPS, rejected ${result.rejected}${result.complete ? '' : ' (INCOMPLETE: stalled)'}` +
          ` [pre-signed in ${(signMs / 1000).toFixed(1)} s; node RSS ${fmtMb(rssMb(node.pid))}; CPU per tx: node ${fmtUs(nodeCpuUs)} µs, load generator ${fmtUs(clientCpuUs)} µs]; largest block #${largest.number}: ${largest.txs} txs, ${largest.bytes} bytes`,
      )
      if (node.name === 'ours' && opts.l1) console.log(`ours: ${await untilPosted(node.url)}`)
      for (const e of result.errors) console.log(`  rejected: ${e}`)
      if (!result.complete) {
        // Its stuck transactions would collide with the next run's nonces: stop benchmarking this node.
        console.log(`${node.name}: run stalled, skipping its remaining runs`)
        return results
      }
    }
    if (opts.latency) {
      const peak = median(results.filter((r) => r.workload === workload).map((r) => r.tps))
      const latency = await measureLatency(node, workload, senders, Math.max(1, Math.round(peak / 2)), payload)
      latencies.push(latency)
      console.log(`${node.name} ${workload} latency at ${latency.rate} tx/s (half its peak): median ${latency.median.toFixed(0)} ms, p95 ${latency.p95.toFixed(0)} ms over ${latency.count} txs`)
    }
  }
  return results
}

/** The worst read: a creation call looping on JUMP until its 50M gas run out. */
const HEAVY_CALL = { data: '0x5b600056', gas: toHex(50_000_000) }

/** `clients` loops of heavy eth_calls until stopped; stop() says how many were answered and how long they took. */
function hammerHeavyCalls(url: string, clients: number): { stop(): Promise<string> } {
  let running = true
  const times: number[] = []
  const errors = new Map<string, number>()
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const t = performance.now()
      try {
        await rpc(url, 'eth_call', [HEAVY_CALL, 'latest'], 60_000)
      } catch (e) {
        const m = (e as Error).message.slice(0, 60)
        errors.set(m, (errors.get(m) ?? 0) + 1)
      }
      times.push(performance.now() - t)
    }
  })
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      const errs = [...errors].map(([m, n]) => `${n}× "${m}"`).join(', ')
      return `${times.length} calls answered, median ${median(times).toFixed(0)} ms${errs ? `; answers: ${errs}` : ''}`
    },
  }
}

/**
 * Latency at half the peak: `rate` transactions per second for LATENCY_SECONDS, sent on a steady
 * clock (a burst every 10 ms), each timed from the start of its eth_sendRawTransaction to the
 * first time the watcher (polling eth_blockNumber every LATENCY_POLL_MS, then reading the new
 * blocks' transaction hashes) sees the block that holds it: when its receipt became available.
 */
async function measureLatency(node: RunningNode<NodeName>, workload: Workload, senders: Sender[], rate: number, payload: (i: number) => Payload): Promise<LatencyResult> {
  const start = await nonces(node.url, senders)
  const count = rate * LATENCY_SECONDS
  const batch = presign(node.chainId, senders, start, count, payload)
  const sentAt = new Map<Hex, number>()
  const latencies: number[] = []
  let seen = Number(await rpc<Hex>(node.url, 'eth_blockNumber'))
  let sending = true
  const watcher = (async () => {
    const deadline = () => !sending && (latencies.length >= count || performance.now() - lastSeen > 10_000)
    let lastSeen = performance.now()
    while (!deadline()) {
      const head = Number(await rpc<Hex>(node.url, 'eth_blockNumber'))
      const now = performance.now()
      for (let n = seen + 1; n <= head; n++) {
        const block = await rpc<{ transactions: Hex[] }>(node.url, 'eth_getBlockByNumber', [toHex(n), false])
        for (const h of block.transactions) {
          const t = sentAt.get(h)
          if (t !== undefined) latencies.push(now - t)
        }
        lastSeen = now
      }
      seen = head
      await sleep(LATENCY_POLL_MS)
    }
  })()
  const began = performance.now()
  const inflight: Promise<unknown>[] = []
  for (let i = 0; i < count; ) {
    const due = Math.min(count, Math.floor(((performance.now() - began) / 1000) * rate))
    for (; i < due; i++) {
      const raw = batch.raw[i]
      sentAt.set(keccak256(raw), performance.now())
      inflight.push(rpc(node.url, 'eth_sendRawTransaction', [raw]).catch(() => undefined))
    }
    await sleep(10)
  }
  await Promise.all(inflight)
  sending = false
  await watcher
  const sorted = [...latencies].sort((a, b) => a - b)
  return { node: node.name, workload, rate, count: sorted.length, median: median(sorted), p95: sorted[Math.floor(sorted.length * 0.95)] ?? Number.NaN }
}

/** N ETH transfers to a fresh instance of our node in chunks; prints VmRSS as it goes. */
async function benchRss(node: RunningNode, total: number, senders: Sender[], recipients: Address[], dataDir: string): Promise<void> {
  console.log(`\nMemory: ${total} ETH transfers to our node (pid ${node.pid}), chunks of ${RSS_CHUNK} sent at ${RSS_RATE} tx/s`)
  // the pool's journal is a log (sequencer/mempool/journal.ts): its size shows that rewrites keep it bounded
  const journalMb = () => {
    const file = path.join(dataDir, 'mempool.journal')
    return existsSync(file) ? (statSync(file).size / 1e6).toFixed(2) : '?'
  }
  const widths = [10, 10, 12, 10, 10]
  console.log(pad(['txs sent', 'RSS MB', 'journal MB', 'chunk TPS', 'rejected'], widths))
  console.log(pad(['0', fmtMb(rssMb(node.pid)), journalMb(), '-', '-'], widths))
  for (let done = 0; done < total; ) {
    const count = Math.min(RSS_CHUNK, total - done)
    const start = await nonces(node.url, senders)
    const batch = presign(node.chainId, senders, start, count, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }))
    const result = await measurePaced(node.url, senders, start, batch, RSS_RATE)
    done += count
    const note = result.complete ? '' : ' INCOMPLETE'
    console.log(pad([String(done), fmtMb(rssMb(node.pid)), journalMb(), result.tps.toFixed(0), String(result.rejected) + note], widths))
    if (!result.complete) break
  }
}

/** As load.ts's measure, but sending `rate` transactions per second (one burst a second). */
async function measurePaced(url: string, senders: Sender[], startNonces: number[], batch: Batch, rate: number): Promise<Measured> {
  const startedAt = performance.now()
  let rejected = 0
  const errors: string[] = []
  for (let i = 0; i < batch.raw.length; i += rate) {
    const second = performance.now()
    const sent = await sendAll(url, batch.raw.slice(i, i + rate), { quiet: true })
    rejected += sent.rejected
    errors.push(...sent.errors.slice(0, 5 - errors.length))
    await sleep(Math.max(0, 1000 - (performance.now() - second)))
  }
  const sentAt = performance.now()
  const mined = await waitMined(url, senders, startNonces, batch.finalNonces)
  const seconds = (mined.endedAt - startedAt) / 1000
  return { txs: batch.raw.length, mined: mined.mined, seconds, tps: mined.mined / seconds, acksPerSecond: (batch.raw.length - rejected) / ((sentAt - startedAt) / 1000), rejected, complete: mined.complete, errors }
}

// ---------------------------------------------------------------------------------------------
// Report

const WORKLOAD_NAMES: Record<Workload, string> = {
  eth: 'ETH transfers (21000 gas)',
  erc20: 'ERC-20 transfer() (ExampleToken)',
  infer: 'one credit-risk inference per transaction (ours only)',
}
const fmtMb = (mb: number | undefined) => (mb === undefined ? '?' : mb.toFixed(0))
const fmtUs = (us: number | undefined) => (us === undefined ? '?' : us.toFixed(0))
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ')

function report(results: RunResult[], opts: Options): void {
  console.log(`\nMachine: ${machine()}`)
  console.log(`Load: ${CLIENTS} HTTP clients, ${SENDER_COUNT} senders, ${BLOCK_TIME_MS} ms blocks, gas limit ${BLOCK_GAS_LIMIT}, ${opts.runs} run(s) each`)
  const widths = [8, 8, 8, 9, 8, 9, 9, 10]
  for (const workload of opts.workloads) {
    console.log(`\nWorkload: ${WORKLOAD_NAMES[workload]}`)
    console.log(pad(['node', 'run', 'txs', 'seconds', 'TPS', 'acks/s', 'rejected', 'CPU µs/tx', 'largest block'], [...widths, 16]))
    const medians = new Map<NodeName, { tps: number; acks: number; cpu: number | undefined }>()
    for (const node of opts.nodes) {
      const rs = results.filter((r) => r.node === node && r.workload === workload)
      if (rs.length === 0) continue
      rs.forEach((r, k) =>
        console.log(
          pad([node, String(k + 1), `${r.mined}${r.complete ? '' : '*'}`, r.seconds.toFixed(2), r.tps.toFixed(0), r.acksPerSecond.toFixed(0), String(r.rejected), fmtUs(r.nodeCpuUs), `${r.largest.txs} txs`], [...widths, 16]),
        ),
      )
      const cpus = rs.map((r) => r.nodeCpuUs).filter((c) => c !== undefined)
      const m = { tps: median(rs.map((r) => r.tps)), acks: median(rs.map((r) => r.acksPerSecond)), cpu: cpus.length === rs.length ? median(cpus) : undefined }
      medians.set(node, m)
      if (rs.length > 1) console.log(pad([node, 'median', '', median(rs.map((r) => r.seconds)).toFixed(2), m.tps.toFixed(0), m.acks.toFixed(0), '', fmtUs(m.cpu)], widths))
    }
    const ours = medians.get('ours')
    for (const peer of ['anvil', 'hardhat'] as const) {
      const theirs = medians.get(peer)
      if (ours === undefined || theirs === undefined) continue
      const cpu = ours.cpu !== undefined && theirs.cpu !== undefined ? `; node CPU per tx ${(ours.cpu / theirs.cpu).toFixed(2)}× theirs` : ''
      console.log(`ratio ours/${peer}: TPS ${(ours.tps / theirs.tps).toFixed(2)}×, acks/s ${(ours.acks / theirs.acks).toFixed(2)}× (target 1.2×)${cpu}`)
    }
    if (workload === 'infer' && ours !== undefined) {
      const eth = results.filter((r) => r.node === 'ours' && r.workload === 'eth')
      if (eth.length > 0) {
        const ratio = ours.tps / median(eth.map((r) => r.tps))
        console.log(`ratio ours infer/eth: TPS ${ratio.toFixed(2)}× our ETH transfers' (target ≥ ${INFER_RATIO_TARGET.toFixed(2)}: ${ratio >= INFER_RATIO_TARGET ? 'met' : 'NOT met'})`)
      }
    }
    if (results.some((r) => r.workload === workload && !r.complete)) console.log('* incomplete: the run stalled, TPS counts mined txs only')
  }
}

function reportLatency(latencies: LatencyResult[]): void {
  console.log(`\nLatency at half each node's peak (${LATENCY_SECONDS} s of steady load; receipt seen within ${LATENCY_POLL_MS} ms polling); target: median < block time / 2 + 100 ms = ${BLOCK_TIME_MS / 2 + 100} ms`)
  const widths = [8, 8, 8, 8, 10, 8]
  console.log(pad(['node', 'workload', 'tx/s', 'txs', 'median ms', 'p95 ms'], widths))
  for (const l of latencies) console.log(pad([l.node, l.workload, String(l.rate), String(l.count), l.median.toFixed(0), l.p95.toFixed(0)], widths))
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  const { senders, recipients } = loadAccounts()
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-tps-'))
  cleanup.tempDirs.add(tempDir)
  if (opts.workloads.includes('erc20')) loadTokenArtifact() // compile before any clock runs

  const results: RunResult[] = []
  const latencies: LatencyResult[] = []
  for (const name of opts.nodes) {
    const node = name === 'hardhat' ? await startHardhatNode({ blockTimeMs: BLOCK_TIME_MS }) : name === 'anvil' ? await startAnvilNode({ blockTimeMs: BLOCK_TIME_MS }) : await startOurs(path.join(tempDir, 'tps'), opts.l1)
    results.push(...(await benchNode(node, opts, senders, recipients, latencies)))
    await stopNode(node)
  }
  report(results, opts)
  if (latencies.length > 0) reportLatency(latencies)

  if (opts.rssTxs > 0) {
    const dataDir = path.join(tempDir, 'rss')
    const node = await startOurs(dataDir)
    await benchRss(node, opts.rssTxs, senders, recipients, dataDir)
    await stopNode(node)
  }
}

runMain('bench-tps', main, { onSignal: 'stopping nodes...' })
