import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex, keccak256, type Address, type Hex } from 'viem'
import { writeDeployments } from '../../batcher/deployments.ts'
import { ANVIL_ACCOUNTS } from '../../scripts/lib/anvil.ts'
import { anchorLeaf, formatVerifyAnchorResult, hashDocument, InvalidArgumentError, L1Error, parseAnchorProof, processProof, verifyAnchor, type AnchorProof } from '@ai-rollup/sdk'
import { hashFile } from '../../scripts/verify-anchor.ts'
import { deadL1Url, deployTestL1, rollupAnchorAbi, startTestL1, tempDir, type TestL1 } from '../helpers/l1.ts'

const ROOT = resolve(__dirname, '../..')
const WINDOW = 3600
const ZERO = `0x${'00'.repeat(32)}` as Hex

const random32 = (): Hex => bytesToHex(randomBytes(32))

/** A tree built by OpenZeppelin's library, sharing no code with the verifier or the contract. */
function ozTree(values: Hex[]) {
  return StandardMerkleTree.of(
    values.map((v) => [v]),
    ['bytes32'],
  )
}

interface PostedBatch {
  index: number
  tree?: ReturnType<typeof ozTree>
  txHash: Hex
  l1BlockNumber: number
  l1Timestamp: number
}

let l1: TestL1
let dir: string
let deploymentsPath: string
let rollupAnchor: Address
let env: Awaited<ReturnType<typeof deployTestL1>>
const posted: PostedBatch[] = []
/** The document whose sha256 is anchored in batch 0, and its keccak256 too. */
let documentPath: string
let documentSha256: Hex
let documentKeccak: Hex
const valuesA = Array.from({ length: 5 }, random32)
const valuesB = Array.from({ length: 3 }, random32)

/** Posts the next batch (one L2 block each) with `values` anchored (none: a zero anchor root). */
async function postBatch(values: Hex[] | undefined): Promise<PostedBatch> {
  const tree = values === undefined ? undefined : ozTree(values)
  const block = BigInt(posted.length + 1)
  const txHash = await env.wallet.writeContract({
    address: rollupAnchor,
    abi: rollupAnchorAbi(),
    functionName: 'submitBatch',
    args: [block, block, random32(), random32(), ZERO, (tree?.root as Hex | undefined) ?? ZERO, '0x01'],
  })
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash: txHash })
  expect(receipt.status).toBe('success')
  const l1Block = await env.publicClient.getBlock({ blockNumber: receipt.blockNumber })
  const batch = { index: posted.length, tree, txHash, l1BlockNumber: Number(receipt.blockNumber), l1Timestamp: Number(l1Block.timestamp) }
  posted.push(batch)
  return batch
}

/** The proof file as the L2 node's GET /v1/anchors/{hash} returns it, extra fields included. */
function proofFile(batch: PostedBatch, value: Hex): Omit<AnchorProof, 'l1'> & Record<string, unknown> {
  const tree = batch.tree!
  const leafIndex = [...tree.entries()].find(([, [v]]) => v === value)![0]
  return {
    hash: value,
    status: 'anchored',
    batchIndex: batch.index,
    leafIndex,
    leaf: tree.leafHash([value]) as Hex,
    proof: tree.getProof(leafIndex) as Hex[],
    anchorRoot: tree.root as Hex,
    l1: { chainId: 31337, rollupAnchor, txHash: batch.txHash, blockNumber: batch.l1BlockNumber },
  }
}

function verify(hash: Hex, proof: unknown, extra: { requireFinal?: boolean; minConfirmations?: number; rollupAnchor?: Address; expectedL1ChainId?: number; l1RpcUrl?: string } = {}) {
  const { l1RpcUrl, ...rest } = extra
  return verifyAnchor({ l1: l1RpcUrl ?? l1.url, rollupAnchor, hash, proof: parseAnchorProof(proof), ...rest })
}

/** Runs the CLI as a user would; resolves to its exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/verify-anchor.ts'), ...args], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => done({ code, stdout, stderr }))
  })
}

beforeAll(async () => {
  dir = tempDir('verify-anchor-test-')
  documentPath = join(dir, 'contract.pdf')
  writeFileSync(documentPath, randomBytes(100_000))
  const bytes = readFileSync(documentPath)
  documentSha256 = `0x${createHash('sha256').update(bytes).digest('hex')}`
  documentKeccak = keccak256(bytes)
  valuesA.push(documentSha256, documentKeccak)

  l1 = await startTestL1()
  env = await deployTestL1(l1, { challengeWindowSeconds: WINDOW, sequencerKey: ANVIL_ACCOUNTS[1].privateKey })
  rollupAnchor = env.deployments.rollupAnchor
  deploymentsPath = join(dir, 'deployments.json')
  writeDeployments(deploymentsPath, env.deployments)
  await postBatch(valuesA) // batch 0
  await postBatch(valuesB) // batch 1
  await postBatch(undefined) // batch 2: nothing anchored
})

afterAll(async () => {
  await l1?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the local recomputation', () => {
  it('gives OpenZeppelin StandardMerkleTree’s leaves and root for every value', () => {
    const tree = posted[0].tree!
    for (const [i, [value]] of tree.entries()) {
      expect(anchorLeaf(value as Hex)).toBe(tree.leafHash([value]))
      expect(processProof(anchorLeaf(value as Hex), tree.getProof(i) as Hex[])).toBe(tree.root)
    }
  })

  it('hashes a file with sha256 by default and keccak256 on request, streamed by the CLI and in memory by the SDK alike', async () => {
    expect(await hashFile(documentPath, 'sha256')).toBe(documentSha256)
    expect(await hashFile(documentPath, 'keccak256')).toBe(documentKeccak)
    const bytes = new Uint8Array(readFileSync(documentPath))
    expect(hashDocument(bytes)).toBe(documentSha256)
    expect(hashDocument(bytes, 'keccak256')).toBe(documentKeccak)
  })
})

describe('verifyAnchor', () => {
  it('says valid for every value anchored in a batch, with the batch’s L1 block, time and finality', async () => {
    const batch = posted[0]
    for (const value of valuesA) {
      const r = await verify(value, proofFile(batch, value))
      expect(r.reasons).toEqual([])
      expect(r.valid).toBe(true)
      expect(r.checks).toEqual({ proofIsForHash: true, receiptIsForThisL1: null, batchExists: true, contractVerifies: true, rootMatchesL1: true })
      expect(r.warnings).toEqual([])
    }
    const r = await verify(valuesA[0], proofFile(batch, valuesA[0]))
    expect(r.batch).toEqual({
      firstBlock: 1,
      lastBlock: 1,
      l1BlockNumber: batch.l1BlockNumber,
      submittedAt: batch.l1Timestamp,
      challengeWindowSeconds: WINDOW,
      finalAt: batch.l1Timestamp + WINDOW,
      final: false,
      confirmations: r.l1Block.number - batch.l1BlockNumber + 1,
      anchorRoot: batch.tree!.root,
    })
    expect(r.batch!.confirmations).toBeGreaterThanOrEqual(1)
    expect(r.l1ChainId).toBe(31337)
  })

  it('says invalid for a proof pointed at the wrong batch index', async () => {
    const r = await verify(valuesA[1], { ...proofFile(posted[0], valuesA[1]), batchIndex: 1 })
    expect(r.valid).toBe(false)
    expect(r.checks.contractVerifies).toBe(false)
    expect(r.checks.rootMatchesL1).toBe(false)
    expect(r.reasons.join('\n')).toMatch(/the one the proof file names, but batch 1's anchor root on L1 is 0x[0-9a-f]{64}.*another batch/)
  })

  it('says invalid for a proof and root taken from another batch', async () => {
    // Batch 1's real proof for one of its values, presented as batch 0's.
    const r = await verify(valuesB[0], { ...proofFile(posted[1], valuesB[0]), batchIndex: 0 })
    expect(r.valid).toBe(false)
    expect(r.batch!.anchorRoot).toBe(posted[0].tree!.root)
    expect(r.computedRoot).toBe(posted[1].tree!.root)
    expect(r.reasons[0]).toContain(`batch 0's anchor root on L1 is ${posted[0].tree!.root}`)
  })

  it('says invalid for a hash that was never anchored, even with a proof file made for it', async () => {
    const tampered = random32()
    const r = await verify(tampered, { ...proofFile(posted[0], valuesA[2]), hash: tampered })
    expect(r.valid).toBe(false)
    expect(r.checks.proofIsForHash).toBe(true)
    expect(r.checks.contractVerifies).toBe(false)
    expect(r.checks.rootMatchesL1).toBe(false)
  })

  it('says invalid for a tampered proof', async () => {
    const file = proofFile(posted[0], valuesA[3])
    const proof = [...file.proof]
    proof[0] = `${proof[0].slice(0, -1)}${proof[0].endsWith('0') ? '1' : '0'}` as Hex
    const r = await verify(valuesA[3], { ...file, proof })
    expect(r.valid).toBe(false)
    expect(r.checks.contractVerifies).toBe(false)
    expect(r.checks.rootMatchesL1).toBe(false)
  })

  it('checks the hash the user gives, never the proof file’s own: a proof for another hash is invalid', async () => {
    // A valid proof, for another document than the user's.
    const mine = random32()
    const r = await verify(mine, proofFile(posted[0], valuesA[0]))
    expect(r.valid).toBe(false)
    expect(r.hash).toBe(mine)
    expect(r.checks.proofIsForHash).toBe(false)
    expect(r.reasons[0]).toBe(`the proof file is for ${valuesA[0]}, not for the hash being checked (${mine})`)
  })

  it('says invalid, with the reason, for a batch index L1 has not seen', async () => {
    const r = await verify(valuesA[0], { ...proofFile(posted[0], valuesA[0]), batchIndex: 99 })
    expect(r.valid).toBe(false)
    expect(r.checks.batchExists).toBe(false)
    expect(r.batch).toBeUndefined()
    expect(r.reasons).toEqual(['batch 99 does not exist: RollupAnchor has 3 batches (0 to 2); the L2 may not have posted it yet'])
  })

  it('says invalid for a batch that anchored nothing', async () => {
    const r = await verify(valuesA[0], { ...proofFile(posted[0], valuesA[0]), batchIndex: 2 })
    expect(r.valid).toBe(false)
    expect(r.reasons).toEqual(['batch 2 anchored nothing (its anchor root on L1 is zero)'])
  })

  it('warns when the node names another contract than the trusted one, and checks the trusted one', async () => {
    const file = proofFile(posted[0], valuesA[0])
    const r = await verify(valuesA[0], { ...file, l1: { ...file.l1 as object, rollupAnchor: ANVIL_ACCOUNTS[9].address } })
    expect(r.valid).toBe(true)
    expect(r.warnings).toEqual([`the node claims the batch is in another contract (${ANVIL_ACCOUNTS[9].address}); only the trusted RollupAnchor ${rollupAnchor} is checked`])
  })

  it('fails with L1Error when the L1 is down, has no contract at the address, or is another chain', async () => {
    const file = proofFile(posted[0], valuesA[0])
    const down = await deadL1Url()
    await expect(verify(valuesA[0], file, { l1RpcUrl: down })).rejects.toThrow(new L1Error(`eth_chainId failed at ${down}: connection refused (is the L1 running?)`))
    await expect(verify(valuesA[0], file, { rollupAnchor: ANVIL_ACCOUNTS[9].address })).rejects.toThrow(/there is no contract at 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720 on L1 chain 31337/)
    await expect(verify(valuesA[0], file, { expectedL1ChainId: 1 })).rejects.toThrow(/is chain 31337, but RollupAnchor .* was deployed on chain 1/)
  })

  it('rejects a malformed proof file naming the field', () => {
    const file = proofFile(posted[0], valuesA[0])
    expect(() => parseAnchorProof({ ...file, proof: ['0x12'] }, 'p.json')).toThrow(new InvalidArgumentError('p.json: "proof[0]" must be 0x and 32 bytes of hex, got "0x12"'))
    expect(() => parseAnchorProof({ ...file, batchIndex: '0' }, 'p.json')).toThrow(/"batchIndex" must be a whole number/)
  })

  it('counts L1 confirmations and refuses a batch with fewer than asked for', async () => {
    const file = proofFile(posted[0], valuesA[0])
    const now = await verify(valuesA[0], file)
    expect(now.valid).toBe(true)
    const have = now.batch!.confirmations
    expect(have).toBe(now.l1Block.number - now.batch!.l1BlockNumber + 1)
    const tooFew = await verify(valuesA[0], file, { minConfirmations: have + 5 })
    expect(tooFew.valid).toBe(false)
    expect(tooFew.reasons.join('\n')).toMatch(new RegExp(`has ${have} L1 confirmations?, fewer than the ${have + 5} asked for`))
    expect((await verify(valuesA[0], file, { minConfirmations: have })).valid).toBe(true)
    // one confirmation is singular in the report
    const submitted = (n: number) => formatVerifyAnchorResult({ ...now, batch: { ...now.batch!, confirmations: n } }, 'http://l1').find((l) => l.includes('submitted in L1 block'))
    expect(submitted(1)).toMatch(/\(1 L1 confirmation\)$/)
    expect(submitted(3)).toMatch(/\(3 L1 confirmations\)$/)
  })

  // Last: it moves the L1's clock past the challenge window.
  it('reports finality: not final within the challenge window (invalid with requireFinal), final after it', async () => {
    const file = proofFile(posted[0], valuesA[0])
    const before = await verify(valuesA[0], file, { requireFinal: true })
    expect(before.valid).toBe(false)
    expect(before.checks.rootMatchesL1).toBe(true)
    expect(before.reasons[0]).toMatch(/^batch 0 is not final yet: its challenge window ends at \d{4}-\d\d-\d\dT/)
    await env.publicClient.request({ method: 'evm_increaseTime' as never, params: [WINDOW] as never })
    await env.publicClient.request({ method: 'evm_mine' as never })
    const after = await verify(valuesA[0], file, { requireFinal: true })
    expect(after.valid).toBe(true)
    expect(after.batch!.final).toBe(true)
  })
})

describe('scripts/verify-anchor.ts', () => {
  it('exits 0 and prints VALID for an anchored document given as a file, trusting the deployments file', async () => {
    const proofPath = join(dir, 'proof-doc.json')
    writeFileSync(proofPath, JSON.stringify(proofFile(posted[0], documentSha256)))
    const run = await runCli(['--proof', proofPath, '--file', documentPath, '--l1-rpc', l1.url, '--deployments', deploymentsPath])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toBe(`VALID: ${documentSha256} is anchored in batch 0`)
    expect(run.stdout).toContain(`RollupAnchor ${rollupAnchor} on L1 chain 31337`)
    expect(run.stdout).toContain(`submitted in L1 block ${posted[0].l1BlockNumber} at `)
    expect(run.stdout).toMatch(/final: (yes, since|not yet; final at) /)
  })

  it('exits 1 and prints the reasons as JSON with --json when the proof does not hold (keccak256 of the file, proof for its sha256)', async () => {
    const proofPath = join(dir, 'proof-wrong-alg.json')
    writeFileSync(proofPath, JSON.stringify(proofFile(posted[0], documentSha256)))
    const run = await runCli(['--proof', proofPath, '--file', documentPath, '--hash-alg', 'keccak256', '--l1-rpc', l1.url, '--rollup-anchor', rollupAnchor, '--json'])
    expect(run.code).toBe(1)
    const result = JSON.parse(run.stdout)
    expect(result).toMatchObject({ valid: false, hash: documentKeccak, batchIndex: 0, checks: { proofIsForHash: false } })
    expect(result.reasons[0]).toContain('the proof file is for')
  })

  it('exits 2 with one clear line, no stack trace, when the L1 is down', async () => {
    const proofPath = join(dir, 'proof-down.json')
    writeFileSync(proofPath, JSON.stringify(proofFile(posted[0], valuesA[0])))
    const down = await deadL1Url()
    const run = await runCli(['--proof', proofPath, '--hash', valuesA[0], '--l1-rpc', down, '--rollup-anchor', rollupAnchor])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim()).toBe(`error: eth_chainId failed at ${down}: connection refused (is the L1 running?)`)
  })

  it('exits 2 with the usage for a bad command line', async () => {
    const run = await runCli(['--proof', 'x.json', '--hash', '0x12'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^--hash must be 0x and 32 bytes of hex, got 0x12\nusage:/)
  })
})
