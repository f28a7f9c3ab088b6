/**
 * Gas of the AI precompiles' own bookkeeping. What a model costs per call comes from its static
 * analysis (onnx/analyze.ts: base + multiply-accumulates + element operations + I/O); these are
 * the charges around it.
 */

/** Charged when infer() reverts before running a model (bad calldata, unknown model, bad input), in gas. */
export const INFER_REJECT_GAS = 5_000n

/** Fixed part of analyze(), in gas. */
export const ANALYZE_BASE_GAS = 50_000n

/** Per byte of model analyze() parses and stores, in gas (on top of the 16 gas/byte the calldata already paid). */
export const ANALYZE_GAS_PER_BYTE = 8n
