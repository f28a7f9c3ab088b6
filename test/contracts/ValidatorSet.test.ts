/**
 * Specification of contracts/L1/ValidatorSet.sol (and the parts of RollupAnchor and L1Bridge it
 * governs), run by `npx hardhat test` against the in-process Hardhat network. Validators sign
 * with local keys of the dev mnemonic (the same accounts as hre's wallets), so the EIP-712 data
 * and the batch commitment are computed here independently of the contracts.
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import {
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  hashTypedData,
  keccak256,
  parseEther,
  parseEventLogs,
  parseSignature,
  serializeSignature,
  toHex,
  zeroHash,
  type Address,
  type Hex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { ZERO_ADDRESS, withdrawalHash } from './bridge-harness';
import {
  COMMIT_PERIOD,
  MIN_CHALLENGE_BOND,
  MIN_SEQUENCER_BOND,
  MIN_STAKE,
  REVEAL_PERIOD,
  attestationTypedData,
  batchCommitment,
  deployRollup,
  type StoredBatch,
} from './committee-harness';
import { merkleTree } from './merkle';
import { expectRevert as expectRevertWith } from './revert';

const DAY = 24n * 60n * 60n;
const WINDOW = 7n * DAY;
const STAKE = parseEther('10');
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** secp256k1 group order: s and n − s are both valid signatures of the same message. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const vsAbi = hre.artifacts.readArtifactSync('ValidatorSet').abi;
const anchorAbi = hre.artifacts.readArtifactSync('RollupAnchor').abi;
const bridgeAbi = hre.artifacts.readArtifactSync('L1Bridge').abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, vsAbi, errorName);

/** Dispute statuses (ValidatorSet.DisputeStatus). */
const Status = { None: 0, Open: 1, Correct: 2, Wrong: 3, NoQuorum: 4, Cancelled: 5 } as const;

/** The local signing key of hre wallet `i` (hardhat's accounts come from the dev mnemonic). */
const keyOf = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
const h = (label: string): Hex => keccak256(toHex(label));

type PublicClient = Awaited<ReturnType<typeof hre.viem.getPublicClient>>;
type Wallet = Awaited<ReturnType<typeof hre.viem.getWalletClients>>[number];

function eventsOf(receipt: { logs: Parameters<typeof parseEventLogs>[0]['logs'] }, abi: typeof vsAbi | typeof anchorAbi, eventName: string) {
  return parseEventLogs({ abi, logs: receipt.logs })
    .filter((e) => e.eventName === eventName)
    .map((e) => e.args as Record<string, any>);
}

const WITHDRAWAL = { nonce: 0n, l2Sender: '0x00000000000000000000000000000000000000aa' as Address, l1To: '0x00000000000000000000000000000000000000bb' as Address, l1Token: ZERO_ADDRESS, amount: parseEther('1') };
const WITHDRAWAL_HASH = withdrawalHash(WITHDRAWAL.nonce, WITHDRAWAL.l2Sender, WITHDRAWAL.l1To, WITHDRAWAL.l1Token, WITHDRAWAL.amount);
/** A tree whose first leaf is the withdrawal a wrong batch invents. */
const FAKE_TREE = merkleTree([WITHDRAWAL_HASH, h('filler')]);

/**
 * Admin #0 (treasury), sequencer #1, validators #2 #3 #4 with 10 ETH each (joined before any
 * batch), #5 an outsider, #6 a late joiner, #7 a relayer. Batch 0 (blocks 1-10) posted.
 */
async function committeeFixture() {
  const wallets = await hre.viem.getWalletClients();
  const [admin, sequencer, v1, v2, v3, outsider, late, relayer] = wallets;
  const publicClient = await hre.viem.getPublicClient();
  const { anchor, validatorSet } = await deployRollup(admin, sequencer.account.address, WINDOW);
  const bridge = await hre.viem.deployContract('L1Bridge', [anchor.address, admin.account.address]);
  await bridge.write.depositETH([admin.account.address], { value: parseEther('5') });
  const vsAs = (w: Wallet) => hre.viem.getContractAt('ValidatorSet', validatorSet.address, { client: { wallet: w } });
  const anchorAs = (w: Wallet) => hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet: w } });
  const asSequencer = await anchorAs(sequencer);
  for (const v of [v1, v2, v3]) await (await vsAs(v)).write.join({ value: STAKE });

  let nextBlock = 1n;
  /** Posts the next batch of `size` blocks; returns its index. */
  const post = async (opts: { size?: bigint; withdrawalRoot?: Hex; stateRoot?: Hex } = {}) => {
    const first = (await anchor.read.lastBlock()) + 1n;
    const last = first + (opts.size ?? 10n) - 1n;
    nextBlock = last + 1n;
    const hash = await asSequencer.write.submitBatch([
      first,
      last,
      opts.stateRoot ?? h(`state-${last}`),
      h(`block-${last}`),
      opts.withdrawalRoot ?? zeroHash,
      zeroHash,
      toHex(`data ${first}-${last}`),
    ]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    return eventsOf(receipt, anchorAbi, 'BatchSubmitted')[0].batchIndex as bigint;
  };
  await post();
  const chainId = await publicClient.getChainId();

  /** Signatures of batch `index`'s stored commitment by wallets `signers`, ascending by address. */
  const signatures = async (signers: number[], index: bigint, commitment?: Hex, domain: { chainId?: number; verifyingContract?: Address } = {}) => {
    const c = commitment ?? (await anchor.read.batchCommitment([index]));
    const typed = attestationTypedData(domain.chainId ?? chainId, domain.verifyingContract ?? validatorSet.address, index, c);
    const signed = await Promise.all(signers.map(async (i) => ({ address: keyOf(i).address, sig: await keyOf(i).signTypedData(typed) })));
    return signed.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1)).map((s) => s.sig);
  };
  const voteHash = (index: bigint, claimed: Hex, salt: Hex, voter: Address) =>
    keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [index, claimed, salt, voter]));
  /** Commits then (after the commit phase, if `reveal`) reveals votes: `correct` voters claim the stored commitment. */
  const vote = async (index: bigint, votes: { wallet: Wallet; correct: boolean }[]) => {
    const stored = await anchor.read.batchCommitment([index]);
    const plan = votes.map(({ wallet, correct }, i) => ({ wallet, claimed: correct ? stored : h(`other root ${i}`), salt: h(`salt ${i}`) }));
    for (const p of plan) await (await vsAs(p.wallet)).write.commitVote([index, voteHash(index, p.claimed, p.salt, p.wallet.account.address)]);
    await time.increase(COMMIT_PERIOD);
    for (const p of plan) await (await vsAs(p.wallet)).write.revealVote([index, p.claimed, p.salt]);
    await time.increase(REVEAL_PERIOD);
  };
  const receipt = (hash: Hex) => publicClient.waitForTransactionReceipt({ hash });
  return {
    anchor, validatorSet, bridge, publicClient, chainId, admin, sequencer, v1, v2, v3, outsider, late, relayer,
    vsAs, anchorAs, asSequencer, post, signatures, voteHash, vote, receipt, nextBlock: () => nextBlock,
  };
}

type Fixture = Awaited<ReturnType<typeof committeeFixture>>;

/** Batch 0 holds a withdrawal the L2 never made (a wrong withdrawal root); batch 1 follows. */
async function wrongBatchFixture() {
  const f = await loadFixture(committeeFixture);
  const wrong = await f.post({ withdrawalRoot: FAKE_TREE.root, stateRoot: h('a state root nobody derives') });
  const later = await f.post();
  return { ...f, wrong, later };
}

/** Opens a dispute on batch `index` by `wallet` with `value` wei of bond (the minimum by default). */
async function challengeBy(f: Fixture, wallet: Wallet, index: bigint, value = MIN_CHALLENGE_BOND) {
  return f.receipt(await (await f.vsAs(wallet)).write.challenge([index], { value }));
}

describe('ValidatorSet', function () {
  describe('deployment and linking', function () {
    it('keeps its parameters, constants and EIP-712 domain (name, version "1", L1 chain id, itself)', async function () {
      const { validatorSet, anchor, admin, chainId } = await loadFixture(committeeFixture);
      expect(await validatorSet.read.rollupAnchor()).to.equal(getAddress(anchor.address));
      expect(await validatorSet.read.treasury()).to.equal(getAddress(admin.account.address));
      expect(await validatorSet.read.MIN_STAKE()).to.equal(MIN_STAKE);
      expect(await validatorSet.read.MIN_SEQUENCER_BOND()).to.equal(MIN_SEQUENCER_BOND);
      expect(await validatorSet.read.MIN_CHALLENGE_BOND()).to.equal(MIN_CHALLENGE_BOND);
      expect(await validatorSet.read.COMMIT_PERIOD()).to.equal(COMMIT_PERIOD);
      expect(await validatorSet.read.REVEAL_PERIOD()).to.equal(REVEAL_PERIOD);
      expect(await validatorSet.read.NON_VOTER_PENALTY_BPS()).to.equal(1000n);
      expect(await validatorSet.read.REPORTER_SHARE_BPS()).to.equal(5000n);
      expect(await validatorSet.read.ATTESTATION_TYPEHASH()).to.equal(keccak256(toHex('Attestation(uint256 batchIndex,bytes32 commitment)')));
      const [, name, version, domainChainId, verifyingContract] = await validatorSet.read.eip712Domain();
      expect([name, version, domainChainId, verifyingContract]).to.deep.equal(['ai-rollup ValidatorSet', '1', BigInt(chainId), getAddress(validatorSet.address)]);
      expect(await anchor.read.validatorSet()).to.equal(getAddress(validatorSet.address));
    });

    it('reverts with ZeroRollupAnchor, ZeroTreasury and ZeroParameter for zero constructor arguments', async function () {
      const { anchor, admin } = await loadFixture(committeeFixture);
      const a = admin.account.address;
      await expectRevert(hre.viem.deployContract('ValidatorSet', [ZERO_ADDRESS, a, 1n, 1n, 1n, 1n, 1n]), 'ZeroRollupAnchor');
      await expectRevert(hre.viem.deployContract('ValidatorSet', [anchor.address, ZERO_ADDRESS, 1n, 1n, 1n, 1n, 1n]), 'ZeroTreasury');
      for (let i = 0; i < 5; i++) {
        const params = [1n, 1n, 1n, 1n, 1n];
        params[i] = 0n;
        await expectRevert(hre.viem.deployContract('ValidatorSet', [anchor.address, a, ...params] as any), 'ZeroParameter');
      }
    });

    it('RollupAnchor: reverts with NoValidatorSet before linking, then ValidatorSetLinked once; ValidatorSetAlreadyLinked after', async function () {
      const { admin, sequencer, publicClient } = await loadFixture(committeeFixture);
      const anchor = await hre.viem.deployContract('RollupAnchor', [admin.account.address, sequencer.account.address, WINDOW]);
      const asSeq = await hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet: sequencer } });
      const args = [1n, 1n, h('s'), h('b'), zeroHash, zeroHash, '0x01'] as const;
      await expectRevertWith(asSeq.write.submitBatch(args), anchorAbi, 'NoValidatorSet');
      const vs = await hre.viem.deployContract('ValidatorSet', [anchor.address, admin.account.address, 1n, 1n, 1n, 1n, 1n]);
      const r = await publicClient.waitForTransactionReceipt({ hash: await anchor.write.setValidatorSet([vs.address]) });
      expect(eventsOf(r, anchorAbi, 'ValidatorSetLinked')).to.deep.equal([{ validatorSet: getAddress(vs.address) }]);
      await expectRevertWith(anchor.write.setValidatorSet([vs.address]), anchorAbi, 'ValidatorSetAlreadyLinked');
    });

    it('RollupAnchor: reverts with ValidatorSetMismatch for a set of another anchor or an account without code, AccessControl for a non-admin', async function () {
      const { admin, sequencer, validatorSet, outsider } = await loadFixture(committeeFixture);
      const anchor = await hre.viem.deployContract('RollupAnchor', [admin.account.address, sequencer.account.address, WINDOW]);
      expect(await expectRevertWith(anchor.write.setValidatorSet([validatorSet.address]), anchorAbi, 'ValidatorSetMismatch')).to.deep.equal([getAddress(validatorSet.address)]);
      await expectRevertWith(anchor.write.setValidatorSet([outsider.account.address]), anchorAbi, 'ValidatorSetMismatch');
      const asOutsider = await hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet: outsider } });
      await expectRevertWith(asOutsider.write.setValidatorSet([validatorSet.address]), anchorAbi, 'AccessControlUnauthorizedAccount');
    });

    it('RollupAnchor: deleteBatchesFrom reverts with NotValidatorSet for anyone else; onBatchSubmitted with NotRollupAnchor', async function () {
      const { anchor, validatorSet, outsider } = await loadFixture(committeeFixture);
      expect(await expectRevertWith(anchor.write.deleteBatchesFrom([0n]), anchorAbi, 'NotValidatorSet')).to.have.length(1);
      await expectRevert(validatorSet.write.onBatchSubmitted([5n, outsider.account.address, 0n]), 'NotRollupAnchor');
    });

    it('batchCommitment is keccak256(abi.encode(Batch)), the ten stored fields as 32-byte words', async function () {
      const { anchor } = await loadFixture(committeeFixture);
      const stored = (await anchor.read.getBatch([0n])) as StoredBatch;
      expect(await anchor.read.batchCommitment([0n])).to.equal(batchCommitment(stored));
      await expectRevertWith(anchor.read.batchCommitment([1n]), anchorAbi, 'UnknownBatch');
    });

    it('attestationDigest is the EIP-712 hash viem computes for Attestation(batchIndex, commitment)', async function () {
      const { validatorSet, chainId } = await loadFixture(committeeFixture);
      const typed = attestationTypedData(chainId, validatorSet.address, 3n, h('c'));
      expect(await validatorSet.read.attestationDigest([3n, h('c')])).to.equal(hashTypedData(typed));
    });
  });

  describe('sequencer bond', function () {
    it('refuses a batch from a poster below MIN_SEQUENCER_BOND with InsufficientSequencerBond(poster, bond, minimum)', async function () {
      const { anchor, validatorSet, anchorAs, outsider, nextBlock } = await loadFixture(committeeFixture);
      await anchor.write.grantRole([await anchor.read.SEQUENCER_ROLE(), outsider.account.address]);
      await validatorSet.write.depositBond([outsider.account.address], { value: MIN_SEQUENCER_BOND - 1n });
      const asOutsider = await anchorAs(outsider);
      const args = [nextBlock(), nextBlock(), h('s'), h('b'), zeroHash, zeroHash, '0x01'] as const;
      const err = await expectRevert(asOutsider.write.submitBatch(args), 'InsufficientSequencerBond');
      expect(err).to.deep.equal([getAddress(outsider.account.address), MIN_SEQUENCER_BOND - 1n, MIN_SEQUENCER_BOND]);
      await validatorSet.write.depositBond([outsider.account.address], { value: 1n });
      await asOutsider.write.submitBatch(args);
      expect(await anchor.read.batchCount()).to.equal(2n);
    });

    it('depositBond: anyone funds a sequencer (BondDeposited); ZeroAmount and ZeroSequencer', async function () {
      const { validatorSet, sequencer, outsider, vsAs, receipt } = await loadFixture(committeeFixture);
      const r = await receipt(await (await vsAs(outsider)).write.depositBond([sequencer.account.address], { value: 5n }));
      expect(eventsOf(r, vsAbi, 'BondDeposited')).to.deep.equal([
        { sequencer: getAddress(sequencer.account.address), from: getAddress(outsider.account.address), amount: 5n, bond: MIN_SEQUENCER_BOND + 5n },
      ]);
      await expectRevert(validatorSet.write.depositBond([sequencer.account.address]), 'ZeroAmount');
      await expectRevert(validatorSet.write.depositBond([ZERO_ADDRESS], { value: 1n }), 'ZeroSequencer');
    });

    it('withdrawBond: BondLocked until the last batch is past its window and a whole dispute, then pays; ZeroAmount, InsufficientBond', async function () {
      const { validatorSet, vsAs, sequencer, anchor } = await loadFixture(committeeFixture);
      const asSeq = await vsAs(sequencer);
      const batch = await anchor.read.getBatch([0n]);
      const until = batch.submittedAt + WINDOW + COMMIT_PERIOD + REVEAL_PERIOD;
      expect((await validatorSet.read.bondOf([sequencer.account.address]))[1]).to.equal(until);
      expect(await expectRevert(asSeq.write.withdrawBond([1n]), 'BondLocked')).to.deep.equal([until]);
      await expectRevert(asSeq.write.withdrawBond([0n]), 'ZeroAmount');
      await expectRevert(asSeq.write.withdrawBond([MIN_SEQUENCER_BOND + 1n]), 'InsufficientBond');
      await time.increaseTo(until);
      await asSeq.write.withdrawBond([MIN_SEQUENCER_BOND]);
      expect((await validatorSet.read.bondOf([sequencer.account.address]))[0]).to.equal(0n);
    });

    it('withdrawBond: BondInDispute while a dispute on its batches is open or undecided', async function () {
      const f = await loadFixture(committeeFixture);
      await challengeBy(f, f.v1, 0n);
      await time.increase(WINDOW + 3n * DAY);
      expect(await expectRevert((await f.vsAs(f.sequencer)).write.withdrawBond([1n]), 'BondInDispute')).to.deep.equal([1n]);
    });
  });

  describe('joining and leaving', function () {
    it('join: counts the stake as active (ValidatorJoined); StakeBelowMinimum, AlreadyValidator', async function () {
      const { validatorSet, vsAs, outsider, v1, receipt } = await loadFixture(committeeFixture);
      expect(await validatorSet.read.activeStake()).to.equal(3n * STAKE);
      const asOutsider = await vsAs(outsider);
      expect(await expectRevert(asOutsider.write.join({ value: MIN_STAKE - 1n }), 'StakeBelowMinimum')).to.deep.equal([MIN_STAKE - 1n, MIN_STAKE]);
      const r = await receipt(await asOutsider.write.join({ value: MIN_STAKE }));
      expect(eventsOf(r, vsAbi, 'ValidatorJoined')).to.deep.equal([{ validator: getAddress(outsider.account.address), stake: MIN_STAKE }]);
      await expectRevert(asOutsider.write.join({ value: MIN_STAKE }), 'AlreadyValidator');
      await expectRevert((await vsAs(v1)).write.join({ value: MIN_STAKE }), 'AlreadyValidator');
    });

    it('requestExit then withdrawStake after exitUnlockTime (longer than the window plus a whole dispute); NotActiveValidator, NotExiting, ExitDelayNotOver', async function () {
      const { validatorSet, vsAs, v1, outsider, publicClient, receipt } = await loadFixture(committeeFixture);
      const asV1 = await vsAs(v1);
      await expectRevert(asV1.write.withdrawStake(), 'NotExiting');
      await expectRevert((await vsAs(outsider)).write.requestExit(), 'NotActiveValidator');
      const r = await receipt(await asV1.write.requestExit());
      const now = (await publicClient.getBlock({ blockNumber: r.blockNumber })).timestamp;
      const [{ unlockAt }] = eventsOf(r, vsAbi, 'ExitRequested');
      expect(unlockAt > now + WINDOW + COMMIT_PERIOD + REVEAL_PERIOD).to.equal(true);
      expect(await validatorSet.read.activeStake()).to.equal(2n * STAKE);
      await expectRevert(asV1.write.requestExit(), 'NotActiveValidator');
      expect(await expectRevert(asV1.write.withdrawStake(), 'ExitDelayNotOver')).to.deep.equal([unlockAt]);
      await time.increaseTo(unlockAt);
      const before = await publicClient.getBalance({ address: v1.account.address });
      const w = await receipt(await asV1.write.withdrawStake());
      const after = await publicClient.getBalance({ address: v1.account.address });
      expect(after - before + w.gasUsed * w.effectiveGasPrice).to.equal(STAKE);
      expect(eventsOf(w, vsAbi, 'StakeWithdrawn')).to.deep.equal([{ validator: getAddress(v1.account.address), amount: STAKE }]);
      expect((await validatorSet.read.validatorOf([v1.account.address])).stake).to.equal(0n);
    });

    it('refuses to start an exit with DisputeInProgress while a dispute it may vote in is open, and allows it once resolved', async function () {
      const f = await loadFixture(committeeFixture);
      await challengeBy(f, f.v1, 0n);
      await expectRevert((await f.vsAs(f.v2)).write.requestExit(), 'DisputeInProgress');
      await time.increase(COMMIT_PERIOD + REVEAL_PERIOD);
      await f.validatorSet.write.resolve([0n]);
      await (await f.vsAs(f.v2)).write.requestExit();
    });
  });

  describe('attestations and fast finality', function () {
    it('makes a batch final at once with two thirds of the stake (2 of 3 equal stakes), with Attested and QuorumReached', async function () {
      const { validatorSet, anchor, bridge, signatures, relayer, vsAs, receipt } = await loadFixture(committeeFixture);
      expect(await anchor.read.isFinal([0n])).to.equal(false);
      const r = await receipt(await (await vsAs(relayer)).write.attest([0n, await signatures([2, 3], 0n)]));
      expect(eventsOf(r, vsAbi, 'Attested')).to.have.length(2);
      expect(eventsOf(r, vsAbi, 'QuorumReached')).to.deep.equal([{ batchIndex: 0n, batchKey: 1n, attestedStake: 2n * STAKE, totalStake: 3n * STAKE }]);
      expect(await anchor.read.isFinal([0n])).to.equal(true);
      expect(await validatorSet.read.attestationsOf([0n])).to.deep.equal([2n, 2n * STAKE, 3n * STAKE, 2n * STAKE, true, 1n]);
      expect(await validatorSet.read.quorumCoveredCount()).to.equal(1n);
      // L1Bridge follows: a batch final by attestation passes its isFinal check (the proof then decides).
      await expectRevertWith(bridge.write.finalizeWithdrawal([0n, 0n, ZERO_ADDRESS, ZERO_ADDRESS, ZERO_ADDRESS, 1n, []]), bridgeAbi, 'InvalidWithdrawalProof');
    });

    it('is not final with one third; a later signature adds up (counted once each) to the quorum', async function () {
      const { validatorSet, anchor, signatures } = await loadFixture(committeeFixture);
      await validatorSet.write.attest([0n, await signatures([2], 0n)]);
      expect(await anchor.read.isFinal([0n])).to.equal(false);
      expect((await validatorSet.read.attestationsOf([0n])).slice(0, 2)).to.deep.equal([1n, STAKE]);
      // v1 again with v2: v1 is skipped, v2 counts.
      await validatorSet.write.attest([0n, await signatures([2, 3], 0n)]);
      expect((await validatorSet.read.attestationsOf([0n])).slice(0, 2)).to.deep.equal([2n, 2n * STAKE]);
      expect(await anchor.read.isFinal([0n])).to.equal(true);
      expect(await validatorSet.read.hasAttested([0n, keyOf(2).address])).to.equal(true);
      expect(await validatorSet.read.hasAttested([0n, keyOf(4).address])).to.equal(false);
    });

    it('reverts with NothingNewAttested when every signer was already counted, NoSignatures for none', async function () {
      const { validatorSet, signatures } = await loadFixture(committeeFixture);
      await validatorSet.write.attest([0n, await signatures([2], 0n)]);
      await expectRevert(validatorSet.write.attest([0n, await signatures([2], 0n)]), 'NothingNewAttested');
      await expectRevert(validatorSet.write.attest([0n, []]), 'NoSignatures');
    });

    it('a quorum on a later batch makes every earlier batch final too', async function () {
      const { validatorSet, anchor, post, signatures } = await loadFixture(committeeFixture);
      const second = await post();
      await validatorSet.write.attest([second, await signatures([2, 3, 4], second)]);
      expect(await anchor.read.isFinal([0n])).to.equal(true);
      expect(await anchor.read.isFinal([second])).to.equal(true);
    });

    it('without a quorum, is final when the challenge window has passed unchallenged', async function () {
      const { anchor } = await loadFixture(committeeFixture);
      const batch = await anchor.read.getBatch([0n]);
      await time.increaseTo(batch.submittedAt + WINDOW - 1n);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      await time.increaseTo(batch.submittedAt + WINDOW);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
    });

    it('stake that joined after the batch was submitted neither counts in its total nor may attest it (NotEligibleSigner)', async function () {
      const { validatorSet, vsAs, late, signatures } = await loadFixture(committeeFixture);
      await (await vsAs(late)).write.join({ value: parseEther('100') });
      const err = await expectRevert(validatorSet.write.attest([0n, await signatures([6], 0n)]), 'NotEligibleSigner');
      expect(err).to.deep.equal([0n, keyOf(6).address]);
      expect((await validatorSet.read.attestationsOf([0n]))[2]).to.equal(3n * STAKE);
    });

    it('a validator that asked to exit before the batch may not attest it', async function () {
      const { validatorSet, vsAs, v3, post, signatures } = await loadFixture(committeeFixture);
      await (await vsAs(v3)).write.requestExit();
      const next = await post();
      await expectRevert(validatorSet.write.attest([next, await signatures([4], next)]), 'NotEligibleSigner');
      // Two thirds of the remaining 20 ETH: both others.
      expect((await validatorSet.read.attestationsOf([next])).slice(2, 4)).to.deep.equal([2n * STAKE, (4n * STAKE + 2n) / 3n]);
    });

    it('rejects a forged signature (a key that is no validator) with NotEligibleSigner', async function () {
      const { validatorSet, signatures } = await loadFixture(committeeFixture);
      expect(await expectRevert(validatorSet.write.attest([0n, await signatures([9], 0n)]), 'NotEligibleSigner')).to.deep.equal([0n, keyOf(9).address]);
    });

    it('rejects a malleated signature (s → n − s, v flipped) with MalleableSignature, and garbage with InvalidSignature', async function () {
      const { validatorSet, signatures } = await loadFixture(committeeFixture);
      const [sig] = await signatures([2], 0n);
      const { r, s, yParity } = parseSignature(sig);
      const malleated = serializeSignature({ r, s: toHex(SECP256K1_N - BigInt(s), { size: 32 }), yParity: yParity === 0 ? 1 : 0 });
      expect(await expectRevert(validatorSet.write.attest([0n, [malleated]]), 'MalleableSignature')).to.deep.equal([0n]);
      expect(await expectRevert(validatorSet.write.attest([0n, [sig.slice(0, 130) as Hex]]), 'InvalidSignature')).to.deep.equal([0n]);
      const badV = (sig.slice(0, 130) + '1d') as Hex; // v = 29
      expect(await expectRevert(validatorSet.write.attest([0n, [badV]]), 'InvalidSignature')).to.deep.equal([0n]);
    });

    it('rejects a signer twice or out of order with SignersNotAscending(index, previous, signer)', async function () {
      const { validatorSet, signatures } = await loadFixture(committeeFixture);
      const [a, b] = await signatures([2, 3], 0n);
      const [addrA, addrB] = [keyOf(2).address, keyOf(3).address].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
      expect(await expectRevert(validatorSet.write.attest([0n, [a, a]]), 'SignersNotAscending')).to.deep.equal([1n, addrA, addrA]);
      expect(await expectRevert(validatorSet.write.attest([0n, [b, a]]), 'SignersNotAscending')).to.deep.equal([1n, addrB, addrA]);
    });

    it('rejects signatures for another chain id or another verifying contract (they recover to no validator)', async function () {
      const { validatorSet, anchor, signatures } = await loadFixture(committeeFixture);
      await expectRevert(validatorSet.write.attest([0n, await signatures([2], 0n, undefined, { chainId: 1 })]), 'NotEligibleSigner');
      await expectRevert(validatorSet.write.attest([0n, await signatures([2], 0n, undefined, { verifyingContract: anchor.address })]), 'NotEligibleSigner');
      await expectRevert(validatorSet.write.attest([0n, await signatures([2], 0n, h('another commitment'))]), 'NotEligibleSigner');
    });

    it('rejects attestations of a batch that does not exist with UnknownBatch', async function () {
      const { validatorSet, signatures } = await loadFixture(committeeFixture);
      expect(await expectRevert(validatorSet.write.attest([1n, await signatures([2], 1n, h('x'))]), 'UnknownBatch')).to.deep.equal([1n]);
    });
  });

  describe('disputes', function () {
    it('challenge: opens a dispute (ChallengeOpened), blocks finality of the batch and every later one past the window', async function () {
      const f = await loadFixture(committeeFixture);
      const second = await f.post();
      const r = await challengeBy(f, f.v1, 0n);
      const [opened] = eventsOf(r, vsAbi, 'ChallengeOpened');
      expect(opened).to.include({ batchIndex: 0n, disputeId: 1n, challenger: getAddress(f.v1.account.address), bond: MIN_CHALLENGE_BOND, eligibleStake: 3n * STAKE });
      const [id, dispute, blocking] = await f.validatorSet.read.disputeOf([0n]);
      expect([id, dispute.status, blocking]).to.deep.equal([1n, Status.Open, true]);
      expect(await f.validatorSet.read.firstBlockedBatch()).to.deep.equal([true, 0n]);
      await time.increase(WINDOW + DAY);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      expect(await f.anchor.read.isFinal([second], { blockTag: 'latest' })).to.equal(false);
    });

    it('challenge reverts with NotActiveValidator (no stake), ChallengeBondTooLow, UnknownBatch, AlreadyChallenged (twice)', async function () {
      const f = await loadFixture(committeeFixture);
      await expectRevert(challengeBy(f, f.outsider, 0n), 'NotActiveValidator');
      expect(await expectRevert(challengeBy(f, f.v1, 0n, MIN_CHALLENGE_BOND - 1n), 'ChallengeBondTooLow')).to.deep.equal([MIN_CHALLENGE_BOND - 1n, MIN_CHALLENGE_BOND]);
      await expectRevert(challengeBy(f, f.v1, 5n), 'UnknownBatch');
      await challengeBy(f, f.v1, 0n);
      await expectRevert(challengeBy(f, f.v2, 0n), 'AlreadyChallenged');
    });

    it('challenge reverts with ChallengeWindowClosed after the window and BatchAlreadyFinal once a quorum attested it', async function () {
      const f = await loadFixture(committeeFixture);
      const second = await f.post();
      await f.validatorSet.write.attest([second, await f.signatures([2, 3], second)]);
      await expectRevert(challengeBy(f, f.v1, 0n), 'BatchAlreadyFinal');
      await expectRevert(challengeBy(f, f.v1, second), 'BatchAlreadyFinal');
      const third = await f.post();
      const b = await f.anchor.read.getBatch([third]);
      await time.increaseTo(b.submittedAt + WINDOW);
      expect(await expectRevert(challengeBy(f, f.v1, third), 'ChallengeWindowClosed')).to.deep.equal([third, b.submittedAt + WINDOW]);
    });

    it('a batch voted correct: the challenger loses its bond to the treasury, the batch is final after its window', async function () {
      const f = await loadFixture(committeeFixture);
      await challengeBy(f, f.v1, 0n);
      await f.vote(0n, [{ wallet: f.v2, correct: true }, { wallet: f.v3, correct: true }, { wallet: f.v1, correct: false }]);
      const r = await f.receipt(await f.validatorSet.write.resolve([0n]));
      expect(eventsOf(r, vsAbi, 'DisputeResolved')).to.deep.equal([{ batchIndex: 0n, disputeId: 1n, status: Status.Correct, correctStake: 2n * STAKE, wrongStake: STAKE, eligibleStake: 3n * STAKE }]);
      expect(eventsOf(r, vsAbi, 'ChallengerSlashed')).to.deep.equal([{ challenger: getAddress(f.v1.account.address), disputeId: 1n, bond: MIN_CHALLENGE_BOND }]);
      expect(await f.validatorSet.read.owed([f.admin.account.address])).to.equal(MIN_CHALLENGE_BOND);
      expect(await f.validatorSet.read.owed([f.v1.account.address])).to.equal(0n);
      await time.increase(WINDOW);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
      await expectRevert(challengeBy(f, f.v2, 0n), 'AlreadyChallenged');
    });

    it('no quorum: the batch and every later one stay unfinal for good, the bond is refunded; a quorum of attestations settles it', async function () {
      const f = await loadFixture(committeeFixture);
      const second = await f.post();
      await challengeBy(f, f.v1, 0n);
      await f.vote(0n, [{ wallet: f.v2, correct: true }, { wallet: f.v1, correct: false }]);
      const r = await f.receipt(await f.validatorSet.write.resolve([0n]));
      expect(eventsOf(r, vsAbi, 'DisputeResolved')[0].status).to.equal(Status.NoQuorum);
      expect(await f.validatorSet.read.owed([f.v1.account.address])).to.equal(MIN_CHALLENGE_BOND);
      await time.increase(365n * DAY);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      expect(await f.anchor.read.isFinal([second], { blockTag: 'latest' })).to.equal(false);
      // Undecided: may be challenged again though the window is long over.
      await challengeBy(f, f.v2, 0n);
      await time.increase(COMMIT_PERIOD + REVEAL_PERIOD);
      await f.validatorSet.write.resolve([0n]);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      const a = await f.receipt(await f.validatorSet.write.attest([0n, await f.signatures([2, 3], 0n)]));
      expect(eventsOf(a, vsAbi, 'UndecidedBatchSettled')).to.deep.equal([{ batchIndex: 0n, disputeId: 2n }]);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
      expect(await f.anchor.read.isFinal([second], { blockTag: 'latest' })).to.equal(true);
    });

    it('commitVote reverts with NoOpenDispute, NotEligibleVoter (no stake, or joined after the challenge), ZeroVoteHash, AlreadyCommitted, CommitPeriodOver', async function () {
      const f = await loadFixture(committeeFixture);
      const h1 = f.voteHash(0n, h('x'), h('salt'), f.v1.account.address);
      await expectRevert((await f.vsAs(f.v1)).write.commitVote([0n, h1]), 'NoOpenDispute');
      await challengeBy(f, f.v1, 0n);
      await expectRevert((await f.vsAs(f.outsider)).write.commitVote([0n, h1]), 'NotEligibleVoter');
      await (await f.vsAs(f.late)).write.join({ value: parseEther('100') });
      expect(await expectRevert((await f.vsAs(f.late)).write.commitVote([0n, h1]), 'NotEligibleVoter')).to.deep.equal([getAddress(f.late.account.address)]);
      await expectRevert((await f.vsAs(f.v1)).write.commitVote([0n, zeroHash]), 'ZeroVoteHash');
      await (await f.vsAs(f.v1)).write.commitVote([0n, h1]);
      await expectRevert((await f.vsAs(f.v1)).write.commitVote([0n, h1]), 'AlreadyCommitted');
      await time.increase(COMMIT_PERIOD);
      await expectRevert((await f.vsAs(f.v2)).write.commitVote([0n, h1]), 'CommitPeriodOver');
    });

    it('revealVote reverts with RevealPeriodNotStarted, RevealMismatch (wrong commitment, salt or voter), NotCommitted, AlreadyRevealed, RevealPeriodOver', async function () {
      const f = await loadFixture(committeeFixture);
      await challengeBy(f, f.v1, 0n);
      const stored = await f.anchor.read.batchCommitment([0n]);
      const asV1 = await f.vsAs(f.v1);
      await asV1.write.commitVote([0n, f.voteHash(0n, stored, h('salt'), f.v1.account.address)]);
      // v2 commits v1's hash (copying it): the voter is in the hash, so it cannot be revealed.
      await (await f.vsAs(f.v2)).write.commitVote([0n, f.voteHash(0n, stored, h('salt'), f.v1.account.address)]);
      await expectRevert(asV1.write.revealVote([0n, stored, h('salt')]), 'RevealPeriodNotStarted');
      await time.increase(COMMIT_PERIOD);
      await expectRevert(asV1.write.revealVote([0n, h('other'), h('salt')]), 'RevealMismatch');
      await expectRevert(asV1.write.revealVote([0n, stored, h('pepper')]), 'RevealMismatch');
      await expectRevert((await f.vsAs(f.v2)).write.revealVote([0n, stored, h('salt')]), 'RevealMismatch');
      await expectRevert((await f.vsAs(f.v3)).write.revealVote([0n, stored, h('salt')]), 'NotCommitted');
      await asV1.write.revealVote([0n, stored, h('salt')]);
      await expectRevert(asV1.write.revealVote([0n, stored, h('salt')]), 'AlreadyRevealed');
      await time.increase(REVEAL_PERIOD);
      await expectRevert((await f.vsAs(f.v2)).write.revealVote([0n, stored, h('salt')]), 'RevealPeriodOver');
    });

    it('resolve reverts with VotingNotOver before the reveal deadline and NoOpenDispute without a dispute or twice', async function () {
      const f = await loadFixture(committeeFixture);
      await expectRevert(f.validatorSet.write.resolve([0n]), 'NoOpenDispute');
      await challengeBy(f, f.v1, 0n);
      await expectRevert(f.validatorSet.write.resolve([0n]), 'VotingNotOver');
      await time.increase(COMMIT_PERIOD + REVEAL_PERIOD);
      await f.validatorSet.write.resolve([0n]);
      await expectRevert(f.validatorSet.write.resolve([0n]), 'NoOpenDispute');
    });
  });

  describe('a wrong batch', function () {
    it('is deleted with every later batch (BatchesDeleted), the sequencer slashed, and posting resumes from the last good batch', async function () {
      const f = await loadFixture(wrongBatchFixture);
      const goodLast = (await f.anchor.read.getBatch([0n])).lastBlock;
      await challengeBy(f, f.v1, f.wrong);
      await f.vote(f.wrong, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }, { wallet: f.v3, correct: true }]);
      const r = await f.receipt(await (await f.vsAs(f.relayer)).write.resolve([f.wrong]));
      expect(eventsOf(r, anchorAbi, 'BatchesDeleted')).to.deep.equal([{ fromIndex: f.wrong, previousCount: 3n }]);
      expect(eventsOf(r, vsAbi, 'SequencerSlashed')).to.deep.equal([
        { sequencer: getAddress(f.sequencer.account.address), batchIndex: f.wrong, amount: MIN_SEQUENCER_BOND, reward: MIN_SEQUENCER_BOND / 2n },
      ]);
      expect(await f.anchor.read.batchCount()).to.equal(1n);
      expect(await f.anchor.read.lastBlock()).to.equal(goodLast);
      expect(await f.validatorSet.read.owed([f.v1.account.address])).to.equal(MIN_SEQUENCER_BOND / 2n + MIN_CHALLENGE_BOND);
      expect(await f.validatorSet.read.owed([f.admin.account.address])).to.equal(MIN_SEQUENCER_BOND / 2n);
      expect((await f.validatorSet.read.bondOf([f.sequencer.account.address]))[0]).to.equal(0n);
      // No bond, no batch: the operator must post a new bond first.
      await expectRevert(f.post(), 'InsufficientSequencerBond');
      await f.validatorSet.write.depositBond([f.sequencer.account.address], { value: MIN_SEQUENCER_BOND });
      const again = await f.post();
      expect(again).to.equal(f.wrong);
      expect((await f.anchor.read.getBatch([again])).firstBlock).to.equal(goodLast + 1n);
    });

    it('a withdrawal proven against it is never finalizable: not final while disputed, unknown once deleted, unproven against the batch posted again', async function () {
      const f = await loadFixture(wrongBatchFixture);
      const args = (batch: bigint) => [batch, WITHDRAWAL.nonce, WITHDRAWAL.l2Sender, WITHDRAWAL.l1To, WITHDRAWAL.l1Token, WITHDRAWAL.amount, FAKE_TREE.proofs[0]] as const;
      expect(await f.anchor.read.verifyWithdrawal([f.wrong, WITHDRAWAL_HASH, FAKE_TREE.proofs[0]])).to.equal(true);
      await challengeBy(f, f.v1, f.wrong);
      await f.vote(f.wrong, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }, { wallet: f.v3, correct: false }]);
      // Past its window, but the dispute is not resolved yet.
      await time.increase(WINDOW);
      await expectRevertWith(f.bridge.write.finalizeWithdrawal(args(f.wrong)), bridgeAbi, 'BatchNotFinal');
      await f.validatorSet.write.resolve([f.wrong]);
      await expectRevertWith(f.bridge.write.finalizeWithdrawal(args(f.wrong)), bridgeAbi, 'UnknownBatch');
      await f.validatorSet.write.depositBond([f.sequencer.account.address], { value: MIN_SEQUENCER_BOND });
      await f.post();
      await time.increase(WINDOW);
      expect(await f.anchor.read.isFinal([f.wrong], { blockTag: 'latest' })).to.equal(true);
      await expectRevertWith(f.bridge.write.finalizeWithdrawal(args(f.wrong)), bridgeAbi, 'InvalidWithdrawalProof');
    });

    it('cancels disputes on the deleted later batches and refunds their bonds (DisputeCancelled)', async function () {
      const f = await loadFixture(wrongBatchFixture);
      await challengeBy(f, f.v2, f.later);
      await challengeBy(f, f.v1, f.wrong);
      expect(await f.validatorSet.read.firstBlockedBatch()).to.deep.equal([true, f.wrong]);
      await f.vote(f.wrong, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }]);
      const r = await f.receipt(await f.validatorSet.write.resolve([f.wrong]));
      expect(eventsOf(r, vsAbi, 'DisputeCancelled')).to.deep.equal([{ batchIndex: f.later, disputeId: 1n }]);
      expect((await f.validatorSet.read.getDispute([1n])).status).to.equal(Status.Cancelled);
      expect(await f.validatorSet.read.owed([f.v2.account.address])).to.equal(MIN_CHALLENGE_BOND);
      expect(await f.validatorSet.read.openDisputes()).to.equal(0n);
      expect(await f.validatorSet.read.firstBlockedBatch()).to.deep.equal([false, 0n]);
      expect((await f.validatorSet.read.bondOf([f.sequencer.account.address]))[2]).to.equal(0n);
      await time.increase(WINDOW);
      expect(await f.anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
    });

    it('a batch posted again at a deleted index starts clean: old signatures do not count, attestations and disputes are new', async function () {
      const f = await loadFixture(wrongBatchFixture);
      const oldSigs = await f.signatures([2], f.later);
      await f.validatorSet.write.attest([f.later, await f.signatures([2], f.later)]);
      await challengeBy(f, f.v1, f.wrong);
      await f.vote(f.wrong, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }]);
      await f.validatorSet.write.resolve([f.wrong]);
      await expectRevert(f.validatorSet.write.attest([f.later, oldSigs]), 'UnknownBatch');
      await f.validatorSet.write.depositBond([f.sequencer.account.address], { value: MIN_SEQUENCER_BOND });
      await f.post();
      const reposted = await f.post();
      expect(reposted).to.equal(f.later);
      expect(await f.validatorSet.read.hasAttested([reposted, keyOf(2).address])).to.equal(false);
      expect((await f.validatorSet.read.attestationsOf([reposted])).slice(0, 2)).to.deep.equal([0n, 0n]);
      expect((await f.validatorSet.read.disputeOf([reposted]))[0]).to.equal(0n);
      await expectRevert(f.validatorSet.write.attest([reposted, oldSigs]), 'NotEligibleSigner');
      await f.validatorSet.write.attest([reposted, await f.signatures([2, 3, 4], reposted)]);
      expect(await f.anchor.read.isFinal([reposted])).to.equal(true);
    });
  });

  describe('penalties', function () {
    it('penalizeNonVoter: an eligible validator that did not reveal loses 10 % (half to the caller, half to the treasury)', async function () {
      const f = await loadFixture(committeeFixture);
      await challengeBy(f, f.v1, 0n);
      await f.vote(0n, [{ wallet: f.v1, correct: true }, { wallet: f.v2, correct: true }]);
      await expectRevert((await f.vsAs(f.relayer)).write.penalizeNonVoter([1n, f.v3.account.address]), 'DisputeNotResolved');
      await f.validatorSet.write.resolve([0n]);
      const r = await f.receipt(await (await f.vsAs(f.relayer)).write.penalizeNonVoter([1n, f.v3.account.address]));
      expect(eventsOf(r, vsAbi, 'NonVoterPenalized')).to.deep.equal([
        { validator: getAddress(f.v3.account.address), disputeId: 1n, amount: STAKE / 10n, reporter: getAddress(f.relayer.account.address), reward: STAKE / 20n },
      ]);
      expect((await f.validatorSet.read.validatorOf([f.v3.account.address])).stake).to.equal(STAKE - STAKE / 10n);
      expect(await f.validatorSet.read.activeStake()).to.equal(3n * STAKE - STAKE / 10n);
      expect(await f.validatorSet.read.owed([f.relayer.account.address])).to.equal(STAKE / 20n);
      await expectRevert(f.validatorSet.write.penalizeNonVoter([1n, f.v3.account.address]), 'AlreadyPenalized');
      await expectRevert(f.validatorSet.write.penalizeNonVoter([1n, f.v2.account.address]), 'VoteWasCast');
      await expectRevert(f.validatorSet.write.penalizeNonVoter([1n, f.outsider.account.address]), 'NotEligibleVoter');
    });

    it('reportEquivocation: two signatures of different commitments for one batch index slash the whole stake', async function () {
      const f = await loadFixture(committeeFixture);
      const [a] = await f.signatures([2], 7n, h('commitment A'));
      const [b] = await f.signatures([2], 7n, h('commitment B'));
      const r = await f.receipt(await (await f.vsAs(f.relayer)).write.reportEquivocation([7n, h('commitment A'), a, h('commitment B'), b]));
      expect(eventsOf(r, vsAbi, 'EquivocationSlashed')[0]).to.include({ validator: keyOf(2).address, amount: STAKE, reward: STAKE / 2n });
      expect((await f.validatorSet.read.validatorOf([keyOf(2).address])).stake).to.equal(0n);
      expect(await f.validatorSet.read.activeStake()).to.equal(2n * STAKE);
      expect(await f.validatorSet.read.owed([f.relayer.account.address])).to.equal(STAKE / 2n);
      expect(await f.validatorSet.read.owed([f.admin.account.address])).to.equal(STAKE / 2n);
      await expectRevert(f.validatorSet.write.reportEquivocation([7n, h('commitment A'), a, h('commitment B'), b]), 'NothingToSlash');
    });

    it('reportEquivocation reverts with SameCommitment, DifferentSigners, InvalidSignature', async function () {
      const f = await loadFixture(committeeFixture);
      const [a] = await f.signatures([2], 7n, h('A'));
      const [b3] = await f.signatures([3], 7n, h('B'));
      await expectRevert(f.validatorSet.write.reportEquivocation([7n, h('A'), a, h('A'), a]), 'SameCommitment');
      await expectRevert(f.validatorSet.write.reportEquivocation([7n, h('A'), a, h('B'), b3]), 'DifferentSigners');
      await expectRevert(f.validatorSet.write.reportEquivocation([7n, h('A'), a, h('B'), '0x1234']), 'InvalidSignature');
    });
  });

  describe('payouts (pull payments)', function () {
    it('a refusing receiver cannot block the resolution that pays it: its share is credited, withdrawOwed reverts ETHTransferFailed and pays once it accepts', async function () {
      const f = await loadFixture(committeeFixture);
      const receiver = await hre.viem.deployContract('ReentrantReceiver', [f.validatorSet.address]);
      const call = (functionName: string, args: unknown[] = []) => encodeFunctionData({ abi: vsAbi, functionName: functionName as any, args: args as any });
      await receiver.write.forward([call('join')], { value: STAKE });
      const bad = await f.post({ stateRoot: h('wrong') });
      await receiver.write.forward([call('challenge', [bad])], { value: MIN_CHALLENGE_BOND });
      await receiver.write.configure([true, '0x']);
      await f.vote(bad, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }, { wallet: f.v3, correct: false }]);
      await f.validatorSet.write.resolve([bad]);
      const owed = MIN_SEQUENCER_BOND / 2n + MIN_CHALLENGE_BOND;
      expect(await f.validatorSet.read.owed([receiver.address])).to.equal(owed);
      const err = await expectRevert(receiver.write.forward([call('withdrawOwed')]), 'ETHTransferFailed');
      expect(err).to.deep.equal([getAddress(receiver.address), owed]);
      expect(await f.validatorSet.read.owed([receiver.address])).to.equal(owed);
      await receiver.write.configure([false, '0x']);
      await receiver.write.forward([call('withdrawOwed')]);
      expect(await f.publicClient.getBalance({ address: receiver.address })).to.equal(owed);
      await expectRevert(receiver.write.forward([call('withdrawOwed')]), 'NothingOwed');
    });

    it('a receiver that reenters withdrawOwed from its receive() is paid once: the reentry reverts with ReentrancyGuardReentrantCall', async function () {
      const f = await loadFixture(committeeFixture);
      const receiver = await hre.viem.deployContract('ReentrantReceiver', [f.validatorSet.address]);
      const call = (functionName: string, args: unknown[] = []) => encodeFunctionData({ abi: vsAbi, functionName: functionName as any, args: args as any });
      await receiver.write.forward([call('join')], { value: STAKE });
      const bad = await f.post({ stateRoot: h('wrong') });
      await receiver.write.forward([call('challenge', [bad])], { value: MIN_CHALLENGE_BOND });
      await f.vote(bad, [{ wallet: f.v1, correct: false }, { wallet: f.v2, correct: false }, { wallet: f.v3, correct: false }]);
      await f.validatorSet.write.resolve([bad]);
      const owed = await f.validatorSet.read.owed([receiver.address]);
      // Its receive() calls withdrawOwed again, then resolve (nothing to resolve any more).
      await receiver.write.configure([false, call('withdrawOwed')]);
      const before = await f.publicClient.getBalance({ address: f.validatorSet.address });
      await receiver.write.forward([call('withdrawOwed')]);
      expect(await receiver.read.lastReentrySucceeded()).to.equal(false);
      const reentryError = await receiver.read.lastReentryReturn();
      expect(decodeErrorResult({ abi: vsAbi, data: reentryError }).errorName).to.equal('ReentrancyGuardReentrantCall');
      expect(await receiver.read.receivedCount()).to.equal(1n);
      expect(await f.publicClient.getBalance({ address: receiver.address })).to.equal(owed);
      expect(before - (await f.publicClient.getBalance({ address: f.validatorSet.address }))).to.equal(owed);
      expect(await f.validatorSet.read.owed([receiver.address])).to.equal(0n);
    });
  });

  describe('gas', function () {
    it('measures one attest() with 1, 4 and 16 signers (16 validators of equal stake)', async function () {
      const wallets = await hre.viem.getWalletClients();
      const [admin, sequencer] = wallets;
      const publicClient = await hre.viem.getPublicClient();
      const { anchor, validatorSet } = await deployRollup(admin, sequencer.account.address, WINDOW);
      const indices = Array.from({ length: 16 }, (_, i) => i + 2);
      for (const i of indices) {
        await (await hre.viem.getContractAt('ValidatorSet', validatorSet.address, { client: { wallet: wallets[i] } })).write.join({ value: STAKE });
      }
      const asSeq = await hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet: sequencer } });
      const chainId = await publicClient.getChainId();
      const figures: Record<number, bigint> = {};
      for (const [n, batch] of [[1, 0n], [4, 1n], [16, 2n]] as const) {
        const first = (await anchor.read.lastBlock()) + 1n;
        await asSeq.write.submitBatch([first, first + 9n, h(`s${n}`), h(`b${n}`), zeroHash, zeroHash, toHex(`d${n}`)]);
        const commitment = await anchor.read.batchCommitment([batch]);
        const typed = attestationTypedData(chainId, validatorSet.address, batch, commitment);
        const signed = await Promise.all(indices.slice(0, n).map(async (i) => ({ a: keyOf(i).address, s: await keyOf(i).signTypedData(typed) })));
        const sigs = signed.sort((x, y) => (BigInt(x.a) < BigInt(y.a) ? -1 : 1)).map((x) => x.s);
        const receipt = await publicClient.waitForTransactionReceipt({ hash: await validatorSet.write.attest([batch, sigs]) });
        figures[n] = receipt.gasUsed;
      }
      console.log(`      attest() gas: 1 signer ${figures[1]}, 4 signers ${figures[4]}, 16 signers ${figures[16]} (16 reaches the quorum)`);
      expect(figures[1] < figures[4] && figures[4] < figures[16]).to.equal(true);
      // What the README states: about 107k for one signer and about 37k per further signer.
      expect(Number(figures[1])).to.be.below(120_000);
      expect(Number(figures[16] - figures[1]) / 15).to.be.below(40_000);
    });
  });
});
