/**
 * Specification of contracts/L1/RollupAnchor.sol, run by `npx hardhat test` (mocha + chai +
 * hardhat-viem) against the in-process Hardhat network.
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { concat, getAddress, keccak256, parseEventLogs, toHex, zeroHash, type Hex } from 'viem';
import { deployRollup } from './committee-harness';
import { hashPair, leafHash, merkleTree } from './merkle';
import { expectRevert as expectRevertWith } from './revert';

const DAY = 24n * 60n * 60n;
const WINDOW = 7n * DAY;
// Includes the OpenZeppelin AccessControl errors.
const anchorAbi = hre.artifacts.readArtifactSync('RollupAnchor').abi;
const SEQUENCER_ROLE = keccak256(toHex('SEQUENCER_ROLE'));
const DEFAULT_ADMIN_ROLE = zeroHash;

/** Expects `action` to revert with RollupAnchor's error `errorName`; returns its arguments. */
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, anchorAbi, errorName);

/** A distinct nonzero bytes32 for test data. */
const h = (label: string): Hex => keccak256(toHex(label));

const ANCHORED = [h('doc-a'), h('doc-b'), h('doc-c'), h('doc-d'), h('doc-e')];
const ANCHOR_TREE = merkleTree(ANCHORED);
const WITHDRAWALS = [h('withdrawal-1'), h('withdrawal-2'), h('withdrawal-3')];
const WITHDRAWAL_TREE = merkleTree(WITHDRAWALS);

/** The dataHash of a channel: frame hashes chained from zero (batcher/channel.ts frameCommitment). */
const chain = (hashes: Hex[], acc: Hex = zeroHash): Hex => hashes.reduce((a, x) => keccak256(concat([a, x])), acc);

type BatchArgs = readonly [bigint, bigint, Hex, Hex, Hex, Hex, Hex];

/** submitBatch arguments for L2 blocks first..last with distinct roots. */
function batchArgs(first: bigint, last: bigint, overrides: Partial<Record<'stateRoot' | 'blockHash' | 'withdrawalRoot' | 'anchorRoot' | 'data', Hex>> = {}): BatchArgs {
  return [
    first,
    last,
    overrides.stateRoot ?? h(`state-${last}`),
    overrides.blockHash ?? h(`block-${last}`),
    overrides.withdrawalRoot ?? WITHDRAWAL_TREE.root,
    overrides.anchorRoot ?? ANCHOR_TREE.root,
    overrides.data ?? toHex(`batch data for blocks ${first}-${last}`),
  ];
}

async function deployAnchorFixture() {
  const [admin, sequencer, alice] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  // Batches are only accepted with a linked validator set and the sequencer's bond posted.
  const { anchor, validatorSet } = await deployRollup(admin, sequencer.account.address, WINDOW);
  const as = (wallet: typeof alice) => hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet } });
  const asSequencer = await as(sequencer);
  const asAlice = await as(alice);
  return { anchor, validatorSet, admin, sequencer, alice, asSequencer, asAlice, publicClient, as };
}

/** Two batches posted: blocks 1-10 (anchors and withdrawals) and 11-11 (empty trees). */
async function twoBatchesFixture() {
  const f = await loadFixture(deployAnchorFixture);
  await f.asSequencer.write.submitBatch(batchArgs(1n, 10n));
  await f.asSequencer.write.submitBatch(batchArgs(11n, 11n, { withdrawalRoot: zeroHash, anchorRoot: zeroHash }));
  return f;
}

/** Timestamp of the block a transaction was mined in. */
async function minedAt(publicClient: Awaited<ReturnType<typeof hre.viem.getPublicClient>>, hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
  return { receipt, timestamp: block.timestamp, blockNumber: receipt.blockNumber };
}

describe('RollupAnchor', function () {
  describe('deployment', function () {
    it('gives the admin DEFAULT_ADMIN_ROLE and the sequencer SEQUENCER_ROLE, and nobody else either', async function () {
      const { anchor, admin, sequencer, alice } = await loadFixture(deployAnchorFixture);
      expect(await anchor.read.SEQUENCER_ROLE()).to.equal(SEQUENCER_ROLE);
      expect(await anchor.read.hasRole([DEFAULT_ADMIN_ROLE, admin.account.address])).to.equal(true);
      expect(await anchor.read.hasRole([SEQUENCER_ROLE, sequencer.account.address])).to.equal(true);
      expect(await anchor.read.hasRole([SEQUENCER_ROLE, admin.account.address])).to.equal(false);
      expect(await anchor.read.hasRole([DEFAULT_ADMIN_ROLE, sequencer.account.address])).to.equal(false);
      expect(await anchor.read.hasRole([SEQUENCER_ROLE, alice.account.address])).to.equal(false);
      expect(await anchor.read.getRoleAdmin([SEQUENCER_ROLE])).to.equal(DEFAULT_ADMIN_ROLE);
    });

    it('starts with no batches, at genesis (lastBlock 0), with the given challenge window', async function () {
      const { anchor } = await loadFixture(deployAnchorFixture);
      expect(await anchor.read.batchCount()).to.equal(0n);
      expect(await anchor.read.lastBlock()).to.equal(0n);
      expect(await anchor.read.FIRST_L2_BLOCK()).to.equal(1n);
      expect(await anchor.read.challengeWindow()).to.equal(WINDOW);
    });

    it('emits ChallengeWindowChanged(0, window) and the RoleGranted events', async function () {
      const { admin, sequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const { deploymentTransaction } = await hre.viem.sendDeploymentTransaction('RollupAnchor', [
        admin.account.address,
        sequencer.account.address,
        60n,
      ]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash: deploymentTransaction.hash });
      const windows = parseEventLogs({ abi: anchorAbi, eventName: 'ChallengeWindowChanged', logs: receipt.logs });
      expect(windows.map((e) => e.args)).to.deep.equal([{ previousWindow: 0n, newWindow: 60n }]);
      const grants = parseEventLogs({ abi: anchorAbi, eventName: 'RoleGranted', logs: receipt.logs });
      expect(grants.map((e) => [e.args.role, e.args.account])).to.deep.equal([
        [DEFAULT_ADMIN_ROLE, getAddress(admin.account.address)],
        [SEQUENCER_ROLE, getAddress(sequencer.account.address)],
      ]);
    });

    it('reverts with ZeroChallengeWindow for a window of 0 seconds', async function () {
      const { admin, sequencer } = await loadFixture(deployAnchorFixture);
      await expectRevert(
        hre.viem.deployContract('RollupAnchor', [admin.account.address, sequencer.account.address, 0n]),
        'ZeroChallengeWindow',
      );
    });

    it('accepts a window of 1 second (dev mode)', async function () {
      const { admin, sequencer } = await loadFixture(deployAnchorFixture);
      const anchor = await hre.viem.deployContract('RollupAnchor', [admin.account.address, sequencer.account.address, 1n]);
      expect(await anchor.read.challengeWindow()).to.equal(1n);
    });

    it('reverts with ZeroAdmin for a zero admin and ZeroSequencer for a zero sequencer', async function () {
      const { admin, sequencer } = await loadFixture(deployAnchorFixture);
      const zero = '0x0000000000000000000000000000000000000000';
      await expectRevert(hre.viem.deployContract('RollupAnchor', [zero, sequencer.account.address, WINDOW]), 'ZeroAdmin');
      await expectRevert(hre.viem.deployContract('RollupAnchor', [admin.account.address, zero, WINDOW]), 'ZeroSequencer');
    });
  });

  describe('submitBatch', function () {
    it('stores the range, roots, data hash, L1 timestamp, L1 block number and current window', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const args = batchArgs(1n, 10n);
      const { timestamp, blockNumber } = await minedAt(publicClient, await asSequencer.write.submitBatch(args));
      expect(await anchor.read.getBatch([0n])).to.deep.equal({
        firstBlock: 1n,
        lastBlock: 10n,
        submittedAt: timestamp,
        l1BlockNumber: blockNumber,
        challengeWindow: WINDOW,
        stateRoot: args[2],
        blockHash: args[3],
        withdrawalRoot: args[4],
        anchorRoot: args[5],
        dataHash: chain([keccak256(args[6])]),
      });
      expect(await anchor.read.batchCount()).to.equal(1n);
      expect(await anchor.read.lastBlock()).to.equal(10n);
    });

    it('returns the new batch index, counting from 0 without gaps', async function () {
      const { sequencer, asSequencer } = await loadFixture(deployAnchorFixture);
      const from = { account: sequencer.account.address };
      expect((await asSequencer.simulate.submitBatch(batchArgs(1n, 10n), from)).result).to.equal(0n);
      await asSequencer.write.submitBatch(batchArgs(1n, 10n));
      expect((await asSequencer.simulate.submitBatch(batchArgs(11n, 20n), from)).result).to.equal(1n);
    });

    it('emits BatchSubmitted with the index and everything committed', async function () {
      const { asSequencer, publicClient } = await loadFixture(twoBatchesFixture);
      const args = batchArgs(12n, 30n);
      const receipt = await publicClient.waitForTransactionReceipt({ hash: await asSequencer.write.submitBatch(args) });
      const events = parseEventLogs({ abi: anchorAbi, eventName: 'BatchSubmitted', logs: receipt.logs });
      expect(events).to.have.length(1);
      expect(events[0].args).to.deep.equal({
        batchIndex: 2n,
        firstBlock: 12n,
        lastBlock: 30n,
        stateRoot: args[2],
        blockHash: args[3],
        withdrawalRoot: args[4],
        anchorRoot: args[5],
        dataHash: chain([keccak256(args[6])]),
      });
    });

    it('accepts a one-block batch and zero withdrawal and anchor roots (empty trees)', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      const batch = await anchor.read.getBatch([1n]);
      expect([batch.firstBlock, batch.lastBlock, batch.withdrawalRoot, batch.anchorRoot]).to.deep.equal([11n, 11n, zeroHash, zeroHash]);
      expect(await anchor.read.lastBlock()).to.equal(11n);
    });

    it('reverts with AccessControlUnauthorizedAccount(caller, SEQUENCER_ROLE) for anyone but the sequencer, admin included', async function () {
      const { anchor, admin, alice, asAlice } = await loadFixture(deployAnchorFixture);
      const args = await expectRevert(asAlice.write.submitBatch(batchArgs(1n, 10n)), 'AccessControlUnauthorizedAccount');
      expect(args).to.deep.equal([getAddress(alice.account.address), SEQUENCER_ROLE]);
      const adminArgs = await expectRevert(anchor.write.submitBatch(batchArgs(1n, 10n)), 'AccessControlUnauthorizedAccount');
      expect(adminArgs).to.deep.equal([getAddress(admin.account.address), SEQUENCER_ROLE]);
      expect(await anchor.read.batchCount()).to.equal(0n);
    });

    it('reverts with BlockRangeGap(1, got) when the first batch does not start at block 1', async function () {
      const { asSequencer } = await loadFixture(deployAnchorFixture);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(0n, 10n)), 'BlockRangeGap')).to.deep.equal([1n, 0n]);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(2n, 10n)), 'BlockRangeGap')).to.deep.equal([1n, 2n]);
    });

    it('reverts with BlockRangeGap(last + 1, got) for a gap, an overlap or a repeat of the previous batch', async function () {
      const { anchor, asSequencer } = await loadFixture(twoBatchesFixture);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(13n, 20n)), 'BlockRangeGap')).to.deep.equal([12n, 13n]);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(11n, 20n)), 'BlockRangeGap')).to.deep.equal([12n, 11n]);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(1n, 10n)), 'BlockRangeGap')).to.deep.equal([12n, 1n]);
      expect(await anchor.read.batchCount()).to.equal(2n);
    });

    it('reverts with InvalidRange(first, last) when the last block comes before the first', async function () {
      const { asSequencer } = await loadFixture(twoBatchesFixture);
      expect(await expectRevert(asSequencer.write.submitBatch(batchArgs(12n, 11n)), 'InvalidRange')).to.deep.equal([12n, 11n]);
    });

    it('reverts with ZeroStateRoot or ZeroBlockHash when that commitment is zero, EmptyBatchData without data', async function () {
      const { anchor, asSequencer } = await loadFixture(deployAnchorFixture);
      await expectRevert(asSequencer.write.submitBatch(batchArgs(1n, 10n, { stateRoot: zeroHash })), 'ZeroStateRoot');
      await expectRevert(asSequencer.write.submitBatch(batchArgs(1n, 10n, { blockHash: zeroHash })), 'ZeroBlockHash');
      await expectRevert(asSequencer.write.submitBatch(batchArgs(1n, 10n, { data: '0x' })), 'EmptyBatchData');
      expect(await anchor.read.batchCount()).to.equal(0n);
    });
  });

  describe('channels (appendFrames, submitChannel)', function () {
    const CH = '0x0102030405060708090a0b0c0d0e0f10' as Hex;
    const OTHER = '0xffeeddccbbaa99887766554433221100' as Hex;
    const header = (first: bigint, last: bigint) => ({
      firstBlock: first,
      lastBlock: last,
      stateRoot: h(`state-${last}`),
      blockHash: h(`block-${last}`),
      withdrawalRoot: WITHDRAWAL_TREE.root,
      anchorRoot: ANCHOR_TREE.root,
    });
    const frame = (n: number): Hex => toHex(`frame ${n} of the channel`);

    it('records a batch only when the last frames land, with dataHash chaining every frame in order', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const r1 = await publicClient.waitForTransactionReceipt({ hash: await asSequencer.write.appendFrames([CH, 0, [frame(0), frame(1)], 0n]) });
      const appended = parseEventLogs({ abi: anchorAbi, eventName: 'FramesAppended', logs: r1.logs });
      expect(appended.map((e) => e.args)).to.deep.equal([{ channelId: CH, firstFrame: 0, frameHashes: [keccak256(frame(0)), keccak256(frame(1))], blobCount: 0n }]);
      const ch = await anchor.read.channel([CH]);
      expect(ch).to.deep.equal({ acc: chain([keccak256(frame(0)), keccak256(frame(1))]), openedAt: r1.blockNumber, nextFrame: 2, closed: false });
      expect(await anchor.read.batchCount()).to.equal(0n);
      await asSequencer.write.appendFrames([CH, 2, [frame(2)], 0n]);
      expect(await anchor.read.batchCount()).to.equal(0n);
      const r4 = await publicClient.waitForTransactionReceipt({ hash: await asSequencer.write.submitChannel([header(1n, 10n), CH, 3, [frame(3)], 0n]) });
      const submitted = parseEventLogs({ abi: anchorAbi, eventName: 'BatchSubmitted', logs: r4.logs });
      const dataHash = chain([0, 1, 2, 3].map((n) => keccak256(frame(n))));
      expect(submitted[0].args.dataHash).to.equal(dataHash);
      expect((await anchor.read.getBatch([0n])).dataHash).to.equal(dataHash);
      expect((await anchor.read.channel([CH])).closed).to.equal(true);
      expect(await anchor.read.lastBlock()).to.equal(10n);
    });

    it('records a channel of one transaction without keeping any channel state', async function () {
      const { anchor, asSequencer } = await loadFixture(deployAnchorFixture);
      await asSequencer.write.submitChannel([header(1n, 10n), CH, 0, [frame(0), frame(1)], 0n]);
      expect((await anchor.read.getBatch([0n])).dataHash).to.equal(chain([keccak256(frame(0)), keccak256(frame(1))]));
      expect(await anchor.read.channel([CH])).to.deep.equal({ acc: zeroHash, openedAt: 0n, nextFrame: 0, closed: false });
      // submitBatch is the one-frame case of the same commitment
      await asSequencer.write.submitBatch(batchArgs(11n, 12n, { data: frame(0) }));
      expect((await anchor.read.getBatch([1n])).dataHash).to.equal(chain([keccak256(frame(0))]));
    });

    it('still checks contiguity and the commitments when the channel closes', async function () {
      const { anchor, asSequencer } = await loadFixture(twoBatchesFixture);
      await asSequencer.write.appendFrames([CH, 0, [frame(0)], 0n]);
      expect(await expectRevert(asSequencer.write.submitChannel([header(13n, 20n), CH, 1, [frame(1)], 0n]), 'BlockRangeGap')).to.deep.equal([12n, 13n]);
      expect(await expectRevert(asSequencer.write.submitChannel([header(12n, 11n), CH, 1, [frame(1)], 0n]), 'InvalidRange')).to.deep.equal([12n, 11n]);
      await expectRevert(asSequencer.write.submitChannel([{ ...header(12n, 20n), stateRoot: zeroHash }, CH, 1, [frame(1)], 0n]), 'ZeroStateRoot');
      await expectRevert(asSequencer.write.submitChannel([{ ...header(12n, 20n), blockHash: zeroHash }, CH, 1, [frame(1)], 0n]), 'ZeroBlockHash');
      await asSequencer.write.submitChannel([header(12n, 20n), CH, 1, [frame(1)], 0n]);
      expect(await anchor.read.batchCount()).to.equal(3n);
    });

    it('reverts with FrameOutOfOrder for a gap, a repeated frame, or a later frame of an unopened channel', async function () {
      const { asSequencer } = await loadFixture(deployAnchorFixture);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 1, [frame(1)], 0n]), 'FrameOutOfOrder')).to.deep.equal([CH, 0n, 1n]);
      expect(await expectRevert(asSequencer.write.submitChannel([header(1n, 1n), CH, 2, [frame(2)], 0n]), 'FrameOutOfOrder')).to.deep.equal([CH, 0n, 2n]);
      await asSequencer.write.appendFrames([CH, 0, [frame(0), frame(1)], 0n]);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 1, [frame(1)], 0n]), 'FrameOutOfOrder')).to.deep.equal([CH, 2n, 1n]);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 0, [frame(0)], 0n]), 'FrameOutOfOrder')).to.deep.equal([CH, 2n, 0n]);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 3, [frame(3)], 0n]), 'FrameOutOfOrder')).to.deep.equal([CH, 2n, 3n]);
    });

    it('reverts with ChannelTimedOut once the channel is older than channelTimeout() L1 blocks, and the batcher starts a new one', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      expect(await anchor.read.channelTimeout()).to.equal(300n);
      await anchor.write.setChannelTimeout([5n]);
      const r = await publicClient.waitForTransactionReceipt({ hash: await asSequencer.write.appendFrames([CH, 0, [frame(0)], 0n]) });
      await hre.network.provider.send('hardhat_mine', ['0x3']); // the next block is openedAt + 4
      await asSequencer.write.appendFrames([CH, 1, [frame(1)], 0n]); // openedAt + 4
      await asSequencer.write.appendFrames([CH, 2, [frame(2)], 0n]); // openedAt + 5: the last block it takes
      const args = await expectRevert(asSequencer.write.submitChannel([header(1n, 10n), CH, 3, [frame(3)], 0n]), 'ChannelTimedOut');
      expect(args).to.deep.equal([CH, r.blockNumber, r.blockNumber + 5n]);
      await expectRevert(asSequencer.write.appendFrames([CH, 3, [frame(3)], 0n]), 'ChannelTimedOut');
      await asSequencer.write.submitChannel([header(1n, 10n), OTHER, 0, [frame(0)], 0n]);
      expect(await anchor.read.batchCount()).to.equal(1n);
    });

    it('reverts with ChannelClosed for a frame after the channel recorded its batch', async function () {
      const { asSequencer } = await loadFixture(deployAnchorFixture);
      await asSequencer.write.appendFrames([CH, 0, [frame(0)], 0n]);
      await asSequencer.write.submitChannel([header(1n, 10n), CH, 1, [frame(1)], 0n]);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 2, [frame(2)], 0n]), 'ChannelClosed')).to.deep.equal([CH]);
      await expectRevert(asSequencer.write.submitChannel([header(11n, 12n), CH, 2, [frame(2)], 0n]), 'ChannelClosed');
    });

    it('reverts with EmptyBatchData for a call without frames and EmptyFrame for a frame of zero bytes', async function () {
      const { asSequencer } = await loadFixture(deployAnchorFixture);
      await expectRevert(asSequencer.write.appendFrames([CH, 0, [], 0n]), 'EmptyBatchData');
      await expectRevert(asSequencer.write.submitChannel([header(1n, 10n), CH, 0, [], 0n]), 'EmptyBatchData');
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 0, [frame(0), '0x'], 0n]), 'EmptyFrame')).to.deep.equal([1n]);
    });

    it('reverts with MissingBlob when the transaction carries fewer blobs than the call records', async function () {
      // (blob transactions themselves are tested against Anvil: test/batcher/blobs.test.ts)
      const { asSequencer } = await loadFixture(deployAnchorFixture);
      expect(await expectRevert(asSequencer.write.appendFrames([CH, 0, [], 1n]), 'MissingBlob')).to.deep.equal([0n]);
      expect(await expectRevert(asSequencer.write.submitChannel([header(1n, 10n), CH, 0, [frame(0)], 2n]), 'MissingBlob')).to.deep.equal([0n]);
    });

    it('reverts with TooManyFrames past MAX_FRAMES_PER_CHANNEL frames', async function () {
      const { anchor, asSequencer } = await loadFixture(deployAnchorFixture);
      expect(await anchor.read.MAX_FRAMES_PER_CHANNEL()).to.equal(1024n);
      const frames = Array.from({ length: 512 }, () => '0x01' as Hex);
      await asSequencer.write.appendFrames([CH, 0, frames, 0n]);
      await asSequencer.write.appendFrames([CH, 512, frames.slice(1), 0n]); // frames 512..1022
      expect(await expectRevert(asSequencer.write.submitChannel([header(1n, 10n), CH, 1023, ['0x01', '0x02'], 0n]), 'TooManyFrames')).to.deep.equal([CH]);
      await asSequencer.write.submitChannel([header(1n, 10n), CH, 1023, ['0x01'], 0n]); // frame 1023 is the last one allowed
    });

    it('reverts with AccessControlUnauthorizedAccount for anyone but the sequencer, NoValidatorSet before the link', async function () {
      const { asAlice, admin } = await loadFixture(deployAnchorFixture);
      await expectRevert(asAlice.write.appendFrames([CH, 0, [frame(0)], 0n]), 'AccessControlUnauthorizedAccount');
      await expectRevert(asAlice.write.submitChannel([header(1n, 10n), CH, 0, [frame(0)], 0n]), 'AccessControlUnauthorizedAccount');
      const unlinked = await hre.viem.deployContract('RollupAnchor', [admin.account.address, admin.account.address, WINDOW]);
      await unlinked.write.appendFrames([CH, 0, [frame(0)], 0n]); // frames need no committee
      await expectRevertWith(unlinked.write.submitChannel([header(1n, 10n), CH, 1, [frame(1)], 0n]), anchorAbi, 'NoValidatorSet');
    });

    it('setChannelTimeout: only the admin, never zero, and ChannelTimeoutChanged(previous, new)', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const receipt = await publicClient.waitForTransactionReceipt({ hash: await anchor.write.setChannelTimeout([50n]) });
      expect(parseEventLogs({ abi: anchorAbi, eventName: 'ChannelTimeoutChanged', logs: receipt.logs })[0].args).to.deep.equal({ previousTimeout: 300n, newTimeout: 50n });
      expect(await anchor.read.channelTimeout()).to.equal(50n);
      await expectRevert(anchor.write.setChannelTimeout([0n]), 'ZeroChannelTimeout');
      await expectRevert(asSequencer.write.setChannelTimeout([10n]), 'AccessControlUnauthorizedAccount');
    });
  });

  describe('sequencer role changes', function () {
    it('lets a sequencer granted by the admin submit, and emits RoleGranted', async function () {
      const { anchor, validatorSet, admin, alice, asAlice, publicClient } = await loadFixture(deployAnchorFixture);
      await validatorSet.write.depositBond([alice.account.address], { value: await validatorSet.read.MIN_SEQUENCER_BOND() });
      const hash = await anchor.write.grantRole([SEQUENCER_ROLE, alice.account.address]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const events = parseEventLogs({ abi: anchorAbi, eventName: 'RoleGranted', logs: receipt.logs });
      expect(events.map((e) => e.args)).to.deep.equal([
        { role: SEQUENCER_ROLE, account: getAddress(alice.account.address), sender: getAddress(admin.account.address) },
      ]);
      await asAlice.write.submitBatch(batchArgs(1n, 10n));
      expect(await anchor.read.batchCount()).to.equal(1n);
    });

    it('refuses a sequencer revoked by the admin, and emits RoleRevoked', async function () {
      const { anchor, admin, sequencer, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const hash = await anchor.write.revokeRole([SEQUENCER_ROLE, sequencer.account.address]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const events = parseEventLogs({ abi: anchorAbi, eventName: 'RoleRevoked', logs: receipt.logs });
      expect(events.map((e) => e.args)).to.deep.equal([
        { role: SEQUENCER_ROLE, account: getAddress(sequencer.account.address), sender: getAddress(admin.account.address) },
      ]);
      await expectRevert(asSequencer.write.submitBatch(batchArgs(1n, 10n)), 'AccessControlUnauthorizedAccount');
    });

    it('reverts with AccessControlUnauthorizedAccount when a non-admin grants the sequencer role', async function () {
      const { sequencer, alice, asSequencer } = await loadFixture(deployAnchorFixture);
      const args = await expectRevert(asSequencer.write.grantRole([SEQUENCER_ROLE, alice.account.address]), 'AccessControlUnauthorizedAccount');
      expect(args).to.deep.equal([getAddress(sequencer.account.address), DEFAULT_ADMIN_ROLE]);
    });
  });

  describe('setChallengeWindow', function () {
    it('changes the window and emits ChallengeWindowChanged(previous, new)', async function () {
      const { anchor, publicClient } = await loadFixture(deployAnchorFixture);
      const receipt = await publicClient.waitForTransactionReceipt({ hash: await anchor.write.setChallengeWindow([60n]) });
      const events = parseEventLogs({ abi: anchorAbi, eventName: 'ChallengeWindowChanged', logs: receipt.logs });
      expect(events.map((e) => e.args)).to.deep.equal([{ previousWindow: WINDOW, newWindow: 60n }]);
      expect(await anchor.read.challengeWindow()).to.equal(60n);
    });

    it('reverts with ZeroChallengeWindow for 0', async function () {
      const { anchor } = await loadFixture(deployAnchorFixture);
      await expectRevert(anchor.write.setChallengeWindow([0n]), 'ZeroChallengeWindow');
      expect(await anchor.read.challengeWindow()).to.equal(WINDOW);
    });

    it('reverts with AccessControlUnauthorizedAccount for anyone but the admin, the sequencer included', async function () {
      const { sequencer, asSequencer } = await loadFixture(deployAnchorFixture);
      const args = await expectRevert(asSequencer.write.setChallengeWindow([60n]), 'AccessControlUnauthorizedAccount');
      expect(args).to.deep.equal([getAddress(sequencer.account.address), DEFAULT_ADMIN_ROLE]);
    });
  });

  describe('isFinal', function () {
    it('is false until submittedAt + window - 1 and true from submittedAt + window on', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const { timestamp } = await minedAt(publicClient, await asSequencer.write.submitBatch(batchArgs(1n, 10n)));
      expect(await anchor.read.isFinal([0n])).to.equal(false);
      await time.increaseTo(timestamp + WINDOW - 1n);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      await time.increaseTo(timestamp + WINDOW);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
      await time.increase(DAY);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
    });

    it('finalizes batches in submission order, each on its own clock', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const first = await minedAt(publicClient, await asSequencer.write.submitBatch(batchArgs(1n, 10n)));
      await time.increase(DAY);
      await asSequencer.write.submitBatch(batchArgs(11n, 20n));
      await time.increaseTo(first.timestamp + WINDOW);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
      expect(await anchor.read.isFinal([1n], { blockTag: 'latest' })).to.equal(false);
    });

    it('keeps the window a batch was submitted under when the admin changes it later', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const before = await minedAt(publicClient, await asSequencer.write.submitBatch(batchArgs(1n, 10n)));
      await anchor.write.setChallengeWindow([60n]);
      const after = await minedAt(publicClient, await asSequencer.write.submitBatch(batchArgs(11n, 20n)));
      expect((await anchor.read.getBatch([0n])).challengeWindow).to.equal(WINDOW);
      expect((await anchor.read.getBatch([1n])).challengeWindow).to.equal(60n);

      await time.increaseTo(after.timestamp + 60n);
      expect(await anchor.read.isFinal([1n], { blockTag: 'latest' })).to.equal(true);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(false);
      await time.increaseTo(before.timestamp + WINDOW);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
    });

    it('also applies a longer window to later batches only', async function () {
      const { anchor, asSequencer, publicClient } = await loadFixture(deployAnchorFixture);
      const before = await minedAt(publicClient, await asSequencer.write.submitBatch(batchArgs(1n, 10n)));
      await anchor.write.setChallengeWindow([WINDOW * 2n]);
      await asSequencer.write.submitBatch(batchArgs(11n, 20n));
      await time.increaseTo(before.timestamp + WINDOW);
      expect(await anchor.read.isFinal([0n], { blockTag: 'latest' })).to.equal(true);
      expect(await anchor.read.isFinal([1n], { blockTag: 'latest' })).to.equal(false);
    });

    it('reverts with UnknownBatch(index) for a batch not yet submitted', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      expect(await expectRevert(anchor.read.isFinal([2n]), 'UnknownBatch')).to.deep.equal([2n]);
    });
  });

  describe('getBatch', function () {
    it('reverts with UnknownBatch(index) before any batch and past the last one', async function () {
      const { anchor } = await loadFixture(deployAnchorFixture);
      expect(await expectRevert(anchor.read.getBatch([0n]), 'UnknownBatch')).to.deep.equal([0n]);
      const { anchor: withTwo } = await loadFixture(twoBatchesFixture);
      expect(await expectRevert(withTwo.read.getBatch([2n]), 'UnknownBatch')).to.deep.equal([2n]);
      expect(await expectRevert(withTwo.read.getBatch([2n ** 256n - 1n]), 'UnknownBatch')).to.deep.equal([2n ** 256n - 1n]);
    });
  });

  describe('leafHash', function () {
    it('is keccak256(keccak256(abi.encode(value))), the StandardMerkleTree leaf of one bytes32', async function () {
      const { anchor } = await loadFixture(deployAnchorFixture);
      expect(await anchor.read.leafHash([ANCHORED[0]])).to.equal(leafHash(ANCHORED[0]));
    });
  });

  describe('verifyAnchor', function () {
    it('returns true for every anchored hash with its proof', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      for (const [i, dataHash] of ANCHORED.entries()) {
        expect(await anchor.read.verifyAnchor([0n, dataHash, ANCHOR_TREE.proofs[i]]), `leaf ${i}`).to.equal(true);
      }
    });

    it('returns true for the only hash of a one-leaf tree with an empty proof', async function () {
      const { anchor, asSequencer } = await loadFixture(twoBatchesFixture);
      const single = merkleTree([h('lonely')]);
      await asSequencer.write.submitBatch(batchArgs(12n, 12n, { anchorRoot: single.root }));
      expect(single.proofs[0]).to.deep.equal([]);
      expect(await anchor.read.verifyAnchor([2n, h('lonely'), []])).to.equal(true);
    });

    it("returns false for another leaf's proof (wrong index)", async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      expect(await anchor.read.verifyAnchor([0n, ANCHORED[0], ANCHOR_TREE.proofs[1]])).to.equal(false);
      expect(await anchor.read.verifyAnchor([0n, ANCHORED[4], ANCHOR_TREE.proofs[0]])).to.equal(false);
    });

    it('returns false for a tampered hash, a tampered proof or a hash never anchored', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      const tampered = `0x${(BigInt(ANCHORED[2]) ^ 1n).toString(16).padStart(64, '0')}` as Hex;
      expect(await anchor.read.verifyAnchor([0n, tampered, ANCHOR_TREE.proofs[2]])).to.equal(false);
      const badProof = [...ANCHOR_TREE.proofs[2]];
      badProof[0] = h('not a sibling');
      expect(await anchor.read.verifyAnchor([0n, ANCHORED[2], badProof])).to.equal(false);
      expect(await anchor.read.verifyAnchor([0n, h('never anchored'), ANCHOR_TREE.proofs[2]])).to.equal(false);
    });

    it('returns false against the wrong batch (another root, or a batch that anchored nothing)', async function () {
      const { anchor, asSequencer } = await loadFixture(twoBatchesFixture);
      const other = merkleTree([h('x'), h('y'), h('z')]);
      await asSequencer.write.submitBatch(batchArgs(12n, 12n, { anchorRoot: other.root }));
      expect(await anchor.read.verifyAnchor([2n, ANCHORED[0], ANCHOR_TREE.proofs[0]])).to.equal(false);
      expect(await anchor.read.verifyAnchor([1n, ANCHORED[0], ANCHOR_TREE.proofs[0]])).to.equal(false);
      expect(await anchor.read.verifyAnchor([2n, h('x'), other.proofs[0]])).to.equal(true);
    });

    it('returns false for an empty proof of the zero hash against an empty (zero) root', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      expect(await anchor.read.verifyAnchor([1n, zeroHash, []])).to.equal(false);
    });

    it('returns false for an inner node passed off as an anchored hash', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      // The parent of leaves 0 and 1, proven with the rest of leaf 0's path.
      const inner = hashPair(leafHash(ANCHORED[0]), leafHash(ANCHORED[1]));
      expect(await anchor.read.verifyAnchor([0n, inner, ANCHOR_TREE.proofs[0].slice(1)])).to.equal(false);
    });

    it('reverts with UnknownBatch(index) for a batch not yet submitted', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      const args = await expectRevert(anchor.read.verifyAnchor([2n, ANCHORED[0], ANCHOR_TREE.proofs[0]]), 'UnknownBatch');
      expect(args).to.deep.equal([2n]);
    });
  });

  describe('verifyWithdrawal', function () {
    it("returns true for each withdrawal against its batch's withdrawal root", async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      for (const [i, w] of WITHDRAWALS.entries()) {
        expect(await anchor.read.verifyWithdrawal([0n, w, WITHDRAWAL_TREE.proofs[i]]), `leaf ${i}`).to.equal(true);
      }
    });

    it('returns false for a wrong proof, an anchored hash (other tree) or a batch without withdrawals', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      expect(await anchor.read.verifyWithdrawal([0n, WITHDRAWALS[0], WITHDRAWAL_TREE.proofs[1]])).to.equal(false);
      expect(await anchor.read.verifyWithdrawal([0n, ANCHORED[0], ANCHOR_TREE.proofs[0]])).to.equal(false);
      expect(await anchor.read.verifyWithdrawal([1n, WITHDRAWALS[0], WITHDRAWAL_TREE.proofs[0]])).to.equal(false);
    });

    it('reverts with UnknownBatch(index) for a batch not yet submitted', async function () {
      const { anchor } = await loadFixture(twoBatchesFixture);
      expect(await expectRevert(anchor.read.verifyWithdrawal([5n, WITHDRAWALS[0], []]), 'UnknownBatch')).to.deep.equal([5n]);
    });
  });
});
