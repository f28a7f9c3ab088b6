/**
 * The L2 node (sequencer). What other folders may use: start a node, its config, the chain's
 * constants, and the read-side types. Everything else is internal. The chain's viem definition
 * is the SDK's (`defineAiRollupChain` in @ai-rollup/sdk).
 */
export { startNode, type RunningNode } from './node.ts'
export { resolveConfig, type NodeConfig, type NodeConfigInput } from './config.ts'
export * from './chain/constants.ts'
export { devAccounts, type DevAccount } from './chain/dev-accounts.ts'
export type { SealedBlock } from './builder/builder.ts'
