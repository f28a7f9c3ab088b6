/**
 * Shared set-up for the Hardhat tests of contracts/L2/InferenceCoordinator.sol and the dApps that
 * use it (contracts/examples/ContentModeration.sol, TextGenerator.sol): the ModelRegistry and the
 * coordinator installed as runtime code at their predeploy addresses (as genesis installs them:
 * no constructor runs), an off-chain model, staked nodes, and the commit-reveal encodings,
 * computed here independently of the contracts.
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import hre from 'hardhat';
import {
  encodeAbiParameters,
  getAddress,
  keccak256,
  parseEther,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { aiPredeploysFixture } from './ai-harness';

/** contracts/L2/InferenceCoordinator.sol's predeploy address (precompiles/addresses.ts INFERENCE_COORDINATOR). */
export const COORDINATOR_ADDRESS: Address = getAddress('0x4200000000000000000000000000000000000400');
export const coordinatorAbi = hre.artifacts.readArtifactSync('InferenceCoordinator').abi;

/** The coordinator's constants (asserted against the contract in InferenceCoordinator.test.ts). */
export const MIN_STAKE = parseEther('1');
export const SLASH_BPS = 1000n;
export const EXIT_DELAY = 7200n;
export const MAX_CALLBACK_GAS = 2_000_000;

export type Wallet = Awaited<ReturnType<typeof hre.viem.getWalletClients>>[number];

/** An off-chain model's registration arguments, `timeoutSeconds` per phase. */
export function offchainModel(tag: string, timeoutSeconds = 60, formats: { input?: string; output?: string } = {}) {
  const modelId = keccak256(toHex(`off-chain model ${tag}`));
  const args = [modelId, tag, 1_000_000n, formats.input ?? 'text/utf-8', formats.output ?? 'int256[]', `https://models.example/${tag}.onnx`, timeoutSeconds] as const;
  return { modelId, args };
}

/**
 * Fixture: the registry and the coordinator at their predeploy addresses (runtime code only,
 * on top of aiPredeploysFixture's stand-ins). Load it through loadFixture, also from other fixtures.
 */
export async function coordinatorPredeploysFixture() {
  const ai = await loadFixture(aiPredeploysFixture);
  const { deployedBytecode } = await hre.artifacts.readArtifact('InferenceCoordinator');
  await ai.testClient.setCode({ address: COORDINATOR_ADDRESS, bytecode: deployedBytecode as Hex });
  const coordinator = await hre.viem.getContractAt('InferenceCoordinator', COORDINATOR_ADDRESS);
  return { ...ai, coordinator };
}

/** The coordinator as `wallet` sends it. */
export const coordinatorAs = (wallet: Wallet) => hre.viem.getContractAt('InferenceCoordinator', COORDINATOR_ADDRESS, { client: { wallet } });

/** commitment = keccak256(abi.encode(requestId, keccak256(output), salt, node)), as docs/OFFCHAIN_INFERENCE.md defines it. */
export function commitmentOf(requestId: bigint, output: Hex, salt: Hex, node: Address): Hex {
  return keccak256(
    encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [requestId, keccak256(output), salt, node]),
  );
}

/** A node's salt for a request (any 32 bytes the node keeps until it reveals). */
export const saltOf = (requestId: bigint, node: Address): Hex => keccak256(toHex(`salt ${requestId} ${node.toLowerCase()}`));

/** The classifier's output format: ABI int256[] of two 1e18 fixed-point probabilities [ham, spam]. */
export const classifierOutput = (ham: string, spam: string): Hex =>
  encodeAbiParameters([{ type: 'int256[]' }], [[parseEther(ham), parseEther(spam)]]);

/** Staked `wallets` serving `modelId` at `prices[i]` wei, each with `stake` wei. */
export async function stakeAndServe(wallets: Wallet[], modelId: Hex, prices: bigint[], stake = parseEther('10')): Promise<void> {
  for (let i = 0; i < wallets.length; i++) {
    const c = await coordinatorAs(wallets[i]);
    await c.write.stake({ value: stake });
    await c.write.serve([modelId, prices[i]]);
  }
}

/** The coordinator's events of `name` in `receipt`, decoded. */
export function coordinatorEvents(receipt: Pick<TransactionReceipt, 'logs'>, name: string) {
  return parseEventLogs({ abi: coordinatorAbi, logs: receipt.logs })
    .filter((e) => e.eventName === name)
    .map((e) => e.args as Record<string, any>);
}

/**
 * Plays the assigned nodes of `requestId`: each commits to its output in `outputs` (keyed by
 * lower-case address; `undefined`: no commit), then, if `reveal`, each that committed reveals.
 * Returns the receipts of the reveals, in order.
 */
export async function answer(
  requestId: bigint,
  nodes: readonly Address[],
  outputs: Record<string, Hex | undefined>,
  walletOf: (node: Address) => Wallet,
  reveal = true,
): Promise<TransactionReceipt[]> {
  const publicClient = await hre.viem.getPublicClient();
  for (const node of nodes) {
    const output = outputs[node.toLowerCase()];
    if (output === undefined) continue;
    await (await coordinatorAs(walletOf(node))).write.commit([requestId, commitmentOf(requestId, output, saltOf(requestId, node), node)]);
  }
  const receipts: TransactionReceipt[] = [];
  if (!reveal) return receipts;
  for (const node of nodes) {
    const output = outputs[node.toLowerCase()];
    if (output === undefined) continue;
    const hash = await (await coordinatorAs(walletOf(node))).write.reveal([requestId, output, saltOf(requestId, node)]);
    receipts.push(await publicClient.waitForTransactionReceipt({ hash }));
  }
  return receipts;
}
