/**
 * The command lines of `npm run node` (sequencer/main.ts) and `npm start` (scripts/devnet.ts):
 * each usage names its own command, the devnet accepts every node option it does not manage
 * (one table, sequencer/cli.ts), and an unknown option fails with the valid ones listed.
 * The devnet passing an option through to a running node is in test/scripts/devnet.test.ts.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NODE_OPTION_SECTIONS } from '../../sequencer/cli.ts'
import { ROOT } from '../helpers/node.ts'

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
