/**
 * ai_: what the chain knows about models and inferences.
 *   ai_getModel(modelId)      → the registry entry plus the node's static analysis, or null if unknown
 *   ai_getInferences(txHash)  → the Inference records the transaction left, or null if it is not mined
 */
import { bytesToHex } from '@ethereumjs/util'
import { decodeFunctionResult, encodeFunctionData, parseAbi, type Hex } from 'viem'
import { INFERENCE_EVENT_TOPIC, INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../../precompiles/index.ts'
import { createAddressFromString } from '@ethereumjs/util'
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import { hex, q } from '../format.ts'
import type { RpcContext } from '../context.ts'

const REGISTRY_ABI = parseAbi([
  'struct ModelInfo { address owner; uint64 gasPerCall; uint32 size; uint32 inputLength; uint32 outputLength; uint8 inputType; uint8 outputType; string name; }',
  'function isRegistered(bytes32 modelId) view returns (bool)',
  'function getModel(bytes32 modelId) view returns (ModelInfo)',
])

export function aiMethods(ctx: RpcContext): MethodTable {
  const registry = createAddressFromString(MODEL_REGISTRY)

  const callRegistry = async (data: Hex) => {
    const outcome = await ctx.executor.call({ to: registry, data: Buffer.from(data.slice(2), 'hex') }, ctx.chain.head())
    return bytesToHex(outcome.returnValue) as Hex
  }

  return {
    ai_getModel: method([p.hash32], async (id) => {
      const modelId = bytesToHex(id) as Hex
      const registered = decodeFunctionResult({ abi: REGISTRY_ABI, functionName: 'isRegistered', data: await callRegistry(encodeFunctionData({ abi: REGISTRY_ABI, functionName: 'isRegistered', args: [modelId] })) })
      if (!registered) return null
      const entry = decodeFunctionResult({ abi: REGISTRY_ABI, functionName: 'getModel', data: await callRegistry(encodeFunctionData({ abi: REGISTRY_ABI, functionName: 'getModel', args: [modelId] })) })
      const info = ctx.models.info(id)
      return {
        modelId,
        owner: entry.owner.toLowerCase(),
        name: entry.name,
        size: q(entry.size),
        gasPerCall: q(entry.gasPerCall),
        input: info === undefined ? null : { type: info.input.type, shape: info.input.shape, length: q(info.input.length) },
        output: info === undefined ? null : { type: info.output.type, shape: info.output.shape, length: q(info.output.length) },
        operators: info?.ops ?? null,
        multiplyAccumulates: info === undefined ? null : q(info.macs),
        elementOperations: info === undefined ? null : q(info.elementOps),
      }
    }),

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
