/**
 * L1 cost of one L2 transaction: the same load posted once in blobs and once in calldata, in L1
 * gas, blob gas and wei, for plain ETH transfers, ERC-20 transfers and anchored hashes.
 *
 *   npx tsx scripts/bench-l1-cost.ts [--txs 3000] [--hashes 20000] [--modes blobs,calldata]
 *   npm run bench:l1-cost
 *
 * For each mode: a fresh Anvil L1 (automine) with the rollup's contracts, our node as a child
 * process posting to it (`--data-availability <mode>`, batches closed after 2 s), this process as
 * the client. Each workload runs on its own: the node is caught up and everything is posted before
 * it starts and after it ends; the batcher's L1 transactions in between are what it cost:
 * execution gas (receipt gasUsed), blob gas (receipt blobGasUsed) and wei (gasUsed × effective
 * gas price + blobGasUsed × blob gas price, at the devnet's fees), divided by the L2
 * transactions of the workload (by the hashes, for anchoring). Also printed: the same gas priced
 * at reference fees (--ref-gas-gwei, --ref-blob-gwei) since the devnet's fees fall to a few wei
 * on an idle Anvil, and the largest L2 block of each workload.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createPublicClient, encodeDeployData, encodeFunctionData, http, keccak256, parseGwei, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { writeDeployments } from '../batcher/deployments.ts'
import { ANVIL_PRIVATE_KEYS, startAnvil } from './lib/anvil.ts'
import { deployL1 } from './lib/deploy-l1.ts'
import {
  cleanup,
  ETH_GAS,
  freePort,
  loadAccounts,
  loadArtifact,
  ERC20_GAS,
  TOKEN_ARTIFACT,
  machine,
  nonces,
  OUR_MAIN,
  parseFlags,
  positiveInt,
  presign,
  rpc,
  runMain,
  sendAll,
  signTx,
  sleep,
  spawnNode,
  waitMined,
  waitReady,
  waitReceipt,
  type Sender,
} from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/bench-l1-cost.ts [--txs N (default 3000)] [--hashes N (default 20000)] [--modes blobs,calldata] [--ref-gas-gwei G (default 10)] [--ref-blob-gwei G (default 1)]'
const API_KEY = 'bench-cost-key'
type Mode = 'blobs' | 'calldata'
type Workload = 'ETH transfer' | 'ERC-20 transfer' | 'anchored hash'

interface Cost {
  workload: Workload
  mode: Mode
  units: number
  l1Txs: number
  gas: bigint
  blobGas: bigint
  wei: bigint
  dataBytes: number
  largest: { number: number; txs: number; bytes: number }
}

async function main(): Promise<void> {
  let txs = 3000
  let hashes = 20_000
  let modes: Mode[] = ['blobs', 'calldata']
  let refGas = parseGwei('10')
  let refBlob = parseGwei('1')
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--txs') txs = positiveInt(flag, value())
    else if (flag === '--hashes') hashes = positiveInt(flag, value())
    else if (flag === '--modes') modes = value().split(',') as Mode[]
    else if (flag === '--ref-gas-gwei') refGas = parseGwei(value())
    else if (flag === '--ref-blob-gwei') refBlob = parseGwei(value())
    else return false
    return true
  })
  if (modes.some((m) => m !== 'blobs' && m !== 'calldata')) throw new Error(`--modes takes blobs and/or calldata, got ${modes.join(',')}`)
  console.log(`L1 cost per L2 transaction: ${txs} ETH transfers, ${txs} ERC-20 transfers, ${hashes} anchored hashes; modes ${modes.join(', ')}`)
  console.log(machine())
  const results: Cost[] = []
  for (const mode of modes) results.push(...(await benchMode(mode, txs, hashes)))

  console.log('')
  console.log('per L2 transaction (per hash for anchoring); wei at the devnet fees measured, and at reference fees of ' + `${Number(refGas) / 1e9} gwei/gas, ${Number(refBlob) / 1e9} gwei/blob gas`)
  const widths = [16, 9, 7, 8, 10, 11, 14, 16, 22]
  console.log(pad(['workload', 'mode', 'L1 txs', 'bytes', 'L1 gas', 'blob gas', 'wei (devnet)', 'wei (reference)', 'largest L2 block'], widths))
  for (const r of results) {
    const per = (x: bigint) => Number(x) / r.units
    const refWei = (r.gas * refGas + r.blobGas * refBlob) / BigInt(r.units)
    console.log(
      pad(
        [r.workload, r.mode, String(r.l1Txs), (r.dataBytes / r.units).toFixed(1), per(r.gas).toFixed(1), per(r.blobGas).toFixed(1), (r.wei / BigInt(r.units)).toString(), refWei.toString(), `#${r.largest.number}: ${r.largest.txs} txs, ${r.largest.bytes} B`],
        widths,
      ),
    )
  }
}

async function benchMode(mode: Mode, txs: number, hashes: number): Promise<Cost[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-l1-cost-${mode}-`))
  cleanup.tempDirs.add(dir)
  const anvil = await startAnvil({ silent: true, logFile: path.join(dir, 'anvil.log') })
  cleanup.closers.add(() => anvil.stop())
  const batcherKey = ANVIL_PRIVATE_KEYS[1]
  const batcher = privateKeyToAccount(batcherKey).address
  const deployments = await deployL1({ rpcUrl: anvil.url, privateKey: ANVIL_PRIVATE_KEYS[0], sequencer: batcher, challengeWindowSeconds: 60 })
  const deploymentsPath = path.join(dir, 'deployments.json')
  writeDeployments(deploymentsPath, deployments)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const args = ['--import', 'tsx', OUR_MAIN, '--data-dir', path.join(dir, 'l2'), '--port', String(port), '--block-time', '1000', '--log-level', process.env.BENCH_LOG ?? 'error',
    '--l1-rpc', anvil.url, '--deployments', deploymentsPath, '--batcher-key', batcherKey, '--l1-confirmations', '1', '--batch-max-age', '2000',
    '--data-availability', mode, '--anchor-api-keys', API_KEY]
  const { child, tail } = spawnNode('our node', args)
  const chainId = await waitReady('our node', url, child, tail)
  const l1 = createPublicClient({ transport: http(anvil.url), cacheTime: 0 })
  const { senders, recipients } = loadAccounts()

  const run = async (workload: Workload, units: number, load: () => Promise<void>): Promise<Cost> => {
    await untilPosted(url)
    const l1From = await l1.getBlockNumber()
    const l2From = Number(await rpc<Hex>(url, 'eth_blockNumber'))
    await load()
    await sleep(1500) // the last block sealed
    await untilPosted(url)
    const l1To = await l1.getBlockNumber()
    const l2To = Number(await rpc<Hex>(url, 'eth_blockNumber'))
    const cost = await batcherCost(l1, batcher, l1From + 1n, l1To)
    const largest = await largestBlock(url, l2From + 1, l2To)
    console.log(`  ${mode} ${workload}: ${units} in L2 blocks ${l2From + 1}-${l2To}, ${cost.l1Txs} L1 txs, ${cost.gas} gas, ${cost.blobGas} blob gas, ${cost.wei} wei`)
    return { workload, mode, units, ...cost, largest }
  }

  const out: Cost[] = []
  out.push(await run('ETH transfer', txs, async () => {
    const start = await nonces(url, senders)
    const batch = presign(chainId, senders, start, txs, (i) => ({ to: recipients[i], value: 1n, gas: ETH_GAS }))
    await sendAll(url, batch.raw)
    await waitMined(url, senders, start, batch.finalNonces)
  }))
  const token = await deployToken(url, chainId, senders)
  out.push(await run('ERC-20 transfer', txs, async () => {
    const start = await nonces(url, senders)
    const batch = presign(chainId, senders, start, txs, (i) => ({ to: token.address, data: encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [recipients[i], 1n] }), gas: ERC20_GAS }))
    await sendAll(url, batch.raw)
    await waitMined(url, senders, start, batch.finalNonces)
  }))
  out.push(await run('anchored hash', hashes, async () => {
    const all = Array.from({ length: hashes }, (_, i) => keccak256(toHex(`cost bench ${mode} document ${i}`)))
    for (let i = 0; i < all.length; i += 10_000) {
      const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify({ hashes: all.slice(i, i + 10_000) }) })
      if (res.status !== 202) throw new Error(`POST /v1/anchors answered ${res.status}: ${await res.text()}`)
    }
    for (;;) {
      const s = (await (await fetch(`${url}/v1/anchors/${all[all.length - 1]}`)).json()) as { l2: unknown }
      if (s.l2 !== null) break
      await sleep(200)
    }
  }))
  child.kill('SIGTERM')
  await anvil.stop()
  return out
}

/** Waits until the batcher has posted the L2 head and has nothing in flight. */
async function untilPosted(url: string): Promise<void> {
  const deadline = Date.now() + 300_000
  for (;;) {
    const [s, head] = await Promise.all([rpc<any>(url, 'rollup_getBatcherStatus'), rpc<Hex>(url, 'eth_blockNumber')])
    if (s.lastPostedBlock === Number(head) && s.inflight === null && s.channel === null) return
    if (Date.now() > deadline) throw new Error(`the batcher did not post up to block ${Number(head)} in 300 s: ${JSON.stringify(s)}`)
    await sleep(200)
  }
}

/** What the batcher's L1 transactions in L1 blocks from..to cost. */
async function batcherCost(l1: ReturnType<typeof createPublicClient>, batcher: Address, from: bigint, to: bigint) {
  let gas = 0n
  let blobGas = 0n
  let wei = 0n
  let l1Txs = 0
  let dataBytes = 0
  for (let n = from; n <= to; n++) {
    const block = await l1.getBlock({ blockNumber: n, includeTransactions: true })
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== batcher.toLowerCase()) continue
      const r = await l1.getTransactionReceipt({ hash: tx.hash })
      l1Txs++
      gas += r.gasUsed
      blobGas += r.blobGasUsed ?? 0n
      wei += r.gasUsed * r.effectiveGasPrice + (r.blobGasUsed ?? 0n) * (r.blobGasPrice ?? 0n)
      dataBytes += (tx.blobVersionedHashes?.length ?? 0) * 131_072 + (tx.input.length - 2) / 2
    }
  }
  return { gas, blobGas, wei, l1Txs, dataBytes }
}

async function largestBlock(url: string, from: number, to: number): Promise<{ number: number; txs: number; bytes: number }> {
  let best = { number: 0, txs: 0, bytes: 0 }
  for (let n = from; n <= to; n++) {
    const b = await rpc<{ transactions: Hex[]; size: Hex }>(url, 'eth_getBlockByNumber', [toHex(n), false])
    if (b.transactions.length > best.txs) best = { number: n, txs: b.transactions.length, bytes: Number(b.size) }
  }
  return best
}

async function deployToken(url: string, chainId: number, senders: Sender[]) {
  const { abi, bytecode } = loadArtifact('ExampleToken', TOKEN_ARTIFACT)
  const [deployer] = senders
  let nonce = (await nonces(url, [deployer]))[0]
  const data = encodeDeployData({ abi, bytecode, args: ['Bench Token', 'BENCH', 18, 10n ** 30n] })
  const deployHash = await rpc<Hex>(url, 'eth_sendRawTransaction', [signTx(deployer, { chainId, nonce: nonce++, data, gas: 5_000_000n })])
  const { contractAddress } = await waitReceipt(url, deployHash, 'ExampleToken deployment', 200)
  const hashes = await Promise.all(
    senders.slice(1).map((s) => rpc<Hex>(url, 'eth_sendRawTransaction', [signTx(deployer, { chainId, nonce: nonce++, to: contractAddress!, data: encodeFunctionData({ abi, functionName: 'transfer', args: [s.address, 10n ** 27n] }), gas: ERC20_GAS * 2n })])),
  )
  for (const h of hashes) await waitReceipt(url, h, 'token distribution', 200)
  return { address: contractAddress as Address, abi }
}

const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')

runMain('bench-l1-cost', main, { onSignal: 'stopping the benchmark' })
