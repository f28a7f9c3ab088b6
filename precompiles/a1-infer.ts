/**
 * 0x…a1, the inference precompile: `infer(bytes32 modelId, int256[] input) returns (int256[] output)`.
 *
 * Order of work, so that nothing unpaid runs:
 * 1. decode the call; check in the ModelRegistry's storage that the model is registered (the node's
 *    model store may hold bytes of a registration that reverted: chain state decides, not the store);
 * 2. charge the model's gasPerCall (from its static analysis) — too little gas is out-of-gas and
 *    the model does not run;
 * 3. convert the input (tensor-codec.ts rules), run the model, convert the output;
 * 4. log `Inference(bytes32 indexed modelId, bytes32 inputHash, bytes32 outputHash)` from this
 *    address, with the hashes over the packed int256 words (what `keccak256(abi.encodePacked(arr))`
 *    gives in Solidity).
 * Failures before the model runs revert with an Error(string) reason and cost INFER_REJECT_GAS.
 */
import { EVMError, type ExecResult, type PrecompileInput } from '@ethereumjs/evm'
import { Address, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { keccak256, toHex, type Hex } from 'viem'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from './addresses.ts'
import { INFER_REJECT_GAS } from './gas.ts'
import type { ModelRuntime } from './runtime.ts'
import { CodecError, decodeInferCall, encodeInferResult, encodeRevertReason, fromTensorData, toTensorData } from './tensor-codec.ts'

/** topic0 of the record log. */
export const INFERENCE_EVENT_TOPIC = keccak256(toHex('Inference(bytes32,bytes32,bytes32)'))

/** Storage slot of ModelRegistry's `_models` mapping (slot 0 by contract layout; its first word holds the owner). */
const MODELS_MAPPING_SLOT = 0n

const registry = new Address(hexToBytes(MODEL_REGISTRY))
const self = hexToBytes(INFERENCE_PRECOMPILE)
const EVENT_TOPIC = hexToBytes(INFERENCE_EVENT_TOPIC)
/** Bound on the slot cache (a map of 32-byte keys; cleared when full). */
const MAX_CACHED_SLOTS = 4096

export function createInferencePrecompile(runtime: ModelRuntime) {
  return async function infer(input: PrecompileInput): Promise<ExecResult> {
    let call: { modelId: Hex; input: bigint[] }
    try {
      call = decodeInferCall(input.data)
    } catch (err) {
      return revert(input, err instanceof CodecError ? err.message : 'malformed call')
    }
    const id = hexToBytes(call.modelId)
    const keccak = input.common.customCrypto.keccak256 ?? keccak_256
    if (!(await isRegistered(input, call.modelId, keccak))) return revert(input, 'unknown model')
    const info = runtime.info(id)
    if (info === undefined) return revert(input, 'model bytes missing on this node') // cannot happen on a node that replayed the registration

    if (input.gasLimit < info.gasPerCall) return outOfGas(input.gasLimit)
    let data
    try {
      data = toTensorData(call.input, info.input.type, info.input.length)
    } catch (err) {
      return revert(input, err instanceof CodecError ? err.message : String(err))
    }
    let output: bigint[]
    try {
      const result = await runtime.sessions.run(call.modelId, () => runtime.bytes(id), info, data)
      output = fromTensorData(result, info.output.type)
    } catch (err) {
      if (err instanceof CodecError) return revert(input, err.message, info.gasPerCall)
      throw err // an onnxruntime failure on a validated model is a node fault, not a revert
    }
    const record = new Uint8Array(64)
    record.set(keccak(packWords(call.input)), 0)
    record.set(keccak(packWords(output)), 32)
    return {
      executionGasUsed: info.gasPerCall,
      returnValue: encodeInferResult(output),
      logs: [[self, [EVENT_TOPIC, id], record]],
    }
  }
}

/** Registry storage slot of each model's first word, keccak256(modelId . 0): computed once per model. */
const registrySlots = new Map<string, Uint8Array>()

async function isRegistered(input: PrecompileInput, modelId: Hex, keccak: (data: Uint8Array) => Uint8Array): Promise<boolean> {
  let slot = registrySlots.get(modelId)
  if (slot === undefined) {
    const preimage = new Uint8Array(64)
    preimage.set(hexToBytes(modelId), 0)
    preimage.set(setLengthLeft(hexToBytes(toHex(MODELS_MAPPING_SLOT)), 32), 32)
    slot = keccak(preimage)
    if (registrySlots.size >= MAX_CACHED_SLOTS) registrySlots.clear()
    registrySlots.set(modelId, slot)
  }
  const word = await input._EVM.stateManager.getStorage(registry, slot)
  return word.some((b) => b !== 0)
}

/** The int256 words of `values`, two's complement, concatenated (abi.encodePacked of an int256[]). */
export function packWords(values: readonly bigint[]): Uint8Array {
  const out = Buffer.alloc(values.length * 32)
  values.forEach((v, i) => out.write(BigInt.asUintN(256, v).toString(16).padStart(64, '0'), i * 32, 'hex'))
  return out
}

function revert(input: PrecompileInput, reason: string, gas: bigint = INFER_REJECT_GAS): ExecResult {
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  return { executionGasUsed: gas, returnValue: encodeRevertReason(reason), exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { executionGasUsed: gasLimit, returnValue: new Uint8Array(), exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}
