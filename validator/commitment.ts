/**
 * The three encodings a validator must reproduce bit for bit (README "Validators and disputes"):
 * a batch's commitment, the EIP-712 attestation of it, and the hash a vote is committed as. They
 * are computed here from their definitions, not asked of the contract, and the tests compare them
 * with RollupAnchor.batchCommitment, ValidatorSet.attestationDigest and ValidatorSet.voteHash.
 */
import { encodeAbiParameters, keccak256, toHex, type Address, type Hex } from 'viem'
import type { L1Batch } from '../batcher/index.ts'

/** RollupAnchor.batchCommitment: keccak256(abi.encode(Batch)), ten 32-byte words in declaration order. */
export function batchCommitment(b: L1Batch): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'uint64' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }],
      [b.firstBlock, b.lastBlock, b.submittedAt, b.l1BlockNumber, b.challengeWindow, b.stateRoot, b.blockHash, b.withdrawalRoot, b.anchorRoot, b.dataHash],
    ),
  )
}

/** EIP-712 domain name of ValidatorSet (its EIP712_NAME); the version is "1". */
export const ATTESTATION_DOMAIN_NAME = 'ai-rollup ValidatorSet'

/** The typed data a validator signs to attest batch `batchIndex` with `commitment` (viem's signTypedData). */
export function attestationTypedData(l1ChainId: number, validatorSet: Address, batchIndex: bigint, commitment: Hex) {
  return {
    domain: { name: ATTESTATION_DOMAIN_NAME, version: '1', chainId: l1ChainId, verifyingContract: validatorSet },
    types: { Attestation: [{ name: 'batchIndex', type: 'uint256' }, { name: 'commitment', type: 'bytes32' }] },
    primaryType: 'Attestation' as const,
    message: { batchIndex, commitment },
  }
}

/** ValidatorSet.voteHash: keccak256(abi.encode(batchIndex, claimedCommitment, salt, voter)). */
export function voteHash(batchIndex: bigint, claimedCommitment: Hex, salt: Hex, voter: Address): Hex {
  return keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [batchIndex, claimedCommitment, salt, voter]))
}

/**
 * The commitment a validator claims for a batch it holds wrong without a result of its own (its
 * data does not decode or execute, or an earlier batch is wrong): any value other than the
 * stored commitment says "wrong"; this one is recognisable in a revealed vote.
 */
export function wrongMarker(storedCommitment: Hex): Hex {
  return keccak256(`${storedCommitment}${toHex('wrong').slice(2)}` as Hex)
}
