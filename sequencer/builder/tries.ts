/**
 * Root of the trie keyed by RLP(index) that Ethereum uses for a block's transactions and
 * receipts, built bottom-up from the sorted keys with each node encoded and hashed once.
 * @ethereumjs/mpt re-reads, re-encodes and re-hashes the path on every put, which made these
 * two tries 20% of the node's CPU at 1,000 transactions per block. Nodes are encoded straight to
 * bytes (leaf, extension and branch are the only shapes, chain/rlp.ts), not through the generic RLP encoder:
 * the roots were still 10% of building a block of transfers that way. The keys come in order
 * without a sort, and a node that is hashed at once is encoded in a reused buffer: 18–19 µs per
 * transaction for both tries before, 6 µs after (`npx tsx scripts/bench-tries.ts`).
 */
import { keccak256 } from '../chain/crypto.ts'
import { encodeBytes, encodedBytesLength, encodeList, headerLength, writeBytes, writeHeader } from '../chain/rlp.ts'

interface Entry {
  nibbles: Uint8Array
  value: Uint8Array
}

/** RLP of the empty string: an empty branch slot, and the empty trie's only node. */
const EMPTY = Uint8Array.of(0x80)

export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  if (values.length === 0) return keccak256(EMPTY)
  return keccak256(buildNode(sortedEntries(values), 0, values.length, 0))
}

/**
 * The entries in the order of their keys' nibbles, without sorting: RLP(1)…RLP(127) are the
 * single bytes 0x01…0x7f, RLP(0) is 0x80, and from 128 on RLP(i) is 0x80 + its byte count, then
 * i big-endian, so longer keys sort after shorter ones and keys of one length in numeric order.
 */
function sortedEntries(values: Uint8Array[]): Entry[] {
  const entries: Entry[] = []
  const entry = (i: number) => entries.push({ nibbles: toNibbles(rlpIndex(i)), value: values[i] })
  for (let i = 1; i < Math.min(values.length, 128); i++) entry(i)
  entry(0)
  for (let i = 128; i < values.length; i++) entry(i)
  return entries
}

/** RLP of a non-negative integer below 2^32 (a transaction's index), as RLP.encode gives it. */
export function rlpIndex(i: number): Uint8Array {
  if (i === 0) return Uint8Array.of(0x80)
  if (i < 128) return Uint8Array.of(i)
  const n = i < 0x100 ? 1 : i < 0x10000 ? 2 : i < 0x1000000 ? 3 : 4
  const out = new Uint8Array(1 + n)
  out[0] = 0x80 + n
  for (let k = n, rest = i; k >= 1; k--, rest = Math.floor(rest / 256)) out[k] = rest % 256
  return out
}

/**
 * Where a node is encoded: nearly every node is hashed at once (reference, orderedTrieRoot), and a
 * fresh array for each would be an allocation outside V8's heap (a few µs apiece above 64 bytes:
 * a transaction's leaf, a branch) for bytes that are dead a moment later.
 */
let scratch = new Uint8Array(4096)

function scratchOf(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, 2 * scratch.length))
  return scratch.subarray(0, length)
}

/**
 * The RLP encoding of the node for entries [from, to), which share their first `depth` nibbles:
 * in the scratch buffer, so valid until the next call (the caller hashes it or copies it).
 */
function buildNode(entries: Entry[], from: number, to: number, depth: number): Uint8Array {
  if (to - from === 1) {
    const e = entries[from]
    const path = hexPrefix(e.nibbles.subarray(depth), true)
    const payload = encodedBytesLength(path) + encodedBytesLength(e.value)
    const out = scratchOf(headerLength(payload) + payload)
    writeBytes(out, writeBytes(out, writeHeader(out, 0, payload, 0xc0), path), e.value)
    return out
  }
  const shared = sharedPrefixLength(entries, from, to, depth)
  if (shared > 0) {
    const child = reference(buildNode(entries, from, to, depth + shared))
    return encodeList([encodeBytes(hexPrefix(entries[from].nibbles.subarray(depth, depth + shared), false)), child], scratchOf)
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
  return encodeList(branch, scratchOf)
}

/** A child as its parent holds it (out of the scratch buffer): embedded when its encoding is under 32 bytes, else by hash. */
function reference(encoded: Uint8Array): Uint8Array {
  return encoded.length < 32 ? encoded.slice() : encodeBytes(keccak256(encoded))
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
