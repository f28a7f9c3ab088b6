/**
 * A resource node's configuration: what `npm run worker` and the devnet give (WorkerInput), and
 * the whole of it with the defaults filled in (WorkerConfig, in worker.ts).
 */
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { MODEL_REGISTRY } from '@ai-rollup/sdk'
import { INFERENCE_COORDINATOR } from './abi.ts'
import { WORKER_DEFAULTS, type WorkerConfig } from './worker.ts'

export const DEFAULT_WORKER_DATA_DIR = 'data/worker'
export const DEFAULT_WORKER_L2_RPC = 'http://127.0.0.1:9545'
/** Price per request a node asks when none is given: 0.001 ETH. */
export const DEFAULT_WORKER_PRICE_WEI = 10n ** 15n

export type WorkerInput = Pick<WorkerConfig, 'privateKey'> & Partial<Omit<WorkerConfig, 'privateKey'>>

export function resolveWorkerConfig(input: WorkerInput): WorkerConfig {
  const dataDir = input.dataDir ?? DEFAULT_WORKER_DATA_DIR
  const config: WorkerConfig = {
    ...WORKER_DEFAULTS,
    l2RpcUrl: DEFAULT_WORKER_L2_RPC,
    coordinator: INFERENCE_COORDINATOR as Address,
    registry: MODEL_REGISTRY as Address,
    priceWei: DEFAULT_WORKER_PRICE_WEI,
    modelCacheDir: join(dataDir, 'models'),
    ...stripUndefined(input),
    privateKey: input.privateKey,
    dataDir,
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(config.privateKey)) throw new Error('the worker key must be 32 bytes of hex (0x…)')
  if (config.models !== undefined) {
    for (const id of config.models) if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new Error(`a model id is 32 bytes of hex (0x…), got ${id}`)
    config.models = config.models.map((id) => id.toLowerCase() as Hex)
  }
  for (const k of ['pollIntervalMs', 'logsBlockRange', 'modelRefreshMs', 'fetchTimeoutMs', 'maxQueuedRuns', 'maxInputBytes', 'withdrawIntervalMs', 'txTimeoutMs'] as const) {
    if (!Number.isInteger(config[k]) || config[k] <= 0) throw new Error(`${k} must be a positive integer, got ${config[k]}`)
  }
  return config
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
