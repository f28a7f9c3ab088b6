/**
 * 0x…a1, the inference precompile: `infer(bytes32 modelId, int256[] input) returns (int256[] output)`.
 *
 * Order of work, so that nothing unpaid runs:
 * 1. decode the call; check in the ModelRegistry's storage that the model is registered (chain
 *    state decides, not the byte store) and that its access rule lets the caller run it (the
 *    access word; for a restricted model, the caller's allowlist entry: callers.ts says who the
 *    caller is);
 * 2. charge the model's gasPerCall (from its static analysis) plus ACCESS_READ_GAS per access
 *    word read — too little gas is out-of-gas and the model does not run;
 * 3. convert the input (tensor-codec.ts rules), run the model's canonical plan (canonical/: the
 *    same bits on every CPU), convert the output;
 * 4. log `Inference(bytes32 indexed modelId, bytes32 inputHash, bytes32 outputHash)` from this
 *    address, with the hashes over the packed int256 words (what `keccak256(abi.encodePacked(arr))`
 *    gives in Solidity).
 * Failures before the model runs revert with an Error(string) reason and cost INFER_REJECT_GAS.
 * Any other failure is an exceptional halt: the call fails and consumes all the gas it was given.
 * When the failure is this node's own (its model store), it is also reported to the runtime's
 * fault listener, so the block builder leaves the transaction out instead of sealing a result
 * other nodes would not compute. This function never throws: a throw out of a precompile unwinds
 * the EVM without closing its state checkpoints.
 */
import { performance } from 'node:perf_hooks'
import { EVMError, type ExecResult, type PrecompileInput } from '@ethereumjs/evm'
import { hexToBytes } from '@ethereumjs/util'
import { keccak256, toHex, type Hex } from 'viem'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { INFERENCE_PRECOMPILE } from './addresses.ts'
import { inferenceCaller } from './callers.ts'
import { ACCESS_READ_GAS, INFER_REJECT_GAS } from './gas.ts'
import { accessSlot, allowlistSlot, REGISTRY_ADDRESS, registrySlot, type ModelRuntime } from './runtime.ts'
import { CodecError, decodeInferCall, encodeInferResult, encodeRevertReason, fromTensorData, toTensorData, type InferCall } from './tensor-codec.ts'

export { packWords } from './tensor-codec.ts'

/** topic0 of the record log. */
export const INFERENCE_EVENT_TOPIC = keccak256(toHex('Inference(bytes32,bytes32,bytes32)'))

const self = hexToBytes(INFERENCE_PRECOMPILE)
const EVENT_TOPIC = hexToBytes(INFERENCE_EVENT_TOPIC)

/**
 * The error of an exceptional halt of a precompile (traces show it; receipts only say status 0).
 * Not one of @ethereumjs's own messages, so the cast.
 */
export const PRECOMPILE_FAILED = 'precompile failed' as unknown as ConstructorParameters<typeof EVMError>[0]

export function createInferencePrecompile(runtime: ModelRuntime) {
  // one async frame per call (run), not two: a small model's whole inference takes about a microsecond
  return function infer(input: PrecompileInput): Promise<ExecResult> {
    return run(runtime, input).catch((err: unknown) => {
      runtime.fault(err) // a bug of ours, not the model's
      return exceptionalHalt(input.gasLimit)
    })
  }
}

async function run(runtime: ModelRuntime, input: PrecompileInput): Promise<ExecResult> {
  let call: InferCall
  try {
    call = decodeInferCall(input.data)
  } catch (err) {
    return revert(input, err instanceof CodecError ? err.message : 'malformed call')
  }
  const id = call.id.slice() // the log keeps it: a copy, not a view into the calldata
  const keccak = input.common.customCrypto.keccak256 ?? keccak_256
  // registered? chain state decides (the registry's storage), not the byte store
  const state = input._EVM.stateManager
  const owner = await state.getStorage(REGISTRY_ADDRESS, registrySlot(id, keccak, call.modelId))
  if (!owner.some((b) => b !== 0)) return revert(input, 'unknown model')
  // may the caller run it? the access word's low byte is `restricted` (a stored word comes back
  // big-endian, possibly without its leading zeros: the low byte is the last one)
  const accessKey = accessSlot(id, keccak, call.modelId)
  const access = await state.getStorage(REGISTRY_ADDRESS, accessKey)
  let gas = ACCESS_READ_GAS
  if (access.length > 0 && access[access.length - 1] !== 0) {
    const caller = inferenceCaller(input._EVM)
    if (caller === undefined) {
      runtime.fault(new Error('the inference precompile ran in an EVM that does not track its callers (precompiles/callers.ts)'))
      return exceptionalHalt(input.gasLimit)
    }
    const entry = await state.getStorage(REGISTRY_ADDRESS, allowlistSlot(accessKey, caller.bytes, keccak))
    if (!entry.some((b) => b !== 0)) return revert(input, `caller ${caller.toString()} is not allowed to call this model`)
    gas += ACCESS_READ_GAS
  }
  let info
  try {
    info = runtime.info(id, call.modelId)
    // registered but unknown here: cannot happen on a node that replayed the registration
    if (info === undefined) throw new Error(`model ${call.modelId} is registered but its bytes are missing on this node`)
  } catch (err) {
    runtime.fault(err) // this node's failure, not the model's: the builder leaves the transaction out
    return exceptionalHalt(input.gasLimit)
  }

  gas += info.gasPerCall
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  let data
  try {
    data = toTensorData(call.input, info.input.type, info.input.length)
  } catch (err) {
    return revert(input, err instanceof CodecError ? err.message : String(err))
  }
  let output: bigint[]
  let returnValue: Uint8Array
  let storeFault: unknown
  const load = () => {
    try {
      return runtime.bytes(id)
    } catch (err) {
      storeFault = err
      throw err
    }
  }
  // the node's metrics time the model's run (one clock read either side, only when someone listens)
  const listener = runtime.inferenceListener
  const started = listener === undefined ? 0 : performance.now()
  let timed = false
  try {
    const result = runtime.plans.run(call.modelId, load, info, data)
    if (listener !== undefined) listener(call.modelId, (performance.now() - started) / 1000, (timed = true))
    output = fromTensorData(result, info.output.type)
    returnValue = encodeInferResult(output)
  } catch (err) {
    if (listener !== undefined && !timed) listener(call.modelId, (performance.now() - started) / 1000, false)
    if (err instanceof CodecError) return revert(input, err.message, gas)
    if (storeFault !== undefined) runtime.fault(storeFault)
    // the canonical plan failing on a registered model is the model's failure, the same on every node
    return exceptionalHalt(input.gasLimit)
  }
  // the record hashes abi.encodePacked(input) and abi.encodePacked(output): the calldata's words and
  // the return data's words as they stand, so nothing is re-encoded
  const record = new Uint8Array(64)
  record.set(keccak(call.words), 0)
  record.set(keccak(returnValue.subarray(64)), 32)
  return {
    executionGasUsed: gas,
    returnValue,
    logs: [[self, [EVENT_TOPIC, id], record]],
  }
}

/** The call fails and consumes all the gas it was given (how Ethereum's precompiles answer bad input). */
export function exceptionalHalt(gasLimit: bigint): ExecResult {
  return { executionGasUsed: gasLimit, returnValue: new Uint8Array(), exceptionError: new EVMError(PRECOMPILE_FAILED) }
}

function revert(input: PrecompileInput, reason: string, gas: bigint = INFER_REJECT_GAS): ExecResult {
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  return { executionGasUsed: gas, returnValue: encodeRevertReason(reason), exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { executionGasUsed: gasLimit, returnValue: new Uint8Array(), exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}
