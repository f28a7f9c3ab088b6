import { method, type MethodTable } from '../methods.ts'
import { hex } from '../format.ts'
import type { RpcContext } from '../context.ts'

/** rollup_: what a client needs to know about this L2. Later services add their addresses via ctx.rollupConfig(). */
export function rollupMethods(ctx: RpcContext): MethodTable {
  return {
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
