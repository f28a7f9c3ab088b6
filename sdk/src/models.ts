/**
 * Models on the L2: register an ONNX file with the ModelRegistry predeploy, call a registered
 * model with eth_call through the inference precompile, and read the Inference records that
 * calls in transactions leave.
 *
 *   registerModel ─tx─▶ ModelRegistry.register(bytes, name) ─▶ analyzer precompile (accepts or ModelRejected(reason))
 *   infer ─eth_call─▶ precompile 0x…a1 infer(bytes32,int256[]) ─▶ int256[] (1e18 fixed point for float tensors)
 *   getInferences (ai_getInferences), getInferenceLogs (eth_getLogs) ◀── Inference(modelId, inputHash, outputHash)
 *   getModelLineage, getModelAccess ─eth_call─▶ ModelRegistry getVersion / getLineage / getAccess
 */
import {
  decodeFunctionResult,
  encodeFunctionData,
  encodePacked,
  formatUnits,
  keccak256,
  parseEventLogs,
  parseUnits,
  toHex,
  type Account,
  type BlockTag,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { modelRegistryAbi, onnxInferenceAbi } from './abis.js'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from './addresses.js'
import { ModelRegistrationError, revertReason } from './errors.js'

// ---- fixed point ----

/** Float tensors cross the precompile as int256 scaled by 1e18 (0.25 → 250000000000000000n). */
export const FIXED_POINT_DECIMALS = 18

/**
 * A decimal number as the precompile's 1e18 fixed point (for float32 inputs). A string is
 * taken exactly ('0.1' → 10^17); a number by its shortest decimal form.
 * @example
 * await infer(client, { modelId, input: [0.5, 0.3, 1, 0.2].map(toFixed) })
 */
export function toFixed(value: number | string): bigint {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${value} has no fixed-point form`)
    value = value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: FIXED_POINT_DECIMALS })
  }
  return parseUnits(value, FIXED_POINT_DECIMALS)
}

/** A 1e18 fixed-point integer (a float32 output) as a number: 250000000000000000n → 0.25. */
export function fromFixed(value: bigint): number {
  return Number(formatUnits(value, FIXED_POINT_DECIMALS))
}

/** keccak256(abi.encodePacked(int256[])): the inputHash / outputHash of an Inference record (AI.hashValues). */
export function hashValues(values: readonly bigint[]): Hex {
  return keccak256(encodePacked(['int256[]'], [values]))
}

// ---- registry ----

/** The registry entry (ModelRegistry.getModel). Types are ONNX DataType numbers (1 float32, 2 uint8, 3 int8, 6 int32, 7 int64). */
export interface ModelEntry {
  owner: Hex
  gasPerCall: bigint
  size: number
  inputLength: number
  outputLength: number
  inputType: number
  outputType: number
  name: string
}

/** ONNX DataType numbers of the element types the precompile supports. */
export const ONNX_ELEMENT_TYPES: Readonly<Record<number, 'float32' | 'uint8' | 'int8' | 'int32' | 'int64'>> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64' }

/** A model's id: keccak256 of its bytes. */
export function modelIdOf(onnxModel: Uint8Array): Hex {
  return keccak256(onnxModel)
}

/** The registry entry of `modelId`, or null when it is not registered. */
export async function getModel(client: PublicClient, modelId: Hex, registry: Hex = MODEL_REGISTRY): Promise<ModelEntry | null> {
  const registered = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'isRegistered', args: [modelId] })
  if (!registered) return null
  return client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'getModel', args: [modelId] })
}

/** A model's versions and declared lineage (ModelRegistry.getVersion and getLineage), either kind. */
export interface ModelLineageEntry {
  /** 1 for a first version (or a model that declared no lineage), the previous version's plus 1 otherwise. */
  version: bigint
  /** The version it replaces, or null. */
  previous: Hex | null
  /** The version that replaced it, or null. */
  next: Hex | null
  /** The newest version of its line (its own id when none is newer). */
  latest: Hex
  /** Whether the owner declared it (ModelRegistry.setLineage, once): declared lineages never change. */
  frozen: boolean
  /** DatasetRegistry ids of the dataset versions it was trained on. */
  trainedOn: bigint[]
  /** DatasetRegistry ids of the dataset versions it was evaluated on. */
  evaluatedOn: bigint[]
}

const ZERO_ID: Hex = `0x${'0'.repeat(64)}`

/** The versions and lineage of `modelId` (either kind), or null when it is not registered. */
export async function getModelLineage(client: PublicClient, modelId: Hex, registry: Hex = MODEL_REGISTRY): Promise<ModelLineageEntry | null> {
  const kind = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'modelKind', args: [modelId] })
  if (kind === 0) return null
  const [version, previous, next, latest, frozen] = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'getVersion', args: [modelId] })
  const [, trainedOn, evaluatedOn] = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'getLineage', args: [modelId] })
  return { version, previous: previous === ZERO_ID ? null : previous, next: next === ZERO_ID ? null : next, latest, frozen, trainedOn: [...trainedOn], evaluatedOn: [...evaluatedOn] }
}

/**
 * Who may call on-chain model `modelId` through the inference precompile (`restricted` false:
 * anyone; true: the `allowedCallers` addresses of its allowlist), or null when no on-chain model
 * has this id. `mayCall` answers for one caller.
 */
export async function getModelAccess(client: PublicClient, modelId: Hex, registry: Hex = MODEL_REGISTRY): Promise<{ restricted: boolean; allowedCallers: number } | null> {
  const registered = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'isRegistered', args: [modelId] })
  if (!registered) return null
  const [restricted, allowedCallers] = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'getAccess', args: [modelId] })
  return { restricted, allowedCallers }
}

export interface RegisterModelParameters {
  /** The ONNX file's bytes (at most the node's ai.maxModelBytes, 1 MiB by default). */
  onnxModel: Uint8Array
  /** Its registry name (1 to the registry's maximum characters). */
  name: string
  /** The registry (default the predeploy). */
  registry?: Hex
}

export interface RegisterModelResult {
  modelId: Hex
  txHash: Hex
  blockNumber: bigint
  gasUsed: bigint
  entry: ModelEntry
}

/**
 * Registers an ONNX model with ModelRegistry.register and waits for its block.
 * @throws ModelRegistrationError with the registry's reason (`ModelRejected(input must have a fixed
 *   shape)`, `ModelAlreadyRegistered(0x…)`, `EmptyName()`, …) when it refuses the model.
 * @example
 * const { modelId, entry } = await registerModel(wallet, publicClient, { onnxModel: readFileSync('model.onnx'), name: 'my model' })
 */
export async function registerModel(
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  client: PublicClient,
  params: RegisterModelParameters,
): Promise<RegisterModelResult> {
  const registry = params.registry ?? MODEL_REGISTRY
  const modelId = modelIdOf(params.onnxModel)
  let txHash: Hex
  try {
    txHash = await wallet.writeContract({ address: registry, abi: modelRegistryAbi, functionName: 'register', args: [toHex(params.onnxModel), params.name], chain: wallet.chain })
  } catch (error) {
    const reason = revertReason(error)
    throw new ModelRegistrationError(`the ModelRegistry refuses ${params.name} (id ${modelId}): ${reason}`, reason, modelId)
  }
  const receipt = await client.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== 'success') throw new ModelRegistrationError(`registration of ${params.name} reverted in tx ${txHash} (block ${receipt.blockNumber})`, 'reverted', modelId)
  const entry = await client.readContract({ address: registry, abi: modelRegistryAbi, functionName: 'getModel', args: [modelId] })
  return { modelId, txHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, entry }
}

// ---- inference ----

/** Calldata of `infer(modelId, input)` for the inference precompile. */
export function encodeInferCall(modelId: Hex, input: readonly bigint[]): Hex {
  return encodeFunctionData({ abi: onnxInferenceAbi, functionName: 'infer', args: [modelId, input] })
}

/** The precompile's return data as the output values. */
export function decodeInferResult(data: Hex): bigint[] {
  return [...decodeFunctionResult({ abi: onnxInferenceAbi, functionName: 'infer', data })]
}

export interface InferParameters {
  modelId: Hex
  /** int256 values: 1e18 fixed point for float32 inputs (toFixed), plain integers for integer inputs. */
  input: readonly bigint[]
  /** State to run against (default latest). */
  blockTag?: BlockTag
  blockNumber?: bigint
  /** Gas for the call (default: the node's gas cap). */
  gas?: bigint
}

/**
 * Runs a registered model with eth_call (no transaction, no record). A revert (`unknown model`,
 * `input has N values, the model takes M`, …) rejects with viem's CallExecutionError.
 * @example
 * const [p] = await infer(client, { modelId, input: [0.5, 0.3, 1, 0.2].map(toFixed) })
 * console.log(fromFixed(p))
 */
export async function infer(client: PublicClient, params: InferParameters): Promise<bigint[]> {
  const { data } = await client.call({
    to: INFERENCE_PRECOMPILE,
    data: encodeInferCall(params.modelId, params.input),
    gas: params.gas,
    ...(params.blockNumber === undefined ? { blockTag: params.blockTag ?? 'latest' } : { blockNumber: params.blockNumber }),
  })
  return decodeInferResult(data ?? '0x')
}

/** An Inference record: a model run inside a transaction. */
export interface InferenceRecord {
  modelId: Hex
  /** hashValues(input) */
  inputHash: Hex
  /** hashValues(output) */
  outputHash: Hex
  logIndex: number
  blockNumber: bigint
  blockHash: Hex
  transactionHash: Hex
}

/** The Inference records a transaction left (ai_getInferences); null if it is not mined. */
export async function getInferences(client: PublicClient, txHash: Hex): Promise<InferenceRecord[] | null> {
  const raw = (await client.request({ method: 'ai_getInferences', params: [txHash] } as never)) as
    | { modelId: Hex; inputHash: Hex; outputHash: Hex; logIndex: Hex; blockNumber: Hex; blockHash: Hex; transactionHash: Hex }[]
    | null
  return raw === null ? null : raw.map((r) => ({ ...r, logIndex: Number(r.logIndex), blockNumber: BigInt(r.blockNumber) }))
}

/**
 * Inference records by eth_getLogs over a block range (the node caps ranges at 10,000 blocks),
 * optionally of one model.
 */
export async function getInferenceLogs(client: PublicClient, params: { modelId?: Hex; fromBlock?: bigint | BlockTag; toBlock?: bigint | BlockTag } = {}): Promise<InferenceRecord[]> {
  const logs = await client.getLogs({
    address: INFERENCE_PRECOMPILE,
    event: onnxInferenceAbi.find((e) => e.type === 'event' && e.name === 'Inference')!,
    args: params.modelId === undefined ? undefined : { modelId: params.modelId },
    fromBlock: params.fromBlock,
    toBlock: params.toBlock,
  } as never)
  return parseEventLogs({ abi: onnxInferenceAbi, eventName: 'Inference', logs }).map((l) => ({
    modelId: l.args.modelId,
    inputHash: l.args.inputHash,
    outputHash: l.args.outputHash,
    logIndex: l.logIndex,
    blockNumber: l.blockNumber,
    blockHash: l.blockHash,
    transactionHash: l.transactionHash,
  }))
}
