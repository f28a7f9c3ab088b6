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

/**
 * A tree read node by node, in OpenZeppelin's array layout: `count` = 2n − 1 nodes of 32 bytes,
 * node 0 the root, node i's children 2i + 1 and 2i + 2, the n leaves at the end in reverse sorted
 * order (leaf i of the ascending order at node 2n − 2 − i). A proof reads about 2 log2(n) nodes
 * (binary search for the leaf, then the siblings), so a tree stored in pages
 * (sequencer/anchoring/rounds.ts) answers without loading or rebuilding it.
 */
export class TreeNodes {
  constructor(
    /** Nodes in the tree: 2n − 1, or 0 for an empty tree. */
    readonly count: number,
    /** Node i's 32 bytes (the caller may not alter them). */
    private readonly read: (i: number) => Uint8Array,
  ) {
    if (!Number.isSafeInteger(count) || count < 0 || (count > 0 && count % 2 !== 1)) throw new Error(`a tree has 2n − 1 nodes, got ${count}`)
  }

  get size(): number {
    return (this.count + 1) / 2
  }

  /** The root, or 32 zero bytes for an empty tree (RollupAnchor reads a zero root as "nothing"). */
  get root(): Uint8Array {
    return this.count === 0 ? ZERO : this.node(0)
  }

  /** Leaf i in ascending order. */
  leaf(i: number): Uint8Array {
    return this.node(this.count - 1 - i)
  }

  /** Index of `value`'s leaf in the sorted leaves (binary search), or -1. */
  leafIndex(value: Uint8Array): number {
    const leaf = leafHash(value)
    let lo = 0
    let hi = this.size - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const c = Buffer.compare(this.read(this.count - 1 - mid), leaf)
      if (c === 0) return mid
      if (c < 0) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }

  /** Sibling hashes from `value`'s leaf up to the root; undefined when the value is not in the tree. */
  proof(value: Uint8Array): Uint8Array[] | undefined {
    const index = this.leafIndex(value)
    return index < 0 ? undefined : this.siblingsOf(index).map((i) => this.node(i))
  }

  /** Sibling hashes of leaf k (ascending order) up to the root, as node indices (each node's bytes at 32 × index). */
  siblingsOf(k: number): number[] {
    const nodes: number[] = []
    for (let pos = this.count - 1 - k; pos > 0; pos = Math.floor((pos - 1) / 2)) nodes.push(pos % 2 === 0 ? pos - 1 : pos + 1)
    return nodes
  }

  /** A copy of node `i`. */
  private node(i: number): Uint8Array {
    return Uint8Array.from(this.read(i))
  }
}

/** A tree whose nodes are one buffer in memory ((2n − 1) × 32 bytes): how trees are built. */
export class FlatTree extends TreeNodes {
  constructor(readonly nodes: Buffer) {
    if (nodes.length % 32 !== 0 || (nodes.length > 0 && (nodes.length / 32) % 2 !== 1)) throw new Error(`a tree's nodes are (2n − 1) × 32 bytes, got ${nodes.length}`)
    super(nodes.length / 32, (i) => nodes.subarray(32 * i, 32 * i + 32))
  }

  /**
   * Builds the tree of `values`: n distinct 32-byte values, concatenated (duplicates are the
   * caller's to remove). `keccak` may be another keccak256 implementation (the round-tree thread's,
   * sequencer/anchoring/tree-worker.ts).
   */
  static build(values: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak256): FlatTree {
    return FlatTree.buildIndexed(values, keccak).tree
  }

  /**
   * As build, and where each value's leaf went: `order[k]` is the index (in `values`) of the value
   * whose leaf is leaf k in ascending order, so a value's proof can be read without hashing it
   * again (the dataset receipts, scripts/lib/datasets.ts).
   */
  static buildIndexed(values: Uint8Array, keccak: (data: Uint8Array) => Uint8Array = keccak256): { tree: FlatTree; order: Uint32Array } {
    const steps = buildSteps(values, keccak)
    for (let s = steps.next(); ; s = steps.next()) if (s.done === true) return s.value
  }

  /** As build, handing the event loop back every few thousand hashes (a round of 100,000 values takes about a second of CPU). */
  static async buildYielding(values: Uint8Array): Promise<FlatTree> {
    const steps = buildSteps(values, keccak256)
    for (let s = steps.next(); ; s = steps.next()) {
      if (s.done === true) return s.value.tree
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
}

/** Hashes per step of buildSteps: a few milliseconds of work. */
const STEP_HASHES = 2_048

/** The tree of `values` (distinct, 32 bytes each, concatenated) and its leaf order, yielding between steps of STEP_HASHES hashes. */
function* buildSteps(values: Uint8Array, keccak: (data: Uint8Array) => Uint8Array): Generator<void, { tree: FlatTree; order: Uint32Array }> {
  if (values.length % 32 !== 0) throw new Error(`tree values are 32 bytes each, got ${values.length} bytes`)
  const n = values.length / 32
  if (n === 0) return { tree: new FlatTree(Buffer.alloc(0)), order: new Uint32Array(0) }
  const leaves = Buffer.allocUnsafe(n * 32)
  for (let i = 0; i < n; i++) {
    leaves.set(keccak(keccak(values.subarray(32 * i, 32 * i + 32))), 32 * i) // leafHash
    if (i % STEP_HASHES === STEP_HASHES - 1) yield
  }
  // ascending order of the leaves: by their first 6 bytes as a number, the rest on a tie
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) keys[i] = leaves.readUIntBE(32 * i, 6)
  const order = new Uint32Array(n).map((_, i) => i)
  order.sort((a, b) => keys[a] - keys[b] || leaves.compare(leaves, 32 * b, 32 * b + 32, 32 * a, 32 * a + 32))
  yield
  const count = 2 * n - 1
  const nodes = Buffer.allocUnsafe(count * 32)
  for (let i = 0; i < n; i++) leaves.copy(nodes, 32 * (count - 1 - i), 32 * order[i], 32 * order[i] + 32)
  const pair = Buffer.allocUnsafe(64)
  for (let i = count - 1 - n, done = 0; i >= 0; i--, done++) {
    const a = 32 * (2 * i + 1)
    const b = a + 32
    const [lo, hi] = nodes.compare(nodes, b, b + 32, a, a + 32) <= 0 ? [a, b] : [b, a] // node a vs node b
    nodes.copy(pair, 0, lo, lo + 32)
    nodes.copy(pair, 32, hi, hi + 32)
    nodes.set(keccak(pair), 32 * i)
    if (done % STEP_HASHES === STEP_HASHES - 1) yield
  }
  return { tree: new FlatTree(nodes), order }
}

/** The tree of a batch's values (anchored hashes, withdrawals): a FlatTree of the distinct ones. */
export class MerkleTree {
  private readonly flat: FlatTree

  /** Duplicated values are kept once (the first anchoring of a hash is what counts). */
  constructor(values: Uint8Array[]) {
    const unique = new Map<string, Uint8Array>()
    for (const v of values) {
      if (v.length !== 32) throw new Error(`a tree value must be 32 bytes, got ${v.length}`)
      unique.set(Buffer.from(v).toString('hex'), v)
    }
    this.flat = FlatTree.build(Buffer.concat([...unique.values()]))
  }

  get size(): number {
    return this.flat.size
  }

  /** The distinct leaves in ascending order; a value's leaf index is its position here. */
  get leaves(): Uint8Array[] {
    return Array.from({ length: this.size }, (_, i) => this.flat.leaf(i))
  }

  /** The root, or 32 zero bytes for an empty tree (RollupAnchor reads a zero root as "nothing"). */
  get root(): Uint8Array {
    return this.flat.root
  }

  /** Index of `value`'s leaf in the sorted leaves, or -1. */
  leafIndex(value: Uint8Array): number {
    return this.flat.leafIndex(value)
  }

  /** Sibling hashes from `value`'s leaf up to the root; undefined when the value is not in the tree. */
  proof(value: Uint8Array): Uint8Array[] | undefined {
    return this.flat.proof(value)
  }
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0)
}
