/**
 * Model bytes reach the node's disk only with a sealed block that registered them: calls and
 * estimates of a registration, and registrations that revert, store nothing; a model registered
 * in a block can be run later in the same block and after a restart.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFunctionData, keccak256, toHex, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../precompiles/index.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { buildCreditModel } from '../../scripts/models/index.ts'
import { startTestNode, type TestNode } from '../helpers/node.ts'
import { registryAbi } from '../helpers/models.ts'
import { compile } from '../helpers/solidity.ts'

const ONE = 10n ** 18n
const features = [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n]
const GWEI = 10n ** 9n

/** The credit model with a `docBytes`-byte domain appended (ModelProto field 4, unset in it): a distinct, valid model. */
function variant(i: number, docBytes = 16): Uint8Array {
  const base = buildCreditModel()
  const doc = Buffer.alloc(docBytes, 0x61)
  doc.write(`variant ${i} `)
  const len: number[] = []
  for (let n = doc.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n)
      break
    }
    len.push((n & 0x7f) | 0x80)
  }
  return Uint8Array.from([...base, 0x22, ...len, ...doc])
}

const REVERTING_SOURCE = `
interface IRegistry { function register(bytes calldata onnxModel, string calldata name) external returns (bytes32); }
contract RegisterThenRevert {
  function go(bytes calldata model) external { IRegistry(0x4200000000000000000000000000000000000100).register(model, "x"); revert("changed my mind"); }
}`

describe('model bytes on disk', () => {
  let t: TestNode
  const modelCount = () => {
    const db = new Database(join(t.dataDir, 'chain.sqlite'), { readonly: true })
    try {
      return db.prepare('SELECT COUNT(*) FROM models').pluck().get() as number
    } finally {
      db.close()
    }
  }

  async function send(from: number, to: Hex | undefined, data: Hex, gas = 10_000_000n): Promise<Hex> {
    const wallet = t.wallet(from)
    const request = await wallet.prepareTransactionRequest({ to: to ?? null, data, gas, maxPriorityFeePerGas: GWEI, maxFeePerGas: 100n * GWEI } as Parameters<typeof wallet.prepareTransactionRequest>[0])
    return t.rpc<Hex>('eth_sendRawTransaction', [await wallet.signTransaction(request as Parameters<typeof wallet.signTransaction>[0])])
  }
  const receipt = (hash: Hex) => t.rpc('eth_getTransactionReceipt', [hash])
  const registerData = (bytes: Uint8Array, name = 'm') => encodeFunctionData({ abi: registryAbi, functionName: 'register', args: [toHex(bytes), name] })

  beforeAll(async () => {
    t = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  })
  afterAll(() => t?.close())

  it('eth_call and eth_estimateGas of registrations store nothing, however many distinct models', async () => {
    const sqlite = join(t.dataDir, 'chain.sqlite')
    const size = () => statSync(sqlite).size + (statSync(`${sqlite}-wal`, { throwIfNoEntry: false })?.size ?? 0)
    const before = size()
    for (let i = 0; i < 20; i++) {
      const model = variant(i, 100_000)
      const call = { to: MODEL_REGISTRY, data: registerData(model), gas: toHex(30_000_000n) }
      const result = await t.rpc<Hex>('eth_call', [call, 'latest'])
      expect(result).toBe(keccak256(model)) // the call did register it, in its scratch state
      if (i % 10 === 0) expect(BigInt(await t.rpc<Hex>('eth_estimateGas', [{ to: MODEL_REGISTRY, data: registerData(model) }]))).toBeGreaterThan(100_000n)
    }
    expect(modelCount()).toBe(0)
    expect(size() - before).toBeLessThan(1_000_000) // 20 calls of 100 kB models: nothing of them on disk
  })

  it('a registration that reverts after the analysis stores nothing', async () => {
    const { bytecode, abi } = compile(REVERTING_SOURCE, 'RegisterThenRevert')
    const deploy = await send(1, undefined, bytecode)
    await t.node.mine()
    const contract = (await receipt(deploy)).contractAddress as Hex
    const hash = await send(1, contract, encodeFunctionData({ abi, functionName: 'go', args: [toHex(variant(100))] }))
    await t.node.mine()
    expect((await receipt(hash)).status).toBe('0x0')
    expect(modelCount()).toBe(0)
  })

  it('a sealed registration stores the bytes with its block; the model runs in the same block and after a restart', async () => {
    const model = variant(200)
    const id = keccak256(model)
    const register = await send(0, MODEL_REGISTRY, registerData(model, 'same-block'))
    // same sender, next nonce: executes after the registration, in the same block
    const infer = await send(0, INFERENCE_PRECOMPILE, toHex(encodeInferCall(id, features)), 500_000n)
    const block = await t.node.mine()
    expect(block?.txRows.length).toBe(2)
    expect((await receipt(register)).status).toBe('0x1')
    const inferReceipt = await receipt(infer)
    expect(inferReceipt.status).toBe('0x1')
    expect(inferReceipt.logs).toHaveLength(1) // the Inference record
    expect(modelCount()).toBe(1)

    const dataDir = t.dataDir
    await t.close({ keepData: true })
    t = await startTestNode({ dataDir, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    const out = await t.rpcRaw('eth_call', [{ to: INFERENCE_PRECOMPILE, data: toHex(encodeInferCall(id, features)) }, 'latest'])
    expect(out.error).toBeUndefined()
    expect(modelCount()).toBe(1)
  })
})
