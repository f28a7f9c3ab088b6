/**
 * Polling filters (eth_newFilter / eth_newBlockFilter / eth_newPendingTransactionFilter and
 * eth_getFilterChanges) and the log query both they and eth_getLogs use. A filter not polled for
 * `timeoutMs` is removed, as in geth. Block and pending-transaction filters buffer what arrived
 * since the last poll (bounded); log filters keep a cursor and query the store on each poll.
 */
import { randomBytes } from 'node:crypto'
import type { Chain } from '../chain/chain.ts'
import type { Store, LogRow } from '../store/store.ts'
import { ErrorCode, RpcError } from './errors.ts'
import { formatLog, hex } from './format.ts'
import type { LogFilter } from './params.ts'

/** Most entries a block or pending-tx filter buffers between polls; older ones are dropped. */
const MAX_BUFFERED = 10_000

type Filter =
  | { kind: 'block'; lastPoll: number; buffer: string[] }
  | { kind: 'pendingTx'; lastPoll: number; buffer: string[] }
  | { kind: 'logs'; lastPoll: number; filter: LogFilter; cursor: number }

export interface FilterManagerOptions {
  chain: Chain
  store: Store
  timeoutMs: number
  maxLogs: number
}

export class FilterManager {
  private readonly filters = new Map<string, Filter>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly opts: FilterManagerOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(opts.timeoutMs, 60_000))
    this.sweeper.unref()
  }

  close(): void {
    clearInterval(this.sweeper)
  }

  /** Logs of blocks from..to matching the filter, formatted; too many is a clear error, not a truncation. */
  queryLogs(from: number, to: number, filter: LogFilter) {
    if (from > to) return []
    const rows = this.opts.store.getLogs({ fromBlock: from, toBlock: to, addresses: filter.addresses, topics: filter.topics, limit: this.opts.maxLogs + 1 })
    if (rows.length > this.opts.maxLogs) {
      throw new RpcError(ErrorCode.limitExceeded, `query returned more than ${this.opts.maxLogs} results; narrow the block range or the filter`)
    }
    return this.format(rows)
  }

  /** Formats rows, looking each block and transaction hash up once. */
  format(rows: LogRow[]) {
    const blocks = new Map<number, { hash: Uint8Array; timestamp: bigint; txHashes: Uint8Array[] }>()
    return rows.map((l) => {
      let b = blocks.get(l.blockNumber)
      if (b === undefined) {
        const block = this.opts.chain.byNumber(l.blockNumber)
        if (block === undefined) throw new Error(`log of unknown block ${l.blockNumber}`)
        b = { hash: block.row.hash, timestamp: block.header.timestamp, txHashes: this.opts.store.getTxsInBlock(l.blockNumber).map((t) => t.hash) }
        blocks.set(l.blockNumber, b)
      }
      return formatLog(l, b.txHashes[l.txIndex], b.hash, b.timestamp)
    })
  }

  /** A log filter's tags ('latest', 'safe', ...) are resolved at each poll, as geth does. */
  newLogFilter(filter: LogFilter): string {
    const head = this.opts.chain.headNumber
    const from = this.opts.chain.numberOf(filter.fromBlock ?? 'latest')
    return this.add({ kind: 'logs', lastPoll: Date.now(), filter, cursor: Math.max(head, from - 1) })
  }

  private rangeEnd(f: { filter: LogFilter }): number {
    return Math.min(this.opts.chain.numberOf(f.filter.toBlock ?? 'latest'), this.opts.chain.headNumber)
  }

  newBlockFilter(): string {
    return this.add({ kind: 'block', lastPoll: Date.now(), buffer: [] })
  }

  newPendingTxFilter(): string {
    return this.add({ kind: 'pendingTx', lastPoll: Date.now(), buffer: [] })
  }

  /** Called for each sealed block. */
  onBlock(hash: Uint8Array): void {
    const h = hex(hash)
    for (const f of this.filters.values()) if (f.kind === 'block') push(f.buffer, h)
  }

  /** Called for each transaction the pool accepted. */
  onPendingTx(hashHex: string): void {
    for (const f of this.filters.values()) if (f.kind === 'pendingTx') push(f.buffer, hashHex)
  }

  changes(id: string) {
    const f = this.get(id)
    f.lastPoll = Date.now()
    if (f.kind !== 'logs') return f.buffer.splice(0, f.buffer.length)
    const to = this.rangeEnd(f)
    const from = f.cursor + 1
    if (from > to) return []
    const logs = this.queryLogs(from, to, f.filter)
    f.cursor = to
    return logs
  }

  allLogs(id: string) {
    const f = this.get(id)
    if (f.kind !== 'logs') throw new RpcError(ErrorCode.invalidParams, 'filter is not a log filter')
    f.lastPoll = Date.now()
    return this.queryLogs(this.opts.chain.numberOf(f.filter.fromBlock ?? 'latest'), this.rangeEnd(f), f.filter)
  }

  uninstall(id: string): boolean {
    return this.filters.delete(id)
  }

  private get(id: string): Filter {
    const f = this.filters.get(id)
    if (f === undefined) throw new RpcError(ErrorCode.server, 'filter not found')
    return f
  }

  private add(f: Filter): string {
    const id = `0x${randomBytes(16).toString('hex').replace(/^0+/, '')}`
    this.filters.set(id, f)
    return id
  }

  private sweep(): void {
    const cutoff = Date.now() - this.opts.timeoutMs
    for (const [id, f] of this.filters) if (f.lastPoll < cutoff) this.filters.delete(id)
  }
}

function push(buffer: string[], value: string): void {
  if (buffer.length >= MAX_BUFFERED) buffer.shift()
  buffer.push(value)
}
