/**
 * The anchoring queue: data hashes accepted over HTTP wait here (in sqlite, so an accepted hash
 * survives kill -9) until the builder puts them into a block as a system call to the DataAnchor
 * predeploy, `anchor(bytes32[])`. The block's Anchored events then take them out of the queue in
 * the block's own sqlite transaction (AnchorStore.writeBlock, a block writer: store.ts here), so a crash can neither drop a hash nor
 * anchor it twice. Hashes anchored by wallets through DataAnchor directly never pass through here;
 * both kinds end up in the same per-batch tree.
 */
import { hexToBytes } from '@ethereumjs/util'
import { keccak256 } from '../chain/crypto.ts'
import { DATA_ANCHOR_ADDRESS } from '../system/log-index.ts'
import type { SystemCall, SystemSource } from '../system/system-tx.ts'

/** DataAnchor.MAX_HASHES: most hashes in one anchor(bytes32[]) call. */
export const MAX_HASHES_PER_CALL = 10_000
/** Gas of one anchor(bytes32[]) call: a fixed part plus, per hash, calldata (512) and a LOG3 (~1,900). */
export const ANCHOR_CALL_BASE_GAS = 60_000n
export const ANCHOR_GAS_PER_HASH = 2_600n

const ANCHOR_SELECTOR = keccak256(new TextEncoder().encode('anchor(bytes32[])')).subarray(0, 4)

/** What the queue needs from its store (declared here; AnchorStore in store.ts implements it). */
export interface AnchorQueueStore {
  anchorQueueAdd(hashes: Uint8Array[], receivedAt: number, keyId?: Uint8Array): number
  anchorQueueAddFirst(hash: Uint8Array, receivedAt: number): boolean
  anchorQueueNext(limit: number): Uint8Array[]
  anchorQueueSize(): number
}

export interface AnchorQueueOptions {
  /** Most hashes anchored per L2 block (the rest wait for the next block). */
  maxPerBlock: number
  /** Most hashes waiting at once; past it submissions are refused until blocks drain the queue. */
  maxQueued: number
}

export class AnchorQueueFullError extends Error {
  override readonly name = 'AnchorQueueFullError'
}

/** This node takes no submissions (a replica: hashes are anchored by the sequencer). */
export class AnchorSubmissionsClosedError extends Error {
  override readonly name = 'AnchorSubmissionsClosedError'
}

export class AnchorQueue implements SystemSource {
  /** Queue length as of the last look; refreshed from sqlite when it may have changed. */
  private size: number

  readonly name = 'anchoring'

  constructor(
    private readonly store: AnchorQueueStore,
    private readonly opts: AnchorQueueOptions,
  ) {
    this.size = store.anchorQueueSize()
  }

  /** Nothing runs on its own: the HTTP routes fill the queue, the builder drains it. */
  start(): void {}

  stop(): void {}

  health(): { name: string; ok: boolean; detail: string } {
    return { name: this.name, ok: true, detail: `${this.size} hashes waiting (limit ${this.opts.maxQueued})` }
  }

  /**
   * Queues the hashes that are not already queued or anchored; durable when this returns. With
   * `keyId` (a digest of the submitting API key) the submission is recorded for that key too.
   */
  submit(hashes: Uint8Array[], keyId?: Uint8Array): { added: number; known: number } {
    if (this.size + hashes.length > this.opts.maxQueued) {
      this.size = this.store.anchorQueueSize()
      if (this.size + hashes.length > this.opts.maxQueued) {
        throw new AnchorQueueFullError(`anchoring queue is full (${this.size} hashes waiting, limit ${this.opts.maxQueued}); retry shortly`)
      }
    }
    const added = this.store.anchorQueueAdd(hashes, Date.now(), keyId)
    this.size += added
    return { added, known: hashes.length - added }
  }

  /**
   * Queues an aggregated-anchoring round's root ahead of the submitted hashes, whatever the
   * queue's limit (one hash per round); runs in the caller's sqlite transaction (rounds.ts).
   */
  submitFirst(hash: Uint8Array): void {
    if (this.store.anchorQueueAddFirst(hash, Date.now())) this.size++
  }

  hasPending(): boolean {
    return this.size > 0
  }

  /**
   * Called after each sealed block: the block's Anchored events took hashes out of the queue.
   * Returns how many (submissions since the last look are already counted in `size`).
   */
  refresh(): number {
    const before = this.size
    this.size = this.store.anchorQueueSize()
    return Math.max(0, before - this.size)
  }

  waiting(): number {
    return this.size
  }

  nextCalls(gasBudget: bigint): SystemCall[] {
    if (gasBudget < ANCHOR_CALL_BASE_GAS + ANCHOR_GAS_PER_HASH) return []
    const affordable = Number((gasBudget - ANCHOR_CALL_BASE_GAS) / ANCHOR_GAS_PER_HASH)
    const hashes = this.store.anchorQueueNext(Math.min(this.opts.maxPerBlock, affordable))
    const calls: SystemCall[] = []
    for (let i = 0; i < hashes.length; i += MAX_HASHES_PER_CALL) {
      const chunk = hashes.slice(i, i + MAX_HASHES_PER_CALL)
      const gasLimit = ANCHOR_CALL_BASE_GAS + ANCHOR_GAS_PER_HASH * BigInt(chunk.length)
      if (gasLimit > gasBudget) break
      gasBudget -= gasLimit
      calls.push({ to: DATA_ANCHOR_ADDRESS, data: encodeAnchorCall(chunk), value: 0n, gasLimit })
    }
    return calls
  }
}

/** Calldata of DataAnchor.anchor(bytes32[] hashes). */
export function encodeAnchorCall(hashes: Uint8Array[]): Uint8Array {
  const data = new Uint8Array(4 + 64 + 32 * hashes.length)
  data.set(ANCHOR_SELECTOR, 0)
  data[4 + 31] = 0x20 // offset of the array
  new DataView(data.buffer).setUint32(4 + 60, hashes.length) // length (fits in the low 4 bytes)
  hashes.forEach((h, i) => data.set(h, 4 + 64 + 32 * i))
  return data
}

/** Parses a 0x-prefixed 32-byte hex string; undefined when it is not one. */
export function parseHash(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) return undefined
  return hexToBytes(value as `0x${string}`)
}
