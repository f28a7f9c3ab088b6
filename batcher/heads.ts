/**
 * The L2's `safe` and `finalized` heads as the batches posted on L1 place them, computed the same
 * way by the sequencer's batcher and by a replica's derivation:
 * - safe: the last block of the last batch with `confirmations` L1 blocks (its own included);
 * - finalized: the last block of the longest run of batches RollupAnchor.isFinal calls final
 *   (ValidatorSet's rule: two thirds of the stake attested, or the challenge window passed with no
 *   dispute open or undecided), never above safe. Final batches form a prefix and stay final, so
 *   only the batches after the current finalized head are read, at most
 *   FINALITY_CHECKS_PER_STEP per step (a node catching up gets there over several steps).
 */
import type { Logger } from './l1-loop.ts'

/** A posted batch as the head computation reads it. */
interface BatchEnd {
  batchIndex: number
  lastBlock: number
}

/** What the head computation reads of the ledger of posted batches (ledger.ts). */
export interface HeadsLedger {
  lastBatch(): BatchEnd | undefined
  batch(index: number): BatchEnd | undefined
  /** Lowest batch index submitted in an L1 block after `l1Block`, if any. */
  firstBatchAfterL1Block(l1Block: number): number | undefined
  /** The first batch whose last block is at or after `blockNumber`. */
  batchCovering(blockNumber: number): BatchEnd | undefined
}

/** Where the heads are kept (the node's chain store). */
interface Heads {
  headOf(name: 'safe' | 'finalized'): number
  setHead(name: 'safe' | 'finalized', number: number): void
}

/** One step: the heads L1 now justifies, stored in `heads` and logged (`name`: "batcher", "derivation") when they move. */
export async function moveHeads(
  ledger: HeadsLedger,
  heads: Heads,
  l1Head: number,
  confirmations: number,
  isFinal: (batchIndex: number) => Promise<boolean>,
  log: Pick<Logger, 'info' | 'debug'>,
  name: string,
): Promise<void> {
  const { safe, finalized } = await headsFromL1(ledger, heads.headOf('finalized'), l1Head, confirmations, isFinal)
  if (safe !== heads.headOf('safe')) {
    heads.setHead('safe', safe)
    log.debug(`${name}: safe head ${safe}`, { event: 'head_moved', head: 'safe', block: safe })
  }
  if (finalized !== heads.headOf('finalized')) {
    heads.setHead('finalized', finalized)
    log.info(`${name}: finalized head ${finalized}`, { event: 'head_moved', head: 'finalized', block: finalized })
  }
}

/** Most isFinal reads per step. */
export const FINALITY_CHECKS_PER_STEP = 64

/** The heads L1 now justifies, given the finalized head so far (see the module comment). */
export async function headsFromL1(
  ledger: HeadsLedger,
  finalizedSoFar: number,
  l1Head: number,
  confirmations: number,
  isFinal: (batchIndex: number) => Promise<boolean>,
): Promise<{ safe: number; finalized: number }> {
  const last = ledger.lastBatch()
  const lastBlockBefore = (index: number | undefined): number => {
    if (last === undefined) return 0
    if (index === undefined) return last.lastBlock
    return index === 0 ? 0 : (ledger.batch(index - 1)?.lastBlock ?? 0)
  }
  const safe = lastBlockBefore(ledger.firstBatchAfterL1Block(l1Head - confirmations + 1))
  let finalized = Math.min(finalizedSoFar, safe)
  const firstNotFinal = ledger.batchCovering(finalized + 1)
  if (firstNotFinal !== undefined && firstNotFinal.lastBlock <= safe) {
    const indices: number[] = []
    for (let i = firstNotFinal.batchIndex; i < firstNotFinal.batchIndex + FINALITY_CHECKS_PER_STEP; i++) {
      const b = ledger.batch(i)
      if (b === undefined || b.lastBlock > safe) break
      indices.push(i)
    }
    const final = await Promise.all(indices.map(isFinal))
    for (const [k, i] of indices.entries()) {
      if (!final[k]) break
      finalized = ledger.batch(i)!.lastBlock
    }
  }
  return { safe, finalized }
}
