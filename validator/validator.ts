/**
 * The validator service: a replica's derivation, acted upon. It runs next to `Derivation`
 * (batcher/derive.ts), on its own L1Loop (docs/ARCHITECTURE.md rule 5), and each step:
 *
 *   1. joins ValidatorSet with the configured stake on first start, if it is not a validator yet;
 *   2. disputes: challenges the batch derivation holds at (L1 records what this node does not
 *      reproduce), with MIN_CHALLENGE_BOND, while it can be challenged; in every open dispute it
 *      may vote in, commits a vote (salt kept in sqlite first), reveals it once the commit phase
 *      is over, and calls resolve once the reveal phase is; its vote is the stored commitment when
 *      its own derivation of the batch matched, its own (differing) commitment when it did not;
 *   3. attests: signs the EIP-712 attestation of the latest batch it derived and found equal to
 *      L1's record, once that batch's L1 block has `attestConfirmations` (so an L1 reorg cannot
 *      make it sign a second commitment for that index), keeps the signature in sqlite before
 *      sending, and submits it with `attest` unless a quorum already covers the batch;
 *   4. penalizes the non-voters of every dispute that ended with a quorum (Correct or Wrong):
 *      each validator that could vote in it and revealed nothing loses NON_VOTER_PENALTY_BPS of its
 *      stake through ValidatorSet.penalizeNonVoter, half of it credited to this validator;
 *   5. withdraws what ValidatorSet owes it (rewards, refunded bonds).
 *
 * Phases are judged by the latest L1 block's timestamp, the clock the contract reads. Every
 * transaction is simulated first (a revert costs nothing and names its reason) and waited for.
 * Everything it acts on is read from L1 again at each step, so a restart picks up where it was;
 * what L1 cannot tell (signatures, salts) is in validator/store.ts.
 */
import { createPublicClient, createWalletClient, hashTypedData, http, parseAbi, toFunctionSelector, toHex, type Address, type Hex, type PublicClient, type WalletClient } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { randomBytes } from 'node:crypto'
import { bytesToHex } from '@ethereumjs/util'
import { defineL1Chain } from '@ai-rollup/sdk'
import { L1Failure, L1Loop, l1ErrorText, rollupAnchorAbi, type Divergence, type L1Batch, type L1Health, type Logger, type PostedBatch } from '../batcher/index.ts'
import { DISPUTE_STATUS_NAMES, DisputeStatus, validatorSetAbi } from './abi.ts'
import { attestationTypedData, batchCommitment, voteHash, wrongMarker } from './commitment.ts'
import type { ValidatorStore } from './store.ts'

export interface ValidatorConfig {
  l1RpcUrl: string
  l1ChainId: number
  rollupAnchor: Address
  validatorSet: Address
  /** The validator's key: it stakes, signs attestations, challenges and votes. */
  privateKey: Hex
  /** Stake to join with, in wei, when the key is not a validator yet; absent: never joins. */
  stakeWei?: bigint
  /** L1 blocks (its own included) a batch's L1 block needs before this validator signs the batch. */
  attestConfirmations: number
  /** How often it looks at L1, in milliseconds. */
  pollIntervalMs: number
  /** After this long without a successful L1 call it warns, in milliseconds (then once a minute). */
  unreachableWarnAfterMs: number
  /** How long it waits for one of its L1 transactions to be mined, in milliseconds. */
  txTimeoutMs: number
}

/** What the validator reads of derivation (declared here; batcher/derive.ts's Derivation has it). */
export interface DerivationView {
  divergence(): Divergence | null
}

/** The derived batches (declared here; the node's batch ledger has them). */
export interface VerifiedBatches {
  lastBatch(): PostedBatch | undefined
  batch(index: number): PostedBatch | undefined
}

export interface ValidatorStatus extends L1Health {
  running: boolean
  address: Address
  /** Stake in wei on ValidatorSet (0: not a validator), as last read. */
  stakeWei: string | null
  /** The last batch index this validator signed, and how many attestations and votes it keeps. */
  lastAttestedBatch: number | null
  attestations: number
  votes: number
  challenges: number
  /** Non-voters this validator penalized (penalizeNonVoter calls that landed) since start. */
  penalties: number
  lastError: { message: string; at: number } | null
}

/** Disputes whose records are read per step (ids from the first one not yet over). */
const DISPUTES_PER_STEP = 64

interface OnChainValidator {
  stake: bigint
  joinedBlock: bigint
  exitRequestedBlock: bigint
}

interface OnChainDispute {
  batchIndex: bigint
  batchKey: bigint
  challenger: Address
  openedBlock: bigint
  openedAt: bigint
  bond: bigint
  status: number
}

export class Validator {
  readonly name = 'validator'
  private readonly l1: PublicClient
  private readonly wallet: WalletClient
  private readonly account: PrivateKeyAccount
  private readonly loop: L1Loop
  private params: { minChallengeBond: bigint; commitPeriod: bigint; revealPeriod: bigint } | undefined
  private me: OnChainValidator | undefined
  /** Lowest dispute id that may still need this validator (the ones before are over). */
  private disputeCursor = 1
  private challenges = 0
  private penalties = 0
  /** The last time the L1 endpoint contradicted itself (getBatch vs batchCommitment, or the digest); cleared by a clean step. */
  private inconsistent: { message: string; at: number } | null = null
  /** Lowest dispute id whose non-voters may still need penalizing (the ones before are done). */
  private penaltyCursor = 1
  /** Every address that ever joined ValidatorSet (from ValidatorJoined), read up to `joinedScannedTo`. */
  private readonly joined = new Set<Address>()
  private joinedScannedTo = -1n
  /** Batch indices whose attestation this validator gave up on (logged once). */
  private readonly skipped = new Set<string>()

  constructor(
    private readonly config: ValidatorConfig,
    private readonly derivation: DerivationView,
    private readonly batches: VerifiedBatches,
    private readonly store: ValidatorStore,
    private readonly log: Logger,
  ) {
    const transport = http(config.l1RpcUrl, { retryCount: 0, timeout: 15_000, batch: { batchSize: 100, wait: 0 } })
    const chain = defineL1Chain(config.l1RpcUrl, config.l1ChainId)
    this.l1 = createPublicClient({ chain, transport, pollingInterval: Math.min(500, config.pollIntervalMs) }) as PublicClient
    this.account = privateKeyToAccount(config.privateKey)
    this.wallet = createWalletClient({ chain, transport: http(config.l1RpcUrl, { retryCount: 0, timeout: 15_000 }), account: this.account })
    this.loop = new L1Loop({
      name: this.name,
      pollIntervalMs: config.pollIntervalMs,
      log,
      step: () => this.step(),
      onCritical: (message) => log.error(`validator stopped: ${message}`, { event: 'service_stopped', service: this.name, reason: message }),
      unreachableWarnAfterMs: config.unreachableWarnAfterMs,
      whileDown: 'no batch is attested or disputed by this validator',
    })
  }

  get address(): Address {
    return this.account.address
  }

  /** How its log lines name it (several validators may share a log). */
  private get tag(): string {
    return this.account.address.slice(0, 10)
  }

  start(): void {
    this.loop.start()
  }

  stop(): Promise<void> {
    return this.loop.stop()
  }

  health(): { name: string; ok: boolean; detail: string } {
    const down = this.loop.downDetail()
    if (down !== null) return { name: this.name, ok: false, detail: down }
    if (this.inconsistent !== null) return { name: this.name, ok: false, detail: `the L1 endpoint contradicts itself, nothing is signed or challenged on its word: ${this.inconsistent.message}` }
    if (this.me !== undefined && this.me.stake === 0n) return { name: this.name, ok: false, detail: `${this.address} is not a validator (no stake): it attests and votes nothing` }
    return { name: this.name, ok: this.loop.isRunning, detail: this.loop.lastError?.message ?? `attested up to batch ${this.store.lastAttestedIndex() ?? 'none'}` }
  }

  status(): ValidatorStatus {
    const counts = this.store.counts()
    return {
      running: this.loop.isRunning,
      ...this.loop.l1Health(),
      address: this.address,
      stakeWei: this.me === undefined ? null : this.me.stake.toString(),
      lastAttestedBatch: this.store.lastAttestedIndex(),
      attestations: counts.attestations,
      votes: counts.votes,
      challenges: this.challenges,
      penalties: this.penalties,
      lastError: this.loop.lastError,
    }
  }

  /** Runs one step now (tests); errors are thrown, not retried. */
  async stepOnce(): Promise<void> {
    await this.step()
  }

  private async step(): Promise<void> {
    if (this.params === undefined) await this.setUp()
    const head = await this.l1.getBlock({ blockTag: 'latest' })
    this.me = await this.validatorOf(this.address)
    await this.dispute(head.timestamp)
    if (this.me.stake > 0n) await this.attest(Number(head.number))
    await this.penalizeNonVoters(head.number)
    await this.withdrawOwed()
    this.inconsistent = null
  }

  /** Checks the contracts, reads the committee's parameters and joins if asked to. */
  private async setUp(): Promise<void> {
    const code = await this.l1.getCode({ address: this.config.validatorSet })
    if (code === undefined || code === '0x') throw new L1Failure('critical', `no contract at ValidatorSet address ${this.config.validatorSet} on ${this.config.l1RpcUrl}: check the deployments file`)
    const anchor = await this.l1.readContract({ address: this.config.validatorSet, abi: validatorSetAbi, functionName: 'rollupAnchor' })
    if (anchor.toLowerCase() !== this.config.rollupAnchor.toLowerCase()) throw new L1Failure('critical', `ValidatorSet ${this.config.validatorSet} judges RollupAnchor ${anchor}, not ${this.config.rollupAnchor}`)
    const [minStake, minChallengeBond, commitPeriod, revealPeriod] = await Promise.all(
      (['MIN_STAKE', 'MIN_CHALLENGE_BOND', 'COMMIT_PERIOD', 'REVEAL_PERIOD'] as const).map((functionName) => this.l1.readContract({ address: this.config.validatorSet, abi: validatorSetAbi, functionName })),
    )
    const me = await this.validatorOf(this.address)
    if (me.stake === 0n && me.exitRequestedBlock === 0n) {
      if (this.config.stakeWei === undefined) {
        this.log.warn(`validator ${this.tag}: ${this.address} is not a validator on ValidatorSet ${this.config.validatorSet} and no stake was given (--stake): it derives and checks, but attests and votes nothing`)
      } else {
        if (this.config.stakeWei < minStake) throw new L1Failure('critical', `a stake of ${this.config.stakeWei} wei is below ValidatorSet.MIN_STAKE (${minStake} wei)`)
        const receipt = (await this.send('join', [], this.config.stakeWei))!
        this.log.info(`validator ${this.tag}: ${this.address} joined ValidatorSet ${this.config.validatorSet} with ${this.config.stakeWei} wei at L1 block ${receipt.blockNumber} (it may attest batches posted from the next L1 block on)`)
      }
    } else {
      this.log.info(`validator ${this.tag}: ${this.address} is a validator with ${me.stake} wei of stake${me.exitRequestedBlock === 0n ? '' : ' (exiting)'}, following ValidatorSet ${this.config.validatorSet}`)
    }
    this.params = { minChallengeBond, commitPeriod, revealPeriod }
  }

  // ---- attestations ----

  /**
   * Signs and submits the latest derived batch deep enough on L1. An attestation of batch i says
   * "batch i and every batch before it re-derive to what L1 holds", so signing the latest one is
   * enough: a quorum on it covers the earlier ones.
   */
  private async attest(l1Head: number): Promise<void> {
    const me = this.me!
    const last = this.batches.lastBatch()
    if (last === undefined || me.exitRequestedBlock !== 0n) return
    let candidate: PostedBatch | undefined
    for (let i = last.batchIndex; i >= 0; i--) {
      const b = this.batches.batch(i)
      if (b === undefined) break
      if (l1Head - b.l1BlockNumber + 1 >= this.config.attestConfirmations) {
        candidate = b
        break
      }
    }
    if (candidate === undefined) return
    const index = candidate.batchIndex
    // batches submitted before it joined are not its to attest (NotEligibleSigner)
    if (BigInt(candidate.l1BlockNumber) <= me.joinedBlock) return
    const covered = await this.read('quorumCoveredCount')
    if (covered > BigInt(index)) return
    if (await this.read('hasAttested', [BigInt(index), this.address])) return
    const onL1 = await this.batchOnL1(BigInt(index))
    if (!sameAsDerived(candidate, onL1)) return // L1 changed under it: derivation reconciles first
    const commitment = batchCommitment(onL1)
    const [, , , , , batchKey] = await this.read('attestationsOf', [BigInt(index)])
    let signed = this.store.attestation(index)
    if (signed !== undefined && signed.commitment !== commitment) {
      const key = `${index}:${commitment}`
      if (!this.skipped.has(key)) {
        this.skipped.add(key)
        this.log.info(`validator ${this.tag}: not signing batch ${index} (commitment ${commitment}): this validator signed ${signed.commitment} for that index before (a batch since deleted); a second signature would be equivocation. Later batches cover it`)
      }
      return
    }
    if (signed === undefined) {
      const typed = attestationTypedData(this.config.l1ChainId, this.config.validatorSet, BigInt(index), commitment)
      // the contract's digest of what it is about to sign: another chain id, contract or encoding is caught before a signature exists
      const digest = await this.l1.readContract({ address: this.config.validatorSet, abi: validatorSetAbi, functionName: 'attestationDigest', args: [BigInt(index), commitment] })
      if (digest !== hashTypedData(typed)) this.contradiction(`ValidatorSet.attestationDigest(${index}, ${commitment}) is ${digest}, this validator computes ${hashTypedData(typed)}`)
      const signature = await this.account.signTypedData(typed)
      this.store.putAttestation({ batchIndex: index, batchKey: Number(batchKey), commitment, signature, signedAt: Date.now() })
      signed = this.store.attestation(index)!
    }
    const receipt = await this.send('attest', [BigInt(index), [signed.signature]], undefined, ['NothingNewAttested', 'BatchAlreadyFinal'])
    if (receipt === undefined) return
    this.store.setAttestTx(index, receipt.transactionHash)
    const [count, attestedStake, , stakeNeeded, quorum] = await this.read('attestationsOf', [BigInt(index)])
    this.log.info(
      `validator ${this.tag}: attested batch ${index} (L2 blocks ${candidate.firstBlock}-${candidate.lastBlock}, commitment ${commitment}) in L1 tx ${receipt.transactionHash}: ${count} attestations, ${attestedStake} of ${stakeNeeded} wei needed${quorum ? ': quorum, final' : ''}`,
      { event: 'batch_attested', batchIndex: index, l1TxHash: receipt.transactionHash, attestations: Number(count), stakeWei: attestedStake.toString(), neededWei: stakeNeeded.toString(), quorum },
    )
  }

  // ---- disputes ----

  private async dispute(now: bigint): Promise<void> {
    const held = this.derivation.divergence()
    if (held !== null && this.me!.stake > 0n && this.me!.exitRequestedBlock === 0n) await this.challengeHeld(held, now)
    const count = Number(await this.read('disputeCount'))
    const ids = Array.from({ length: Math.max(0, Math.min(count, this.disputeCursor + DISPUTES_PER_STEP - 1) - this.disputeCursor + 1) }, (_, i) => this.disputeCursor + i)
    const disputes = (await Promise.all(ids.map((id) => this.read('getDispute', [BigInt(id)])))) as OnChainDispute[]
    let allOver = true
    for (const [k, id] of ids.entries()) {
      const d = disputes[k]
      if (d.status === DisputeStatus.Open) {
        allOver = false
        await this.followDispute(id, d, now)
      }
      if (allOver) this.disputeCursor = id + 1
    }
  }

  /** Challenges the batch derivation holds at, unless it is already disputed or cannot be any more. */
  private async challengeHeld(held: Divergence, now: bigint): Promise<void> {
    const index = BigInt(held.batchIndex)
    const onL1 = await this.l1.readContract({ address: this.config.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })
    if (onL1 <= index) return
    const batch = await this.batchOnL1(index)
    if (batchCommitment(batch) !== batchCommitment(held.batch)) return // L1 changed: derivation looks again first
    const [, d] = (await this.read('disputeOf', [index])) as [bigint, OnChainDispute, boolean]
    if (d.status === DisputeStatus.Open) return // someone challenged it: this validator votes (followDispute)
    if (d.status === DisputeStatus.Correct) {
      const key = `correct:${held.batchIndex}:${held.batch.l1BlockNumber}`
      if (!this.skipped.has(key)) {
        this.skipped.add(key)
        this.log.error(`validator ${this.tag}: the committee voted batch ${held.batchIndex} correct, but this node derives otherwise (${held.reason}): it holds there; check this node`)
      }
      return
    }
    const deadline = batch.submittedAt + batch.challengeWindow
    if (d.status !== DisputeStatus.NoQuorum && now >= deadline) {
      const key = `late:${held.batchIndex}:${held.batch.l1BlockNumber}`
      if (!this.skipped.has(key)) {
        this.skipped.add(key)
        this.log.error(`validator ${this.tag}: batch ${held.batchIndex} is wrong but its challenge window ended at L1 time ${deadline}: too late to challenge it`)
      }
      return
    }
    const receipt = await this.send('challenge', [index], this.params!.minChallengeBond, ['AlreadyChallenged', 'BatchAlreadyFinal', 'ChallengeWindowClosed'])
    if (receipt === undefined) return
    this.challenges++
    this.log.info(`validator ${this.tag}: challenged batch ${held.batchIndex} (L2 blocks ${batch.firstBlock}-${batch.lastBlock}) with a bond of ${this.params!.minChallengeBond} wei in L1 tx ${receipt.transactionHash}: ${held.reason}`, {
      event: 'batch_challenged',
      batchIndex: held.batchIndex,
      l1TxHash: receipt.transactionHash,
      bondWei: this.params!.minChallengeBond.toString(),
      reason: held.reason,
    })
  }

  /** Commits, reveals or resolves in one open dispute, whichever its phase calls for. */
  private async followDispute(id: number, d: OnChainDispute, now: bigint): Promise<void> {
    const { commitPeriod, revealPeriod } = this.params!
    const commitDeadline = d.openedAt + commitPeriod
    const revealDeadline = commitDeadline + revealPeriod
    const me = this.me!
    const eligible = me.stake > 0n && me.joinedBlock < d.openedBlock && (me.exitRequestedBlock === 0n || me.exitRequestedBlock > d.openedBlock)
    if (now >= revealDeadline) {
      const receipt = await this.send('resolve', [d.batchIndex], undefined, ['NoOpenDispute'])
      if (receipt !== undefined) {
        const outcome = await this.outcome(id)
        this.log.info(`validator ${this.tag}: resolved dispute ${id} on batch ${d.batchIndex} in L1 tx ${receipt.transactionHash}: ${outcome}`, { event: 'dispute_resolved', dispute: id, batchIndex: Number(d.batchIndex), l1TxHash: receipt.transactionHash, outcome })
      }
      return
    }
    if (!eligible) return
    const vote = (await this.read('voteOf', [BigInt(id), this.address])) as { commitHash: Hex; revealed: boolean }
    if (now < commitDeadline) {
      if (vote.commitHash !== ZERO_HASH) return
      let stored = this.store.vote(id)
      if (stored === undefined) {
        const verdict = await this.verdict(d)
        if (verdict === undefined) return // not derived that far yet: next step
        this.store.putVote({ disputeId: id, batchIndex: Number(d.batchIndex), claimedCommitment: verdict.claimed, salt: toHex(randomBytes(32)), saysCorrect: verdict.correct })
        stored = this.store.vote(id)!
        this.log.info(`validator ${this.tag}: dispute ${id} on batch ${d.batchIndex}: voting ${stored.saysCorrect ? 'correct' : 'wrong'} (${verdict.why})`)
      }
      const receipt = await this.send('commitVote', [d.batchIndex, voteHash(d.batchIndex, stored.claimedCommitment, stored.salt, this.address)], undefined, ['AlreadyCommitted'])
      if (receipt === undefined) return
      this.store.setCommitTx(id, receipt.transactionHash)
      this.log.info(`validator ${this.tag}: committed its vote in dispute ${id} on batch ${d.batchIndex} in L1 tx ${receipt.transactionHash} (revealed after L1 time ${commitDeadline})`)
      return
    }
    // the reveal phase
    if (vote.commitHash === ZERO_HASH || vote.revealed) return
    const stored = this.store.vote(id)
    if (stored === undefined || voteHash(d.batchIndex, stored.claimedCommitment, stored.salt, this.address) !== vote.commitHash) {
      const key = `lost:${id}`
      if (!this.skipped.has(key)) {
        this.skipped.add(key)
        this.log.error(`validator ${this.tag}: committed a vote in dispute ${id} whose salt this data directory does not hold: it cannot reveal (the non-voter penalty applies)`)
      }
      return
    }
    const receipt = await this.send('revealVote', [d.batchIndex, stored.claimedCommitment, stored.salt], undefined, ['AlreadyRevealed'])
    if (receipt === undefined) return
    this.store.setRevealTx(id, receipt.transactionHash)
    this.log.info(`validator ${this.tag}: revealed its vote (${stored.saysCorrect ? 'correct' : 'wrong'}) in dispute ${id} on batch ${d.batchIndex} in L1 tx ${receipt.transactionHash}`)
  }

  /**
   * What this validator claims for the disputed batch: the stored commitment when it derived the
   * batch and found it equal to L1's, its own commitment when it holds the batch as wrong (a
   * marker when it has no result of its own, or when an earlier batch is wrong), undefined when it
   * has not derived that far yet.
   */
  private async verdict(d: OnChainDispute): Promise<{ claimed: Hex; correct: boolean; why: string } | undefined> {
    const index = Number(d.batchIndex)
    const batch = await this.batchOnL1(d.batchIndex)
    const stored = batchCommitment(batch)
    const derived = this.batches.batch(index)
    if (derived !== undefined && sameAsDerived(derived, batch)) return { claimed: stored, correct: true, why: 'this node derived it and found it equal to L1\'s record' }
    const held = this.derivation.divergence()
    if (held !== null && held.batchIndex === index && batchCommitment(held.batch) === stored) {
      return { claimed: held.own === undefined ? wrongMarker(stored) : batchCommitment(held.own), correct: false, why: held.reason }
    }
    if (held !== null && held.batchIndex < index) return { claimed: wrongMarker(stored), correct: false, why: `it builds on batch ${held.batchIndex}, which is wrong` }
    return undefined
  }

  private async outcome(id: number): Promise<string> {
    const d = (await this.read('getDispute', [BigInt(id)])) as OnChainDispute & { correctStake: bigint; wrongStake: bigint; eligibleStake: bigint }
    const status = DISPUTE_STATUS_NAMES[d.status]
    const what = d.status === DisputeStatus.Wrong ? 'the batch and every later one are deleted, the poster\'s bond is slashed' : d.status === DisputeStatus.Correct ? 'the batch stands, the challenger\'s bond is slashed' : 'no quorum: the batch stays unfinal'
    return `${status} (wrong ${d.wrongStake}, correct ${d.correctStake} of ${d.eligibleStake} wei eligible): ${what}`
  }

  /**
   * Applies ValidatorSet.penalizeNonVoter to every validator that could vote in a dispute that
   * ended with a quorum and revealed no vote. Disputes are taken in id order; an open one stops
   * the cursor (its non-voters are known only once it is resolved). A dispute without a quorum
   * is left alone: the committee did not decide it, and penalizing everyone who was offline then
   * would punish the outage the NoQuorum rule exists for. The contract checks everything again
   * (a revert at simulation, someone else was first, costs nothing).
   */
  private async penalizeNonVoters(l1Head: bigint): Promise<void> {
    const count = Number(await this.read('disputeCount'))
    for (let id = this.penaltyCursor; id <= count && id < this.penaltyCursor + DISPUTES_PER_STEP; ) {
      const d = (await this.read('getDispute', [BigInt(id)])) as OnChainDispute
      if (d.status === DisputeStatus.Open) return
      if (d.status === DisputeStatus.Correct || d.status === DisputeStatus.Wrong) {
        await this.scanJoined(l1Head)
        for (const v of this.joined) {
          if (v.toLowerCase() === this.address.toLowerCase()) continue
          const [who, vote] = await Promise.all([this.validatorOf(v), this.read('voteOf', [BigInt(id), v]) as Promise<{ revealed: boolean; penalized: boolean }>])
          const eligible = who.stake > 0n && who.joinedBlock < d.openedBlock && (who.exitRequestedBlock === 0n || who.exitRequestedBlock > d.openedBlock)
          if (!eligible || vote.revealed || vote.penalized) continue
          const receipt = await this.send('penalizeNonVoter', [BigInt(id), v], undefined, ['AlreadyPenalized', 'VoteWasCast', 'NotEligibleVoter'])
          if (receipt === undefined) continue
          this.penalties++
          this.log.info(`validator ${this.tag}: penalized ${v}, which could vote in dispute ${id} on batch ${d.batchIndex} and revealed nothing, in L1 tx ${receipt.transactionHash} (NON_VOTER_PENALTY_BPS of its stake; the reporter's share is owed to this validator)`)
        }
      }
      this.penaltyCursor = ++id
    }
  }

  /** Reads the ValidatorJoined events since the last scan (the list of everyone who may have to vote). */
  private async scanJoined(l1Head: bigint): Promise<void> {
    if (this.joinedScannedTo >= l1Head) return
    const logs = await this.l1.getLogs({
      address: this.config.validatorSet,
      event: validatorSetAbi.find((x) => x.type === 'event' && x.name === 'ValidatorJoined') as Extract<(typeof validatorSetAbi)[number], { type: 'event'; name: 'ValidatorJoined' }>,
      fromBlock: this.joinedScannedTo + 1n,
      toBlock: l1Head,
    })
    for (const log of logs) this.joined.add(log.args.validator!)
    this.joinedScannedTo = l1Head
  }

  private async withdrawOwed(): Promise<void> {
    const owed = await this.read('owed', [this.address])
    if (owed === 0n) return
    const receipt = await this.send('withdrawOwed', [], undefined, ['NothingOwed'])
    if (receipt !== undefined) this.log.info(`validator ${this.tag}: withdrew ${owed} wei ValidatorSet owed it (rewards, refunded bonds) in L1 tx ${receipt.transactionHash}`)
  }

  // ---- L1 ----

  /**
   * RollupAnchor's record of batch `index`, read twice over: getBatch, and the contract's own hash
   * of it (batchCommitment). An endpoint that rewrites one answer (a lying or broken proxy) is
   * caught here, before this validator signs, challenges or votes on it; the step fails
   * (temporary, retried) and health() says not ok until a step passes cleanly. An endpoint that
   * lies coherently about every call is beyond any single-endpoint check: README "Running a
   * validator".
   */
  private async batchOnL1(index: bigint): Promise<L1Batch> {
    const [batch, stored] = await Promise.all([
      this.l1.readContract({ address: this.config.rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [index] }) as Promise<L1Batch>,
      this.l1.readContract({ address: this.config.rollupAnchor, abi: batchCommitmentAbi, functionName: 'batchCommitment', args: [index] }),
    ])
    if (batchCommitment(batch) !== stored) this.contradiction(`RollupAnchor.getBatch(${index}) hashes to ${batchCommitment(batch)}, its batchCommitment(${index}) is ${stored}`)
    return batch
  }

  private contradiction(message: string): never {
    if (this.inconsistent === null) this.log.error(`validator ${this.tag}: the L1 endpoint ${this.config.l1RpcUrl} contradicts itself: ${message}. Not signing, challenging or voting on its answers; retrying`)
    this.inconsistent = { message, at: Date.now() }
    throw new Error(`L1 endpoint contradicts itself: ${message}`)
  }

  private async validatorOf(address: Address): Promise<OnChainValidator> {
    return (await this.read('validatorOf', [address])) as OnChainValidator
  }

  private read<const F extends 'quorumCoveredCount' | 'hasAttested' | 'attestationsOf' | 'disputeCount' | 'getDispute' | 'disputeOf' | 'voteOf' | 'owed' | 'validatorOf'>(functionName: F, args?: readonly unknown[]) {
    return this.l1.readContract({ address: this.config.validatorSet, abi: validatorSetAbi, functionName, args } as never) as Promise<
      F extends 'quorumCoveredCount' | 'disputeCount' | 'owed' ? bigint : F extends 'hasAttested' ? boolean : F extends 'attestationsOf' ? readonly [bigint, bigint, bigint, bigint, boolean, bigint] : unknown
    >
  }

  /**
   * Simulates, sends and waits for one ValidatorSet call. A revert named in `benign` (someone else
   * did it first) returns undefined; any other revert or a transaction that fails on chain throws
   * (temporary: the loop retries).
   */
  private async send(functionName: string, args: readonly unknown[], value?: bigint, benign: string[] = []) {
    const call = { address: this.config.validatorSet, abi: validatorSetAbi, functionName, args, account: this.account, ...(value !== undefined && { value }) } as never
    let gas: bigint
    try {
      gas = await this.l1.estimateContractGas(call)
    } catch (err) {
      const name = revertName(err)
      if (name !== undefined && benign.includes(name)) return undefined
      throw new Error(`${functionName} would revert${name === undefined ? '' : ` with ${name}`}: ${l1ErrorText(err)}`, { cause: err })
    }
    // headroom: another validator's transaction in the same L1 block can make this one dearer
    // (the attestation that reaches the quorum writes more than the one before it)
    const hash = await this.wallet.writeContract({ ...(call as object), chain: this.wallet.chain, gas: (gas * 3n) / 2n } as never)
    const receipt = await this.l1.waitForTransactionReceipt({ hash, timeout: this.config.txTimeoutMs })
    if (receipt.status !== 'success') throw new Error(`${functionName} reverted on L1 (tx ${hash}, block ${receipt.blockNumber})`)
    return receipt
  }
}

const ZERO_HASH = `0x${'00'.repeat(32)}` as const

/** RollupAnchor's own hash of a batch record, read to cross-check getBatch (README "Running a validator"). */
const batchCommitmentAbi = parseAbi(['function batchCommitment(uint256 batchIndex) view returns (bytes32)'])

/** The derived batch is the one L1 holds now (same content and results; it may have been re-mined). */
function sameAsDerived(derived: PostedBatch, onL1: L1Batch): boolean {
  return (
    bytesToHex(derived.stateRoot) === onL1.stateRoot.toLowerCase() &&
    bytesToHex(derived.blockHash) === onL1.blockHash.toLowerCase() &&
    bytesToHex(derived.dataHash) === onL1.dataHash.toLowerCase() &&
    bytesToHex(derived.withdrawalRoot) === onL1.withdrawalRoot.toLowerCase() &&
    bytesToHex(derived.anchorRoot) === onL1.anchorRoot.toLowerCase() &&
    derived.firstBlock === Number(onL1.firstBlock) &&
    derived.lastBlock === Number(onL1.lastBlock)
  )
}

/** ValidatorSet's custom errors by selector, for a revert an L1 reports only in its message. */
const ERROR_NAMES = new Map(validatorSetAbi.filter((x) => x.type === 'error').map((e) => [toFunctionSelector(`${e.name}(${e.inputs.map((i) => i.type).join(',')})`), e.name]))

/** The custom error a call reverted with: as viem decoded it, else by the selector in the message. */
function revertName(err: unknown): string | undefined {
  let e = err as { cause?: unknown; data?: { errorName?: string } } | undefined
  while (e !== undefined && e !== null) {
    if (e.data?.errorName !== undefined) return e.data.errorName
    e = e.cause as typeof e
  }
  const selector = /custom error (0x[0-9a-fA-F]{8})/.exec(String((err as Error)?.message ?? ''))?.[1]
  return selector === undefined ? undefined : ERROR_NAMES.get(selector.toLowerCase() as Hex)
}
