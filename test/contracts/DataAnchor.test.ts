/**
 * Specification of contracts/L2/DataAnchor.sol, run by `npx hardhat test` against the in-process
 * Hardhat network (deployed normally: the contract has no constructor, so its behaviour is the
 * same as at its predeploy address).
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEventLogs, toHex, zeroHash, type Hex } from 'viem';
import { expectRevert as expectRevertWith } from './revert';

const anchorAbi = hre.artifacts.readArtifactSync('DataAnchor').abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, anchorAbi, errorName);

/** `n` distinct nonzero hashes. */
const hashes = (n: number, label = 'doc'): Hex[] => Array.from({ length: n }, (_, i) => keccak256(toHex(`${label}-${i}`)));

async function dataAnchorFixture() {
  const [alice, bob] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const dataAnchor = await hre.viem.deployContract('DataAnchor');
  const asBob = await hre.viem.getContractAt('DataAnchor', dataAnchor.address, { client: { wallet: bob } });
  return { dataAnchor, asBob, alice, bob, publicClient };
}

/** The Anchored events of a transaction, as [dataHash, submitter] pairs in log order. */
async function anchoredIn(publicClient: Awaited<ReturnType<typeof hre.viem.getPublicClient>>, hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const events = parseEventLogs({ abi: anchorAbi, eventName: 'Anchored', logs: receipt.logs });
  return { receipt, anchored: events.map((e) => [e.args.dataHash, e.args.submitter]) };
}

describe('DataAnchor', function () {
  describe('anchor', function () {
    it('emits Anchored(hash, msg.sender) for each hash, in the order given', async function () {
      const { dataAnchor, alice, publicClient } = await loadFixture(dataAnchorFixture);
      const docs = hashes(3);
      const { anchored } = await anchoredIn(publicClient, await dataAnchor.write.anchor([docs]));
      const submitter = getAddress(alice.account.address);
      expect(anchored).to.deep.equal(docs.map((d) => [d, submitter]));
    });

    it('records the caller as the submitter', async function () {
      const { asBob, bob, publicClient } = await loadFixture(dataAnchorFixture);
      const { anchored } = await anchoredIn(publicClient, await asBob.write.anchor([hashes(1)]));
      expect(anchored).to.deep.equal([[hashes(1)[0], getAddress(bob.account.address)]]);
    });

    it('accepts duplicates within one call, one event each (the batch tree deduplicates)', async function () {
      const { dataAnchor, alice, publicClient } = await loadFixture(dataAnchorFixture);
      const [doc] = hashes(1);
      const { anchored } = await anchoredIn(publicClient, await dataAnchor.write.anchor([[doc, doc]]));
      expect(anchored).to.deep.equal([
        [doc, getAddress(alice.account.address)],
        [doc, getAddress(alice.account.address)],
      ]);
    });

    it('accepts a hash anchored before, by anyone', async function () {
      const { dataAnchor, asBob, bob, publicClient } = await loadFixture(dataAnchorFixture);
      await dataAnchor.write.anchor([hashes(1)]);
      const { anchored } = await anchoredIn(publicClient, await asBob.write.anchor([hashes(1)]));
      expect(anchored).to.deep.equal([[hashes(1)[0], getAddress(bob.account.address)]]);
    });

    it('writes no storage: each further hash costs under 2,500 gas (a storage write alone costs 22,100)', async function () {
      const { dataAnchor, publicClient } = await loadFixture(dataAnchorFixture);
      const one = await anchoredIn(publicClient, await dataAnchor.write.anchor([hashes(1, 'one')]));
      const hundred = await anchoredIn(publicClient, await dataAnchor.write.anchor([hashes(101, 'hundred')]));
      const perHash = (hundred.receipt.gasUsed - one.receipt.gasUsed) / 100n;
      expect(perHash < 2_500n, `${perHash} gas per hash`).to.equal(true);
    });

    it('anchors 4,000 hashes in one transaction (about what fits in the node\'s 128 KiB transaction limit)', async function () {
      const { dataAnchor, publicClient } = await loadFixture(dataAnchorFixture);
      const docs = hashes(4_000);
      const { anchored } = await anchoredIn(publicClient, await dataAnchor.write.anchor([docs]));
      expect(anchored.length).to.equal(4_000);
      expect(anchored[3_999][0]).to.equal(docs[3_999]);
    });

    it('lets exactly MAX_HASHES (10,000) hashes past the count check', async function () {
      const { dataAnchor } = await loadFixture(dataAnchorFixture);
      expect(await dataAnchor.read.MAX_HASHES()).to.equal(10_000n);
      // 10,000 logs take about 21.7M gas, over the in-process network's 2^24 per-transaction
      // cap (Osaka, EIP-7825; our L2 runs Prague without it). A zero first entry shows the
      // count was accepted: the revert names the entry, not the count.
      const docs = [zeroHash, ...hashes(9_999)];
      expect(await expectRevert(dataAnchor.write.anchor([docs]), 'ZeroHash')).to.deep.equal([0n]);
    });

    it('reverts with NoHashes for an empty array', async function () {
      const { dataAnchor } = await loadFixture(dataAnchorFixture);
      await expectRevert(dataAnchor.write.anchor([[]]), 'NoHashes');
    });

    it('reverts with TooManyHashes(count, 10000) above MAX_HASHES', async function () {
      const { dataAnchor } = await loadFixture(dataAnchorFixture);
      expect(await expectRevert(dataAnchor.write.anchor([hashes(10_001)]), 'TooManyHashes')).to.deep.equal([10_001n, 10_000n]);
    });

    it('reverts with ZeroHash(index) for a zero entry, first or later, and anchors none of the others', async function () {
      const { dataAnchor } = await loadFixture(dataAnchorFixture);
      expect(await expectRevert(dataAnchor.write.anchor([[zeroHash]]), 'ZeroHash')).to.deep.equal([0n]);
      const docs = [...hashes(3), zeroHash, ...hashes(2, 'more')];
      expect(await expectRevert(dataAnchor.write.anchor([docs]), 'ZeroHash')).to.deep.equal([3n]);
    });
  });
});
