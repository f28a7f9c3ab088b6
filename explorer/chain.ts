/** The chain's pages: a block, a transaction, an address. */
import type { Hex } from 'viem'
import { decodeCall, decodeLog, decodeRevert, knownName, show, type RpcLog } from './decode.ts'
import { fill, api, badge, big, blockLink, card, count, eth, facts, gwei, h, hashLink, link, num, render, rpc, rpcBatch, table, when, type Child } from './lib.ts'

interface RpcBlock {
  number: string
  hash: string
  parentHash: string
  timestamp: string
  gasUsed: string
  gasLimit: string
  baseFeePerGas: string
  miner: string
  size: string
  stateRoot: string
  transactions: string[]
}

interface RpcTx {
  hash: string
  blockNumber: string
  blockTimestamp?: string
  transactionIndex: string
  from: string
  to: string | null
  value: string
  gas: string
  nonce: string
  input: Hex
  type: string
  maxFeePerGas?: string
  maxPriorityFeePerGas?: string
  gasPrice?: string
}

interface RpcReceipt {
  status: string
  gasUsed: string
  effectiveGasPrice: string
  contractAddress: string | null
  logs: RpcLog[]
}

interface Heads {
  unsafe: number
  safe: number
  finalized: number
}

/** A block's place among the heads: finalized on L1, safe (posted), or only sealed. */
function headBadge(n: number, heads: Heads): HTMLElement {
  if (n <= heads.finalized) return badge('finalized', 'ok')
  if (n <= heads.safe) return badge('safe: on L1', 'info')
  return badge('unsafe: not on L1 yet', 'warn')
}

/** Most transactions a block page lists with their details. */
const BLOCK_TXS_SHOWN = 100

export async function blockPage(arg: string): Promise<void> {
  const byHash = arg.startsWith('0x')
  const [block, config] = await rpcBatch<[RpcBlock | null, { heads: Heads }]>([
    [byHash ? 'eth_getBlockByHash' : 'eth_getBlockByNumber', [byHash ? arg : `0x${BigInt(arg).toString(16)}`, false]],
    ['rollup_getConfig', []],
  ])
  if (block === null) throw new Error(`block ${arg} is not in the store any more (a replica rewound?)`)
  const n = num(block.number)
  const shown = block.transactions.slice(0, BLOCK_TXS_SHOWN)
  const [txs, batch] = await Promise.all([
    rpcBatch<RpcTx[]>(shown.map((t) => ['eth_getTransactionByHash', [t]])),
    api<{ batchIndex: number | null }>(`block/${n}/batch`),
  ])
  render(
    h('h1', null, `Block #${count(n)}`, ' ', headBadge(n, config.heads)),
    card(
      'Overview',
      facts([
        ['hash', h('span.mono', null, block.hash)],
        ['time', when(num(block.timestamp))],
        ['transactions', count(block.transactions.length)],
        ['gas used', `${count(num(block.gasUsed))} of ${count(num(block.gasLimit))} (${((100 * num(block.gasUsed)) / num(block.gasLimit)).toFixed(2)} %)`],
        ['base fee', gwei(block.baseFeePerGas)],
        ['size', `${count(num(block.size))} bytes`],
        ['parent', n === 0 ? 'none (genesis)' : h('span', null, blockLink(n - 1), ' ', h('span.mono.muted', null, block.parentHash))],
        ['state root', h('span.mono', null, block.stateRoot)],
        ['batch', batch.batchIndex === null ? h('span.muted', null, 'not posted to L1 yet') : link(`/batch/${batch.batchIndex}`, `batch ${batch.batchIndex}`)],
        ['', h('span', null, n > 0 ? link(`/block/${n - 1}`, '← previous') : '', ' ', n < config.heads.unsafe ? link(`/block/${n + 1}`, 'next →') : '')],
      ]),
    ),
    card(
      `Transactions${block.transactions.length > BLOCK_TXS_SHOWN ? ` (the first ${BLOCK_TXS_SHOWN} of ${count(block.transactions.length)})` : ''}`,
      table(
        ['#', 'Hash', 'From', 'To', 'Value'],
        txs.map((t) => [num(t.transactionIndex), hashLink('tx', t.hash), party(t.from), t.to === null ? 'contract creation' : party(t.to), eth(t.value)]),
        'No transactions (genesis).',
      ),
    ),
  )
}

export async function txPage(hash: string): Promise<void> {
  const [tx, receipt, inferences, config] = await rpcBatch<[RpcTx | null, RpcReceipt | null, InferenceRecord[] | null, { heads: Heads }]>([
    ['eth_getTransactionByHash', [hash]],
    ['eth_getTransactionReceipt', [hash]],
    ['ai_getInferences', [hash]],
    ['rollup_getConfig', []],
  ])
  if (tx === null || receipt === null) throw new Error(`transaction ${hash} is not in the store any more (a replica rewound?)`)
  const ok = receipt.status === '0x1'
  const n = num(tx.blockNumber)
  // a failed transaction's reason: the node re-runs it (a call worker) with geth's callTracer, top call only
  const reason = ok ? undefined : await revertReason(hash)
  const call = decodeCall(tx.to, tx.input)
  const fee = big(receipt.gasUsed) * big(receipt.effectiveGasPrice)
  render(
    h('h1', null, 'Transaction ', ok ? badge('success', 'ok') : badge('failed', 'bad'), ' ', headBadge(n, config.heads)),
    card(
      'Overview',
      facts([
        ['hash', h('span.mono', null, tx.hash)],
        ['status', ok ? 'success' : h('span', null, 'failed', reason === undefined ? '' : h('span.error', { 'data-revert': '' }, `: ${reason}`))],
        ['block', h('span', null, blockLink(n), ` position ${num(tx.transactionIndex)}`)],
        ['time', tx.blockTimestamp === undefined ? '–' : when(num(tx.blockTimestamp))],
        ['from', party(tx.from, true)],
        ['to', tx.to === null ? h('span', null, 'contract creation: ', receipt.contractAddress === null ? 'none (failed)' : party(receipt.contractAddress, true)) : party(tx.to, true)],
        ['value', eth(tx.value)],
        ['fee', `${eth(fee)} (${count(num(receipt.gasUsed))} gas × ${gwei(receipt.effectiveGasPrice)})`],
        ['gas', `${count(num(receipt.gasUsed))} used of ${count(num(tx.gas))} limit`],
        ['nonce', count(num(tx.nonce))],
        ['type', `${num(tx.type)}${tx.maxFeePerGas !== undefined ? ` (EIP-1559: max fee ${gwei(tx.maxFeePerGas)}, tip ${gwei(tx.maxPriorityFeePerGas ?? '0x0')})` : ''}`],
        ['input', call === undefined ? h('code.data', null, tx.input.length > 1000 ? `${tx.input.slice(0, 1000)}… (${count((tx.input.length - 2) / 2)} bytes)` : tx.input) : h('span', null, h('code', null, `${call.name}(…)`), argList(call.args))],
      ]),
    ),
    inferences !== null && inferences.length > 0 ? card(`AI inferences (${inferences.length})`, inferenceTable(inferences)) : null,
    card(`Logs (${receipt.logs.length})`, receipt.logs.length === 0 ? h('p.muted', null, 'No logs.') : h('div.logs', null, receipt.logs.map(logView))),
  )
}

export interface InferenceRecord {
  modelId: string
  inputHash: string
  outputHash: string
  logIndex: string
}

export function inferenceTable(records: InferenceRecord[]): HTMLElement {
  return table(
    ['Model', 'Input hash', 'Output hash', 'Log'],
    records.map((r) => [hashLink('model', r.modelId), h('span.mono', { title: r.inputHash }, r.inputHash), h('span.mono', { title: r.outputHash }, r.outputHash), num(r.logIndex)]),
  )
}

async function revertReason(hash: string): Promise<string | undefined> {
  try {
    const frame = await rpc<{ error?: string; revertReason?: string; output?: Hex }>('debug_traceTransaction', [hash, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } }])
    if (frame.revertReason !== undefined) return frame.revertReason
    return decodeRevert(frame.output) ?? frame.error
  } catch (err) {
    return `(reason unavailable: ${(err as Error).message})`
  }
}

function logView(log: RpcLog): HTMLElement {
  const decoded = decodeLog(log)
  return h(
    'div.log',
    null,
    h('div', null, h('span.muted', null, `#${num(log.logIndex)} `), party(log.address)),
    decoded === undefined
      ? h('div', null, h('div.mono.small', null, log.topics.map((t) => h('div', null, t))), h('code.data', null, log.data))
      : h('div', null, h('code.event', null, `${decoded.event}`), argList(decoded.args)),
  )
}

function argList(args: [string, unknown][]): HTMLElement {
  return h('ul.args', null, args.map(([k, v]) => h('li', null, h('span.muted', null, `${k}: `), argValue(v))))
}

function argValue(v: unknown): Child {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return party(v)
  const s = show(v)
  return h('span.mono', { title: s }, s.length > 200 ? `${s.slice(0, 200)}…` : s)
}

/** An address, linked, with its name when it is a predeploy or the system sender. */
export function party(address: string, full = false): Child {
  const name = knownName(address)
  return h('span', null, full ? h('a.mono', { href: `/address/${address}` }, address) : hashLink('address', address, 6), name === undefined ? '' : h('small.muted', null, ` ${name}`))
}

interface AddressTxs {
  transactions: { hash: string; blockNumber: number; from: string; to: string | null; contractAddress: string | null; value: string; status: number }[]
  next: string | null
  /** The last block in the address index, and the chain's head when the page was asked. */
  indexedThrough: number
  head: number
}

export async function addressPage(address: string): Promise<void> {
  const [balance, nonce, code] = await rpcBatch<[string, string, string]>([
    ['eth_getBalance', [address, 'latest']],
    ['eth_getTransactionCount', [address, 'latest']],
    ['eth_getCode', [address, 'latest']],
  ])
  const list = h('div')
  const more = h('div')
  const name = knownName(address)
  render(
    h('h1', null, 'Address ', h('span.mono.title-hash', null, address), name === undefined ? '' : h('small.muted', null, ` ${name}`)),
    card(
      'Overview',
      facts([
        ['balance', eth(balance)],
        ['nonce', count(num(nonce))],
        ['code', code === '0x' ? 'none (an account)' : `a contract: ${count((code.length - 2) / 2)} bytes`],
      ]),
    ),
    card('Transactions', list, more),
  )
  const rows: Child[][] = []
  const load = async (before?: string) => {
    const page = await api<AddressTxs>(`address/${address}/txs${before === undefined ? '' : `?before=${before}`}`)
    for (const t of page.transactions) {
      const direction = t.from.toLowerCase() === address.toLowerCase() ? badge('out', 'warn') : badge('in', 'ok')
      rows.push([hashLink('tx', t.hash), blockLink(t.blockNumber), direction, party(t.from), t.to === null ? h('span', null, 'create ', t.contractAddress === null ? '' : party(t.contractAddress)) : party(t.to), eth(t.value), t.status === 1 ? badge('ok', 'ok') : badge('failed', 'bad')])
    }
    fill(list, table(['Hash', 'Block', '', 'From', 'To', 'Value', 'Status'], rows, 'No transactions from or to this address.'))
    fill(more, 
      page.next === null ? '' : h('button', { type: 'button', onclick: () => void load(page.next!) }, 'Older transactions'),
      page.indexedThrough < page.head ? h('p.muted', null, `The address index reaches block #${page.indexedThrough} of #${page.head}: transactions of later blocks are not listed yet.`) : '',
    )
  }
  await load()
}
