/**
 * The SDK's API against a real L2 node (in this process, temp dir, free port): the generated
 * ABIs and the constants against the contracts and the node, the anchoring client's requests
 * and errors, and the models helpers (registration, eth_call inference, Inference records)
 * against the reference evaluator. The round trip to L1 and the packaging are
 * test/sdk/package.test.ts; the bridge helpers run in test/bridge, verifyAnchor in
 * test/scripts/verify-anchor.test.ts and test/batcher/batcher.test.ts.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, encodePacked, keccak256, type Hex } from 'viem'
import {
  AI_ROLLUP_DEVNET_CHAIN_ID,
  AnchorApiError,
  createAnchorClient,
  DATA_ANCHOR,
  DEV_ANCHOR_API_KEY,
  fromFixed,
  getAnchor,
  getInferenceLogs,
  getInferences,
  getModel,
  hashValues,
  infer,
  INFERENCE_COORDINATOR,
  DATASET_REGISTRY,
  INFERENCE_PRECOMPILE,
  encodeInferCall,
  InvalidArgumentError,
  L2_BRIDGE,
  listAllAnchors,
  MODEL_ANALYZER_PRECOMPILE,
  MODEL_REGISTRY,
  ModelRegistrationError,
  parseDeployments,
  DeploymentsFileError,
  registerModel,
  toFixed,
  WaitTimeoutError,
} from '@ai-rollup/sdk'
import * as addresses from '../../precompiles/addresses.ts'
import { DEFAULT_CHAIN_ID } from '../../sequencer/chain/constants.ts'
import { generateSdkAbis, SDK_ABIS_PATH } from '../../scripts/generate-sdk-abis.ts'
import { direct } from '../helpers/models.ts'
import { ROOT, startTestNode, type TestNode } from '../helpers/node.ts'
import { until } from '../helpers/rollup.ts'

const random32 = (): Hex => bytesToHex(randomBytes(32))

describe('what the SDK ships', () => {
  it('sdk/src/abis.ts is what scripts/generate-sdk-abis.ts makes of the compiled contracts (npm run sdk:abis)', () => {
    expect(readFileSync(SDK_ABIS_PATH, 'utf8')).toBe(generateSdkAbis())
  })

  it('names the node’s chain id and predeploy and precompile addresses', () => {
    expect(AI_ROLLUP_DEVNET_CHAIN_ID).toBe(Number(DEFAULT_CHAIN_ID))
    expect({ INFERENCE_PRECOMPILE, MODEL_ANALYZER_PRECOMPILE, MODEL_REGISTRY, DATA_ANCHOR, L2_BRIDGE, INFERENCE_COORDINATOR, DATASET_REGISTRY }).toEqual({
      INFERENCE_PRECOMPILE: addresses.INFERENCE_PRECOMPILE,
      MODEL_ANALYZER_PRECOMPILE: addresses.MODEL_ANALYZER_PRECOMPILE,
      MODEL_REGISTRY: addresses.MODEL_REGISTRY,
      DATA_ANCHOR: addresses.DATA_ANCHOR,
      L2_BRIDGE: addresses.L2_BRIDGE,
      INFERENCE_COORDINATOR: addresses.INFERENCE_COORDINATOR,
      DATASET_REGISTRY: addresses.DATASET_REGISTRY,
    })
  })

  it('parseDeployments names the field that is wrong', () => {
    expect(() => parseDeployments({ l1ChainId: 31337 }, 'd.json')).toThrow(new DeploymentsFileError('d.json', 'l2ChainId', 'is missing'))
  })

  it('converts to and from the precompile’s 1e18 fixed point, and hashes values as AI.hashValues', () => {
    expect(toFixed('0.25')).toBe(250000000000000000n)
    expect(toFixed(0.1)).toBe(100000000000000000n)
    expect(toFixed(1e-7)).toBe(100000000000n)
    expect(toFixed(-1.5)).toBe(-1500000000000000000n)
    expect(fromFixed(250000000000000000n)).toBe(0.25)
    expect(hashValues([1n, -1n])).toBe(keccak256(encodePacked(['int256', 'int256'], [1n, -1n])))
  })
})

describe('against a node', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(async () => {
    await t?.close()
  })

  describe('anchoring client', () => {
    it('submits, reads back pending then anchored in an L2 block, and lists the key’s own submissions page by page', async () => {
      const anchors = createAnchorClient({ url: t.url, apiKey: DEV_ANCHOR_API_KEY })
      const hashes = [random32(), random32(), random32()]
      expect(await anchors.submit(hashes)).toEqual({ accepted: 3, queued: 3, alreadyKnown: 0, status: 'pending' })
      expect(await anchors.submit([hashes[0]])).toEqual({ accepted: 1, queued: 0, alreadyKnown: 1, status: 'pending' })
      const inBlock = await until(async () => ((await anchors.get(hashes[0]))?.l2 ?? undefined) && anchors.get(hashes[0]), 'the hash in an L2 block')
      expect(inBlock).toMatchObject({ hash: hashes[0], status: 'pending', l2: { blockNumber: expect.any(Number), txHash: expect.stringMatching(/^0x/) } })
      const page = await anchors.list({ limit: 2 })
      expect(page.items).toHaveLength(2)
      expect(page.nextCursor).not.toBeNull()
      const all: Hex[] = []
      for await (const item of listAllAnchors({ url: t.url, apiKey: DEV_ANCHOR_API_KEY }, { limit: 1 })) all.push(item.hash)
      expect(all.sort()).toEqual([...hashes].sort())
    })

    it('answers null for a hash the node never saw, and gives up waiting with WaitTimeoutError (no L1: never posted)', async () => {
      expect(await getAnchor({ url: t.url }, random32())).toBeNull()
      const hash = random32()
      await createAnchorClient({ url: t.url, apiKey: DEV_ANCHOR_API_KEY }).submit([hash])
      const polls: (string | undefined)[] = []
      await expect(
        createAnchorClient({ url: t.url }).waitFor(hash, { timeoutMs: 300, pollingIntervalMs: 50, onPoll: (s) => polls.push(s?.status) }),
      ).rejects.toThrow(new WaitTimeoutError(`${hash} was not posted within 300 ms (last status: pending)`))
      expect(polls.length).toBeGreaterThan(1)
    })

    it('turns the API’s errors into AnchorApiError with status and code, and asks for a key before sending', async () => {
      const bad = createAnchorClient({ url: t.url, apiKey: 'wrong' })
      const err = await bad.submit([random32()]).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AnchorApiError)
      expect(err).toMatchObject({ status: 401, code: 'invalid_api_key' })
      await expect(createAnchorClient({ url: t.url, apiKey: DEV_ANCHOR_API_KEY }).submit(['0x12'])).rejects.toMatchObject({ status: 400, code: expect.any(String) })
      await expect(createAnchorClient({ url: t.url }).list()).rejects.toThrow(InvalidArgumentError)
    })
  })

  describe('models', () => {
    const credit = new Uint8Array(readFileSync(join(ROOT, 'precompiles/models/credit-risk.onnx')))
    const input = [0.5, 0.3, 1, 0.2].map(toFixed)
    let modelId: Hex

    it('registers a model file and reads its registry entry; a second registration is refused with the registry’s reason', async () => {
      const r = await registerModel(t.wallet(0), t.publicClient, { onnxModel: credit, name: 'credit' })
      modelId = r.modelId
      expect(modelId).toBe(keccak256(credit))
      expect(r.entry).toMatchObject({ name: 'credit', size: credit.length, inputLength: 4, outputLength: 1, inputType: 1, outputType: 1, owner: t.wallet(0).account.address })
      expect(await getModel(t.publicClient, modelId)).toEqual(r.entry)
      expect(await getModel(t.publicClient, random32())).toBeNull()
      const again = await registerModel(t.wallet(0), t.publicClient, { onnxModel: credit, name: 'credit' }).catch((e: unknown) => e)
      expect(again).toBeInstanceOf(ModelRegistrationError)
      expect((again as ModelRegistrationError).reason).toBe(`ModelAlreadyRegistered(${modelId})`)
    })

    it('calls the model with eth_call and gets what the reference evaluator (test/helpers/models.ts) computes on the same input', async () => {
      const output = await infer(t.publicClient, { modelId, input })
      expect(output).toEqual(await direct(credit, input, 'float32', 'float32', [1, 4]))
      expect(fromFixed(output[0])).toBeGreaterThan(0)
      expect(fromFixed(output[0])).toBeLessThan(1)
      await expect(infer(t.publicClient, { modelId, input: input.slice(1) })).rejects.toThrow(/input has 3 values, the model takes 4/)
    })

    it('reads the Inference record a transaction left, by transaction and by model', async () => {
      const output = await infer(t.publicClient, { modelId, input })
      const txHash = await t.wallet(1).sendTransaction({ to: INFERENCE_PRECOMPILE, data: encodeInferCall(modelId, input) })
      const receipt = await t.publicClient.waitForTransactionReceipt({ hash: txHash })
      expect(receipt.status).toBe('success')
      const records = await getInferences(t.publicClient, txHash)
      expect(records).toEqual([
        { modelId, inputHash: hashValues(input), outputHash: hashValues(output), logIndex: 0, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, transactionHash: txHash },
      ])
      expect(await getInferenceLogs(t.publicClient, { modelId, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber })).toEqual(records)
      expect(await getInferenceLogs(t.publicClient, { modelId: random32(), fromBlock: 0n })).toEqual([])
      expect(await getInferences(t.publicClient, random32())).toBeNull()
    })
  })
})
