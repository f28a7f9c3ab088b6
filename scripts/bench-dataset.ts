/**
 * Dataset benchmark: what `npm run dataset -- anchor` costs for a large CSV and a directory of many
 * files, end to end on a real rollup, and what `verify` and `diff` cost on the receipts.
 *
 *   npx tsx scripts/bench-dataset.ts [--rows 100000] [--files 10000] [--runs 3]
 *
 * One Anvil L1 (automine) with the rollup's contracts and our node as a child process posting to
 * it (1 s blocks, batches close after 1 s, as bench-anchoring.ts); this process runs the CLI's
 * functions (scripts/dataset.ts) as `npm run dataset` would. Per run: a fresh CSV of --rows rows
 * (about 60 bytes each) and a directory of --files files (1 kB each) are anchored (hash, tree,
 * registration, receipt folder, wait for the root's batch on L1), one row is verified against L1,
 * and the run's CSV receipt is diffed against the previous run's. Printed: medians over the runs
 * and this process's peak RSS.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { startRollupL1 } from './lib/rollup-l1.ts'
import { cleanup, freePort, machine, median, OUR_MAIN, parseFlags, positiveInt, runMain, spawnNode, waitReady } from './lib/load.ts'
import { datasetTree, readDataset } from './lib/datasets.ts'
import { anchorDataset, DEV_KEY, diffReceipts, verifyItem } from './dataset.ts'

const USAGE = 'usage: npx tsx scripts/bench-dataset.ts [--rows N (default 100000)] [--files N (default 10000)] [--runs N (default 3)]'

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const fmt = (n: number) => Math.round(n).toLocaleString('en')

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now()
  const value = await fn()
  return [value, performance.now() - start]
}

async function main(): Promise<void> {
  let rows = 100_000
  let files = 10_000
  let runs = 3
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--rows') rows = positiveInt(flag, value())
    else if (flag === '--files') files = positiveInt(flag, value())
    else if (flag === '--runs') runs = positiveInt(flag, value())
    else return false
    return true
  })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-dataset-'))
  cleanup.tempDirs.add(dir)
  const l1 = await startRollupL1(dir)
  const port = await freePort()
  const rpc = `http://127.0.0.1:${port}`
  const args = ['--import', 'tsx', OUR_MAIN, '--data-dir', path.join(dir, 'l2'), '--port', String(port), '--block-time', '1000', '--log-level', process.env.BENCH_LOG ?? 'error',
    ...l1.nodeArgs, '--batch-max-age', '1000']
  const { child, tail } = spawnNode('our node', args)
  await waitReady('our node', rpc, child, tail)

  console.log(`dataset benchmark: a CSV of ${fmt(rows)} rows and a directory of ${fmt(files)} files of 1 kB per run, ${runs} runs`)
  console.log(machine())
  const failWithTail = (error: Error) => {
    throw new Error(`${error.message}\n${tail()}`)
  }
  const results: { csvHash: number; csvAnchor: number; dirHash: number; dirAnchor: number; verify: number; diff?: number }[] = []
  let previousReceipt: string | undefined
  for (let run = 0; run < runs; run++) {
    const csv = path.join(dir, `run${run}.csv`)
    // written 10,000 rows at a time, so that the peak RSS printed is the CLI's, not the generator's
    const fd = openSync(csv, 'w')
    writeSync(fd, 'id,feature_a,feature_b,text,label\n')
    for (let from = 0; from < rows; from += 10_000) {
      const lines: string[] = []
      for (let i = from; i < Math.min(rows, from + 10_000); i++) lines.push(`${i},${(i * 0.37 + run).toFixed(4)},${(i % 97) / 7},row number ${i} of run ${run},${i % 3}\n`)
      writeSync(fd, lines.join(''))
    }
    closeSync(fd)
    const tree = path.join(dir, `run${run}-files`)
    for (let i = 0; i < files; i++) {
      const sub = path.join(tree, `shard-${i % 100}`)
      if (i < 100) mkdirSync(sub, { recursive: true })
      writeFileSync(path.join(sub, `item-${i}.bin`), Buffer.alloc(1024, `${run}:${i}:`))
    }

    const [, csvHash] = await timed(async () => (await datasetTree(await readDataset(csv, { header: true }))).root)
    const common = { uri: '', header: false, rpc, key: DEV_KEY, mode: 'onchain' as const, timeoutMs: 120_000, progress: (l: string) => void (l.includes('retrying') && console.log(`  (${l})`)) }
    const csvOut = path.join(dir, `run${run}.csv.receipt`)
    const [, csvAnchor] = await timed(() => anchorDataset({ ...common, source: csv, name: `bench csv ${run}`, previous: 0, header: true, out: csvOut }).catch(failWithTail))
    const [, dirHash] = await timed(async () => (await datasetTree(await readDataset(tree))).root)
    const [, dirAnchor] = await timed(() => anchorDataset({ ...common, source: tree, name: `bench files ${run}`, previous: 0, out: path.join(dir, `run${run}-files.receipt`) }).catch(failWithTail))
    const [verified, verify] = await timed(() => verifyItem({ item: csv, receipt: csvOut, row: Math.floor(rows / 2), l1: l1.l1Url, deployments: l1.deploymentsPath, requireFinal: false }))
    if (!verified.valid) throw new Error(`verify failed: ${verified.reasons.join('; ')}`)
    let diff: number | undefined
    if (previousReceipt !== undefined) {
      const [d, ms] = await timed(() => diffReceipts(previousReceipt!, csvOut))
      if (d.diff.changed.length !== rows) throw new Error(`diff: ${d.diff.changed.length} changed, expected ${rows}`)
      diff = ms
    }
    previousReceipt = csvOut
    results.push({ csvHash, csvAnchor, dirHash, dirAnchor, verify, diff })
    console.log(`  run ${run + 1}: CSV hash+tree ${seconds(csvHash)}, anchor ${seconds(csvAnchor)}; files hash+tree ${seconds(dirHash)}, anchor ${seconds(dirAnchor)}; verify ${seconds(verify)}${diff === undefined ? '' : `; diff ${seconds(diff)}`}`)
  }
  const m = (k: 'csvHash' | 'csvAnchor' | 'dirHash' | 'dirAnchor' | 'verify') => median(results.map((r) => r[k]))
  const diffs = results.flatMap((r) => (r.diff === undefined ? [] : [r.diff]))
  console.log('')
  console.log(`CSV, ${fmt(rows)} rows:    hash + tree ${seconds(m('csvHash'))} (${fmt(rows / (m('csvHash') / 1000))} rows/s); anchor end to end ${seconds(m('csvAnchor'))} (hash, tree, registration, ${fmt(rows)} proof files, root on L1)`)
  console.log(`directory, ${fmt(files)} files: hash + tree ${seconds(m('dirHash'))} (${fmt(files / (m('dirHash') / 1000))} files/s); anchor end to end ${seconds(m('dirAnchor'))}`)
  console.log(`verify one row against L1: ${seconds(m('verify'))} (reads the CSV up to the row)`)
  if (diffs.length > 0) console.log(`diff of two ${fmt(rows)}-row receipts (every row changed): ${seconds(median(diffs))}`)
  console.log(`peak RSS of this process: ${fmt(process.resourceUsage().maxRSS / 1024)} MB`)
}

runMain('bench-dataset', main, { onSignal: 'bench-dataset' })
