/**
 * What ValidatorSet (contracts/L1/ValidatorSet.sol) says about one batch, for `rollup_getBatch`:
 * its attestations against the stake a quorum needs, and its dispute if it has one. Read from L1
 * on demand (the committee's state is L1's; the node keeps no copy of it).
 */
import { createPublicClient, http, parseAbi, type Hex, type PublicClient } from 'viem'

export const validatorSetReadAbi = parseAbi([
  'struct Dispute { uint256 batchIndex; uint256 batchKey; address challenger; uint64 openedBlock; uint64 openedAt; uint128 bond; uint8 status; uint128 eligibleStake; uint128 correctStake; uint128 wrongStake; }',
  'function attestationsOf(uint256 batchIndex) view returns (uint256 attestations, uint256 attestedStake, uint256 totalStake, uint256 stakeNeeded, bool quorum, uint256 batchKey)',
  'function disputeOf(uint256 batchIndex) view returns (uint256 disputeId, Dispute dispute, bool blocking)',
  'function COMMIT_PERIOD() view returns (uint256)',
  'function REVEAL_PERIOD() view returns (uint256)',
])

/** ValidatorSet's DisputeStatus, by its enum value. */
export const DISPUTE_STATUSES = ['none', 'open', 'correct', 'wrong', 'noQuorum', 'cancelled'] as const

export interface BatchCommittee {
  attestations: {
    count: number
    /** Stakes in wei, as decimal strings. */
    stake: string
    needed: string
    total: string
    /** Two thirds of the stake attested this batch or a later one: final at once. */
    quorum: boolean
  }
  dispute: null | {
    id: number
    status: (typeof DISPUTE_STATUSES)[number]
    challenger: Hex
    openedAt: number
    /** Commit phase ends, then the reveal phase (L1 seconds). */
    commitEndsAt: number
    revealEndsAt: number
    eligibleStake: string
    correctStake: string
    wrongStake: string
    /** Whether it keeps this batch and every later one from becoming final. */
    blocking: boolean
  }
}

export class CommitteeReader {
  private readonly l1: PublicClient
  private periods: Promise<[bigint, bigint]> | undefined

  constructor(
    l1RpcUrl: string,
    private readonly validatorSet: Hex,
  ) {
    this.l1 = createPublicClient({ transport: http(l1RpcUrl, { retryCount: 1, timeout: 10_000 }) })
  }

  async batch(index: number): Promise<BatchCommittee> {
    const address = this.validatorSet
    this.periods ??= Promise.all([
      this.l1.readContract({ address, abi: validatorSetReadAbi, functionName: 'COMMIT_PERIOD' }),
      this.l1.readContract({ address, abi: validatorSetReadAbi, functionName: 'REVEAL_PERIOD' }),
    ]).catch((err: unknown) => {
      this.periods = undefined
      throw err
    })
    const [[count, stake, total, needed, quorum], [disputeId, dispute, blocking], [commit, reveal]] = await Promise.all([
      this.l1.readContract({ address, abi: validatorSetReadAbi, functionName: 'attestationsOf', args: [BigInt(index)] }),
      this.l1.readContract({ address, abi: validatorSetReadAbi, functionName: 'disputeOf', args: [BigInt(index)] }),
      this.periods,
    ])
    const openedAt = Number(dispute.openedAt)
    return {
      attestations: { count: Number(count), stake: stake.toString(), needed: needed.toString(), total: total.toString(), quorum },
      dispute:
        disputeId === 0n
          ? null
          : {
              id: Number(disputeId),
              status: DISPUTE_STATUSES[dispute.status] ?? 'none',
              challenger: dispute.challenger,
              openedAt,
              commitEndsAt: openedAt + Number(commit),
              revealEndsAt: openedAt + Number(commit) + Number(reveal),
              eligibleStake: dispute.eligibleStake.toString(),
              correctStake: dispute.correctStake.toString(),
              wrongStake: dispute.wrongStake.toString(),
              blocking,
            },
    }
  }
}
