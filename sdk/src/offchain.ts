/**
 * Off-chain inference (the node's docs/OFFCHAIN_INFERENCE.md): list models with `ai_listModels`,
 * register an off-chain model by its hash and URI, ask the InferenceCoordinator for an inference
 * from an account, and wait for its result.
 *
 *   listModels ──ai_listModels──▶ both kinds, with formats and the off-chain market
 *   registerOffchainModel ──▶ ModelRegistry.registerOffchain(keccak256(bytes), …)
 *   requestInference ──quote, requestInference + fee──▶ requestId ──▶ waitForInference (getRequest)
 *
 * A contract asks through `InferenceConsumer` (contracts/ai/InferenceConsumer.sol) instead and gets
 * the output in its callback; these helpers are for scripts, tests and accounts.
 */
import { decodeAbiParameters, hexToString, keccak256, parseEventLogs, stringToHex, toHex, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { inferenceCoordinatorAbi, modelRegistryAbi } from './abis.js'
import { INFERENCE_COORDINATOR, MODEL_REGISTRY } from './addresses.js'

/**
 * Where a model stands among its versions and what it was trained on (ModelRegistry's lineage),
 * as `ai_getModel` and `ai_listModels` give it for both kinds.
 */
export interface ModelLineage {
  /** 1 for a first version (or a model that declared no lineage), the previous version's plus 1 otherwise. */
  version: Hex
  /** The version it replaces, or null. */
  previous: Hex | null
  /** The version that replaced it, or null. */
  nextVersion: Hex | null
  /** The newest version of its line (its own id when none is newer). */
  latestVersion: Hex
  /** `frozen` once the owner declared it; DatasetRegistry ids as quantities. */
  lineage: { frozen: boolean; trainedOn: Hex[]; evaluatedOn: Hex[] }
}

/** One entry of `ai_listModels`, as the node sends it (quantities as hex strings). */
export type ListedModel = ModelLineage &
  (
  | {
      modelId: Hex
      kind: 'onchain'
      name: string
      owner: Hex
      size: Hex
      inputFormat: 'int256[]'
      outputFormat: 'int256[]'
      gasPerCall: Hex
      input: { type: string; shape: number[]; length: Hex } | null
      output: { type: string; shape: number[]; length: Hex } | null
      /** Who may call it through the inference precompile: public, or only an allowlist of `allowedCallers` addresses. */
      access: { restricted: boolean; allowedCallers: Hex }
    }
  | {
      modelId: Hex
      kind: 'offchain'
      name: string
      owner: Hex
      size: Hex
      inputFormat: string
      outputFormat: string
      uri: string
      timeoutSeconds: Hex
      /** Eligible staked nodes serving the model. */
      nodes: Hex
      /** Lowest price per request among them, in wei; null when no node serves it. */
      lowestPrice: Hex | null
      /** Access rules bind the inference precompile only: always null for off-chain models. */
      access: null
    }
  )

/** The node's page size for ai_listModels. */
const LIST_PAGE = 100

/** Every registered model, both kinds, in registration order (pages through `ai_listModels`). */
export async function listModels(client: PublicClient): Promise<ListedModel[]> {
  const all: ListedModel[] = []
  for (;;) {
    const page = (await client.request({ method: 'ai_listModels', params: [toHex(all.length), toHex(LIST_PAGE)] } as never)) as ListedModel[]
    all.push(...page)
    if (page.length < LIST_PAGE) return all
  }
}

export interface RegisterOffchainModelParameters {
  /** The model's bytes: hashed here for its id, never sent. */
  modelBytes: Uint8Array
  name: string
  inputFormat: string
  outputFormat: string
  /** Where nodes fetch the bytes (http(s):// or file://). */
  uri: string
  /** Length of each of a request's two phases, 5 to 3,600 s. */
  timeoutSeconds: number
}

/** Registers an off-chain model (ModelRegistry.registerOffchain) and waits for its block; returns its id. */
export async function registerOffchainModel(wallet: WalletClient<Transport, Chain | undefined, Account>, client: PublicClient, params: RegisterOffchainModelParameters): Promise<Hex> {
  const modelId = keccak256(params.modelBytes)
  const hash = await wallet.writeContract({
    address: MODEL_REGISTRY,
    abi: modelRegistryAbi,
    functionName: 'registerOffchain',
    args: [modelId, params.name, BigInt(params.modelBytes.length), params.inputFormat, params.outputFormat, params.uri, params.timeoutSeconds],
    chain: wallet.chain,
  })
  const receipt = await client.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`registerOffchain of ${params.name} reverted in tx ${hash}`)
  return modelId
}

export interface RequestInferenceParameters {
  modelId: Hex
  /** The request's input bytes, in the model's input format (`encodeText` for text models). */
  input: Hex
  /** Nodes that answer: 1 to 7; a strict majority of them must agree. */
  redundancy: number
  /** Gas of the callback to the requester; 0 for an account. */
  callbackGasLimit?: number
}

/**
 * Quotes and sends `requestInference`; returns the request id and the value sent. The quote an
 * eth_call returns leaves out the callback's gas (eth_call runs with a base fee of 0, as geth's),
 * so with a callback this sends `callbackGasLimit × 2 × the latest base fee` more; the coordinator
 * credits whatever exceeds the real quote to the sender's `balanceOf` (take it with `withdraw()`).
 */
export async function requestInference(wallet: WalletClient<Transport, Chain | undefined, Account>, client: PublicClient, params: RequestInferenceParameters): Promise<{ requestId: bigint; fee: bigint; txHash: Hex }> {
  const callbackGasLimit = params.callbackGasLimit ?? 0
  const quote = await client.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'quote', args: [params.modelId, params.redundancy, callbackGasLimit] })
  const fee = await withCallbackGas(client, quote, callbackGasLimit)
  const txHash = await wallet.writeContract({
    address: INFERENCE_COORDINATOR,
    abi: inferenceCoordinatorAbi,
    functionName: 'requestInference',
    args: [params.modelId, params.input, params.redundancy, callbackGasLimit],
    value: fee,
    chain: wallet.chain,
  })
  const receipt = await client.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== 'success') throw new Error(`requestInference reverted in tx ${txHash}`)
  const [requested] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'InferenceRequested', logs: receipt.logs })
  return { requestId: requested.args.requestId, fee, txHash }
}

/**
 * What to send for a request whose `quote` was read with an eth_call: the quote plus
 * `callbackGasLimit × 2 × the latest base fee`, the callback's part that an eth_call (base fee 0,
 * as geth's) leaves out. The coordinator, or an `InferenceConsumer` dApp, returns the surplus.
 */
export async function withCallbackGas(client: PublicClient, quote: bigint, callbackGasLimit: number): Promise<bigint> {
  if (callbackGasLimit === 0) return quote
  const { baseFeePerGas } = await client.getBlock()
  return quote + BigInt(callbackGasLimit) * 2n * (baseFeePerGas ?? 0n)
}

/** A settled request: the agreed output, or the failure. */
export type InferenceOutcome = { status: 'fulfilled'; output: Hex } | { status: 'failed' }

/** Polls `getRequest` until the request is settled (fulfilled or failed), or throws after `timeoutMs`. */
export async function waitForInference(client: PublicClient, requestId: bigint, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<InferenceOutcome> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000)
  for (;;) {
    const [status, output] = await client.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'getRequest', args: [requestId] })
    if (status === 2) return { status: 'fulfilled', output }
    if (status === 3) return { status: 'failed' }
    if (status === 0) throw new Error(`no inference request ${requestId}`)
    if (Date.now() > deadline) throw new Error(`inference request ${requestId} still pending after ${opts.timeoutMs ?? 120_000} ms`)
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250))
  }
}

/** Input bytes of a text model (formats `text/utf-8`, `text/bow-fnv1a:D`). */
export const encodeText = (text: string): Hex => stringToHex(text)

/** Selector of `InferenceRejected(string)`: the agreed answer of every honest node to a request its model's formats reject. */
export const INFERENCE_REJECTED_SELECTOR = '0xcfeaa024'

/**
 * Reads an output: the rejection code if the nodes agreed the request was invalid
 * (`InferenceRejected(code)`), else the output as text (`text/greedy-ascii:N`) or as int256[].
 */
export function decodeOutput(output: Hex, as: 'text' | 'int256[]'): { rejected: string } | { text: string } | { values: bigint[] } {
  if (output.startsWith(INFERENCE_REJECTED_SELECTOR)) {
    const [code] = decodeAbiParameters([{ type: 'string' }], `0x${output.slice(10)}`)
    return { rejected: code }
  }
  if (as === 'text') return { text: hexToString(output) }
  const [values] = decodeAbiParameters([{ type: 'int256[]' }], output)
  return { values: [...values] }
}
