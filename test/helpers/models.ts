/**
 * Model helpers for the precompile tests: the reference answer (the canonical evaluator called
 * directly, as a library, through the same fixed-point codec) and registration on a test node.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { toHex, type Abi } from 'viem'
import { MODEL_REGISTRY } from '../../precompiles/addresses.ts'
import { compileModel } from '../../precompiles/canonical/index.ts'
import { fromTensorData, toTensorData, type TensorType } from '../../precompiles/tensor-codec.ts'
import { ROOT, type TestNode } from './node.ts'

/** ModelRegistry's ABI from the Hardhat artifacts (`npx hardhat compile`). */
export const registryAbi = (JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts/L2/ModelRegistry.sol/ModelRegistry.json'), 'utf8')) as { abi: Abi }).abi

/**
 * What the canonical evaluator (precompiles/canonical/) computes when called as a library on the
 * same bytes and input, through the same codec: `input` as the precompile takes it (int256, 1e18
 * fixed point for float32), the output as it returns it. `shape` is the input's (checked).
 */
export async function direct(bytes: Uint8Array, input: bigint[], type: TensorType, outType: TensorType, shape: number[]): Promise<bigint[]> {
  const model = compileModel(bytes)
  if (model.input.shape.join() !== shape.join()) throw new Error(`model input is [${model.input.shape}], not [${shape}]`)
  return fromTensorData(model.run(toTensorData(input, type, input.length)), outType)
}

/** Registers `bytes` under `name` from dev account #0 and waits for the receipt. */
export async function registerModel(t: TestNode, bytes: Uint8Array, name: string) {
  const hash = await t.wallet(0).writeContract({ address: MODEL_REGISTRY, abi: registryAbi, functionName: 'register', args: [toHex(bytes), name] })
  return t.publicClient.waitForTransactionReceipt({ hash })
}
