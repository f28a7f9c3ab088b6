/**
 * The resource node of off-chain inference (docs/OFFCHAIN_INFERENCE.md "Worker process"): a
 * process (`npm run worker`, sequencer/worker-main.ts) that stakes on the InferenceCoordinator,
 * serves the off-chain models of ModelRegistry it can run (fetched by URI, checked against their
 * hash, cached), and answers the requests assigned to it: run (formats/, the canonical evaluator,
 * on an inference thread) → output and salt kept in sqlite (store.ts) → commit → reveal →
 * finalize if nobody settles → withdraw its earnings. What other folders may use:
 */
export { coordinatorAbi, INFERENCE_COORDINATOR, registryAbi as offchainRegistryAbi } from './abi.ts'
export { inferenceCommitment, newSalt } from './commitment.ts'
export { DEFAULT_WORKER_DATA_DIR, DEFAULT_WORKER_L2_RPC, DEFAULT_WORKER_PRICE_WEI, resolveWorkerConfig, type WorkerInput } from './config.ts'
export { fetchModel, hashOf, ModelCache, ModelRefused, type OffchainModel } from './models.ts'
export { WorkerStore, type RequestState, type StoredRequest } from './store.ts'
export { InferenceWorker, WORKER_DEFAULTS, type Logger, type WorkerConfig, type WorkerStatus } from './worker.ts'

import { resolveWorkerConfig, type WorkerInput } from './config.ts'
import { InferenceWorker, type Logger } from './worker.ts'

/** Creates and starts a worker (the devnet runs several in its process); `stop()` ends it. */
export function startWorker(input: WorkerInput, log: Logger): InferenceWorker {
  const worker = new InferenceWorker(resolveWorkerConfig(input), log)
  worker.start()
  return worker
}
