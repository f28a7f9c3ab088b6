/**
 * Specification of contracts/L2/ModelRegistry.sol, run by `npx hardhat test` against the
 * in-process Hardhat network with the registry installed as runtime code at its predeploy
 * address and MockAnalyzer standing in for the analysis precompile (see ai-harness.ts).
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { encodeAbiParameters, getAddress, hexToBigInt, keccak256, numberToHex, parseEventLogs, toHex, zeroAddress, zeroHash, type Hex } from 'viem';
import {
  DATASET_REGISTRY_ADDRESS,
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
  const { registry, datasets, testClient } = await loadFixture(aiPredeploysFixture);
  const [owner, alice] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const asAlice = await hre.viem.getContractAt('ModelRegistry', MODEL_REGISTRY_ADDRESS, { client: { wallet: alice } });
  return { registry, datasets, testClient, owner, alice, asAlice, publicClient };
}

async function registeredFixture() {
  const f = await loadFixture(registryFixture);
  await f.registry.write.register([MODEL, 'credit-risk']);
  return f;
}

/** The storage slot where model `modelId`'s ModelInfo starts: keccak256(modelId . 0). */
function modelSlot(modelId: Hex, mappingSlot = 0n): Hex {
  return keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [modelId, mappingSlot]));
}

/** An off-chain model: only its hash, size, formats and where to fetch it go on chain. */
const OFF_ID = keccak256(toHex('a 7B-parameter language model'));
const OFF = {
  name: 'byte-lm',
  size: 7_000_000_000n,
  inputFormat: 'text/utf-8',
  outputFormat: 'text/greedy-ascii:32',
  uri: 'https://models.example/byte-lm.onnx',
  timeoutSeconds: 600,
};
type Off = typeof OFF;
const offArgs = (id: Hex, o: Partial<Off> = {}) => {
  const m = { ...OFF, ...o };
  return [id, m.name, m.size, m.inputFormat, m.outputFormat, m.uri, m.timeoutSeconds] as const;
};

async function offchainFixture() {
  const f = await loadFixture(registryFixture);
  await f.asAlice.write.registerOffchain(offArgs(OFF_ID));
  return f;
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

    it('keeps the model count at slot 1 (the length of _modelIds, both kinds), the ids from keccak256(1)', async function () {
      const { publicClient, asAlice } = await loadFixture(registeredFixture);
      const word = await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(1, { size: 32 }) });
      expect(hexToBigInt(word!)).to.equal(1n);
      await asAlice.write.registerOffchain(offArgs(OFF_ID));
      const count = await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(1, { size: 32 }) });
      expect(hexToBigInt(count!)).to.equal(2n);
      const base = hexToBigInt(keccak256(numberToHex(1, { size: 32 })));
      expect(await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(base, { size: 32 }) })).to.equal(MODEL_ID);
      expect(await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(base + 1n, { size: 32 }) })).to.equal(OFF_ID);
    });

    it('keeps off-chain models out of slot 0 (the precompile sees no owner) and at keccak256(modelId . 2): owner, size, timeoutSeconds', async function () {
      const { publicClient, alice } = await loadFixture(offchainFixture);
      const onchainWord = await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: modelSlot(OFF_ID) });
      expect(hexToBigInt(onchainWord!)).to.equal(0n);
      const value = hexToBigInt((await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: modelSlot(OFF_ID, 2n) }))!);
      const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
      expect(numberToHex(value & mask(160), { size: 20 })).to.equal(alice.account.address.toLowerCase());
      expect((value >> 160n) & mask(64)).to.equal(OFF.size);
      expect(value >> 224n).to.equal(BigInt(OFF.timeoutSeconds));
    });
  });

  describe('storage layout of access rules read by the precompile', function () {
    it('keeps _access at slot 3: keccak256(modelId . 3) packs restricted and allowedCallers; the allowlist entry of c at keccak256(c . (that + 1))', async function () {
      const { registry, alice, publicClient } = await loadFixture(registeredFixture);
      const base = hexToBigInt(modelSlot(MODEL_ID, 3n));
      const word = async (slot: bigint) => hexToBigInt((await publicClient.getStorageAt({ address: MODEL_REGISTRY_ADDRESS, slot: numberToHex(slot, { size: 32 }) }))!);
      const entry = (caller: Hex) => hexToBigInt(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [caller, base + 1n])));
      expect(await word(base)).to.equal(0n);
      await registry.write.setAccess([MODEL_ID, true]);
      await registry.write.allowCaller([MODEL_ID, alice.account.address, true]);
      expect(await word(base)).to.equal(1n | (1n << 8n));
      expect(await word(entry(alice.account.address))).to.equal(1n);
      await registry.write.allowCaller([MODEL_ID, alice.account.address, false]);
      expect(await word(entry(alice.account.address))).to.equal(0n);
      expect(await word(base)).to.equal(1n);
    });
  });

  describe('registerOffchain', function () {
    it('returns the given id and stores owner, size, timeout, name, formats and URI', async function () {
      const { registry, alice, asAlice } = await loadFixture(registryFixture);
      const { result } = await asAlice.simulate.registerOffchain(offArgs(OFF_ID));
      expect(result).to.equal(OFF_ID);
      await asAlice.write.registerOffchain(offArgs(OFF_ID));
      expect(await registry.read.getOffchainModel([OFF_ID])).to.deep.equal({ owner: getAddress(alice.account.address), ...OFF });
      expect(await registry.read.offchainTimeoutSeconds([OFF_ID])).to.equal(OFF.timeoutSeconds);
    });

    it('emits OffchainModelRegistered(modelId, owner, name, uri)', async function () {
      const { registry, alice, asAlice, publicClient } = await loadFixture(registryFixture);
      const hash = await asAlice.write.registerOffchain(offArgs(OFF_ID));
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const events = parseEventLogs({ abi: registry.abi, logs: receipt.logs });
      expect(events.map((e) => e.eventName)).to.deep.equal(['OffchainModelRegistered']);
      expect(events[0].args).to.deep.equal({ modelId: OFF_ID, owner: getAddress(alice.account.address), name: OFF.name, uri: OFF.uri });
    });

    it('is kind 2 for modelKind, invisible to isRegistered and getModel (the precompile cannot run it)', async function () {
      const { registry } = await loadFixture(offchainFixture);
      expect(await registry.read.modelKind([OFF_ID])).to.equal(2);
      expect(await registry.read.isRegistered([OFF_ID])).to.equal(false);
      expect(await expectRevert(registry.read.getModel([OFF_ID]), registryAbi, 'UnknownModel')).to.deep.equal([OFF_ID]);
    });

    it('accepts the bounds: 64-byte name and formats, 256-byte URI, size 1, timeouts 5 and 3,600', async function () {
      const { registry } = await loadFixture(registryFixture);
      const long = { name: 'n'.repeat(64), inputFormat: 'i'.repeat(64), outputFormat: 'o'.repeat(64), uri: 'u'.repeat(256), size: 1n };
      await registry.write.registerOffchain(offArgs(keccak256('0x01'), { ...long, timeoutSeconds: 5 }));
      await registry.write.registerOffchain(offArgs(keccak256('0x02'), { timeoutSeconds: 3600 }));
      expect((await registry.read.getOffchainModel([keccak256('0x01')])).uri).to.equal('u'.repeat(256));
      expect(await registry.read.offchainTimeoutSeconds([keccak256('0x02')])).to.equal(3600);
    });

    const bad: [string, Partial<Off>, string, unknown[]][] = [
      ['an empty name', { name: '' }, 'EmptyName', []],
      ['a name over 64 bytes', { name: 'n'.repeat(65) }, 'NameTooLong', [65n, 64n]],
      ['a zero size', { size: 0n }, 'ZeroSize', []],
      ['an empty input format', { inputFormat: '' }, 'EmptyFormat', []],
      ['an empty output format', { outputFormat: '' }, 'EmptyFormat', []],
      ['an input format over 64 bytes', { inputFormat: 'f'.repeat(65) }, 'FormatTooLong', [65n, 64n]],
      ['an output format over 64 bytes', { outputFormat: 'f'.repeat(65) }, 'FormatTooLong', [65n, 64n]],
      ['an empty URI', { uri: '' }, 'EmptyUri', []],
      ['a URI over 256 bytes', { uri: 'u'.repeat(257) }, 'UriTooLong', [257n, 256n]],
      ['a timeout under 5 s', { timeoutSeconds: 4 }, 'TimeoutOutOfRange', [4, 5, 3600]],
      ['a timeout over 3,600 s', { timeoutSeconds: 3601 }, 'TimeoutOutOfRange', [3601, 5, 3600]],
    ];
    for (const [what, o, error, args] of bad) {
      it(`reverts with ${error} for ${what}`, async function () {
        const { registry } = await loadFixture(registryFixture);
        expect(await expectRevert(registry.write.registerOffchain(offArgs(OFF_ID, o)), registryAbi, error)).to.deep.equal(args);
        expect(await registry.read.modelKind([OFF_ID])).to.equal(0);
        expect(await registry.read.modelCount()).to.equal(0n);
      });
    }

    it('reverts with ZeroModelId for the zero id', async function () {
      const { registry } = await loadFixture(registryFixture);
      await expectRevert(registry.write.registerOffchain(offArgs(zeroHash)), registryAbi, 'ZeroModelId');
    });

    it('reverts with ModelAlreadyRegistered for an id already registered off-chain, whoever sends it', async function () {
      const { registry, alice } = await loadFixture(offchainFixture);
      expect(await expectRevert(registry.write.registerOffchain(offArgs(OFF_ID, { name: 'copy' })), registryAbi, 'ModelAlreadyRegistered')).to.deep.equal([OFF_ID]);
      expect((await registry.read.getOffchainModel([OFF_ID])).owner).to.equal(getAddress(alice.account.address));
    });

    it('reverts with ModelAlreadyRegistered for the id of an on-chain model, and register refuses the id of an off-chain one', async function () {
      const { registry } = await loadFixture(registeredFixture);
      expect(await expectRevert(registry.write.registerOffchain(offArgs(MODEL_ID)), registryAbi, 'ModelAlreadyRegistered')).to.deep.equal([MODEL_ID]);
      const other = mockModel(2, 2, 'other');
      await registry.write.registerOffchain(offArgs(keccak256(other)));
      expect(await expectRevert(registry.write.register([other, 'other']), registryAbi, 'ModelAlreadyRegistered')).to.deep.equal([keccak256(other)]);
      expect(await registry.read.modelKind([keccak256(other)])).to.equal(2);
      expect(await registry.read.modelCount()).to.equal(2n);
    });
  });

  describe('kinds and enumeration', function () {
    it('modelKind: 0 for an unknown id, 1 on-chain, 2 off-chain; offchainTimeoutSeconds 0 unless off-chain', async function () {
      const { registry } = await loadFixture(registeredFixture);
      await registry.write.registerOffchain(offArgs(OFF_ID));
      expect(await registry.read.modelKind([keccak256('0x1234')])).to.equal(0);
      expect(await registry.read.modelKind([MODEL_ID])).to.equal(1);
      expect(await registry.read.modelKind([OFF_ID])).to.equal(2);
      expect(await registry.read.offchainTimeoutSeconds([MODEL_ID])).to.equal(0);
      expect(await registry.read.offchainTimeoutSeconds([keccak256('0x1234')])).to.equal(0);
    });

    it('getOffchainModel reverts with UnknownModel for an unknown id and for an on-chain model', async function () {
      const { registry } = await loadFixture(registeredFixture);
      expect(await expectRevert(registry.read.getOffchainModel([MODEL_ID]), registryAbi, 'UnknownModel')).to.deep.equal([MODEL_ID]);
      expect(await expectRevert(registry.read.getOffchainModel([OFF_ID]), registryAbi, 'UnknownModel')).to.deep.equal([OFF_ID]);
    });

    it('lists both kinds in registration order: modelCount, modelIdAt, modelIds pages', async function () {
      const { registry } = await loadFixture(registeredFixture);
      await registry.write.registerOffchain(offArgs(OFF_ID));
      const third = mockModel(4, 1, 'third');
      await registry.write.register([third, 'third']);
      const all = [MODEL_ID, OFF_ID, keccak256(third)];
      expect(await registry.read.modelCount()).to.equal(3n);
      for (let i = 0; i < 3; i++) expect(await registry.read.modelIdAt([BigInt(i)])).to.equal(all[i]);
      expect(await registry.read.modelIds([0n, 10n])).to.deep.equal(all);
      expect(await registry.read.modelIds([1n, 1n])).to.deep.equal([OFF_ID]);
      expect(await registry.read.modelIds([2n, 5n])).to.deep.equal([all[2]]);
      expect(await registry.read.modelIds([3n, 5n])).to.deep.equal([]);
      expect(await registry.read.modelIds([100n, 5n])).to.deep.equal([]);
      expect(await registry.read.modelIds([0n, 0n])).to.deep.equal([]);
    });

    it('modelIdAt reverts with IndexOutOfRange(index, count) past the end', async function () {
      const { registry } = await loadFixture(registeredFixture);
      expect(await expectRevert(registry.read.modelIdAt([1n]), registryAbi, 'IndexOutOfRange')).to.deep.equal([1n, 1n]);
    });
  });

  describe('lineage', function () {
    const V2 = mockModel(4, 1, 'credit-risk v2');
    const V2_ID = keccak256(V2);
    const V3 = mockModel(4, 1, 'credit-risk v3');
    const V3_ID = keccak256(V3);

    /** The registered model plus three dataset versions (ids 1, 2, 3) and v2, v3 registered without lineage. */
    async function lineageFixture() {
      const f = await loadFixture(registeredFixture);
      for (const name of ['iris-train', 'iris-test', 'iris-train v2']) await f.datasets.write.add([keccak256(toHex(name)), 150n, name]);
      await f.registry.write.register([V2, 'credit-risk v2']);
      await f.registry.write.register([V3, 'credit-risk v3']);
      return f;
    }

    it('is empty and version 1, its own latest, until declared', async function () {
      const { registry } = await loadFixture(lineageFixture);
      expect(await registry.read.getLineage([MODEL_ID])).to.deep.equal([zeroHash, [], []]);
      expect(await registry.read.getVersion([MODEL_ID])).to.deep.equal([1n, zeroHash, zeroHash, MODEL_ID, false]);
      expect(await registry.read.latestVersion([MODEL_ID])).to.equal(MODEL_ID);
    });

    it('records datasets and versions, links them both ways and follows the newest version', async function () {
      const { registry } = await loadFixture(lineageFixture);
      await registry.write.setLineage([MODEL_ID, zeroHash, [1n], [2n]]);
      expect(await registry.read.getVersion([MODEL_ID])).to.deep.equal([1n, zeroHash, zeroHash, MODEL_ID, true]);
      await registry.write.setLineage([V2_ID, MODEL_ID, [3n, 1n], [2n]]);
      expect(await registry.read.getLineage([V2_ID])).to.deep.equal([MODEL_ID, [3n, 1n], [2n]]);
      expect(await registry.read.getVersion([V2_ID])).to.deep.equal([2n, MODEL_ID, zeroHash, V2_ID, true]);
      expect(await registry.read.getVersion([MODEL_ID])).to.deep.equal([1n, zeroHash, V2_ID, V2_ID, true]);
      await registry.write.setLineage([V3_ID, V2_ID, [], []]);
      expect(await registry.read.getVersion([V3_ID])).to.deep.equal([3n, V2_ID, zeroHash, V3_ID, true]);
      for (const id of [MODEL_ID, V2_ID, V3_ID]) expect(await registry.read.latestVersion([id])).to.equal(V3_ID);
    });

    it('emits LineageSet(modelId, previous, version, trainedOn, evaluatedOn)', async function () {
      const { registry, publicClient } = await loadFixture(lineageFixture);
      await registry.write.setLineage([MODEL_ID, zeroHash, [], []]);
      const hash = await registry.write.setLineage([V2_ID, MODEL_ID, [1n], [2n, 3n]]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      const events = parseEventLogs({ abi: registry.abi, logs: receipt.logs });
      expect(events.map((e) => e.eventName)).to.deep.equal(['LineageSet']);
      expect(events[0].args).to.deep.equal({ modelId: V2_ID, previous: MODEL_ID, version: 2n, trainedOn: [1n], evaluatedOn: [2n, 3n] });
    });

    it('works for off-chain models too, and across kinds', async function () {
      const { registry } = await loadFixture(lineageFixture);
      await registry.write.registerOffchain(offArgs(OFF_ID));
      await registry.write.setLineage([MODEL_ID, zeroHash, [1n], []]);
      await registry.write.setLineage([OFF_ID, MODEL_ID, [3n], [2n]]);
      expect(await registry.read.getLineage([OFF_ID])).to.deep.equal([MODEL_ID, [3n], [2n]]);
      expect(await registry.read.latestVersion([MODEL_ID])).to.equal(OFF_ID);
    });

    it('accepts 32 datasets per list', async function () {
      const { registry, datasets } = await loadFixture(lineageFixture);
      for (let i = 4; i <= 32; i++) await datasets.write.add([keccak256(toHex(i)), 1n, `d${i}`]);
      const all = Array.from({ length: 32 }, (_, i) => BigInt(i + 1));
      await registry.write.setLineage([MODEL_ID, zeroHash, all, [...all].reverse()]);
      expect((await registry.read.getLineage([MODEL_ID]))[1]).to.deep.equal(all);
    });

    const refusals: [string, string, (f: Awaited<ReturnType<typeof lineageFixture>>) => Promise<unknown>, (f: Awaited<ReturnType<typeof lineageFixture>>) => unknown[]][] = [
      ['an unregistered model', 'UnknownModel', (f) => f.registry.write.setLineage([keccak256('0x1234'), zeroHash, [], []]), () => [keccak256('0x1234')]],
      ['a sender who is not the owner', 'NotModelOwner', (f) => f.asAlice.write.setLineage([MODEL_ID, zeroHash, [], []]), (f) => [MODEL_ID, getAddress(f.alice.account.address)]],
      ['a previous version that is not registered', 'UnknownModel', (f) => f.registry.write.setLineage([V2_ID, keccak256('0x1234'), [], []]), () => [keccak256('0x1234')]],
      ['a previous version that has not declared its lineage', 'PreviousLineageNotSet', (f) => f.registry.write.setLineage([V2_ID, MODEL_ID, [], []]), () => [MODEL_ID]],
      ['a model naming itself as previous', 'PreviousLineageNotSet', (f) => f.registry.write.setLineage([V2_ID, V2_ID, [], []]), () => [V2_ID]],
      ['a dataset id that does not exist', 'UnknownDataset', (f) => f.registry.write.setLineage([MODEL_ID, zeroHash, [1n, 4n], []]), () => [4n]],
      ['dataset id 0', 'UnknownDataset', (f) => f.registry.write.setLineage([MODEL_ID, zeroHash, [], [0n]]), () => [0n]],
      ['a dataset listed twice', 'DuplicateDataset', (f) => f.registry.write.setLineage([MODEL_ID, zeroHash, [1n, 2n, 1n], []]), () => [1n]],
      ['33 datasets', 'TooManyDatasets', (f) => f.registry.write.setLineage([MODEL_ID, zeroHash, [], Array.from({ length: 33 }, (_, i) => BigInt(i + 1))]), () => [33n, 32n]],
    ];
    for (const [what, error, action, args] of refusals) {
      it(`reverts with ${error} for ${what}, and stays undeclared`, async function () {
        const f = await loadFixture(lineageFixture);
        expect(await expectRevert(action(f), registryAbi, error)).to.deep.equal(args(f));
        expect((await f.registry.read.getVersion([MODEL_ID]))[4]).to.equal(false);
        expect((await f.registry.read.getVersion([V2_ID]))[4]).to.equal(false);
      });
    }

    it('reverts with LineageAlreadySet the second time: a lineage is frozen', async function () {
      const { registry } = await loadFixture(lineageFixture);
      await registry.write.setLineage([MODEL_ID, zeroHash, [1n], []]);
      expect(await expectRevert(registry.write.setLineage([MODEL_ID, zeroHash, [2n], []]), registryAbi, 'LineageAlreadySet')).to.deep.equal([MODEL_ID]);
      expect(await registry.read.getLineage([MODEL_ID])).to.deep.equal([zeroHash, [1n], []]);
    });

    it("reverts with PreviousOwnerMismatch for another owner's model as previous version", async function () {
      const { registry, alice, asAlice } = await loadFixture(lineageFixture);
      const hers = mockModel(4, 1, 'alice');
      await asAlice.write.register([hers, 'alice']);
      await asAlice.write.setLineage([keccak256(hers), zeroHash, [], []]);
      const args = await expectRevert(registry.write.setLineage([MODEL_ID, keccak256(hers), [], []]), registryAbi, 'PreviousOwnerMismatch');
      expect(args).to.deep.equal([keccak256(hers), getAddress(alice.account.address)]);
    });

    it('reverts with PreviousHasSuccessor when the previous version already has a newer one (versions form a line)', async function () {
      const { registry } = await loadFixture(lineageFixture);
      await registry.write.setLineage([MODEL_ID, zeroHash, [], []]);
      await registry.write.setLineage([V2_ID, MODEL_ID, [], []]);
      expect(await expectRevert(registry.write.setLineage([V3_ID, MODEL_ID, [], []]), registryAbi, 'PreviousHasSuccessor')).to.deep.equal([MODEL_ID, V2_ID]);
    });

    it('reverts with DatasetRegistryFailed when no DatasetRegistry answers at its address, but needs none for an empty lineage', async function () {
      const { registry } = await loadFixture(lineageFixture);
      await removeCode(DATASET_REGISTRY_ADDRESS);
      expect(await expectRevert(registry.write.setLineage([MODEL_ID, zeroHash, [1n], []]), registryAbi, 'DatasetRegistryFailed')).to.deep.equal(['0x']);
      await registry.write.setLineage([MODEL_ID, zeroHash, [], []]);
    });

    it('reverts with DatasetRegistryFailed when the DatasetRegistry reverts or answers something other than a bool', async function () {
      const { registry, testClient } = await loadFixture(lineageFixture);
      // runtime code that reverts with no data: revert(0, 0)
      await testClient.setCode({ address: DATASET_REGISTRY_ADDRESS, bytecode: '0x60006000fd' });
      expect(await expectRevert(registry.write.setLineage([MODEL_ID, zeroHash, [1n], []]), registryAbi, 'DatasetRegistryFailed')).to.deep.equal(['0x']);
      // runtime code that returns the word 2: mstore(0, 2) return(0, 32)
      await testClient.setCode({ address: DATASET_REGISTRY_ADDRESS, bytecode: '0x600260005260206000f3' });
      const args = await expectRevert(registry.write.setLineage([MODEL_ID, zeroHash, [1n], []]), registryAbi, 'DatasetRegistryFailed');
      expect(args).to.deep.equal([numberToHex(2, { size: 32 })]);
    });

    it('views revert with UnknownModel for an unregistered id', async function () {
      const { registry } = await loadFixture(lineageFixture);
      const unknown = keccak256('0x1234');
      for (const view of [registry.read.getLineage, registry.read.getVersion, registry.read.latestVersion]) {
        expect(await expectRevert(view([unknown]), registryAbi, 'UnknownModel')).to.deep.equal([unknown]);
      }
    });
  });

  describe('access rules', function () {
    it('are public by default: mayCall is true for anyone, false for an unknown or off-chain id', async function () {
      const { registry, alice } = await loadFixture(registeredFixture);
      await registry.write.registerOffchain(offArgs(OFF_ID));
      expect(await registry.read.getAccess([MODEL_ID])).to.deep.equal([false, 0]);
      expect(await registry.read.mayCall([MODEL_ID, alice.account.address])).to.equal(true);
      expect(await registry.read.mayCall([keccak256('0x1234'), alice.account.address])).to.equal(false);
      expect(await registry.read.mayCall([OFF_ID, alice.account.address])).to.equal(false);
    });

    it('restricted: only the allowlist may call; the count follows changes, not repeats; public again keeps the list', async function () {
      const { registry, alice, owner } = await loadFixture(registeredFixture);
      const bob = getAddress('0x000000000000000000000000000000000000b0b0');
      await registry.write.setAccess([MODEL_ID, true]);
      expect(await registry.read.mayCall([MODEL_ID, alice.account.address])).to.equal(false);
      expect(await registry.read.mayCall([MODEL_ID, owner.account.address])).to.equal(false);
      await registry.write.allowCaller([MODEL_ID, alice.account.address, true]);
      await registry.write.allowCaller([MODEL_ID, alice.account.address, true]);
      await registry.write.allowCaller([MODEL_ID, bob, true]);
      expect(await registry.read.getAccess([MODEL_ID])).to.deep.equal([true, 2]);
      expect(await registry.read.mayCall([MODEL_ID, alice.account.address])).to.equal(true);
      await registry.write.allowCaller([MODEL_ID, bob, false]);
      await registry.write.allowCaller([MODEL_ID, bob, false]);
      expect(await registry.read.getAccess([MODEL_ID])).to.deep.equal([true, 1]);
      expect(await registry.read.mayCall([MODEL_ID, bob])).to.equal(false);
      await registry.write.setAccess([MODEL_ID, false]);
      expect(await registry.read.getAccess([MODEL_ID])).to.deep.equal([false, 1]);
      expect(await registry.read.mayCall([MODEL_ID, bob])).to.equal(true);
    });

    it('emit AccessChanged(modelId, restricted) and CallerAllowed(modelId, caller, allowed)', async function () {
      const { registry, alice, publicClient } = await loadFixture(registeredFixture);
      const logs = [];
      for (const hash of [await registry.write.setAccess([MODEL_ID, true]), await registry.write.allowCaller([MODEL_ID, alice.account.address, true])]) {
        logs.push(...(await publicClient.waitForTransactionReceipt({ hash })).logs);
      }
      const events = parseEventLogs({ abi: registry.abi, logs });
      expect(events.map((e) => [e.eventName, e.args])).to.deep.equal([
        ['AccessChanged', { modelId: MODEL_ID, restricted: true }],
        ['CallerAllowed', { modelId: MODEL_ID, caller: getAddress(alice.account.address), allowed: true }],
      ]);
    });

    it('revert with NotModelOwner for anyone but the owner', async function () {
      const { asAlice, alice } = await loadFixture(registeredFixture);
      const who = getAddress(alice.account.address);
      expect(await expectRevert(asAlice.write.setAccess([MODEL_ID, true]), registryAbi, 'NotModelOwner')).to.deep.equal([MODEL_ID, who]);
      expect(await expectRevert(asAlice.write.allowCaller([MODEL_ID, who, true]), registryAbi, 'NotModelOwner')).to.deep.equal([MODEL_ID, who]);
    });

    it('revert with UnknownModel for an unknown id and for an off-chain model (the precompile runs on-chain models only)', async function () {
      const { registry, owner } = await loadFixture(registeredFixture);
      await registry.write.registerOffchain(offArgs(OFF_ID));
      for (const id of [keccak256('0x1234'), OFF_ID]) {
        expect(await expectRevert(registry.write.setAccess([id, true]), registryAbi, 'UnknownModel')).to.deep.equal([id]);
        expect(await expectRevert(registry.write.allowCaller([id, owner.account.address, true]), registryAbi, 'UnknownModel')).to.deep.equal([id]);
        expect(await expectRevert(registry.read.getAccess([id]), registryAbi, 'UnknownModel')).to.deep.equal([id]);
      }
    });

    it('allowCaller reverts with ZeroCaller for the zero address', async function () {
      const { registry } = await loadFixture(registeredFixture);
      await expectRevert(registry.write.allowCaller([MODEL_ID, zeroAddress, true]), registryAbi, 'ZeroCaller');
    });
  });
});
