/**
 * Model runs, off the main thread and bounded: one inference thread (inference-thread.ts) runs
 * one job at a time; jobs wait in a queue of at most `maxQueued`; a job past its deadline has its
 * thread terminated (the next job starts a fresh one). The main thread keeps following the chain,
 * answering its WebSocket and sending transactions meanwhile.
 */
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'

export interface ThreadRequest {
  id: number
  modelId: string
  /** The model's bytes, the first time this thread runs it. */
  bytes?: Uint8Array
  inputFormat?: string
  outputFormat?: string
  input?: Uint8Array
  /** Only keep the bytes (no run, no reply). */
  preload?: boolean
}

export type ThreadReply =
  /** `rejected`: the formats refused the request (a FormatError, the same on every node); `output` is its rejection bytes. */
  | { id: number; ok: true; output: Uint8Array; ms: number; rejected?: Rejection }
  | { id: number; ok: false; error: string }

export interface Rejection {
  code: string
  message: string
}

export interface RunResult {
  /** The bytes to commit to and reveal. */
  output: Uint8Array
  ms: number
  rejected?: Rejection
}

export interface InferenceJob {
  modelId: string
  bytes: Uint8Array
  inputFormat: string
  outputFormat: string
  input: Uint8Array
  /** The run is abandoned (its thread terminated) after this, in milliseconds. */
  timeoutMs: number
}

/** The queue is full: the job was not taken. */
export class RunnerBusyError extends Error {
  override name = 'RunnerBusyError'
}

/** The model ran past the job's deadline; its thread was terminated. */
export class RunTimeoutError extends Error {
  override name = 'RunTimeoutError'
}

/** The run failed for a reason of this node's (the thread died, an unexpected error): no answer. */
export class RunFailedError extends Error {
  override name = 'RunFailedError'
}

interface Queued {
  job: InferenceJob
  resolve(r: RunResult): void
  reject(err: Error): void
}

const BOOT = join(__dirname, 'inference-boot.cjs')
const ENTRY = join(__dirname, 'inference-thread.ts')

export class InferenceRunner {
  private thread: Worker | undefined
  /** Models whose bytes the current thread holds. */
  private sent = new Set<string>()
  private readonly queue: Queued[] = []
  private busy: (Queued & { id: number; timer: NodeJS.Timeout }) | undefined
  private nextId = 1
  private closed = false
  runs = 0
  timeouts = 0

  constructor(private readonly opts: { maxQueued: number }) {}

  /** Runs a job when the thread is free; rejects at once with RunnerBusyError if the queue is full. */
  run(job: InferenceJob): Promise<RunResult> {
    if (this.closed) return Promise.reject(new Error('inference runner closed'))
    if (this.queue.length >= this.opts.maxQueued) return Promise.reject(new RunnerBusyError(`${this.queue.length} model runs are queued already`))
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject })
      this.pump()
    })
  }

  /** Starts the thread (if it is not running) and hands it the model's bytes, so a first request does not wait for either. */
  preload(modelId: string, bytes: Uint8Array): void {
    if (this.closed || this.sent.has(modelId)) return
    const thread = this.ensureThread()
    this.sent.add(modelId)
    thread.postMessage({ id: 0, modelId, bytes, preload: true } satisfies ThreadRequest)
  }

  get queued(): number {
    return this.queue.length + (this.busy === undefined ? 0 : 1)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const q of this.queue.splice(0)) q.reject(new Error('inference runner closed'))
    if (this.busy !== undefined) {
      clearTimeout(this.busy.timer)
      this.busy.reject(new Error('inference runner closed'))
      this.busy = undefined
    }
    const t = this.thread
    this.thread = undefined
    if (t !== undefined) await t.terminate()
  }

  private pump(): void {
    if (this.busy !== undefined || this.closed) return
    const next = this.queue.shift()
    if (next === undefined) return
    const thread = this.ensureThread()
    const id = this.nextId++
    const { job } = next
    const timer = setTimeout(() => {
      if (this.busy?.id !== id) return
      this.timeouts++
      this.busy = undefined
      this.dropThread()
      next.reject(new RunTimeoutError(`the model ran longer than ${job.timeoutMs} ms: abandoned`))
      this.pump()
    }, job.timeoutMs)
    this.busy = { ...next, id, timer }
    const msg: ThreadRequest = { id, modelId: job.modelId, inputFormat: job.inputFormat, outputFormat: job.outputFormat, input: job.input }
    if (!this.sent.has(job.modelId)) {
      msg.bytes = job.bytes
      this.sent.add(job.modelId)
    }
    thread.postMessage(msg)
  }

  private ensureThread(): Worker {
    if (this.thread !== undefined) return this.thread
    const thread = new Worker(BOOT, { workerData: { entry: ENTRY } })
    thread.unref()
    thread.on('message', (reply: ThreadReply) => {
      const b = this.busy
      if (b === undefined || b.id !== reply.id) return
      clearTimeout(b.timer)
      this.busy = undefined
      this.runs++
      if (reply.ok) b.resolve({ output: new Uint8Array(reply.output), ms: reply.ms, ...(reply.rejected !== undefined && { rejected: reply.rejected }) })
      else b.reject(new RunFailedError(reply.error))
      this.pump()
    })
    const fail = (err: Error) => {
      if (this.thread !== thread) return
      this.dropThread()
      const b = this.busy
      this.busy = undefined
      if (b !== undefined) {
        clearTimeout(b.timer)
        b.reject(new RunFailedError(`the inference thread died: ${err.message}`))
      }
      this.pump()
    }
    thread.on('error', fail)
    thread.on('exit', (code) => fail(new Error(`exit code ${code}`)))
    this.thread = thread
    this.sent = new Set()
    return thread
  }

  private dropThread(): void {
    const t = this.thread
    this.thread = undefined
    this.sent = new Set()
    if (t !== undefined) void t.terminate()
  }
}
