/**
 * The InferenceCoordinator predeploy and the registry's off-chain kind on a real node: genesis
 * runtime code (no constructor), the node's EVM (transient storage for the reentrancy guard,
 * the exact-gas callback), and the precompile's view of an off-chain model. The contract's
 * rules are specified in test/contracts/InferenceCoordinator.test.ts (Hardhat); this checks
 * they run the same here, end to end with three dev accounts as nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeAbiParameters, keccak256, parseEther, parseEventLogs, toHex, type Hex } from 'viem'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inferenceCoordinatorAbi, INFERENCE_COORDINATOR, modelRegistryAbi, MODEL_REGISTRY, infer, listModels } from '@ai-rollup/sdk'
import { ROOT, rpcRaw, startTestNode, type TestNode } from '../helpers/node.ts'
import { registerModel } from '../helpers/models.ts'

const MODEL_ID = keccak256(toHex('an off-chain language model'))
const OUTPUT = toHex('the agreed answer')
const SALT = keccak256(toHex('salt'))

describe('off-chain inference on the node', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  const send = async (i: number, address: Hex, abi: any, functionName: string, args: unknown[] = [], value?: bigint) => {
    const hash = await t.wallet(i).writeContract({ address, abi, functionName, args, value } as never)
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    return receipt
  }

  it('registers an off-chain model, which the precompile does not run and rollup_getConfig lists the coordinator of', async () => {
    await send(0, MODEL_REGISTRY, modelRegistryAbi, 'registerOffchain', [MODEL_ID, 'lm', 1000n, 'utf8', 'utf8', 'file:///models/lm.onnx', 30])
    expect(await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: modelRegistryAbi, functionName: 'modelKind', args: [MODEL_ID] })).toBe(2)
    expect(await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: modelRegistryAbi, functionName: 'isRegistered', args: [MODEL_ID] })).toBe(false)
    expect(await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: modelRegistryAbi, functionName: 'modelIds', args: [0n, 10n] })).toEqual([MODEL_ID])
    await expect(infer(t.publicClient, { modelId: MODEL_ID, input: [1n] })).rejects.toThrow(/unknown model/)
    expect((await t.rpc('rollup_getConfig')).predeploys.InferenceCoordinator).toBe(INFERENCE_COORDINATOR)
  })

  it('runs a request from stake to settlement: three nodes commit and reveal, the last reveal pays them', async () => {
    const nodes = [1, 2, 3]
    for (const i of nodes) {
      await send(i, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'stake', [], parseEther('1'))
      await send(i, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'serve', [MODEL_ID, 1000n])
    }
    const fee = await t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'quote', args: [MODEL_ID, 3, 0] })
    expect(fee).toBe(3000n)
    const requested = await send(4, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'requestInference', [MODEL_ID, toHex('a prompt'), 3, 0], fee)
    const [assigned] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'NodesAssigned', logs: requested.logs })
    const { requestId } = assigned.args
    const indexOf = (address: Hex) => nodes.find((i) => t.wallet(i).account.address.toLowerCase() === address.toLowerCase())!
    for (const node of assigned.args.nodes) {
      const commitment = keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [requestId, keccak256(OUTPUT), SALT, node]))
      await send(indexOf(node), INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'commit', [requestId, commitment])
    }
    let last
    for (const node of assigned.args.nodes) last = await send(indexOf(node), INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'reveal', [requestId, OUTPUT, SALT])
    const [fulfilled] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'InferenceFulfilled', logs: last!.logs })
    expect(fulfilled.args).toEqual({ requestId, output: OUTPUT, callbackSucceeded: false })
    expect(await t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'getRequest', args: [requestId] })).toEqual([2, OUTPUT])
    for (const node of assigned.args.nodes) {
      expect(await t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'balanceOf', args: [node] })).toBe(1000n)
    }
  })

  it('ai_listModels lists both kinds: on-chain shapes and gas, off-chain formats with their market', async () => {
    const iris = readFileSync(join(ROOT, 'precompiles/models/iris-mlp.onnx'))
    expect((await registerModel(t, iris, 'iris')).status).toBe('success')
    const models = await t.rpc('ai_listModels')
    expect(models).toEqual([
      {
        modelId: MODEL_ID, kind: 'offchain', name: 'lm', owner: t.wallet(0).account.address.toLowerCase(), size: '0x3e8',
        inputFormat: 'utf8', outputFormat: 'utf8', uri: 'file:///models/lm.onnx', timeoutSeconds: '0x1e',
        nodes: '0x3', lowestPrice: '0x3e8',
        version: '0x1', previous: null, nextVersion: null, latestVersion: MODEL_ID, lineage: { frozen: false, trainedOn: [], evaluatedOn: [] }, access: null,
      },
      expect.objectContaining({
        modelId: keccak256(iris), kind: 'onchain', name: 'iris', inputFormat: 'int256[]', outputFormat: 'int256[]',
        input: { type: 'float32', shape: [1, 4], length: '0x4' }, output: { type: 'float32', shape: [1, 3], length: '0x3' },
        version: '0x1', access: { restricted: false, allowedCallers: '0x0' },
      }),
    ])
    expect(BigInt(models[1].gasPerCall)).toBeGreaterThan(0n)
    // pages, and the SDK pages through them
    expect(await t.rpc('ai_listModels', ['0x1', '0x1'])).toEqual([models[1]])
    expect(await t.rpc('ai_listModels', ['0x2'])).toEqual([])
    expect(await listModels(t.publicClient)).toEqual(models)
    // a node that asks to exit leaves the market at once
    await send(3, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'requestExit')
    expect((await t.rpc('ai_listModels', ['0x0', '0x1']))[0]).toMatchObject({ nodes: '0x2', lowestPrice: '0x3e8' })
  })

  it('ai_listModels refuses a page size of 0 or over 100 with invalid params', async () => {
    for (const limit of ['0x0', '0x65']) {
      const answer = await rpcRaw(t.url, 'ai_listModels', ['0x0', limit])
      expect(answer.error?.code).toBe(-32602)
      expect(answer.error?.message).toMatch(/limit must be 1 to 100/)
    }
    expect((await rpcRaw(t.url, 'ai_listModels', ['not a number'])).error?.code).toBe(-32602)
  })

  describe('faults on the real node', () => {
    /** A model with 5 s phases, served by dev accounts 5, 6 and 7. */
    const FAST_MODEL = keccak256(toHex('a model nobody answers in time'))
    const nodes = [5, 6, 7]
    const requestFast = async () => {
      const fee = await t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'quote', args: [FAST_MODEL, 3, 0] })
      const receipt = await send(8, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'requestInference', [FAST_MODEL, toHex('input'), 3, 0], fee)
      const [assigned] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'NodesAssigned', logs: receipt.logs })
      return { fee, requestId: assigned.args.requestId, assigned: assigned.args }
    }
    const read = (functionName: string, args: unknown[]) => t.publicClient.readContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName, args } as never) as Promise<any>

    beforeAll(async () => {
      await send(0, MODEL_REGISTRY, modelRegistryAbi, 'registerOffchain', [FAST_MODEL, 'fast', 10n, 'int256[]', 'int256[]', 'file:///models/fast.onnx', 5])
      for (const i of nodes) {
        // 2 ETH: still eligible after the first test's slash (10%)
        await send(i, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'stake', [], parseEther('2'))
        await send(i, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'serve', [FAST_MODEL, 10n ** 12n])
      }
    })

    it('a request no node answers is refused settlement before its deadline, then fails (TIMED_OUT), refunds the requester in full and slashes the silent nodes', async () => {
      const requester = t.wallet(8).account.address
      const before = await read('balanceOf', [requester])
      const { fee, requestId, assigned } = await requestFast()
      await expect(t.wallet(9).writeContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'finalize', args: [requestId] })).rejects.toThrow(/FinalizeTooEarly/)
      await new Promise((r) => setTimeout(r, (Number(assigned.commitDeadline) + 1) * 1000 - Date.now()))
      const stakes = await Promise.all(assigned.nodes.map(async (n: Hex) => (await read('getNode', [n])).stake as bigint))
      // explicit gas: an estimate would run on the latest block, sealed before the deadline
      const hash = await t.wallet(9).writeContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'finalize', args: [requestId], gas: 1_000_000n })
      const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
      expect(receipt.status).toBe('success')
      const [failed] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'InferenceFailed', logs: receipt.logs })
      expect(failed.args).toEqual({ requestId, reason: 2 })
      expect(await read('getRequest', [requestId])).toEqual([3, '0x'])
      expect((await read('balanceOf', [requester])) - before).toBe(fee)
      const slashed = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'Slashed', logs: receipt.logs })
      expect(slashed.map((e) => [e.args.node, e.args.reason, e.args.amount])).toEqual(assigned.nodes.map((n: Hex, i: number) => [n, 3, stakes[i] / 10n]))
      // the refund is the requester's to take
      const withdrawn = await send(8, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'withdraw')
      expect(parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'Withdrawn', logs: withdrawn.logs })[0].args.amount).toBe(before + fee)
    }, 30_000)

    it('a reveal that does not open its commitment (wrong salt) is refused with BadReveal', async () => {
      const { requestId, assigned } = await requestFast()
      const indexOf = (address: Hex) => nodes.find((i) => t.wallet(i).account.address.toLowerCase() === address.toLowerCase())!
      for (const node of assigned.nodes) {
        const commitment = keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [requestId, keccak256(OUTPUT), SALT, node]))
        await send(indexOf(node), INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'commit', [requestId, commitment])
      }
      const first = indexOf(assigned.nodes[0])
      await expect(t.wallet(first).writeContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'reveal', args: [requestId, OUTPUT, keccak256(toHex('another salt'))] })).rejects.toThrow(/BadReveal/)
      await expect(t.wallet(first).writeContract({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, functionName: 'reveal', args: [requestId, toHex('another output'), SALT] })).rejects.toThrow(/BadReveal/)
      // the right opening is accepted
      await send(first, INFERENCE_COORDINATOR, inferenceCoordinatorAbi, 'reveal', [requestId, OUTPUT, SALT])
    })
  })
})
