/**
 * Specification of contracts/examples/AIAppraisal.sol, run by `npx hardhat test` against the
 * in-process Hardhat network, with MockInference standing in for the inference precompile and
 * the real ModelRegistry at its predeploy address (see ai-harness.ts).
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEventLogs, toHex, zeroAddress, zeroHash, type Abi } from 'viem';
import {
  INFERENCE_ADDRESS,
  addModel,
  aiPredeploysFixture,
  expectRevert,
  fixed,
  hashValues,
  inferenceAbi,
  registryAbi,
} from './ai-harness';

const appraisalAbi = [...hre.artifacts.readArtifactSync('AIAppraisal').abi, ...registryAbi] as Abi;

/** A flat: floor area (m²), rooms, building age (years), distance to centre (km); fixed point. */
const FEATURES = [fixed('84.5'), fixed('3'), fixed('27'), fixed('-2.25')] as const;
/** What the valuation stand-in answers: 412,345.67 (fixed point). */
const VALUE = fixed('412345.67');

async function appraisalFixture() {
  const { registry, inference, datasets } = await loadFixture(aiPredeploysFixture);
  const [owner, holder, other] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const modelId = await addModel(registry, inference, { inputLength: 4, output: [VALUE], tag: 'flat-valuation' });
  const nft = await hre.viem.deployContract('AIAppraisal', [modelId]);
  const as = (wallet: typeof owner) => hre.viem.getContractAt('AIAppraisal', nft.address, { client: { wallet } });
  return { nft, registry, inference, datasets, modelId, owner, holder, other, publicClient, asOther: await as(other) };
}

/** Token 1 is minted to `holder` with FEATURES. */
async function mintedFixture() {
  const f = await loadFixture(appraisalFixture);
  await f.nft.write.mint([f.holder.account.address, [...FEATURES]]);
  return f;
}

describe('AIAppraisal', function () {
  describe('deployment and setModel', function () {
    it('uses the valuation model given at deployment', async function () {
      const { nft, modelId } = await loadFixture(appraisalFixture);
      expect(await nft.read.modelId()).to.equal(modelId);
    });

    it("refuses an unregistered model with the registry's UnknownModel", async function () {
      const { nft } = await loadFixture(appraisalFixture);
      const unknown = keccak256('0x1234');
      expect(await expectRevert(nft.write.setModel([unknown]), appraisalAbi, 'UnknownModel')).to.deep.equal([unknown]);
    });

    it('refuses a model that gives more than one value with ModelShapeMismatch', async function () {
      const { nft, registry, inference } = await loadFixture(appraisalFixture);
      const pair = await addModel(registry, inference, { inputLength: 4, output: [1n, 2n], tag: 'pair' });
      expect(await expectRevert(nft.write.setModel([pair]), appraisalAbi, 'ModelShapeMismatch')).to.deep.equal([4, 2]);
    });

    it('reverts with OwnableUnauthorizedAccount when a non-owner switches the model', async function () {
      const { asOther, other, modelId } = await loadFixture(appraisalFixture);
      const args = await expectRevert(asOther.write.setModel([modelId]), appraisalAbi, 'OwnableUnauthorizedAccount');
      expect(args).to.deep.equal([getAddress(other.account.address)]);
    });
  });

  describe('mint', function () {
    it('mints token 1 to the recipient, keeps its features and emits AssetMinted with their hash', async function () {
      const { nft, holder, publicClient } = await loadFixture(appraisalFixture);
      const hash = await nft.write.mint([holder.account.address, [...FEATURES]]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });

      expect(await nft.read.ownerOf([1n])).to.equal(getAddress(holder.account.address));
      expect(await nft.read.featuresOf([1n])).to.deep.equal([...FEATURES]);
      expect(await nft.read.featuresHashOf([1n])).to.equal(hashValues(FEATURES));
      const [minted] = parseEventLogs({ abi: nft.abi, eventName: 'AssetMinted', logs: receipt.logs });
      expect(minted.args).to.deep.equal({
        tokenId: 1n,
        to: getAddress(holder.account.address),
        featuresHash: hashValues(FEATURES),
      });
      const [transfer] = parseEventLogs({ abi: nft.abi, eventName: 'Transfer', logs: receipt.logs });
      expect(transfer.args).to.deep.equal({ from: zeroAddress, to: getAddress(holder.account.address), tokenId: 1n });
    });

    it('numbers tokens consecutively', async function () {
      const { nft, holder } = await loadFixture(mintedFixture);
      const { result } = await nft.simulate.mint([holder.account.address, [1n]]);
      expect(result).to.equal(2n);
    });

    it('reverts with OwnableUnauthorizedAccount when a non-owner mints', async function () {
      const { asOther, other } = await loadFixture(appraisalFixture);
      const args = await expectRevert(
        asOther.write.mint([other.account.address, [...FEATURES]]),
        appraisalAbi,
        'OwnableUnauthorizedAccount',
      );
      expect(args).to.deep.equal([getAddress(other.account.address)]);
    });

    it('reverts with EmptyFeatures for an asset without features', async function () {
      const { nft, holder } = await loadFixture(appraisalFixture);
      await expectRevert(nft.write.mint([holder.account.address, []]), appraisalAbi, 'EmptyFeatures');
    });
  });

  describe('appraise', function () {
    it('stores the model value with the inference record and emits Appraised', async function () {
      const { nft, modelId, publicClient } = await loadFixture(mintedFixture);
      const hash = await nft.write.appraise([1n]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });

      expect(await nft.read.appraisalOf([1n])).to.deep.equal({
        value: VALUE,
        modelId,
        inputHash: hashValues(FEATURES),
        outputHash: hashValues([VALUE]),
        blockNumber: receipt.blockNumber,
      });
      const [appraised] = parseEventLogs({ abi: nft.abi, eventName: 'Appraised', logs: receipt.logs });
      expect(appraised.args).to.deep.equal({
        tokenId: 1n,
        modelId,
        value: VALUE,
        inputHash: hashValues(FEATURES),
        outputHash: hashValues([VALUE]),
      });
    });

    it("stores the same hashes as the precompile's Inference log, so the record can be matched to it", async function () {
      const { nft, modelId, publicClient } = await loadFixture(mintedFixture);
      const hash = await nft.write.appraise([1n]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const [inference] = parseEventLogs({ abi: inferenceAbi, eventName: 'Inference', logs: receipt.logs });
      const appraisal = await nft.read.appraisalOf([1n]);
      expect(getAddress(inference.address)).to.equal(INFERENCE_ADDRESS);
      expect(inference.args).to.deep.equal({
        modelId,
        inputHash: appraisal.inputHash,
        outputHash: appraisal.outputHash,
      });
      expect(appraisal.inputHash).to.equal(await nft.read.featuresHashOf([1n]));
    });

    it('can be called by anyone, and a later appraisal replaces the earlier one', async function () {
      const { nft, asOther, inference, modelId } = await loadFixture(mintedFixture);
      await nft.write.appraise([1n]);
      await inference.write.setModel([modelId, 4n, [fixed('-1.5')]]);
      await asOther.write.appraise([1n]);
      expect((await nft.read.appraisalOf([1n])).value).to.equal(fixed('-1.5'));
    });

    it('uses the model set at the time of the appraisal', async function () {
      const { nft, registry, inference } = await loadFixture(mintedFixture);
      const v2 = await addModel(registry, inference, { inputLength: 4, output: [fixed('1')], tag: 'flat-valuation-v2' });
      await nft.write.setModel([v2]);
      await nft.write.appraise([1n]);
      const appraisal = await nft.read.appraisalOf([1n]);
      expect(appraisal.modelId).to.equal(v2);
      expect(appraisal.value).to.equal(fixed('1'));
    });

    it('reverts with ERC721NonexistentToken for a token that was never minted', async function () {
      const { nft } = await loadFixture(mintedFixture);
      expect(await expectRevert(nft.write.appraise([2n]), appraisalAbi, 'ERC721NonexistentToken')).to.deep.equal([2n]);
    });

    it("bubbles up the model's revert reason unchanged when the features do not fit the model", async function () {
      const { nft, holder } = await loadFixture(mintedFixture);
      await nft.write.mint([holder.account.address, [1n, 2n, 3n]]);
      const args = await expectRevert(nft.write.appraise([2n]), appraisalAbi, 'Error');
      expect(args).to.deep.equal(['input has 3 values, the model takes 4']);
      await expectRevert(nft.read.appraisalOf([2n]), appraisalAbi, 'NotAppraised');
    });

    it('reverts with UnexpectedOutputLength when the model gives other than one value', async function () {
      const { nft, inference, modelId } = await loadFixture(mintedFixture);
      await inference.write.setModel([modelId, 4n, []]);
      expect(await expectRevert(nft.write.appraise([1n]), appraisalAbi, 'UnexpectedOutputLength')).to.deep.equal([0n]);
    });
  });

  describe('appraisalOf, featuresOf and featuresHashOf', function () {
    it('revert with NotAppraised for a minted token never appraised', async function () {
      const { nft } = await loadFixture(mintedFixture);
      expect(await expectRevert(nft.read.appraisalOf([1n]), appraisalAbi, 'NotAppraised')).to.deep.equal([1n]);
    });

    it('revert with ERC721NonexistentToken for a token that was never minted', async function () {
      const { nft } = await loadFixture(mintedFixture);
      await expectRevert(nft.read.appraisalOf([9n]), appraisalAbi, 'ERC721NonexistentToken');
      await expectRevert(nft.read.featuresOf([9n]), appraisalAbi, 'ERC721NonexistentToken');
      await expectRevert(nft.read.featuresHashOf([9n]), appraisalAbi, 'ERC721NonexistentToken');
    });
  });

  describe('lineage: modelLineage and provenanceOf', function () {
    const TRAIN_ROOT = keccak256(toHex('flat sales 2024'));
    const TEST_ROOT = keccak256(toHex('flat sales 2025 Q1'));

    /** Datasets 1 (training) and 2 (evaluation); the valuation model declares them; token 1 minted. */
    async function lineageFixture() {
      const f = await loadFixture(mintedFixture);
      await f.datasets.write.add([TRAIN_ROOT, 12_000n, 'flat sales 2024']);
      await f.datasets.write.add([TEST_ROOT, 900n, 'flat sales 2025 Q1']);
      await f.registry.write.setLineage([f.modelId, zeroHash, [1n], [2n]]);
      return f;
    }

    it("modelLineage gives the current model's version and datasets", async function () {
      const { nft } = await loadFixture(lineageFixture);
      expect(await nft.read.modelLineage()).to.deep.equal([1n, zeroHash, [1n], [2n]]);
    });

    it('follows setModel to a second version of the model', async function () {
      const { nft, registry, inference, modelId } = await loadFixture(lineageFixture);
      const v2 = await addModel(registry, inference, { inputLength: 4, output: [VALUE], tag: 'flat-valuation v2' });
      await registry.write.setLineage([v2, modelId, [1n, 2n], []]);
      await nft.write.setModel([v2]);
      expect(await nft.read.modelLineage()).to.deep.equal([2n, modelId, [1n, 2n], []]);
    });

    it('provenanceOf names the model behind an appraisal and the roots of the data it was trained on', async function () {
      const { nft, modelId, registry, inference } = await loadFixture(lineageFixture);
      await nft.write.appraise([1n]);
      expect(await nft.read.provenanceOf([1n])).to.deep.equal([modelId, [1n], [TRAIN_ROOT]]);
      // a later switch of model does not change where the existing appraisal came from
      const v2 = await addModel(registry, inference, { inputLength: 4, output: [VALUE], tag: 'flat-valuation v2' });
      await nft.write.setModel([v2]);
      expect(await nft.read.provenanceOf([1n])).to.deep.equal([modelId, [1n], [TRAIN_ROOT]]);
    });

    it('provenanceOf reverts with NotAppraised before an appraisal and ERC721NonexistentToken for an unknown token', async function () {
      const { nft } = await loadFixture(lineageFixture);
      expect(await expectRevert(nft.read.provenanceOf([1n]), appraisalAbi, 'NotAppraised')).to.deep.equal([1n]);
      await expectRevert(nft.read.provenanceOf([9n]), appraisalAbi, 'ERC721NonexistentToken');
    });
  });
});
