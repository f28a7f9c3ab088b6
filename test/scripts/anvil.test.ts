import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPublicClient, createWalletClient, http, parseEther } from 'viem'
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { AnvilInUseError, AnvilStartError, ANVIL_ACCOUNTS, ANVIL_MNEMONIC, anvilBinaryPath, startAnvil, type RunningAnvil } from '../../scripts/lib/anvil.ts'
import { defineL1Chain } from '@ai-rollup/sdk'
import { tempDir } from '../helpers/l1.ts'

const ROOT = resolve(__dirname, '../..')
const dirs: string[] = []

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const running: RunningAnvil[] = []
/** Anvils this file started through another process; killed at the end if a failed test left them. */
const strays: number[] = []
afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()))
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGTERM')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function start(opts: Parameters<typeof startAnvil>[0] = {}): Promise<RunningAnvil> {
  const anvil = await startAnvil({ silent: true, onWarning: () => undefined, ...opts })
  running.push(anvil)
  return anvil
}

function stateDir(): string {
  const d = tempDir('anvil-test-')
  dirs.push(d)
  return d
}

function clients(url: string) {
  const chain = defineL1Chain(url, 31337)
  const transport = http(url, { retryCount: 0 })
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }),
    wallet: createWalletClient({ chain, transport, account: privateKeyToAccount(ANVIL_ACCOUNTS[0].privateKey) }),
  }
}

const RECIPIENT = '0x000000000000000000000000000000000000dEaD'

/** Sends 1 ETH to RECIPIENT and waits for the receipt. */
async function transfer(url: string) {
  const { publicClient, wallet } = clients(url)
  const hash = await wallet.sendTransaction({ to: RECIPIENT, value: parseEther('1') })
  return publicClient.waitForTransactionReceipt({ hash })
}

describe('ANVIL_ACCOUNTS', () => {
  it('are the first 10 accounts of the test mnemonic', () => {
    expect(ANVIL_MNEMONIC).toBe('test test test test test test test test test test test junk')
    ANVIL_ACCOUNTS.forEach(({ address, privateKey }, addressIndex) => {
      const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex })
      expect(account.address).toBe(address)
      expect(privateKeyToAccount(privateKey).address).toBe(address)
    })
  })
})

describe('startAnvil', () => {
  it('runs the binary of the npm package, not one from PATH', () => {
    expect(anvilBinaryPath()).toMatch(/node_modules[\\/]@foundry-rs[\\/]anvil/)
  })

  it('picks a free port itself, so parallel starts never collide, and serves the chain id asked for', async () => {
    const [a, b] = await Promise.all([start(), start({ chainId: 1337 })])
    expect(a.port).not.toBe(b.port)
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`)
    expect(await createPublicClient({ transport: http(a.url) }).getChainId()).toBe(31337)
    expect(await createPublicClient({ transport: http(b.url) }).getChainId()).toBe(1337)
    const balance = await createPublicClient({ transport: http(a.url) }).getBalance({ address: ANVIL_ACCOUNTS[9].address })
    expect(balance).toBe(parseEther('10000'))
    await Promise.all([a.stop(), b.stop()])
    expect(a.process.exitCode !== null || a.process.signalCode !== null).toBe(true)
  })

  it('mines one block per transaction without blockTime, and on an interval with it', async () => {
    const auto = await start()
    const receipt = await transfer(auto.url)
    expect(receipt.blockNumber).toBe(1n)
    const interval = await start({ blockTime: 1 })
    const client = createPublicClient({ transport: http(interval.url) })
    const first = await client.getBlockNumber({ cacheTime: 0 })
    await new Promise((r) => setTimeout(r, 2200))
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBeGreaterThanOrEqual(first + 2n)
    await Promise.all([auto.stop(), interval.stop()])
  })

  it('rejects with Anvil’s own message when it cannot start (port taken)', async () => {
    const first = await start()
    const error = await startAnvil({ port: first.port, silent: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AnvilStartError)
    expect((error as AnvilStartError).message).toMatch(/exited during start-up/)
    expect((error as AnvilStartError).outputTail).toMatch(/in use/i)
    await first.stop()
  })

  it('appends its output to logFile', async () => {
    const dir = stateDir()
    const anvil = await start({ logFile: join(dir, 'logs', 'anvil.log') })
    await anvil.stop()
    expect(readFileSync(join(dir, 'logs', 'anvil.log'), 'utf8')).toContain(`Listening on 127.0.0.1:${anvil.port}`)
  })
})

describe('startAnvil with statePath', () => {
  it('keeps the chain across stop() and restart', async () => {
    const statePath = join(stateDir(), 'l1', 'state.json')
    const first = await start({ statePath })
    const receipt = await transfer(first.url)
    await first.stop() // at once: the state is written on SIGTERM, not only every second
    expect(existsSync(`${statePath}.pid`)).toBe(false)
    const second = await start({ statePath })
    const { publicClient } = clients(second.url)
    expect(await publicClient.getBalance({ address: RECIPIENT })).toBe(parseEther('1'))
    expect(await publicClient.getBlockNumber()).toBe(receipt.blockNumber)
    // The blocks and transactions come back too, not just the balances: the L2 rereads posted batches from them.
    expect((await publicClient.getTransactionReceipt({ hash: receipt.transactionHash })).status).toBe('success')
    await second.stop()
  })

  it('loses at most the last second of blocks to a kill -9', async () => {
    const statePath = join(stateDir(), 'state.json')
    const first = await start({ statePath })
    const receipt = await transfer(first.url)
    await new Promise((r) => setTimeout(r, 1600)) // one state interval and some
    await first.kill9()
    const second = await start({ statePath })
    const { publicClient } = clients(second.url)
    expect(await publicClient.getBalance({ address: RECIPIENT })).toBe(parseEther('1'))
    expect((await publicClient.getTransactionReceipt({ hash: receipt.transactionHash })).blockNumber).toBe(receipt.blockNumber)
    await second.stop()
  })

  it('stops an Anvil still running on the same state file before starting when the process that started it is dead (orphan of a kill -9)', async () => {
    const dir = stateDir()
    const statePath = join(dir, 'state.json')
    // The orphan's parent: a separate process, killed with -9 so it cannot stop its Anvil.
    const parentScript = join(dir, 'parent.ts')
    writeFileSync(parentScript, `import { startAnvil } from ${JSON.stringify(join(ROOT, 'scripts/lib/anvil.ts'))}\nstartAnvil({ statePath: ${JSON.stringify(statePath)}, silent: true }).then((a) => console.log('url ' + a.url))\nsetInterval(() => undefined, 60_000)\n`)
    const parent = spawn(process.execPath, ['--import', 'tsx', parentScript], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    const parentExited = new Promise((r) => parent.once('exit', r))
    const orphanUrl = await new Promise<string>((resolve, reject) => {
      let out = ''
      parent.stdout!.on('data', (d) => {
        out += d
        const m = /url (\S+)/.exec(out)
        if (m !== null) resolve(m[1])
      })
      parent.once('exit', () => reject(new Error(`parent exited: ${out}`)))
    })
    await transfer(orphanUrl)
    parent.kill('SIGKILL')
    await parentExited
    const orphanPid = (JSON.parse(readFileSync(`${statePath}.pid`, 'utf8')) as { pid: number }).pid
    strays.push(orphanPid)
    expect(alive(orphanPid)).toBe(true) // it outlived its parent
    const warnings: string[] = []
    const next = await start({ statePath, onWarning: (m) => warnings.push(m) })
    expect(alive(orphanPid)).toBe(false)
    expect(warnings.join('\n')).toMatch(/stopping the Anvil \(pid \d+\) left running .* by an earlier process \(pid \d+, gone\)/)
    // The orphan wrote its last state on SIGTERM; the new Anvil loaded it.
    expect(await clients(next.url).publicClient.getBalance({ address: RECIPIENT })).toBe(parseEther('1'))
    await next.stop()
  }, 60_000)

  it('refuses a state file whose Anvil was started by a process still running, and signals nothing', async () => {
    const statePath = join(stateDir(), 'state.json')
    const first = await start({ statePath })
    await transfer(first.url)
    const warnings: string[] = []
    const error = await startAnvil({ statePath, silent: true, onWarning: (m) => warnings.push(m) }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AnvilInUseError)
    expect((error as Error).message).toContain(`in use by Anvil (pid ${first.process.pid}), started by process ${process.pid} which is still running`)
    expect(warnings).toEqual([])
    // the first Anvil still serves its chain
    expect(first.process.exitCode).toBeNull()
    expect(await clients(first.url).publicClient.getBalance({ address: RECIPIENT })).toBe(parseEther('1'))
    await first.stop()
  })

  it('falls back to the copy kept at the previous start when the state file is damaged, and says so', async () => {
    const dir = stateDir()
    const statePath = join(dir, 'state.json')
    const first = await start({ statePath })
    await transfer(first.url)
    await first.stop()
    const second = await start({ statePath }) // loads the file with the transfer, keeps it as state.json.bak
    expect(second.restoredFromBackup).toBe(false)
    await transfer(second.url)
    await second.stop()
    // A kill during Anvil's in-place rewrite leaves a truncated file.
    writeFileSync(statePath, readFileSync(statePath, 'utf8').slice(0, 500))
    const warnings: string[] = []
    const third = await start({ statePath, onWarning: (m) => warnings.push(m) })
    expect(third.restoredFromBackup).toBe(true)
    expect(warnings.join('\n')).toMatch(/could not be loaded/)
    expect(readdirSync(dir).some((f) => f.startsWith('state.json.damaged-'))).toBe(true)
    // The second transfer is lost with the damaged file, the first is not.
    expect(await clients(third.url).publicClient.getBalance({ address: RECIPIENT })).toBe(parseEther('1'))
    await third.stop()
  })

  it('refuses a damaged state file when there is no earlier copy, naming the file', async () => {
    const statePath = join(stateDir(), 'state.json')
    writeFileSync(statePath, '{"block":')
    const error = await startAnvil({ statePath, silent: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AnvilStartError)
    expect((error as Error).message).toContain(`cannot load its state file ${statePath}`)
    expect((error as AnvilStartError).outputTail).toMatch(/failed to parse json file/)
  })
})
