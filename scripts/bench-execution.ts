/**
 * The node's CPU per transaction, in process, without HTTP or a load generator: how much of the
 * main thread admitting a transaction takes (`pool.add`: decoding, sender recovery on the
 * recovery thread, the journal's group commit, the pool) and how much executing it in a block
 * takes (`node.mine()`: runTx, the state flush, the roots, the sqlite commit). The end-to-end
 * figures are scripts/bench-tps.ts's; this one shows where a change to execution moves them,
 * without the noise of 32 clients sharing the 2 cores.
 *
 *   npx tsx scripts/bench-execution.ts [--txs N] [--workload eth|erc20|both] [--runs R] [--profile DIR]
 *
 * Each run starts a fresh node (temp data dir, no block timer), adds N pre-signed transactions
 * from the 10 dev senders 32 at a time, then mines until all are in blocks (full blocks at the
 * 60M gas limit). Prints per run and the medians: admission µs per transaction (wall, and the
 * main thread's CPU from /proc/self/task), mining µs per transaction (wall). `--profile DIR`
 * writes a V8 CPU profile of each run's mining to DIR.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { encodeDeployData, encodeFunctionData, getContractAddress, hexToBytes, type Hex } from 'viem'
import { startNode } from '../sequencer/node.ts'
import { cpuSeconds, ERC20_GAS, ETH_GAS, loadAccounts, loadArtifact, median, parseFlags, positiveInt, presign, runMain, TOKEN_ARTIFACT, TOKEN_DEPLOY_GAS } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-execution.ts [--txs N] [--workload eth|erc20|both] [--runs R] [--profile DIR]'

type Workload = 'eth' | 'erc20'
interface RunResult {
  admitWallUs: number
  admitMainCpuUs: number
  mineWallUs: number
  blocks: number
}

async function run(workload: Workload, txs: number, profileDir: string | undefined, label: string): Promise<RunResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-exec-'))
  const node = await startNode({ dataDir, logLevel: 'silent', rpc: { port: 0 }, sequencer: { blockTimeMs: 3_600_000 } })
  try {
    const { senders, recipients } = loadAccounts()
    const chainId = Number(node.chainId)
    const nonces = senders.map(() => 0)
    const add = (raw: Hex) => node.pool.add(hexToBytes(raw))
    let payload = (i: number) => ({ to: recipients[i], value: 1n, gas: ETH_GAS, data: undefined as Hex | undefined })
    if (workload === 'erc20') {
      const { abi, bytecode } = loadArtifact('ExampleToken', TOKEN_ARTIFACT)
      const deploy = presign(chainId, [senders[0]], [0], 1, () => ({ data: encodeDeployData({ abi, bytecode, args: ['Bench', 'B', 18, 10n ** 30n] }), gas: TOKEN_DEPLOY_GAS }))
      await add(deploy.raw[0])
      await node.mine()
      const token = getContractAddress({ from: senders[0].address, nonce: 0n })
      nonces[0] = 1
      for (let k = 1; k < senders.length; k++) {
        const fund = encodeFunctionData({ abi, functionName: 'transfer', args: [senders[k].address, 10n ** 27n] })
        await add(presign(chainId, [senders[0]], [nonces[0]++], 1, () => ({ to: token, data: fund, gas: ERC20_GAS * 2n })).raw[0])
      }
      await node.mine()
      payload = (i) => ({ to: token, value: 0n, gas: ERC20_GAS, data: encodeFunctionData({ abi, functionName: 'transfer', args: [recipients[i], 1n] }) })
    }
    const batch = presign(chainId, senders, nonces, txs, payload)

    let start = performance.now()
    const cpuStart = cpuSeconds(process.pid, process.pid)!
    for (let k = 0; k < txs; k += 32) await Promise.all(batch.raw.slice(k, k + 32).map(add))
    const admitWallUs = ((performance.now() - start) * 1000) / txs
    const admitMainCpuUs = ((cpuSeconds(process.pid, process.pid)! - cpuStart) * 1e6) / txs

    const { Session } = await import('node:inspector/promises')
    const session = profileDir === undefined ? undefined : new Session()
    if (session !== undefined) {
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    }
    start = performance.now()
    let mined = 0
    let blocks = 0
    while (mined < txs) {
      const sealed = await node.mine()
      if (sealed === undefined) throw new Error(`mining stopped after ${mined} of ${txs} transactions`)
      mined += sealed.included.length
      blocks++
    }
    const mineWallUs = ((performance.now() - start) * 1000) / txs
    if (session !== undefined) {
      const { profile } = await session.post('Profiler.stop')
      mkdirSync(profileDir!, { recursive: true })
      writeFileSync(path.join(profileDir!, `mine-${label}.cpuprofile`), JSON.stringify(profile))
      session.disconnect()
    }
    return { admitWallUs, admitMainCpuUs, mineWallUs, blocks }
  } finally {
    await node.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  let txs = 6000
  let runs = 3
  let workloads: Workload[] = ['eth', 'erc20']
  let profileDir: string | undefined
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') txs = positiveInt(flag, value())
    else if (flag === '--runs') runs = positiveInt(flag, value())
    else if (flag === '--profile') profileDir = path.resolve(value())
    else if (flag === '--workload') {
      const w = value()
      if (w !== 'eth' && w !== 'erc20' && w !== 'both') throw new Error(`--workload must be eth, erc20 or both, not ${w}`)
      workloads = w === 'both' ? ['eth', 'erc20'] : [w]
    } else return false
    return true
  })
  const us = (x: number) => `${x.toFixed(1)} µs`
  for (const workload of workloads) {
    const results: RunResult[] = []
    for (let r = 1; r <= runs; r++) {
      const result = await run(workload, txs, profileDir, `${workload}-${r}`)
      results.push(result)
      console.log(`${workload} run ${r}/${runs}: admission ${us(result.admitWallUs)} wall, ${us(result.admitMainCpuUs)} main-thread CPU; mining ${us(result.mineWallUs)} wall (${txs} transactions, ${result.blocks} blocks)`)
    }
    const m = (pick: (x: RunResult) => number) => us(median(results.map(pick)))
    console.log(`${workload} median of ${runs}: admission ${m((x) => x.admitWallUs)} wall, ${m((x) => x.admitMainCpuUs)} main-thread CPU; mining ${m((x) => x.mineWallUs)} wall per transaction`)
  }
}

runMain('bench-execution', main, { onSignal: 'bench-execution: interrupted' })
