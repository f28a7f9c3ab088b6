/**
 * The L1 deployments file: which L1 contracts an L2 posts to and reads from, as `npm run
 * deploy:l1` and the devnet (`data/l1/deployments.json`) write it. `parseDeployments` checks
 * its content (from a fetch, a bundle, …); `readDeployments` in `@ai-rollup/sdk/node` reads the
 * file. Every field is checked and named in the error: a typo must stop a program at start-up,
 * not surface later as a revert or as a transaction sent to the wrong address.
 */
import { getAddress, isAddress, type Address } from 'viem'
import { DeploymentsFileError } from './errors.js'

export interface L1Deployments {
  /** Chain id of the L1 the contracts live on. */
  l1ChainId: number
  /** Chain id of the L2 whose batches RollupAnchor records. */
  l2ChainId: number
  /** RollupAnchor: the batches' commitments (state, withdrawal and anchor roots). */
  rollupAnchor: Address
  /** L1Bridge (deposits and withdrawals); absent while the deployment has none. */
  l1Bridge?: Address
  /**
   * ValidatorSet: the staked committee that attests and disputes batches and decides finality,
   * and holds the sequencer's bond. Absent only in files written before it existed.
   */
  validatorSet?: Address
  /** L1 block of RollupAnchor's deployment: where scans of L1 events start. */
  deployedAtBlock: number
  /** Holder of RollupAnchor's DEFAULT_ADMIN_ROLE (and L1Bridge's owner). */
  admin: Address
  /** First holder of RollupAnchor's SEQUENCER_ROLE: the account that posts batches. */
  sequencer: Address
  /** Challenge window set at deployment, in seconds: a batch is final this long after its submission. */
  challengeWindowSeconds: number
}

/**
 * Checks a deployments file's parsed JSON. Addresses come back checksummed; fields beyond
 * L1Deployments are dropped.
 * @param source Names the file in errors.
 * @throws DeploymentsFileError naming the source and the field.
 * @example
 * const d = parseDeployments(await (await fetch('/deployments.json')).json(), 'deployments.json')
 */
export function parseDeployments(json: unknown, source: string): L1Deployments {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DeploymentsFileError(source, undefined, 'must hold a JSON object')
  const raw = json as Record<string, unknown>

  const integer = (field: keyof L1Deployments, min: number): number => {
    const v = raw[field]
    if (v === undefined) throw new DeploymentsFileError(source, field, 'is missing')
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new DeploymentsFileError(source, field, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`)
    }
    return v
  }
  const address = (field: keyof L1Deployments): Address => {
    const v = raw[field]
    if (v === undefined) throw new DeploymentsFileError(source, field, 'is missing')
    if (typeof v !== 'string' || !isAddress(v, { strict: false })) {
      throw new DeploymentsFileError(source, field, `must be a 20-byte hex address, got ${JSON.stringify(v)}`)
    }
    // A mixed-case address with a wrong checksum is a typo, not a choice of case.
    if (!isAddress(v, { strict: true })) {
      throw new DeploymentsFileError(source, field, `has a wrong checksum: ${v} (checksummed: ${getAddress(v)})`)
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
  if (raw.validatorSet !== undefined && raw.validatorSet !== null) deployments.validatorSet = address('validatorSet')
  return deployments
}
