/**
 * The command lines of `npm run node` (sequencer/main.ts) and `npm start` (scripts/devnet.ts):
 * each usage names its own command, the devnet accepts every node option it does not manage
 * (one table, sequencer/cli.ts), and an unknown option fails with the valid ones listed.
 * The devnet passing an option through to a running node is in test/scripts/devnet.test.ts.
 * A node process logs JSON lines off a terminal, pretty ones with --log-format pretty.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NODE_OPTION_SECTIONS } from '../../sequencer/cli.ts'
import { ROOT, rpcRaw, tempDir } from '../helpers/node.ts'

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGTERM'), 30_000) // a start that should not have happened
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const NODE = 'sequencer/main.ts'
const DEVNET = 'scripts/devnet.ts'
const nodeOptions = NODE_OPTION_SECTIONS.flatMap((s) => s.options.map((o) => o.name))

describe('--help', () => {
  it('npm run node -- --help names npm run node, and lists every node option', async () => {
    const { code, stdout } = await run(NODE, ['--help'])
    expect(code).toBe(0)
    expect(stdout.split('\n')[0]).toBe('usage: npm run node -- [options]')
    for (const name of nodeOptions) expect(stdout).toContain(`--${name}`)
  })

  it('npm start -- --help names npm start, and lists the node options it passes through', async () => {
    const { code, stdout } = await run(DEVNET, ['--help'])
    expect(code).toBe(0)
    expect(stdout.split('\n')[0]).toBe('usage: npm start -- [options]')
    for (const name of nodeOptions.filter((n) => n !== 'deployments')) expect(stdout).toContain(`--${name} `)
    expect(stdout).not.toContain('--deployments')
    expect(stdout).toMatch(/--block-time <ms>\s+block interval in ms/)
  })
})

describe('an unknown option', () => {
  it.each([
    [NODE, 'npm run node --'],
    [DEVNET, 'npm start --'],
  ])('%s exits 1 naming it and listing the valid options, starting nothing', async (script, command) => {
    const { code, stdout, stderr } = await run(script, ['--blok-time', '500'])
    expect(code).toBe(1)
    expect(stderr).toContain("unknown option '--blok-time'")
    expect(stderr).toMatch(/valid options: .*--block-time, /)
    expect(stderr).toContain(`(${command} --help describes them)`)
    expect(stderr).not.toMatch(/\n\s+at /) // a message, not a stack trace
    expect(stdout).toBe('')
  })
})

/** Starts `npm run node` with `args` until it listens, makes one failing RPC call, stops it (SIGTERM): what it printed. */
async function nodeOutput(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const dataDir = tempDir()
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, NODE), '--data-dir', dataDir, '--port', '0', '--call-workers', '1', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise((r) => child.once('exit', r))
  try {
    const deadline = Date.now() + 60_000
    let url: string | undefined
    while (url === undefined) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the node did not listen: ${stdout}${stderr}`)
      await new Promise((r) => setTimeout(r, 100))
      url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
    }
    expect((await rpcRaw(url, 'eth_getBalance', ['0x12', 'latest'])).error?.code).toBe(-32602)
  } finally {
    child.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { stdout, stderr }
}

describe('the log lines of npm run node', () => {
  it('are JSON objects, one per line, off a terminal; a client error shows at debug', async () => {
    const { stdout } = await nodeOutput(['--log-level', 'debug'])
    // every line, its stop included
    const parsed = stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(parsed.find((l) => l.event === 'chain_opened')).toMatchObject({ level: 'info', name: 'node', chainId: 0xa5b8 })
    expect(parsed.find((l) => l.event === 'rpc_listening')).toMatchObject({ level: 'info', url: expect.stringMatching(/^http:/) })
    expect(parsed.find((l) => l.event === 'rpc_error')).toMatchObject({ level: 'debug', method: 'eth_getBalance', code: -32602 })
    expect(parsed.slice(-2)).toMatchObject([{ event: 'stopping', signal: 'SIGTERM' }, { event: 'stopped' }])
  }, 90_000)

  it('are human lines with --log-format pretty, at info by default (no debug line)', async () => {
    const { stdout } = await nodeOutput(['--log-format', 'pretty'])
    expect(stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(node\): JSON-RPC on http:\/\/127\.0\.0\.1:\d+ and ws:/m)
    expect(stdout).not.toContain('{"')
    expect(stdout).not.toContain('rpc_error') // debug
  }, 90_000)

  it('refuses an unknown level or format with the valid ones', async () => {
    const level = await run(NODE, ['--log-level', 'verbose'])
    expect(level.code).toBe(1)
    expect(level.stderr.trim()).toBe('--log-level takes silent, error, warn, info, debug, got verbose')
    const format = await run(NODE, ['--log-format', 'xml'])
    expect(format.code).toBe(1)
    expect(format.stderr.trim()).toBe('--log-format takes json or pretty, got xml')
  })
})
