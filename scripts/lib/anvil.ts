/**
 * The embedded L1: Anvil as a child process, started from the binary that the npm package
 * @foundry-rs/anvil-linux-amd64 installs (never whatever `anvil` happens to be on PATH, whose
 * version and flags could differ), or from ANVIL_BIN. The project depends on that platform package
 * directly, as an optional dependency, rather than on the @foundry-rs/anvil wrapper: the registry
 * these machines reach has no other platform's package, and `npm ci` refuses a lock file that
 * lacks the wrapper's other optional dependencies. Elsewhere, install Foundry and set ANVIL_BIN.
 *
 * Why Anvil: Hardhat's node keeps its chain in memory, so every restart of `npm start` would bring
 * up an empty L1 under an L2 data directory that still remembers its posted batches. Anvil
 * persists the chain with `--state FILE --state-interval 1`: it loads FILE at start, rewrites it
 * every second and once more on SIGTERM, so a kill -9 loses at most about a second of L1 blocks
 * (the L2 sees that as a short L1 reorg).
 *
 * Two traps handled here, both measured with Anvil 1.7.1:
 * - Anvil rewrites the state file in place (open with O_TRUNC, then write), not by rename: a kill
 *   during a write leaves a truncated file, and Anvil then refuses to start ("failed to parse json
 *   file"). Each successful start therefore keeps a copy of the file it loaded (FILE.bak); a later
 *   start that cannot load FILE falls back to that copy, moves the damaged file aside and says so
 *   (`restoredFromBackup`), since the L1 then went back further than one second.
 * - An Anvil whose parent died by kill -9 lives on, still writing FILE every second. FILE.pid keeps
 *   the pid of the Anvil that owns FILE and the identity (pid and start time, scripts/lib/process-lock.ts)
 *   of the process that started it. The next start stops that Anvil (SIGTERM, so it writes its last
 *   state) before loading FILE only when its starter is provably dead: an orphan. While the starter
 *   lives (another devnet using the same data directory), the start is refused and nothing is
 *   signalled: stopping it would pull the L1 from under a running L2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type WriteStream } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Address, Hex } from 'viem'
import { ownerAlive, selfIdentity, type ProcessIdentity } from './process-lock.ts'

/** Chain id Anvil (and Hardhat) use by default; our embedded L1 keeps it. */
export const ANVIL_DEFAULT_CHAIN_ID = 31337
export const ANVIL_DEFAULT_HOST = '127.0.0.1'
/** How long `startAnvil` waits for `eth_chainId` to answer, in ms (Anvil usually answers within 0.2 s). */
export const ANVIL_START_TIMEOUT_MS = 30_000
/** How long `stop()` waits after SIGTERM before it sends SIGKILL, in ms. Writing a large state file takes time. */
export const ANVIL_STOP_TIMEOUT_MS = 20_000
/** Seconds between two writes of the state file: the most a kill -9 can lose. */
export const ANVIL_STATE_INTERVAL_S = 1
/** Lines of Anvil's output kept for error messages. */
const TAIL_LINES = 30
const READY_POLL_MS = 25

/** The mnemonic Anvil and Hardhat derive their dev accounts from. Public: never hold value with it. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'

/**
 * Anvil's 10 funded accounts (10,000 ETH each at genesis): the first 10 of ANVIL_MNEMONIC at
 * m/44'/60'/0'/0/i. Written out rather than derived because deriving costs a PBKDF2 run per call;
 * test/scripts/anvil.test.ts derives them with viem's mnemonicToAccount and compares.
 */
export const ANVIL_ACCOUNTS: readonly { readonly address: Address; readonly privateKey: Hex }[] = [
  { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
  { address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' },
  { address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' },
  { address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6' },
  { address: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65', privateKey: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a' },
  { address: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc', privateKey: '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba' },
  { address: '0x976EA74026E726554dB657fA54763abd0C3a0aa9', privateKey: '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e' },
  { address: '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955', privateKey: '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356' },
  { address: '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f', privateKey: '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97' },
  { address: '0xa0Ee7A142d267C1f36714E4a8F75612F20a79720', privateKey: '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6' },
]

/** The private keys of ANVIL_ACCOUNTS, in order. */
export const ANVIL_PRIVATE_KEYS: readonly Hex[] = ANVIL_ACCOUNTS.map((a) => a.privateKey)

export interface StartAnvilOptions {
  /** TCP port; 0 (default) lets the OS pick a free one, read back from Anvil's "Listening on" line (no race). */
  port?: number
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
  /**
   * State file: loaded at start if it exists, rewritten every ANVIL_STATE_INTERVAL_S seconds and on
   * SIGTERM. Its directory is created. Omit for an in-memory L1.
   */
  statePath?: string
  /** Seconds between blocks (interval mining); omit to mine one block per transaction (automine). */
  blockTime?: number
  /** Chain id (default 31337). */
  chainId?: number
  /** Do not echo Anvil's output to this process's stdout (default false: echoed, each line prefixed `[anvil] `). */
  silent?: boolean
  /** File that Anvil's stdout and stderr are appended to (with or without `silent`). */
  logFile?: string
  /** ms to wait for `eth_chainId` to answer (default ANVIL_START_TIMEOUT_MS). */
  startTimeoutMs?: number
  /** Where warnings go (state file restored from its backup, orphan stopped); default console.warn. */
  onWarning?: (message: string) => void
  /** Further arguments passed to Anvil as they are. */
  extraArgs?: string[]
}

export interface RunningAnvil {
  /** JSON-RPC URL, http://host:port. */
  url: string
  port: number
  host: string
  process: ChildProcess
  statePath?: string
  /** True when the state file could not be loaded and its last good copy was used instead: the L1 lost more than the last second. */
  restoredFromBackup: boolean
  /** SIGTERM (Anvil writes its state file on the way out) and wait for the exit; SIGKILL after ANVIL_STOP_TIMEOUT_MS. */
  stop(): Promise<void>
  /** SIGKILL and wait for the exit: a crash, losing at most the last state interval. */
  kill9(): Promise<void>
}

/** Anvil could not be started; the message carries the tail of its output. */
export class AnvilStartError extends Error {
  override name = 'AnvilStartError'
  constructor(
    message: string,
    /** Last lines Anvil wrote (stderr, else stdout). */
    readonly outputTail: string,
  ) {
    super(outputTail === '' ? message : `${message}\n--- anvil output (tail) ---\n${outputTail}`)
  }
}

/** npm package with the Anvil binary for each `${process.platform}-${process.arch}` we install. */
const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
}

/** Path of the Anvil binary: ANVIL_BIN, else the platform package's bin/anvil; throws with what to do if neither. */
export function anvilBinaryPath(): string {
  // an Anvil of the user's own (foundryup, a distro package) wins; needed where no npm binary exists
  const override = process.env.ANVIL_BIN
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`ANVIL_BIN=${override}: no such file`)
    return override
  }
  const key = `${process.platform}-${process.arch}`
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  const platformPackage = PLATFORM_PACKAGES[key]
  const hint = 'install Foundry (https://getfoundry.sh) and set ANVIL_BIN to its anvil binary'
  if (platformPackage === undefined) throw new Error(`no Anvil npm package for ${key}: ${hint}`)
  try {
    const found = require.resolve(`${platformPackage}/bin/${binary}`)
    if (existsSync(found)) return found
  } catch {
    // not installed: explained below
  }
  throw new Error(`no Anvil binary for ${key}: the optional dependency ${platformPackage} is not installed (npm install without --omit=optional), or ${hint}`)
}

/** Anvils started by this process, stopped if it exits without stopping them. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  // SIGTERM rather than SIGKILL: Anvil writes its state file on the way out, after we are gone.
  process.once('exit', () => {
    for (const c of live) c.kill('SIGTERM')
  })
}

/**
 * Starts Anvil and resolves once it answers `eth_chainId`.
 *
 * @example
 * const l1 = await startAnvil({ statePath: 'data/l1/anvil-state.json', silent: true })
 * // … l1.url …
 * await l1.stop()
 */
export async function startAnvil(opts: StartAnvilOptions = {}): Promise<RunningAnvil> {
  const warn = opts.onWarning ?? ((m: string) => console.warn(m))
  const statePath = opts.statePath === undefined ? undefined : resolve(opts.statePath)
  if (statePath === undefined) return launch(opts, undefined)

  mkdirSync(dirname(statePath), { recursive: true })
  await stopOrphan(statePath, warn)
  const backup = `${statePath}.bak`
  const loading = `${statePath}.loading`
  const hadState = existsSync(statePath)
  // Copied before Anvil starts writing to statePath, so that it is the file Anvil loaded.
  if (hadState) copyFileSync(statePath, loading)
  let anvil: RunningAnvil
  try {
    anvil = await launch(opts, statePath)
  } catch (error) {
    if (!(error instanceof AnvilStartError) || !/failed to parse json file/i.test(error.outputTail)) {
      rmSync(loading, { force: true })
      throw error
    }
    if (!existsSync(backup)) {
      throw new AnvilStartError(`Anvil cannot load its state file ${statePath} and there is no earlier copy (${backup}); move the file away to start an empty L1`, error.outputTail)
    }
    const damaged = `${statePath}.damaged-${Date.now()}`
    renameSync(statePath, damaged)
    copyFileSync(backup, statePath)
    rmSync(loading, { force: true })
    warn(`anvil: state file ${statePath} could not be loaded (interrupted write?); moved it to ${damaged} and started from the copy kept at the previous start (${backup}): the L1 lost every block since then`)
    return { ...(await launch(opts, statePath)), restoredFromBackup: true }
  }
  if (hadState) renameSync(loading, backup)
  return anvil
}

async function launch(opts: StartAnvilOptions, statePath: string | undefined): Promise<RunningAnvil> {
  const host = opts.host ?? ANVIL_DEFAULT_HOST
  const args = ['--host', host, '--port', String(opts.port ?? 0), '--chain-id', String(opts.chainId ?? ANVIL_DEFAULT_CHAIN_ID)]
  if (opts.blockTime !== undefined) {
    if (!(opts.blockTime > 0)) throw new Error(`blockTime must be a positive number of seconds, got ${opts.blockTime}`)
    args.push('--block-time', String(opts.blockTime))
  }
  if (statePath !== undefined) args.push('--state', statePath, '--state-interval', String(ANVIL_STATE_INTERVAL_S))
  args.push(...(opts.extraArgs ?? []))

  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  let log: WriteStream | undefined
  if (opts.logFile !== undefined) {
    mkdirSync(dirname(opts.logFile), { recursive: true })
    const stream = createWriteStream(opts.logFile, { flags: 'a' })
    void exited.then(() => stream.end())
    log = stream
  }

  const stdoutTail: string[] = []
  const stderrTail: string[] = []
  const tail = () => (stderrTail.length > 0 ? stderrTail : stdoutTail).join('\n')
  let listeningPort: number | undefined
  const onLine = (buffer: string[]) => (line: string) => {
    buffer.push(line)
    if (buffer.length > TAIL_LINES) buffer.shift()
    log?.write(line + '\n')
    if (opts.silent !== true) process.stdout.write(`[anvil] ${line}\n`)
    const m = /^Listening on (.+):(\d+)\s*$/.exec(line)
    if (m !== null) listeningPort = Number(m[2])
  }
  createInterface({ input: child.stdout! }).on('line', onLine(stdoutTail))
  createInterface({ input: child.stderr! }).on('line', onLine(stderrTail))

  let spawnError: Error | undefined
  child.once('error', (e) => (spawnError = e))

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), ANVIL_STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
    if (statePath !== undefined) rmSync(pidFile(statePath), { force: true })
  }
  const kill9 = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }

  const timeoutMs = opts.startTimeoutMs ?? ANVIL_START_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (spawnError !== undefined) throw new AnvilStartError(`could not run Anvil: ${spawnError.message}`, tail())
    if (child.exitCode !== null || child.signalCode !== null) {
      // Let readline deliver the last lines before quoting them.
      await new Promise((r) => setImmediate(r))
      throw new AnvilStartError(`Anvil exited during start-up (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode})`, tail())
    }
    if (listeningPort !== undefined && (await answersChainId(`http://${urlHost(host)}:${listeningPort}`))) break
    if (Date.now() > deadline) {
      await kill9()
      throw new AnvilStartError(`Anvil did not answer eth_chainId within ${timeoutMs} ms`, tail())
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS))
  }
  if (statePath !== undefined) writeFileSync(pidFile(statePath), JSON.stringify({ pid: child.pid!, owner: selfIdentity() } satisfies PidFile))
  return { url: `http://${urlHost(host)}:${listeningPort}`, port: listeningPort, host, process: child, statePath, restoredFromBackup: false, stop, kill9 }
}

/** Host as it goes in a URL: 0.0.0.0 and :: listen everywhere but are not addresses to connect to. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}

async function answersChainId(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    })
    const body = (await res.json()) as { result?: unknown }
    return typeof body.result === 'string'
  } catch {
    return false
  }
}

function pidFile(statePath: string): string {
  return `${statePath}.pid`
}

/** FILE.pid: the Anvil writing FILE and the process that started it. */
interface PidFile {
  pid: number
  owner: ProcessIdentity
}

/** An Anvil still running on the state file while the process that started it lives. */
export class AnvilInUseError extends Error {
  override name = 'AnvilInUseError'
  constructor(
    readonly statePath: string,
    readonly anvilPid: number,
    readonly ownerPid: number | undefined,
  ) {
    super(
      ownerPid === undefined
        ? `${statePath} is in use by Anvil (pid ${anvilPid}), started by a process that cannot be identified; stop that Anvil (kill ${anvilPid}) or use another state file`
        : `${statePath} is in use by Anvil (pid ${anvilPid}), started by process ${ownerPid} which is still running; stop that process or use another state file`,
    )
  }
}

/**
 * Stops an Anvil left running on `statePath` by a parent that died without stopping it. Acts only
 * when the pid in the pid file is alive, its command line names this state file (so a pid reused by
 * an unrelated process is never signalled), and the process that started it is provably dead;
 * while that process lives, throws AnvilInUseError and signals nothing.
 */
async function stopOrphan(statePath: string, warn: (message: string) => void): Promise<void> {
  let record: Partial<PidFile>
  try {
    const text = readFileSync(pidFile(statePath), 'utf8').trim()
    // a bare number: written before owners were recorded; the owner is unknown
    record = /^\d+$/.test(text) ? { pid: Number(text) } : (JSON.parse(text) as Partial<PidFile>)
  } catch {
    return
  }
  const pid = Number(record.pid)
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !commandLine(pid).includes(statePath)) {
    rmSync(pidFile(statePath), { force: true })
    return
  }
  if (record.owner === undefined) throw new AnvilInUseError(statePath, pid, undefined)
  if (ownerAlive(record.owner)) throw new AnvilInUseError(statePath, pid, record.owner.pid)
  warn(`anvil: stopping the Anvil (pid ${pid}) left running on ${statePath} by an earlier process (pid ${record.owner.pid}, gone)`)
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + ANVIL_STOP_TIMEOUT_MS
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 50))
  }
  rmSync(pidFile(statePath), { force: true })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    // ESRCH: gone; EPERM: another user's process, so not an Anvil we started.
    return false
  }
}

/** The process's command line (Linux /proc, else `ps`), or '' when it cannot be read. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
  } catch {
    const ps = spawnSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' })
    return ps.status === 0 ? ps.stdout : ''
  }
}

export interface BlobPruneResult {
  /** Blob sidecars removed from the state file (with dryRun: that would be). */
  blobsPruned: number
  /** Characters of blob hex those sidecars hold. */
  blobBytesPruned: number
  /** Sidecars kept. */
  blobsKept: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * Keeps an Anvil state file from growing without bound: Anvil stores every blob transaction's
 * sidecar in it (~262 kB of hex per blob) for ever, where Ethereum keeps blobs ~18 days. This
 * drops the sidecars (blobs, commitments, proofs; the transaction and its versioned hashes stay,
 * so every block keeps its hash) of blocks older than the newest `keepBlocks`, and beyond that as
 * many of the oldest as needed to bring the sidecars under `maxBlobBytes` (never those of the
 * newest `minKeepBlocks`). Anvil must not be running on the file. After it, Anvil's blobs API
 * answers no blobs for the pruned blocks, as a beacon node does for expired ones.
 */
export function pruneBlobSidecars(statePath: string, opts: { keepBlocks: number; maxBlobBytes: number; minKeepBlocks?: number; dryRun?: boolean }): BlobPruneResult {
  const text = readFileSync(statePath, 'utf8')
  const state = JSON.parse(text) as { blocks?: { header: { number: string }; transactions: { transaction: { blobs?: string[]; commitments?: string[]; proofs?: string[] } }[] }[] }
  const blocks = [...(state.blocks ?? [])].sort((a, b) => Number(BigInt(b.header.number) - BigInt(a.header.number)))
  const head = blocks.length === 0 ? 0n : BigInt(blocks[0].header.number)
  let kept = 0
  let pruned = 0
  let bytes = 0
  let prunedBytes = 0
  for (const block of blocks) {
    const age = head - BigInt(block.header.number)
    for (const { transaction: tx } of block.transactions) {
      if (tx.blobs === undefined || tx.blobs.length === 0) continue
      const size = tx.blobs.reduce((n, b) => n + b.length, 0)
      const young = age < BigInt(opts.minKeepBlocks ?? 0)
      if (young || (age < BigInt(opts.keepBlocks) && bytes + size <= opts.maxBlobBytes)) {
        bytes += size
        kept += tx.blobs.length
        continue
      }
      pruned += tx.blobs.length
      prunedBytes += size
      if (opts.dryRun === true) continue
      tx.blobs = []
      tx.commitments = []
      tx.proofs = []
    }
  }
  if (pruned === 0 || opts.dryRun === true) return { blobsPruned: pruned, blobBytesPruned: prunedBytes, blobsKept: kept, bytesBefore: text.length, bytesAfter: text.length - prunedBytes }
  const out = JSON.stringify(state)
  const tmp = `${statePath}.pruning`
  writeFileSync(tmp, out)
  renameSync(tmp, statePath)
  return { blobsPruned: pruned, blobBytesPruned: prunedBytes, blobsKept: kept, bytesBefore: text.length, bytesAfter: out.length }
}
