/**
 * ModelRegistry's lineage and access rules on a real node: the owner restricts a model to an
 * allowlist, the inference precompile lets an allowed contract's call through and refuses any
 * other caller (including a contract that DELEGATECALLs the precompile on an allowed contract's
 * behalf) with the documented reason, charges the access reads, and a node fed the same
 * transactions reaches the same state roots. The DatasetRegistry predeploy is stood in for by
 * contracts/test/MockDatasetRegistry.sol, written into this test's genesis at its address. Also:
 * a restricted model in an EVM that does not record callers is a node fault, and the README's
 * lineage walkthrough trains the example Iris model from its CSV rows.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PrecompileInput } from '@ethereumjs/evm'
import { equalsBytes, hexToBytes } from '@ethereumjs/util'
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, keccak256, toHex, zeroHash, type Abi, type Hex } from 'viem'
import { getModelAccess, getModelLineage } from '@ai-rollup/sdk'
import { createInferencePrecompile, PRECOMPILE_FAILED } from '../../precompiles/a1-infer.ts'
import { DATASET_REGISTRY, INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../precompiles/addresses.ts'
import { ACCESS_READ_GAS } from '../../precompiles/gas.ts'
import { accessSlot, ModelRuntime, registrySlot } from '../../precompiles/runtime.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { buildIrisInt8Model, buildIrisModel, IRIS_CLASSES, irisDataset, trainIrisMlp } from '../../scripts/models/index.ts'
import { DEFAULT_GENESIS_PATH } from '../../sequencer/chain/genesis.ts'
import { direct, registerModel, registryAbi } from '../helpers/models.ts'
import { accounts, ROOT, startTestNode, tempDir, type TestNode } from '../helpers/node.ts'
import { compile } from '../helpers/solidity.ts'

const CALLER_SOURCE = `
pragma solidity ^0.8.0;
interface IOnnxInference { function infer(bytes32 modelId, int256[] calldata input) external returns (int256[] memory); }
contract Caller {
  int256 public last;
  /** Calls the model; reverts with the precompile's reason. */
  function run(bytes32 id, int256[] calldata input) public returns (int256) {
    (bool ok, bytes memory out) = address(0xA1).call(abi.encodeCall(IOnnxInference.infer, (id, input)));
    if (!ok) assembly { revert(add(out, 32), mload(out)) }
    last = abi.decode(out, (int256[]))[0];
    return last;
  }
  /** Runs the precompile's code in this contract's context. */
  function runDelegated(bytes32 id, int256[] calldata input) public returns (int256) {
    (bool ok, bytes memory out) = address(0xA1).delegatecall(abi.encodeCall(IOnnxInference.infer, (id, input)));
    if (!ok) assembly { revert(add(out, 32), mload(out)) }
    last = abi.decode(out, (int256[]))[0];
    return last;
  }
  /** Calls \`other\`.runDelegated: the precompile's caller must then be \`other\`, not this contract. */
  function forward(Caller other, bytes32 id, int256[] calldata input) external returns (int256) {
    return other.runDelegated(id, input);
  }
}`

const mockDatasets = JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts/test/MockDatasetRegistry.sol/MockDatasetRegistry.json'), 'utf8')) as { abi: Abi; deployedBytecode: Hex }
const iris = buildIrisInt8Model()
const irisId = keccak256(iris)
const flower = [51n, 35n, 14n, 2n] // setosa, in millimetres

/** The dev genesis plus MockDatasetRegistry at the DatasetRegistry predeploy's address. */
function genesisWithDatasets(): string {
  const genesis = JSON.parse(readFileSync(DEFAULT_GENESIS_PATH, 'utf8'))
  genesis.alloc[DATASET_REGISTRY] = { balance: '0x0', nonce: '0x1', code: mockDatasets.deployedBytecode }
  const path = join(tempDir('lineage-genesis-'), 'genesis.json')
  writeFileSync(path, JSON.stringify(genesis))
  return path
}

describe('model lineage and access rules on the node', () => {
  const genesisPath = genesisWithDatasets()
  const caller = compile(CALLER_SOURCE, 'Caller')
  let t: TestNode
  let allowed: Hex
  let other: Hex
  let expected: bigint

  const send = async (address: Hex, abi: Abi, functionName: string, args: unknown[], gas?: bigint) => {
    const hash = await t.wallet(0).writeContract({ address, abi, functionName, args, ...(gas === undefined ? {} : { gas }) } as never)
    return t.publicClient.waitForTransactionReceipt({ hash })
  }
  const deploy = async () => {
    const hash = await t.wallet(0).deployContract({ abi: caller.abi, bytecode: caller.bytecode })
    return (await t.publicClient.waitForTransactionReceipt({ hash })).contractAddress as Hex
  }
  /** eth_call of Caller.`fn` from account #1; the JSON-RPC answer. */
  const callAs = (address: Hex, functionName: string, args: unknown[]) =>
    t.rpcRaw('eth_call', [{ from: accounts[1].address, to: address, data: encodeFunctionData({ abi: caller.abi, functionName, args }) }, 'latest'])
  /** The gas the precompile's frame used in transaction `hash` (callTracer). */
  const precompileGas = async (hash: Hex): Promise<bigint> => {
    const find = (frame: any): any => (frame.to?.toLowerCase() === INFERENCE_PRECOMPILE ? frame : (frame.calls ?? []).map(find).find(Boolean))
    return BigInt(find(await t.rpc('debug_traceTransaction', [hash, { tracer: 'callTracer' }])).gasUsed)
  }

  beforeAll(async () => {
    t = await startTestNode({ chain: { genesisPath } })
    expect((await registerModel(t, iris, 'iris-int8')).status).toBe('success')
    allowed = await deploy()
    other = await deploy()
    ;[expected] = await direct(iris, flower, 'int8', 'int32', [1, 4])
  })
  afterAll(async () => {
    await t.close()
    rmSync(dirname(genesisPath), { recursive: true, force: true })
  })

  it('a public model (the default) runs for any caller, for its gasPerCall plus one access read', async () => {
    const receipt = await send(other, caller.abi, 'run', [irisId, flower], 500_000n)
    expect(receipt.status).toBe('success')
    const model = await t.rpc('ai_getModel', [irisId])
    expect(model.access).toEqual({ restricted: false, allowedCallers: '0x0' })
    expect(await precompileGas(receipt.transactionHash)).toBe(BigInt(model.gasPerCall) + ACCESS_READ_GAS)
  })

  describe('restricted to one contract', () => {
    beforeAll(async () => {
      expect((await send(MODEL_REGISTRY, registryAbi, 'setAccess', [irisId, true])).status).toBe('success')
      expect((await send(MODEL_REGISTRY, registryAbi, 'allowCaller', [irisId, allowed, true])).status).toBe('success')
    })

    it('lets the allowed contract call it, for gasPerCall plus two access reads', async () => {
      const receipt = await send(allowed, caller.abi, 'run', [irisId, flower], 500_000n)
      expect(receipt.status).toBe('success')
      expect(await t.publicClient.readContract({ address: allowed, abi: caller.abi, functionName: 'last' })).toBe(expected)
      const model = await t.rpc('ai_getModel', [irisId])
      expect(await precompileGas(receipt.transactionHash)).toBe(BigInt(model.gasPerCall) + 2n * ACCESS_READ_GAS)
      expect(model.access).toEqual({ restricted: true, allowedCallers: '0x1' })
      expect((await t.rpc('ai_listModels'))[0].access).toEqual({ restricted: true, allowedCallers: '0x1' })
    })

    it("refuses another contract's call with \"caller 0x… is not allowed to call this model\", in a transaction too", async () => {
      const reason = `execution reverted: caller ${other.toLowerCase()} is not allowed to call this model`
      expect((await callAs(other, 'run', [irisId, flower])).error?.message).toBe(reason)
      const receipt = await send(other, caller.abi, 'run', [irisId, flower], 500_000n)
      expect(receipt.status).toBe('reverted')
      // the transaction reverted, so the earlier public call's output is what stays
      expect(await t.publicClient.readContract({ address: other, abi: caller.abi, functionName: 'last' })).toBe(expected)
    })

    it('refuses an account calling the precompile directly, and a contract that DELEGATECALLs it for an allowed one', async () => {
      const direct = await t.rpcRaw('eth_call', [{ from: accounts[1].address, to: INFERENCE_PRECOMPILE, data: toHex(encodeInferCall(irisId, flower)) }, 'latest'])
      expect(direct.error?.message).toBe(`execution reverted: caller ${accounts[1].address.toLowerCase()} is not allowed to call this model`)
      // allowed → other.runDelegated → DELEGATECALL 0xA1: the caller is `other`, not `allowed`
      expect((await callAs(allowed, 'forward', [other, irisId, flower])).error?.message).toBe(`execution reverted: caller ${other.toLowerCase()} is not allowed to call this model`)
      // the allowed contract delegating itself is still itself
      const own = await callAs(allowed, 'runDelegated', [irisId, flower])
      expect(decodeFunctionResult({ abi: caller.abi, functionName: 'runDelegated', data: own.result })).toBe(expected)
    })

    it('public again: everyone may call', async () => {
      expect((await send(MODEL_REGISTRY, registryAbi, 'setAccess', [irisId, false])).status).toBe('success')
      expect((await callAs(other, 'run', [irisId, flower])).error).toBeUndefined()
      expect((await send(MODEL_REGISTRY, registryAbi, 'setAccess', [irisId, true])).status).toBe('success')
    })
  })

  it('lineage: datasets and a second version, checked against the DatasetRegistry, shown by ai_getModel', async () => {
    const datasets = mockDatasets.abi
    for (const name of ['iris train', 'iris test']) expect((await send(DATASET_REGISTRY, datasets, 'add', [keccak256(toHex(name)), 150n, name])).status).toBe('success')
    expect((await send(MODEL_REGISTRY, registryAbi, 'setLineage', [irisId, zeroHash, [1n], [2n]])).status).toBe('success')
    const v2 = buildIrisModel() // the float model: another version of the Iris classifier
    const v2Id = keccak256(v2)
    expect((await registerModel(t, v2, 'iris-int8 v2')).status).toBe('success')
    // a dataset that does not exist is refused
    const refused = await t.rpcRaw('eth_call', [{ from: accounts[0].address, to: MODEL_REGISTRY, data: encodeFunctionData({ abi: registryAbi, functionName: 'setLineage', args: [v2Id, irisId, [3n], []] }) }])
    expect(refused.error?.code).toBe(3)
    expect(decodeErrorResult({ abi: registryAbi, data: refused.error?.data as Hex })).toMatchObject({ errorName: 'UnknownDataset', args: [3n] })
    expect((await send(MODEL_REGISTRY, registryAbi, 'setLineage', [v2Id, irisId, [1n, 2n], [2n]])).status).toBe('success')
    expect(await t.rpc('ai_getModel', [v2Id])).toMatchObject({
      version: '0x2', previous: irisId, nextVersion: null, latestVersion: v2Id,
      lineage: { frozen: true, trainedOn: ['0x1', '0x2'], evaluatedOn: ['0x2'] },
      access: { restricted: false, allowedCallers: '0x0' },
    })
    expect(await t.rpc('ai_getModel', [irisId])).toMatchObject({ version: '0x1', previous: null, nextVersion: v2Id, latestVersion: v2Id, lineage: { frozen: true, trainedOn: ['0x1'], evaluatedOn: ['0x2'] } })
    // the SDK reads the same
    expect(await getModelLineage(t.publicClient, irisId)).toEqual({ version: 1n, previous: null, next: v2Id, latest: v2Id, frozen: true, trainedOn: [1n], evaluatedOn: [2n] })
    expect(await getModelLineage(t.publicClient, keccak256('0x01'))).toBeNull()
    expect(await getModelAccess(t.publicClient, irisId)).toEqual({ restricted: true, allowedCallers: 1 })
    expect(await getModelAccess(t.publicClient, v2Id)).toEqual({ restricted: false, allowedCallers: 0 })
    expect(await getModelAccess(t.publicClient, keccak256('0x01'))).toBeNull()
  })

  it('a node started empty and fed the same transactions reaches the same state roots', async () => {
    const fresh = await startTestNode({ chain: { genesisPath }, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      const head = Number(await t.rpc<string>('eth_blockNumber'))
      for (let n = 1; n <= head; n++) {
        const block = await t.rpc('eth_getBlockByNumber', [toHex(n), false])
        for (const hash of block.transactions as Hex[]) await fresh.rpc('eth_sendRawTransaction', [await t.rpc<Hex>('eth_getRawTransactionByHash', [hash])])
        await fresh.node.mine()
        const replayed = await fresh.rpc('eth_getBlockByNumber', [toHex(n), false])
        expect(replayed.transactions, `transactions of block ${n}`).toEqual(block.transactions)
        expect(replayed.stateRoot, `state root of block ${n}`).toBe(block.stateRoot)
      }
    } finally {
      await fresh.close()
    }
  })
})

describe('the precompile without a caller record', () => {
  it("a restricted model in an EVM that does not track the precompile's callers is this node's fault: halted, reported, never run", async () => {
    const runtime = new ModelRuntime({ store: { getModel: () => undefined }, maxModelBytes: 1 << 20, scratch: true })
    const faults: unknown[] = []
    runtime.onFault((err) => faults.push(err))
    const id = hexToBytes(irisId)
    const words = new Map([[registrySlot(id), hexToBytes(`0x${'11'.repeat(20)}`)], [accessSlot(id), hexToBytes('0x01')]])
    const stateManager = { getStorage: async (_address: unknown, key: Uint8Array) => [...words].find(([slot]) => equalsBytes(slot, key))?.[1] ?? new Uint8Array() }
    const input = { data: encodeInferCall(irisId, flower), gasLimit: 1_000_000n, common: { customCrypto: {} }, _EVM: { stateManager } } as unknown as PrecompileInput
    const result = await createInferencePrecompile(runtime)(input)
    expect(result.exceptionError?.error).toBe(PRECOMPILE_FAILED)
    expect(result.executionGasUsed).toBe(1_000_000n)
    expect(String(faults[0])).toMatch(/does not track its callers/)
  })
})

describe('the README walkthrough "from a dataset to a provable model"', () => {
  it('the Iris rows written as CSV and read back train exactly the example model precompiles/models/iris-mlp.onnx', () => {
    const d = irisDataset()
    const csv = ['sepalLength,sepalWidth,petalLength,petalWidth,species', ...d.x.map((r, i) => [...r, IRIS_CLASSES[d.y[i]]].join(','))].join('\n')
    const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','))
    const weights = trainIrisMlp({ x: rows.map((r) => r.slice(0, 4).map(Number)), y: rows.map((r) => IRIS_CLASSES.indexOf(r[4])) })
    expect(keccak256(buildIrisModel(weights))).toBe(keccak256(readFileSync(join(ROOT, 'precompiles/models/iris-mlp.onnx'))))
  })
})
