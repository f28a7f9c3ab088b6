/**
 * The AI precompiles on a real node: registration through the ModelRegistry predeploy, inference
 * from eth_call, from a contract in a transaction and in gas estimation, gas charged before the
 * model runs, revert reasons, the inference record, restart, and replay to the same state root.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeErrorResult, decodeEventLog, decodeFunctionResult, encodeFunctionData, keccak256, parseAbi, toHex, type Abi, type Hex } from 'viem'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../precompiles/index.ts'
import { encodeInferCall } from '../../precompiles/tensor-codec.ts'
import { packWords } from '../../precompiles/a1-infer.ts'
import { buildCreditModel, buildIrisInt8Model } from '../../scripts/models/index.ts'
import { accounts, ROOT, startTestNode, type TestNode } from '../helpers/node.ts'
import { direct, registerModel as register, registryAbi } from '../helpers/models.ts'
import { compile } from '../helpers/solidity.ts'

const artifact = (path: string) => JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts', path), 'utf8')) as { abi: Abi; bytecode: Hex }
const pool = artifact('examples/CreditLendingPool.sol/CreditLendingPool.json')
const inferAbi = parseAbi(['function infer(bytes32 modelId, int256[] input) returns (int256[] output)'])

const MULTI_SOURCE = `
pragma solidity ^0.8.0;
interface IOnnxInference { function infer(bytes32 modelId, int256[] calldata input) external returns (int256[] memory); }
contract Multi {
  int256 public total;
  function run(bytes32 id, int256[] calldata input, uint256 times) external {
    for (uint256 i; i < times; i++) total += IOnnxInference(address(0xA1)).infer(id, input)[0];
  }
  function peek(bytes32 id, int256[] calldata input) external view returns (int256) {
    (bool ok, bytes memory out) = address(0xA1).staticcall(abi.encodeCall(IOnnxInference.infer, (id, input)));
    require(ok, "inference failed");
    return abi.decode(out, (int256[]))[0];
  }
}`

const credit = buildCreditModel()
const creditId = keccak256(credit)
const ONE = 10n ** 18n
const features = [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n] // $50k, 30% debt ratio, 10 years, 1 late payment

const decodeOutput = (result: Hex) => [...decodeFunctionResult({ abi: inferAbi, functionName: 'infer', data: result })]

const callInfer = (t: TestNode, modelId: Hex, input: bigint[], gas?: bigint) =>
  t.rpcRaw('eth_call', [{ to: INFERENCE_PRECOMPILE, data: toHex(encodeInferCall(modelId, input)), ...(gas === undefined ? {} : { gas: toHex(gas) }) }, 'latest'])

describe('AI precompiles on the node', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
    await register(t, credit, 'credit-risk')
  })
  afterAll(() => t.close())

  describe('ModelRegistry', () => {
    it('registers a model under keccak256(bytes) with its analysed gas per call', async () => {
      expect(await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: registryAbi, functionName: 'isRegistered', args: [creditId] })).toBe(true)
      const info = (await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: registryAbi, functionName: 'getModel', args: [creditId] })) as { gasPerCall: bigint; size: number; inputLength: number; outputLength: number; name: string; owner: string }
      expect(info).toMatchObject({ size: credit.length, inputLength: 4, outputLength: 1, name: 'credit-risk', owner: accounts[0].address })
      expect(info.gasPerCall).toBe(t.node.models.info(Buffer.from(creditId.slice(2), 'hex'))!.gasPerCall)
    })

    it('refuses the same bytes twice with ModelAlreadyRegistered', async () => {
      const r = await t.rpcRaw('eth_call', [{ from: accounts[1].address, to: MODEL_REGISTRY, data: encodeFunctionData({ abi: registryAbi, functionName: 'register', args: [toHex(credit), 'again'] }) }])
      expect(r.error?.code).toBe(3)
      expect(decodeErrorResult({ abi: registryAbi, data: r.error?.data as Hex }).errorName).toBe('ModelAlreadyRegistered')
    })

    it('reverts a registration whose model fails validation, with the reason', async () => {
      const r = await t.rpcRaw('eth_call', [{ from: accounts[1].address, to: MODEL_REGISTRY, data: encodeFunctionData({ abi: registryAbi, functionName: 'register', args: ['0xdeadbeef', 'junk'] }) }])
      expect(r.error?.code).toBe(3)
      const decoded = decodeErrorResult({ abi: registryAbi, data: r.error?.data as Hex })
      expect(decoded.errorName).toBe('ModelRejected')
      expect(String(decoded.args?.[0])).toMatch(/ONNX|protobuf|model/i)
    })
  })

  describe('infer(bytes32,int256[])', () => {
    it('answers an eth_call with exactly what onnxruntime gives directly', async () => {
      const r = await callInfer(t, creditId, features)
      expect(r.error).toBeUndefined()
      const output = decodeOutput(r.result)
      expect(output).toEqual(await direct(credit, features, 'float32', 'float32', [1, 4]))
      expect(output[0] > 0n && output[0] < ONE).toBe(true)
    })

    it('reverts with a reason for an unknown model and for a wrong input length', async () => {
      const unknown = await callInfer(t, keccak256('0x01'), features)
      expect(unknown.error?.code).toBe(3)
      expect(unknown.error?.message).toBe('execution reverted: unknown model')
      const short = await callInfer(t, creditId, features.slice(0, 3))
      expect(short.error?.message).toBe('execution reverted: input has 3 values, the model takes 4')
    })

    it('charges the gas before running: one gas short is out of gas and the model never runs', async () => {
      const data = toHex(encodeInferCall(creditId, features))
      const needed = BigInt(await t.rpc<string>('eth_estimateGas', [{ to: INFERENCE_PRECOMPILE, data }]))
      // calls run on the call workers (sequencer/calls/); the node adds up the ONNX runs they made
      const runs = () => t.node.callModels.plans.stats().runs + t.node.calls.stats().inferenceRuns
      const runsBefore = runs()
      const short = await callInfer(t, creditId, features, needed - 1n)
      expect(short.error?.code).toBe(-32000)
      expect(short.error?.message).toMatch(/out of gas/)
      expect(runs()).toBe(runsBefore)
      expect((await callInfer(t, creditId, features, needed)).error).toBeUndefined()
      expect(runs()).toBe(runsBefore + 1)
    })

    it('runs an int8-quantized model with integer inputs and outputs', async () => {
      const int8 = buildIrisInt8Model()
      await register(t, int8, 'iris-int8')
      const flower = [51n, 35n, 14n, 2n] // setosa, in millimetres
      const r = await callInfer(t, keccak256(int8), flower)
      const output = decodeOutput(r.result)
      expect(output).toEqual(await direct(int8, flower, 'int8', 'int32', [1, 4]))
      expect(output.indexOf(output.reduce((a, b) => (a > b ? a : b)))).toBe(0)
    })
  })

  describe('from a contract in a transaction', () => {
    let poolAddress: Hex
    beforeAll(async () => {
      const hash = await t.wallet(0).deployContract({ abi: pool.abi, bytecode: pool.bytecode, args: [creditId] })
      poolAddress = (await t.publicClient.waitForTransactionReceipt({ hash })).contractAddress as Hex
    })

    it('sets the collateral ratio from the model and leaves an Inference record', async () => {
      const gas = await t.publicClient.estimateContractGas({ address: poolAddress, abi: pool.abi, functionName: 'assess', args: [features], account: accounts[2].address })
      const hash = await t.wallet(2).writeContract({ address: poolAddress, abi: pool.abi, functionName: 'assess', args: [features], gas })
      const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
      expect(receipt.status).toBe('success')
      const [p] = await direct(credit, features, 'float32', 'float32', [1, 4])
      const expectedRatio = 11000n + (p * 9000n) / ONE
      const assessment = (await t.publicClient.readContract({ address: poolAddress, abi: pool.abi, functionName: 'assessmentOf', args: [accounts[2].address] })) as { collateralRatioBps: bigint }
      expect(BigInt(assessment.collateralRatioBps)).toBe(expectedRatio)

      const records = await t.rpc('ai_getInferences', [hash])
      expect(records).toHaveLength(1)
      expect(records[0].modelId).toBe(creditId)
      expect(records[0].inputHash).toBe(keccak256(packWords(features)))
      expect(records[0].outputHash).toBe(keccak256(packWords([p])))
      const log = receipt.logs.find((l) => l.address.toLowerCase() === INFERENCE_PRECOMPILE)
      expect(log).toBeDefined()
      const event = decodeEventLog({ abi: parseAbi(['event Inference(bytes32 indexed modelId, bytes32 inputHash, bytes32 outputHash)']), data: log!.data, topics: log!.topics })
      expect(event.args.modelId).toBe(creditId)
    })

    it('ai_getModel reports the registry entry with the static analysis', async () => {
      const model = await t.rpc('ai_getModel', [creditId])
      expect(model).toMatchObject({ modelId: creditId, name: 'credit-risk', owner: accounts[0].address.toLowerCase(), input: { type: 'float32', shape: [1, 4] }, output: { type: 'float32', shape: [1, 1] } })
      expect(await t.rpc('ai_getModel', [keccak256('0x02')])).toBeNull()
      expect(await t.rpc('rollup_getConfig')).toMatchObject({ precompiles: { inference: INFERENCE_PRECOMPILE }, predeploys: { ModelRegistry: MODEL_REGISTRY } })
    })

    it('serves many calls in one transaction and a STATICCALL from a view function', async () => {
      const multi = compile(MULTI_SOURCE, 'Multi')
      const deploy = await t.wallet(0).deployContract({ abi: multi.abi, bytecode: multi.bytecode })
      const address = (await t.publicClient.waitForTransactionReceipt({ hash: deploy })).contractAddress as Hex
      const hash = await t.wallet(0).writeContract({ address, abi: multi.abi, functionName: 'run', args: [creditId, features, 3n], gas: 1_000_000n })
      const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
      expect(receipt.status).toBe('success')
      const [p] = await direct(credit, features, 'float32', 'float32', [1, 4])
      expect(await t.publicClient.readContract({ address, abi: multi.abi, functionName: 'total' })).toBe(3n * p)
      expect(await t.rpc('ai_getInferences', [hash])).toHaveLength(3)
      expect(await t.publicClient.readContract({ address, abi: multi.abi, functionName: 'peek', args: [creditId, features] })).toBe(p)
    })
  })

  describe('persistence and replay', () => {
    it('keeps registered models across a restart', async () => {
      const before = await callInfer(t, creditId, features)
      await t.close({ keepData: true })
      t = await startTestNode({ dataDir: t.dataDir })
      const after = await callInfer(t, creditId, features)
      expect(after.result).toBe(before.result)
    })

    it('a node started empty and fed the same blocks reaches the same state roots', async () => {
      const fresh = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
      try {
        const head = Number(await t.rpc<string>('eth_blockNumber'))
        for (let n = 1; n <= head; n++) {
          const block = await t.rpc('eth_getBlockByNumber', [toHex(n), false])
          for (const hash of block.transactions as Hex[]) {
            const raw = await t.rpc<Hex>('eth_getRawTransactionByHash', [hash]).catch(() => undefined)
            expect(raw, 'eth_getRawTransactionByHash').toBeDefined()
            await fresh.rpc('eth_sendRawTransaction', [raw])
          }
          await fresh.node.mine()
          const replayed = await fresh.rpc('eth_getBlockByNumber', [toHex(n), false])
          expect(replayed.stateRoot, `state root of block ${n}`).toBe(block.stateRoot)
        }
      } finally {
        await fresh.close()
      }
    })
  })
})
