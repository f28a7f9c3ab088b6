/**
 * What the L1 contract tests share for the validator committee: a RollupAnchor linked to its
 * ValidatorSet with the sequencer's bond posted (the only state in which batches are accepted),
 * the batch commitment and the EIP-712 attestation computed in TypeScript, independently of the
 * contracts, so that the contracts are checked against the encoding a node uses.
 */
import hre from 'hardhat';
import { encodeAbiParameters, keccak256, parseEther, type Address, type Hex } from 'viem';

/** ValidatorSet parameters of the tests (the constructor's, in wei and seconds). */
export const MIN_STAKE = parseEther('1');
export const MIN_SEQUENCER_BOND = parseEther('10');
export const MIN_CHALLENGE_BOND = parseEther('0.5');
export const COMMIT_PERIOD = 24n * 60n * 60n;
export const REVEAL_PERIOD = 24n * 60n * 60n;

type Wallet = Awaited<ReturnType<typeof hre.viem.getWalletClients>>[number];

/**
 * Deploys RollupAnchor(admin, sequencer, window) and its ValidatorSet (treasury = `treasury`,
 * default the admin), links them as the admin and posts MIN_SEQUENCER_BOND for the sequencer
 * (funded by the admin). `admin` must be the first wallet client (hre's default signer).
 */
export async function deployRollup(admin: Wallet, sequencer: Address, window: bigint, opts: { treasury?: Address; bond?: bigint } = {}) {
  const anchor = await hre.viem.deployContract('RollupAnchor', [admin.account.address, sequencer, window]);
  const validatorSet = await hre.viem.deployContract('ValidatorSet', [
    anchor.address,
    opts.treasury ?? admin.account.address,
    MIN_STAKE,
    MIN_SEQUENCER_BOND,
    MIN_CHALLENGE_BOND,
    COMMIT_PERIOD,
    REVEAL_PERIOD,
  ]);
  await anchor.write.setValidatorSet([validatorSet.address]);
  const bond = opts.bond ?? MIN_SEQUENCER_BOND;
  if (bond > 0n) await validatorSet.write.depositBond([sequencer], { value: bond });
  return { anchor, validatorSet };
}

/** What RollupAnchor stores for a batch, as getBatch returns it. */
export interface StoredBatch {
  firstBlock: bigint;
  lastBlock: bigint;
  submittedAt: bigint;
  l1BlockNumber: bigint;
  challengeWindow: bigint;
  stateRoot: Hex;
  blockHash: Hex;
  withdrawalRoot: Hex;
  anchorRoot: Hex;
  dataHash: Hex;
}

/** keccak256(abi.encode(Batch)): ten 32-byte words in declaration order. */
export function batchCommitment(b: StoredBatch): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' },
        { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' },
      ],
      [b.firstBlock, b.lastBlock, b.submittedAt, b.l1BlockNumber, b.challengeWindow, b.stateRoot, b.blockHash, b.withdrawalRoot, b.anchorRoot, b.dataHash],
    ),
  );
}

/** The EIP-712 typed data of an attestation, as a validator signs it with viem. */
export function attestationTypedData(chainId: number, validatorSet: Address, batchIndex: bigint, commitment: Hex) {
  return {
    domain: { name: 'ai-rollup ValidatorSet', version: '1', chainId, verifyingContract: validatorSet },
    types: { Attestation: [{ name: 'batchIndex', type: 'uint256' }, { name: 'commitment', type: 'bytes32' }] },
    primaryType: 'Attestation' as const,
    message: { batchIndex, commitment },
  };
}
