/**
 * Specification of contracts/L2/DatasetRegistry.sol, run by `npx hardhat test` against the
 * in-process Hardhat network. The registry and DataAnchor are installed as runtime code at their
 * predeploy addresses, as genesis installs them (no constructor runs), so registering really
 * anchors the root through DataAnchor.
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEventLogs, toHex, zeroHash, type Address, type Hex } from 'viem';
import { expectRevert as expectRevertWith } from './revert';

/** precompiles/addresses.ts DATASET_REGISTRY and DATA_ANCHOR. */
const DATASET_REGISTRY_ADDRESS: Address = getAddress('0x4200000000000000000000000000000000000500');
const DATA_ANCHOR_ADDRESS: Address = getAddress('0x4200000000000000000000000000000000000200');

const registryAbi = hre.artifacts.readArtifactSync('DatasetRegistry').abi;
const anchorAbi = hre.artifacts.readArtifactSync('DataAnchor').abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, registryAbi, errorName);

const root = (label: string): Hex => keccak256(toHex(`dataset ${label}`));

async function datasetRegistryFixture() {
  const testClient = await hre.viem.getTestClient();
  for (const [address, name] of [
    [DATA_ANCHOR_ADDRESS, 'DataAnchor'],
    [DATASET_REGISTRY_ADDRESS, 'DatasetRegistry'],
  ] as const) {
    const { deployedBytecode } = await hre.artifacts.readArtifact(name);
    await testClient.setCode({ address, bytecode: deployedBytecode as Hex });
  }
  const [alice, bob] = await hre.viem.getWalletClients();
  const registry = await hre.viem.getContractAt('DatasetRegistry', DATASET_REGISTRY_ADDRESS);
  const asBob = await hre.viem.getContractAt('DatasetRegistry', DATASET_REGISTRY_ADDRESS, { client: { wallet: bob } });
  const publicClient = await hre.viem.getPublicClient();
  return { registry, asBob, alice, bob, publicClient, testClient };
}

describe('DatasetRegistry', function () {
  describe('register', function () {
    it('assigns ids from 1, stores the version, emits DatasetRegistered and anchors the root through DataAnchor', async function () {
      const { registry, alice, publicClient } = await loadFixture(datasetRegistryFixture);
      expect(await registry.read.datasetCount()).to.equal(0n);
      const tx = await registry.write.register([root('a'), 3n, 'iris', 'ipfs://iris', 0n]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash: tx });
      const block = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const owner = getAddress(alice.account.address);

      const registered = parseEventLogs({ abi: registryAbi, eventName: 'DatasetRegistered', logs: receipt.logs });
      expect(registered.map((e) => e.args)).to.deep.equal([{ datasetId: 1n, owner, root: root('a'), previous: 0n, itemCount: 3n, name: 'iris', uri: 'ipfs://iris' }]);
      const anchored = parseEventLogs({ abi: anchorAbi, eventName: 'Anchored', logs: receipt.logs });
      expect(anchored.map((e) => [e.address, e.args.dataHash, e.args.submitter])).to.deep.equal([[DATA_ANCHOR_ADDRESS.toLowerCase(), root('a'), DATASET_REGISTRY_ADDRESS]]);

      expect(await registry.read.getDataset([1n])).to.deep.equal({ root: root('a'), itemCount: 3n, registeredAt: block.timestamp, owner, previous: 0n, name: 'iris', uri: 'ipfs://iris' });
      expect(await registry.read.exists([1n])).to.equal(true);
      expect(await registry.read.exists([2n])).to.equal(false);
      expect(await registry.read.exists([0n])).to.equal(false);
      expect(await registry.read.datasetCount()).to.equal(1n);
      expect(await registry.read.datasetIdOfRoot([root('a')])).to.equal(1n);
      expect(await registry.read.datasetIdOfRoot([root('b')])).to.equal(0n);

      await registry.write.register([root('b'), 1n, 'other', '', 0n]);
      expect(await registry.read.datasetCount()).to.equal(2n);
      expect((await registry.read.getDataset([2n])).uri).to.equal('');
    });

    it('links versions: previous, nextVersion and latestVersion along the line', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await registry.write.register([root('v1'), 10n, 'ds', '', 0n]);
      await registry.write.register([root('other'), 1n, 'other', '', 0n]);
      await registry.write.register([root('v2'), 11n, 'ds', '', 1n]);
      await registry.write.register([root('v3'), 12n, 'ds', '', 3n]);
      expect((await registry.read.getDataset([3n])).previous).to.equal(1n);
      expect((await registry.read.getDataset([4n])).previous).to.equal(3n);
      expect([await registry.read.nextVersion([1n]), await registry.read.nextVersion([3n]), await registry.read.nextVersion([4n])]).to.deep.equal([3n, 4n, 0n]);
      for (const id of [1n, 3n, 4n]) expect(await registry.read.latestVersion([id])).to.equal(4n);
      expect(await registry.read.latestVersion([2n])).to.equal(2n);
    });

    it('costs under 260,000 gas with a short name and URI (storage of the entry, the line, the root index; the anchor log)', async function () {
      const { registry, publicClient } = await loadFixture(datasetRegistryFixture);
      const first = await publicClient.waitForTransactionReceipt({ hash: await registry.write.register([root('gas1'), 150n, 'iris', 'https://example.org/iris.csv', 0n]) });
      const second = await publicClient.waitForTransactionReceipt({ hash: await registry.write.register([root('gas2'), 150n, 'iris', 'https://example.org/iris.csv', 1n]) });
      console.log(`      register: ${first.gasUsed} gas (first version), ${second.gasUsed} gas (next version)`);
      expect(first.gasUsed < 260_000n && second.gasUsed < 260_000n, `${first.gasUsed}, ${second.gasUsed}`).to.equal(true);
    });

    it('accepts a name of exactly 64 bytes and a URI of exactly 256', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      expect(await registry.read.MAX_NAME_LENGTH()).to.equal(64n);
      expect(await registry.read.MAX_URI_LENGTH()).to.equal(256n);
      await registry.write.register([root('max'), 1n, 'n'.repeat(64), 'u'.repeat(256), 0n]);
      expect((await registry.read.getDataset([1n])).name).to.equal('n'.repeat(64));
    });

    it('reverts with ZeroRoot for the zero root', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await expectRevert(registry.write.register([zeroHash, 1n, 'x', '', 0n]), 'ZeroRoot');
    });

    it('reverts with ZeroItemCount for no items', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await expectRevert(registry.write.register([root('a'), 0n, 'x', '', 0n]), 'ZeroItemCount');
    });

    it('reverts with EmptyName and NameTooLong(length, 64), counting bytes of UTF-8', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await expectRevert(registry.write.register([root('a'), 1n, '', '', 0n]), 'EmptyName');
      expect(await expectRevert(registry.write.register([root('a'), 1n, 'é'.repeat(33), '', 0n]), 'NameTooLong')).to.deep.equal([66n, 64n]);
    });

    it('reverts with UriTooLong(length, 256)', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      expect(await expectRevert(registry.write.register([root('a'), 1n, 'x', 'u'.repeat(257), 0n]), 'UriTooLong')).to.deep.equal([257n, 256n]);
    });

    it('reverts with RootAlreadyRegistered(root, id) for a root registered before, by anyone', async function () {
      const { registry, asBob } = await loadFixture(datasetRegistryFixture);
      await registry.write.register([root('a'), 1n, 'x', '', 0n]);
      expect(await expectRevert(registry.write.register([root('a'), 2n, 'again', '', 0n]), 'RootAlreadyRegistered')).to.deep.equal([root('a'), 1n]);
      expect(await expectRevert(asBob.write.register([root('a'), 1n, 'x', '', 0n]), 'RootAlreadyRegistered')).to.deep.equal([root('a'), 1n]);
      expect(await registry.read.datasetCount()).to.equal(1n);
    });

    it('reverts with UnknownDataset(previous) for a previous version that does not exist', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      expect(await expectRevert(registry.write.register([root('a'), 1n, 'x', '', 7n]), 'UnknownDataset')).to.deep.equal([7n]);
      // the id the version itself would get does not exist yet either
      expect(await expectRevert(registry.write.register([root('a'), 1n, 'x', '', 1n]), 'UnknownDataset')).to.deep.equal([1n]);
    });

    it('reverts with NotDatasetOwner(previous, owner) for another owner’s version', async function () {
      const { registry, asBob, alice } = await loadFixture(datasetRegistryFixture);
      await registry.write.register([root('a'), 1n, 'x', '', 0n]);
      expect(await expectRevert(asBob.write.register([root('b'), 1n, 'x', '', 1n]), 'NotDatasetOwner')).to.deep.equal([1n, getAddress(alice.account.address)]);
    });

    it('reverts with AlreadySuperseded(previous, next) for a version replaced already', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await registry.write.register([root('a'), 1n, 'x', '', 0n]);
      await registry.write.register([root('b'), 1n, 'x', '', 1n]);
      expect(await expectRevert(registry.write.register([root('c'), 1n, 'x', '', 1n]), 'AlreadySuperseded')).to.deep.equal([1n, 2n]);
    });

    it('reverts, registering nothing, when DataAnchor is missing: the root is anchored or nothing is', async function () {
      const { registry, testClient } = await loadFixture(datasetRegistryFixture);
      await testClient.setCode({ address: DATA_ANCHOR_ADDRESS, bytecode: '0x' });
      await expect(registry.write.register([root('a'), 1n, 'x', '', 0n])).to.be.rejected;
      expect(await registry.read.datasetCount()).to.equal(0n);
    });
  });

  describe('views', function () {
    it('getDataset, nextVersion and latestVersion revert with UnknownDataset(id) for an unknown id, 0 included', async function () {
      const { registry } = await loadFixture(datasetRegistryFixture);
      await registry.write.register([root('a'), 1n, 'x', '', 0n]);
      for (const id of [0n, 2n]) {
        expect(await expectRevert(registry.read.getDataset([id]), 'UnknownDataset')).to.deep.equal([id]);
        expect(await expectRevert(registry.read.nextVersion([id]), 'UnknownDataset')).to.deep.equal([id]);
        expect(await expectRevert(registry.read.latestVersion([id]), 'UnknownDataset')).to.deep.equal([id]);
      }
    });
  });
});
