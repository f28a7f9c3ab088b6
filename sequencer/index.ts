/**
 * The L2 node (sequencer). What other folders may use: start a node, its config, the chain's
 * constants and viem definition, and the read-side types. Everything else is internal.
 */
export { startNode, type RunningNode } from './node.ts'
export { resolveConfig, type NodeConfig, type NodeConfigInput } from './config.ts'
export * from './chain/constants.ts'
export { aiRollupDevnet, defineAiRollupChain } from './chain/viem.ts'
export { devAccounts, type DevAccount } from './chain/dev-accounts.ts'
export type { SealedBlock } from './builder/builder.ts'
