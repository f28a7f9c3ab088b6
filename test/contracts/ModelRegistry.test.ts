/**
 * Specification of contracts/L2/ModelRegistry.sol, run by `npx hardhat test` against the
 * in-process Hardhat network with the registry installed as runtime code at its predeploy
 * address and MockAnalyzer standing in for the analysis precompile (see ai-harness.ts).
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { encodeAbiParameters, getAddress, hexToBigInt, keccak256, numberToHex, parseEventLogs, type Hex } from 'viem';
import {
  MODEL_ANALYZER_ADDRESS,
  MODEL_REGISTRY_ADDRESS,
  TYPE_FLOAT32,
  aiPredeploysFixture,
  expectRevert,
  mockGasPerCall,
  mockModel,
  registryAbi,
  removeCode,
} from './ai-harness';

const MODEL = mockModel(4, 1, 'credit-risk');
const MODEL_ID = keccak256(MODEL);
const MODEL_SIZE = (MODEL.length - 2) / 2;

async function registryFixture() {
  const { registry } = await loadFixture(aiPredeploysFixture);
  const [owner, alice] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const asAlice = await hre.viem.getContractAt('ModelRegistry', MODEL_REGISTRY_ADDRESS, { client: { wallet: alice } });
  return { registry, owner, alice, asAlice, publicClient };
}

async function registeredFixture() {
  const f = await loadFixture(registryFixture);
  await f.registry.write.register([MODEL, 'credit-risk']);
  return f;
}

/** The storage slot where model `modelId`'s ModelInfo starts: keccak256(modelId . 0). */
function modelSlot(modelId: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [modelId, 0n]));
}

describe('ModelRegistry', function () {
  describe('as a genesis predeploy', function () {
    it('works from runtime code alone, with empty storage and no models', async function () {
      const { registry } = await loadFixture(registryFixture);
      expect(await registry.read.modelCount()).to.equal(0n);
      expect(await registry.read.isRegistered([MODEL_ID])).to.equal(false);
    });
  });

  describe('register', function () {
    it('returns keccak256 of the model bytes as the modelId', async function () {
      const { registry } = await loadFixture(registryFixture);
      const { result } = await registry.simulate.register([MODEL, 'credit-risk']);
      expect(result).to.equal(MODEL_ID);
    });

    it("stores the caller as owner with the analyzer's gas, shapes and types, and the model's size and name", async function () {
      const { registry, owner } = await loadFixture(registeredFixture);
      expect(await registry.read.getModel([MODEL_ID])).to.deep.equal({
        owner: getAddress(owner.account.address),
        gasPerCall: mockGasPerCall(MODEL_SIZE),
        size: MODEL_SIZE,
        inputLength: 4,
        outputLength: 1,
        inputType: TYPE_FLOAT32,
        outputType: TYPE_FLOAT32,
        name: 'credit-risk',
      });
      expect(await registry.read.isRegistered([MODEL_ID])).to.equal(true);
      expect(await registry.read.modelCount()).to.equal(1n);
    });

    it('emits ModelRegistered(modelId, owner, name)', async function () {
      const { registry, alice, asAlice, publicClient } = await loadFixture(registryFixture);
      const hash = await asAlice.write.register([MODEL, 'credit-risk']);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const events = parseEventLogs({ abi: registry.abi, eventName: 'ModelRegistered', logs: receipt.logs });
      expect(events).to.have.length(1);
      expect(events[0].args).to.deep.equal({
        modelId: MODEL_ID,
        owner: getAddress(alice.account.address),
        name: 'credit-risk',
      });
    });

    it('counts each distinct model once', async function () {
      const { registry } = await loadFixture(registeredFixture);
      await registry.write.register([mockModel(4, 1, 'another'), 'another']);
      expect(await registry.read.modelCount()).to.equal(2n);
    });

    it('reverts with ModelAlreadyRegistered when the same bytes come again, whoever sends them and under any name', async function () {
      const { registry, asAlice } = await loadFixture(registeredFixture);
      const args = await expectRevert(asAlice.write.register([MODEL, 'copy']), registryAbi, 'ModelAlreadyRegistered');
      expect(args).to.deep.equal([MODEL_ID]);
      expect(await registry.read.modelCount()).to.equal(1n);
      expect((await registry.read.getModel([MODEL_ID])).name).to.equal('credit-risk');
    });

    it('reverts with EmptyName when the name is empty', async function () {
      const { registry } = await loadFixture(registryFixture);
      await expectRevert(registry.write.register([MODEL, '']), registryAbi, 'EmptyName');
      expect(await registry.read.isRegistered([MODEL_ID])).to.equal(false);
    });

    it('accepts a name of exactly 64 bytes', async function () {
      const { registry } = await loadFixture(registryFixture);
      await registry.write.register([MODEL, 'n'.repeat(64)]);
      expect((await registry.read.getModel([MODEL_ID])).name).to.equal('n'.repeat(64));
    });

    it('reverts with NameTooLong(length, 64) for a name over 64 bytes', async function () {
      const { registry } = await loadFixture(registryFixture);
      const args = await expectRevert(registry.write.register([MODEL, 'n'.repeat(65)]), registryAbi, 'NameTooLong');
      expect(args).to.deep.equal([65n, 64n]);
    });

    it('measures the name in UTF-8 bytes, not characters', async function () {
      const { registry } = await loadFixture(registryFixture);
      // 22 euro signs: 22 characters, 66 bytes.
      const args = await expectRevert(registry.write.register([MODEL, '€'.repeat(22)]), registryAbi, 'NameTooLong');
      expect(args).to.deep.equal([66n, 64n]);
    });

    it("reverts with ModelRejected carrying the analyzer's reason when the analyzer refuses the model", async function () {
      const { registry } = await loadFixture(registryFixture);
      const bad: Hex = '0x0a0b0c';
      const args = await expectRevert(registry.write.register([bad, 'looping']), registryAbi, 'ModelRejected');
      expect(args).to.deep.equal(['operator Loop is not allowed']);
      expect(await registry.read.isRegistered([keccak256(bad)])).to.equal(false);
      expect(await registry.read.modelCount()).to.equal(0n);
    });

    it('reverts with ModelAnalysisFailed when the analyzer gives no answer (no precompile at 0xA2)', async function () {
      const { registry } = await loadFixture(registryFixture);
      await removeCode(MODEL_ANALYZER_ADDRESS);
      const args = await expectRevert(registry.write.register([MODEL, 'credit-risk']), registryAbi, 'ModelAnalysisFailed');
      expect(args).to.deep.equal(['0x']);
    });
  });

  describe('getModel', function () {
    it('reverts with UnknownModel for an id that was never registered', async function () {
      const { registry } = await loadFixture(registeredFixture);
      const unknown = keccak256('0x1234');
      const args = await expectRevert(registry.read.getModel([unknown]), registryAbi, 'UnknownModel');
      expect(args).to.deep.equal([unknown]);
      expect(await registry.read.isRegistered([unknown])).to.equal(false);
    });
  });

  describe('storage layout read by the node', function () {
    it('keeps _models at slot 0: keccak256(modelId . 0) holds owner (low 160 bits), gasPerCall and size', async function () {
      const { owner, publicClient } = await loadFixture(registeredFixture);
      const word = await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: modelSlot(MODEL_ID) });
      const value = hexToBigInt(word!);
      const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
      expect(numberToHex(value & mask(160), { size: 20 })).to.equal(owner.account.address.toLowerCase());
      expect((value >> 160n) & mask(64)).to.equal(mockGasPerCall(MODEL_SIZE));
      expect(value >> 224n).to.equal(BigInt(MODEL_SIZE));
    });

    it('packs inputLength, outputLength, inputType and outputType into the next word', async function () {
      const { publicClient } = await loadFixture(registeredFixture);
      const slot = numberToHex(hexToBigInt(modelSlot(MODEL_ID)) + 1n, { size: 32 });
      const value = hexToBigInt((await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot }))!);
      expect(value & 0xffffffffn).to.equal(4n);
      expect((value >> 32n) & 0xffffffffn).to.equal(1n);
      expect((value >> 64n) & 0xffn).to.equal(BigInt(TYPE_FLOAT32));
      expect((value >> 72n) & 0xffn).to.equal(BigInt(TYPE_FLOAT32));
      expect(value >> 80n).to.equal(0n);
    });

    it('leaves the slot of an unregistered model zero', async function () {
      const { publicClient } = await loadFixture(registeredFixture);
      const word = await publicClient.getStorageAt({
        address: MODEL_REGISTRY_ADDRESS,
        slot: modelSlot(keccak256('0x1234')),
      });
      expect(hexToBigInt(word!)).to.equal(0n);
    });

    it('keeps the model count at slot 1', async function () {
      const { publicClient } = await loadFixture(registeredFixture);
      const word = await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(1, { size: 32 }) });
      expect(hexToBigInt(word!)).to.equal(1n);
    });
  });
});
