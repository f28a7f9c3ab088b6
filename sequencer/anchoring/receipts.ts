/**
 * The answer of GET /v1/anchors/{hash} (and of the list, the notifications and anchor_getProof):
 * the batch proofs' status (batcher/proofs.ts) for a hash anchored on chain, the aggregation's
 * (rounds.ts) for one submitted in aggregate mode, and, once the batch carrying it is on L1,
 * its **receipt**: a self-contained document that proves the hash against L1 alone (README
 * "Receipts"; checked by the SDK's verifyAnchor, sdk/src/anchoring.ts).
 *
 * A receipt is made only of what cannot change while L1 keeps the batch: the round's tree (stored
 * when the round closed), the batch's anchor tree and L1 record. So every answer for the same
 * hash carries the same receipt; what changes (status, L1 confirmations) stays outside it. An L1
 * reorg that removes the batch before it is final makes the node post it again, and the hash then
 * gets a new receipt (the old one no longer verifies).
 */
import { bytesToHex } from '@ethereumjs/util'
import type { AnchorState, AnchorStatus } from '../../batcher/index.ts'
import type { AggregatedHash } from './rounds.ts'

export const RECEIPT_TYPE = 'ai-rollup-anchor-receipt'
export const RECEIPT_VERSION = 1

/** Version 1 of the receipt (README "Receipts" describes each field; the SDK's AnchorReceipt mirrors it). */
export interface AnchorReceipt {
  type: typeof RECEIPT_TYPE
  version: typeof RECEIPT_VERSION
  /** The hash the receipt proves. */
  hash: string
  /** Aggregate mode: the hash's path to its round's root (the value anchored on L2); null when the hash itself was anchored. */
  round: { index: number; root: string; size: number; leafIndex: number; proof: string[] } | null
  /** The anchored value's (round root's, or the hash's) path to the batch's anchor root, which RollupAnchor holds on L1. */
  batch: { index: number; anchorRoot: string; leafIndex: number; proof: string[] }
  l1: { chainId: number; rollupAnchor: string; txHash: string; blockNumber: number; submittedAt: number; finalAt: number }
  /** Where the anchored value entered the L2 (informative: the verifier needs only L1). */
  l2: { chainId: number; blockNumber: number; txHash: string }
}

/** An on-chain hash's answer: batcher/proofs.ts's status, plus its receipt and L1 confirmations once posted. */
export type OnchainAnswer = AnchorStatus & { confirmations?: number; receipt?: AnchorReceipt }

/** An aggregated hash's answer. */
export interface AggregatedAnswer {
  hash: string
  mode: 'aggregate'
  status: AnchorState
  /** When the node accepted it (ISO 8601). */
  acceptedAt: string
  /** Its round once closed; null while it waits for one. */
  round: { index: number; root: string; size: number; closedAt: string } | null
  /** Where the round's root was anchored on L2; null until then. */
  l2: AnchorStatus['l2']
  batchIndex?: number
  l1?: AnchorStatus['l1']
  confirmations?: number
  receipt?: AnchorReceipt
}

export type AnchorAnswer = OnchainAnswer | AggregatedAnswer

export interface AnchorAnswerSources {
  /** Status and batch proof of a hash anchored on L2 (BatchProofs.anchor). */
  onchain(hash: Uint8Array): AnchorStatus | undefined
  /** Where a hash submitted in aggregate mode stands (AnchorAggregator.find). */
  aggregated(hash: Uint8Array): AggregatedHash | undefined
  /** The L1 head the batcher (a replica: its derivation) saw last; undefined before its first step. */
  l1Head(): number | undefined
  l2ChainId: number
}

/** The answer for `hash`: on chain first (a round's root is one too), else aggregated; undefined if the node never saw it. */
export function anchorAnswer(src: AnchorAnswerSources, hash: Uint8Array): AnchorAnswer | undefined {
  const onchain = src.onchain(hash)
  if (onchain !== undefined) {
    if (onchain.status === 'pending') return onchain
    return { ...onchain, confirmations: confirmations(src, onchain), receipt: receipt(src, onchain, null) }
  }
  const found = src.aggregated(hash)
  if (found === undefined) return undefined
  const hex = bytesToHex(hash)
  const base: AggregatedAnswer = { hash: hex, mode: 'aggregate', status: 'pending', acceptedAt: new Date(found.receivedAt).toISOString(), round: null, l2: null }
  const r = found.round
  if (r === undefined) return base
  const root = bytesToHex(r.root)
  base.round = { index: r.round, root, size: r.size, closedAt: new Date(r.closedAt).toISOString() }
  const rootStatus = src.onchain(r.root)
  if (rootStatus === undefined) return base // cannot happen once the round's transaction committed
  base.l2 = rootStatus.l2
  if (rootStatus.status === 'pending') return base
  const proof = r.tree.proof(hash)
  if (proof === undefined) throw new Error(`round ${r.round}'s tree has no leaf for ${hex}`)
  const round = { index: r.round, root, size: r.size, leafIndex: r.tree.leafIndex(hash), proof: proof.map(bytesToHex) }
  return { ...base, status: rootStatus.status, batchIndex: rootStatus.batchIndex, l1: rootStatus.l1, confirmations: confirmations(src, rootStatus), receipt: receipt(src, { ...rootStatus, hash: hex }, round) }
}

/** L1 blocks that include the batch's transaction, its own counted. */
function confirmations(src: AnchorAnswerSources, posted: AnchorStatus): number | undefined {
  const head = src.l1Head()
  return head === undefined || posted.l1 === undefined ? undefined : Math.max(0, head - posted.l1.blockNumber + 1)
}

function receipt(src: AnchorAnswerSources, posted: AnchorStatus, round: AnchorReceipt['round']): AnchorReceipt {
  return {
    type: RECEIPT_TYPE,
    version: RECEIPT_VERSION,
    hash: posted.hash,
    round,
    batch: { index: posted.batchIndex!, anchorRoot: posted.anchorRoot!, leafIndex: posted.leafIndex!, proof: posted.proof! },
    l1: posted.l1!,
    l2: { chainId: src.l2ChainId, blockNumber: posted.l2!.blockNumber, txHash: posted.l2!.txHash },
  }
}
