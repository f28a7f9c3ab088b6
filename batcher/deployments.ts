/**
 * The L1 deployments file: which L1 contracts this L2 posts to and reads from. Written once by
 * `npm run deploy:l1` (scripts/deploy-l1.ts) or by the embedded L1's start-up, read by the node
 * at every start and by scripts/verify-anchor.ts.
 *
 * The file's format and its reader belong to the SDK (sdk/src/deployments.ts, sdk/src/node.ts),
 * since dApps read the same file; the node reads it with the SDK's checks, so a typo stops the
 * node at start-up, not later as a revert or as batches posted to the wrong address. Writing it
 * is the node's and the deploy script's business, here.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { L1Deployments } from '@ai-rollup/sdk'

export { DeploymentsFileError, type L1Deployments } from '@ai-rollup/sdk'
export { readDeployments } from '@ai-rollup/sdk/node'

/**
 * Writes a deployments file atomically: a temp file beside it, fsync, rename. A crash leaves
 * either the old file or the new one, never half of one. Creates the directory.
 */
export function writeDeployments(path: string, deployments: L1Deployments): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const { l1Bridge, validatorSet, ...required } = deployments
  // Fixed field order, l1Bridge and validatorSet right after rollupAnchor when present, so diffs stay readable.
  const ordered = {
    l1ChainId: required.l1ChainId,
    l2ChainId: required.l2ChainId,
    rollupAnchor: required.rollupAnchor,
    ...(l1Bridge === undefined ? {} : { l1Bridge }),
    ...(validatorSet === undefined ? {} : { validatorSet }),
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
