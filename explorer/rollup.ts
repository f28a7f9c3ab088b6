/**
 * The rollup's pages: a batch as L1 records it, and the anchor lookup with its Verify on L1 button,
 * which checks the node's Merkle proof against RollupAnchor through an L1 the visitor chooses
 * (the SDK's verifyAnchor, run here in the browser by viem): nothing this node says is trusted
 * but the proof, and the proof is what gets checked.
 */
import { verifyAnchor, type AnchorStatus, type VerifyAnchorResult } from '@ai-rollup/sdk'
import { createPublicClient, http, isAddress, type Address, type Hex } from 'viem'
import { fill, api, badge, blockLink, bytes, card, count, eth, facts, h, link, render, rpc, rpcBatch, span, when, type Child, type PageConfig } from './lib.ts'

interface Batch {
  batchIndex: number
  firstBlock: number
  lastBlock: number
  stateRoot: string
  anchorRoot: string
  withdrawalRoot: string
  dataHash: string
  l1TxHash: string
  l1BlockNumber: number
  submittedAt: number
  finalAt: number
  final: boolean
  dataBytes: number
  l2TxCount: number
  l1GasUsed: number
  l1FeeWei: string
  attestations?: { count: number; stake: string; needed: string; total: string; quorum: boolean }
  dispute?: { id: number; status: string; blocking: boolean } | null
  committeeError?: string
}

const L1_URL_KEY = 'explorer.l1RpcUrl'
const ANCHOR_KEY = 'explorer.rollupAnchor'

/** The L1 URL and RollupAnchor the visitor last used, else the node's suggestion. */
function l1Settings(config: PageConfig): { url: string; rollupAnchor: string } {
  return { url: localStorage.getItem(L1_URL_KEY) ?? config.l1RpcUrl ?? '', rollupAnchor: localStorage.getItem(ANCHOR_KEY) ?? config.rollupAnchor ?? '' }
}

export async function batchPage(arg: string, config: PageConfig): Promise<void> {
  const index = Number(arg)
  const [batch, extra] = await Promise.all([rpc<Batch | null>('rollup_getBatch', [`0x${index.toString(16)}`]), api<{ txBytes: number; compression: string | null }>(`batch/${index}`)])
  if (batch === null) throw new Error(`batch ${index} is not known to this node any more (an L1 reorg?)`)
  const confirmations = h('span.muted', null, 'asking L1…')
  const left = batch.finalAt - Date.now() / 1000
  const status = batch.final
    ? badge('final', 'ok')
    : batch.dispute?.blocking === true
      ? badge(`disputed (${batch.dispute.status})`, 'bad')
      : left > 0
        ? badge('posted, in its challenge window', 'info')
        : badge('posted, window over: final once L1 says so', 'info')
  const blocks = batch.lastBlock - batch.firstBlock + 1
  render(
    h('h1', null, `Batch ${batch.batchIndex} `, status),
    card(
      'On L1',
      facts([
        ['L2 blocks', h('span', null, blockLink(batch.firstBlock), ' to ', blockLink(batch.lastBlock), ` (${count(blocks)} blocks, ${count(batch.l2TxCount)} transactions)`)],
        ['L1 transaction', h('span.mono', null, batch.l1TxHash)],
        ['L1 block', h('span', null, count(batch.l1BlockNumber), ' · ', confirmations)],
        ['submitted', when(batch.submittedAt)],
        ['challenge window', batch.final ? `over: final (ended ${when(batch.finalAt)})` : left > 0 ? `${span(left)} left (ends ${when(batch.finalAt)})` : `ended ${when(batch.finalAt)}`],
        ['data', dataSize(batch.dataBytes, extra.txBytes, extra.compression)],
        ['L1 fee', `${eth(batch.l1FeeWei)} for ${count(batch.l1GasUsed)} L1 gas${batch.l2TxCount > 0 ? `, ${eth(BigInt(batch.l1FeeWei) / BigInt(batch.l2TxCount))} per L2 transaction` : ''}`],
        [
          'attestations',
          batch.attestations === undefined
            ? h('span.muted', null, batch.committeeError ?? 'no validator set')
            : `${batch.attestations.count} validators, stake ${eth(batch.attestations.stake)} of ${eth(batch.attestations.needed)} needed${batch.attestations.quorum ? ' (quorum)' : ''}`,
        ],
        ['dispute', batch.dispute === undefined || batch.dispute === null ? 'none' : `#${batch.dispute.id}: ${batch.dispute.status}`],
        ['state root', h('span.mono', null, batch.stateRoot)],
        ['anchor root', h('span.mono', null, batch.anchorRoot)],
        ['withdrawal root', h('span.mono', null, batch.withdrawalRoot)],
        ['', h('span', null, batch.batchIndex > 0 ? link(`/batch/${batch.batchIndex - 1}`, '← previous') : '', ' ', link(`/batch/${batch.batchIndex + 1}`, 'next →'))],
      ]),
    ),
  )
  // confirmations come from the L1 itself, through the visitor's L1 URL
  const { url } = l1Settings(config)
  if (url === '') {
    confirmations.textContent = 'confirmations: set an L1 URL on an anchor page to see them'
    return
  }
  try {
    const head = await createPublicClient({ transport: http(url, { retryCount: 0, timeout: 10_000 }) }).getBlockNumber({ cacheTime: 0 })
    confirmations.textContent = `${count(Number(head) - batch.l1BlockNumber + 1)} L1 confirmations (from ${url})`
  } catch {
    confirmations.textContent = `L1 at ${url} did not answer`
  }
}

/** Blob-sized data are blobs: 128 kB each whatever they hold, so a ratio would mislead. */
const BLOB_BYTES = 131_072

function dataSize(dataBytes: number, txBytes: number, compression: string | null): string {
  const how = compression === null ? '' : `, ${compression}`
  if (dataBytes > 0 && dataBytes % BLOB_BYTES === 0) return `${dataBytes / BLOB_BYTES} blob${dataBytes === BLOB_BYTES ? '' : 's'} (${bytes(dataBytes)}) for ${bytes(txBytes)} of transactions${how}`
  return `${bytes(dataBytes)} on L1 from ${bytes(txBytes)} of transactions${txBytes > 0 ? ` (${((100 * dataBytes) / txBytes).toFixed(1)} %)` : ''}${how}`
}

export async function anchorPage(arg: string, config: PageConfig): Promise<void> {
  const form = h(
    'form.lookup',
    {
      onsubmit: (e: Event) => {
        e.preventDefault()
        const value = ((e.target as HTMLFormElement).elements.namedItem('hash') as HTMLInputElement).value.trim()
        location.href = `/anchor/${encodeURIComponent(value)}`
      },
    },
    h('input', { name: 'hash', placeholder: '0x… the 32-byte hash you anchored (SHA-256 or keccak256 of your document)', value: arg, 'aria-label': 'hash', required: true }),
    h('button', { type: 'submit' }, 'Look up'),
  )
  if (arg === '') {
    render(h('h1', null, 'Anchor lookup'), card('Is my hash anchored?', h('p', null, 'Paste a hash submitted to POST /v1/anchors or to DataAnchor: see its block, its batch on L1, whether it is final, and check its proof against L1 yourself.'), form))
    return
  }
  const [status, config2] = await rpcBatch<[AnchorStatus | null, { heads: { finalized: number } }]>([
    ['anchor_getProof', [arg]],
    ['rollup_getConfig', []],
  ])
  if (status === null) throw new Error(`${arg} is not known to this node any more`)
  const verify = h('div.verify')
  render(
    h('h1', null, 'Anchored hash ', status.status === 'final' ? badge('final', 'ok') : status.status === 'posted' ? badge('posted to L1', 'info') : badge('pending', 'warn')),
    form,
    card(
      'What the node says',
      facts([
        ['hash', h('span.mono', null, status.hash)],
        ['status', status.status === 'pending' ? (status.l2 === null ? 'queued: not in a block yet' : 'in an L2 block, not posted to L1 yet') : status.status === 'posted' ? 'in a batch on L1, challenge window running' : 'in a batch that is final on L1'],
        ['L2 block', status.l2 === null ? '–' : h('span', null, blockLink(status.l2.blockNumber), status.l2.blockNumber <= config2.heads.finalized ? ' (finalized)' : '')],
        ['L2 transaction', status.l2 === null ? '–' : link(`/tx/${status.l2.txHash}`, h('span.mono', null, status.l2.txHash))],
        ['submitter', status.l2 === null ? '–' : h('span.mono', null, status.l2.submitter)],
        ['batch', status.batchIndex === undefined ? '–' : link(`/batch/${status.batchIndex}`, `batch ${status.batchIndex}`)],
        ['L1 transaction', status.l1 === undefined ? '–' : h('span.mono', null, status.l1.txHash)],
        ['L1 block', status.l1 === undefined ? '–' : count(status.l1.blockNumber)],
        ['final', status.l1 === undefined ? '–' : status.status === 'final' ? `yes (window ended ${when(status.l1.finalAt)})` : `at ${when(status.l1.finalAt)} unless disputed, or earlier by validator attestation`],
        ['Merkle proof', status.proof === undefined ? '–' : h('div.mono.small', null, `leaf ${status.leafIndex}, ${status.proof.length} siblings, root ${status.anchorRoot}`)],
      ]),
    ),
    card('Verify on L1', verify),
  )
  verifyBox(verify, arg as Hex, status, config)
}

/** The Verify on L1 form: an L1 URL and RollupAnchor the visitor may change (remembered in this browser), a button, the verdict. */
function verifyBox(box: HTMLElement, hash: Hex, status: AnchorStatus, config: PageConfig): void {
  const settings = l1Settings(config)
  const url = h('input', { name: 'l1', value: settings.url, placeholder: 'https://… an Ethereum L1 JSON-RPC URL you trust', 'aria-label': 'L1 RPC URL', size: 40 }) as HTMLInputElement
  const anchor = h('input', { name: 'rollupAnchor', value: settings.rollupAnchor, placeholder: '0x… RollupAnchor address', 'aria-label': 'RollupAnchor address', size: 44 }) as HTMLInputElement
  const result = h('div.verdict', { 'aria-live': 'polite' })
  const button = h('button', { type: 'submit', disabled: status.proof === undefined }, 'Verify on L1') as HTMLButtonElement
  const form = h(
    'form.verify-form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault()
        if (!isAddress(anchor.value.trim())) {
          fill(result, h('p.error', null, 'The RollupAnchor address must be 0x and 40 hex digits.'))
          return
        }
        localStorage.setItem(L1_URL_KEY, url.value.trim())
        localStorage.setItem(ANCHOR_KEY, anchor.value.trim())
        button.disabled = true
        fill(result, h('p.muted', null, `asking ${url.value.trim()}…`))
        try {
          const verdict = await verifyAnchor({ l1: url.value.trim(), rollupAnchor: anchor.value.trim() as Address, hash, proof: status, expectedL1ChainId: config.l1ChainId ?? undefined })
          fill(result, verdictView(verdict))
        } catch (err) {
          fill(result, h('p.error', { 'data-verdict': 'error' }, `Could not verify: ${(err as Error).message.split('\n')[0]}`))
        } finally {
          button.disabled = false
        }
      },
    },
    h('label', null, 'L1 RPC URL ', url),
    h('label', null, 'RollupAnchor ', anchor),
    button,
  )
  fill(box, 
    h('p.muted', null, 'Your browser asks the L1 directly: RollupAnchor.verifyAnchor(batch, hash, proof) and the batch’s anchor root, and recomputes the root from the proof itself. This node is not asked; change the URL and address to ones you trust.'),
    status.proof === undefined ? h('p.muted', null, 'There is no proof yet: the hash is not in a batch on L1.') : '',
    form,
    result,
  )
}

function verdictView(v: VerifyAnchorResult): Child {
  const b = v.batch
  return h(
    'div',
    { 'data-verdict': v.valid ? 'verified' : 'invalid' },
    v.valid ? h('p.verified', null, '✔ verified', h('span', null, ` on L1 chain ${v.l1ChainId}: ${v.hash} is anchored in batch ${v.batchIndex}`)) : h('p.error', null, '✘ not verified'),
    facts([
      ['RollupAnchor', h('span.mono', null, v.rollupAnchor)],
      ['read at L1 block', count(v.l1Block.number)],
      ['recomputed root', h('span.mono', null, v.computedRoot)],
      ['root on L1', b === undefined ? '–' : h('span.mono', null, b.anchorRoot)],
      ['contract says', v.checks.contractVerifies === null ? '–' : v.checks.contractVerifies ? 'valid' : 'invalid'],
      ['final on L1', b === undefined ? '–' : b.final ? 'yes' : `not yet (at ${when(b.finalAt)})`],
      ['L1 confirmations', b === undefined ? '–' : count(b.confirmations)],
    ]),
    v.reasons.length > 0 ? h('ul.error', null, v.reasons.map((r) => h('li', null, r))) : '',
    v.warnings.length > 0 ? h('ul.warn', null, v.warnings.map((r) => h('li', null, r))) : '',
  )
}
