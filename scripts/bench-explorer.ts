/**
 * Does the explorer slow the sequencer? TPS of our node with and without its home page open in a
 * browser, alternating runs on one node, same load as scripts/bench-tps.ts.
 *
 *   npx tsx scripts/bench-explorer.ts [--txs N] [--runs R] [--tabs T]
 *   npm run bench:explorer -- --txs 5000 --runs 3
 *
 * - Our node (sequencer/main.ts, 1 s blocks, fresh temp data dir) as a child process; N ETH
 *   transfers per run, pre-signed, sent by 32 clients, timed until mined (scripts/lib/load.ts
 *   `measure`, as bench-tps).
 * - Headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core) with T tabs: in an
 *   "open" run every tab shows the home page (which polls GET /explorer/api/summary once per block
 *   time, at least 2 s apart); in a "closed" run every tab is on about:blank; in a "polled" run the
 *   tabs are blank and this script makes the page's requests itself (one summary every 2 s), which
 *   is the node's share of the cost without the browser's rendering. Runs rotate closed, open,
 *   polled, R of each, after one warm-up run that is not counted; the medians are printed.
 * - The browser, the load generator and the node share the machine's cores: on 2 cores the
 *   browser's own rendering competes with the node, which is part of what this measures.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import path from 'node:path'
import puppeteer, { type Page } from 'puppeteer-core'
import { cleanup, ETH_GAS, loadAccounts, machine, measure, median, nonces, parseFlags, positiveInt, presign, runMain, sleep, startOurNode, stopNode } from './lib/load.ts'

const USAGE = `usage: npx tsx scripts/bench-explorer.ts [--txs N] [--runs R] [--tabs T]
  --txs N    ETH transfers per run (default 5000)
  --runs R   runs of each kind: no page, page open, its polling alone (default 3), after one warm-up run
  --tabs T   browser tabs showing the home page in an open run (default 1)`

const CHROMIUM = '/usr/bin/chromium'

type Mode = 'closed' | 'open' | 'polled'
const LABEL: Record<Mode, string> = { closed: 'no page', open: 'home page open in Chromium', polled: "the page's polling without a browser" }

async function main(): Promise<void> {
  const opts = { txs: 5000, runs: 3, tabs: 1 }
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') opts.txs = positiveInt(flag, value())
    else if (flag === '--runs') opts.runs = positiveInt(flag, value())
    else if (flag === '--tabs') opts.tabs = positiveInt(flag, value())
    else return false
    return true
  })
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-explorer-'))
  cleanup.tempDirs.add(tempDir)
  const node = await startOurNode(path.join(tempDir, 'l2'))
  const profile = path.join(tempDir, 'chromium')
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  cleanup.closers.add(() => browser.close())
  let summaries = 0
  const tabs: Page[] = []
  for (let i = 0; i < opts.tabs; i++) {
    const tab = await browser.newPage()
    tab.on('request', (r) => {
      if (r.url().includes('/explorer/api/summary')) summaries++
    })
    tabs.push(tab)
  }
  const { senders, recipients } = loadAccounts()
  const results: Record<Mode, number[]> = { closed: [], open: [], polled: [] }
  console.log(`our node at ${node.url}; ${opts.txs} ETH transfers per run, ${opts.runs} runs each way, ${opts.tabs} tab(s)`)
  // a first run, not counted, warms the node up (JIT, caches), so the first counted run is not penalized
  {
    const start = await nonces(node.url, senders)
    const m = await measure(node.url, senders, start, presign(node.chainId, senders, start, opts.txs, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS })))
    console.log(`warm-up: ${m.tps.toFixed(0)} tx/s (not counted)`)
  }
  const modes: Mode[] = ['closed', 'open', 'polled']
  /** Time to answer each summary request of the polled runs, under load: the most the node spends on one. */
  const answerMs: number[] = []
  for (let run = 0; run < opts.runs * modes.length; run++) {
    const mode = modes[run % modes.length]
    for (const tab of tabs) {
      await tab.goto(mode === 'open' ? node.url : 'about:blank', { waitUntil: 'domcontentloaded' })
      if (mode === 'open') await tab.waitForSelector('#main[data-ready=true]', { timeout: 30_000 })
    }
    // "polled": the home page's requests without a browser, to tell the node's share from the browser's own CPU
    let polling = mode === 'polled'
    const poller = (async () => {
      let since = -1
      while (polling) {
        const asked = performance.now()
        const s = (await (await fetch(`${node.url}explorer/api/summary?since=${since}`)).json()) as { activity: { number: number }[] }
        answerMs.push(performance.now() - asked)
        summaries++
        since = s.activity.at(-1)?.number ?? since
        await sleep(2_000)
      }
    })()
    const before = summaries
    const start = await nonces(node.url, senders)
    const batch = presign(node.chainId, senders, start, opts.txs, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }))
    const m = await measure(node.url, senders, start, batch)
    polling = false
    await poller
    if (!m.complete || m.rejected > 0) throw new Error(`run ${run + 1} incomplete: ${m.mined}/${m.txs} mined, ${m.rejected} rejected ${m.errors.join('; ')}`)
    results[mode].push(m.tps)
    console.log(`run ${run + 1} (${LABEL[mode]}): ${m.tps.toFixed(0)} tx/s, ${m.seconds.toFixed(1)} s${mode === 'closed' ? '' : `, ${summaries - before} summary requests`}`)
  }
  const closed = median(results.closed)
  const vs = (x: number) => `${x.toFixed(0)} (${(((x - closed) / closed) * 100).toFixed(1)} %)`
  console.log(`\nmedian TPS: ${LABEL.closed} ${closed.toFixed(0)}, ${LABEL.open} ${vs(median(results.open))}, ${LABEL.polled} ${vs(median(results.polled))}`)
  // the node's own cost of one summary, the load gone: the chart's whole window (since=-1, the worst case), 20 times
  const idleMs: number[] = []
  for (let i = 0; i < 20; i++) {
    const asked = performance.now()
    await (await fetch(`${node.url}explorer/api/summary`)).json()
    idleMs.push(performance.now() - asked)
  }
  console.log(`a summary request answered in ${median(answerMs).toFixed(1)} ms under the load (median of ${answerMs.length}, queueing included), ${median(idleMs).toFixed(1)} ms idle (median of 20, the whole 5-minute window); one per 2 s per open page`)
  console.log(`Machine: ${machine()}`)
  await browser.close()
  await stopNode(node)
  rmSync(tempDir, { recursive: true, force: true })
}

runMain('bench-explorer', main, { onSignal: 'stopping the node and the browser...' })
