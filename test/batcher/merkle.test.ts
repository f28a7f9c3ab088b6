/**
 * The per-batch trees against OpenZeppelin's own implementation (@openzeppelin/merkle-tree): same
 * roots, same proofs, for many sizes, so that RollupAnchor (OpenZeppelin MerkleProof) and anyone
 * holding OpenZeppelin's library accept what the node hands out.
 */
import { describe, expect, it } from 'vitest'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { keccak256, toHex, type Hex } from 'viem'
import { FlatTree, MerkleTree, leafHash, processProof, verifyProof } from '../../batcher/merkle.ts'
import { createWasmKeccak256 } from '../../sequencer/chain/crypto.ts'

const values = (n: number, salt = ''): Hex[] => Array.from({ length: n }, (_, i) => keccak256(toHex(`value ${salt}${i}`)))
const bytes = (h: Hex) => hexToBytes(h)

describe('MerkleTree', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 100, 1000])('gives OpenZeppelin StandardMerkleTree roots and proofs for %i values', (n) => {
    const vs = values(n)
    const ours = new MerkleTree(vs.map(bytes))
    const oz = StandardMerkleTree.of(vs.map((v) => [v]), ['bytes32'])
    expect(bytesToHex(ours.root)).toBe(oz.root)
    for (const [i, [v]] of oz.entries()) {
      expect(ours.proof(bytes(v))!.map(bytesToHex)).toEqual(oz.getProof(i))
      expect(StandardMerkleTree.verify(oz.root, ['bytes32'], [v], ours.proof(bytes(v))!.map(bytesToHex))).toBe(true)
    }
  })

  it('leaf = keccak256(keccak256(abi.encode(bytes32))), as RollupAnchor.leafHash', () => {
    const v = values(1)[0]
    expect(bytesToHex(leafHash(bytes(v)))).toBe(keccak256(keccak256(v)))
  })

  it('keeps a repeated value once and gives its sorted leaf index', () => {
    const vs = values(5)
    const tree = new MerkleTree([...vs, vs[2], vs[0]].map(bytes))
    expect(tree.size).toBe(5)
    expect(bytesToHex(tree.root)).toBe(bytesToHex(new MerkleTree(vs.map(bytes)).root))
    const sorted = [...tree.leaves].map(bytesToHex)
    for (const v of vs) expect(sorted[tree.leafIndex(bytes(v))]).toBe(bytesToHex(leafHash(bytes(v))))
  })

  it('has a zero root when empty and no proof for a value not in it', () => {
    expect(bytesToHex(new MerkleTree([]).root)).toBe('0x' + '00'.repeat(32))
    expect(new MerkleTree(values(3).map(bytes)).proof(bytes(values(1, 'other')[0]))).toBeUndefined()
    expect(new MerkleTree(values(3).map(bytes)).leafIndex(bytes(values(1, 'other')[0]))).toBe(-1)
  })

  it('proofs fail for a tampered value, a tampered sibling, another root, and against the zero root', () => {
    const vs = values(9)
    const tree = new MerkleTree(vs.map(bytes))
    const proof = tree.proof(bytes(vs[4]))!
    expect(verifyProof(tree.root, bytes(vs[4]), proof)).toBe(true)
    expect(verifyProof(tree.root, bytes(vs[5]), proof)).toBe(false)
    const tampered = proof.map((p) => Uint8Array.from(p))
    tampered[0][31] ^= 1
    expect(verifyProof(tree.root, bytes(vs[4]), tampered)).toBe(false)
    expect(verifyProof(new MerkleTree(values(9, 'x').map(bytes)).root, bytes(vs[4]), proof)).toBe(false)
    expect(verifyProof(new Uint8Array(32), bytes(vs[4]), proof)).toBe(false)
    // an inner node is not a leaf: the two children of the root cannot pass for a value
    expect(bytesToHex(processProof(leafHash(bytes(vs[4])), proof))).toBe(bytesToHex(tree.root))
  })

  it('refuses values that are not 32 bytes', () => {
    expect(() => new MerkleTree([new Uint8Array(31)])).toThrow(/32 bytes/)
  })
})

describe('FlatTree (aggregated-anchoring rounds)', () => {
  it('built in steps, gives OpenZeppelin StandardMerkleTree roots and proofs for a tree past one step (5,000 values), and reads back from its stored nodes', async () => {
    const vs = values(5_000, 'flat')
    const built = await FlatTree.buildYielding(Buffer.concat(vs.map(bytes)))
    const oz = StandardMerkleTree.of(vs.map((v) => [v]), ['bytes32'])
    expect(bytesToHex(built.root)).toBe(oz.root)
    expect(built.size).toBe(5_000)
    const stored = new FlatTree(Buffer.from(built.nodes))
    for (const i of [0, 1, 2_047, 2_048, 4_999]) {
      const [, [v]] = [...oz.entries()].find(([, [x]]) => x === vs[i])!
      const leafIndex = [...oz.entries()].findIndex(([, [x]]) => x === vs[i])
      expect(stored.proof(bytes(v))!.map(bytesToHex)).toEqual(oz.getProof(leafIndex))
      expect(bytesToHex(stored.leaf(stored.leafIndex(bytes(v))))).toBe(bytesToHex(leafHash(bytes(v))))
    }
    expect(stored.proof(bytes(values(1, 'absent')[0]))).toBeUndefined()
    expect(bytesToHex(FlatTree.build(Buffer.concat(vs.map(bytes))).root)).toBe(oz.root)
  })

  it('builds the same tree with hash-wasm\'s keccak256 (createWasmKeccak256: the round-tree thread, dataset trees), and says where each value\'s leaf went', async () => {
    const wasmKeccak = await createWasmKeccak256()
    const vs = values(300, 'wasm')
    const { tree, order } = FlatTree.buildIndexed(Buffer.concat(vs.map(bytes)), wasmKeccak)
    const oz = StandardMerkleTree.of(vs.map((v) => [v]), ['bytes32'])
    expect(bytesToHex(tree.root)).toBe(oz.root)
    expect(tree.nodes.equals(FlatTree.build(Buffer.concat(vs.map(bytes))).nodes)).toBe(true)
    // order[k] is the value whose leaf is leaf k; its siblings are its proof
    expect([...order].sort((a, b) => a - b)).toEqual(vs.map((_, i) => i))
    for (const k of [0, 1, 150, 299]) {
      expect(bytesToHex(tree.leaf(k))).toBe(bytesToHex(leafHash(bytes(vs[order[k]]))))
      expect(tree.siblingsOf(k).map((n) => bytesToHex(tree.nodes.subarray(32 * n, 32 * n + 32)))).toEqual(oz.getProof([vs[order[k]]]))
    }
  })

  it('refuses node arrays and values of the wrong length', () => {
    expect(() => new FlatTree(Buffer.alloc(64))).toThrow(/2n − 1/)
    expect(() => FlatTree.build(new Uint8Array(33))).toThrow(/32 bytes/)
    expect(bytesToHex(FlatTree.build(new Uint8Array(0)).root)).toBe('0x' + '00'.repeat(32))
  })
})
