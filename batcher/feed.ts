/**
 * The sealed-block feed: how a sequencer hands each block it seals to its replicas as it is made
 * (`eth_subscribe("rollup_sealedBlocks", { fromBlock })`, README "Replicas"), so they serve it as
 * `unsafe` seconds before its batch reaches L1. One notification per block:
 *
 *   { number, hash, parentHash, stateRoot, data }
 *
 * `data` is the block in exactly the encoding a batch posts it (codec.ts: version 0x01,
 * compression 0 none, RLP([number, [[timestamp, coinbase, [tx, ...]]]])), so a replica executes a
 * feed block and a batch block through the same decoder and import; `hash` and `stateRoot` are
 * the sequencer's claim, which the replica checks against its own execution. Nothing in a feed
 * block is trusted: the L1 batch that later covers it decides.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { BatchDecodeError, decodeBatch, encodeBatch, type BatchBlock } from './codec.ts'

export const SEALED_BLOCKS_SUBSCRIPTION = 'rollup_sealedBlocks'

/** A sealed block as the feed carries it: the batch encoding plus the sequencer's results. */
export interface SealedFeedBlock {
  block: BatchBlock
  hash: Uint8Array
  parentHash: Uint8Array
  stateRoot: Uint8Array
}

/** The notification's `result` (JSON). */
export interface SealedBlockMessage {
  number: `0x${string}`
  hash: `0x${string}`
  parentHash: `0x${string}`
  stateRoot: `0x${string}`
  data: `0x${string}`
}

export function encodeSealedBlock(b: SealedFeedBlock): SealedBlockMessage {
  return {
    number: `0x${b.block.number.toString(16)}`,
    hash: bytesToHex(b.hash) as `0x${string}`,
    parentHash: bytesToHex(b.parentHash) as `0x${string}`,
    stateRoot: bytesToHex(b.stateRoot) as `0x${string}`,
    data: bytesToHex(encodeBatch([b.block], 'none')) as `0x${string}`,
  }
}

/** Decodes and checks a notification; throws BatchDecodeError for anything malformed. */
export function decodeSealedBlock(message: unknown): SealedFeedBlock {
  const m = message as Partial<SealedBlockMessage> | null
  const isHex = (v: unknown, bytes?: number): v is string => typeof v === 'string' && /^0x[0-9a-fA-F]*$/.test(v) && v.length % 2 === 0 && (bytes === undefined || v.length === 2 + 2 * bytes)
  if (m === null || typeof m !== 'object' || typeof m.number !== 'string' || !isHex(m.hash, 32) || !isHex(m.parentHash, 32) || !isHex(m.stateRoot, 32) || !isHex(m.data)) {
    throw new BatchDecodeError('sealed block message must be { number, hash, parentHash, stateRoot, data }')
  }
  const blocks = decodeBatch(hexToBytes(m.data as `0x${string}`))
  if (blocks.length !== 1 || blocks[0].number !== Number(m.number)) throw new BatchDecodeError(`sealed block message ${m.number} must hold exactly that one block`)
  return { block: blocks[0], hash: hexToBytes(m.hash as `0x${string}`), parentHash: hexToBytes(m.parentHash as `0x${string}`), stateRoot: hexToBytes(m.stateRoot as `0x${string}`) }
}
