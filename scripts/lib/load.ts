/**
 * The load harness both benchmarks use: start nodes as child processes, pre-sign transfers with
 * native secp256k1, send with N concurrent HTTP clients, wait until mined.
 *
 * Used by scripts/bench-tps.ts and scripts/bench-inference.ts; each of them keeps only its own
 * workloads and report. The load, in short:
 * - dev accounts 0..SENDER_COUNT-1 of the test mnemonic send, round-robin, with consecutive nonces;
 *   sender i's transfers go to account RECIPIENT_OFFSET + i;
 * - every transaction is EIP-1559 (MAX_FEE, PRIORITY_FEE) and signed before the clock starts;
 * - CLIENTS keep-alive HTTP clients share one queue of eth_sendRawTransaction;
 * - the clock stops when every sender's `latest` nonce is final (polled every POLL_INTERVAL_MS),
 *   or the run is declared stalled after STALL_TIMEOUT_MS without progress.
 * Child processes and temp dirs are registered in `cleanup` and undone at any exit (runMain).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import secp256k1 from 'secp256k1'
import { keccak256, parseGwei, recoverTransactionAddress, serializeTransaction, toHex, type Abi, type Address, type Hex } from 'viem'
import { HDKey, privateKeyToAddress } from 'viem/accounts'
import { mnemonicToSeedSync } from '@scure/bip39'
import { progress } from './progress.ts'

// ---------------------------------------------------------------------------------------------
// Constants

export const ROOT = path.resolve(__dirname, '../..')
const DEV_MNEMONIC = 'test test test test test test test test test test test junk'
export const SENDER_COUNT = 10 // accounts 0..9 send
export const RECIPIENT_OFFSET = 10 // sender i sends to account 10 + i
export const CLIENTS = 32
export const BLOCK_TIME_MS = 1000
/** Every node's block gas limit in the throughput benchmarks (ours, Anvil's and Hardhat's alike). */
export const BLOCK_GAS_LIMIT = 60_000_000n
const READY_TIMEOUT_MS = 60_000
const POLL_INTERVAL_MS = 100
const POLL_CONCURRENCY = 3
/** A run with no nonce progress for this long is declared stalled (incomplete). */
const STALL_TIMEOUT_MS = 30_000
const MAX_FEE = parseGwei('1000')
const PRIORITY_FEE = parseGwei('1')
export const ETH_GAS = 21_000n
/** The benchmarks' ERC-20 (OpenZeppelin): its artifact, the gas of a `transfer`, and of its deployment. */
export const TOKEN_ARTIFACT = path.join(ROOT, 'artifacts/contracts/examples/ExampleToken.sol/ExampleToken.json')
export const ERC20_GAS = 60_000n
export const TOKEN_DEPLOY_GAS = 5_000_000n
export const HARDHAT_CLI = path.join(ROOT, 'node_modules/hardhat/internal/cli/bootstrap.js')
export const OUR_MAIN = path.join(ROOT, 'sequencer/main.ts')

// ---------------------------------------------------------------------------------------------
// Cleanup and the main wrapper

/** Everything the harness must undo at exit, whatever the exit path. */
export const cleanup = {
  children: new Set<ChildProcess>(),
  tempDirs: new Set<string>(),
  /** Async closers (in-process nodes, runtimes), run before the children are stopped. */
  closers: new Set<() => Promise<void>>(),
}

function cleanupSync(): void {
  for (const child of cleanup.children) killGroup(child, 'SIGKILL')
  for (const dir of cleanup.tempDirs) rmSync(dir, { recursive: true, force: true })
  cleanup.tempDirs.clear()
}

async function cleanupAsync(): Promise<void> {
  for (const close of [...cleanup.closers]) await close().catch(() => undefined)
  cleanup.closers.clear()
  await Promise.all([...cleanup.children].map(stopChild))
  cleanupSync()
}

/**
 * Runs `main`, then cleans up and exits: 0 when it resolves, 1 after printing `<name> failed: …`
 * (the stack with `stack`) when it throws, 130 on SIGINT/SIGTERM (printing `onSignal`); after a
 * signal, main's own failures (connections refused, …) are the shutdown's and are not reported.
 */
export function runMain(name: string, main: () => Promise<void>, opts: { onSignal: string; stack?: boolean }): void {
  let interrupted = false
  process.on('exit', cleanupSync)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true
      console.error(`\n${signal}: ${opts.onSignal}`)
      void cleanupAsync().finally(() => process.exit(130))
    })
  }
  main()
    .then(async () => {
      if (interrupted) return
      await cleanupAsync()
      process.exit(0)
    })
    .catch(async (e: unknown) => {
      if (interrupted) return
      const text = e instanceof Error ? (opts.stack ? (e.stack ?? e.message) : e.message) : String(e)
      console.error(`${name} failed: ${text}`)
      await cleanupAsync()
      process.exit(1)
    })
}

// ---------------------------------------------------------------------------------------------
// Command line and small helpers

/**
 * Walks the command line: `-h`/`--help` prints `usage` and exits; every other flag goes to
 * `onFlag` with a getter for its value, which returns false for a flag it does not know.
 */
export function parseFlags(argv: string[], usage: string, onFlag: (flag: string, value: () => string) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '-h' || flag === '--help') {
      console.log(usage)
      process.exit(0)
    }
    if (!onFlag(flag, value)) throw new Error(`unknown argument ${flag} (try --help)`)
  }
}

export function positiveInt(flag: string, s: string): number {
  const n = Number(s.replace(/_/g, ''))
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer (got ${s})`)
  return n
}

export function median(xs: ArrayLike<number>): number {
  const s = Float64Array.from(xs).sort()
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** The p-th percentile (nearest rank) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One line describing the machine; `extra` (e.g. a library version) goes after the Node version. */
export function machine(extra?: string): string {
  const cpus = os.cpus()
  const parts = [`${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}`, `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, `Node ${process.version}`]
  if (extra) parts.push(extra)
  return `${parts.join(', ')}, ${os.platform()} ${os.release()}`
}

/** A Hardhat artifact (abi, bytecode), compiling first if it is missing. */
export function loadArtifact(contract: string, file: string): { abi: Abi; bytecode: Hex } {
  if (!existsSync(file)) {
    console.log(`${contract} artifact missing: running \`hardhat compile\`...`)
    const r = spawnSync(process.execPath, [HARDHAT_CLI, 'compile'], { cwd: ROOT, stdio: 'inherit' })
    if (r.status !== 0 || !existsSync(file)) throw new Error(`hardhat compile failed; no ${file}`)
  }
  const artifact = JSON.parse(readFileSync(file, 'utf8')) as { abi: Abi; bytecode: Hex }
  return { abi: artifact.abi, bytecode: artifact.bytecode }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC over keep-alive HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
let rpcId = 0

export interface RpcReply<T> {
  result?: T
  error?: { code?: number; message?: string; data?: unknown }
}

class RpcError extends Error {}

function request(url: string, body: string, timeoutMs: number, what?: string): Promise<{ status?: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${what ? `${what}: ` : ''}timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** POSTs a JSON body over the shared keep-alive agent; resolves to the response text. */
export async function post(url: string, body: string, timeoutMs = 30_000): Promise<string> {
  return (await request(url, body, timeoutMs)).text
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs = 30_000): Promise<T> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params })
  const { status, text } = await request(url, body, timeoutMs, method)
  let msg: RpcReply<T>
  try {
    msg = JSON.parse(text)
  } catch {
    throw new RpcError(`${method}: HTTP ${status}, not JSON: ${text.slice(0, 200)}`)
  }
  if (msg.error) throw new RpcError(`${method}: ${msg.error.message ?? JSON.stringify(msg.error)}`)
  return msg.result as T
}

export interface Receipt {
  status: Hex
  gasUsed: Hex
  contractAddress: Address | null
  logs: { address: string }[]
}

/** Polls for a receipt every `pollMs` for up to 60 s; throws if the transaction reverted. */
export async function waitReceipt(url: string, hash: Hex, what: string, pollMs: number): Promise<Receipt> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const receipt = await rpc<Receipt | null>(url, 'eth_getTransactionReceipt', [hash])
    if (receipt) {
      if (receipt.status !== '0x1') throw new Error(`${what} reverted (tx ${hash})`)
      return receipt
    }
    await sleep(pollMs)
  }
  throw new Error(`${what}: no receipt for ${hash} after 60 s`)
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface RunningNode<Name extends string = string> {
  name: Name
  url: string
  pid: number
  chainId: number
}

export async function freePort(): Promise<number> {
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
export function spawnNode(name: string, args: string[]): { child: ChildProcess; tail: () => string } {
  // BENCH_NODE_FLAGS passes V8/Node flags to every node spawned here (ours, replicas, Hardhat's),
  // e.g. "--cpu-prof --cpu-prof-dir=.prof" to profile them: NODE_OPTIONS refuses --cpu-prof
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')
  const child = spawn(process.execPath, [...flags, ...args], {
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
  // BENCH_NODE_LOG=<file> appends the child's output there as well
  if (process.env.BENCH_NODE_LOG) {
    const log = createWriteStream(process.env.BENCH_NODE_LOG, { flags: 'a' })
    child.stdout!.pipe(log)
    child.stderr!.pipe(log)
  }
  return { child, tail: () => `--- last output of ${name} ---\n${out.trim() || '(none)'}\n---` }
}

/** Polls eth_chainId until the node answers; fails fast if the process dies. */
export async function waitReady(name: string, url: string, child: ChildProcess, tail: () => string): Promise<number> {
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

/** Our sequencer (`sequencer/main.ts`) on a fresh data dir, 1 s blocks, errors-only logging. */
export async function startOurNode(dataDir: string, extraArgs: string[] = []): Promise<RunningNode<'ours'>> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  // BENCH_NODE_LOG=<file> (spawnNode) runs it at log level info: one line per sealed block in that file
  const logFile = process.env.BENCH_NODE_LOG
  // BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles it (spawnNode passes them)
  const args = ['--import', 'tsx', OUR_MAIN, '--data-dir', dataDir, '--port', String(port), '--block-time', String(BLOCK_TIME_MS), '--log-level', logFile ? 'info' : 'error', ...extraArgs]
  const { child, tail } = spawnNode('our node', args)
  const chainId = await waitReady('our node', url, child, tail)
  return { name: 'ours', url, pid: child.pid!, chainId }
}

export async function stopNode(node: RunningNode): Promise<void> {
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

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux we run on, read once. */
let clockTicks: number | undefined
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()
    clockTicks = Number(out) > 0 ? Number(out) : 100
  }
  return clockTicks
}

/**
 * CPU time a process has used so far, user plus system, over all its threads, in seconds (from
 * /proc/<pid>/stat, Linux only; 10 ms resolution); with `thread`, that thread's alone (the
 * process's main thread is the one whose id is the pid). The difference over a run, divided by
 * its transactions, is the node's CPU cost per transaction: on a machine whose cores the node
 * shares with the load generator, that cost rather than any single thread's speed bounds its
 * throughput.
 */
export function cpuSeconds(pid: number, thread?: number): number | undefined {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')
    // "pid (comm) state …": comm may hold spaces, so count from the last ')'; utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond()
  } catch {
    return undefined
  }
}

/** CPU used since `cpuMeter` was called, in µs: by the node (all threads), its main thread, and this process. */
export interface CpuUsed {
  nodeUs: number | undefined
  nodeMainUs: number | undefined
  loadGenUs: number
}

/** Starts measuring the CPU of node `pid` and of this process (the load generator); `stop()` says how much each used. */
export function cpuMeter(pid: number): { stop(): CpuUsed } {
  const node = cpuSeconds(pid)
  const nodeMain = cpuSeconds(pid, pid)
  const loadGen = process.cpuUsage()
  const since = (before: number | undefined, now: number | undefined) => (before === undefined || now === undefined ? undefined : (now - before) * 1e6)
  return {
    stop() {
      const used = process.cpuUsage(loadGen)
      return { nodeUs: since(node, cpuSeconds(pid)), nodeMainUs: since(nodeMain, cpuSeconds(pid, pid)), loadGenUs: used.user + used.system }
    },
  }
}

/** `us` per one of `count`; undefined when unknown or when there is none to share it. */
export const perTx = (us: number | undefined, count: number): number | undefined => (us === undefined || count === 0 ? undefined : us / count)

/** Resident memory of a process in MB, from /proc (Linux only). */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Accounts and signing

export interface Sender {
  address: Address
  privateKey: Uint8Array
}

/** The test mnemonic's accounts (m/44'/60'/0'/0/i); the seed is derived once (PBKDF2 is slow). */
export function devAccounts(count: number): Sender[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
  return Array.from({ length: count }, (_, i) => {
    const privateKey = root.derive(`m/44'/60'/0'/0/${i}`).privateKey!
    return { address: privateKeyToAddress(toHex(privateKey)), privateKey }
  })
}

/** The senders (accounts 0..9) and their recipients (sender i → account 10 + i). */
export function loadAccounts(): { senders: Sender[]; recipients: Address[] } {
  const accounts = devAccounts(RECIPIENT_OFFSET + SENDER_COUNT)
  return {
    senders: accounts.slice(0, SENDER_COUNT),
    recipients: accounts.slice(RECIPIENT_OFFSET, RECIPIENT_OFFSET + SENDER_COUNT).map((a) => a.address),
  }
}

export interface TxFields {
  chainId: number
  nonce: number
  to?: Address
  value?: bigint
  data?: Hex
  gas: bigint
}

/** What a workload decides for each transaction: everything but the chain id and nonce. */
export type Payload = Omit<TxFields, 'chainId' | 'nonce'>

/**
 * Signs an EIP-1559 transaction with the native secp256k1 addon (~50 µs) instead of viem's JS
 * signer (~1 ms): keccak256 of the unsigned serialization, ecdsaSign, serialize with (r, s, yParity).
 */
export function signTx(sender: Sender, f: TxFields): Hex {
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

export interface Batch {
  raw: Hex[]
  /** Per sender: the nonce `latest` must reach when everything is mined. */
  finalNonces: number[]
}

/**
 * Pre-signs `count` transactions round-robin over the senders, with consecutive nonces from
 * `startNonces`. `payload(i)` gives the to/value/data/gas of a transaction from sender i.
 */
export function presign(chainId: number, senders: Sender[], startNonces: number[], count: number, payload: (i: number) => Payload): Batch {
  const raw: Hex[] = new Array(count)
  const finalNonces = [...startNonces]
  for (let j = 0; j < count; j++) {
    const i = j % senders.length
    raw[j] = signTx(senders[i], { chainId, nonce: finalNonces[i]++, ...payload(i) })
  }
  return { raw, finalNonces }
}

/** Sanity check: the first transaction of each sender recovers to that sender's address. */
export async function verifySignatures(batch: Batch, senders: Sender[]): Promise<void> {
  for (let i = 0; i < Math.min(senders.length, batch.raw.length); i++) {
    const recovered = await recoverTransactionAddress({ serializedTransaction: batch.raw[i] as `0x02${string}` })
    if (recovered.toLowerCase() !== senders[i].address.toLowerCase()) {
      throw new Error(`signing is broken: tx ${i} recovers to ${recovered}, expected ${senders[i].address}`)
    }
  }
}

export async function nonces(url: string, senders: Sender[], tag: 'latest' | 'pending' = 'latest'): Promise<number[]> {
  return Promise.all(senders.map(async (s) => Number(await rpc<Hex>(url, 'eth_getTransactionCount', [s.address, tag]))))
}

// ---------------------------------------------------------------------------------------------
// Load

interface SendResult {
  rejected: number
  errors: string[]
}

/** CLIENTS async workers share one queue; each sends eth_sendRawTransaction one at a time. `quiet`: no progress line (a caller sending many small batches). */
export async function sendAll(url: string, raw: Hex[], opts: { quiet?: boolean } = {}): Promise<SendResult> {
  let next = 0
  let answered = 0
  let rejected = 0
  const errors: string[] = []
  const shown = progress('sent', { total: raw.length, quiet: opts.quiet }) // on stderr: "sent 6,000/10,000 (3.1 s)"
  const worker = async () => {
    while (next < raw.length) {
      const tx = raw[next++]
      try {
        await rpc(url, 'eth_sendRawTransaction', [tx])
      } catch (e) {
        rejected++
        if (errors.length < 5) errors.push((e as Error).message)
      }
      shown.update(++answered, rejected === 0 ? undefined : `${rejected.toLocaleString('en-US')} rejected`)
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, worker))
  shown.done()
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
export async function waitMined(url: string, senders: Sender[], startNonces: number[], finalNonces: number[]): Promise<MinedResult> {
  const current = [...startNonces]
  let lastProgress = performance.now()
  const minedCount = () => current.reduce((sum, n, i) => sum + (n - startNonces[i]), 0)
  const shown = progress('mined', { total: finalNonces.reduce((sum, n, i) => sum + (n - startNonces[i]), 0) })
  const end = (result: MinedResult): MinedResult => {
    shown.done(result.mined, result.complete ? undefined : 'stalled')
    return result
  }
  for (;;) {
    const pending = senders.map((_, i) => i).filter((i) => current[i] < finalNonces[i])
    if (pending.length === 0) return end({ endedAt: performance.now(), mined: minedCount(), complete: true })
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
    shown.update(minedCount())
    if (senders.every((_, i) => current[i] >= finalNonces[i])) return end({ endedAt: now, mined: minedCount(), complete: true })
    if (now - lastProgress > STALL_TIMEOUT_MS) return end({ endedAt: lastProgress, mined: minedCount(), complete: false })
    await sleep(POLL_INTERVAL_MS)
  }
}

export interface Measured {
  txs: number
  mined: number
  seconds: number
  /** mined / seconds */
  tps: number
  /** Accepted eth_sendRawTransaction per second, over the sending phase alone (admission). */
  acksPerSecond: number
  rejected: number
  /** false if the run stalled (TPS then counts only what was mined) */
  complete: boolean
  /** the first few rejection messages */
  errors: string[]
}

/** Sends a pre-signed batch and waits until it is mined; the clock covers exactly that. */
export async function measure(url: string, senders: Sender[], startNonces: number[], batch: Batch): Promise<Measured> {
  const startedAt = performance.now()
  const sent = await sendAll(url, batch.raw)
  const sentAt = performance.now()
  const mined = await waitMined(url, senders, startNonces, batch.finalNonces)
  const seconds = (mined.endedAt - startedAt) / 1000
  return {
    txs: batch.raw.length,
    mined: mined.mined,
    seconds,
    tps: mined.mined / seconds,
    acksPerSecond: (batch.raw.length - sent.rejected) / ((sentAt - startedAt) / 1000),
    rejected: sent.rejected,
    complete: mined.complete,
    errors: sent.errors,
  }
}
