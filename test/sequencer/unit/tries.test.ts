import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { orderedTrieRoot, rlpIndex } from '../../../sequencer/builder/tries.ts'

async function referenceRoot(values: Uint8Array[]): Promise<string> {
  const trie = new MerklePatriciaTrie()
  for (let i = 0; i < values.length; i++) await trie.put(RLP.encode(i), values[i])
  return bytesToHex(trie.root())
}

describe('orderedTrieRoot', () => {
  for (const count of [0, 1, 2, 3, 16, 17, 127, 128, 129, 300, 1000]) {
    it(`matches @ethereumjs/mpt for ${count} values of mixed sizes`, async () => {
      // short values exercise embedded (<32 byte) nodes, long ones hashed references
      const values = Array.from({ length: count }, (_, i) => randomBytes(i % 3 === 0 ? 1 + (i % 20) : 40 + (i % 200)))
      expect(bytesToHex(orderedTrieRoot(values))).toBe(await referenceRoot(values))
    })
  }

  it('orders the keys as their nibbles sort, without sorting: RLP(i) as @ethereumjs/rlp encodes it at every length boundary', () => {
    for (const i of [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1]) expect(bytesToHex(rlpIndex(i)), String(i)).toBe(bytesToHex(RLP.encode(i)))
  })

  it('gives each trie its own root though nodes are encoded in one reused buffer (one big enough to grow it)', async () => {
    const a = Array.from({ length: 40 }, (_, i) => randomBytes(100 + i))
    const b = [randomBytes(10_000), ...Array.from({ length: 20 }, () => randomBytes(33))]
    const rootA = bytesToHex(orderedTrieRoot(a))
    expect(bytesToHex(orderedTrieRoot(b))).toBe(await referenceRoot(b))
    expect(bytesToHex(orderedTrieRoot(a))).toBe(rootA)
    expect(rootA).toBe(await referenceRoot(a))
  })

  it('matches @ethereumjs/mpt at every RLP length boundary (one byte, 55/56 bytes, 2- and 3-byte lengths)', async () => {
    // (no empty value: @ethereumjs/mpt takes putting one as a delete; a transaction or receipt is never empty)
    const sizes = [1, 54, 55, 56, 57, 255, 256, 65_535, 70_000]
    const values: Uint8Array[] = sizes.map((n) => randomBytes(n))
    values.push(Uint8Array.of(0x7f), Uint8Array.of(0x80)) // a single byte below and at 0x80
    expect(bytesToHex(orderedTrieRoot(values))).toBe(await referenceRoot(values))
    for (const v of values) expect(bytesToHex(orderedTrieRoot([v]))).toBe(await referenceRoot([v]))
  })
})
