/**
 * Where the AI chain's native pieces live. Part of consensus: changing one changes every block
 * that touches it. Exposed over rollup_getConfig.
 */

/** `infer(bytes32 modelId, int256[] input) returns (int256[] output)`: runs a registered model. */
export const INFERENCE_PRECOMPILE = '0x00000000000000000000000000000000000000a1' as const

/** `analyze(bytes onnxModel) returns (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType)`. */
export const MODEL_ANALYZER_PRECOMPILE = '0x00000000000000000000000000000000000000a2' as const

/** The ModelRegistry predeploy (contracts/L2/ModelRegistry.sol), installed at genesis. */
export const MODEL_REGISTRY = '0x4200000000000000000000000000000000000100' as const

/** The DataAnchor predeploy (contracts/L2/DataAnchor.sol): `anchor(bytes32[])` emits one Anchored log per hash. */
export const DATA_ANCHOR = '0x4200000000000000000000000000000000000200' as const

/** The L2Bridge predeploy (contracts/L2/L2Bridge.sol): deposits from the system sender, withdrawals to L1. */
export const L2_BRIDGE = '0x4200000000000000000000000000000000000300' as const

/** The InferenceCoordinator predeploy (contracts/L2/InferenceCoordinator.sol): off-chain inference by staked nodes (docs/OFFCHAIN_INFERENCE.md). */
export const INFERENCE_COORDINATOR = '0x4200000000000000000000000000000000000400' as const

/** The DatasetRegistry predeploy (contracts/ai/IDatasetRegistry.sol): dataset versions whose roots are anchored; ModelRegistry's lineage points at them. */
export const DATASET_REGISTRY = '0x4200000000000000000000000000000000000500' as const
