/**
 * `npm start`'s devnet (scripts/devnet.ts) as a child process on a temp data dir and free ports,
 * for the benchmarks that measure the devnet as users run it (bench-finality, bench-offchain).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, ROOT, sleep } from './load.ts'

export interface DevnetChild {
  /** The L2's JSON-RPC URL; validators listen on the ports after it. */
  url: string
  port: number
  /** Everything the devnet printed so far (stdout and stderr). */
  output(): string
  /** SIGTERM, wait for the exit, remove the data dir. */
  stop(): Promise<void>
}

/** Starts the devnet with `args` (beyond data dir and ports) and resolves once it printed that it is up. */
export async function startDevnetChild(name: string, args: string[]): Promise<DevnetChild> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${name}-`))
  const [port, l1Port] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/devnet.ts'), '--data-dir', dataDir, '--port', String(port), '--l1-port', String(l1Port), '--log-level', 'error', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  for (let i = 0; !output.includes('devnet is up'); i++) {
    if (child.exitCode !== null || i > 1200) {
      await stop()
      throw new Error(`the devnet did not come up:\n${output}`)
    }
    await sleep(100)
  }
  return { url: `http://127.0.0.1:${port}`, port, output: () => output, stop }
}
