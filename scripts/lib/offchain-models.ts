/**
 * The example off-chain models (worker/models/README.md) as ModelRegistry.registerOffchain takes
 * them, and their registration: used by the devnet (`npm start -- --workers N`) and by
 * `npm run models:register-offchain`.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { keccak256, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem'
import { modelRegistryAbi, MODEL_REGISTRY } from '@ai-rollup/sdk'

export const OFFCHAIN_MODELS_DIR = resolve(__dirname, '../../worker/models')

export interface OffchainExample {
  file: string
  name: string
  inputFormat: string
  outputFormat: string
  /** Each phase of a request, in seconds (the commit phase ends early once every node committed). */
  timeoutSeconds: number
}

/** The two examples, with the formats docs/OFFCHAIN_INFERENCE.md "Example models" defines for them. */
export const OFFCHAIN_EXAMPLES: readonly OffchainExample[] = [
  { file: 'spam-classifier.onnx', name: 'spam-classifier', inputFormat: 'text/bow-fnv1a:4096', outputFormat: 'int256[]', timeoutSeconds: 30 },
  { file: 'tiny-lm.onnx', name: 'tiny-lm', inputFormat: 'text/utf-8', outputFormat: 'text/greedy-ascii:32', timeoutSeconds: 60 },
]

/** `file://` URI of an example in this checkout: what a devnet's workers on this machine fetch. */
export const localUri = (file: string): string => pathToFileURL(join(OFFCHAIN_MODELS_DIR, file)).href

/**
 * Registers each example not registered yet, with the URI `uriFor(file)` gives; returns every
 * example's id and whether this call registered it.
 */
export async function registerOffchainExamples(
  wallet: WalletClient<Transport, Chain | undefined, Account>,
  client: PublicClient,
  uriFor: (file: string) => string = localUri,
): Promise<{ name: string; modelId: Hex; registered: boolean }[]> {
  const out = []
  for (const m of OFFCHAIN_EXAMPLES) {
    const bytes = new Uint8Array(readFileSync(join(OFFCHAIN_MODELS_DIR, m.file)))
    const modelId = keccak256(bytes)
    const kind = await client.readContract({ address: MODEL_REGISTRY, abi: modelRegistryAbi, functionName: 'modelKind', args: [modelId] })
    if (kind !== 0) {
      out.push({ name: m.name, modelId, registered: false })
      continue
    }
    const hash = await wallet.writeContract({
      address: MODEL_REGISTRY,
      abi: modelRegistryAbi,
      functionName: 'registerOffchain',
      args: [modelId, m.name, BigInt(bytes.length), m.inputFormat, m.outputFormat, uriFor(m.file), m.timeoutSeconds],
      chain: wallet.chain,
    })
    const receipt = await client.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`registerOffchain of ${m.name} reverted in tx ${hash}`)
    out.push({ name: m.name, modelId, registered: true })
  }
  return out
}
