/**
 * A WebSocket subscription to one contract's logs (`eth_subscribe("logs", { address })`) that
 * comes back by itself: a closed or silent connection (no pong to a ping within `pingMs`) is
 * dropped and opened again after a backoff (doubling from `reconnectMs` to 10 × it). It is only
 * the fast path: every log it delivers is also read by the worker's eth_getLogs catch-up from its
 * persisted cursor, which is what guarantees that nothing is lost while it is down.
 */
import WebSocket from 'ws'
import type { Address, Hex } from 'viem'

/** A log as eth_subscribe delivers it (JSON-RPC form). */
export interface RpcLog {
  address: Address
  topics: Hex[]
  data: Hex
  blockNumber: Hex
  transactionHash: Hex
  logIndex: Hex
  removed?: boolean
}

export interface SubscriptionOptions {
  url: string
  address: Address
  reconnectMs: number
  pingMs: number
  onLog(log: RpcLog): void
  /** Called on each (re)subscription: the caller catches up on what it may have missed. */
  onSubscribed(): void
  onDown(reason: string): void
}

export class LogSubscription {
  private socket: WebSocket | undefined
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private pinger: NodeJS.Timeout | undefined
  private backoff: number
  subscribed = false
  reconnects = 0

  constructor(private readonly opts: SubscriptionOptions) {
    this.backoff = opts.reconnectMs
  }

  start(): void {
    this.connect()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    clearInterval(this.pinger)
    this.socket?.terminate()
    this.socket = undefined
  }

  private connect(): void {
    if (this.stopped) return
    const socket = new WebSocket(this.opts.url, { handshakeTimeout: 10_000 })
    this.socket = socket
    let alive = true
    socket.on('open', () => {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['logs', { address: this.opts.address }] }))
      clearInterval(this.pinger)
      this.pinger = setInterval(() => {
        if (!alive) {
          socket.terminate()
          return
        }
        alive = false
        socket.ping()
      }, this.opts.pingMs)
    })
    socket.on('pong', () => (alive = true))
    socket.on('message', (data: Buffer) => {
      alive = true
      let msg: { id?: unknown; result?: unknown; error?: { message: string }; method?: string; params?: { result?: RpcLog } }
      try {
        msg = JSON.parse(data.toString('utf8'))
      } catch {
        return
      }
      if (msg.id === 1) {
        if (msg.error !== undefined) {
          this.opts.onDown(`the node refused the logs subscription: ${msg.error.message}`)
          socket.terminate()
          return
        }
        this.subscribed = true
        this.backoff = this.opts.reconnectMs
        this.opts.onSubscribed()
        return
      }
      if (msg.method === 'eth_subscription' && msg.params?.result !== undefined) this.opts.onLog(msg.params.result)
    })
    socket.on('error', () => {}) // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return
      clearInterval(this.pinger)
      const was = this.subscribed
      this.subscribed = false
      this.socket = undefined
      if (this.stopped) return
      if (was) this.opts.onDown(`WebSocket ${this.opts.url} closed`)
      this.reconnects++
      this.timer = setTimeout(() => this.connect(), this.backoff)
      this.backoff = Math.min(this.backoff * 2, this.opts.reconnectMs * 10)
    })
  }
}
