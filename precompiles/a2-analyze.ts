/**
 * 0x…a2, the model analyzer: `analyze(bytes onnxModel) returns (uint64 gasPerCall, uint32
 * inputLength, uint32 outputLength, uint8 inputType, uint8 outputType)`. ModelRegistry calls it
 * at registration; the node validates the model (onnx/analyze.ts), keeps its bytes
 * content-addressed, and returns what the registry stores. A pure function of the bytes, so any
 * node replaying the registration gets the same answer and the same model store.
 * Gas: ANALYZE_BASE_GAS + ANALYZE_GAS_PER_BYTE per byte for the analysis, then the model's own
 * gasPerCall for the registration trial (trial.ts), each charged before the work it pays for.
 * An invalid model reverts with Error(reason); any other failure is an exceptional halt (all the
 * call's gas consumed), never a throw. The bytes stay in memory until a block that registered
 * them is sealed (runtime.ts). Tensor types are ONNX DataType numbers
 * (1 float32, 2 uint8, 3 int8, 6 int32, 7 int64), as contracts/ai/AI.sol names them.
 */
import { EVMError, type ExecResult, type PrecompileInput } from '@ethereumjs/evm'
import { bytesToHex, decodeFunctionData, encodeFunctionResult, hexToBytes, parseAbi, type Hex } from 'viem'
import { ANALYZE_BASE_GAS, ANALYZE_GAS_PER_BYTE } from './gas.ts'
import { ModelValidationError } from './onnx/analyze.ts'
import { ELEMENT_TYPES } from './onnx/tensors.ts'
import type { ModelRuntime } from './runtime.ts'
import { encodeRevertReason } from './tensor-codec.ts'
import { exceptionalHalt } from './a1-infer.ts'

export const ANALYZER_ABI = parseAbi([
  'function analyze(bytes onnxModel) returns (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType)',
])


export function createAnalyzerPrecompile(runtime: ModelRuntime) {
  return async function analyze(input: PrecompileInput): Promise<ExecResult> {
    try {
      return await run(runtime, input)
    } catch (err) {
      // never a throw out of a precompile (see a1-infer.ts): an exceptional halt, and a node fault
      runtime.fault(err)
      return exceptionalHalt(input.gasLimit)
    }
  }
}

async function run(runtime: ModelRuntime, input: PrecompileInput): Promise<ExecResult> {
  let model: Hex
  try {
    model = decodeFunctionData({ abi: ANALYZER_ABI, data: bytesToHex(input.data) }).args[0]
  } catch {
    return fail(input, ANALYZE_BASE_GAS, 'malformed call')
  }
  const bytes = hexToBytes(model)
  // the static analysis is linear in the model's size (onnx/analyze.ts): paid before it starts
  const analysisGas = ANALYZE_BASE_GAS + BigInt(bytes.length) * ANALYZE_GAS_PER_BYTE
  if (input.gasLimit < analysisGas) return outOfGas(input.gasLimit)
  let info
  try {
    info = runtime.analyze(bytes)
  } catch (err) {
    if (err instanceof ModelValidationError) return fail(input, analysisGas, err.reason)
    runtime.fault(err)
    return exceptionalHalt(input.gasLimit)
  }
  // the trial (session creation and one run, trial.ts) is the work of one cold call: it costs
  // what a call costs, and runs only once that is paid
  const gas = analysisGas + info.gasPerCall
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  try {
    await runtime.admit(bytes, info)
    const returnValue = encodeFunctionResult({
      abi: ANALYZER_ABI,
      functionName: 'analyze',
      result: [info.gasPerCall, info.input.length, info.output.length, ELEMENT_TYPES[info.input.type].onnx, ELEMENT_TYPES[info.output.type].onnx],
    })
    return { executionGasUsed: gas, returnValue: hexToBytes(returnValue) }
  } catch (err) {
    if (err instanceof ModelValidationError) return fail(input, gas, err.reason)
    runtime.fault(err)
    return exceptionalHalt(input.gasLimit)
  }
}

function fail(input: PrecompileInput, gas: bigint, reason: string): ExecResult {
  if (input.gasLimit < gas) return outOfGas(input.gasLimit)
  return { executionGasUsed: gas, returnValue: encodeRevertReason(reason), exceptionError: new EVMError(EVMError.errorMessages.REVERT) }
}

function outOfGas(gasLimit: bigint): ExecResult {
  return { executionGasUsed: gasLimit, returnValue: new Uint8Array(), exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS) }
}
