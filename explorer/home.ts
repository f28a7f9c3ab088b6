/**
 * The home page: the three heads moving live, the batcher's status, transactions per second and
 * gas over the last minutes, the latest blocks and transactions. It polls the node's summary
 * (GET /explorer/api/summary, computed once per block on the node) once per block time, at
 * least 2 s apart, and not at all while the tab is hidden.
 */
import { fill, api, ago, badge, blockLink, bytes, card, count, eth, facts, gwei, h, hashLink, link, render, table, type Child, type PageConfig } from './lib.ts'
import { knownName } from './decode.ts'

interface Activity {
  number: number
  timestamp: number
  txCount: number
  gasUsed: number
}

interface Summary {
  heads: { unsafe: number; safe: number; finalized: number }
  blocks: { number: number; hash: string; timestamp: number; txCount: number; gasUsed: number }[]
  transactions: { hash: string; blockNumber: number; from: string; to: string | null; contractAddress: string | null; value: string; status: number }[]
  activity: Activity[]
  activityWindowSeconds: number
  batcher: BatcherStatus | null
}

interface BatcherStatus {
  running: boolean
  l1Reachable: boolean | null
  lastPostedBlock: number
  lastBatchIndex: number | null
  pendingBlocks: number
  pendingBytes: number
  batchesPosted: number
  l2TxsPosted: number
  l1FeeWei: string
  l1CostPerL2TxWei: string | null
  inflight: unknown
  lastError: { message: string; at: number } | null
}

/** Chart buckets, in seconds. */
const BUCKET_S = 10

export async function homePage(config: PageConfig): Promise<void> {
  let activity: Activity[] = []
  const heads = h('div.heads')
  const batcher = h('div')
  const chart = h('div.chart')
  const blocks = h('div')
  const txs = h('div')
  render(
    h('h1', null, 'Latest'),
    heads,
    h('div.grid', null, card('Activity, last 5 minutes', chart), card('Batcher', batcher)),
    h('div.grid.latest', null, card('Latest blocks', blocks), card('Latest transactions', txs)),
  )

  const update = (s: Summary) => {
    const lastSeen = activity.at(-1)?.number ?? -1
    activity = [...activity, ...s.activity.filter((a) => a.number > lastSeen)]
    const newest = activity.at(-1)?.timestamp ?? 0
    activity = activity.filter((a) => a.timestamp > newest - s.activityWindowSeconds)
    fill(heads, headBox('unsafe', s.heads.unsafe, 'sealed by the sequencer'), headBox('safe', s.heads.safe, 'posted to L1'), headBox('finalized', s.heads.finalized, 'final on L1'))
    fill(batcher, batcherView(s.batcher, config))
    fill(chart, activityChart(activity, s.activityWindowSeconds))
    fill(blocks, 
      table(
        ['Block', 'Age', 'Txs', 'Gas used'],
        s.blocks.map((b) => [blockLink(b.number), ago(b.timestamp), count(b.txCount), count(b.gasUsed)]),
      ),
    )
    fill(txs, 
      table(
        ['Hash', 'Block', 'From → to', 'Value'],
        s.transactions.map((t) => [
          h('span', null, hashLink('tx', t.hash, 5), t.status === 1 ? '' : [' ', badge('failed', 'bad')]),
          blockLink(t.blockNumber),
          h('span', null, party(t.from), ' → ', t.to === null ? h('span', null, 'create ', t.contractAddress === null ? '' : party(t.contractAddress)) : party(t.to)),
          eth(t.value),
        ]),
      ),
    )
  }

  const poll = async () => {
    if (!document.hidden) {
      try {
        const since = activity.at(-1)?.number ?? -1
        update(await api<Summary>(`summary?since=${since}`))
        heads.classList.remove('stale')
      } catch {
        heads.classList.add('stale') // the node is away: keep the last figures, greyed
      }
    }
    setTimeout(poll, Math.max(2_000, config.blockTimeMs))
  }
  await poll()
}

function party(address: string): Child {
  const name = knownName(address)
  return h('span', null, hashLink('address', address, 4), name === undefined ? '' : h('small.muted', null, ` ${name}`))
}

function headBox(name: string, n: number, what: string): HTMLElement {
  return h('div.head', { 'data-head': name }, h('div.label', null, name), h('div.value', null, link(`/block/${n}`, `#${count(n)}`)), h('div.muted', null, what))
}

function batcherView(s: BatcherStatus | null, config: PageConfig): Child {
  if (s === null) {
    return h('p.muted', null, config.role === 'replica' ? 'This node is a replica: it derives blocks from L1 and posts nothing.' : 'This node has no L1: it posts no batches, and safe and finalized stay at genesis.')
  }
  return facts([
    ['state', s.running ? (s.l1Reachable === false ? badge('L1 unreachable', 'bad') : badge('running', 'ok')) : badge('stopped', 'bad')],
    ['last batch', s.lastBatchIndex === null ? 'none yet' : link(`/batch/${s.lastBatchIndex}`, `batch ${s.lastBatchIndex}`)],
    ['last posted block', blockLink(s.lastPostedBlock)],
    ['backlog', `${count(s.pendingBlocks)} blocks, ${bytes(s.pendingBytes)}${s.inflight !== null ? ' (an L1 transaction in flight)' : ''}`],
    ['posted', `${count(s.batchesPosted)} batches, ${count(s.l2TxsPosted)} L2 transactions`],
    ['L1 fees', eth(s.l1FeeWei)],
    ['L1 cost per L2 tx', s.l1CostPerL2TxWei === null ? '–' : gwei(s.l1CostPerL2TxWei)],
    ...(s.lastError === null ? [] : ([['last error', h('span.error', null, s.lastError.message)]] as [string, Child][])),
  ])
}

/** Transactions per second (bars) and gas per second (line) in BUCKET_S buckets over the window, as SVG. */
function activityChart(activity: Activity[], windowSeconds: number): Child {
  const W = 600
  const H = 160
  const pad = { l: 44, r: 56, t: 10, b: 22 }
  const end = activity.at(-1)?.timestamp ?? Math.floor(Date.now() / 1000)
  const start = end - windowSeconds
  const n = Math.ceil(windowSeconds / BUCKET_S)
  const tx = new Array<number>(n).fill(0)
  const gas = new Array<number>(n).fill(0)
  for (const a of activity) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((a.timestamp - start) / BUCKET_S)))
    tx[i] += a.txCount / BUCKET_S
    gas[i] += a.gasUsed / BUCKET_S
  }
  const maxTx = Math.max(1, ...tx)
  const maxGas = Math.max(1, ...gas)
  const x = (i: number) => pad.l + (i * (W - pad.l - pad.r)) / n
  const bw = (W - pad.l - pad.r) / n
  const yTx = (v: number) => H - pad.b - (v / maxTx) * (H - pad.t - pad.b)
  const yGas = (v: number) => H - pad.b - (v / maxGas) * (H - pad.t - pad.b)
  const NS = 'http://www.w3.org/2000/svg'
  const el = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(NS, tag)
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
    if (text !== undefined) e.textContent = text
    return e
  }
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'transactions and gas per second' })
  svg.appendChild(el('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: 'axis' }))
  tx.forEach((v, i) => {
    if (v > 0) svg.appendChild(el('rect', { x: x(i) + 1, y: yTx(v), width: Math.max(1, bw - 2), height: H - pad.b - yTx(v), class: 'bar' }))
  })
  svg.appendChild(el('polyline', { points: gas.map((v, i) => `${x(i) + bw / 2},${yGas(v)}`).join(' '), class: 'line' }))
  svg.appendChild(el('text', { x: pad.l - 6, y: pad.t + 8, 'text-anchor': 'end', class: 'tick' }, maxTx.toFixed(maxTx < 10 ? 1 : 0)))
  svg.appendChild(el('text', { x: pad.l - 6, y: H - pad.b, 'text-anchor': 'end', class: 'tick' }, '0'))
  svg.appendChild(el('text', { x: W - pad.r + 6, y: pad.t + 8, class: 'tick gas' }, compact(maxGas)))
  svg.appendChild(el('text', { x: pad.l, y: H - 6, class: 'tick' }, `-${Math.round(windowSeconds / 60)} min`))
  svg.appendChild(el('text', { x: W - pad.r, y: H - 6, 'text-anchor': 'end', class: 'tick' }, 'now'))
  const totalTx = activity.reduce((s, a) => s + a.txCount, 0)
  const span = Math.max(1, end - (activity[0]?.timestamp ?? end) + 1)
  return [
    svg,
    h('p.legend', null, h('span.key.bar', null, 'tx/s'), ' ', h('span.key.line', null, 'gas/s'), ` · ${count(totalTx)} transactions in ${count(activity.length)} blocks, ${(totalTx / span).toFixed(2)} tx/s on average`),
  ]
}

function compact(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)}k`
  return v.toFixed(0)
}
