import type { Hex } from 'viem'

/** A batch as RollupAnchor.getBatch returns it. */
export interface L1Batch {
  firstBlock: bigint
  lastBlock: bigint
  submittedAt: bigint
  l1BlockNumber: bigint
  challengeWindow: bigint
  stateRoot: Hex
  blockHash: Hex
  withdrawalRoot: Hex
  anchorRoot: Hex
  dataHash: Hex
}
