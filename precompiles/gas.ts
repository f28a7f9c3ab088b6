/**
 * Gas of the AI precompiles' own bookkeeping. What a model costs per call comes from its static
 * analysis (onnx/analyze.ts: base + multiply-accumulates + element operations + I/O); these are
 * the charges around it.
 */

/** Charged when infer() reverts before running a model (bad calldata, unknown model, bad input), in gas. */
export const INFER_REJECT_GAS = 5_000n

/**
 * Per ModelRegistry storage word infer() reads beyond the model's first word (which its
 * gasPerCall has always covered), in gas: EIP-2929's cold SLOAD. Every call reads the model's
 * access word (+2,100); a call of a restricted model also reads the caller's allowlist entry
 * (+4,200 in all). Charged with gasPerCall, before the model runs.
 */
export const ACCESS_READ_GAS = 2_100n

/** Fixed part of analyze(), in gas. */
export const ANALYZE_BASE_GAS = 50_000n

/**
 * Per byte of model analyze() parses, in gas (on top of the 16 gas/byte the calldata already
 * paid). The analysis is linear in the model's size (ranks and attribute lists capped, constant-time
 * membership, initializer values checked once each): the slowest structures measured
 * (scripts/models/adversarial.ts: tens of thousands of initializers or value_info entries, 2,048
 * wide nodes) take ≈0.2-0.3 µs per byte, so 16 gas per byte prices it at ≥ 50 gas/µs, and a 1 MiB
 * model's analysis (≈0.25 s at worst) costs 16.8M gas. The registration trial that follows is
 * charged separately, as one call of the model (a2-analyze.ts).
 */
export const ANALYZE_GAS_PER_BYTE = 16n
