/**
 * Does a replica keep up? Its derivation rate (L2 transactions re-executed per second from L1
 * data) against the sequencer's production rate under the TPS benchmark's load, in the same run.
 *
 *   npx tsx scripts/bench-replica.ts [--txs N]      (npm run bench:replica -- --txs 10000)
 *
 * 1. Anvil (1 s L1 blocks) with the L1 contracts; our sequencer as a child process with 1 s
 *    blocks and its batcher posting to Anvil (the devnet's batch settings).
 * 2. Production rate: N pre-signed transfers from 10 senders over 32 HTTP clients (scripts/lib/
 *    load.ts, as bench-tps), clock from the first send until every one is mined.
 * 3. Once every block is on L1, a replica (sequencer/replica-main.ts, L1 only: no feed) starts on a
 *    fresh data dir. Derivation rate: the transactions it re-executed between its first answer
 *    (start-up done) and the moment it has derived the sequencer's head, over that time. It reads
 *    the batches from L1, decompresses, re-executes and checks every batch's commitments.
 * The two rates share the machine with different neighbours (the load generator during
 * production; nothing during derivation), as a replica catching up would; the ratio is the figure.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeDeployments } from '../batcher/deployments.ts'
import { startAnvil, ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { deployL1 } from './lib/deploy-l1.ts'
import { privateKeyToAccount } from 'viem/accounts'
import {
  BLOCK_TIME_MS, cleanup, ETH_GAS, freePort, loadAccounts, machine, measure, nonces, OUR_MAIN, parseFlags, positiveInt, presign, ROOT, rpc, runMain, sleep, spawnNode, waitReady,
} from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-replica.ts [--txs N]   (default 10000)'
const REPLICA_MAIN = path.join(ROOT, 'sequencer/replica-main.ts')

interface ReplicaStatus {
  derivation: { derivedBlock: number; txsExecuted: number; blocksExecuted: number }
}

async function main(): Promise<void> {
  let txs = 10_000
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag !== '--txs') return false
    txs = positiveInt(flag, value())
    return true
  })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-replica-'))
  cleanup.tempDirs.add(dir)

  // 1. L1 and the sequencer with its batcher
  const anvil = await startAnvil({ blockTime: 1, silent: true, logFile: path.join(dir, 'anvil.log'), onWarning: () => undefined })
  cleanup.closers.add(() => anvil.stop())
  const batcherKey = ANVIL_PRIVATE_KEYS[1]
  const deployments = await deployL1({ rpcUrl: anvil.url, privateKey: ANVIL_PRIVATE_KEYS[0], sequencer: privateKeyToAccount(batcherKey).address, challengeWindowSeconds: 3600 })
  const deploymentsPath = path.join(dir, 'deployments.json')
  writeDeployments(deploymentsPath, deployments)
  const seqPort = await freePort()
  const seqUrl = `http://127.0.0.1:${seqPort}`
  const seq = spawnNode('sequencer', ['--import', 'tsx', OUR_MAIN, '--data-dir', path.join(dir, 'sequencer'), '--port', String(seqPort), '--block-time', String(BLOCK_TIME_MS),
    '--log-level', 'error', '--l1-rpc', anvil.url, '--deployments', deploymentsPath, '--batcher-key', batcherKey, '--l1-confirmations', '1', '--batch-max-age', '2000'])
  const chainId = await waitReady('sequencer', seqUrl, seq.child, seq.tail)

  // 2. production under load
  const { senders, recipients } = loadAccounts()
  const start = await nonces(seqUrl, senders, 'pending')
  const batch = presign(chainId, senders, start, txs, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }))
  console.log(`${machine()}\nsequencer: ${txs} transfers from ${senders.length} senders, 1 s blocks, batches to Anvil`)
  const produced = await measure(seqUrl, senders, start, batch)
  if (!produced.complete) throw new Error(`the load did not complete: ${produced.mined} of ${txs} mined (${produced.errors.slice(0, 3).join('; ')})`)
  const head = Number(await rpc<string>(seqUrl, 'eth_blockNumber'))
  for (;;) {
    const s = await rpc<{ lastPostedBlock: number; inflight: unknown }>(seqUrl, 'rollup_getBatcherStatus')
    if (s.lastPostedBlock >= head && s.inflight === null) break
    await sleep(200)
  }
  const posted = await rpc<{ batchesPosted: number; l2TxsPosted: number }>(seqUrl, 'rollup_getBatcherStatus')
  console.log(`sequencer: ${produced.mined} txs mined in ${produced.seconds.toFixed(2)} s = ${produced.tps.toFixed(0)} tx/s (head ${head}; ${posted.batchesPosted} batches, ${posted.l2TxsPosted} txs on L1)`)

  // 3. a replica derives it all from L1
  const repPort = await freePort()
  const repUrl = `http://127.0.0.1:${repPort}`
  const rep = spawnNode('replica', ['--import', 'tsx', REPLICA_MAIN, '--data-dir', path.join(dir, 'replica'), '--port', String(repPort), '--l1-rpc', anvil.url,
    '--deployments', deploymentsPath, '--l1-confirmations', '1', '--l1-poll', '200', '--log-level', 'error', '--call-workers', '1'])
  await waitReady('replica', repUrl, rep.child, rep.tail)
  const first = await rpc<ReplicaStatus>(repUrl, 'rollup_getReplicaStatus')
  const t0 = performance.now()
  let last = first
  while (last.derivation.derivedBlock < head) {
    await sleep(50)
    last = await rpc<ReplicaStatus>(repUrl, 'rollup_getReplicaStatus')
  }
  const seconds = (performance.now() - t0) / 1000
  const derivedTxs = last.derivation.txsExecuted - first.derivation.txsExecuted
  const rate = derivedTxs / seconds
  const [a, b] = await Promise.all([rpc<{ hash: string }>(seqUrl, 'eth_getBlockByNumber', [`0x${head.toString(16)}`, false]), rpc<{ hash: string }>(repUrl, 'eth_getBlockByNumber', [`0x${head.toString(16)}`, false])])
  if (a.hash !== b.hash) throw new Error(`the replica's block ${head} is ${b.hash}, the sequencer's ${a.hash}`)
  console.log(`replica: ${derivedTxs} txs (${last.derivation.blocksExecuted} blocks) re-executed from L1 in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} tx/s (${first.derivation.txsExecuted} before its first answer); head ${head} has the sequencer's hash`)
  console.log(`derivation / production: ${(rate / produced.tps).toFixed(2)}x (target >= 1.5x)`)
}

runMain('bench-replica', main, { onSignal: 'stopping...' })
