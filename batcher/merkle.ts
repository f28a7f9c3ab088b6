/**
 * The per-batch Merkle trees (anchored data hashes, withdrawals), built exactly as OpenZeppelin's
 * StandardMerkleTree builds a tree of single `bytes32` values: leaf = keccak256(keccak256(
 * abi.encode(value))), leaves sorted, a complete binary tree stored in an array, sorted-pair
 * keccak256 for inner nodes. So a root or proof from here equals the one @openzeppelin/merkle-tree
 * gives for the same values, proofs verify with OpenZeppelin's MerkleProof (RollupAnchor uses
 * it), and an enterprise can check one with either library.
 *
 * Hashing the value twice keeps a leaf from ever equalling an inner node (64 bytes of two
 * sibling hashes cannot be passed off as a value).
 */
import { keccak256 } from '../sequencer/chain/crypto.ts'

const ZERO = new Uint8Array(32)

/** keccak256(bytes.concat(keccak256(abi.encode(value)))) for a bytes32 value. */
export function leafHash(value: Uint8Array): Uint8Array {
  if (value.length !== 32) throw new Error(`a tree value must be 32 bytes, got ${value.length}`)
  return keccak256(keccak256(value)) // abi.encode of a bytes32 is the 32 bytes themselves
}

/** keccak256 of the two nodes in ascending byte order (OpenZeppelin's commutative hash). */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(64)
  const [lo, hi] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a]
  joined.set(lo, 0)
  joined.set(hi, 32)
  return keccak256(joined)
}

/** Folds a proof onto a leaf: the root the proof claims. */
export function processProof(leaf: Uint8Array, proof: Uint8Array[]): Uint8Array {
  return proof.reduce((node, sibling) => hashPair(node, sibling), leaf)
}

export function verifyProof(root: Uint8Array, value: Uint8Array, proof: Uint8Array[]): boolean {
  return !isZero(root) && Buffer.compare(processProof(leafHash(value), proof), root) === 0
}

export class MerkleTree {
  /** Node array: tree[0] is the root, the leaves fill the end in reverse sorted order. */
  private readonly tree: Uint8Array[]
  /** leaf hash (hex) → position in `tree` */
  private readonly positions = new Map<string, number>()
  /** The distinct leaves in ascending order; a value's leaf index is its position here. */
  readonly leaves: Uint8Array[]

  /** Duplicated values are kept once (the first anchoring of a hash is what counts). */
  constructor(values: Uint8Array[]) {
    const unique = new Map<string, Uint8Array>()
    for (const v of values) {
      const leaf = leafHash(v)
      unique.set(Buffer.from(leaf).toString('hex'), leaf)
    }
    this.leaves = [...unique.values()].sort((a, b) => Buffer.compare(a, b))
    const n = this.leaves.length
    this.tree = new Array<Uint8Array>(Math.max(0, 2 * n - 1))
    this.leaves.forEach((leaf, i) => {
      const pos = this.tree.length - 1 - i
      this.tree[pos] = leaf
      this.positions.set(Buffer.from(leaf).toString('hex'), pos)
    })
    for (let i = this.tree.length - 1 - n; i >= 0; i--) this.tree[i] = hashPair(this.tree[2 * i + 1], this.tree[2 * i + 2])
  }

  get size(): number {
    return this.leaves.length
  }

  /** The root, or 32 zero bytes for an empty tree (RollupAnchor reads a zero root as "nothing"). */
  get root(): Uint8Array {
    return this.tree.length === 0 ? ZERO : this.tree[0]
  }

  /** Index of `value`'s leaf in the sorted leaves, or -1. */
  leafIndex(value: Uint8Array): number {
    const pos = this.positions.get(Buffer.from(leafHash(value)).toString('hex'))
    return pos === undefined ? -1 : this.tree.length - 1 - pos
  }

  /** Sibling hashes from `value`'s leaf up to the root; undefined when the value is not in the tree. */
  proof(value: Uint8Array): Uint8Array[] | undefined {
    let pos = this.positions.get(Buffer.from(leafHash(value)).toString('hex'))
    if (pos === undefined) return undefined
    const proof: Uint8Array[] = []
    while (pos > 0) {
      proof.push(Uint8Array.from(this.tree[pos % 2 === 0 ? pos - 1 : pos + 1])) // a copy: callers may not alter the tree
      pos = Math.floor((pos - 1) / 2)
    }
    return proof
  }
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0)
}
