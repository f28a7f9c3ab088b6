/**
 * Sender recovery for admission, on a worker thread. Recovering a transaction's sender
 * (secp256k1 public-key recovery, ≈60 µs with the native addon) was the largest single cost of
 * `eth_sendRawTransaction` on the node's main thread, the thread that also executes blocks; on a
 * worker it runs on the other core while the main thread parses the next requests and builds
 * blocks (README "Measured figures": the admission rate it buys).
 *
 * Requests are batched, one batch at the worker at a time. A request to an idle worker goes at the
 * end of its turn of the event loop, with the rest of that turn's; what is asked while a batch is
 * out waits for its answer and goes in the next message. So under load the batches grow, not the
 * messages (twice the recoveries per message at 32 clients: README "Measured figures"); each
 * message costs both threads a wake-up. A request is 97 bytes (message hash, r‖s, recovery id),
 * an answer 64 bytes of public key or a failure flag. A worker that fails, or has not started yet,
 * never loses a request: what it had in flight is recovered on the main thread, as are requests that
 * arrive before it is ready, and a new worker is started.
 *
 * Recovery itself is the same native call either way (sequencer/chain/crypto.ts), so a sender
 * recovered here is the sender @ethereumjs would compute; the validator checks the signature's
 * form (low s, recovery id) before asking.
 */
import { Worker } from 'node:worker_threads'
import { join } from 'node:path'
import { recoverPublicKey } from '../chain/crypto.ts'
import { closeThread } from '../threads.ts'

/** Where a signature's public key is recovered. */
export interface SenderRecovery {
  /** The 64-byte public key (without the 0x04 prefix) that signed `msgHash` with `sig` (r‖s) and recovery id `recId`. */
  recover(msgHash: Uint8Array, sig: Uint8Array, recId: number): Promise<Uint8Array>
  close(): Promise<void>
}

/** Recovery on the calling thread (a one-core machine, tests, the journal replay). */
export const inlineRecovery: SenderRecovery = {
  recover: async (msgHash, sig, recId) => recoverPublicKey(msgHash, sig, recId),
  close: async () => {},
}

/** Bytes of one request: hash (32), r‖s (64), recovery id (1). */
export const REQUEST_BYTES = 97
/** Most recoveries in one message, so one big turn does not hold the worker for long. */
const MAX_BATCH = 512

const WORKER = join(__dirname, 'recovery-worker.cjs')

interface Waiter {
  msgHash: Uint8Array
  sig: Uint8Array
  recId: number
  resolve: (pub: Uint8Array) => void
  reject: (err: Error) => void
}

/** Replies from the worker: the public keys (64 bytes each) and, per request, 1 if recovery failed. */
export interface RecoveryReply {
  id: number
  keys: Uint8Array
  failed: Uint8Array
}

export class WorkerRecovery implements SenderRecovery {
  private worker: Worker | undefined
  private ready = false
  private closed = false
  private queue: Waiter[] = []
  private scheduled = false
  private nextId = 1
  private readonly inFlight = new Map<number, Waiter[]>()
  /** Batches sent to a worker, and recoveries done on this thread because none was ready (stats). */
  readonly stats = { batches: 0, onWorker: 0, inline: 0, restarts: 0 }

  recover(msgHash: Uint8Array, sig: Uint8Array, recId: number): Promise<Uint8Array> {
    // started on the first recovery: a node that is started and stopped without traffic (tests,
    // tools) never starts one, and never stops one in the middle of loading its native addon
    if (this.worker === undefined && !this.closed) this.spawn()
    if (this.closed || !this.ready) {
      this.stats.inline++
      return inlineRecovery.recover(msgHash, sig, recId)
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ msgHash, sig, recId, resolve, reject })
      // a batch out: this one goes with the next, when its answer comes back
      if (!this.scheduled && this.inFlight.size === 0) {
        this.scheduled = true
        // after this turn's I/O callbacks: every request parsed in this turn goes in one message
        setImmediate(() => this.flush())
      }
    })
  }

  /**
   * Stops the thread by asking it to close (sequencer/threads.ts: never terminate() first, it runs
   * the native secp256k1 addon). Whatever is queued or in flight is recovered here first.
   */
  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    this.worker = undefined
    this.flush()
    this.failOver()
    if (worker !== undefined) await closeThread(worker)
  }

  /** Sends the next batch, unless one is out; with no worker ready, recovers the queue here. */
  private flush(): void {
    this.scheduled = false
    if (this.worker === undefined || !this.ready) {
      this.runInline(this.queue.splice(0))
      return
    }
    if (this.inFlight.size === 0 && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH)
      const data = new Uint8Array(batch.length * REQUEST_BYTES)
      batch.forEach((w, i) => {
        const at = i * REQUEST_BYTES
        data.set(w.msgHash, at)
        data.set(w.sig, at + 32)
        data[at + 96] = w.recId
      })
      const id = this.nextId++
      this.worker.ref() // a reply is awaited: the process must wait for it
      this.inFlight.set(id, batch)
      this.stats.batches++
      this.stats.onWorker += batch.length
      this.worker.postMessage({ id, data }, [data.buffer])
    }
  }

  private spawn(): void {
    if (this.closed) return
    const worker = new Worker(WORKER)
    worker.unref() // an idle recovery thread never keeps a stopping process alive (ref'd while a batch is out)
    this.worker = worker
    this.ready = false
    worker.on('message', (msg: 'ready' | RecoveryReply) => {
      if (msg === 'ready') {
        this.ready = true
        return
      }
      const batch = this.inFlight.get(msg.id)
      if (batch === undefined) return
      this.inFlight.delete(msg.id)
      if (this.inFlight.size === 0) worker.unref()
      batch.forEach((w, i) => {
        if (msg.failed[i] === 1) w.reject(new Error('signature recovery failed'))
        else w.resolve(msg.keys.slice(i * 64, i * 64 + 64))
      })
      this.flush() // what waited for this answer
    })
    const lost = () => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.ready = false
      this.failOver()
      if (!this.closed) {
        this.stats.restarts++
        this.spawn()
      }
      this.flush() // what waited behind the lost batch (here: the new worker is not ready yet)
    }
    worker.on('error', lost)
    worker.on('exit', lost)
  }

  /** Whatever a lost worker had: recovered here, so no request waits forever. */
  private failOver(): void {
    const batches = [...this.inFlight.values()]
    this.inFlight.clear()
    for (const batch of batches) this.runInline(batch)
  }

  private runInline(batch: Waiter[]): void {
    for (const w of batch) {
      this.stats.inline++
      try {
        w.resolve(recoverPublicKey(w.msgHash, w.sig, w.recId))
      } catch (err) {
        w.reject(err as Error)
      }
    }
  }
}
