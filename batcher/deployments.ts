/**
 * The L1 deployments file: which L1 contracts this L2 posts to and reads from. Written once by
 * `npm run deploy:l1` (scripts/deploy-l1.ts) or by the embedded L1's start-up, read by the node
 * at every start and by scripts/verify-anchor.ts.
 *
 * The file is the node's only link to its L1 contracts, so reading it checks every field and
 * names the file and the field in the error: a typo must stop the node at start-up, not surface
 * later as a revert or as batches posted to the wrong address.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { getAddress, isAddress } from 'viem'

export interface L1Deployments {
  /** Chain id of the L1 the contracts live on. */
  l1ChainId: number
  /** Chain id of the L2 whose batches RollupAnchor records. */
  l2ChainId: number
  /** RollupAnchor: the batches' commitments (state, withdrawal and anchor roots). */
  rollupAnchor: `0x${string}`
  /** L1Bridge (deposits and withdrawals); absent while the deployment has none. */
  l1Bridge?: `0x${string}`
  /** L1 block of RollupAnchor's deployment: where scans of L1 events start. */
  deployedAtBlock: number
  /** Holder of RollupAnchor's DEFAULT_ADMIN_ROLE (and L1Bridge's owner). */
  admin: `0x${string}`
  /** First holder of RollupAnchor's SEQUENCER_ROLE: the account that posts batches. */
  sequencer: `0x${string}`
  /** Challenge window set at deployment, in seconds: a batch is final this long after its submission. */
  challengeWindowSeconds: number
}

/** The deployments file is missing, not JSON, or has a field that is absent or of the wrong form. */
export class DeploymentsFileError extends Error {
  override name = 'DeploymentsFileError'
  constructor(
    readonly path: string,
    /** The offending field, when the error is about one. */
    readonly field: keyof L1Deployments | undefined,
    message: string,
  ) {
    super(`${path}: ${field === undefined ? '' : `field "${field}" `}${message}`)
  }
}

/**
 * Reads and checks a deployments file. Addresses come back checksummed; fields the file has
 * beyond L1Deployments are dropped.
 * @throws DeploymentsFileError naming the file and the field.
 */
export function readDeployments(path: string): L1Deployments {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DeploymentsFileError(path, undefined, code === 'ENOENT' ? 'no such file; deploy the L1 contracts with `npm run deploy:l1 -- … --out <file>`' : `cannot be read (${code ?? String(error)})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new DeploymentsFileError(path, undefined, `is not JSON (${(error as Error).message})`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DeploymentsFileError(path, undefined, 'must hold a JSON object')
  const raw = json as Record<string, unknown>

  const integer = (field: keyof L1Deployments, min: number): number => {
    const v = raw[field]
    if (v === undefined) throw new DeploymentsFileError(path, field, 'is missing')
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new DeploymentsFileError(path, field, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`)
    }
    return v
  }
  const address = (field: keyof L1Deployments): `0x${string}` => {
    const v = raw[field]
    if (v === undefined) throw new DeploymentsFileError(path, field, 'is missing')
    if (typeof v !== 'string' || !isAddress(v, { strict: false })) {
      throw new DeploymentsFileError(path, field, `must be a 20-byte hex address, got ${JSON.stringify(v)}`)
    }
    // A mixed-case address with a wrong checksum is a typo, not a choice of case.
    if (!isAddress(v, { strict: true })) {
      throw new DeploymentsFileError(path, field, `has a wrong checksum: ${v} (checksummed: ${getAddress(v)})`)
    }
    return getAddress(v)
  }

  const deployments: L1Deployments = {
    l1ChainId: integer('l1ChainId', 1),
    l2ChainId: integer('l2ChainId', 1),
    rollupAnchor: address('rollupAnchor'),
    deployedAtBlock: integer('deployedAtBlock', 0),
    admin: address('admin'),
    sequencer: address('sequencer'),
    challengeWindowSeconds: integer('challengeWindowSeconds', 1),
  }
  if (raw.l1Bridge !== undefined && raw.l1Bridge !== null) deployments.l1Bridge = address('l1Bridge')
  return deployments
}

/**
 * Writes a deployments file atomically: a temp file beside it, fsync, rename. A crash leaves
 * either the old file or the new one, never half of one. Creates the directory.
 */
export function writeDeployments(path: string, deployments: L1Deployments): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const { l1Bridge, ...required } = deployments
  // Fixed field order, l1Bridge right after rollupAnchor when present, so diffs stay readable.
  const ordered = {
    l1ChainId: required.l1ChainId,
    l2ChainId: required.l2ChainId,
    rollupAnchor: required.rollupAnchor,
    ...(l1Bridge === undefined ? {} : { l1Bridge }),
    deployedAtBlock: required.deployedAtBlock,
    admin: required.admin,
    sequencer: required.sequencer,
    challengeWindowSeconds: required.challengeWindowSeconds,
  }
  try {
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, JSON.stringify(ordered, null, 2) + '\n')
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (error) {
    rmSync(tmp, { force: true })
    throw error
  }
}
