/**
 * Test harness: a real node on a temp data dir and a free port, in this process (`startTestNode`)
 * or as a child process that can be killed with SIGKILL (`spawnNode`). Plus a raw JSON-RPC client
 * and viem clients bound to the node.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createPublicClient, createWalletClient, http, type Chain, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode, type NodeHooks, type RunningNode } from '../../sequencer/node.ts'
import type { NodeConfigInput } from '../../sequencer/config.ts'
import { defineAiRollupChain } from '@ai-rollup/sdk'
import { devAccounts } from '../../sequencer/chain/dev-accounts.ts'

export const ROOT = resolve(__dirname, '../..')

export function tempDir(prefix = 'l2-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface JsonRpcResponse {
  jsonrpc: string
  id: unknown
  result?: any
  error?: { code: number; message: string; data?: unknown }
}

/** Posts a raw body and returns the parsed JSON answer (and the HTTP status). */
export async function postRaw(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
}

let nextId = 1
/** One JSON-RPC call; returns the whole response object (result or error). */
export async function rpcRaw(url: string, method: string, params: unknown[] = []): Promise<JsonRpcResponse> {
  const { body } = await postRaw(url, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }))
  return body as JsonRpcResponse
}

/** One JSON-RPC call that must succeed; returns its result. */
export async function rpc<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await rpcRaw(url, method, params)
  if (r.error !== undefined) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
  return r.result as T
}

export const accounts = devAccounts()

export function clientsFor(url: string, chainId?: number) {
  const chain: Chain = defineAiRollupChain(url, chainId)
  const transport = http(url, { retryCount: 0 })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 })
  const wallet = (i: number) => createWalletClient({ chain, transport, account: privateKeyToAccount(accounts[i].privateKey as Hex) })
  return { chain, publicClient, wallet }
}

export interface TestNode extends ReturnType<typeof clientsFor> {
  node: RunningNode
  url: string
  wsUrl: string
  dataDir: string
  rpc: <T = any>(method: string, params?: unknown[]) => Promise<T>
  rpcRaw: (method: string, params?: unknown[]) => Promise<JsonRpcResponse>
  close(opts?: { keepData?: boolean }): Promise<void>
}

/**
 * The log level of test nodes: silent, so that tests provoking failures on purpose (L1 down, a
 * reverted batch, a malformed request) do not fill the run with ERROR lines; TEST_LOG_LEVEL=error
 * (or info) shows them when a test needs debugging. Tests that assert on log lines set their own.
 */
export const TEST_LOG_LEVEL = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' | 'error' | 'info' | 'debug'

/** Starts a node in this process (automine on unless the options say otherwise). */
export async function startTestNode(input: NodeConfigInput = {}, hooks: NodeHooks = {}): Promise<TestNode> {
  const dataDir = input.dataDir ?? tempDir()
  const node = await startNode({
    ...input,
    dataDir,
    rpc: { port: 0, ...input.rpc },
    sequencer: { automine: true, ...input.sequencer },
    logLevel: input.logLevel ?? TEST_LOG_LEVEL,
  }, hooks)
  return {
    node,
    url: node.url,
    wsUrl: node.wsUrl,
    dataDir,
    rpc: (method, params) => rpc(node.url, method, params),
    rpcRaw: (method, params) => rpcRaw(node.url, method, params),
    ...clientsFor(node.url),
    async close(opts) {
      await node.close()
      if (opts?.keepData !== true) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolvePort(port))
    })
    srv.on('error', reject)
  })
}

export interface SpawnedNode {
  child: ChildProcess
  url: string
  port: number
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>
}

/** Starts `sequencer/main.ts` as a child process (node + tsx) and waits until it answers. */
export async function spawnNode(dataDir: string, args: string[] = []): Promise<SpawnedNode> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sequencer/main.ts'), '--data-dir', dataDir, '--port', String(port), '--log-level', 'error', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d) => (stderr += d))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited during start-up: ${stderr}`)
    try {
      await rpc(url, 'eth_chainId')
      break
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`node did not answer within 60 s: ${stderr}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    child,
    url,
    port,
    kill9: async () => {
      child.kill('SIGKILL')
      await exited
    },
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}
