/**
 * @ai-rollup/sdk: what a dApp or an enterprise needs to use the AI rollup with viem.
 *
 * - chains: viem chain definitions of the L2 and its L1 (chains.ts)
 * - addresses and ABIs: the L2's predeploys and precompiles (addresses.ts), every protocol
 *   contract's ABI (abis.ts, generated from the contracts), the L1 addresses from a deployments
 *   file (deployments.ts; reading the file: `@ai-rollup/sdk/node`)
 * - anchoring: submit hashes to a node, wait until posted or final, verify on L1 alone (anchoring.ts)
 * - datasets: the canonical item encoding, item proofs, registering a dataset version (datasets.ts)
 * - models: register an ONNX model, call one with eth_call, read inference records (models.ts)
 * - bridge: deposit, withdraw, wait, finalize (bridge.ts)
 * - off-chain inference: list models, register an off-chain model, request an inference and wait (offchain.ts)
 *
 * Everything talks to the chains through viem clients or plain fetch; nothing here needs Node's
 * file system, so it bundles for browsers.
 */
export * from './abis.js'
export * from './addresses.js'
export * from './anchoring.js'
export * from './chains.js'
export * from './datasets.js'
export * from './deployments.js'
export * from './errors.js'
export * from './bridge.js'
export { isoTime } from './format.js'
export * from './models.js'
export * from './offchain.js'
