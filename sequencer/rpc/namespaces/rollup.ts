import { method, type MethodTable } from '../methods.ts'
import { hex } from '../format.ts'
import * as p from '../params.ts'
import type { RpcContext } from '../context.ts'
import type { BatchCommittee, BatcherStatus, PostedBatch } from '../../../batcher/index.ts'

/** What rollup_ reads about batches (the batcher's status, the mirror of L1's batches). */
export interface BatchView {
  batcher?: { status(): BatcherStatus }
  batch(index: number): PostedBatch | undefined
  /** The committee's view of a batch (ValidatorSet on L1); absent without an L1 or a ValidatorSet. */
  committee?(index: number): Promise<BatchCommittee>
}

/**
 * rollup_: what a client needs to know about this L2.
 *   rollup_getConfig          chain id, heads, predeploys, precompiles, the L1 contracts
 *   rollup_getBatcherStatus   last posted L2 block, pending blocks and bytes, the transaction in
 *                             flight, L1 cost per L2 transaction, last error; null without an L1
 *   rollup_getBatch(index)    a posted batch as L1 records it, with its attestations (count,
 *                             stake, stake needed) and dispute from ValidatorSet, or null
 */
export function rollupMethods(ctx: RpcContext, batches: BatchView): MethodTable {
  return {
    rollup_getBatcherStatus: method([], () => {
      const status = batches.batcher?.status()
      if (status === undefined) return null
      return { ...status, heads: { unsafe: ctx.chain.headNumber, safe: ctx.chain.headOf('safe'), finalized: ctx.chain.headOf('finalized') } }
    }),
    rollup_getBatch: method([p.smallQuantity], async (index) => {
      const b = batches.batch(index)
      if (b === undefined) return null
      // the committee's state lives on L1: read it now; if L1 is away, say so rather than fail the call
      const committee = batches.committee === undefined ? undefined : await batches.committee(index).catch((err: unknown) => ({ error: `L1 unreachable: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` }))
      return {
        batchIndex: b.batchIndex,
        firstBlock: b.firstBlock,
        lastBlock: b.lastBlock,
        stateRoot: hex(b.stateRoot),
        blockHash: hex(b.blockHash),
        withdrawalRoot: hex(b.withdrawalRoot),
        anchorRoot: hex(b.anchorRoot),
        dataHash: hex(b.dataHash),
        l1TxHash: hex(b.l1TxHash),
        l1BlockNumber: b.l1BlockNumber,
        submittedAt: b.submittedAt,
        finalAt: b.submittedAt + b.challengeWindow,
        final: ctx.chain.headOf('finalized') >= b.lastBlock,
        dataBytes: b.dataBytes,
        l2TxCount: b.l2TxCount,
        l1GasUsed: b.l1GasUsed,
        l1FeeWei: b.l1Fee.toString(),
        ...(committee === undefined ? {} : 'error' in committee ? { committee: null, committeeError: committee.error } : committee),
      }
    }),
    rollup_getConfig: method([], () => {
      const genesis = ctx.chain.byNumber(0)!
      return {
        chainId: Number(ctx.common.chainId()),
        hardfork: ctx.common.hardfork(),
        blockTimeMs: ctx.config.sequencer.blockTimeMs,
        automine: ctx.config.sequencer.automine,
        gasLimit: Number(ctx.chain.head().header.gasLimit),
        feeRecipient: ctx.config.sequencer.feeRecipient,
        genesisHash: hex(genesis.row.hash),
        heads: { unsafe: ctx.chain.headNumber, safe: ctx.chain.headOf('safe'), finalized: ctx.chain.headOf('finalized') },
        predeploys: {},
        precompiles: {},
        l1: null,
        ...ctx.rollupConfig(),
      }
    }),
  }
}
