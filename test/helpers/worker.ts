/**
 * A resource node as a real process (`sequencer/worker-main.ts`, what `npm run worker` runs),
 * with its log lines kept for the test to wait on, and SIGKILL / SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { ROOT } from './node.ts'

export interface WorkerProcessOptions {
  key: Hex
  l2Rpc: string
  dataDir: string
  stake?: string
  price?: bigint
  models?: Hex[]
  /** More flags, as on the command line. */
  args?: string[]
}

export interface WorkerProcess {
  child: ChildProcess
  /** Every line it printed (stdout and stderr), in order. */
  lines: string[]
  /** Resolves with the first line (already printed or to come) matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>
  kill9(): Promise<void>
  stop(): Promise<void>
  exited: Promise<number | null>
}

export function startWorkerProcess(o: WorkerProcessOptions): WorkerProcess {
  const args = [
    '--import', 'tsx', join(ROOT, 'sequencer/worker-main.ts'),
    '--key', o.key,
    '--l2-rpc', o.l2Rpc,
    '--data-dir', o.dataDir,
    '--log-level', 'debug',
    '--poll', '500',
    ...(o.stake === undefined ? [] : ['--stake', o.stake]),
    ...(o.price === undefined ? [] : ['--price', o.price.toString()]),
    ...(o.models === undefined ? [] : ['--models', o.models.join(',')]),
    ...(o.args ?? []),
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters: { re: RegExp; resolve(line: string): void }[] = []
  const take = (chunk: string, carry: { rest: string }) => {
    const parts = (carry.rest + chunk).split('\n')
    carry.rest = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      if (process.env.WORKER_TEST_ECHO === '1') process.stdout.write(`[${o.key.slice(0, 6)}] ${line}\n`)
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  }
  const out = { rest: '' }
  const err = { rest: '' }
  child.stdout!.setEncoding('utf8').on('data', (d: string) => take(d, out))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => take(d, err))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return {
    child,
    lines,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      const seen = lines.find((l) => re.test(l))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; the worker printed:\n${lines.slice(-40).join('\n')}`)), timeoutMs)
        waiters.push({
          re,
          resolve: (line) => {
            clearTimeout(timer)
            resolve(line)
          },
        })
      })
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
