/**
 * The replica's end of the sealed-block feed (batcher/feed.ts): a WebSocket to the sequencer,
 * subscribed to `rollup_sealedBlocks` from the block after this node's head. Each block that
 * builds on the head is executed here and kept as `unsafe` when this node computes the hash the
 * sequencer announced; otherwise it is dropped again (rewound) and counted. Nothing it keeps is
 * final: derivation (batcher/derive.ts) compares every unsafe block with the L1 batch that covers
 * it and drops it if L1 says otherwise. A gap (the node's head moved back, or the connection
 * missed blocks) is closed by subscribing again from the head; a dropped connection is retried.
 */
import WebSocket from 'ws'
import { bytesToHex } from '@ethereumjs/util'
import { decodeSealedBlock, SEALED_BLOCKS_SUBSCRIPTION, type BatchBlock } from '../../batcher/index.ts'
import type { Logger } from '../log.ts'

/** The chain as the follower writes it (declared here; node.ts implements it). */
export interface UnsafeChain {
  headNumber(): number
  headHash(): Uint8Array
  importBlock(block: BatchBlock): Promise<{ hash: Uint8Array; stateRoot: Uint8Array }>
  rewindTo(number: number): Promise<void>
  /** Runs `fn` while nothing else writes the chain (derivation waits). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
}

export interface FeedFollowerConfig {
  /** ws:// URL of the sequencer's JSON-RPC port. */
  wsUrl: string
  /** Wait before reconnecting after the connection dropped, in milliseconds. */
  reconnectMs: number
}

export interface FeedStatus {
  connected: boolean
  url: string
  /** Feed blocks executed and kept as unsafe since start. */
  blocksImported: number
  /** Feed blocks whose announced hash or state root this node did not compute (dropped). */
  mismatches: number
  /** Last feed block number seen, null before the first. */
  lastBlock: number | null
}

export class SealedBlockFollower {
  readonly name = 'feed'
  private socket: WebSocket | undefined
  private stopped = false
  private connected = false
  private timer: NodeJS.Timeout | undefined
  private work: Promise<void> = Promise.resolve()
  private stats = { blocksImported: 0, mismatches: 0, lastBlock: null as number | null }

  constructor(
    private readonly config: FeedFollowerConfig,
    private readonly chain: UnsafeChain,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.socket?.terminate()
    await this.work
  }

  health(): { name: string; ok: boolean; detail: string } {
    return { name: this.name, ok: this.connected, detail: this.connected ? `following ${this.config.wsUrl}, ${this.stats.blocksImported} unsafe blocks` : `not connected to ${this.config.wsUrl}` }
  }

  status(): FeedStatus {
    return { connected: this.connected, url: this.config.wsUrl, ...this.stats }
  }

  private connect(): void {
    if (this.stopped) return
    const socket = new WebSocket(this.config.wsUrl)
    this.socket = socket
    socket.on('open', () => {
      this.connected = true
      const fromBlock = `0x${(this.chain.headNumber() + 1).toString(16)}`
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: [SEALED_BLOCKS_SUBSCRIPTION, { fromBlock }] }))
      this.log.info(`feed: following the sequencer's sealed blocks from ${Number(fromBlock)} (${this.config.wsUrl})`)
    })
    socket.on('message', (data: Buffer) => {
      let msg: { id?: unknown; error?: { message: string }; method?: string; params?: { result?: unknown } }
      try {
        msg = JSON.parse(data.toString('utf8'))
      } catch {
        return
      }
      if (msg.error !== undefined) {
        this.log.error(`feed: the sequencer refused the subscription: ${msg.error.message}`)
        return
      }
      if (msg.method !== 'eth_subscription') return
      // one at a time, in arrival order
      this.work = this.work.then(() => this.handle(socket, msg.params?.result))
    })
    socket.on('error', (err) => this.log.debug(`feed: ${err.message}`))
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.connected = false
      if (this.stopped) return
      this.log.debug(`feed: connection to ${this.config.wsUrl} closed; retrying in ${this.config.reconnectMs} ms`)
      this.timer = setTimeout(() => this.connect(), this.config.reconnectMs)
    })
  }

  /** A fresh subscription from the head (after a gap): the sequencer replays from its store. */
  private resubscribe(socket: WebSocket): void {
    if (this.socket !== socket || this.stopped) return
    this.socket = undefined
    this.connected = false
    socket.terminate()
    this.connect()
  }

  private async handle(socket: WebSocket, result: unknown): Promise<void> {
    if (this.stopped || this.socket !== socket) return
    let feed
    try {
      feed = decodeSealedBlock(result)
    } catch (err) {
      this.log.error(`feed: malformed sealed block: ${(err as Error).message}`)
      return
    }
    const { block } = feed
    this.stats.lastBlock = block.number
    await this.chain.exclusive(async () => {
      const head = this.chain.headNumber()
      if (block.number <= head) return // already here (derived from L1, or sent twice)
      if (block.number > head + 1) {
        this.log.debug(`feed: block ${block.number} after head ${head}: subscribing again from ${head + 1}`)
        this.resubscribe(socket)
        return
      }
      if (Buffer.compare(feed.parentHash, this.chain.headHash()) !== 0) {
        // the sequencer's chain and this node's differ at the head: the next L1 batch decides
        this.log.debug(`feed: block ${block.number} builds on ${bytesToHex(feed.parentHash)}, not on this node's head ${bytesToHex(this.chain.headHash())}; waiting for L1`)
        return
      }
      let imported
      try {
        imported = await this.chain.importBlock(block)
      } catch (err) {
        this.stats.mismatches++
        this.log.error(`feed: block ${block.number} does not execute here (${(err as Error).message}); waiting for L1`)
        return
      }
      if (Buffer.compare(imported.hash, feed.hash) !== 0 || Buffer.compare(imported.stateRoot, feed.stateRoot) !== 0) {
        this.stats.mismatches++
        this.log.error(`feed: block ${block.number} executes to ${bytesToHex(imported.hash)}, the sequencer announced ${bytesToHex(feed.hash)}; dropped, waiting for L1`)
        await this.chain.rewindTo(block.number - 1)
        return
      }
      this.stats.blocksImported++
    })
  }
}
