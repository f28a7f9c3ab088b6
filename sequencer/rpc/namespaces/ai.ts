/**
 * ai_: what the chain knows about models and inferences.
 *   ai_getModel(modelId)      → the registry entry plus the node's static analysis, its versions,
 *                                lineage and access rule, or null if unknown
 *   ai_getInferences(txHash)  → the Inference records the transaction left, or null if it is not mined
 *   ai_listModels(offset?, limit?) → registered models of both kinds, in registration order, a page
 *                                of at most LIST_MODELS_MAX_LIMIT: on-chain models with their shapes,
 *                                off-chain ones with their formats and their market (serving nodes,
 *                                lowest price) in InferenceCoordinator (docs/OFFCHAIN_INFERENCE.md);
 *                                each with its versions and lineage, on-chain ones with their access rule
 */
import { bytesToHex } from '@ethereumjs/util'
import { decodeFunctionResult, encodeFunctionData, parseAbi, type Hex } from 'viem'
import { INFERENCE_COORDINATOR, INFERENCE_EVENT_TOPIC, INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../../precompiles/index.ts'
import { createAddressFromString } from '@ethereumjs/util'
import { method, type MethodTable } from '../methods.ts'
import { InvalidParamsError } from '../errors.ts'
import * as p from '../params.ts'
import { hex, q } from '../format.ts'
import type { RpcContext } from '../context.ts'

const REGISTRY_ABI = parseAbi([
  'struct ModelInfo { address owner; uint64 gasPerCall; uint32 size; uint32 inputLength; uint32 outputLength; uint8 inputType; uint8 outputType; string name; }',
  'function isRegistered(bytes32 modelId) view returns (bool)',
  'function getModel(bytes32 modelId) view returns (ModelInfo)',
  'struct OffchainModel { address owner; uint64 size; uint32 timeoutSeconds; string name; string inputFormat; string outputFormat; string uri; }',
  'function getOffchainModel(bytes32 modelId) view returns (OffchainModel)',
  'function modelKind(bytes32 modelId) view returns (uint8)',
  'function modelIds(uint256 offset, uint256 limit) view returns (bytes32[])',
  'function getLineage(bytes32 modelId) view returns (bytes32 previous, uint256[] trainedOn, uint256[] evaluatedOn)',
  'function getVersion(bytes32 modelId) view returns (uint64 version, bytes32 previous, bytes32 next, bytes32 latest, bool frozen)',
  'function getAccess(bytes32 modelId) view returns (bool restricted, uint32 allowedCallers)',
])

const ZERO_ID = `0x${'0'.repeat(64)}`

const COORDINATOR_ABI = parseAbi(['function market(bytes32 modelId) view returns (uint256 eligibleNodes, uint256 lowestPrice)'])

/**
 * Most models one ai_listModels answer holds. Each costs two or three view calls on the node's
 * thread (bounded registry code, not client code), so a page stays well under a millisecond per
 * model; page with `offset` for more.
 */
export const LIST_MODELS_MAX_LIMIT = 100

/** The format of an on-chain model's input and output, as the precompile reads them (README "AI inference on chain"). */
const ONCHAIN_FORMAT = 'int256[]'

/** View calls at the head on the node's thread: ModelRegistry's by name, and raw ones (the coordinator's). */
export function registryViews(ctx: Pick<RpcContext, 'executor' | 'chain'>) {
  const registry = createAddressFromString(MODEL_REGISTRY)
  const callAt = async (to: typeof registry, data: Hex) => {
    const outcome = await ctx.executor.call({ to, data: Buffer.from(data.slice(2), 'hex') }, ctx.chain.head())
    return bytesToHex(outcome.returnValue) as Hex
  }
  /** One registry view, encoded and decoded by name. */
  const readRegistry = async <F extends 'isRegistered' | 'getModel' | 'getOffchainModel' | 'modelKind' | 'modelIds' | 'getLineage' | 'getVersion' | 'getAccess'>(functionName: F, args: readonly unknown[]) =>
    decodeFunctionResult({ abi: REGISTRY_ABI, functionName, data: await callAt(registry, encodeFunctionData({ abi: REGISTRY_ABI, functionName, args } as never)) } as never) as any
  /** The model's kind in the registry: 0 none, 1 on-chain, 2 off-chain. */
  const modelKind = async (modelId: Hex): Promise<number> => Number(await readRegistry('modelKind', [modelId]))
  return { callAt, readRegistry, modelKind }
}

export function aiMethods(ctx: RpcContext): MethodTable {
  const coordinator = createAddressFromString(INFERENCE_COORDINATOR)
  const { callAt, readRegistry } = registryViews(ctx)

  /** What ai_getModel and ai_listModels say of a model's input or output, from the node's own analysis. */
  const tensorInfo = (t: { type: string; shape: number[]; length: number } | undefined) => (t === undefined ? null : { type: t.type, shape: t.shape, length: q(t.length) })

  /**
   * A registered model's place among its versions and the datasets it declares (both kinds):
   * `version`, `previous` / `nextVersion` (null at either end), `latestVersion`, and `lineage`
   * (`frozen` once declared, dataset ids as quantities).
   */
  const lineageOf = async (modelId: Hex) => {
    const [version, previous, next, latest, frozen] = await readRegistry('getVersion', [modelId])
    const [, trainedOn, evaluatedOn] = await readRegistry('getLineage', [modelId])
    return {
      version: q(version),
      previous: previous === ZERO_ID ? null : previous,
      nextVersion: next === ZERO_ID ? null : next,
      latestVersion: latest,
      lineage: { frozen, trainedOn: (trainedOn as bigint[]).map(q), evaluatedOn: (evaluatedOn as bigint[]).map(q) },
    }
  }

  /** Who may call an on-chain model through the precompile: `restricted` and the allowlist's size. */
  const accessOf = async (modelId: Hex) => {
    const [restricted, allowedCallers] = await readRegistry('getAccess', [modelId])
    return { restricted, allowedCallers: q(allowedCallers) }
  }

  const listEntry = async (modelId: Hex) => {
    const kind = Number(await readRegistry('modelKind', [modelId]))
    if (kind === 1) {
      const entry = await readRegistry('getModel', [modelId])
      const info = ctx.models.info(Buffer.from(modelId.slice(2), 'hex'))
      return {
        modelId,
        kind: 'onchain',
        name: entry.name,
        owner: entry.owner.toLowerCase(),
        size: q(entry.size),
        inputFormat: ONCHAIN_FORMAT,
        outputFormat: ONCHAIN_FORMAT,
        gasPerCall: q(entry.gasPerCall),
        input: tensorInfo(info?.input),
        output: tensorInfo(info?.output),
        ...(await lineageOf(modelId)),
        access: await accessOf(modelId),
      }
    }
    const entry = await readRegistry('getOffchainModel', [modelId])
    const [eligibleNodes, lowestPrice] = decodeFunctionResult({
      abi: COORDINATOR_ABI,
      functionName: 'market',
      data: await callAt(coordinator, encodeFunctionData({ abi: COORDINATOR_ABI, functionName: 'market', args: [modelId] })),
    })
    return {
      modelId,
      kind: 'offchain',
      name: entry.name,
      owner: entry.owner.toLowerCase(),
      size: q(entry.size),
      inputFormat: entry.inputFormat,
      outputFormat: entry.outputFormat,
      uri: entry.uri,
      timeoutSeconds: q(entry.timeoutSeconds),
      nodes: q(eligibleNodes),
      lowestPrice: eligibleNodes === 0n ? null : q(lowestPrice),
      ...(await lineageOf(modelId)),
      // the coordinator serves whoever pays: access rules bind the inference precompile only
      access: null,
    }
  }

  return {
    ai_getModel: method([p.hash32], async (id) => {
      const modelId = bytesToHex(id) as Hex
      const registered = (await readRegistry('isRegistered', [modelId])) as boolean
      if (!registered) return null
      const entry = await readRegistry('getModel', [modelId])
      const info = ctx.models.info(id)
      return {
        modelId,
        owner: entry.owner.toLowerCase(),
        name: entry.name,
        size: q(entry.size),
        gasPerCall: q(entry.gasPerCall),
        input: tensorInfo(info?.input),
        output: tensorInfo(info?.output),
        operators: info?.ops ?? null,
        multiplyAccumulates: info === undefined ? null : q(info.macs),
        elementOperations: info === undefined ? null : q(info.elementOps),
        ...(await lineageOf(modelId)),
        access: await accessOf(modelId),
      }
    }),

    ai_listModels: method([p.optional(p.smallQuantity), p.optional(p.smallQuantity)], async (offset = 0, limit = LIST_MODELS_MAX_LIMIT) => {
      if (limit < 1 || limit > LIST_MODELS_MAX_LIMIT) throw new InvalidParamsError(`limit must be 1 to ${LIST_MODELS_MAX_LIMIT}, got ${limit}`)
      const ids = (await readRegistry('modelIds', [BigInt(offset), BigInt(limit)])) as Hex[]
      const models = []
      for (const id of ids) models.push(await listEntry(id))
      return models
    }, 0),

    ai_getInferences: method([p.hash32], (hash) => {
      const row = ctx.store.getTx(hash)
      if (row === undefined) return null
      const block = ctx.chain.byNumber(row.blockNumber)
      if (block === undefined) return null
      const precompile = Buffer.from(INFERENCE_PRECOMPILE.slice(2), 'hex')
      return ctx.store
        .getLogsInBlock(row.blockNumber)
        .filter((l) => l.txIndex === row.txIndex && Buffer.compare(l.address, precompile) === 0 && hex(l.topics[0] ?? new Uint8Array()) === INFERENCE_EVENT_TOPIC)
        .map((l) => ({
          modelId: hex(l.topics[1]),
          inputHash: hex(l.data.subarray(0, 32)),
          outputHash: hex(l.data.subarray(32, 64)),
          logIndex: q(l.logIndex),
          blockNumber: q(l.blockNumber),
          blockHash: hex(block.row.hash),
          transactionHash: hex(row.hash),
        }))
    }),
  }
}
