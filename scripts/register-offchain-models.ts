/**
 * Registers the two example off-chain models (worker/models: the spam classifier and the tiny
 * language model) on a running node with ModelRegistry.registerOffchain, skipping those already
 * registered, and prints their ids. Their bytes stay off chain: the registry records the hash and
 * a URI where workers fetch them (docs/OFFCHAIN_INFERENCE.md).
 *
 *   npm run models:register-offchain -- [--rpc <url>] [--key <hex>] [--uri-base <url>]
 *
 * Defaults: --rpc http://127.0.0.1:9545, --key dev account #0, and file:// URIs into this checkout
 * (right for workers on this machine; give --uri-base https://host/path/ for workers elsewhere:
 * the URI is <uri-base><file name>). The devnet (`npm start -- --workers N`) does this itself.
 */
import { parseArgs } from 'node:util'
import { createPublicClient, createWalletClient, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { defineAiRollupChain } from '@ai-rollup/sdk'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { localUri, OFFCHAIN_EXAMPLES, registerOffchainExamples } from './lib/offchain-models.ts'
import { progress } from './lib/progress.ts'

const USAGE = `usage: npm run models:register-offchain -- [--rpc <url>] [--key <hex private key>] [--uri-base <url>]`

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rpc: { type: 'string' }, key: { type: 'string' }, 'uri-base': { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help) return console.log(USAGE)
  const url = values.rpc ?? 'http://127.0.0.1:9545'
  const transport = http(url)
  const chainId = await createPublicClient({ transport }).getChainId()
  const chain = defineAiRollupChain(url, chainId)
  const client = createPublicClient({ chain, transport, pollingInterval: 100 })
  const account = privateKeyToAccount((values.key ?? devAccounts()[0].privateKey) as Hex)
  const wallet = createWalletClient({ chain, transport, account })
  const base = values['uri-base']
  const shown = progress('off-chain models', { total: OFFCHAIN_EXAMPLES.length })
  const models = await registerOffchainExamples(wallet, client, base === undefined ? localUri : (file) => `${base}${file}`)
  shown.done(models.length, 'registered or known') // on stderr
  for (const m of models) console.log(`${m.name} ${m.modelId} ${m.registered ? 'registered' : 'already registered'}`)
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
