/**
 * Model helpers for the precompile tests: the reference answer (onnxruntime called directly, the
 * way the node configures it, through the same fixed-point codec) and registration on a test node.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { toHex, type Abi } from 'viem'
import { MODEL_REGISTRY } from '../../precompiles/addresses.ts'
import { deterministicSessionOptions } from '../../precompiles/sessions.ts'
import { fromTensorData, toTensorData, type TensorType } from '../../precompiles/tensor-codec.ts'
import { ROOT, type TestNode } from './node.ts'

/** ModelRegistry's ABI from the Hardhat artifacts (`npx hardhat compile`). */
export const registryAbi = (JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts/L2/ModelRegistry.sol/ModelRegistry.json'), 'utf8')) as { abi: Abi }).abi

/**
 * What onnxruntime says when called directly on the same bytes and input, through the same codec:
 * `input` as the precompile takes it (int256, 1e18 fixed point for float32), the output as it returns it.
 */
export async function direct(bytes: Uint8Array, input: bigint[], type: TensorType, outType: TensorType, shape: number[]): Promise<bigint[]> {
  const session = await InferenceSession.create(bytes, deterministicSessionOptions())
  try {
    const out = await session.run({ [session.inputNames[0]]: new Tensor(type, toTensorData(input, type, input.length) as Float32Array, shape) })
    return fromTensorData(out[session.outputNames[0]].data as Float32Array, outType)
  } finally {
    await session.release()
  }
}

/** Registers `bytes` under `name` from dev account #0 and waits for the receipt. */
export async function registerModel(t: TestNode, bytes: Uint8Array, name: string) {
  const hash = await t.wallet(0).writeContract({ address: MODEL_REGISTRY, abi: registryAbi, functionName: 'register', args: [toHex(bytes), name] })
  return t.publicClient.waitForTransactionReceipt({ hash })
}
