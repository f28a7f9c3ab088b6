/**
 * eth_subscribe over WebSocket: newHeads, logs (with a filter), newPendingTransactions (hashes,
 * or full transactions with `true`), and on a sequencer rollup_sealedBlocks (every sealed block in
 * its batch encoding, from `fromBlock` on: the replicas' feed, batcher/feed.ts). Each connection
 * owns its subscriptions; they die with it. The node feeds every connection through
 * `SubscriptionHub.publish*`.
 */
import { randomBytes } from 'node:crypto'
import type { SealedBlock } from '../builder/builder.ts'
import { ErrorCode, InvalidParamsError, RpcError } from './errors.ts'
import { formatBlock, formatTx } from './format.ts'
import { logFilter, bool, type LogFilter } from './params.ts'
import type { FilterManager } from './filters.ts'
import type { PooledTx } from './context.ts'
import type { LogRow } from '../store/store.ts'

type Subscription =
  | { kind: 'newHeads' }
  | { kind: 'logs'; filter: LogFilter }
  | { kind: 'newPendingTransactions'; full: boolean }
  | { kind: 'rollup_sealedBlocks'; next: number }

/**
 * The sealed-block feed's source (declared here; node.ts gives it on a sequencer): the head, and
 * a block's feed message from the store (catching up) or from the block just sealed.
 */
export interface SealedBlockFeed {
  headNumber(): number
  stored(number: number): unknown
  sealed(block: SealedBlock): unknown
}

/** Stored blocks a catching-up feed subscription sends per turn of the event loop. */
export const FEED_CATCH_UP_CHUNK = 64

export type Send = (message: string) => void

export class ConnectionSubscriptions {
  readonly subs = new Map<string, Subscription>()

  constructor(
    private readonly hub: SubscriptionHub,
    readonly send: Send,
  ) {
    hub.connections.add(this)
  }

  subscribe(kind: string, params: unknown[]): string {
    let sub: Subscription
    switch (kind) {
      case 'newHeads':
        sub = { kind }
        break
      case 'logs':
        sub = { kind, filter: params[0] === undefined ? {} : logFilter(params[0], 'invalid argument 1') }
        break
      case 'newPendingTransactions':
        sub = { kind, full: params[0] === undefined ? false : bool(params[0], 'invalid argument 1') }
        break
      case 'rollup_sealedBlocks': {
        const feed = this.hub.sealedBlocks
        if (feed === undefined) throw new InvalidParamsError('invalid argument 0: rollup_sealedBlocks is served by the sequencer only (this node does not seal blocks)')
        const from = params[0] === undefined ? undefined : feedFrom(params[0])
        sub = { kind, next: Math.max(1, from ?? feed.headNumber() + 1) }
        break
      }
      default:
        throw new InvalidParamsError(`invalid argument 0: no "${kind}" subscription in eth namespace`)
    }
    if (this.subs.size >= this.hub.maxPerConnection) {
      throw new RpcError(ErrorCode.limitExceeded, `too many subscriptions on this connection (limit ${this.hub.maxPerConnection}); eth_unsubscribe unused ones`)
    }
    const id = `0x${randomBytes(16).toString('hex')}`
    this.subs.set(id, sub)
    // stored blocks after the answer with the id has gone out (its promise settles before this runs)
    if (sub.kind === 'rollup_sealedBlocks') setImmediate(() => this.catchUp(id))
    return id
  }

  /** Sends a feed subscription's stored blocks up to the head, a chunk per turn (live ones follow in publishBlock). */
  private catchUp(id: string): void {
    const sub = this.subs.get(id)
    const feed = this.hub.sealedBlocks
    if (sub?.kind !== 'rollup_sealedBlocks' || feed === undefined || !this.hub.connections.has(this)) return
    const head = feed.headNumber()
    for (let i = 0; i < FEED_CATCH_UP_CHUNK && sub.next <= head; i++) this.notify(id, feed.stored(sub.next++))
    if (sub.next <= head) setImmediate(() => this.catchUp(id))
  }

  unsubscribe(id: string): boolean {
    return this.subs.delete(id)
  }

  close(): void {
    this.hub.connections.delete(this)
  }

  notify(id: string, result: unknown): void {
    this.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, result } }))
  }
}

export class SubscriptionHub {
  readonly connections = new Set<ConnectionSubscriptions>()
  /** Most subscriptions per connection. */
  readonly maxPerConnection: number
  /** Present on a node that seals blocks. */
  readonly sealedBlocks: SealedBlockFeed | undefined

  constructor(
    private readonly filters: FilterManager,
    opts: { maxPerConnection: number; sealedBlocks?: SealedBlockFeed },
  ) {
    this.maxPerConnection = opts.maxPerConnection
    this.sealedBlocks = opts.sealedBlocks
  }

  publishBlock(block: SealedBlock): void {
    if (this.connections.size === 0) return
    let head: unknown
    let feedMessage: unknown
    let formattedLogs: ReturnType<FilterManager['format']> | undefined
    for (const conn of this.connections) {
      for (const [id, sub] of conn.subs) {
        if (sub.kind === 'rollup_sealedBlocks') {
          // a subscription still catching up gets this block from the store, in order
          if (sub.next !== block.row.number || this.sealedBlocks === undefined) continue
          feedMessage ??= this.sealedBlocks.sealed(block)
          conn.notify(id, feedMessage)
          sub.next++
        } else if (sub.kind === 'newHeads') {
          head ??= headOnly(block)
          conn.notify(id, head)
        } else if (sub.kind === 'logs') {
          formattedLogs ??= this.filters.format(block.logs)
          block.logs.forEach((l, i) => {
            if (matches(sub.filter, l.address, l.topics)) conn.notify(id, formattedLogs![i])
          })
        }
      }
    }
  }

  /**
   * A rewind took blocks away (a replica whose unsafe blocks L1 contradicted): their logs go to the
   * log subscribers again with `removed: true`, in chain order, before the logs of the blocks that
   * replace them.
   */
  publishRemovedLogs(logs: LogRow[], formatted: ReturnType<FilterManager['format']>): void {
    if (this.connections.size === 0 || logs.length === 0) return
    for (const conn of this.connections) {
      for (const [id, sub] of conn.subs) {
        if (sub.kind !== 'logs') continue
        for (let i = 0; i < logs.length; i++) {
          if (matches(sub.filter, logs[i].address, logs[i].topics)) conn.notify(id, { ...formatted[i], removed: true })
        }
      }
    }
  }

  publishPendingTx(ptx: PooledTx): void {
    if (this.connections.size === 0) return
    for (const conn of this.connections) {
      for (const [id, sub] of conn.subs) {
        if (sub.kind === 'newPendingTransactions') conn.notify(id, sub.full ? formatTx(ptx.tx, ptx.hash, ptx.sender.bytes) : ptx.hashHex)
      }
    }
  }
}

/** `{ fromBlock }` of a rollup_sealedBlocks subscription. */
function feedFrom(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidParamsError('invalid argument 1: expected { fromBlock }')
  const { fromBlock, ...rest } = raw as { fromBlock?: unknown }
  if (Object.keys(rest).length > 0) throw new InvalidParamsError(`invalid argument 1: unknown field ${Object.keys(rest)[0]}`)
  if (fromBlock === undefined) return undefined
  if (typeof fromBlock !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]*)$/i.test(fromBlock)) throw new InvalidParamsError('invalid argument 1: fromBlock must be a hex quantity')
  return Number(BigInt(fromBlock))
}

function headOnly(block: SealedBlock) {
  const { transactions: _t, uncles: _u, withdrawals: _w, size: _s, ...header } = formatBlock(block.header, block.row.hash, block.row.size, [])
  return header
}

function matches(filter: LogFilter, address: Uint8Array, topics: Uint8Array[]): boolean {
  if (filter.addresses !== undefined && filter.addresses.length > 0 && !filter.addresses.some((a) => Buffer.compare(a, address) === 0)) return false
  if (filter.topics === undefined) return true
  return filter.topics.every((alternatives, i) => {
    if (alternatives === null || alternatives.length === 0) return true
    const t = topics[i]
    return t !== undefined && alternatives.some((x) => Buffer.compare(x, t) === 0)
  })
}

