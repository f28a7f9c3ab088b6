/**
 * The L2's fixed addresses: precompiles and predeploys, the same on every chain of this rollup
 * (the node's precompiles/addresses.ts; test/sdk/constants.test.ts checks they agree). The L1
 * contracts' addresses differ per deployment: read them from the deployments file
 * (`readDeployments` in `@ai-rollup/sdk/node`, or `parseDeployments`).
 */

/** `infer(bytes32 modelId, int256[] input) returns (int256[] output)`: runs a registered model. */
export const INFERENCE_PRECOMPILE = '0x00000000000000000000000000000000000000a1' as const
/** `analyze(bytes onnxModel)`: what the registry would record for a model, without a transaction. */
export const MODEL_ANALYZER_PRECOMPILE = '0x00000000000000000000000000000000000000a2' as const
/** The ModelRegistry predeploy. */
export const MODEL_REGISTRY = '0x4200000000000000000000000000000000000100' as const
/** The DataAnchor predeploy: `anchor(bytes32[])` emits one Anchored log per hash. */
export const DATA_ANCHOR = '0x4200000000000000000000000000000000000200' as const
/** The L2Bridge predeploy: withdrawals to L1, deposits from L1. */
export const L2_BRIDGE = '0x4200000000000000000000000000000000000300' as const
/** The InferenceCoordinator predeploy: off-chain inference by staked nodes, delivered by callback. */
export const INFERENCE_COORDINATOR = '0x4200000000000000000000000000000000000400' as const
/** The DatasetRegistry predeploy: dataset versions (Merkle roots over their items), anchored as they are registered. */
export const DATASET_REGISTRY = '0x4200000000000000000000000000000000000500' as const
