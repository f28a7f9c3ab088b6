import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { orderedTrieRoot } from '../../../sequencer/builder/tries.ts'

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
})
