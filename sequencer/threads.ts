/**
 * Stopping a worker thread that loads a native addon (the sender-recovery thread's secp256k1,
 * the aggregated-hash index's better-sqlite3): by asking it, never by terminate() first. A
 * thread terminated while it loads or runs a native addon can abort the whole process (an
 * uncaught C++ exception of node-addon-api). The thread answers the 'close' message by closing
 * its port once the messages before it are handled (sequencer/mempool/recovery-worker.cjs,
 * sequencer/anchoring/hash-index-worker.cjs).
 */
import type { Worker } from 'node:worker_threads'

/** Asks `worker` to close and waits for it to exit; one that has not exited after `graceMs` (never seen) is terminated after all. */
export async function closeThread(worker: Worker, graceMs = 10_000): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  worker.postMessage('close')
  const timer = setTimeout(() => void worker.terminate(), graceMs)
  await exited
  clearTimeout(timer)
}
