/**
 * Shared set-up for the Hardhat tests of contracts/ai, contracts/L2/ModelRegistry.sol and the AI
 * example dApps: installs stand-ins for our node's precompiles and the ModelRegistry predeploy
 * at their fixed addresses, and decodes reverts.
 *
 * The in-process Hardhat network cannot run the node's inference (0xA1) and model analysis
 * (0xA2) precompiles, so contracts/test/MockInference.sol and MockAnalyzer.sol stand in for
 * them there (the real ones are tested against the node in the vitest suites); likewise
 * contracts/test/MockDatasetRegistry.sol for the DatasetRegistry predeploy that lineages name. The
 * registry is the real contract, installed as runtime code the way genesis installs it: its
 * constructor never runs.
 */
import hre from 'hardhat';
import {
  concat,
  encodePacked,
  keccak256,
  parseEther,
  toHex,
  type Address,
  type Hex,
} from 'viem';

export const INFERENCE_ADDRESS: Address = '0x00000000000000000000000000000000000000A1';
export const MODEL_ANALYZER_ADDRESS: Address = '0x00000000000000000000000000000000000000A2';
export const MODEL_REGISTRY_ADDRESS: Address = '0x4200000000000000000000000000000000000100';
/** The DatasetRegistry predeploy's address (precompiles/addresses.ts DATASET_REGISTRY), where MockDatasetRegistry stands in. */
export const DATASET_REGISTRY_ADDRESS: Address = '0x4200000000000000000000000000000000000500';

/** MockAnalyzer's cost rule: gasPerCall = 1000 + 10 * size. */
export const mockGasPerCall = (size: number): bigint => 1000n + 10n * BigInt(size);
/** ONNX TensorProto.DataType of float32, which MockAnalyzer reports for every model. */
export const TYPE_FLOAT32 = 1;

/** ABI of the inference precompile, for parsing its Inference logs. */
export const inferenceAbi = hre.artifacts.readArtifactSync('IOnnxInference').abi;
/** ABI of the registry, whose errors (UnknownModel) surface through the dApps' setModel. */
export const registryAbi = hre.artifacts.readArtifactSync('ModelRegistry').abi;

/**
 * Bytes MockAnalyzer accepts as a model taking `inputLength` values and giving `outputLength`;
 * `tag` makes distinct models (distinct modelIds) of the same shape.
 */
export function mockModel(inputLength: number, outputLength: number, tag = 'model'): Hex {
  return concat(['0x08', toHex(inputLength, { size: 1 }), toHex(outputLength, { size: 1 }), toHex(tag)]);
}

/** keccak256 of int256 values as consecutive 32-byte words: what AI.hashValues and the precompile's log give. */
export function hashValues(values: readonly bigint[]): Hex {
  return keccak256(encodePacked(['int256[]'], [values]));
}

/** A decimal number as 1e18 fixed point (`fixed('0.5')` is 5e17). */
export const fixed = (n: string): bigint => parseEther(n);

/**
 * Fixture: installs the precompile stand-ins and the ModelRegistry predeploy (runtime code only).
 * Always load it through `loadFixture(aiPredeploysFixture)`, also from inside other fixtures:
 * setCode keeps an address's storage, so only restoring this snapshot gives every test file
 * and fixture an empty registry at the fixed predeploy address.
 */
export async function aiPredeploysFixture() {
  const testClient = await hre.viem.getTestClient();
  for (const [address, name] of [
    [INFERENCE_ADDRESS, 'MockInference'],
    [MODEL_ANALYZER_ADDRESS, 'MockAnalyzer'],
    [MODEL_REGISTRY_ADDRESS, 'ModelRegistry'],
    [DATASET_REGISTRY_ADDRESS, 'MockDatasetRegistry'],
  ] as const) {
    const { deployedBytecode } = await hre.artifacts.readArtifact(name);
    await testClient.setCode({ address, bytecode: deployedBytecode as Hex });
  }
  const registry = await hre.viem.getContractAt('ModelRegistry', MODEL_REGISTRY_ADDRESS);
  const inference = await hre.viem.getContractAt('MockInference', INFERENCE_ADDRESS);
  const datasets = await hre.viem.getContractAt('MockDatasetRegistry', DATASET_REGISTRY_ADDRESS);
  return { registry, inference, datasets, testClient };
}

/** Removes the code at `address`, as on a chain without that precompile. */
export async function removeCode(address: Address): Promise<void> {
  const testClient = await hre.viem.getTestClient();
  await testClient.setCode({ address, bytecode: '0x' });
}

type Registry = Awaited<ReturnType<typeof aiPredeploysFixture>>['registry'];
type Inference = Awaited<ReturnType<typeof aiPredeploysFixture>>['inference'];

/**
 * Registers a mock model in the registry and teaches the inference stand-in to answer it with
 * `output`; returns its modelId.
 */
export async function addModel(
  registry: Registry,
  inference: Inference,
  opts: { inputLength: number; output: readonly bigint[]; tag: string },
): Promise<Hex> {
  const bytes = mockModel(opts.inputLength, opts.output.length, opts.tag);
  await registry.write.register([bytes, opts.tag]);
  const modelId = keccak256(bytes);
  await inference.write.setModel([modelId, BigInt(opts.inputLength), [...opts.output]]);
  return modelId;
}

export { expectRevert } from './revert';
