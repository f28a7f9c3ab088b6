/**
 * Root of the trie keyed by RLP(index) that Ethereum uses for a block's transactions and
 * receipts, built bottom-up from the sorted keys with each node encoded and hashed once.
 * @ethereumjs/mpt re-reads, re-encodes and re-hashes the path on every put, which made these
 * two tries 20% of the node's CPU at 1,000 transactions per block. Nodes are encoded straight to
 * bytes (leaf, extension and branch are the only shapes, chain/rlp.ts), not through the generic RLP encoder:
 * the roots were still 10% of building a block of transfers that way.
 */
import { RLP } from '@ethereumjs/rlp'
import { keccak256 } from '../chain/crypto.ts'
import { encodeBytes, encodeList } from '../chain/rlp.ts'

interface Entry {
  nibbles: Uint8Array
  value: Uint8Array
}

/** RLP of the empty string: an empty branch slot, and the empty trie's only node. */
const EMPTY = Uint8Array.of(0x80)

export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  if (values.length === 0) return keccak256(EMPTY)
  const entries: Entry[] = values.map((value, i) => ({ nibbles: toNibbles(RLP.encode(i)), value }))
  entries.sort((a, b) => compareNibbles(a.nibbles, b.nibbles))
  return keccak256(buildNode(entries, 0, entries.length, 0))
}

/** The RLP encoding of the node for entries [from, to), which share their first `depth` nibbles. */
function buildNode(entries: Entry[], from: number, to: number, depth: number): Uint8Array {
  if (to - from === 1) {
    const e = entries[from]
    return encodeList([encodeBytes(hexPrefix(e.nibbles.subarray(depth), true)), encodeBytes(e.value)])
  }
  const shared = sharedPrefixLength(entries, from, to, depth)
  if (shared > 0) {
    const path = encodeBytes(hexPrefix(entries[from].nibbles.subarray(depth, depth + shared), false))
    return encodeList([path, reference(buildNode(entries, from, to, depth + shared))])
  }
  const branch: Uint8Array[] = new Array(17).fill(EMPTY)
  let i = from
  if (entries[from].nibbles.length === depth) {
    branch[16] = encodeBytes(entries[from].value) // a key that ends here (cannot happen for RLP(index) keys, kept for correctness)
    i++
  }
  while (i < to) {
    const nibble = entries[i].nibbles[depth]
    let j = i + 1
    while (j < to && entries[j].nibbles[depth] === nibble) j++
    branch[nibble] = reference(buildNode(entries, i, j, depth + 1))
    i = j
  }
  return encodeList(branch)
}

/** A child as its parent holds it: embedded when its encoding is under 32 bytes, else by hash. */
function reference(encoded: Uint8Array): Uint8Array {
  return encoded.length < 32 ? encoded : encodeBytes(keccak256(encoded))
}

function sharedPrefixLength(entries: Entry[], from: number, to: number, depth: number): number {
  const first = entries[from].nibbles
  const last = entries[to - 1].nibbles // sorted: the first and last bound the shared prefix
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
