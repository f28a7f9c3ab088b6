/**
 * Polling filters (eth_newFilter / eth_newBlockFilter / eth_newPendingTransactionFilter and
 * eth_getFilterChanges) and the log query both they and eth_getLogs use. A filter not polled for
 * `timeoutMs` is removed, as in geth. New block hashes and pending transaction hashes go into one
 * shared ring buffer each; a filter holds only its position in it, so a new transaction costs the
 * same with one filter or 10,000 (a filter polled too rarely misses the oldest entries). Log
 * filters keep a block cursor and query the store on each poll. Filters are capped in total and
 * per client: a WebSocket connection, or over HTTP the remote address (the only identity HTTP
 * gives; clients behind one proxy or NAT share its cap).
 */
import { randomBytes } from 'node:crypto'
import type { Chain } from '../chain/chain.ts'
import type { Store, LogRow } from '../store/store.ts'
import { ErrorCode, RpcError } from './errors.ts'
import { formatLog, hex } from './format.ts'
import type { LogFilter } from './params.ts'

type Filter = { client: string; lastPoll: number } & (
  | { kind: 'block'; next: number }
  | { kind: 'pendingTx'; next: number }
  | { kind: 'logs'; filter: LogFilter; cursor: number }
)

export interface FilterManagerOptions {
  chain: Chain
  store: Store
  timeoutMs: number
  maxLogs: number
  /** Most filters in total, and per client. */
  maxFilters: number
  maxPerClient: number
  /** Entries each shared buffer keeps. */
  bufferEntries: number
}

/** Who installs a filter (for the per-client cap): 'ws:<n>' or the HTTP remote address. */
export type FilterClient = string

/** An append-only ring of hashes numbered from 0; readers keep the number of the next entry they want. */
class HashRing {
  private readonly ring: string[] = []
  /** Number of the next entry appended. */
  end = 0

  constructor(private readonly capacity: number) {}

  push(value: string): void {
    this.ring[this.end % this.capacity] = value
    this.end++
  }

  /** Entries from `from` to the end (those already overwritten are skipped). */
  since(from: number): string[] {
    const start = Math.max(from, this.end - this.capacity)
    const out: string[] = []
    for (let i = start; i < this.end; i++) out.push(this.ring[i % this.capacity])
    return out
  }
}

export class FilterManager {
  private readonly filters = new Map<string, Filter>()
  private readonly perClient = new Map<FilterClient, number>()
  private readonly blocks: HashRing
  private readonly pendingTxs: HashRing
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly opts: FilterManagerOptions) {
    this.blocks = new HashRing(opts.bufferEntries)
    this.pendingTxs = new HashRing(opts.bufferEntries)
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
  newLogFilter(filter: LogFilter, client: FilterClient = 'local'): string {
    const head = this.opts.chain.headNumber
    const from = this.opts.chain.numberOf(filter.fromBlock ?? 'latest')
    return this.add({ kind: 'logs', client, lastPoll: Date.now(), filter, cursor: Math.max(head, from - 1) })
  }

  private rangeEnd(f: { filter: LogFilter }): number {
    return Math.min(this.opts.chain.numberOf(f.filter.toBlock ?? 'latest'), this.opts.chain.headNumber)
  }

  newBlockFilter(client: FilterClient = 'local'): string {
    return this.add({ kind: 'block', client, lastPoll: Date.now(), next: this.blocks.end })
  }

  newPendingTxFilter(client: FilterClient = 'local'): string {
    return this.add({ kind: 'pendingTx', client, lastPoll: Date.now(), next: this.pendingTxs.end })
  }

  /** Called for each sealed block: O(1), whatever the number of filters. */
  onBlock(hash: Uint8Array): void {
    this.blocks.push(hex(hash))
  }

  /** Called for each transaction the pool accepted: O(1), whatever the number of filters. */
  onPendingTx(hashHex: string): void {
    this.pendingTxs.push(hashHex)
  }

  /**
   * The chain was rewound to block `number`: log filters that had read past it will read the new
   * blocks at those numbers (the removed logs themselves go to subscriptions, not to polling
   * filters: geth's filters send them, ours do not; README "Replicas").
   */
  onRewind(number: number): void {
    for (const f of this.filters.values()) if (f.kind === 'logs' && f.cursor > number) f.cursor = number
  }

  get count(): number {
    return this.filters.size
  }

  changes(id: string) {
    const f = this.get(id)
    f.lastPoll = Date.now()
    if (f.kind !== 'logs') {
      const ring = f.kind === 'block' ? this.blocks : this.pendingTxs
      const out = ring.since(f.next)
      f.next = ring.end
      return out
    }
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
    const f = this.filters.get(id)
    if (f === undefined) return false
    this.remove(id, f)
    return true
  }

  private remove(id: string, f: Filter): void {
    this.filters.delete(id)
    const n = (this.perClient.get(f.client) ?? 1) - 1
    if (n <= 0) this.perClient.delete(f.client)
    else this.perClient.set(f.client, n)
  }

  private get(id: string): Filter {
    const f = this.filters.get(id)
    if (f === undefined) throw new RpcError(ErrorCode.server, 'filter not found')
    return f
  }

  private add(f: Filter): string {
    const mine = this.perClient.get(f.client) ?? 0
    if (mine >= this.opts.maxPerClient) {
      throw new RpcError(ErrorCode.limitExceeded, `too many filters: this client has ${mine}, the limit is ${this.opts.maxPerClient}; uninstall unused ones (eth_uninstallFilter) or let them expire`)
    }
    if (this.filters.size >= this.opts.maxFilters) {
      this.sweep() // expired ones free room before anyone is refused
      if (this.filters.size >= this.opts.maxFilters) throw new RpcError(ErrorCode.limitExceeded, `too many filters: the node holds ${this.filters.size}, the limit is ${this.opts.maxFilters}`)
    }
    const id = `0x${randomBytes(16).toString('hex').replace(/^0+/, '')}`
    this.filters.set(id, f)
    this.perClient.set(f.client, mine + 1)
    return id
  }

  private sweep(): void {
    const cutoff = Date.now() - this.opts.timeoutMs
    for (const [id, f] of this.filters) if (f.lastPoll < cutoff) this.remove(id, f)
  }
}
