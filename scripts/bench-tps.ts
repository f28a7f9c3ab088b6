/**
 * End-to-end TPS benchmark: our L2 node against Hardhat's own node (EDR), in the same run, on the
 * same machine, with the same load.
 *
 *   npx tsx scripts/bench-tps.ts [--txs N] [--workload eth|erc20|both] [--runs R]
 *                                [--only ours|hardhat] [--rss-txs N]
 *   npm run bench:tps -- --txs 20000
 *
 * What is measured
 * - Each node runs as its own child process with 1 s blocks and a 60,000,000 block gas limit.
 *   Hardhat: `hardhat node` with automine off and interval mining at 1000 ms (it rejects nonce gaps
 *   while automining). Ours: `sequencer/main.ts --block-time 1000` on a fresh temp data dir.
 * - The load is N transactions pre-signed before the clock starts (EIP-1559, 1000 gwei max fee,
 *   1 gwei tip), round-robin from dev accounts 0..9 to fixed recipients 10..19:
 *   `eth` = 1 wei transfers (gas 21000); `erc20` = ExampleToken `transfer(recipient, 1)` (gas 60000)
 *   on a token deployed and distributed to the senders before the clock starts.
 * - 32 concurrent keep-alive HTTP clients share one queue and send `eth_sendRawTransaction`.
 *   The clock starts at the first send and stops when every sender's `latest` nonce equals its
 *   expected final nonce (polled every 100 ms). TPS = txs / seconds, so it includes admission,
 *   block building, execution and persistence — everything up to "mined and visible over RPC".
 *
 * How to read it
 * - The load generator shares the CPU with the node under test (2 cores here), so absolute figures
 *   depend on the machine; only the ratio ours/hardhat from the same run is meaningful.
 * - With 1 s blocks, the end of the run is quantised to a block boundary (plus ≤100 ms of polling):
 *   small --txs values understate TPS for both nodes. Use ≥5000 per workload.
 * - `rejected` must be 0. A rejected send leaves a nonce gap, the run stalls, and it is reported as
 *   incomplete (TPS then counts only the transactions that were mined).
 * - --rss-txs N sends N more ETH transfers to a fresh instance of our node, in chunks of 20k, and
 *   prints its resident memory (VmRSS) at start, after every chunk and at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import secp256k1 from 'secp256k1'
import {
  encodeDeployData,
  encodeFunctionData,
  keccak256,
  parseGwei,
  recoverTransactionAddress,
  serializeTransaction,
  toHex,
  type Abi,
  type Address,
  type Hex,
} from 'viem'
import { HDKey, privateKeyToAddress } from 'viem/accounts'
import { mnemonicToSeedSync } from '@scure/bip39'

// ---------------------------------------------------------------------------------------------
// Constants

const ROOT = path.resolve(__dirname, '..')
const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
const SENDER_COUNT = 10 // accounts 0..9 send
const RECIPIENT_OFFSET = 10 // sender i sends to account 10 + i
const CLIENTS = 32
const BLOCK_TIME_MS = 1000
const BLOCK_GAS_LIMIT = 60_000_000n
const READY_TIMEOUT_MS = 60_000
const POLL_INTERVAL_MS = 100
const POLL_CONCURRENCY = 3
/** A run with no nonce progress for this long is declared stalled (incomplete). */
const STALL_TIMEOUT_MS = 30_000
const RSS_CHUNK = 20_000
const MAX_FEE = parseGwei('1000')
const PRIORITY_FEE = parseGwei('1')
const ETH_GAS = 21_000n
const ERC20_GAS = 60_000n
const DEPLOY_GAS = 5_000_000n
const TOKEN_ARTIFACT = path.join(ROOT, 'artifacts/contracts/examples/ExampleToken.sol/ExampleToken.json')
const HARDHAT_CLI = path.join(ROOT, 'node_modules/hardhat/internal/cli/bootstrap.js')
const OUR_MAIN = path.join(ROOT, 'sequencer/main.ts')

type NodeName = 'hardhat' | 'ours'
type Workload = 'eth' | 'erc20'

interface Options {
  txs: number
  workloads: Workload[]
  nodes: NodeName[]
  runs: number
  rssTxs: number
}

interface Sender {
  address: Address
  privateKey: Uint8Array
}

interface RunningNode {
  name: NodeName
  url: string
  pid: number
  chainId: number
}

interface RunResult {
  node: NodeName
  workload: Workload
  txs: number
  mined: number
  seconds: number
  tps: number
  rejected: number
  complete: boolean
  errors: string[]
}

/** Everything the harness must undo at exit, whatever the exit path. */
const cleanup = { children: new Set<ChildProcess>(), tempDirs: new Set<string>() }

// ---------------------------------------------------------------------------------------------
// Command line

function parseArgs(argv: string[]): Options {
  const opts: Options = { txs: 10_000, workloads: ['eth', 'erc20'], nodes: ['hardhat', 'ours'], runs: 1, rssTxs: 0 }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--txs': opts.txs = positiveInt(flag, value()); break
      case '--runs': opts.runs = positiveInt(flag, value()); break
      case '--rss-txs': opts.rssTxs = positiveInt(flag, value()); break
      case '--workload': {
        const w = value()
        if (w === 'both') opts.workloads = ['eth', 'erc20']
        else if (w === 'eth' || w === 'erc20') opts.workloads = [w]
        else throw new Error(`--workload must be eth, erc20 or both (got ${w})`)
        break
      }
      case '--only': {
        const n = value()
        if (n !== 'ours' && n !== 'hardhat') throw new Error(`--only must be ours or hardhat (got ${n})`)
        opts.nodes = [n]
        break
      }
      case '-h':
      case '--help':
        console.log('usage: npx tsx scripts/bench-tps.ts [--txs N] [--workload eth|erc20|both] [--runs R] [--only ours|hardhat] [--rss-txs N]')
        process.exit(0)
      // falls through (process.exit never returns)
      default:
        throw new Error(`unknown argument ${flag} (try --help)`)
    }
  }
  return opts
}

function positiveInt(flag: string, s: string): number {
  const n = Number(s.replace(/_/g, ''))
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer (got ${s})`)
  return n
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC over keep-alive HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
let rpcId = 0

class RpcError extends Error {}

function rpc<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs = 30_000): Promise<T> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params })
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let msg: { result?: T; error?: { message?: string } }
          try {
            msg = JSON.parse(text)
          } catch {
            return reject(new RpcError(`${method}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`))
          }
          if (msg.error) return reject(new RpcError(`${method}: ${msg.error.message ?? JSON.stringify(msg.error)}`))
          resolve(msg.result as T)
        })
        res.on('error', reject)
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method}: timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// Child processes

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Spawns `node <args>` directly (not through npx) so that child.pid is the node process itself,
 * in its own process group so that stopping it also stops anything it spawned. The last few KB of
 * its output are kept for error messages.
 */
function spawnNode(name: string, args: string[]): { child: ChildProcess; tail: () => string } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', FORCE_COLOR: '0' },
  })
  cleanup.children.add(child)
  child.on('exit', () => cleanup.children.delete(child))
  let out = ''
  const keep = (c: Buffer) => {
    out = (out + c.toString('utf8')).slice(-4000)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  return { child, tail: () => `--- last output of ${name} ---\n${out.trim() || '(none)'}\n---` }
}

/** Polls eth_chainId until the node answers; fails fast if the process dies. */
async function waitReady(name: string, url: string, child: ChildProcess, tail: () => string): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (code ${child.exitCode ?? child.signalCode}) before answering eth_chainId\n${tail()}`)
    }
    try {
      return Number(await rpc<Hex>(url, 'eth_chainId', [], 1000))
    } catch {
      await sleep(250)
    }
  }
  throw new Error(`${name} did not answer eth_chainId at ${url} within ${READY_TIMEOUT_MS / 1000} s\n${tail()}`)
}

/** `npx hardhat node` with automine off, 1 s interval mining and a 60M block gas limit. */
async function startHardhatNode(): Promise<RunningNode> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const { child, tail } = spawnNode('hardhat node', [HARDHAT_CLI, 'node', '--hostname', '127.0.0.1', '--port', String(port)])
  const chainId = await waitReady('hardhat node', url, child, tail)
  await rpc(url, 'evm_setAutomine', [false])
  await rpc(url, 'evm_setIntervalMining', [BLOCK_TIME_MS])
  await rpc(url, 'evm_setBlockGasLimit', [toHex(BLOCK_GAS_LIMIT)])
  return { name: 'hardhat', url, pid: child.pid!, chainId }
}

/** Our sequencer on a fresh data dir, 1 s blocks, errors-only logging. */
async function startOurNode(dataDir: string): Promise<RunningNode> {
  if (!existsSync(OUR_MAIN)) throw new Error(`our node is missing: ${OUR_MAIN} does not exist (use --only hardhat meanwhile)`)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  // BENCH_NODE_FLAGS passes V8/Node flags to our node, e.g. "--cpu-prof --cpu-prof-dir=.prof" to profile it
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
  const args = [...flags, '--import', 'tsx', OUR_MAIN, '--data-dir', dataDir, '--port', String(port), '--block-time', String(BLOCK_TIME_MS), '--log-level', 'error']
  const { child, tail } = spawnNode('our node', args)
  const chainId = await waitReady('our node', url, child, tail)
  return { name: 'ours', url, pid: child.pid!, chainId }
}

async function stopNode(node: RunningNode): Promise<void> {
  const child = [...cleanup.children].find((c) => c.pid === node.pid)
  if (child) await stopChild(child)
}

/** SIGTERM to the child's process group, SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  killGroup(child, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

/** Resident memory of a process in MB, from /proc (Linux only). */
function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Accounts and signing

/** The test mnemonic's accounts (m/44'/60'/0'/0/i); the seed is derived once (PBKDF2 is slow). */
function devAccounts(count: number): Sender[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
  return Array.from({ length: count }, (_, i) => {
    const privateKey = root.derive(`m/44'/60'/0'/0/${i}`).privateKey!
    return { address: privateKeyToAddress(toHex(privateKey)), privateKey }
  })
}

interface TxFields {
  chainId: number
  nonce: number
  to?: Address
  value?: bigint
  data?: Hex
  gas: bigint
}

/**
 * Signs an EIP-1559 transaction with the native secp256k1 addon (~50 µs) instead of viem's JS
 * signer (~1 ms): keccak256 of the unsigned serialization, ecdsaSign, serialize with (r, s, yParity).
 */
function signTx(sender: Sender, f: TxFields): Hex {
  const tx = {
    type: 'eip1559' as const,
    chainId: f.chainId,
    nonce: f.nonce,
    to: f.to,
    value: f.value ?? 0n,
    data: f.data,
    gas: f.gas,
    maxFeePerGas: MAX_FEE,
    maxPriorityFeePerGas: PRIORITY_FEE,
  }
  const digest = keccak256(serializeTransaction(tx), 'bytes')
  const { signature, recid } = secp256k1.ecdsaSign(digest, sender.privateKey)
  const r = toHex(signature.subarray(0, 32))
  const s = toHex(signature.subarray(32, 64))
  return serializeTransaction(tx, { r, s, yParity: recid })
}

interface Batch {
  raw: Hex[]
  /** Per sender: the nonce `latest` must reach when everything is mined. */
  finalNonces: number[]
}

/**
 * Pre-signs `count` transactions round-robin over the senders (sender i → account 10 + i), with
 * consecutive nonces from `startNonces`. `payload` gives each transaction's to/value/data/gas.
 */
function presign(
  chainId: number,
  senders: Sender[],
  recipients: Address[],
  startNonces: number[],
  count: number,
  payload: (recipient: Address) => Pick<TxFields, 'to' | 'value' | 'data' | 'gas'>,
): Batch {
  const raw: Hex[] = new Array(count)
  const finalNonces = [...startNonces]
  for (let j = 0; j < count; j++) {
    const i = j % senders.length
    raw[j] = signTx(senders[i], { chainId, nonce: finalNonces[i]++, ...payload(recipients[i]) })
  }
  return { raw, finalNonces }
}

/** Sanity check: the first transaction of each sender recovers to that sender's address. */
async function verifySignatures(batch: Batch, senders: Sender[]): Promise<void> {
  for (let i = 0; i < Math.min(senders.length, batch.raw.length); i++) {
    const recovered = await recoverTransactionAddress({ serializedTransaction: batch.raw[i] as `0x02${string}` })
    if (recovered.toLowerCase() !== senders[i].address.toLowerCase()) {
      throw new Error(`signing is broken: tx ${i} recovers to ${recovered}, expected ${senders[i].address}`)
    }
  }
}

async function nonces(url: string, senders: Sender[]): Promise<number[]> {
  return Promise.all(senders.map(async (s) => Number(await rpc<Hex>(url, 'eth_getTransactionCount', [s.address, 'latest']))))
}

// ---------------------------------------------------------------------------------------------
// Load

interface SendResult {
  rejected: number
  errors: string[]
}

/** CLIENTS async workers share one queue; each sends eth_sendRawTransaction one at a time. */
async function sendAll(url: string, raw: Hex[]): Promise<SendResult> {
  let next = 0
  let rejected = 0
  const errors: string[] = []
  const worker = async () => {
    while (next < raw.length) {
      const tx = raw[next++]
      try {
        await rpc(url, 'eth_sendRawTransaction', [tx])
      } catch (e) {
        rejected++
        if (errors.length < 5) errors.push((e as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, worker))
  return { rejected, errors }
}

interface MinedResult {
  /** performance.now() when the last nonce was seen (or of the last progress, if stalled). */
  endedAt: number
  mined: number
  complete: boolean
}

/**
 * Polls each unfinished sender's `latest` nonce every 100 ms (at most POLL_CONCURRENCY requests at
 * a time) until all reach their final nonce, or nothing moves for STALL_TIMEOUT_MS.
 */
async function waitMined(url: string, senders: Sender[], startNonces: number[], finalNonces: number[]): Promise<MinedResult> {
  const current = [...startNonces]
  let lastProgress = performance.now()
  const minedCount = () => current.reduce((sum, n, i) => sum + (n - startNonces[i]), 0)
  for (;;) {
    const pending = senders.map((_, i) => i).filter((i) => current[i] < finalNonces[i])
    if (pending.length === 0) return { endedAt: performance.now(), mined: minedCount(), complete: true }
    let progressed = false
    for (let k = 0; k < pending.length; k += POLL_CONCURRENCY) {
      await Promise.all(
        pending.slice(k, k + POLL_CONCURRENCY).map(async (i) => {
          const n = Number(await rpc<Hex>(url, 'eth_getTransactionCount', [senders[i].address, 'latest']))
          if (n > current[i]) {
            current[i] = n
            progressed = true
          }
        }),
      )
    }
    const now = performance.now()
    if (progressed) lastProgress = now
    if (senders.every((_, i) => current[i] >= finalNonces[i])) return { endedAt: now, mined: minedCount(), complete: true }
    if (now - lastProgress > STALL_TIMEOUT_MS) return { endedAt: lastProgress, mined: minedCount(), complete: false }
    await sleep(POLL_INTERVAL_MS)
  }
}

/** Sends a pre-signed batch and waits until it is mined; the clock covers exactly that. */
async function measure(node: RunningNode, workload: Workload, senders: Sender[], startNonces: number[], batch: Batch): Promise<RunResult> {
  const startedAt = performance.now()
  const sent = await sendAll(node.url, batch.raw)
  const mined = await waitMined(node.url, senders, startNonces, batch.finalNonces)
  const seconds = (mined.endedAt - startedAt) / 1000
  return {
    node: node.name,
    workload,
    txs: batch.raw.length,
    mined: mined.mined,
    seconds,
    tps: mined.mined / seconds,
    rejected: sent.rejected,
    complete: mined.complete,
    errors: sent.errors,
  }
}

// ---------------------------------------------------------------------------------------------
// ERC-20 setup

interface Token {
  address: Address
  abi: Abi
}

function loadTokenArtifact(): { abi: Abi; bytecode: Hex } {
  if (!existsSync(TOKEN_ARTIFACT)) {
    console.log('ExampleToken artifact missing: running `hardhat compile`...')
    const r = spawnSync(process.execPath, [HARDHAT_CLI, 'compile'], { cwd: ROOT, stdio: 'inherit' })
    if (r.status !== 0 || !existsSync(TOKEN_ARTIFACT)) throw new Error(`hardhat compile failed; no ${TOKEN_ARTIFACT}`)
  }
  const artifact = JSON.parse(readFileSync(TOKEN_ARTIFACT, 'utf8')) as { abi: Abi; bytecode: Hex }
  return { abi: artifact.abi, bytecode: artifact.bytecode }
}

async function waitReceipt(url: string, hash: Hex, what: string): Promise<{ contractAddress: Address | null }> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const receipt = await rpc<{ status: Hex; contractAddress: Address | null } | null>(url, 'eth_getTransactionReceipt', [hash])
    if (receipt) {
      if (receipt.status !== '0x1') throw new Error(`${what} reverted (tx ${hash})`)
      return receipt
    }
    await sleep(200)
  }
  throw new Error(`${what}: no receipt for ${hash} after 60 s`)
}

/** Deploys ExampleToken from account 0 and gives each other sender enough tokens for any run. */
async function deployToken(node: RunningNode, senders: Sender[]): Promise<Token> {
  const { abi, bytecode } = loadTokenArtifact()
  const [deployer] = senders
  let nonce = (await nonces(node.url, [deployer]))[0]
  const data = encodeDeployData({ abi, bytecode, args: ['Bench Token', 'BENCH', 18, 10n ** 30n] })
  const deployHash = await rpc<Hex>(node.url, 'eth_sendRawTransaction', [signTx(deployer, { chainId: node.chainId, nonce: nonce++, data, gas: DEPLOY_GAS })])
  const { contractAddress } = await waitReceipt(node.url, deployHash, 'ExampleToken deployment')
  if (!contractAddress) throw new Error('ExampleToken deployment receipt has no contractAddress')
  const hashes = await Promise.all(
    senders.slice(1).map((s) => {
      const call = encodeFunctionData({ abi, functionName: 'transfer', args: [s.address, 10n ** 27n] })
      const raw = signTx(deployer, { chainId: node.chainId, nonce: nonce++, to: contractAddress, data: call, gas: ERC20_GAS * 2n })
      return rpc<Hex>(node.url, 'eth_sendRawTransaction', [raw])
    }),
  )
  for (const h of hashes) await waitReceipt(node.url, h, 'token distribution')
  return { address: contractAddress, abi }
}

// ---------------------------------------------------------------------------------------------
// Benchmark phases

/** All requested workloads and runs against one node; the node is stopped afterwards. */
async function benchNode(node: RunningNode, opts: Options, senders: Sender[], recipients: Address[]): Promise<RunResult[]> {
  const results: RunResult[] = []
  console.log(`${node.name}: up at ${node.url} (chain id ${node.chainId}, pid ${node.pid})`)
  for (const workload of opts.workloads) {
    let payload = (to: Address): Pick<TxFields, 'to' | 'value' | 'data' | 'gas'> => ({ to, value: 1n, gas: ETH_GAS })
    if (workload === 'erc20') {
      const token = await deployToken(node, senders)
      console.log(`${node.name}: ExampleToken at ${token.address}`)
      payload = (to) => ({ to: token.address, data: encodeFunctionData({ abi: token.abi, functionName: 'transfer', args: [to, 1n] }), gas: ERC20_GAS })
    }
    for (let run = 1; run <= opts.runs; run++) {
      const start = await nonces(node.url, senders)
      const t = performance.now()
      const batch = presign(node.chainId, senders, recipients, start, opts.txs, payload)
      await verifySignatures(batch, senders)
      const signMs = performance.now() - t
      const result = await measure(node, workload, senders, start, batch)
      results.push(result)
      console.log(
        `${node.name} ${workload} run ${run}/${opts.runs}: ${result.mined}/${result.txs} txs in ${result.seconds.toFixed(2)} s = ` +
          `${result.tps.toFixed(0)} TPS, rejected ${result.rejected}${result.complete ? '' : ' (INCOMPLETE: stalled)'}` +
          ` [pre-signed in ${(signMs / 1000).toFixed(1)} s; node RSS ${fmtMb(rssMb(node.pid))}]`,
      )
      for (const e of result.errors) console.log(`  rejected: ${e}`)
      if (!result.complete) {
        // Its stuck transactions would collide with the next run's nonces: stop benchmarking this node.
        console.log(`${node.name}: run stalled, skipping its remaining runs`)
        return results
      }
    }
  }
  return results
}

/** N ETH transfers to a fresh instance of our node in chunks; prints VmRSS as it goes. */
async function benchRss(node: RunningNode, total: number, senders: Sender[], recipients: Address[]): Promise<void> {
  console.log(`\nMemory: ${total} ETH transfers to our node (pid ${node.pid}), chunks of ${RSS_CHUNK}`)
  console.log(pad(['txs sent', 'RSS MB', 'chunk TPS', 'rejected'], [10, 10, 10, 10]))
  console.log(pad(['0', fmtMb(rssMb(node.pid)), '-', '-'], [10, 10, 10, 10]))
  for (let done = 0; done < total; ) {
    const count = Math.min(RSS_CHUNK, total - done)
    const start = await nonces(node.url, senders)
    const batch = presign(node.chainId, senders, recipients, start, count, (to) => ({ to, value: 1n, gas: ETH_GAS }))
    const result = await measure(node, 'eth', senders, start, batch)
    done += count
    const note = result.complete ? '' : ' INCOMPLETE'
    console.log(pad([String(done), fmtMb(rssMb(node.pid)), result.tps.toFixed(0), String(result.rejected) + note], [10, 10, 10, 10]))
    if (!result.complete) break
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const fmtMb = (mb: number | undefined) => (mb === undefined ? '?' : mb.toFixed(0))
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ')

function report(results: RunResult[], opts: Options): void {
  const cpus = os.cpus()
  console.log(`\nMachine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`)
  console.log(`Load: ${CLIENTS} HTTP clients, ${SENDER_COUNT} senders, ${BLOCK_TIME_MS} ms blocks, gas limit ${BLOCK_GAS_LIMIT}, ${opts.runs} run(s) each`)
  const widths = [8, 8, 8, 9, 8, 9]
  for (const workload of opts.workloads) {
    console.log(`\nWorkload: ${workload === 'eth' ? 'ETH transfers (21000 gas)' : 'ERC-20 transfer() (ExampleToken)'}`)
    console.log(pad(['node', 'run', 'txs', 'seconds', 'TPS', 'rejected'], widths))
    const medians = new Map<NodeName, number>()
    for (const node of opts.nodes) {
      const rs = results.filter((r) => r.node === node && r.workload === workload)
      if (rs.length === 0) continue
      rs.forEach((r, k) =>
        console.log(pad([node, String(k + 1), `${r.mined}${r.complete ? '' : '*'}`, r.seconds.toFixed(2), r.tps.toFixed(0), String(r.rejected)], widths)),
      )
      const m = median(rs.map((r) => r.tps))
      medians.set(node, m)
      if (rs.length > 1) console.log(pad([node, 'median', '', median(rs.map((r) => r.seconds)).toFixed(2), m.toFixed(0), ''], widths))
    }
    const ours = medians.get('ours')
    const hardhat = medians.get('hardhat')
    if (ours !== undefined && hardhat !== undefined) console.log(`ratio ours/hardhat: ${(ours / hardhat).toFixed(2)}×`)
    if (results.some((r) => r.workload === workload && !r.complete)) console.log('* incomplete: the run stalled, TPS counts mined txs only')
  }
}

// ---------------------------------------------------------------------------------------------
// Main and cleanup

function cleanupSync(): void {
  for (const child of cleanup.children) killGroup(child, 'SIGKILL')
  for (const dir of cleanup.tempDirs) rmSync(dir, { recursive: true, force: true })
  cleanup.tempDirs.clear()
}

async function cleanupAsync(): Promise<void> {
  await Promise.all([...cleanup.children].map(stopChild))
  cleanupSync()
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2))
  const accounts = devAccounts(RECIPIENT_OFFSET + SENDER_COUNT)
  const senders = accounts.slice(0, SENDER_COUNT)
  const recipients = accounts.slice(RECIPIENT_OFFSET, RECIPIENT_OFFSET + SENDER_COUNT).map((a) => a.address)
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'bench-tps-'))
  cleanup.tempDirs.add(tempDir)
  if (opts.workloads.includes('erc20')) loadTokenArtifact() // compile before any clock runs

  const results: RunResult[] = []
  for (const name of opts.nodes) {
    const node = name === 'hardhat' ? await startHardhatNode() : await startOurNode(path.join(tempDir, 'tps'))
    results.push(...(await benchNode(node, opts, senders, recipients)))
    await stopNode(node)
  }
  report(results, opts)

  if (opts.rssTxs > 0) {
    const node = await startOurNode(path.join(tempDir, 'rss'))
    await benchRss(node, opts.rssTxs, senders, recipients)
    await stopNode(node)
  }
}

process.on('exit', cleanupSync)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping nodes...`)
    void cleanupAsync().finally(() => process.exit(130))
  })
}

main()
  .then(cleanupAsync)
  .then(() => process.exit(0))
  .catch(async (e: unknown) => {
    console.error(`bench-tps failed: ${e instanceof Error ? e.message : String(e)}`)
    await cleanupAsync()
    process.exit(1)
  })
