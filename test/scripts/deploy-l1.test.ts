import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPublicClient, getAddress, http, keccak256, parseEther, toHex } from 'viem'
import { DeploymentsFileError, readDeployments, writeDeployments, type L1Deployments } from '../../batcher/deployments.ts'
import { ANVIL_ACCOUNTS } from '../../scripts/lib/anvil.ts'
import { DEFAULT_COMMITTEE, deployL1, readArtifact } from '../../scripts/lib/deploy-l1.ts'
import { deadL1Url, rollupAnchorAbi, startTestL1, tempDir, type TestL1 } from '../helpers/l1.ts'

const ROOT = resolve(__dirname, '../..')

/** Runs scripts/deploy-l1.ts as `npm run deploy:l1` would (without the compile step). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/deploy-l1.ts'), ...args], { cwd: ROOT, env: { ...process.env, L1_DEPLOYER_KEY: '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => done({ code, stdout, stderr }))
  })
}

let l1: TestL1
let dir: string
beforeAll(async () => {
  l1 = await startTestL1()
  dir = tempDir('deploy-l1-test-')
})
afterAll(async () => {
  await l1?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('scripts/deploy-l1.ts', () => {
  it('deploys RollupAnchor with the roles and window asked for and writes a deployments file readDeployments accepts', async () => {
    const out = join(dir, 'nested', 'deployments.json')
    const deployer = ANVIL_ACCOUNTS[3]
    const sequencer = ANVIL_ACCOUNTS[4].address
    // The key comes from the environment, as the usage recommends (not in shell history).
    const run = await runCli(['--l1-rpc', l1.url, '--sequencer', sequencer, '--challenge-window', '120', '--l2-chain-id', '777', '--out', out], { L1_DEPLOYER_KEY: deployer.privateKey })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)

    const d = readDeployments(out)
    expect(d).toMatchObject({ l1ChainId: 31337, l2ChainId: 777, admin: deployer.address, sequencer, challengeWindowSeconds: 120 })
    expect(run.stdout).toContain(`RollupAnchor ${d.rollupAnchor}`)
    expect(run.stdout).toContain(`wrote ${out}`)

    const client = createPublicClient({ transport: http(l1.url) })
    expect(await client.getCode({ address: d.rollupAnchor })).toMatch(/^0x[0-9a-f]{100,}$/)
    const receiptBlock = await client.getBlock({ blockNumber: BigInt(d.deployedAtBlock), includeTransactions: true })
    expect(receiptBlock.transactions.some((tx) => tx.from.toLowerCase() === deployer.address.toLowerCase() && tx.to === null)).toBe(true)

    const abi = rollupAnchorAbi()
    const read = (functionName: string, args: unknown[] = []) => client.readContract({ address: d.rollupAnchor, abi, functionName, args })
    const sequencerRole = keccak256(toHex('SEQUENCER_ROLE'))
    expect(await read('hasRole', [sequencerRole, sequencer])).toBe(true)
    expect(await read('hasRole', [sequencerRole, deployer.address])).toBe(false)
    expect(await read('hasRole', [await read('DEFAULT_ADMIN_ROLE'), deployer.address])).toBe(true)
    expect(await read('challengeWindow')).toBe(120n)

    // The ValidatorSet is linked, and the deployer posted the sequencer's minimum bond.
    expect(run.stdout).toContain(`ValidatorSet ${d.validatorSet}`)
    expect(await read('validatorSet')).toBe(d.validatorSet)
    const vsAbi = readArtifact('L1/ValidatorSet.sol/ValidatorSet.json')!.abi
    const readVs = (functionName: string, args: unknown[] = []) => client.readContract({ address: d.validatorSet!, abi: vsAbi, functionName, args })
    expect(await readVs('rollupAnchor')).toBe(d.rollupAnchor)
    expect(await readVs('treasury')).toBe(deployer.address)
    expect(await readVs('MIN_SEQUENCER_BOND')).toBe(DEFAULT_COMMITTEE.minSequencerBondWei)
    expect(((await readVs('bondOf', [sequencer])) as bigint[])[0]).toBe(DEFAULT_COMMITTEE.minSequencerBondWei)

    // L1Bridge is deployed too once it is compiled, pointing at this RollupAnchor.
    if (readArtifact('L1/L1Bridge.sol/L1Bridge.json') !== undefined) {
      expect(d.l1Bridge).toBeDefined()
      expect(await client.getCode({ address: d.l1Bridge! })).toMatch(/^0x[0-9a-f]+$/)
      expect(run.stdout).toContain(`L1Bridge     ${d.l1Bridge}`)
    } else {
      expect(d.l1Bridge).toBeUndefined()
    }
  })

  it('refuses to replace an existing deployments file unless --force', async () => {
    const out = join(dir, 'existing.json')
    writeFileSync(out, '{}')
    const key = ANVIL_ACCOUNTS[5].privateKey
    const refused = await runCli(['--l1-rpc', l1.url, '--key', key, '--out', out])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/exists.*--force/)
    expect(readFileSync(out, 'utf8')).toBe('{}')
    const forced = await runCli(['--l1-rpc', l1.url, '--key', key, '--out', out, '--force'])
    expect(forced.code).toBe(0)
    expect(readDeployments(out).admin).toBe(ANVIL_ACCOUNTS[5].address)
  })

  it('exits 2 with the usage when no key is given', async () => {
    const run = await runCli(['--l1-rpc', l1.url, '--out', join(dir, 'nokey.json')])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/no deployer key: pass --key 0x… or set L1_DEPLOYER_KEY/)
    expect(run.stderr).toMatch(/usage:/)
  })

  it('exits 1 with one clear line when the L1 does not answer', async () => {
    const url = await deadL1Url()
    const run = await runCli(['--l1-rpc', url, '--key', ANVIL_ACCOUNTS[0].privateKey, '--out', join(dir, 'down.json')])
    expect(run.code).toBe(1)
    expect(run.stderr.trim()).toBe(`deploy-l1 failed: no L1 answers at ${url} (connection refused (is the L1 running?))`)
    expect(existsSync(join(dir, 'down.json'))).toBe(false)
  })
})

describe('deployL1', () => {
  it('defaults to the deployer as sequencer, a 7-day window and L2 chain 42424', async () => {
    const d = await deployL1({ rpcUrl: l1.url, privateKey: ANVIL_ACCOUNTS[6].privateKey })
    expect(d).toMatchObject({ l2ChainId: 42424, challengeWindowSeconds: 604_800, admin: ANVIL_ACCOUNTS[6].address, sequencer: ANVIL_ACCOUNTS[6].address })
  })

  it('deploys the ValidatorSet with the committee parameters, treasury and sequencer bond asked for', async () => {
    const treasury = ANVIL_ACCOUNTS[2].address
    const d = await deployL1({
      rpcUrl: l1.url,
      privateKey: ANVIL_ACCOUNTS[8].privateKey,
      sequencer: ANVIL_ACCOUNTS[4].address,
      committee: { minStakeWei: parseEther('2'), commitPeriodSeconds: 7, revealPeriodSeconds: 9 },
      treasury,
      sequencerBondWei: parseEther('3'),
    })
    const client = createPublicClient({ transport: http(l1.url) })
    const abi = readArtifact('L1/ValidatorSet.sol/ValidatorSet.json')!.abi
    const read = (functionName: string, args: unknown[] = []) => client.readContract({ address: d.validatorSet!, abi, functionName, args })
    expect([await read('MIN_STAKE'), await read('COMMIT_PERIOD'), await read('REVEAL_PERIOD'), await read('treasury')]).toEqual([parseEther('2'), 7n, 9n, treasury])
    expect(await read('MIN_CHALLENGE_BOND')).toBe(DEFAULT_COMMITTEE.minChallengeBondWei)
    expect(((await read('bondOf', [ANVIL_ACCOUNTS[4].address])) as bigint[])[0]).toBe(parseEther('3'))
  })

  it('posts no bond with sequencerBondWei 0', async () => {
    const d = await deployL1({ rpcUrl: l1.url, privateKey: ANVIL_ACCOUNTS[9].privateKey, sequencerBondWei: 0n })
    const client = createPublicClient({ transport: http(l1.url) })
    const abi = readArtifact('L1/ValidatorSet.sol/ValidatorSet.json')!.abi
    const bond = (await client.readContract({ address: d.validatorSet!, abi, functionName: 'bondOf', args: [ANVIL_ACCOUNTS[9].address] })) as bigint[]
    expect(bond[0]).toBe(0n)
  })

  it('rejects a zero challenge window before sending anything', async () => {
    await expect(deployL1({ rpcUrl: l1.url, privateKey: ANVIL_ACCOUNTS[7].privateKey, challengeWindowSeconds: 0 })).rejects.toThrow(/challenge window must be a whole number of seconds ≥ 1/)
    const nonce = await createPublicClient({ transport: http(l1.url) }).getTransactionCount({ address: ANVIL_ACCOUNTS[7].address })
    expect(nonce).toBe(0)
  })
})

describe('readDeployments', () => {
  const valid: L1Deployments = {
    l1ChainId: 31337,
    l2ChainId: 42424,
    rollupAnchor: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    deployedAtBlock: 1,
    admin: ANVIL_ACCOUNTS[0].address,
    sequencer: ANVIL_ACCOUNTS[1].address,
    challengeWindowSeconds: 604_800,
  }
  const write = (name: string, content: unknown): string => {
    const path = join(dir, name)
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    return path
  }
  const rejection = (path: string): DeploymentsFileError => {
    try {
      readDeployments(path)
    } catch (error) {
      expect(error).toBeInstanceOf(DeploymentsFileError)
      return error as DeploymentsFileError
    }
    throw new Error(`${path} was accepted`)
  }

  it('round-trips what writeDeployments wrote, atomically (no temp file left)', () => {
    const path = join(dir, 'rt', 'deployments.json')
    const full = { ...valid, l1Bridge: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', validatorSet: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' } as const
    writeDeployments(path, full)
    expect(readDeployments(path)).toEqual(full)
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8'))).slice(0, 5)).toEqual(['l1ChainId', 'l2ChainId', 'rollupAnchor', 'l1Bridge', 'validatorSet'])
    expect(readdirSync(join(dir, 'rt'))).toEqual(['deployments.json'])
  })

  it('accepts lower-case addresses and returns them checksummed; ignores unknown fields', () => {
    const path = write('lower.json', { ...valid, rollupAnchor: valid.rollupAnchor.toLowerCase(), note: 'x' })
    const d = readDeployments(path)
    expect(d.rollupAnchor).toBe(getAddress(valid.rollupAnchor))
    expect(d).not.toHaveProperty('note')
  })

  it.each([
    ['a missing field', { ...valid, rollupAnchor: undefined }, 'rollupAnchor', /is missing/],
    ['an address that is not one', { ...valid, sequencer: '0x1234' }, 'sequencer', /must be a 20-byte hex address, got "0x1234"/],
    ['an address with a wrong checksum', { ...valid, admin: '0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266' }, 'admin', /wrong checksum/],
    ['a chain id given as a string', { ...valid, l1ChainId: '31337' }, 'l1ChainId', /must be an integer ≥ 1, got "31337"/],
    ['a negative block', { ...valid, deployedAtBlock: -1 }, 'deployedAtBlock', /must be an integer ≥ 0/],
    ['a zero challenge window', { ...valid, challengeWindowSeconds: 0 }, 'challengeWindowSeconds', /must be an integer ≥ 1/],
    ['a malformed l1Bridge', { ...valid, l1Bridge: 'nope' }, 'l1Bridge', /20-byte hex address/],
    ['a malformed validatorSet', { ...valid, validatorSet: '0x12' }, 'validatorSet', /20-byte hex address/],
  ] as const)('rejects %s, naming the file and the field', (_what, content, field, message) => {
    const path = write(`bad-${field}.json`, content)
    const error = rejection(path)
    expect(error.field).toBe(field)
    expect(error.message).toContain(`${path}: field "${field}"`)
    expect(error.message).toMatch(message)
  })

  it('rejects a file that is not JSON, and a missing file with how to make one', () => {
    expect(rejection(write('garbage.json', '{"l1ChainId": 1,')).message).toMatch(/garbage\.json: is not JSON/)
    expect(rejection(join(dir, 'absent.json')).message).toMatch(/absent\.json: no such file; deploy the L1 contracts with `npm run deploy:l1/)
  })
})
