/**
 * The chain as readers see it: sealed headers by number or hash, and the three heads in the
 * rollup's vocabulary. `unsafe` (= latest) is the last sealed block, `safe` the last one in a
 * batch with enough L1 confirmations, `finalized` the last one past its batch's challenge window
 * (the batcher moves both; without an L1 they stay at genesis). `unsafe` moves only after the
 * block's sqlite transaction committed; safe and finalized are persisted before they move.
 */
import { createBlockHeaderFromRLP, type BlockHeader } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import type { BlockRow, HeadName, Store } from '../store/store.ts'

/** How many decoded headers stay in memory (reads cluster near the head). */
const HEADER_CACHE_SIZE = 1024

/** Named blocks. 'pending' is the latest sealed block: the sequencer keeps no pending block. */
export type BlockTag = 'latest' | 'pending' | 'earliest' | 'safe' | 'finalized'

export interface StoredBlock {
  row: BlockRow
  header: BlockHeader
}

export class Chain {
  private readonly headers = new Map<number, StoredBlock>()
  private heads: Record<HeadName, number> = { unsafe: 0, safe: 0, finalized: 0 }

  constructor(
    private readonly store: Store,
    readonly common: Common,
  ) {
    for (const name of ['unsafe', 'safe', 'finalized'] as const) this.heads[name] = store.getHead(name) ?? 0
  }

  get headNumber(): number {
    return this.heads.unsafe
  }

  head(): StoredBlock {
    const head = this.byNumber(this.heads.unsafe)
    if (head === undefined) throw new Error(`head block ${this.heads.unsafe} is missing from the store`)
    return head
  }

  headOf(name: HeadName): number {
    return this.heads[name]
  }

  /** The block number a tag or number stands for now (a number is returned as is, even past the head). */
  numberOf(ref: BlockTag | number): number {
    switch (ref) {
      case 'latest':
      case 'pending':
        return this.heads.unsafe
      case 'earliest':
        return 0
      case 'safe':
      case 'finalized':
        return this.heads[ref]
      default:
        return ref
    }
  }

  /** Called by the sequencer once the block's sqlite transaction has committed. */
  advance(row: BlockRow, header: BlockHeader): void {
    this.remember({ row, header })
    this.heads.unsafe = row.number
  }

  /**
   * After `Store.rewindTo(number)` committed: the in-memory heads and header cache follow it
   * (headers of the removed blocks must not be served from the cache, nor the new blocks at the
   * same numbers be shadowed by them).
   */
  rewound(number: number): void {
    for (const n of [...this.headers.keys()]) if (n > number) this.headers.delete(n)
    this.heads.unsafe = number
    if (this.heads.safe > number) this.heads.safe = number
    if (this.heads.finalized > number) this.heads.finalized = number
  }

  /** Moves the safe or finalized head (the batcher's job); persisted before it takes effect. */
  setHead(name: Exclude<HeadName, 'unsafe'>, number: number): void {
    this.store.setHead(name, number)
    this.heads[name] = number
  }

  byNumber(number: number): StoredBlock | undefined {
    if (number > this.heads.unsafe || number < 0) return undefined
    const cached = this.headers.get(number)
    if (cached !== undefined) return cached
    const row = this.store.getBlockByNumber(number)
    return row === undefined ? undefined : this.remember({ row, header: this.decode(row.header) })
  }

  byHash(hash: Uint8Array): StoredBlock | undefined {
    const row = this.store.getBlockByHash(hash)
    if (row === undefined || row.number > this.heads.unsafe) return undefined
    return this.byNumber(row.number)
  }

  private decode(rlp: Uint8Array): BlockHeader {
    return createBlockHeaderFromRLP(rlp, { common: this.common, skipConsensusFormatValidation: true })
  }

  private remember(block: StoredBlock): StoredBlock {
    if (this.headers.size >= HEADER_CACHE_SIZE) {
      const oldest = this.headers.keys().next().value
      if (oldest !== undefined) this.headers.delete(oldest)
    }
    this.headers.set(block.row.number, block)
    return block
  }

  /** The view of the chain the EVM's BLOCKHASH opcode needs. */
  evmBlockchain(): EVMMockBlockchainInterface {
    const zero = new Uint8Array(32)
    const blockchain: EVMMockBlockchainInterface = {
      getBlock: async (n: number) => {
        const hash = this.byNumber(Number(n))?.row.hash ?? zero
        return { hash: () => hash }
      },
      putBlock: async () => {},
      shallowCopy: () => blockchain,
    }
    return blockchain
  }
}
