/**
 * The inference workload both throughput benchmarks send (scripts/bench-tps.ts `--workload infer`,
 * scripts/bench-inference.ts part 3): one transaction straight to the inference precompile
 * (0x…a1) with `infer(creditModelId, input)` calldata, the credit-risk example model registered
 * through ModelRegistry first.
 */
import path from 'node:path'
import { encodeFunctionData, keccak256, toHex, type Abi, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../precompiles/index.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { buildCreditModel } from '../models/index.ts'
import { loadArtifact, ROOT, rpc, signTx, waitReceipt, type Payload, type Sender } from './load.ts'

const REGISTRY_ARTIFACT = path.join(ROOT, 'artifacts/contracts/L2/ModelRegistry.sol/ModelRegistry.json')

/** 1.0 in the precompile's 18-decimal fixed point. */
const ONE = 10n ** 18n
/** The credit model's one fixed applicant. */
export const CREDIT_INPUT: readonly bigint[] = [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n]

export function loadRegistryAbi(): Abi {
  return loadArtifact('ModelRegistry', REGISTRY_ARTIFACT).abi
}

/** Registers `bytes` through ModelRegistry with a signed raw transaction from `from`; returns the model id. */
export async function registerModel(url: string, chainId: number, abi: Abi, from: Sender, bytes: Uint8Array, name: string): Promise<Hex> {
  const data = encodeFunctionData({ abi, functionName: 'register', args: [toHex(bytes), name] })
  const gas = BigInt(await rpc<Hex>(url, 'eth_estimateGas', [{ from: from.address, to: MODEL_REGISTRY, data }]))
  const nonce = Number(await rpc<Hex>(url, 'eth_getTransactionCount', [from.address, 'pending']))
  const hash = await rpc<Hex>(url, 'eth_sendRawTransaction', [signTx(from, { chainId, nonce, to: MODEL_REGISTRY, data, gas: (gas * 12n) / 10n })])
  await waitReceipt(url, hash, `register ${name}`, 50)
  return keccak256(bytes)
}

export interface InferenceLoad {
  modelId: Hex
  /** eth_estimateGas of one infer() call; the transactions are sent with 10% more. */
  estimate: bigint
  payload: () => Payload
}

/** Registers the credit model from `owner` and returns the transaction every infer send carries. */
export async function prepareInferenceLoad(url: string, chainId: number, owner: Sender): Promise<InferenceLoad> {
  const modelId = await registerModel(url, chainId, loadRegistryAbi(), owner, buildCreditModel(), 'credit-risk')
  const data = toHex(encodeInferCall(modelId, [...CREDIT_INPUT]))
  const estimate = BigInt(await rpc<Hex>(url, 'eth_estimateGas', [{ from: owner.address, to: INFERENCE_PRECOMPILE, data }]))
  const gas = estimate + estimate / 10n
  return { modelId, estimate, payload: () => ({ to: INFERENCE_PRECOMPILE, data, gas }) }
}
