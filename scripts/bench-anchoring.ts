/**
 * Anchoring benchmark: how many hashes per second the node accepts over POST /v1/anchors, how
 * fast they reach L2 blocks and L1, and what L1 gas each hash costs, against the obvious peer:
 * anchoring each hash on L1 directly (a contract that records every hash in storage and emits an
 * event, called with the same hashes in batches of 500).
 *
 *   npx tsx scripts/bench-anchoring.ts [--mode onchain|aggregate] [--encoding json|binary] [--hashes 50000] [--runs 3]
 *
 * --mode aggregate (README "Aggregated anchoring"): the same hashes in requests of 50,000 with
 * `"mode": "aggregate"`; the node anchors one Merkle root per round (default 1 s) and each hash is
 * on L1 once the batch carrying its round's root is. "On L1" is then the last hash's receipt.
 * --encoding binary sends the requests as raw bytes (application/octet-stream, the mode in the
 * query) instead of JSON.
 * Both modes also sample eth_call latency (a plain value-transfer call, as a wallet's estimate
 * or simulation would make) once every 20 ms from the first request until the last hash is on L1.
 *
 * One Anvil L1 (automine) with the rollup's contracts, our node as a child process posting to it
 * (batches close after 1 s, in blobs or calldata as --data-availability says, default calldata: the
 * figure the README compares with; scripts/bench-l1-cost.ts has both), and this process as the
 * client (it shares the 2 cores).
 * Acceptance: requests of 10,000 hashes sent two at a time; a hash counts when its 202 arrives
 * (it is in sqlite then). L1 gas per hash = the gas of the batch transactions that carried the
 * run's blocks / hashes. Printed: medians over the runs and the ratio against direct L1 anchoring.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import solc from 'solc'
import { createPublicClient, createWalletClient, http, keccak256, toHex, type Abi, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { startRollupL1 } from './lib/rollup-l1.ts'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { cleanup, freePort, machine, median, OUR_MAIN, parseFlags, percentile, positiveInt, rpc, runMain, sleep, spawnNode, waitReady } from './lib/load.ts'
import { progress } from './lib/progress.ts'

const USAGE = `usage: npx tsx scripts/bench-anchoring.ts [--mode onchain|aggregate (default onchain)] [--hashes N (default 50000)] [--runs N (default 3)] [--encoding json|binary (default json)] [--data-availability calldata|blobs|auto (default calldata)]`
/** Hashes per request: the most the API takes in each mode. */
const REQUEST_HASHES = { onchain: 10_000, aggregate: 50_000 }
/** eth_call samples: one every this many ms while a run's hashes are in flight. */
const CALL_SAMPLE_MS = 20
const CONCURRENT_REQUESTS = 2
const DIRECT_BATCH = 500
const API_KEY = 'bench-anchor-key'
const DEV_ACCOUNTS = devAccounts().map((a) => a.address)

/** The peer: what an enterprise would deploy to anchor on L1 without a rollup. */
const DIRECT_ANCHOR_SOURCE = `
pragma solidity 0.8.30;
contract DirectAnchor {
  mapping(bytes32 => uint256) public anchoredAt;
  event Anchored(bytes32 indexed dataHash, address indexed submitter);
  function anchor(bytes32[] calldata hashes) external {
    for (uint256 i = 0; i < hashes.length; i++) {
      anchoredAt[hashes[i]] = block.timestamp;
      emit Anchored(hashes[i], msg.sender);
    }
  }
}`

type Mode = 'onchain' | 'aggregate'
type Encoding = 'json' | 'binary'

interface RunResult {
  acceptedPerSec: number
  anchoredPerSec: number
  postedPerSec: number
  l1GasPerHash: number
  batches: number
  /** eth_call round trips during the run, ms. */
  callMs: number[]
}

async function main(): Promise<void> {
  let hashes = 50_000
  let runs = 3
  let da = 'calldata'
  let mode = 'onchain' as Mode
  let encoding = 'json' as Encoding
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--mode') {
      const m = value()
      if (m !== 'onchain' && m !== 'aggregate') throw new Error(`--mode must be onchain or aggregate, got ${m}\n${USAGE}`)
      mode = m
    } else if (flag === '--hashes') hashes = positiveInt(flag, value())
    else if (flag === '--data-availability') da = value()
    else if (flag === '--runs') runs = positiveInt(flag, value())
    else if (flag === '--encoding') {
      const e = value()
      if (e !== 'json' && e !== 'binary') throw new Error(`--encoding must be json or binary, got ${e}\n${USAGE}`)
      encoding = e
    }
    else return false
    return true
  })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-anchoring-'))
  cleanup.tempDirs.add(dir)
  const l1 = await startRollupL1(dir)

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const args = ['--import', 'tsx', OUR_MAIN, '--data-dir', path.join(dir, 'l2'), '--port', String(port), '--block-time', '1000', '--log-level', process.env.BENCH_LOG ?? 'error',
    ...l1.nodeArgs, '--batch-max-age', '1000', '--data-availability', da, '--anchor-api-keys', API_KEY]
  const { child, tail } = spawnNode('our node', args)
  await waitReady('our node', url, child, tail)

  console.log(`anchoring benchmark, ${mode} mode: ${fmt(hashes)} hashes per run in ${encoding} requests of ${fmt(Math.min(hashes, REQUEST_HASHES[mode]))}, ${CONCURRENT_REQUESTS} at a time, ${runs} runs`)
  console.log(machine())
  const results: RunResult[] = []
  for (let run = 0; run < runs; run++) {
    const r = await benchRun(url, mode, encoding, run, hashes).catch((err: Error) => {
      throw new Error(`${err.message} ${String((err as { cause?: unknown }).cause)}\n${tail()}`)
    })
    results.push(r)
    console.log(
      `  run ${run + 1}: accepted ${fmt(r.acceptedPerSec)} hashes/s, in L2 blocks ${fmt(r.anchoredPerSec)}/s, on L1 ${fmt(r.postedPerSec)}/s, ${r.batches} batches, ${r.l1GasPerHash.toFixed(r.l1GasPerHash < 1 ? 3 : 1)} L1 gas/hash, ` +
        `eth_call median ${median(r.callMs).toFixed(1)} ms p95 ${percentile(r.callMs, 95).toFixed(1)} ms (${r.callMs.length} calls)`,
    )
  }
  const direct = await directL1GasPerHash(l1.l1Url)
  const ours = median(results.map((r) => r.l1GasPerHash))
  const calls = results.flatMap((r) => r.callMs)
  const what = mode === 'aggregate' ? 'one root per round in the batch data, one anchor root per batch' : `batch data in ${da} + one root per batch`
  console.log('')
  console.log(`median accepted over HTTP     ${fmt(median(results.map((r) => r.acceptedPerSec)))} hashes/s`)
  console.log(`median anchored in L2 blocks  ${fmt(median(results.map((r) => r.anchoredPerSec)))} hashes/s (from first request to last hash${mode === 'aggregate' ? "'s round root" : ''} in a block)`)
  console.log(`median posted to L1           ${fmt(median(results.map((r) => r.postedPerSec)))} hashes/s (to the batch with the last one mined on L1${mode === 'aggregate' ? ': its receipt issued' : ''})`)
  console.log(`eth_call during the load      median ${median(calls).toFixed(1)} ms, p95 ${percentile(calls, 95).toFixed(1)} ms (${calls.length} calls, all runs)`)
  console.log(`L1 gas per hash: rollup ${ours.toFixed(ours < 1 ? 3 : 1)} (${what}) vs direct L1 anchoring ${direct.toFixed(0)}: ${fmt(direct / ours)}× less`)
}

async function benchRun(url: string, mode: Mode, encoding: Encoding, run: number, total: number): Promise<RunResult> {
  const statusBefore = await rpc<any>(url, 'rollup_getBatcherStatus')
  // distinct random hashes, made without hashing (a million keccaks would cost this client seconds)
  const bytes = randomBytes(32 * total)
  const all = Array.from({ length: total }, (_, i) => `0x${bytes.toString('hex', 32 * i, 32 * i + 32)}` as Hex)
  const perRequest = REQUEST_HASHES[mode]
  const requests: Hex[][] = []
  for (let i = 0; i < all.length; i += perRequest) requests.push(all.slice(i, i + perRequest))
  const callMs: number[] = []
  let loaded = true
  const sampler = (async () => {
    const call = { from: DEV_ACCOUNTS[0], to: DEV_ACCOUNTS[1], value: '0x1' }
    while (loaded) {
      const t0 = performance.now()
      await rpc(url, 'eth_call', [call, 'latest'])
      callMs.push(performance.now() - t0)
      await sleep(CALL_SAMPLE_MS)
    }
  })()
  const started = performance.now()
  let next = 0
  let submitted = 0
  const shown = progress(`run ${run + 1}: hashes accepted`, { total }) // on stderr
  const worker = async () => {
    while (next < requests.length) {
      const index = next++
      const hashes = requests[index]
      const res =
        encoding === 'binary'
          ? await fetch(`${url}/v1/anchors?mode=${mode}`, {
              method: 'POST',
              headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${API_KEY}` },
              body: bytes.subarray(32 * perRequest * index, 32 * (perRequest * index + hashes.length)),
            })
          : await fetch(`${url}/v1/anchors`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
              body: JSON.stringify(mode === 'aggregate' ? { hashes, mode } : { hashes }),
            })
      if (res.status !== 202) throw new Error(`POST /v1/anchors answered ${res.status}: ${await res.text()}`)
      shown.update((submitted += hashes.length))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, worker))
  shown.done()
  const accepted = performance.now()
  const waiting = progress(`run ${run + 1}: the last hash, on its way to L1`)
  const last = all[all.length - 1]
  let inBlock = 0
  let status: any
  for (;;) {
    status = await (await fetch(`${url}/v1/anchors/${last}`)).json()
    if (status.l2 !== null && inBlock === 0) inBlock = performance.now()
    waiting.update(undefined, status.status)
    if (status.status === 'posted' || status.status === 'final') break
    await sleep(50)
  }
  waiting.done(undefined, status.status)
  const posted = performance.now()
  loaded = false
  await sampler
  // every hash of the run reached L2 (the last one was queued last; rounds' roots are anchored in order)
  const statusAfter = await rpc<any>(url, 'rollup_getBatcherStatus')
  const l1Gas = statusAfter.l1GasUsed - statusBefore.l1GasUsed
  return {
    acceptedPerSec: total / ((accepted - started) / 1000),
    anchoredPerSec: total / ((inBlock - started) / 1000),
    postedPerSec: total / ((posted - started) / 1000),
    l1GasPerHash: l1Gas / total,
    batches: statusAfter.batchesPosted - statusBefore.batchesPosted,
    callMs,
  }
}

/** Gas per hash of anchoring directly on L1, in calls of DIRECT_BATCH hashes (median of 3 calls). */
async function directL1GasPerHash(l1Url: string): Promise<number> {
  const out = JSON.parse(
    solc.compile(JSON.stringify({ language: 'Solidity', sources: { 'D.sol': { content: DIRECT_ANCHOR_SOURCE } }, settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } })),
  )
  const c = out.contracts['D.sol'].DirectAnchor
  const account = privateKeyToAccount(ANVIL_PRIVATE_KEYS[2])
  const transport = http(l1Url)
  const wallet = createWalletClient({ account, transport, chain: undefined })
  const l1 = createPublicClient({ transport })
  const chainId = await l1.getChainId()
  const chain = { id: chainId, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [l1Url] } } } as const
  const deployHash = await wallet.deployContract({ abi: c.abi as Abi, bytecode: `0x${c.evm.bytecode.object}`, chain })
  const address = (await l1.waitForTransactionReceipt({ hash: deployHash })).contractAddress!
  const perHash: number[] = []
  for (let call = 0; call < 3; call++) {
    const hashes = Array.from({ length: DIRECT_BATCH }, (_, i) => keccak256(toHex(`direct ${call} ${i}`)))
    const hash = await wallet.writeContract({ address, abi: c.abi as Abi, functionName: 'anchor', args: [hashes], chain })
    perHash.push(Number((await l1.waitForTransactionReceipt({ hash })).gasUsed) / DIRECT_BATCH)
  }
  return median(perHash)
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

runMain('bench-anchoring', main, { onSignal: 'stopping the benchmark' })
