/**
 * `npm start`'s devnet as a user meets it: the README flow end to end in a child process (L2
 * transactions, hashes anchored over HTTP and through DataAnchor, posted to the embedded L1, a
 * proof fetched and checked by the verify CLI against L1 alone), then a restart that finds the
 * same contracts, batches and chain (Anvil's state file), with no re-deployment; its validator
 * makes batches final by attestation.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeFunctionData, keccak256, parseAbi, parseEther, toHex, type Hex } from 'viem'
import { clientsFor, freePort, accounts, ROOT, rpc } from '../helpers/node.ts'
import { until } from '../helpers/rollup.ts'
import { DATA_ANCHOR } from '../../precompiles/addresses.ts'
import { validatorSetAbi } from '../../validator/index.ts'

interface Devnet {
  child: ChildProcess
  output: () => string
  stop(): Promise<number | null>
}

async function startDevnet(dataDir: string, port: number, l1Port: number, extraArgs: string[] = []): Promise<Devnet> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/devnet.ts'), '--data-dir', dataDir, '--port', String(port), '--l1-port', String(l1Port), '--l1-block-time', '1', '--challenge-window', '3', '--log-level', 'error', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  await until(() => {
    if (child.exitCode !== null) throw new Error(`devnet exited: ${output}`)
    return output.includes('devnet is up') || undefined
  }, 'the devnet to come up', 60_000)
  return {
    child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM')
      return exited
    },
  }
}

const anchorAbi = parseAbi(['function anchor(bytes32[] hashes)'])

describe('npm start (devnet)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-test-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('runs the README flow, and a restart keeps contracts, batches and chain', async () => {
    const [port, l1Port] = [await freePort(), await freePort()]
    let devnet = await startDevnet(dataDir, port, l1Port)
    const url = `http://127.0.0.1:${port}`
    const l1Url = `http://127.0.0.1:${l1Port}`
    try {
      const rollupAnchor = /RollupAnchor\s+(0x[0-9a-fA-F]{40})/.exec(devnet.output())![1]
      const { publicClient, wallet } = clientsFor(url)
      const transfer = await wallet(1).sendTransaction({ to: accounts[2].address as Hex, value: parseEther('1') })
      await publicClient.waitForTransactionReceipt({ hash: transfer })

      const viaHttp = keccak256(toHex('devnet document'))
      const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dev-anchor-key' }, body: JSON.stringify({ hashes: [viaHttp] }) })
      expect(res.status).toBe(202)
      const viaContract = keccak256(toHex('devnet document anchored by a wallet'))
      const tx = await wallet(3).sendTransaction({ to: DATA_ANCHOR, data: encodeFunctionData({ abi: anchorAbi, functionName: 'anchor', args: [[viaContract]] }) })
      await publicClient.waitForTransactionReceipt({ hash: tx })

      for (const hash of [viaHttp, viaContract]) {
        const proof = await until(async () => {
          const s = await (await fetch(`${url}/v1/anchors/${hash}`)).json()
          return s.status === 'final' ? s : undefined
        }, `${hash} to be posted and final`, 60_000)
        const file = join(dataDir, `${hash}.json`)
        writeFileSync(file, JSON.stringify(proof))
        const verdict = await runVerify(['--proof', file, '--hash', hash, '--l1-rpc', l1Url, '--deployments', join(dataDir, 'l1', 'deployments.json')])
        expect(verdict.code, verdict.output).toBe(0)
        expect(verdict.output).toMatch(/VALID/)
      }
      // the devnet's validator made them final by attestation (QuorumReached), not only by their window
      expect(devnet.output()).toMatch(/validators\s+1, 1 ETH of stake each/)
      const validatorSet = /ValidatorSet\s+(0x[0-9a-fA-F]{40})/.exec(devnet.output())![1] as Hex
      const quorumCovered = await until(async () => {
        const n = BigInt(await rpc(l1Url, 'eth_call', [{ to: validatorSet, data: encodeFunctionData({ abi: validatorSetAbi, functionName: 'quorumCoveredCount' }) }, 'latest']))
        return n > 0n ? n : undefined
      }, 'a batch final by attestation', 30_000)
      expect(quorumCovered).toBeGreaterThan(0n)
      const validator = await rpc(`http://127.0.0.1:${port + 1}`, 'validator_getStatus')
      expect(validator.lastAttestedBatch).not.toBeNull()
      // it posts blobs by default: the batcher's RollupAnchor transactions are type 3
      expect(devnet.output()).toMatch(/batcher\s+0x[0-9a-fA-F]{40}\s+posts every 2 s of new blocks, in blobs/)
      const l1Head = Number(await rpc(l1Url, 'eth_blockNumber'))
      let blobTxs = 0
      for (let n = 1; n <= l1Head; n++) {
        const block = await rpc(l1Url, 'eth_getBlockByNumber', [toHex(n), true])
        blobTxs += block.transactions.filter((t: { to: string | null; type: string }) => t.to?.toLowerCase() === rollupAnchor.toLowerCase() && t.type === '0x3').length
      }
      expect(blobTxs).toBeGreaterThan(0)
      const before = await rpc(url, 'rollup_getBatcherStatus')
      expect(await devnet.stop()).toBe(0)

      devnet = await startDevnet(dataDir, port, l1Port)
      expect(devnet.output()).not.toMatch(/deployed RollupAnchor/)
      expect(/RollupAnchor\s+(0x[0-9a-fA-F]{40})/.exec(devnet.output())![1]).toBe(rollupAnchor)
      const after = await rpc(url, 'rollup_getBatcherStatus')
      expect(after.lastPostedBlock).toBeGreaterThanOrEqual(before.lastPostedBlock)
      expect(after.batchesPosted).toBeGreaterThanOrEqual(before.batchesPosted)
      const receipt = await rpc(url, 'eth_getTransactionReceipt', [transfer])
      expect(receipt.status).toBe('0x1')
      expect((await (await fetch(`${url}/v1/anchors/${viaHttp}`)).json()).status).toBe('final')

      // a replica rebuilt from L1 alone agrees with every batch's block hash and state root
      const rebuilt = await runScript('scripts/rebuild-from-l1.ts', ['--data-dir', join(dataDir, 'replica'), '--l1-rpc', l1Url, '--deployments', join(dataDir, 'l1', 'deployments.json')])
      expect(rebuilt.code, rebuilt.output).toBe(0)
      expect(rebuilt.output).toMatch(/every batch end matches/)
      // its progress on stderr (scripts/lib/progress.ts): at least the final count
      expect(rebuilt.output).toMatch(/^batches (\d+)\/\1, [\d,]+ blocks re-executed \(\d+\.\d s\)$/m)
    } finally {
      await devnet.stop()
    }
  }, 180_000)
})

describe('npm start and the node options', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-options-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('npm start -- --block-time 500 (a node option) reaches the L2 node; --l1-unreachable-warn is accepted too', async () => {
    const [port, l1Port] = [await freePort(), await freePort()]
    const devnet = await startDevnet(dataDir, port, l1Port, ['--block-time', '500', '--l1-unreachable-warn', '90000'])
    try {
      const config = await rpc(`http://127.0.0.1:${port}`, 'rollup_getConfig')
      expect(config.blockTimeMs).toBe(500)
      expect(devnet.output()).toContain('posts every 2 s of new blocks') // the devnet's own default still applies
      // npm start opens to the explorer, which offers the devnet's own L1 for Verify on L1
      expect(devnet.output()).toContain(`explorer              http://127.0.0.1:${port}/`)
      const home = await fetch(`http://127.0.0.1:${port}/`)
      expect(home.headers.get('content-type')).toContain('text/html')
      expect(await home.text()).toContain(`"l1RpcUrl":"http://127.0.0.1:${l1Port}"`)
      // the banner ends with next steps, with the flags this devnet's ports and data dir need
      const banner = devnet.output()
      const steps = banner.slice(banner.indexOf('next steps'))
      expect(steps).toContain(`Add network: RPC URL http://127.0.0.1:${port}, chain ID 42424, currency ETH`)
      expect(steps).toContain(`npm run models:register -- --rpc http://127.0.0.1:${port}`)
      expect(steps).toContain(`npm run models:register -- ./model.onnx --name "my model" --rpc http://127.0.0.1:${port}`)
      expect(steps).toContain(`L2_RPC_URL=http://127.0.0.1:${port} npm run deploy:examples`)
      expect(steps).toContain(`npm run bridge -- deposit-eth 1 --wait --l1-rpc http://127.0.0.1:${l1Port} --l2-rpc http://127.0.0.1:${port} --deployments ${join(dataDir, 'l1', 'deployments.json')}`)
    } finally {
      expect(await devnet.stop()).toBe(0)
    }
  }, 60_000)
})

describe('npm start twice on one data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-twice-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('the second start leaves the running devnet (and its L1) untouched and exits 1 naming it', async () => {
    const [port, l1Port] = [await freePort(), await freePort()]
    const first = await startDevnet(dataDir, port, l1Port)
    try {
      const l1Before = BigInt(await rpc(`http://127.0.0.1:${l1Port}`, 'eth_blockNumber'))
      const second = await runScript('scripts/devnet.ts', ['--data-dir', dataDir, '--port', String(await freePort()), '--l1-port', String(await freePort()), '--log-level', 'error'], 30_000)
      expect(second.code).toBe(1)
      expect(second.output).toContain(`a devnet is already running from this data directory (pid ${first.child.pid}, L2 on :${port}); stop it with Ctrl-C or use --data-dir`)
      expect(second.output).not.toMatch(/stopping the Anvil/)
      // the first devnet's L1 still mines (1 s blocks) and its L2 still answers
      await until(async () => BigInt(await rpc(`http://127.0.0.1:${l1Port}`, 'eth_blockNumber')) > l1Before || undefined, 'the first L1 to mine on', 10_000)
      expect(await rpc(`http://127.0.0.1:${port}`, 'eth_chainId')).toMatch(/^0x/)
      expect((await rpc(`http://127.0.0.1:${port}`, 'rollup_getBatcherStatus')).running).toBe(true)
      expect(first.child.exitCode).toBeNull()
    } finally {
      expect(await first.stop()).toBe(0)
    }
    // a clean stop releases the lock
    expect(existsSync(join(dataDir, 'devnet.lock'))).toBe(false)
  }, 120_000)
})

describe('npm start -- --workers 3', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'devnet-workers-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('registers the example off-chain models, runs three workers, and the README example dApps get a classification and a generated text', async () => {
    const [port, l1Port] = [await freePort(), await freePort()]
    const devnet = await startDevnet(dataDir, port, l1Port, ['--workers', '3', '--validators', '0'])
    try {
      expect(devnet.output()).toMatch(/inference workers {5}3, 2 ETH of stake each, 0\.001 ETH per request: spam-classifier 0x[0-9a-f]{64}, tiny-lm 0x[0-9a-f]{64}/)
      const url = `http://127.0.0.1:${port}`
      await until(async () => {
        const models = await rpc(url, 'ai_listModels')
        return (models.length === 2 && models.every((m: { nodes: Hex }) => m.nodes === '0x3')) || undefined
      }, 'three workers to serve both models', 60_000)
      const { code, output } = await runCommand('npx', ['hardhat', 'run', 'scripts/deploy-offchain-examples.ts', '--network', 'l2'], { L2_RPC_URL: url, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' })
      expect(code, output).toBe(0)
      expect(output).toMatch(/post 1 "Hi team[^\n]*": accepted \(p\(spam\) 0\.\d{4}\)/)
      expect(output).toMatch(/post 2 "CLICK HERE[^\n]*": rejected \(p\(spam\) [01]\.\d{4}\)/)
      expect(output).toMatch(/generated from "The model said ": "[ -~]{32}" \(done\)/)
    } finally {
      expect(await devnet.stop()).toBe(0)
    }
  }, 240_000)

  it('refuses more workers than it has keys for', async () => {
    const { code, output } = await runScript('scripts/devnet.ts', ['--data-dir', join(dataDir, 'x'), '--workers', '6', '--port', String(await freePort()), '--l1-port', String(await freePort())], 60_000)
    expect(code).toBe(1)
    expect(output).toContain('--workers takes 0 to 5, got 6')
  }, 90_000)
})

/** Runs a command to its end with extra environment; SIGTERM after `timeoutMs`. */
function runCommand(command: string, args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

const runVerify = (args: string[]) => runScript('scripts/verify-anchor.ts', args)

/** Runs a script to its end; SIGTERM after `timeoutMs` (a script that should have exited but did not), so no test leaves it running. */
function runScript(script: string, args: string[], timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (d) => (output += d))
    child.stderr!.on('data', (d) => (output += d))
    const timer = setTimeout(() => {
      output += `\n(still running after ${timeoutMs} ms: stopped)`
      child.kill('SIGTERM')
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}
