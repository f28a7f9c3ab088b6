/**
 * Builds the aggregation's round trees on a worker thread (tree-worker.ts), one at a time (the
 * aggregator closes one round at a time). Started on the first round; stopped with the node. A
 * worker that dies fails the round being built, which the aggregator retries on a fresh worker.
 */
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { FlatTree } from '../../batcher/index.ts'

const WORKER_BOOT = join(__dirname, '../calls/worker-boot.cjs')
const WORKER_ENTRY = join(__dirname, 'tree-worker.ts')

type Reply = { id: number; nodes: Uint8Array; error?: undefined } | { id: number; error: string }

export class TreeBuilder {
  private worker: Worker | undefined
  private nextId = 1
  private pending: { id: number; resolve: (tree: FlatTree) => void; reject: (err: Error) => void } | undefined

  /** The FlatTree of `values` (distinct 32-byte values, concatenated), built on the worker. */
  build(values: Uint8Array): Promise<FlatTree> {
    if (this.pending !== undefined) return Promise.reject(new Error('a round tree is already being built'))
    const worker = this.worker ?? this.spawn()
    const id = this.nextId++
    return new Promise<FlatTree>((resolve, reject) => {
      this.pending = { id, resolve, reject }
      worker.postMessage({ id, values })
    })
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    this.fail(new Error('the node is stopping'))
    await worker?.terminate()
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY } })
    worker.unref() // an idle tree thread keeps no process alive
    worker.on('message', (msg: Reply) => {
      const p = this.pending
      if (p === undefined || p.id !== msg.id) return
      this.pending = undefined
      if (msg.error !== undefined) p.reject(new Error(`building a round tree failed: ${msg.error}`))
      else p.resolve(new FlatTree(Buffer.from(msg.nodes.buffer, msg.nodes.byteOffset, msg.nodes.byteLength)))
    })
    const gone = (err: Error) => {
      if (this.worker === worker) this.worker = undefined
      this.fail(err)
    }
    worker.on('error', (err) => gone(new Error(`the round tree thread failed: ${err.message}`)))
    worker.on('exit', (code) => gone(new Error(`the round tree thread exited (code ${code})`)))
    this.worker = worker
    return worker
  }

  private fail(err: Error): void {
    const p = this.pending
    this.pending = undefined
    p?.reject(err)
  }
}
