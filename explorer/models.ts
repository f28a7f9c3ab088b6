/** The models' pages: every registered model (ai_listModels, a page at a time) and one model with its recent inference records. */
import { party } from './chain.ts'
import { api, badge, blockLink, bytes, card, count, facts, h, hashLink, link, num, render, rpc, table, type Child } from './lib.ts'

interface ListedModel {
  modelId: string
  kind: 'onchain' | 'offchain'
  name: string
  owner: string
  size: string
  inputFormat: string
  outputFormat: string
  gasPerCall?: string
  input?: { type: string; shape: number[] } | null
  output?: { type: string; shape: number[] } | null
  uri?: string
  nodes?: string
  lowestPrice?: string | null
}

interface InferenceCounts {
  fromBlock: number
  toBlock: number
  partial: boolean
  counts: Record<string, number>
}

/** Models per page (ai_listModels' most). */
const PAGE = 100

const shape = (t: { type: string; shape: number[] } | null | undefined) => (t === null || t === undefined ? '–' : `${t.type}[${t.shape.join('×')}]`)

export async function modelsPage(): Promise<void> {
  const offset = Math.max(0, Number(new URLSearchParams(location.search).get('offset') ?? 0) | 0)
  const [models, counts] = await Promise.all([rpc<ListedModel[]>('ai_listModels', [`0x${offset.toString(16)}`, `0x${PAGE.toString(16)}`]), api<InferenceCounts>('inference-counts')])
  render(
    h('h1', null, 'Models'),
    card(
      `Registered models${offset > 0 ? ` from #${offset + 1}` : ''}`,
      table(
        ['Name', 'Model id', 'Kind', 'Owner', 'Size', 'Input → output', 'Gas per call', 'Inferences'],
        models.map((m) => [
          link(`/model/${m.modelId}`, m.name === '' ? '(no name)' : m.name),
          hashLink('model', m.modelId, 6),
          m.kind === 'onchain' ? badge('on-chain', 'info') : badge('off-chain', 'warn'),
          party(m.owner),
          bytes(num(m.size)),
          m.kind === 'onchain' ? `${shape(m.input)} → ${shape(m.output)}` : `${m.inputFormat} → ${m.outputFormat}`,
          m.gasPerCall === undefined ? '–' : count(num(m.gasPerCall)),
          m.kind === 'onchain' ? count(counts.counts[m.modelId.toLowerCase()] ?? 0) : '–',
        ]),
        'No models registered yet (npm run models:register).',
      ),
      h('p.muted', null, `Inferences: calls of the inference precompile in blocks ${count(counts.fromBlock)} to ${count(counts.toBlock)} (the last 10,000 blocks)${counts.partial ? ', counted in part (too many to count on each visit)' : ''}. Off-chain models answer through the InferenceCoordinator.`),
      h('p', null, offset > 0 ? link(`/models?offset=${Math.max(0, offset - PAGE)}`, '← previous') : '', ' ', models.length === PAGE ? link(`/models?offset=${offset + PAGE}`, 'next →') : ''),
    ),
  )
}

interface ModelApi {
  modelId: string
  kind: 'onchain' | 'offchain'
  offchain: Record<string, unknown> | null
  inferences: { fromBlock: number; toBlock: number; count: number; countIsPartial: boolean; records: { txHash: string; blockNumber: number; logIndex: number; inputHash: string; outputHash: string }[] }
}

interface OnchainModel {
  name: string
  owner: string
  size: string
  gasPerCall: string
  input: { type: string; shape: number[] } | null
  output: { type: string; shape: number[] } | null
  operators: string[] | null
  multiplyAccumulates: string | null
}

export async function modelPage(id: string): Promise<void> {
  const info = await api<ModelApi>(`model/${id}`)
  const onchain = info.kind === 'onchain' ? await rpc<OnchainModel | null>('ai_getModel', [id]) : null
  const off = info.offchain as { name?: string; owner?: string; size?: string; uri?: string; inputFormat?: string; outputFormat?: string; timeoutSeconds?: string } | null
  const rows: [string, Child][] = [['model id', h('span.mono', null, info.modelId)]]
  if (onchain !== null) {
    rows.push(
      ['name', onchain.name],
      ['owner', party(onchain.owner, true)],
      ['size', bytes(num(onchain.size))],
      ['input', shape(onchain.input)],
      ['output', shape(onchain.output)],
      ['gas per call', count(num(onchain.gasPerCall))],
      ['multiply-accumulates', onchain.multiplyAccumulates === null ? '–' : count(num(onchain.multiplyAccumulates))],
      ['operators', onchain.operators === null ? '–' : onchain.operators.join(', ')],
    )
  } else if (off !== null) {
    rows.push(
      ['name', off.name ?? ''],
      ['owner', off.owner === undefined ? '–' : party(off.owner, true)],
      ['size', bytes(Number(off.size ?? 0))],
      ['formats', `${off.inputFormat ?? '?'} → ${off.outputFormat ?? '?'}`],
      ['URI', h('span.mono', null, off.uri ?? '')],
      ['phase timeout', `${off.timeoutSeconds ?? '?'} s`],
    )
  }
  const inf = info.inferences
  render(
    h('h1', null, `Model ${onchain?.name ?? off?.name ?? ''} `, info.kind === 'onchain' ? badge('on-chain', 'info') : badge('off-chain', 'warn')),
    card('Registry entry', facts(rows)),
    card(
      `Inferences: ${count(inf.count)}${inf.countIsPartial ? '+' : ''} in blocks ${count(inf.fromBlock)} to ${count(inf.toBlock)}`,
      info.kind === 'offchain'
        ? h('p.muted', null, 'Off-chain models run on resource nodes through the InferenceCoordinator; its request events are on the coordinator’s address page.')
        : table(
            ['Transaction', 'Block', 'Input hash', 'Output hash'],
            inf.records.map((r) => [hashLink('tx', r.txHash), blockLink(r.blockNumber), h('span.mono', { title: r.inputHash }, r.inputHash), h('span.mono', { title: r.outputHash }, r.outputHash)]),
            'No inferences in these blocks.',
          ),
    ),
  )
}
