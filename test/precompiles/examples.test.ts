/**
 * The example dApps and scripts against a real node: AIAppraisal storing the credit model's output
 * with its inference record, `scripts/deploy-examples.ts` (Hardhat, --network l2) and
 * `scripts/register-models.ts` (tsx, --rpc).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeErrorResult, encodeFunctionData, keccak256, parseEventLogs, type Abi, type Hex } from 'viem'
import { packWords } from '../../precompiles/a1-infer.ts'
import { INFERENCE_PRECOMPILE, MODEL_REGISTRY } from '../../precompiles/addresses.ts'
import { direct, registerModel, registryAbi } from '../helpers/models.ts'
import { accounts, ROOT, startTestNode, type TestNode } from '../helpers/node.ts'

const run = promisify(execFile)

const artifact = (path: string) => JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts', path), 'utf8')) as { abi: Abi; bytecode: Hex }
const appraisalArtifact = artifact('examples/AIAppraisal.sol/AIAppraisal.json')
const poolAbi = artifact('examples/CreditLendingPool.sol/CreditLendingPool.json').abi
/** AIAppraisal's errors plus the registry's, which surface through it. */
const appraisalAbi = [...appraisalArtifact.abi, ...registryAbi] as Abi

const modelFile = (file: string) => new Uint8Array(readFileSync(join(ROOT, 'precompiles/models', file)))
const EXAMPLE_MODELS = [
  { name: 'credit-risk', bytes: modelFile('credit-risk.onnx') },
  { name: 'iris-mlp', bytes: modelFile('iris-mlp.onnx') },
  { name: 'iris-mlp-int8', bytes: modelFile('iris-mlp-int8.onnx') },
]
const credit = EXAMPLE_MODELS[0].bytes
const creditId = keccak256(credit)

const ONE = 10n ** 18n
/** The credit model's four features (precompiles/models/README.md): $80k, 25% debt ratio, 15 years, no late payments. */
const features = [(ONE * 8n) / 10n, ONE / 4n, (ONE * 3n) / 2n, 0n]
/** Account #1's features in scripts/deploy-examples.ts: $50k, 30% debt ratio, 10 years, 1 late payment. */
const borrowerFeatures = [ONE / 2n, (ONE * 3n) / 10n, ONE, ONE / 5n]

const CHILD_TIMEOUT_MS = 240_000

describe('AIAppraisal on the node', () => {
  let t: TestNode
  let nft: Hex
  beforeAll(async () => {
    t = await startTestNode()
    await registerModel(t, credit, 'credit-risk')
    const hash = await t.wallet(0).deployContract({ abi: appraisalArtifact.abi, bytecode: appraisalArtifact.bytecode, args: [creditId] })
    nft = (await t.publicClient.waitForTransactionReceipt({ hash })).contractAddress as Hex
  })
  afterAll(() => t.close())

  const mint = async (values: bigint[]) => {
    const hash = await t.wallet(0).writeContract({ address: nft, abi: appraisalArtifact.abi, functionName: 'mint', args: [accounts[1].address, values] })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    const [minted] = parseEventLogs({ abi: appraisalArtifact.abi, eventName: 'AssetMinted', logs: receipt.logs }) as unknown as { args: { tokenId: bigint } }[]
    return minted.args.tokenId
  }
  const read = (functionName: string, args: unknown[]) => t.publicClient.readContract({ address: nft, abi: appraisalArtifact.abi, functionName, args }) as Promise<any>
  const appraiseData = (tokenId: bigint) => encodeFunctionData({ abi: appraisalArtifact.abi, functionName: 'appraise', args: [tokenId] })

  it("stores the canonical output for the token's features, and the Appraised hashes are the inference record", async () => {
    const tokenId = await mint(features)
    const hash = await t.wallet(2).writeContract({ address: nft, abi: appraisalArtifact.abi, functionName: 'appraise', args: [tokenId] })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')

    const [expected] = await direct(credit, features, 'float32', 'float32', [1, 4])
    const appraisal = await read('appraisalOf', [tokenId])
    expect(appraisal).toMatchObject({ value: expected, modelId: creditId, blockNumber: receipt.blockNumber })
    expect(expected > 0n && expected < ONE).toBe(true)

    const [event] = parseEventLogs({ abi: appraisalArtifact.abi, eventName: 'Appraised', logs: receipt.logs }) as unknown as { args: { tokenId: bigint; modelId: Hex; value: bigint; inputHash: Hex; outputHash: Hex } }[]
    expect(event.args).toEqual({ tokenId, modelId: creditId, value: expected, inputHash: appraisal.inputHash, outputHash: appraisal.outputHash })

    const records = await t.rpc('ai_getInferences', [hash])
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ modelId: event.args.modelId, inputHash: event.args.inputHash, outputHash: event.args.outputHash, transactionHash: hash })
    // and the record is the hash of what went in and came out
    expect(records[0].inputHash).toBe(keccak256(packWords(features)))
    expect(records[0].inputHash).toBe(await read('featuresHashOf', [tokenId]))
    expect(records[0].outputHash).toBe(keccak256(packWords([expected])))
    const log = receipt.logs.find((l) => l.address.toLowerCase() === INFERENCE_PRECOMPILE)
    expect(log?.logIndex).toBe(Number(records[0].logIndex))
  })

  it('mints an asset with 3 features (mint checks only non-empty), but appraising it reverts with the precompile reason', async () => {
    const tokenId = await mint(features.slice(0, 3))
    expect(await read('featuresOf', [tokenId])).toEqual(features.slice(0, 3))
    const reason = 'execution reverted: input has 3 values, the model takes 4'

    const call = await t.rpcRaw('eth_call', [{ from: accounts[2].address, to: nft, data: appraiseData(tokenId) }, 'latest'])
    expect(call.error?.code).toBe(3)
    expect(call.error?.message).toBe(reason)
    expect(decodeErrorResult({ abi: appraisalAbi, data: call.error?.data as Hex })).toMatchObject({ errorName: 'Error', args: ['input has 3 values, the model takes 4'] })
    const estimate = await t.rpcRaw('eth_estimateGas', [{ from: accounts[2].address, to: nft, data: appraiseData(tokenId) }])
    expect(estimate.error?.message).toBe(reason)

    // sent anyway (explicit gas, so no estimate): mined as reverted, no record, no appraisal
    const hash = await t.wallet(2).writeContract({ address: nft, abi: appraisalArtifact.abi, functionName: 'appraise', args: [tokenId], gas: 500_000n })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('reverted')
    expect(await t.rpc('ai_getInferences', [hash])).toEqual([])
    const appraisal = await t.rpcRaw('eth_call', [{ to: nft, data: encodeFunctionData({ abi: appraisalArtifact.abi, functionName: 'appraisalOf', args: [tokenId] }) }, 'latest'])
    expect(decodeErrorResult({ abi: appraisalAbi, data: appraisal.error?.data as Hex })).toMatchObject({ errorName: 'NotAppraised', args: [tokenId] })
  })
})

describe('scripts/deploy-examples.ts with --network l2', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  it('registers the credit model, deploys both dApps, assesses, mints and appraises', async () => {
    const { stdout } = await run('npx', ['hardhat', 'run', 'scripts/deploy-examples.ts', '--network', 'l2'], {
      cwd: ROOT,
      env: { ...process.env, L2_RPC_URL: t.url, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
      timeout: CHILD_TIMEOUT_MS,
    })
    expect(stdout).toContain(`registered credit model ${creditId}`)
    expect(await t.publicClient.readContract({ address: MODEL_REGISTRY, abi: registryAbi, functionName: 'isRegistered', args: [creditId] })).toBe(true)

    const pool = stdout.match(/CreditLendingPool deployed at (0x[0-9a-fA-F]{40})/)?.[1] as Hex
    const appraisal = stdout.match(/AIAppraisal deployed at (0x[0-9a-fA-F]{40})/)?.[1] as Hex
    expect(pool).toBeDefined()
    expect(appraisal).toBeDefined()
    for (const address of [pool, appraisal]) expect((await t.publicClient.getCode({ address }))?.length ?? 0).toBeGreaterThan(2)

    // the printed figures are the chain's, and the ratio is the model's
    const ratio = BigInt(stdout.match(/collateral ratio (\d+) bps/)?.[1] ?? -1)
    const assessment = (await t.publicClient.readContract({ address: pool, abi: poolAbi, functionName: 'assessmentOf', args: [accounts[1].address] })) as { collateralRatioBps: number }
    expect(BigInt(assessment.collateralRatioBps)).toBe(ratio)
    const [p] = await direct(credit, borrowerFeatures, 'float32', 'float32', [1, 4])
    expect(ratio).toBe(11000n + (p * 9000n) / ONE)
    const value = BigInt(stdout.match(/appraisal value (-?\d+)/)?.[1] ?? -1)
    const stored = (await t.publicClient.readContract({ address: appraisal, abi: appraisalArtifact.abi, functionName: 'appraisalOf', args: [1n] })) as { value: bigint }
    expect(stored.value).toBe(value)
    expect(stdout.match(/"modelId": "0x[0-9a-f]{64}"/g)).toHaveLength(2)
    expect(stdout).toMatch(/gas \d+/)
  }, CHILD_TIMEOUT_MS + 30_000)
})

describe('scripts/register-models.ts --rpc', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  const registerModels = () =>
    run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/register-models.ts'), '--rpc', t.url], { cwd: ROOT, timeout: CHILD_TIMEOUT_MS })

  it('registers the three example models, then a second run skips them all', async () => {
    const first = await registerModels()
    const lines = [...first.stdout.matchAll(/^registered (\S+): id (0x[0-9a-f]{64}), gas per call (\d+), tx (0x[0-9a-f]{64})/gm)]
    expect(lines.map((m) => m[1])).toEqual(EXAMPLE_MODELS.map((m) => m.name))
    for (const [i, [, name, id, gas, tx]] of lines.entries()) {
      expect(id).toBe(keccak256(EXAMPLE_MODELS[i].bytes))
      expect((await t.publicClient.getTransactionReceipt({ hash: tx as Hex })).status).toBe('success')
      const model = await t.rpc('ai_getModel', [id])
      expect(model).toMatchObject({ modelId: id, name, owner: accounts[0].address.toLowerCase() })
      expect(BigInt(model.gasPerCall)).toBe(BigInt(gas))
    }

    const head = await t.publicClient.getBlockNumber()
    const second = await registerModels()
    expect(second.stdout).not.toMatch(/^registered /m)
    const skipped = [...second.stdout.matchAll(/^skipped (\S+): already registered/gm)].map((m) => m[1])
    expect(skipped).toEqual(EXAMPLE_MODELS.map((m) => m.name))
    expect(await t.publicClient.getBlockNumber()).toBe(head)
  }, 2 * CHILD_TIMEOUT_MS)
})
