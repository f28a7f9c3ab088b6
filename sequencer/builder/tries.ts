/**
 * Root of the trie keyed by RLP(index) that Ethereum uses for a block's transactions and
 * receipts, built bottom-up from the sorted keys with each node encoded and hashed once.
 * @ethereumjs/mpt re-reads, re-encodes and re-hashes the path on every put, which made these
 * two tries 20% of the node's CPU at 1,000 transactions per block.
 */
import { RLP, type Input } from '@ethereumjs/rlp'
import { keccak256 } from '../chain/crypto.ts'

interface Entry {
  nibbles: Uint8Array
  value: Uint8Array
}

export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  const entries: Entry[] = values.map((value, i) => ({ nibbles: toNibbles(RLP.encode(i)), value }))
  entries.sort((a, b) => compareNibbles(a.nibbles, b.nibbles))
  if (entries.length === 0) return keccak256(RLP.encode(new Uint8Array()))
  return keccak256(RLP.encode(buildNode(entries, 0)))
}

/** The node (as an RLP structure) for entries sharing their first `depth` nibbles. */
function buildNode(entries: Entry[], depth: number): Input {
  if (entries.length === 1) {
    const e = entries[0]
    return [hexPrefix(e.nibbles.subarray(depth), true), e.value]
  }
  const shared = sharedPrefixLength(entries, depth)
  if (shared > 0) {
    return [hexPrefix(entries[0].nibbles.subarray(depth, depth + shared), false), reference(buildNode(entries, depth + shared))]
  }
  const branch: Input[] = new Array(17).fill(new Uint8Array())
  let i = 0
  if (entries[0].nibbles.length === depth) {
    branch[16] = entries[0].value // a key that ends here (cannot happen for RLP(index) keys, kept for correctness)
    i = 1
  }
  while (i < entries.length) {
    const nibble = entries[i].nibbles[depth]
    let j = i + 1
    while (j < entries.length && entries[j].nibbles[depth] === nibble) j++
    branch[nibble] = reference(buildNode(entries.slice(i, j), depth + 1))
    i = j
  }
  return branch
}

/** Children under 32 bytes are embedded, larger ones referenced by hash. */
function reference(node: Input): Input {
  const encoded = RLP.encode(node)
  return encoded.length < 32 ? node : keccak256(encoded)
}

function sharedPrefixLength(entries: Entry[], depth: number): number {
  const first = entries[0].nibbles
  const last = entries[entries.length - 1].nibbles // sorted: the first and last bound the shared prefix
  let n = 0
  while (depth + n < first.length && depth + n < last.length && first[depth + n] === last[depth + n]) n++
  return n
}

function hexPrefix(nibbles: Uint8Array, leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2 === 1
  const out = new Uint8Array(Math.floor(nibbles.length / 2) + 1)
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0)
  out[0] = odd ? (flag << 4) | nibbles[0] : flag << 4
  for (let i = odd ? 1 : 0, o = 1; i < nibbles.length; i += 2, o++) out[o] = (nibbles[i] << 4) | nibbles[i + 1]
  return out
}

function toNibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = bytes[i] >> 4
    out[2 * i + 1] = bytes[i] & 15
  }
  return out
}

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}
