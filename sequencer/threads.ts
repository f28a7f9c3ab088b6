/**
 * Worker threads of the node. Stopping one that loads a native addon (the sender-recovery thread's
 * secp256k1, the aggregated-hash index's better-sqlite3): by asking it, never by terminate()
 * first. A thread terminated while it loads or runs a native addon can abort the whole process (an
 * uncaught C++ exception of node-addon-api). The thread answers the 'close' message by closing
 * its port once the messages before it are handled (sequencer/mempool/recovery-worker.cjs,
 * sequencer/anchoring/hash-index-worker.cjs, sequencer/store/address-index-worker.cjs).
 */
import { Worker, type Transferable } from 'node:worker_threads'

/** Asks `worker` to close and waits for it to exit; one that has not exited after `graceMs` (never seen) is terminated after all. */
export async function closeThread(worker: Worker, graceMs = 10_000): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.postMessage('close')
  const timer = setTimeout(() => void worker.terminate(), graceMs)
  await exited
  clearTimeout(timer)
}

/** A worker's answer to a request: its id, and an error message if it failed. */
export interface ThreadReply {
  id: number
  error?: string
}

/**
 * Requests to a writer thread (the aggregated-hash index's, the address index's), answered by id:
 * the thread starts on the first request and keeps no process alive while nothing is in flight;
 * a thread that fails or exits rejects what it had in flight, and the next request starts a new
 * one. `onUnanswered` gets the replies no request waits for (a failure of a `send`).
 */
export class ThreadClient<Reply extends ThreadReply> {
  private worker: Worker | undefined
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>()

  constructor(
    private readonly file: string,
    private readonly workerData: unknown,
    /** Names the thread in errors ("the pool journal"). */
    private readonly name: string,
    private readonly onUnanswered: (reply: Reply) => void = () => {},
  ) {}

  /** Posts `{ id, ...msg }`; resolves with the reply, rejects with the error it carries. */
  request(msg: object, transfer: Transferable[] = []): Promise<Reply> {
    const worker = this.worker ?? this.spawn()
    const id = this.nextId++
    worker.ref() // a request in flight keeps the process alive until it is answered
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      worker.postMessage({ id, ...msg }, transfer)
    })
  }

  /** Posts `{ id, ...msg }` and waits for nothing (a reply to it goes to `onUnanswered`). */
  send(msg: object, transfer: Transferable[] = []): void {
    ;(this.worker ?? this.spawn()).postMessage({ id: this.nextId++, ...msg }, transfer)
  }

  /** Stops the thread, if started, after what was posted before (closeThread). */
  async close(): Promise<void> {
    if (this.worker !== undefined) await closeThread(this.worker)
  }

  private spawn(): Worker {
    const worker = new Worker(this.file, { workerData: this.workerData })
    worker.unref() // an idle thread keeps no process alive
    worker.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id)
      if (waiter === undefined) return this.onUnanswered(reply)
      this.waiting.delete(reply.id)
      if (this.waiting.size === 0) worker.unref()
      if (reply.error !== undefined) waiter.reject(new Error(`${this.name}: ${reply.error}`))
      else waiter.resolve(reply)
    })
    const lost = (err: Error) => {
      if (this.worker === worker) this.worker = undefined
      for (const waiter of this.waiting.values()) waiter.reject(err)
      this.waiting.clear()
    }
    worker.on('error', (err) => lost(new Error(`${this.name} thread failed: ${err.message}`)))
    worker.on('exit', (code) => lost(new Error(`${this.name} thread exited (code ${code})`)))
    this.worker = worker
    return worker
  }
}
