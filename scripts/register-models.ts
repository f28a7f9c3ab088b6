/**
 * Registers ONNX models on a running node through the ModelRegistry predeploy: a developer's own
 * file, or without one the three example models (precompiles/models/*.onnx), skipping those
 * already registered. Prints each model's id, name, gas per call and registration transaction,
 * and for a file its input and output (type, shape); a model the registry refuses is reported
 * with the registry's reason, ModelRejected(reason) decoded, and exit status 1.
 *
 *   npm run models:register -- ./model.onnx --name "my model" [--rpc <url>] [--key <hex>]
 *   npm run models:register -- --rpc http://127.0.0.1:9545      (the three examples)
 *   npx hardhat models:register --network l2 ./model.onnx --name "my model"
 *
 * Defaults: --rpc http://127.0.0.1:9545, --key dev account #0 (the public test key).
 * Before sending anything it rebuilds the models with the deterministic builders in
 * scripts/models/ and checks that the committed files hold the same bytes (so the same model ids);
 * if not, `npm run models:build` rewrites them. The registration itself is the SDK's
 * registerModel (sdk/src/models.ts).
 */
import { readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BaseError, createPublicClient, createWalletClient, http, keccak256, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { defineAiRollupChain, getModel, MODEL_REGISTRY, ModelRegistrationError, registerModel } from '@ai-rollup/sdk'
import { analyzeModel, type TensorSignature } from '../precompiles/onnx/analyze.ts'
import { elementType } from '../precompiles/onnx/tensors.ts'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { progress } from './lib/progress.ts'
import { buildCreditModel, buildIrisInt8Model, buildIrisModel } from './models/index.ts'

const DEFAULT_RPC_URL = 'http://127.0.0.1:9545'
const MODELS_DIR = resolve(__dirname, '../precompiles/models')
/** Receipt polling in ms (viem's default for an unknown chain is 4 s; blocks here take 1 s or less). */
const POLLING_MS = 100

/** The example models: registry name, committed file, and the builder that produced it. */
export const EXAMPLE_MODELS = [
  { name: 'credit-risk', file: 'credit-risk.onnx', build: () => buildCreditModel() },
  { name: 'iris-mlp', file: 'iris-mlp.onnx', build: () => buildIrisModel() },
  { name: 'iris-mlp-int8', file: 'iris-mlp-int8.onnx', build: () => buildIrisInt8Model() },
] as const

const USAGE = `usage: npm run models:register -- [<model.onnx> [--name <name>]] [--rpc <url>] [--key <hex private key>]
  <model.onnx>  register this ONNX file; without it, the three example models (precompiles/models)
  --name        registry name of <model.onnx> (default: the file name without .onnx)
  --rpc         the node's JSON-RPC URL (default ${DEFAULT_RPC_URL})
  --key         private key of the registering account (default: dev account #0)`


/** The committed bytes of every example model, after checking them against a rebuild. */
export function exampleModelBytes(): { name: string; file: string; bytes: Uint8Array }[] {
  return EXAMPLE_MODELS.map(({ name, file, build }) => {
    const path = join(MODELS_DIR, file)
    const committed = new Uint8Array(readFileSync(path))
    const built = build()
    if (Buffer.compare(Buffer.from(committed), Buffer.from(built)) !== 0) {
      throw new Error(`${path} (${committed.length} bytes, id ${keccak256(committed)}) differs from what scripts/models builds (${built.length} bytes, id ${keccak256(built)}); run \`npm run models:build\``)
    }
    return { name, file, bytes: committed }
  })
}

/**
 * The command with its arguments (`npm run models:register -- …`, and the Hardhat task
 * `models:register` in hardhat.config.ts). Throws with the reason when a model is refused.
 */
export async function registerModels(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { rpc: { type: 'string', default: DEFAULT_RPC_URL }, key: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  })
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  if (positionals.length > 1) throw new Error(`one model file at a time, got ${positionals.length}: ${positionals.join(' ')}\n${USAGE}`)
  const file = positionals[0]
  if (file === undefined && values.name !== undefined) throw new Error(`--name names the model file given before it: npm run models:register -- ./model.onnx --name "${values.name}"`)
  const rpcUrl = values.rpc!
  const key = (values.key ?? devAccounts()[0].privateKey) as string
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new Error(`--key must be 32 bytes of hex, got ${key.length} characters`)
  const account = privateKeyToAccount((key.startsWith('0x') ? key : `0x${key}`) as Hex)

  let models: { name: string; bytes: Uint8Array }[]
  if (file === undefined) models = exampleModelBytes()
  else {
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(readFileSync(file))
    } catch (error) {
      throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    models = [{ name: values.name ?? basename(file).replace(/\.onnx$/i, ''), bytes }]
  }

  const transport = http(rpcUrl, { retryCount: 0 })
  const chainId = await createPublicClient({ transport })
    .getChainId()
    .catch((error: unknown) => {
      throw new Error(`no node answers at ${rpcUrl} (${error instanceof BaseError ? error.details || error.shortMessage : String(error)}); start one with \`npm start\` or pass --rpc <url>`)
    })
  const chain = defineAiRollupChain(rpcUrl, chainId)
  const publicClient = createPublicClient({ chain, transport, pollingInterval: POLLING_MS })
  const wallet = createWalletClient({ chain, transport, account })
  const registry = await registryAddress(publicClient.request as (args: { method: string }) => Promise<unknown>)
  if ((await publicClient.getCode({ address: registry })) === undefined) {
    throw new Error(`no ModelRegistry at ${registry} on ${rpcUrl} (chain ${chainId}): is this our L2 node?`)
  }
  console.log(`node ${rpcUrl} (chain ${chainId}), ModelRegistry ${registry}, registering from ${account.address}`)

  // on stderr while it runs (a big model's registration takes seconds); the results are the lines on stdout
  const shown = progress('models', { total: models.length })
  for (const [i, { name, bytes }] of models.entries()) {
    shown.update(i, `registering ${name}`)
    const modelId = keccak256(bytes)
    const known = await getModel(publicClient, modelId, registry)
    if (known !== null) {
      console.log(`skipped ${name}: already registered as ${known.name} (id ${modelId}, gas per call ${known.gasPerCall})`)
      if (file !== undefined) console.log(signature(bytes, known))
      continue
    }
    let r
    try {
      r = await registerModel(wallet, publicClient, { onnxModel: bytes, name, registry })
    } catch (error) {
      if (!(error instanceof ModelRegistrationError)) throw error
      if (file !== undefined && /^(ModelRejected|EmptyName|NameTooLong|ModelAnalysisFailed)\(/.test(error.reason)) throw new Error(`the ModelRegistry refuses ${file} (id ${modelId}): ${error.reason}`)
      throw new Error(`registering ${name} (id ${modelId}) failed: ${error.reason}`)
    }
    console.log(`registered ${name}: id ${modelId}, gas per call ${r.entry.gasPerCall}, tx ${r.txHash} (block ${r.blockNumber}, gas ${r.gasUsed})`)
    if (file !== undefined) console.log(signature(bytes, r.entry))
  }
  shown.done(models.length, 'done')
}

/**
 * The model's input and output as the registry recorded them (element count and ONNX type), with
 * the graph names and shapes from analyzing the bytes here (the same analyzer the registry runs).
 */
function signature(bytes: Uint8Array, info: { inputLength: number; outputLength: number; inputType: number; outputType: number }): string {
  let local: { input: TensorSignature; output: TensorSignature } | undefined
  try {
    local = analyzeModel(bytes, { maxBytes: Number.MAX_SAFE_INTEGER })
  } catch {
    local = undefined // the node accepted it; the lengths and types below come from its registry
  }
  const line = (label: string, length: number, type: number, sig: TensorSignature | undefined) =>
    `  ${label} ${sig === undefined ? '' : `${sig.name} `}${elementType(type) ?? `type ${type}`} ${sig === undefined ? '' : `[${sig.shape.join(', ')}] `}(${length} ${length === 1 ? 'value' : 'values'})`
  return [line('input ', info.inputLength, info.inputType, local?.input), line('output', info.outputLength, info.outputType, local?.output)].join('\n')
}

/** The registry's address as the node reports it in rollup_getConfig, or the fixed predeploy address. */
async function registryAddress(request: (args: { method: string }) => Promise<unknown>): Promise<Address> {
  try {
    const config = (await request({ method: 'rollup_getConfig' })) as { predeploys?: { ModelRegistry?: Address } }
    return config.predeploys?.ModelRegistry ?? MODEL_REGISTRY
  } catch {
    return MODEL_REGISTRY
  }
}

if (/register-models\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  registerModels(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
