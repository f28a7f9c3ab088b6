/**
 * A call worker thread: executes eth_call, eth_estimateGas, eth_createAccessList and the
 * debug_trace* methods away from the sequencer's thread, one job at a time. It opens the node's
 * sqlite file read-only (archive trie nodes, blocks, transactions, models), builds a scratch
 * state at the job's block and runs it in its own VM with the same Common and precompiles. Its
 * model runtime is a scratch one (precompiles/runtime.ts): model bytes a call hands to the
 * analyzer stay in that runtime's small in-memory LRU; nothing a call does reaches disk. The pool (pool.ts) enforces the deadline by terminating this thread.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { bytesToHex } from '@ethereumjs/util'
import { customPrecompiles, ModelRuntime } from '../../precompiles/index.ts'
import { CallExecutor, ExecutionFailedError, ExecutionRevertedError } from '../builder/executor.ts'
import { installEvmSpeedups } from '../builder/evm-speedups.ts'
import { installStorageWriteFix } from '../builder/storage-write-fix.ts'
import { Chain } from '../chain/chain.ts'
import { createChainCommon } from '../chain/common.ts'
import { CallTracer, TraceTooLargeError } from '../rpc/tracers/call-tracer.ts'
import { SqliteTrieDB } from '../state/trie-db.ts'
import { Store } from '../store/store.ts'
import { fromWire, type CallJob, type JobMessage, type ReplyMessage, type WireError, type WorkerInit } from './protocol.ts'

class NotFoundError extends Error {}

async function main(): Promise<void> {
  const port = parentPort
  if (port === null) throw new Error('sequencer/calls/worker.ts runs as a worker thread (see pool.ts)')
  const init = workerData.init as WorkerInit
  await installEvmSpeedups()
  await installStorageWriteFix()
  const store = new Store(init.dbPath, { readonly: true })
  const common = createChainCommon(init.chainId)
  const trieDB = new SqliteTrieDB(store)
  // sealed models come from sqlite; a scratch runtime keeps what calls admit in a small LRU, never on disk
  const models = new ModelRuntime({ store, maxModelBytes: init.maxModelBytes, maxLoadedModels: init.maxLoadedModels, scratch: true })
  const precompiles = customPrecompiles(models)

  const execute = async (job: CallJob, executorFor: (gasCap: bigint) => CallExecutor): Promise<unknown> => {
    // a fresh view of the heads: the node has sealed blocks since the last job
    const chain = new Chain(store, common)
    const block = chain.byNumber(job.block)
    if (block === undefined) throw new NotFoundError('header not found')
    switch (job.kind) {
      case 'call':
        return bytesToHex((await executorFor(init.gasCap).call(fromWire(job.req), block, job.overrides)).returnValue)
      case 'estimateGas':
        return executorFor(init.gasCap).estimateGas(fromWire(job.req), block, job.overrides)
      case 'createAccessList':
        return executorFor(init.gasCap).createAccessList(fromWire(job.req), block)
      case 'traceCall': {
        const tracer = new CallTracer(job.tracerConfig, { maxBytes: init.traceMaxBytes })
        try {
          await executorFor(init.traceGasCap).call(fromWire(job.req), block, job.overrides, tracer.hook)
        } catch (err) {
          // a call that ran and failed is still a trace (geth returns it with the frame's error);
          // one that could not start (intrinsic gas, bad fields) is an error
          const ran = tracer.done && (err instanceof ExecutionRevertedError || err instanceof ExecutionFailedError)
          if (!ran) throw err
        }
        return tracer.result()
      }
      case 'traceTransaction': {
        const tracer = new CallTracer(job.tracerConfig, { maxBytes: init.traceMaxBytes })
        await executorFor(init.gasCap).replay(block, job.txIndex, tracer.hook)
        return tracer.result()
      }
    }
  }

  port.on('message', (msg: JobMessage) => {
    const runsBefore = models.plans.stats().runs
    const executors: CallExecutor[] = []
    const executorFor = (gasCap: bigint) => {
      const e = new CallExecutor({ common, chain: new Chain(store, common), store, trieDB, gasCap, precompiles })
      executors.push(e)
      return e
    }
    const reply = (body: { ok: true; value: unknown } | { ok: false; error: WireError }) => {
      const gas = executors.reduce((sum, e) => sum + e.gasExecuted, 0n)
      port.postMessage({ type: 'reply', id: msg.id, gas, inferenceRuns: models.plans.stats().runs - runsBefore, ...body } satisfies ReplyMessage)
    }
    execute(msg.job, executorFor).then(
      (value) => reply({ ok: true, value }),
      (err: unknown) => reply({ ok: false, error: toWireError(err) }),
    )
  })
  port.postMessage({ type: 'ready' } satisfies ReplyMessage)
}

function toWireError(err: unknown): WireError {
  if (err instanceof ExecutionRevertedError) return { kind: 'reverted', message: err.message, data: err.data }
  if (err instanceof ExecutionFailedError) return { kind: 'failed', message: err.message }
  if (err instanceof TraceTooLargeError) return { kind: 'traceTooLarge', maxBytes: err.maxBytes }
  if (err instanceof NotFoundError) return { kind: 'notFound', message: err.message }
  return { kind: 'internal', message: (err as Error)?.stack ?? String(err) }
}

main().catch((err) => {
  // the pool sees the thread's 'error' event and fails the calls waiting for it
  throw err
})
