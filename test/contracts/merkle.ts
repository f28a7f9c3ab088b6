/**
 * Sorted-pair keccak256 trees as RollupAnchor checks them, built in the test over leaves
 * keccak256(keccak256(abi.encode(bytes32 value))), the leaf of OpenZeppelin's StandardMerkleTree
 * for one bytes32. The shape is simpler than StandardMerkleTree's (unsorted leaves, an odd node is
 * carried up), so roots differ from the batcher's, but every proof verifies the same way with
 * OpenZeppelin's MerkleProof; L1Bridge.test.ts also checks a StandardMerkleTree proof.
 */
import { concat, encodeAbiParameters, keccak256, type Hex } from 'viem';

/** The leaf standing for `value` in both trees: keccak256(keccak256(abi.encode(value))). */
export const leafHash = (value: Hex): Hex => keccak256(keccak256(encodeAbiParameters([{ type: 'bytes32' }], [value])));

/** Sorted-pair keccak256, as OpenZeppelin's MerkleProof hashes two nodes. */
export function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/**
 * A sorted-pair keccak tree over leafHash(values), built bottom-up; an odd node out is carried up
 * unchanged. Returns the root and a proof for each value.
 */
export function merkleTree(values: Hex[]): { root: Hex; proofs: Hex[][] } {
  let level = values.map(leafHash);
  let positions = values.map((_, i) => i);
  const proofs: Hex[][] = values.map(() => []);
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? hashPair(level[i], level[i + 1]) : level[i]);
    positions = positions.map((pos, v) => {
      const sibling = pos ^ 1;
      if (sibling < level.length) proofs[v].push(level[sibling]);
      return pos >> 1;
    });
    level = next;
  }
  return { root: level[0], proofs };
}
