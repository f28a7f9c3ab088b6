/**
 * The commitment a node sends before revealing (docs/OFFCHAIN_INFERENCE.md "A request"):
 * `keccak256(abi.encode(requestId, keccak256(output), salt, node))`. Computed here from its
 * definition, not asked of the contract; the tests compare it with what the coordinator accepts.
 */
import { encodeAbiParameters, keccak256, toHex, type Address, type Hex } from 'viem'
import { randomBytes } from 'node:crypto'

export function inferenceCommitment(requestId: bigint, output: Uint8Array | Hex, salt: Hex, node: Address): Hex {
  return keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'address' }], [requestId, keccak256(output), salt, node]))
}

/** 32 bytes from the operating system's random source. */
export function newSalt(): Hex {
  return toHex(randomBytes(32))
}
