/**
 * Proofs against the posted batches: where an anchored data hash (or, for the bridge, a
 * withdrawal) stands and the Merkle proof that ties it to its batch's root on L1. The trees are
 * rebuilt from the L2 chain's own index (the same values the batcher built the root from) and
 * kept in a small cache, since callers ask about hashes of the same recent batches.
 */
import { bytesToHex } from '@ethereumjs/util'
import { MerkleTree, leafHash } from './merkle.ts'
import type { PostedBatch } from './batcher.ts'

/** What the proof service reads (declared here; node.ts assembles it from the anchoring, bridge, batcher and chain stores). */
export interface ProofIndex {
  anchorQueuedAt(hash: Uint8Array): number | undefined
  firstAnchor(hash: Uint8Array): { blockNumber: number; logIndex: number; txIndex: number; submitter: Uint8Array } | undefined
  anchoredHashes(first: number, last: number): Uint8Array[]
  withdrawalHashes(first: number, last: number): Uint8Array[]
  batchCovering(blockNumber: number): PostedBatch | undefined
  getTxByPosition(blockNumber: number, index: number): { hash: Uint8Array } | undefined
}

export interface L1Info {
  chainId: number
  rollupAnchor: string
}

export type AnchorState = 'pending' | 'posted' | 'final'

/** The answer to GET /v1/anchors/{hash} and anchor_getProof. */
export interface AnchorStatus {
  hash: string
  /** pending: accepted, not yet in a posted batch; posted: in a batch on L1; final: its challenge window has passed. */
  status: AnchorState
  /** Where the hash was anchored on L2; null while it waits in the queue for a block. */
  l2: { blockNumber: number; txHash: string; logIndex: number; submitter: string } | null
  /** Present once posted: everything needed to check the hash against L1. */
  batchIndex?: number
  anchorRoot?: string
  leaf?: string
  leafIndex?: number
  proof?: string[]
  l1?: { chainId: number; rollupAnchor: string; txHash: string; blockNumber: number; submittedAt: number; finalAt: number }
}

export interface MembershipProof {
  batch: PostedBatch
  root: Uint8Array
  leaf: Uint8Array
  leafIndex: number
  proof: Uint8Array[]
}

const CACHE_SIZE = 16

export class BatchProofs {
  private readonly trees = new Map<string, MerkleTree>()

  constructor(
    private readonly index: ProofIndex,
    /** The L2 finalized head (a batch is final once the head reached its last block). */
    private readonly finalizedHead: () => number,
    /** The L1 contract, when the node posts to one. */
    private readonly l1: () => L1Info | undefined,
  ) {}

  /** Status and, once posted, the proof of an anchored hash; undefined if the node never saw it. */
  anchor(hash: Uint8Array): AnchorStatus | undefined {
    const hex = bytesToHex(hash)
    const anchored = this.index.firstAnchor(hash)
    if (anchored === undefined) {
      return this.index.anchorQueuedAt(hash) === undefined ? undefined : { hash: hex, status: 'pending', l2: null }
    }
    const l2 = {
      blockNumber: anchored.blockNumber,
      txHash: bytesToHex(this.index.getTxByPosition(anchored.blockNumber, anchored.txIndex)?.hash ?? new Uint8Array(32)),
      logIndex: anchored.logIndex,
      submitter: bytesToHex(anchored.submitter),
    }
    const membership = this.prove('anchors', anchored.blockNumber, hash)
    if (membership === undefined) return { hash: hex, status: 'pending', l2 }
    return { hash: hex, status: this.stateOf(membership.batch), l2, ...this.describe(membership) }
  }

  /** The proof that `withdrawalHash` (sealed in L2 block `blockNumber`) is in its batch's withdrawal tree. */
  withdrawal(withdrawalHash: Uint8Array, blockNumber: number): (MembershipProof & { final: boolean }) | undefined {
    const membership = this.prove('withdrawals', blockNumber, withdrawalHash)
    return membership && { ...membership, final: this.stateOf(membership.batch) === 'final' }
  }

  private stateOf(batch: PostedBatch): AnchorState {
    return this.finalizedHead() >= batch.lastBlock ? 'final' : 'posted'
  }

  private prove(kind: 'anchors' | 'withdrawals', blockNumber: number, value: Uint8Array): MembershipProof | undefined {
    const batch = this.index.batchCovering(blockNumber)
    if (batch === undefined) return undefined
    const tree = this.tree(kind, batch)
    const proof = tree.proof(value)
    if (proof === undefined) return undefined
    return { batch, root: tree.root, leaf: leafHash(value), leafIndex: tree.leafIndex(value), proof }
  }

  private describe(m: MembershipProof): Partial<AnchorStatus> {
    const l1 = this.l1()
    return {
      batchIndex: m.batch.batchIndex,
      anchorRoot: bytesToHex(m.root),
      leaf: bytesToHex(m.leaf),
      leafIndex: m.leafIndex,
      proof: m.proof.map(bytesToHex),
      l1: {
        chainId: l1?.chainId ?? 0,
        rollupAnchor: l1?.rollupAnchor ?? '',
        txHash: bytesToHex(m.batch.l1TxHash),
        blockNumber: m.batch.l1BlockNumber,
        submittedAt: m.batch.submittedAt,
        finalAt: m.batch.submittedAt + m.batch.challengeWindow,
      },
    }
  }

  private tree(kind: 'anchors' | 'withdrawals', batch: PostedBatch): MerkleTree {
    const key = `${kind}:${batch.batchIndex}:${bytesToHex(batch.dataHash)}`
    const cached = this.trees.get(key)
    if (cached !== undefined) return cached
    const values = kind === 'anchors' ? this.index.anchoredHashes(batch.firstBlock, batch.lastBlock) : this.index.withdrawalHashes(batch.firstBlock, batch.lastBlock)
    const tree = new MerkleTree(values)
    const root = kind === 'anchors' ? batch.anchorRoot : batch.withdrawalRoot
    if (Buffer.compare(tree.root, root) !== 0) {
      throw new Error(`the ${kind} tree of batch ${batch.batchIndex} rebuilds to ${bytesToHex(tree.root)}, L1 holds ${bytesToHex(root)}`)
    }
    if (this.trees.size >= CACHE_SIZE) this.trees.delete(this.trees.keys().next().value!)
    this.trees.set(key, tree)
    return tree
  }
}
