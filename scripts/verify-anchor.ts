/**
 * The enterprise's verifier: is this document hash anchored on L1? It trusts only the L1 and the
 * RollupAnchor address the user gives (or their deployments file); the proof file (a receipt,
 * README "Receipts", or the L2 node's answer to `GET /v1/anchors/{hash}`) is only a claim to check.
 *
 *   npx tsx scripts/verify-anchor.ts --proof proof.json (--hash 0x<32 bytes> | --file PATH
 *       [--hash-alg sha256|keccak256]) [--l1-rpc URL] [--rollup-anchor 0x… | --deployments FILE]
 *       [--require-final] [--json]
 *
 * Checks, all against L1 state at one L1 block:
 * 1. the proof file is about the hash the user gave (the hash of their --file, or --hash), never
 *    taking the file's own `hash` field for it;
 *    a receipt names the L1 chain and the RollupAnchor checked;
 * 2. the batch exists, and RollupAnchor.verifyAnchor(batchIndex, value, proof) is true, the value
 *    being the hash, or for an aggregated hash its round's root recomputed from the receipt's path;
 * 3. the root recomputed here from the hash and the proof (leaf = keccak256(keccak256(abi.encode
 *    (bytes32))), sorted-pair keccak256, as OpenZeppelin's StandardMerkleTree) equals the batch's
 *    anchor root read from L1. This needs no trust in the contract's code: a contract that said
 *    yes to anything would fail here.
 * It reports the batch's L1 block, submission time and finality (challenge window passed).
 * Exit codes: 0 valid, 1 invalid, 2 usage or L1 error. The checks are the SDK's verifyAnchor
 * (sdk/src/anchoring.ts); this file is the command line around it.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, getAddress, hexToBytes, isAddress, type Address, type Hex } from 'viem'
import { DEVNET_L1_RPC_URL, formatVerifyAnchorResult, InvalidArgumentError, L1Error, parseAnchorProof, verifyAnchor, type VerifyAnchorParameters } from '@ai-rollup/sdk'
import { DEVNET_DEPLOYMENTS_PATH, readDeployments } from '@ai-rollup/sdk/node'

/** The command line or an input file is wrong; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/

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
  --proof <file>               a receipt, or the answer the L2 node returned (GET /v1/anchors/{hash})
  --hash 0x…                   the hash to check, or:
  --file <path>                a document whose digest to check
  --hash-alg sha256|keccak256  digest of --file (default sha256)
  --l1-rpc <url>               the L1's JSON-RPC URL (default ${DEVNET_L1_RPC_URL})
  --rollup-anchor 0x…          the RollupAnchor to trust, or:
  --deployments <file>         the deployments file naming it (default ${DEVNET_DEPLOYMENTS_PATH})
  --require-final              count a batch still in its challenge window as invalid
  --min-confirmations <n>      count a batch with fewer L1 confirmations (its own block included) as invalid (default 1)
  --json                       print the result as JSON
exit codes: 0 valid, 1 invalid, 2 usage or L1 error`

/** Parses the command line and reads the inputs; throws UsageError. */
async function parseCli(argv: string[]): Promise<(VerifyAnchorParameters & { l1: string; json: boolean }) | undefined> {
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
  const proof = parseAnchorProof(proofJson, values.proof)

  let rollupAnchor: Address
  let expectedL1ChainId: number | undefined
  if (values['rollup-anchor'] !== undefined) {
    if (!isAddress(values['rollup-anchor'], { strict: false })) throw new UsageError(`--rollup-anchor must be an address, got ${values['rollup-anchor']}`)
    rollupAnchor = getAddress(values['rollup-anchor'])
  } else {
    const path = values.deployments ?? DEVNET_DEPLOYMENTS_PATH
    if (values.deployments === undefined && !existsSync(path)) {
      throw new UsageError(`no RollupAnchor to trust: pass --rollup-anchor 0x… or --deployments <file> (${DEVNET_DEPLOYMENTS_PATH} does not exist)`)
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
  return { l1: values['l1-rpc'] ?? DEVNET_L1_RPC_URL, rollupAnchor, hash, proof, expectedL1ChainId, requireFinal: values['require-final'] === true, minConfirmations, json: values.json === true }
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
    else for (const line of formatVerifyAnchorResult(result, params.l1)) console.log(line)
    return result.valid ? 0 : 1
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidArgumentError) return fail(error.message, true)
    if (error instanceof L1Error) return fail(error.message, false)
    return fail(`unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, false)
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
