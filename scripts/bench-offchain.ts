/**
 * Off-chain inference on the devnet with three workers and redundancy 3: how long from
 * `requestInference` to the callback, how many requests per second the three workers sustain, and
 * the L2 gas of each step.
 *
 *   npm run bench:offchain [-- --requests N] [--burst N]     (defaults 10 and 30)
 *
 * Runs `npm start -- --workers 3` (scripts/devnet.ts: Anvil, the L2 with 1 s blocks and its
 * batcher, one validator, three workers in the devnet's process) on a temp data dir and free
 * ports, deploys ContentModeration (the spam classifier) and TextGenerator (the tiny LM, 32 tokens),
 * then:
 * 1. latency: N requests of each kind one after another; the clock starts before the request is
 *    sent and stops when its settling transaction (with the callback) is in a block, read from the
 *    dApp (post or generation no longer pending), polled every 20 ms; median and p95;
 * 2. throughput: `--burst` classifier requests sent at once from 5 accounts; requests per second
 *    from the first send to the last callback;
 * 3. gas: of a request (EOA → requestInference; through ContentModeration), a commit, a reveal and
 *    the settling reveal with its callback, from the receipts of the last latency request.
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createPublicClient, createWalletClient, http, parseEventLogs, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { defineAiRollupChain, encodeText, inferenceCoordinatorAbi, INFERENCE_COORDINATOR, requestInference, waitForInference, withCallbackGas } from '@ai-rollup/sdk'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { loadArtifact, machine, median, parseFlags, percentile, positiveInt, ROOT, rpc, sleep } from './lib/load.ts'
import { startDevnetChild } from './lib/devnet-child.ts'
import { progress } from './lib/progress.ts'

const USAGE = 'usage: npm run bench:offchain -- [--requests N] [--burst N]   (defaults 10, 30)'

async function main(): Promise<void> {
  let requests = 10
  let burst = 30
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--requests') requests = positiveInt(flag, value())
    else if (flag === '--burst') burst = positiveInt(flag, value())
    else return false
    return true
  })
  const devnet = await startDevnetChild('bench-offchain', ['--workers', '3'])
  const output = devnet.output
  try {
    const url = devnet.url
    for (let i = 0; ; i++) {
      const models = await rpc<{ modelId: Hex; name: string; nodes: Hex }[]>(url, 'ai_listModels')
      if (models.length === 2 && models.every((m) => m.nodes === '0x3')) break
      if (i > 600) throw new Error(`the workers did not serve both models: ${JSON.stringify(models)}\n${output()}`)
      await sleep(100)
    }
    const models = await rpc<{ modelId: Hex; name: string }[]>(url, 'ai_listModels')
    const idOf = (name: string) => models.find((m) => m.name === name)!.modelId
    const chain = defineAiRollupChain(url, Number(await rpc(url, 'eth_chainId')))
    const client = createPublicClient({ chain, transport: http(url), pollingInterval: 20 })
    const accounts = devAccounts().slice(1, 6)
    const wallets = accounts.map((a) => createWalletClient({ chain, transport: http(url), account: privateKeyToAccount(a.privateKey) }))
    const deploy = async (name: string, modelId: Hex) => {
      const { abi, bytecode } = loadArtifact(name, path.join(ROOT, 'artifacts/contracts/examples', `${name}.sol`, `${name}.json`))
      const hash = await wallets[0].deployContract({ abi, bytecode, args: [INFERENCE_COORDINATOR, modelId] })
      const receipt = await client.waitForTransactionReceipt({ hash })
      return { address: receipt.contractAddress!, abi }
    }
    const moderation = await deploy('ContentModeration', idOf('spam-classifier'))
    const generator = await deploy('TextGenerator', idOf('tiny-lm'))
    const feeFor = async (dapp: { address: Hex; abi: any }, quoteFn: string) => {
      const quote = (await client.readContract({ address: dapp.address, abi: dapp.abi, functionName: quoteFn })) as bigint
      const callbackGas = (await client.readContract({ address: dapp.address, abi: dapp.abi, functionName: 'CALLBACK_GAS' })) as number
      return withCallbackGas(client, quote, callbackGas)
    }

    /**
     * One poller of the coordinator's settlement logs for every request in flight (eth_getLogs,
     * which the node answers from its store: polling getRequest per request would queue on the
     * node's call workers and slow the workers' own calls).
     */
    const waiting = new Map<bigint, { resolve: () => void; reject: (e: Error) => void; started: number }>()
    let fromBlock = 0n
    const poller = setInterval(async () => {
      if (waiting.size === 0) return
      const [fulfilled, failed] = await Promise.all([
        client.getContractEvents({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, eventName: 'InferenceFulfilled', fromBlock }),
        client.getContractEvents({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, eventName: 'InferenceFailed', fromBlock }),
      ]).catch(() => [[], []] as const)
      for (const l of fulfilled) waiting.get(l.args.requestId!)?.resolve()
      for (const l of failed) waiting.get(l.args.requestId!)?.reject(new Error(`request ${l.args.requestId} failed (reason ${l.args.reason})`))
      for (const [id, w] of waiting) if (performance.now() - w.started > 180_000) w.reject(new Error(`request ${id} pending after 180 s`))
    }, 20)
    const settled = (requestId: bigint, started: number) =>
      new Promise<void>((resolve, reject) => {
        const done = (f: () => void) => () => (waiting.delete(requestId), f())
        waiting.set(requestId, { resolve: done(resolve), reject: (e) => done(() => reject(e))(), started })
      })

    const fees = { classify: await feeFor(moderation, 'postFee'), generate: await feeFor(generator, 'generationFee') }
    /**
     * Sends one dApp request from `wallet` and resolves with its latency in ms and the request id.
     * The fee is quoted once above (the dApp returns any surplus) and the gas limit is fixed: no
     * eth_call or eth_estimateGas per request, which would queue on the node's one call worker
     * during the burst.
     */
    const one = async (kind: 'classify' | 'generate', wallet: (typeof wallets)[number], text: string, nonce?: number) => {
      const dapp = kind === 'classify' ? moderation : generator
      const value = fees[kind]
      const started = performance.now()
      const hash = await wallet.writeContract({ address: dapp.address, abi: dapp.abi, functionName: kind === 'classify' ? 'submitPost' : 'generate', args: [text], value, chain, gas: 1_000_000n, ...(nonce !== undefined && { nonce }) })
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
      const [requested] = parseEventLogs({ abi: inferenceCoordinatorAbi, eventName: 'InferenceRequested', logs: receipt.logs })
      const requestId = requested.args.requestId
      await settled(requestId, started)
      return { ms: performance.now() - started, requestId, requestGas: receipt.gasUsed }
    }

    console.log(`off-chain inference on the devnet: 3 workers, redundancy 3, 1 s L2 blocks; ${machine()}`)
    const results: Record<string, number[]> = {}
    let last: Awaited<ReturnType<typeof one>> | undefined
    for (const kind of ['classify', 'generate'] as const) {
      results[kind] = []
      const shown = progress(`${kind} requests called back`, { total: requests }) // on stderr
      for (let i = 0; i < requests; i++) {
        last = await one(kind, wallets[0], kind === 'classify' ? `benchmark message number ${i}: the weekly build report is attached` : `prompt ${i}: `)
        results[kind].push(last.ms)
        shown.update(i + 1)
      }
      shown.done()
      const label = kind === 'classify' ? 'spam classifier' : 'tiny LM, 32 tokens'
      console.log(`  ${label.padEnd(20)} request → callback: median ${(median(results[kind]) / 1000).toFixed(2)} s, p95 ${(percentile(results[kind], 95) / 1000).toFixed(2)} s (${requests} requests one after another)`)
    }

    // throughput: a burst from five accounts at once
    const started = performance.now()
    const burstShown = progress('burst requests called back', { total: burst })
    let calledBack = 0
    const counted = <T>(p: Promise<T>): Promise<T> => p.then((r) => (burstShown.update(++calledBack), r))
    const burstResults = await Promise.all(
      Array.from({ length: 5 }, async (_, w) => {
        const mine = Array.from({ length: Math.ceil(burst / 5) }, (_, i) => w + 5 * i).filter((i) => i < burst)
        const pending = []
        let nonce = await client.getTransactionCount({ address: wallets[w].account.address, blockTag: 'pending' })
        for (const i of mine) pending.push(counted(one('classify', wallets[w], `burst message ${i}: see the attached notes from the meeting`, nonce++)))
        return Promise.all(pending)
      }),
    )
    burstShown.done()
    const seconds = (performance.now() - started) / 1000
    const burstMs = burstResults.flat().map((r) => r.ms)
    console.log(`  throughput           ${burst} classifier requests at once: all called back in ${seconds.toFixed(1)} s = ${(burst / seconds).toFixed(2)} requests/s (latency under that load: median ${(median(burstMs) / 1000).toFixed(2)} s, p95 ${(percentile(burstMs, 95) / 1000).toFixed(2)} s)`)

    // gas: the last generate request's steps, and an account's request
    const logsOf = async (eventName: 'Committed' | 'Revealed' | 'InferenceFulfilled', requestId: bigint) => {
      const logs = await client.getContractEvents({ address: INFERENCE_COORDINATOR, abi: inferenceCoordinatorAbi, eventName, args: eventName === 'InferenceFulfilled' ? { requestId } : ({ requestId } as never), fromBlock: 0n })
      return Promise.all(logs.map(async (l) => (await client.getTransactionReceipt({ hash: l.transactionHash })).gasUsed))
    }
    const gasOf = async (requestId: bigint) => {
      const commits = await logsOf('Committed', requestId)
      const reveals = await logsOf('Revealed', requestId)
      const [settled] = await logsOf('InferenceFulfilled', requestId)
      return { commits, reveals, settled }
    }
    const direct = await requestInference(wallets[1], client, { modelId: idOf('spam-classifier'), input: encodeText('an account asks directly'), redundancy: 3 })
    await waitForInference(client, direct.requestId, { pollMs: 50 })
    const directGas = (await client.getTransactionReceipt({ hash: direct.txHash })).gasUsed
    const d = await gasOf(direct.requestId)
    const g = await gasOf(last!.requestId)
    const c = await gasOf(burstResults[0][0].requestId)
    const fmt = (xs: bigint[]) => xs.map(String).join(' / ')
    console.log(`  L2 gas, classifier   request from an account ${directGas}, through ContentModeration ${burstResults[0][0].requestGas}; commits ${fmt(c.commits)}; reveals ${fmt(c.reveals)} (the last settles with the callback; without one: ${fmt(d.reveals)})`)
    console.log(`  L2 gas, tiny LM      request through TextGenerator ${last!.requestGas}; commits ${fmt(g.commits)}; reveals ${fmt(g.reveals)} (the last settles and stores the 32-byte text in the callback)`)
    clearInterval(poller)
  } finally {
    await devnet.stop()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
