/**
 * The call workers: eth_call, eth_estimateGas, eth_createAccessList, debug_traceCall and
 * debug_traceTransaction execute on a pool of worker threads (worker.ts), never on the sequencer's
 * thread, so no read can stall block production. Data flows: RPC handler → `run` (batch gas check,
 * bounded queue) → an idle worker (started on demand, up to `workers`) → reply or deadline. A call
 * past its deadline has its worker terminated and replaced; the client gets geth's
 * "execution aborted (timeout = 5s)".
 */
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { PrefixedHexString } from '@ethereumjs/util'
import type { StoredBlock } from '../chain/chain.ts'
import { ExecutionFailedError, ExecutionRevertedError, type CallRequest, type StateOverrides } from '../builder/executor.ts'
import type { Logger } from '../log.ts'
import { TraceTooLargeError, type CallFrameJson, type CallTracerConfig } from '../rpc/tracers/call-tracer.ts'
import { BatchGasCapError, CallsBusyError, CallTimeoutError } from './errors.ts'
import { toWire, type CallJob, type ReplyMessage, type WireError, type WorkerInit } from './protocol.ts'

export interface CallWorkersOptions {
  init: WorkerInit
  /** Worker threads at most (started when first needed). */
  workers: number
  /** Deadline of one call, and the longest a call waits for a worker, in milliseconds. */
  timeoutMs: number
  /** Most calls waiting for a worker. */
  maxQueued: number
  /** Most gas the calls of one JSON-RPC batch execute together, in gas. */
  batchGasCap: bigint
  log: Logger
}

/** What the calls of one JSON-RPC batch have executed so far (the dispatcher makes one per batch). */
export interface BatchMeter {
  gasExecuted: bigint
}

export interface CallWorkersStats {
  workers: number
  busy: number
  queued: number
  /** Calls aborted at the deadline since start. */
  timeouts: number
  /** ONNX inferences the workers ran since start (calls that reached the inference precompile). */
  inferenceRuns: number
}

export interface AccessListResult {
  accessList: { address: string; storageKeys: string[] }[]
  gasUsed: bigint
  error?: string
}

interface Pending {
  id: number
  job: CallJob
  meter?: BatchMeter
  resolve(value: unknown): void
  reject(err: Error): void
  timer?: NodeJS.Timeout
}

interface Slot {
  worker: Worker
  ready: boolean
  busy?: Pending
}

const WORKER_BOOT = join(__dirname, 'worker-boot.cjs')
const WORKER_ENTRY = join(__dirname, 'worker.ts')

export class CallWorkers {
  private readonly slots = new Set<Slot>()
  private readonly queue: Pending[] = []
  private nextId = 1
  private timeouts = 0
  private inferenceRuns = 0
  private closed = false

  readonly name = 'calls'

  constructor(private readonly opts: CallWorkersOptions) {}

  /** Workers are spawned on demand, up to the configured number. */
  start(): void {}

  stop(): Promise<void> {
    return this.close()
  }

  health(): { name: string; ok: boolean; detail: string } {
    const s = this.stats()
    return { name: this.name, ok: !this.closed, detail: `${s.workers} workers, ${s.busy} busy, ${s.queued} queued, ${s.timeouts} timeouts` }
  }

  /** eth_call: the call's return data (hex). */
  call(req: CallRequest, block: StoredBlock, overrides?: StateOverrides, meter?: BatchMeter): Promise<PrefixedHexString> {
    return this.run({ kind: 'call', block: block.row.number, req: toWire(req), overrides }, meter) as Promise<PrefixedHexString>
  }

  /** eth_estimateGas: the smallest gas limit with which the call succeeds. */
  estimateGas(req: CallRequest, block: StoredBlock, overrides?: StateOverrides, meter?: BatchMeter): Promise<bigint> {
    return this.run({ kind: 'estimateGas', block: block.row.number, req: toWire(req), overrides }, meter) as Promise<bigint>
  }

  createAccessList(req: CallRequest, block: StoredBlock, meter?: BatchMeter): Promise<AccessListResult> {
    return this.run({ kind: 'createAccessList', block: block.row.number, req: toWire(req) }, meter) as Promise<AccessListResult>
  }

  /** debug_traceCall with the callTracer (gas capped at the trace gas cap). */
  traceCall(req: CallRequest, block: StoredBlock, overrides: StateOverrides | undefined, tracerConfig: CallTracerConfig, meter?: BatchMeter): Promise<CallFrameJson> {
    return this.run({ kind: 'traceCall', block: block.row.number, req: toWire(req), overrides, tracerConfig }, meter) as Promise<CallFrameJson>
  }

  /** debug_traceTransaction: re-executes the block up to the transaction, then traces it. */
  traceTransaction(block: StoredBlock, txIndex: number, tracerConfig: CallTracerConfig, meter?: BatchMeter): Promise<CallFrameJson> {
    return this.run({ kind: 'traceTransaction', block: block.row.number, txIndex, tracerConfig }, meter) as Promise<CallFrameJson>
  }

  stats(): CallWorkersStats {
    let busy = 0
    for (const s of this.slots) if (s.busy !== undefined) busy++
    return { workers: this.slots.size, busy, queued: this.queue.length, timeouts: this.timeouts, inferenceRuns: this.inferenceRuns }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) this.settle(p, new Error('the node is shutting down'))
    const slots = [...this.slots]
    this.slots.clear()
    for (const s of slots) if (s.busy !== undefined) this.settle(s.busy, new Error('the node is shutting down'))
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }

  private run(job: CallJob, meter?: BatchMeter): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the node is shutting down'))
    if (meter !== undefined && meter.gasExecuted >= this.opts.batchGasCap) return Promise.reject(new BatchGasCapError(meter.gasExecuted, this.opts.batchGasCap))
    const idle = [...this.slots].some((s) => s.ready && s.busy === undefined)
    const startable = this.slots.size < this.opts.workers
    if (!idle && !startable && this.queue.length >= this.opts.maxQueued) {
      return Promise.reject(new CallsBusyError(`all ${this.opts.workers} call workers busy and ${this.queue.length} calls queued`))
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { id: this.nextId++, job, meter, resolve, reject }
      const giveUp = () => {
        // a worker's start-up (a second or two of loading) is not the callers' fault: wait it out
        if (![...this.slots].some((s) => s.ready)) {
          pending.timer = setTimeout(giveUp, this.opts.timeoutMs)
          return
        }
        const i = this.queue.indexOf(pending)
        if (i >= 0) this.queue.splice(i, 1)
        this.settle(pending, new CallsBusyError(`no worker became free within ${this.opts.timeoutMs} ms`))
      }
      pending.timer = setTimeout(giveUp, this.opts.timeoutMs)
      this.queue.push(pending)
      this.pump()
    })
  }

  /** Hands queued calls to idle workers, starting workers up to the limit. */
  private pump(): void {
    if (this.closed) return
    for (const slot of this.slots) {
      if (this.queue.length === 0) return
      if (slot.ready && slot.busy === undefined) this.assign(slot, this.queue.shift() as Pending)
    }
    const starting = [...this.slots].filter((s) => !s.ready).length
    if (this.queue.length > starting && this.slots.size < this.opts.workers) this.spawn()
  }

  private assign(slot: Slot, pending: Pending): void {
    clearTimeout(pending.timer)
    slot.busy = pending
    pending.timer = setTimeout(() => {
      // the deadline: the thread may be deep in a loop, so it is ended rather than asked
      this.timeouts++
      if (pending.meter !== undefined) pending.meter.gasExecuted += this.opts.batchGasCap
      this.settle(pending, new CallTimeoutError(this.opts.timeoutMs))
      this.retire(slot)
    }, this.opts.timeoutMs)
    slot.worker.postMessage({ id: pending.id, job: pending.job })
  }

  private spawn(): void {
    const worker = new Worker(WORKER_BOOT, { workerData: { entry: WORKER_ENTRY, init: this.opts.init } })
    const slot: Slot = { worker, ready: false }
    this.slots.add(slot)
    worker.on('message', (msg: ReplyMessage) => {
      if (msg.type === 'ready') {
        slot.ready = true
        this.pump()
        return
      }
      const pending = slot.busy
      if (pending === undefined || pending.id !== msg.id) return
      slot.busy = undefined
      if (pending.meter !== undefined) pending.meter.gasExecuted += msg.gas
      this.inferenceRuns += msg.inferenceRuns
      if (msg.ok) this.settle(pending, undefined, msg.value)
      else this.settle(pending, this.fromWire(msg.error))
      this.pump()
    })
    worker.on('error', (err) => {
      this.opts.log.error(`call worker failed: ${err.stack ?? err.message}`)
      const wasReady = slot.ready
      if (slot.busy !== undefined) this.settle(slot.busy, new Error(`call worker failed: ${err.message}`))
      this.retire(slot)
      // a worker that cannot even start fails the queue rather than respawning in a loop
      if (!wasReady) for (const p of this.queue.splice(0)) this.settle(p, new Error(`call worker failed to start: ${err.message}`))
    })
    worker.on('exit', () => {
      if (!this.slots.has(slot)) return
      if (slot.busy !== undefined) this.settle(slot.busy, new Error('call worker exited'))
      this.retire(slot)
    })
  }

  /** Removes a worker (terminated at the deadline, or failed); the next call starts a new one. */
  private retire(slot: Slot): void {
    if (!this.slots.delete(slot)) return
    slot.busy = undefined
    void slot.worker.terminate()
    this.pump()
  }

  private settle(pending: Pending, err: Error | undefined, value?: unknown): void {
    clearTimeout(pending.timer)
    const { resolve, reject } = pending
    pending.resolve = pending.reject = () => {} // settle once: a late reply after the deadline is dropped
    if (err !== undefined) reject(err)
    else resolve(value)
  }

  private fromWire(e: WireError): Error {
    switch (e.kind) {
      case 'reverted': {
        const err = new ExecutionRevertedError(e.data)
        err.message = e.message
        return err
      }
      case 'failed':
        return new ExecutionFailedError(e.message)
      case 'traceTooLarge':
        return new TraceTooLargeError(e.maxBytes)
      case 'notFound':
        return new ExecutionFailedError(e.message)
      case 'internal':
        return new Error(`call worker: ${e.message}`)
    }
  }
}
