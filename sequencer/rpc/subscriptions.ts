/**
 * eth_subscribe over WebSocket: newHeads, logs (with a filter), newPendingTransactions (hashes,
 * or full transactions with `true`). Each connection owns its subscriptions; they die with it.
 * The node feeds every connection through `SubscriptionHub.publish*`.
 */
import { randomBytes } from 'node:crypto'
import type { SealedBlock } from '../builder/builder.ts'
import { ErrorCode, InvalidParamsError, RpcError } from './errors.ts'
import { formatBlock, formatTx } from './format.ts'
import { logFilter, bool, type LogFilter } from './params.ts'
import type { FilterManager } from './filters.ts'
import type { PooledTx } from './context.ts'

type Subscription =
  | { kind: 'newHeads' }
  | { kind: 'logs'; filter: LogFilter }
  | { kind: 'newPendingTransactions'; full: boolean }

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
      default:
        throw new InvalidParamsError(`invalid argument 0: no "${kind}" subscription in eth namespace`)
    }
    if (this.subs.size >= this.hub.maxPerConnection) {
      throw new RpcError(ErrorCode.limitExceeded, `too many subscriptions on this connection (limit ${this.hub.maxPerConnection}); eth_unsubscribe unused ones`)
    }
    const id = `0x${randomBytes(16).toString('hex')}`
    this.subs.set(id, sub)
    return id
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

  constructor(
    private readonly filters: FilterManager,
    opts: { maxPerConnection: number },
  ) {
    this.maxPerConnection = opts.maxPerConnection
  }

  publishBlock(block: SealedBlock): void {
    if (this.connections.size === 0) return
    let head: unknown
    let formattedLogs: ReturnType<FilterManager['format']> | undefined
    for (const conn of this.connections) {
      for (const [id, sub] of conn.subs) {
        if (sub.kind === 'newHeads') {
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

  publishPendingTx(ptx: PooledTx): void {
    if (this.connections.size === 0) return
    for (const conn of this.connections) {
      for (const [id, sub] of conn.subs) {
        if (sub.kind === 'newPendingTransactions') conn.notify(id, sub.full ? formatTx(ptx.tx, ptx.hash, ptx.sender.bytes) : ptx.hashHex)
      }
    }
  }
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

