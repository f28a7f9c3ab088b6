/**
 * The enterprise's verifier: is this document hash anchored on L1? It trusts only the L1 and the
 * RollupAnchor address the user gives (or their deployments file); the proof file from the L2
 * node (`GET /v1/anchors/{hash}`) is only a claim to check.
 *
 *   npx tsx scripts/verify-anchor.ts --proof proof.json (--hash 0x<32 bytes> | --file PATH
 *       [--hash-alg sha256|keccak256]) [--l1-rpc URL] [--rollup-anchor 0x… | --deployments FILE]
 *       [--require-final] [--json]
 *
 * Checks, all against L1 state at one L1 block:
 * 1. the proof file is about the hash the user gave (the hash of their --file, or --hash), never
 *    taking the file's own `hash` field for it;
 * 2. the batch exists, and RollupAnchor.verifyAnchor(batchIndex, hash, proof) is true;
 * 3. the root recomputed here from the hash and the proof (leaf = keccak256(keccak256(abi.encode
 *    (bytes32))), sorted-pair keccak256, as OpenZeppelin's StandardMerkleTree) equals the batch's
 *    anchor root read from L1. This needs no trust in the contract's code: a contract that said
 *    yes to anything would fail here.
 * It reports the batch's L1 block, submission time and finality (challenge window passed).
 * Exit codes: 0 valid, 1 invalid, 2 usage or L1 error.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { BaseError, bytesToHex, concat, ContractFunctionRevertedError, createPublicClient, getAddress, hexToBytes, http, isAddress, keccak256, parseAbi, type Address, type Hex } from 'viem'
import { readDeployments } from '../batcher/deployments.ts'
import { errorText } from './lib/deploy-l1.ts'

export const DEFAULT_L1_RPC_URL = 'http://127.0.0.1:8545'
export const DEFAULT_DEPLOYMENTS_PATH = 'data/l1/deployments.json'
/** How long one L1 request may take, in ms, before the L1 counts as down. */
const L1_TIMEOUT_MS = 10_000

/**
 * The part of RollupAnchor the verifier calls, written out here rather than read from Hardhat's
 * artifacts: the verifier must run where nothing was compiled.
 */
export const ROLLUP_ANCHOR_VERIFY_ABI = parseAbi([
  'struct Batch { uint64 firstBlock; uint64 lastBlock; uint64 submittedAt; uint64 l1BlockNumber; uint64 challengeWindow; bytes32 stateRoot; bytes32 blockHash; bytes32 withdrawalRoot; bytes32 anchorRoot; bytes32 dataHash; }',
  'function batchCount() view returns (uint256)',
  'function getBatch(uint256 batchIndex) view returns (Batch)',
  'function isFinal(uint256 batchIndex) view returns (bool)',
  'function verifyAnchor(uint256 batchIndex, bytes32 dataHash, bytes32[] proof) view returns (bool)',
  'error UnknownBatch(uint256 batchIndex)',
])

/** The fields of the node's proof file the verifier reads; the others are ignored. */
export interface AnchorProofFile {
  hash: Hex
  batchIndex: number
  proof: Hex[]
  anchorRoot: Hex
  /** What the node says about where it posted; only compared with the trusted values, for warnings. */
  l1?: { chainId?: number; rollupAnchor?: string }
}

/** The command line or an input file is wrong; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The L1 could not be asked (down, wrong chain, no RollupAnchor there); exit code 2. */
export class L1Error extends Error {
  override name = 'L1Error'
}

export interface VerifyAnchorParameters {
  /** JSON-RPC URL of the L1: the only party trusted. */
  l1RpcUrl: string
  /** The RollupAnchor to trust (from the user, not from the proof file). */
  rollupAnchor: Address
  /** The hash to check: the user's own, never the proof file's `hash`. */
  hash: Hex
  /** The node's proof (parseProofFile). */
  proof: AnchorProofFile
  /** L1 chain id the user expects (from their deployments file); another one is an L1Error. */
  expectedL1ChainId?: number
  /** Count a batch whose challenge window has not passed as invalid. */
  requireFinal?: boolean
  /** Count a batch with fewer L1 confirmations (its own block included) as invalid; default 1. */
  minConfirmations?: number
}

export interface VerifyAnchorBatch {
  firstBlock: number
  lastBlock: number
  /** L1 block the batch was submitted in. */
  l1BlockNumber: number
  /** L1 timestamp of the submission, in seconds. */
  submittedAt: number
  /** Challenge window of the batch, in seconds. */
  challengeWindowSeconds: number
  /** When the batch is (or was) final: submittedAt + challengeWindowSeconds, in seconds. */
  finalAt: number
  /** RollupAnchor.isFinal at the L1 block read. */
  final: boolean
  /** L1 blocks that include the submission, its own counted, at the L1 block read. */
  confirmations: number
  anchorRoot: Hex
}

export interface VerifyAnchorResult {
  valid: boolean
  hash: Hex
  batchIndex: number
  rollupAnchor: Address
  l1ChainId: number
  /** The L1 block all reads were made at. */
  l1Block: { number: number; timestamp: number }
  /** Why the hash is not proven anchored; empty when valid. */
  reasons: string[]
  /** Things that do not change the verdict but deserve attention (the node names another contract, …). */
  warnings: string[]
  checks: {
    /** The proof file's `hash` equals the hash checked. */
    proofIsForHash: boolean
    /** batchIndex < batchCount() on L1. */
    batchExists: boolean
    /** RollupAnchor.verifyAnchor on L1 (null when the batch does not exist). */
    contractVerifies: boolean | null
    /** Locally recomputed root equals the batch's anchor root on L1 (null when the batch does not exist). */
    rootMatchesL1: boolean | null
  }
  /** The root the proof leads to from this hash, computed here. */
  computedRoot: Hex
  /** The batch as L1 records it; absent when there is no such batch. */
  batch?: VerifyAnchorBatch
}

/** keccak256(keccak256(abi.encode(value))) for a bytes32: abi.encode of a bytes32 is its 32 bytes. */
export function anchorLeaf(value: Hex): Hex {
  return keccak256(keccak256(value))
}

/** Folds a sorted-pair keccak256 Merkle proof onto a leaf (OpenZeppelin MerkleProof.processProof). */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  return proof.reduce<Hex>((node, sibling) => {
    const [lo, hi] = BigInt(node) <= BigInt(sibling) ? [node, sibling] : [sibling, node]
    return keccak256(concat([lo, hi]))
  }, leaf)
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/

/** Checks the fields the verifier needs, naming the one that is wrong. */
export function parseProofFile(json: unknown, source = 'proof file'): AnchorProofFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`${source} must hold a JSON object`)
  const raw = json as Record<string, unknown>
  const bytes32 = (field: string, v: unknown): Hex => {
    if (typeof v !== 'string' || !BYTES32.test(v)) throw new UsageError(`${source}: "${field}" must be 0x and 32 bytes of hex, got ${JSON.stringify(v)}`)
    return v.toLowerCase() as Hex
  }
  const batchIndex = raw.batchIndex
  if (typeof batchIndex !== 'number' || !Number.isSafeInteger(batchIndex) || batchIndex < 0) {
    throw new UsageError(`${source}: "batchIndex" must be a whole number ≥ 0, got ${JSON.stringify(batchIndex)}`)
  }
  if (!Array.isArray(raw.proof)) throw new UsageError(`${source}: "proof" must be an array of 32-byte hex strings`)
  const file: AnchorProofFile = {
    hash: bytes32('hash', raw.hash),
    batchIndex,
    proof: raw.proof.map((p, i) => bytes32(`proof[${i}]`, p)),
    anchorRoot: bytes32('anchorRoot', raw.anchorRoot),
  }
  const l1 = raw.l1
  if (typeof l1 === 'object' && l1 !== null) {
    const { chainId, rollupAnchor } = l1 as Record<string, unknown>
    file.l1 = {
      ...(typeof chainId === 'number' ? { chainId } : {}),
      ...(typeof rollupAnchor === 'string' ? { rollupAnchor } : {}),
    }
  }
  return file
}

/**
 * Checks on L1 that `hash` is anchored as `proof` says. Resolves with the verdict and its
 * reasons whenever the L1 answered; rejects with L1Error when it did not (or holds no
 * RollupAnchor at the address).
 *
 * @example
 * const r = await verifyAnchor({ l1RpcUrl, rollupAnchor, hash, proof: parseProofFile(json) })
 * if (r.valid) console.log(`anchored in batch ${r.batchIndex}, L1 block ${r.batch!.l1BlockNumber}`)
 */
export async function verifyAnchor(params: VerifyAnchorParameters): Promise<VerifyAnchorResult> {
  const hash = params.hash.toLowerCase() as Hex
  if (!BYTES32.test(hash)) throw new UsageError(`the hash must be 0x and 32 bytes of hex, got ${params.hash}`)
  const rollupAnchor = getAddress(params.rollupAnchor)
  const { proof: file } = params
  const reasons: string[] = []
  const warnings: string[] = []

  const proofIsForHash = file.hash === hash
  if (!proofIsForHash) reasons.push(`the proof file is for ${file.hash}, not for the hash being checked (${hash})`)
  if (file.l1?.rollupAnchor !== undefined && file.l1.rollupAnchor.toLowerCase() !== rollupAnchor.toLowerCase()) {
    warnings.push(`the node claims the batch is in another contract (${file.l1.rollupAnchor}); only the trusted RollupAnchor ${rollupAnchor} is checked`)
  }
  const computedRoot = processProof(anchorLeaf(hash), file.proof)

  const client = createPublicClient({ transport: http(params.l1RpcUrl, { retryCount: 0, timeout: L1_TIMEOUT_MS }) })
  const ask = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      throw new L1Error(`${what} failed at ${params.l1RpcUrl}: ${l1ErrorText(error)}`)
    }
  }
  const l1ChainId = await ask('eth_chainId', () => client.getChainId())
  if (params.expectedL1ChainId !== undefined && l1ChainId !== params.expectedL1ChainId) {
    throw new L1Error(`the L1 at ${params.l1RpcUrl} is chain ${l1ChainId}, but RollupAnchor ${rollupAnchor} was deployed on chain ${params.expectedL1ChainId}`)
  }
  if (file.l1?.chainId !== undefined && file.l1.chainId !== l1ChainId) {
    warnings.push(`the node claims the batch is on L1 chain ${file.l1.chainId}; the L1 checked is chain ${l1ChainId}`)
  }
  // Every read at one block, so that a batch posted or a block mined meanwhile cannot mix two states.
  const head = await ask('eth_getBlockByNumber', () => client.getBlock({ blockTag: 'latest' }))
  const blockNumber = head.number
  const l1Block = { number: Number(blockNumber), timestamp: Number(head.timestamp) }
  const code = await ask('eth_getCode', () => client.getCode({ address: rollupAnchor, blockNumber }))
  if (code === undefined || code === '0x') throw new L1Error(`there is no contract at ${rollupAnchor} on L1 chain ${l1ChainId} (${params.l1RpcUrl}): wrong --rollup-anchor, deployments file or L1?`)
  const read = <T>(functionName: 'batchCount' | 'getBatch' | 'isFinal' | 'verifyAnchor', args: readonly unknown[] = []) =>
    ask(`RollupAnchor.${functionName}`, () => client.readContract({ address: rollupAnchor, abi: ROLLUP_ANCHOR_VERIFY_ABI, functionName, args, blockNumber } as never) as Promise<T>)

  const base = { hash, batchIndex: file.batchIndex, rollupAnchor, l1ChainId, l1Block, reasons, warnings, computedRoot }
  const batchCount = await read<bigint>('batchCount')
  if (BigInt(file.batchIndex) >= batchCount) {
    reasons.push(
      batchCount === 0n
        ? `batch ${file.batchIndex} does not exist: RollupAnchor has no batches yet (the L2 may not have posted it yet)`
        : `batch ${file.batchIndex} does not exist: RollupAnchor has ${batchCount} batches (0 to ${batchCount - 1n}); the L2 may not have posted it yet`,
    )
    return { ...base, valid: false, checks: { proofIsForHash, batchExists: false, contractVerifies: null, rootMatchesL1: null } }
  }
  const index = BigInt(file.batchIndex)
  const [raw, final, contractVerifies] = await Promise.all([
    read<{ firstBlock: bigint; lastBlock: bigint; submittedAt: bigint; l1BlockNumber: bigint; challengeWindow: bigint; anchorRoot: Hex }>('getBatch', [index]),
    read<boolean>('isFinal', [index]),
    read<boolean>('verifyAnchor', [index, hash, file.proof]),
  ])
  const anchorRoot = raw.anchorRoot.toLowerCase() as Hex
  const batch: VerifyAnchorBatch = {
    firstBlock: Number(raw.firstBlock),
    lastBlock: Number(raw.lastBlock),
    l1BlockNumber: Number(raw.l1BlockNumber),
    submittedAt: Number(raw.submittedAt),
    challengeWindowSeconds: Number(raw.challengeWindow),
    finalAt: Number(raw.submittedAt + raw.challengeWindow),
    final,
    confirmations: base.l1Block.number - Number(raw.l1BlockNumber) + 1,
    anchorRoot,
  }
  const rootMatchesL1 = BigInt(anchorRoot) !== 0n && computedRoot === anchorRoot

  if (BigInt(anchorRoot) === 0n) {
    reasons.push(`batch ${file.batchIndex} anchored nothing (its anchor root on L1 is zero)`)
  } else if (!rootMatchesL1) {
    const contract = contractVerifies ? '' : ', and RollupAnchor.verifyAnchor returned false'
    reasons.push(
      computedRoot === file.anchorRoot
        ? `the proof leads to root ${computedRoot}, the one the proof file names, but batch ${file.batchIndex}'s anchor root on L1 is ${anchorRoot}${contract}: the proof belongs to another batch, or the node's data is wrong`
        : `the proof leads to root ${computedRoot}, but batch ${file.batchIndex}'s anchor root on L1 is ${anchorRoot}${contract}`,
    )
    if (contractVerifies) reasons.push(`RollupAnchor.verifyAnchor returned true although the root recomputed here differs from L1's: do not trust the contract at ${rollupAnchor}`)
  } else if (!contractVerifies) {
    reasons.push(`RollupAnchor.verifyAnchor returned false although the recomputed root matches L1's: the contract does not hash leaves as expected`)
  }
  if (rootMatchesL1 && file.anchorRoot !== anchorRoot) {
    warnings.push(`the proof file names anchor root ${file.anchorRoot}, but L1 records ${anchorRoot} for batch ${file.batchIndex} (the proof itself checks out)`)
  }
  const anchored = proofIsForHash && contractVerifies && rootMatchesL1
  if (anchored && params.requireFinal === true && !final) {
    reasons.push(`batch ${file.batchIndex} is not final yet: its challenge window ends at ${isoTime(batch.finalAt)}`)
  }
  const deepEnough = batch.confirmations >= (params.minConfirmations ?? 1)
  if (anchored && !deepEnough) {
    reasons.push(`batch ${file.batchIndex} has ${l1Confirmations(batch.confirmations)}, fewer than the ${params.minConfirmations} asked for: an L1 reorg could still remove it`)
  }
  return { ...base, valid: anchored && deepEnough && (params.requireFinal !== true || final), checks: { proofIsForHash, batchExists: true, contractVerifies, rootMatchesL1 }, batch }
}

/** What went wrong talking to L1, in one line: "connection refused" rather than viem's request dump. */
function l1ErrorText(error: unknown): string {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError) {
      return `reverted${reverted.data?.errorName === undefined ? '' : ` with ${reverted.data.errorName}`}: is this address a RollupAnchor?`
    }
  }
  return errorText(error)
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

/** "1 L1 confirmation", "3 L1 confirmations". */
function l1Confirmations(n: number): string {
  return `${n} L1 ${n === 1 ? 'confirmation' : 'confirmations'}`
}

/** "6 d 23 h 59 min" for a duration in seconds. */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400)
  const h = Math.floor((seconds % 86_400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const parts = [d > 0 ? `${d} d` : '', h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter((p) => p !== '')
  return parts.length === 0 ? `${seconds} s` : parts.join(' ')
}

/** The human-readable report, one line per string. */
export function formatResult(r: VerifyAnchorResult, l1RpcUrl: string): string[] {
  const lines: string[] = []
  lines.push(r.valid ? `VALID: ${r.hash} is anchored in batch ${r.batchIndex}` : `INVALID: ${r.hash} is not proven anchored in batch ${r.batchIndex}`)
  lines.push(`  RollupAnchor ${r.rollupAnchor} on L1 chain ${r.l1ChainId} (${l1RpcUrl}), read at L1 block ${r.l1Block.number}`)
  const b = r.batch
  if (b !== undefined) {
    lines.push(`  batch ${r.batchIndex}: L2 blocks ${b.firstBlock}-${b.lastBlock}, submitted in L1 block ${b.l1BlockNumber} at ${isoTime(b.submittedAt)} (${l1Confirmations(b.confirmations)})`)
    lines.push(
      b.final
        ? `  final: yes, since ${isoTime(b.finalAt)} (challenge window ${duration(b.challengeWindowSeconds)})`
        : `  final: not yet; final at ${isoTime(b.finalAt)}, in ${duration(Math.max(0, b.finalAt - r.l1Block.timestamp))} of L1 time`,
    )
  }
  const mark = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'NO')
  lines.push(`  checks: proof is for this hash ${mark(r.checks.proofIsForHash)}; batch exists ${mark(r.checks.batchExists)}; RollupAnchor.verifyAnchor ${mark(r.checks.contractVerifies)}; recomputed root = L1 anchor root ${mark(r.checks.rootMatchesL1)}`)
  for (const reason of r.reasons) lines.push(`  reason: ${reason}`)
  for (const warning of r.warnings) lines.push(`  warning: ${warning}`)
  return lines
}

/** sha256 or keccak256 of a file, streamed. */
export async function hashFile(path: string, alg: 'sha256' | 'keccak256'): Promise<Hex> {
  const hasher = alg === 'sha256' ? createHash('sha256') : keccak_256.create()
  try {
    for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer)
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  const digest = hasher.digest()
  return bytesToHex(digest instanceof Uint8Array ? digest : hexToBytes(digest))
}

const USAGE = `usage: npx tsx scripts/verify-anchor.ts --proof <proof.json> (--hash 0x<32 bytes> | --file <path>) [options]
  --proof <file>               the proof the L2 node returned (GET /v1/anchors/{hash})
  --hash 0x…                   the hash to check, or:
  --file <path>                a document whose digest to check
  --hash-alg sha256|keccak256  digest of --file (default sha256)
  --l1-rpc <url>               the L1's JSON-RPC URL (default ${DEFAULT_L1_RPC_URL})
  --rollup-anchor 0x…          the RollupAnchor to trust, or:
  --deployments <file>         the deployments file naming it (default ${DEFAULT_DEPLOYMENTS_PATH})
  --require-final              count a batch still in its challenge window as invalid
  --min-confirmations <n>      count a batch with fewer L1 confirmations (its own block included) as invalid (default 1)
  --json                       print the result as JSON
exit codes: 0 valid, 1 invalid, 2 usage or L1 error`

/** Parses the command line and reads the inputs; throws UsageError. */
async function parseCli(argv: string[]): Promise<(VerifyAnchorParameters & { json: boolean }) | undefined> {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        proof: { type: 'string' },
        hash: { type: 'string' },
        file: { type: 'string' },
        'hash-alg': { type: 'string' },
        'l1-rpc': { type: 'string' },
        'rollup-anchor': { type: 'string' },
        deployments: { type: 'string' },
        'require-final': { type: 'boolean' },
        'min-confirmations': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (values.help === true) return undefined
  if (values.proof === undefined) throw new UsageError('--proof is required')
  if ((values.hash === undefined) === (values.file === undefined)) throw new UsageError('pass either --hash or --file')
  const alg = values['hash-alg'] ?? 'sha256'
  if (alg !== 'sha256' && alg !== 'keccak256') throw new UsageError(`--hash-alg must be sha256 or keccak256, got ${alg}`)
  if (values['hash-alg'] !== undefined && values.file === undefined) throw new UsageError('--hash-alg applies to --file only')
  if (values['rollup-anchor'] !== undefined && values.deployments !== undefined) throw new UsageError('pass either --rollup-anchor or --deployments')

  let hash: Hex
  if (values.hash !== undefined) {
    if (!BYTES32.test(values.hash)) throw new UsageError(`--hash must be 0x and 32 bytes of hex, got ${values.hash}`)
    hash = values.hash as Hex
  } else {
    hash = await hashFile(values.file!, alg)
  }

  let proofJson: unknown
  try {
    proofJson = JSON.parse(readFileSync(values.proof, 'utf8'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`cannot read the proof file ${values.proof}: ${code ?? (error as Error).message}`)
  }
  const proof = parseProofFile(proofJson, values.proof)

  let rollupAnchor: Address
  let expectedL1ChainId: number | undefined
  if (values['rollup-anchor'] !== undefined) {
    if (!isAddress(values['rollup-anchor'], { strict: false })) throw new UsageError(`--rollup-anchor must be an address, got ${values['rollup-anchor']}`)
    rollupAnchor = getAddress(values['rollup-anchor'])
  } else {
    const path = values.deployments ?? DEFAULT_DEPLOYMENTS_PATH
    if (values.deployments === undefined && !existsSync(path)) {
      throw new UsageError(`no RollupAnchor to trust: pass --rollup-anchor 0x… or --deployments <file> (${DEFAULT_DEPLOYMENTS_PATH} does not exist)`)
    }
    try {
      const deployments = readDeployments(path)
      rollupAnchor = deployments.rollupAnchor
      expectedL1ChainId = deployments.l1ChainId
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
  }
  const minConfirmations = values['min-confirmations'] === undefined ? 1 : Number(values['min-confirmations'])
  if (!Number.isInteger(minConfirmations) || minConfirmations < 1) throw new UsageError(`--min-confirmations must be a whole number ≥ 1, got ${values['min-confirmations']}`)
  return { l1RpcUrl: values['l1-rpc'] ?? DEFAULT_L1_RPC_URL, rollupAnchor, hash, proof, expectedL1ChainId, requireFinal: values['require-final'] === true, minConfirmations, json: values.json === true }
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const fail = (message: string, usage: boolean): number => {
    if (json) console.log(JSON.stringify({ valid: null, error: message }))
    else console.error(usage ? `${message}\n${USAGE}` : `error: ${message}`)
    return 2
  }
  try {
    const params = await parseCli(argv)
    if (params === undefined) {
      console.log(USAGE)
      return 0
    }
    const result = await verifyAnchor(params)
    if (params.json) console.log(JSON.stringify(result, null, 2))
    else for (const line of formatResult(result, params.l1RpcUrl)) console.log(line)
    return result.valid ? 0 : 1
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, true)
    if (error instanceof L1Error) return fail(error.message, false)
    return fail(`unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, false)
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
