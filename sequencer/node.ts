/**
 * Wiring: opens the store and the services' tables in it, derives or checks genesis, builds the
 * state, pool, builder and the services, and starts them in named steps. Every service has one
 * shape (sequencer/service.ts: created from its config and narrow dependencies, start, stop,
 * health), so adding one is a constructor and a `services.start(…)` line. `startNode` returns a
 * handle whose `close()` stops everything in reverse order. Data flow: RPC → pool (journaled) →
 * driver → builder → store (one sqlite transaction per block, the services' block writers inside
 * it) → chain heads → filters and subscriptions.
 */
import { join } from 'node:path'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { BlockBuilder, blockSize, type BlockTx, type ExecutionSeam, type SealedBlock } from './builder/builder.ts'
import { createTxFromRLP } from '@ethereumjs/tx'
import { SequencerDriver } from './builder/driver.ts'
import { CallExecutor } from './builder/executor.ts'
import { CallWorkers } from './calls/pool.ts'
import { installEvmSpeedups } from './builder/evm-speedups.ts'
import { installStorageWriteFix } from './builder/storage-write-fix.ts'
import { Chain } from './chain/chain.ts'
import { createChainCommon } from './chain/common.ts'
import { CLIENT_NAME } from './chain/constants.ts'
import { keccakReady } from './chain/crypto.ts'
import { devAccounts } from './chain/dev-accounts.ts'
import { applyGenesis, readGenesis } from './chain/genesis.ts'
import { resolveConfig, type NodeConfig, type NodeConfigInput } from './config.ts'
import { createLogger, type Logger } from './log.ts'
import type { DestinationStream } from 'pino'
import { TxPool, type AccountReader, type PoolTx } from './mempool/pool.ts'
import { PoolJournal } from './mempool/journal.ts'
import { TxValidator, type AccountView } from './mempool/validator.ts'
import { WorkerRecovery } from './mempool/recovery.ts'
import type { DevSigner, RpcContext } from './rpc/context.ts'
import { FilterManager } from './rpc/filters.ts'
import type { MethodTable } from './rpc/methods.ts'
import { ethMethods } from './rpc/namespaces/eth.ts'
import { netMethods } from './rpc/namespaces/net.ts'
import { rollupMethods } from './rpc/namespaces/rollup.ts'
import { txpoolMethods } from './rpc/namespaces/txpool.ts'
import { web3Methods } from './rpc/namespaces/web3.ts'
import { debugMethods } from './rpc/namespaces/debug.ts'
import { aiMethods, registryViews } from './rpc/namespaces/ai.ts'
import { createExplorer } from './rpc/explorer.ts'
import { customPrecompiles, DATASET_REGISTRY, INFERENCE_COORDINATOR, INFERENCE_PRECOMPILE, MODEL_ANALYZER_PRECOMPILE, MODEL_REGISTRY, ModelRuntime } from '../precompiles/index.ts'
import { buildRpcServer } from './rpc/server.ts'
import { registerHealthRoutes } from './rpc/health.ts'
import { NodeMetrics, registerMetricsRoute } from './metrics.ts'
import { RpcService } from './rpc/service.ts'
import { Services, type ServiceHealth } from './service.ts'
import { SubscriptionHub } from './rpc/subscriptions.ts'
import { openScratchState, openState } from './state/state.ts'
import { OverlayTrieDB, SqliteTrieDB } from './state/trie-db.ts'
import { Store } from './store/store.ts'
import { AddressIndex } from './store/address-index.ts'
import type { Common } from '@ethereumjs/common'
import { AnchorQueue } from './anchoring/queue.ts'
import { AnchorStore } from './anchoring/store.ts'
import { registerAnchorRoutes } from './anchoring/http.ts'
import { AnchorSubmissionsClosedError } from './anchoring/queue.ts'
import { method } from './rpc/methods.ts'
import { AnchorEvents } from './anchoring/events.ts'
import { AnchorAggregator, RoundStore } from './anchoring/rounds.ts'
import { TreeBuilder } from './anchoring/tree-builder.ts'
import { anchorAnswer, type AnchorAnswer } from './anchoring/receipts.ts'
import { anchorMethods } from './rpc/namespaces/anchor.ts'
import { Batcher, BatchProofs, CommitteeReader, Derivation, encodeSealedBlock, readDeployments, SqliteBatchLedger, type BatchBlock, type BatchCommittee, type BlockSource, type CrashContext, type CrashPoint, type HeadSink, type L1Deployments, type ProofIndex } from '../batcher/index.ts'
import type { SealedBlockFeed } from './rpc/subscriptions.ts'
import { SealedBlockFollower } from './replica/feed-follower.ts'
import { TxForwarder, wsUrlOf } from './replica/forward.ts'
import { replicaMethods } from './rpc/namespaces/replica.ts'
import { SYSTEM_ADDRESS } from './system/system-tx.ts'
import { checkSystemTransactions } from './system/rules.ts'
import { indexProtocolLogs } from './system/log-index.ts'
import { DATA_ANCHOR_ADDRESS, L2_BRIDGE_ADDRESS } from './system/log-index.ts'
import { BridgeStore, DepositWatcher, WithdrawalProofs, describeDeposit } from '../bridge/index.ts'
import { bridgeMethods } from './rpc/namespaces/bridge.ts'
import { validatorMethods } from './rpc/namespaces/validator.ts'
import { Validator, ValidatorStore } from '../validator/index.ts'

export interface RunningNode {
  config: NodeConfig
  /** The node's logger (its commands log their own lines through it: one stream, one format). */
  log: Logger
  /** http://host:port */
  url: string
  /** ws://host:port */
  wsUrl: string
  chainId: bigint
  chain: Chain
  pool: TxPool
  /** Model bytes, analyses and compiled plans of block production (plan stats show what ran). */
  models: ModelRuntime
  /** The scratch runtime of eth_call and eth_estimateGas: it never writes model bytes. */
  callModels: ModelRuntime
  /** The worker threads executing eth_call & co. (stats: workers, timeouts, inference runs). */
  calls: CallWorkers
  /** Hashes accepted over HTTP, waiting for a block. */
  anchors: AnchorQueue
  /** Hashes accepted in aggregate mode: rounds, their trees and roots (anchored through `anchors`). */
  aggregator: AnchorAggregator
  /** Status and proofs of anchored hashes and withdrawals against posted batches. */
  proofs: BatchProofs
  /** Present when the node posts to an L1. */
  batcher?: Batcher
  /** The L1 contracts the batcher posts to. */
  l1?: L1Deployments
  /** Present when the node watches an L1Bridge for deposits. */
  deposits?: DepositWatcher
  /** Present on a replica: the L1 derivation service. */
  derivation?: Derivation
  /** Present on a validator: attestations and disputes on ValidatorSet. */
  validator?: Validator
  /** Present on a replica with a sequencer URL: the sealed-block feed it follows. */
  feed?: SealedBlockFollower
  /** Withdrawal status and proofs (bridge_getWithdrawalProof). */
  withdrawals: WithdrawalProofs
  /** Each running service's health, in start order (sequencer/service.ts). */
  health(): ServiceHealth[]
  /**
   * Re-executes one block from batch data on top of the head (a node rebuilding the chain from
   * L1; see batcher/derive.ts). Every transaction must execute; the block is sealed like any other.
   * Only for a node that does not sequence (empty pool, nothing anchored over HTTP).
   */
  importBlock(block: BatchBlock): Promise<ImportedBlock>
  /**
   * Takes the chain back to block `number` (durably: one sqlite transaction deletes the later
   * blocks and the services' rows of them), resets the state to its root and sends the removed
   * logs to log subscribers with `removed: true`. What a replica does when L1 contradicts it.
   */
  rewindTo(number: number): Promise<void>
  /** Seals a block now if anything is executable (tests; the driver does this on its own). */
  /** `openForMs`: keep the block open that long, taking in transactions as they arrive (the driver's early start under load). */
  mine(opts?: { openForMs?: number }): Promise<SealedBlock<PoolTx> | undefined>
  close(): Promise<void>
}

/** Test seams: never set in production. */
export interface NodeHooks {
  /** Given the block builder's VM and state-call latch once, to inject faults into execution. */
  execution?: (seam: ExecutionSeam) => void
  /** Called at each of the batcher's crash points; throwing BatcherCrash stops it there, as a crash would. */
  batcherCrashAt?: (point: CrashPoint, at: CrashContext) => void
  /** Where the node's log lines go instead of stdout and stderr (a test reads them), in `logFormat`. */
  logDestination?: DestinationStream
}

export async function startNode(input: NodeConfigInput = {}, hooks: NodeHooks = {}): Promise<RunningNode> {
  const config = resolveConfig(input)
  const log = createLogger(config.logLevel, config.validator !== undefined ? 'validator' : config.replica !== undefined ? 'replica' : 'node', { format: config.logFormat, destination: hooks.logDestination })
  const cleanup: (() => Promise<void> | void)[] = []
  const closeAll = async () => {
    for (const fn of cleanup.reverse()) await fn()
  }
  try {
    return await start(config, log, cleanup, closeAll, hooks)
  } catch (err) {
    await closeAll().catch(() => undefined)
    throw new Error(`node failed to start: ${(err as Error).message}`, { cause: err })
  }
}

async function start(config: NodeConfig, log: Logger, cleanup: (() => Promise<void> | void)[], closeAll: () => Promise<void>, hooks: NodeHooks): Promise<RunningNode> {
  await installEvmSpeedups()
  await keccakReady // blocks are hashed by WebAssembly from the first (chain/crypto.ts)
  await installStorageWriteFix()
  // every service is started through this, which hands its stop to the clean-up (reverse order)
  const services = new Services((stop) => cleanup.push(stop))
  // 1. store and genesis
  const store = new Store(join(config.dataDir, 'chain.sqlite'))
  cleanup.push(() => store.close())
  // the explorer's address index: its own file, written by its own thread from the chain file
  const addresses = new AddressIndex(join(config.dataDir, 'addresses.sqlite'), store.path, (err) => log.warn(`address index: ${err.message}`, { event: 'address_index_failed' }))
  cleanup.push(() => addresses.close())
  const checkpointer = store.checkpointOnThread((err) => log.warn(`WAL checkpoints are back on the main thread: ${err.message}`, { event: 'checkpoint_thread_failed' }))
  cleanup.push(() => checkpointer.close())
  // the services' own tables in the same file (each declares its schema and queries)
  const anchorStore = new AnchorStore(store)
  const roundStore = new RoundStore(store)
  cleanup.push(() => roundStore.close())
  const bridgeStore = new BridgeStore(store)
  // a batch recorded or forgotten changes the status of the hashes anchored in its blocks (notifications)
  const ledger = new SqliteBatchLedger(store, [{ batchesChanged: (first, last) => anchorStore.markBlocksChanged(first, last) }])
  const genesis = readGenesis(config.chain.genesisPath)
  const common = createChainCommon(BigInt(genesis.config.chainId))
  const trieDB = new SqliteTrieDB(store)
  await initGenesis(store, trieDB, common, genesis)
  const chain = new Chain(store, common)
  const head = chain.head()
  addresses.follow(head.row.number) // catches up with what the chain holds (a new file: its whole history)
  log.info(`chain ${common.chainId()} at block ${head.row.number} (${bytesToHex(head.row.hash)})`, { event: 'chain_opened', chainId: Number(common.chainId()), block: head.row.number, blockHash: bytesToHex(head.row.hash) })

  // 2. AI precompiles, state, execution and the pool
  // two runtimes: the block builder's, whose registered models are written with their block, and
  // a scratch one for calls and estimates, which never writes anything (precompiles/runtime.ts)
  const models = new ModelRuntime({ store, maxModelBytes: config.ai.maxModelBytes, maxLoadedModels: config.ai.maxLoadedModels })
  cleanup.push(() => models.close())
  const callModels = new ModelRuntime({ store, maxModelBytes: config.ai.maxModelBytes, maxLoadedModels: config.ai.maxLoadedModels, scratch: true })
  cleanup.push(() => callModels.close())
  const precompiles = customPrecompiles(models)
  const anchors = new AnchorQueue(anchorStore, config.anchoring)
  // aggregated anchoring: each round's root goes to the queue above, ahead of the single hashes
  const { roundMs, roundMaxHashes: maxPerRound, aggregateMaxPending: maxPending } = config.anchoring
  const trees = new TreeBuilder() // round trees are built on their own thread
  cleanup.push(() => trees.close())
  const aggregator = new AnchorAggregator(roundStore, anchors, { roundMs, maxPerRound, maxPending }, log, () => driver.poke(), (values) => trees.build(values))

  // the L1 deployment, read before the builder: the deposit watcher is one of its system sources
  let l1: L1Deployments | undefined
  const deploymentsPath = config.l1?.deploymentsPath ?? config.replica?.deploymentsPath
  if (deploymentsPath !== undefined) {
    l1 = readDeployments(deploymentsPath)
    if (BigInt(l1.l2ChainId) !== common.chainId()) {
      throw new Error(`${deploymentsPath} was deployed for L2 chain ${l1.l2ChainId}, this node runs chain ${common.chainId()}`)
    }
  }
  const replica = config.replica
  let deposits: DepositWatcher | undefined
  if (config.l1 !== undefined && l1?.l1Bridge !== undefined && config.bridge.enabled) {
    const { confirmations, pollIntervalMs, maxLogRange, maxDepositsPerBlock } = config.bridge
    deposits = new DepositWatcher(
      { l1RpcUrl: config.l1.rpcUrl, l1Bridge: l1.l1Bridge, l1ChainId: l1.l1ChainId, startBlock: l1.deployedAtBlock, confirmations, pollIntervalMs, maxLogRange, maxPerBlock: maxDepositsPerBlock, unreachableWarnAfterMs: config.l1.unreachableWarnAfterMs },
      bridgeStore,
      log,
      () => driver.poke(), // automine: include new deposits right away
    )
  }
  const state = openState({ common, db: trieDB, root: head.header.stateRoot, cached: true })
  const builder = await BlockBuilder.create({
    common,
    chain,
    store,
    trieDB,
    state,
    feeRecipient: new Address(hexToBytes(config.sequencer.feeRecipient)),
    gasLimit: BigInt(genesis.gasLimit),
    precompiles,
    models,
    maxBlockBytes: config.sequencer.maxBlockBytes,
    // a block that has executed for a block time seals (interval mining; automine builds per arrival)
    maxExecuteMs: config.sequencer.automine ? undefined : config.sequencer.blockTimeMs,
    // deposits first: funds a user already locked on L1 come before hashes anchored over HTTP
    systemSources: deposits === undefined ? [anchors] : [deposits, anchors],
    // the services' rows of each block's protocol events, in the block's sqlite transaction
    blockWriters: [anchorStore, bridgeStore],
  })
  models.onFault((err) => builder.reportFault(err))
  hooks.execution?.(builder.executionSeam)
  const executor = new CallExecutor({ common, chain, store, trieDB, gasCap: config.rpc.gasCap, precompiles: customPrecompiles(callModels) })
  // client calls and traces run on worker threads with their own read-only sqlite connection
  const calls = new CallWorkers({
    init: { dbPath: store.path, chainId: common.chainId(), gasCap: config.rpc.gasCap, traceGasCap: config.calls.traceGasCap, traceMaxBytes: config.calls.traceMaxBytes, maxModelBytes: config.ai.maxModelBytes, maxLoadedModels: config.ai.maxLoadedModels },
    workers: config.calls.workers,
    timeoutMs: config.calls.timeoutMs,
    maxQueued: config.calls.maxQueued,
    batchGasCap: config.calls.batchGasCap,
    log,
  })
  await services.start(calls)
  const accounts = new HeadAccounts(chain, common, trieDB)
  const recovery = config.pool.recoveryThread ? new WorkerRecovery() : undefined
  if (recovery !== undefined) cleanup.push(() => recovery.close())
  const validator = new TxValidator({
    common,
    blockGasLimit: () => chain.head().header.gasLimit,
    maxTxBytes: config.pool.maxTxBytes,
    minPriorityFee: config.pool.minPriorityFee,
    recovery,
  })
  const journal = new PoolJournal(join(config.dataDir, 'mempool.journal'))
  cleanup.push(() => journal.close())
  // older data dirs kept the journal in sqlite, in a file of its own or before that in the chain's:
  // their rows move over (idempotent), then go
  journal.importSqlite(join(config.dataDir, 'mempool.sqlite'))
  const legacy = store.legacyJournal()
  if (legacy.length > 0) journal.importRows(legacy)
  store.dropLegacyJournal()
  const pool = new TxPool({ validator, accounts, journal, ...config.pool })
  await replayJournal(journal, pool, log)

  // 3. filters, subscriptions, driver
  const filters = new FilterManager({
    chain,
    store,
    timeoutMs: config.rpc.filterTimeoutMs,
    maxLogs: config.rpc.logsMaxResults,
    maxFilters: config.rpc.maxFilters,
    maxPerClient: config.rpc.maxFiltersPerClient,
    bufferEntries: config.rpc.filterBufferEntries,
  })
  cleanup.push(() => filters.close())
  // a sequencer feeds its sealed blocks to replicas (batcher/feed.ts); a replica seals none of its own
  const sealedBlocks: SealedBlockFeed | undefined =
    replica !== undefined
      ? undefined
      : {
          headNumber: () => chain.headNumber,
          stored: (number) => {
            const b = blockSource(store, chain, anchorStore, bridgeStore).block(number)
            return encodeSealedBlock({ block: b, hash: b.hash, stateRoot: b.stateRoot, parentHash: chain.byNumber(number)!.header.parentHash })
          },
          sealed: (block) =>
            encodeSealedBlock({
              block: { number: block.row.number, timestamp: block.header.timestamp, coinbase: block.header.coinbase.bytes, txs: block.txRows.map((t) => t.raw) },
              hash: block.row.hash,
              stateRoot: block.header.stateRoot,
              parentHash: block.header.parentHash,
            }),
        }
  const hub = new SubscriptionHub(filters, { maxPerConnection: config.rpc.wsMaxSubscriptions, sealedBlocks })
  // the node's metrics (GET /metrics): counted here per block, the rest read at scrape time (created with the RPC below)
  let metrics: NodeMetrics | undefined
  const onSealed = (block: SealedBlock) => {
    if (metrics !== undefined) {
      let system = 0 // system transactions come first in a block
      while (system < block.txRows.length && bytesToHex(block.txRows[system].sender) === SYSTEM_ADDRESS) system++
      metrics.blockSealed(block.txRows.length - system, system, block.header.gasUsed)
    }
    accounts.clear()
    addresses.follow(block.row.number)
    const anchored = anchors.refresh()
    if (anchored > 0) log.info(`anchored ${anchored} ${anchored === 1 ? 'hash' : 'hashes'} in block ${block.row.number}; ${anchors.waiting()} waiting`, { event: 'anchors_included', block: block.row.number, hashes: anchored, queued: anchors.waiting() })
    deposits?.refresh(block.row.number)
    filters.onBlock(block.row.hash)
    hub.publishBlock(block)
  }
  const driver = new SequencerDriver<PoolTx>({
    builder,
    pool,
    chain,
    blockTimeMs: config.sequencer.blockTimeMs,
    automine: config.sequencer.automine,
    log,
    onSealed,
  })
  pool.onAdded((ptx) => {
    filters.onPendingTx(ptx.hashHex)
    hub.publishPendingTx(ptx)
    driver.poke()
  })

  const withPoke = <R>(result: R): R => {
    driver.poke() // automine: anchor right away
    return result
  }

  // 4. L1: the batcher, and proofs against what it posted
  let batcher: Batcher | undefined
  if (config.l1 !== undefined && l1 !== undefined) {
    const { rpcUrl, batcherKey, ...tuning } = config.l1
    batcher = new Batcher({ ...tuning, l1RpcUrl: rpcUrl, rollupAnchor: l1.rollupAnchor, privateKey: batcherKey }, blockSource(store, chain, anchorStore, bridgeStore), ledger, finalityMarkingHeads(store, chain, anchorStore), log, hooks.batcherCrashAt)
    // a dispute deleted this sequencer's batches: its chain is not the rollup's, stop making blocks
    batcher.onBatchesDeleted((reason) => driver.halt(reason))
  }
  const l1Info = l1 && { chainId: l1.l1ChainId, rollupAnchor: l1.rollupAnchor }
  const proofIndex: ProofIndex = {
    anchorQueuedAt: (hash) => anchorStore.anchorQueuedAt(hash),
    firstAnchor: (hash) => anchorStore.firstAnchor(hash),
    anchoredHashes: (first, last) => anchorStore.anchoredHashes(first, last),
    withdrawalHashes: (first, last) => bridgeStore.withdrawalHashes(first, last),
    batchCovering: (blockNumber) => ledger.batchCovering(blockNumber),
    getTxByPosition: (blockNumber, index) => store.getTxByPosition(blockNumber, index),
  }
  const proofs = new BatchProofs(proofIndex, () => chain.headOf('finalized'), () => l1Info)
  // what every anchoring answer says about a hash (GET, list, notifications, anchor_getProof), receipts included
  const answerSources = { onchain: (hash: Uint8Array) => proofs.anchor(hash), aggregated: (hash: Uint8Array) => aggregator.find(hash), l1Head: () => batcher?.l1HeadNumber() ?? derivation?.l1HeadNumber(), l2ChainId: Number(common.chainId()) }
  const anchorAnswers = (hash: Uint8Array): AnchorAnswer | undefined => anchorAnswer(answerSources, hash)
  const anchorEvents = new AnchorEvents({
    changes: anchorStore,
    lookup: anchorAnswers,
    apiKeys: config.anchoring.apiKeys,
    maxConnections: config.anchoring.eventsMaxConnections,
    maxConnectionsPerKey: config.anchoring.eventsMaxConnectionsPerKey,
    maxUnauthenticated: config.anchoring.eventsMaxUnauthenticated,
    authTimeoutMs: config.anchoring.eventsAuthTimeoutMs,
    stallTimeoutMs: config.anchoring.eventsStallTimeoutMs,
    log,
  })
  anchorStore.onChange(() => anchorEvents.wake())
  const withdrawals = new WithdrawalProofs(
    store,
    proofs,
    config.l1 !== undefined && l1?.l1Bridge !== undefined ? { rpcUrl: config.l1.rpcUrl, chainId: l1.l1ChainId, l1Bridge: l1.l1Bridge, rollupAnchor: l1.rollupAnchor } : undefined,
  )

  // 4b. a replica: the chain's writers (derivation from L1, the sequencer's feed), one at a time
  const importAndPublish = async (block: BatchBlock): Promise<ImportedBlock> => {
    const { imported, sealed } = await importBlock(builder, common, chain, block)
    onSealed(sealed)
    return imported
  }
  const rewindTo = async (number: number): Promise<void> => {
    if (number >= chain.headNumber) return
    let removed: ReturnType<Store['getLogsAfter']> = []
    let formatted: ReturnType<FilterManager['format']> = []
    let indexRewound: Promise<void> = Promise.resolve()
    await builder.rewind(() => {
      removed = store.getLogsAfter(number)
      formatted = filters.format(removed) // before the blocks go: the logs carry their block hashes
      store.rewindTo(number, () => {
        anchorStore.rewindTo(number)
        bridgeStore.rewindTo(number)
        ledger.forgetBlocksAfter(number)
      })
      chain.rewound(number)
      indexRewound = addresses.rewindTo(number) // posted now: before any block that replaces the rewound ones is followed
      return chain.head().header.stateRoot
    })
    accounts.clear()
    await indexRewound
    filters.onRewind(number)
    hub.publishRemovedLogs(removed, formatted)
    log.info(`chain rewound to block ${number} (${bytesToHex(chain.head().row.hash)}): ${removed.length} logs removed`, { event: 'chain_rewound', block: number, blockHash: bytesToHex(chain.head().row.hash), logsRemoved: removed.length })
  }
  let writing: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = writing.then(fn, fn)
    writing = run.catch(() => undefined)
    return run
  }
  let derivation: Derivation | undefined
  let feed: SealedBlockFollower | undefined
  let forwarder: TxForwarder | undefined
  if (replica !== undefined && l1 !== undefined) {
    const source = blockSource(store, chain, anchorStore, bridgeStore)
    derivation = new Derivation(
      { l1RpcUrl: replica.l1RpcUrl, l1BeaconUrl: replica.l1BeaconUrl, rollupAnchor: l1.rollupAnchor, confirmations: replica.confirmations, pollIntervalMs: replica.pollIntervalMs, unreachableWarnAfterMs: replica.unreachableWarnAfterMs },
      {
        headNumber: () => chain.headNumber,
        block: (number) => (number <= chain.headNumber ? source.block(number) : undefined),
        importBlock: importAndPublish,
        rewindTo,
        anchoredHashes: source.anchoredHashes,
        withdrawalHashes: source.withdrawalHashes,
        exclusive,
      },
      ledger,
      finalityMarkingHeads(store, chain, anchorStore),
      log,
    )
    if (replica.sequencerRpcUrl !== undefined) {
      forwarder = new TxForwarder({ sequencerRpcUrl: replica.sequencerRpcUrl, timeoutMs: replica.forwardTimeoutMs })
      feed = new SealedBlockFollower(
        { wsUrl: wsUrlOf(replica.sequencerRpcUrl), reconnectMs: replica.feedReconnectMs },
        { headNumber: () => chain.headNumber, headHash: () => chain.head().row.hash, importBlock: importAndPublish, rewindTo, exclusive },
        log,
      )
    }
  }

  // 4c. a validator: a replica that attests what it derived and disputes what it cannot reproduce
  let validatorService: Validator | undefined
  let validatorStore: ValidatorStore | undefined
  if (config.validator !== undefined && derivation !== undefined && l1 !== undefined) {
    if (l1.validatorSet === undefined) throw new Error(`${deploymentsPath} names no ValidatorSet: there is no committee to validate for`)
    validatorStore = new ValidatorStore(store)
    const { privateKey, stakeWei, attestConfirmations, pollIntervalMs, txTimeoutMs } = config.validator
    validatorService = new Validator(
      { l1RpcUrl: replica!.l1RpcUrl, l1ChainId: l1.l1ChainId, rollupAnchor: l1.rollupAnchor, validatorSet: l1.validatorSet, privateKey, stakeWei, attestConfirmations, pollIntervalMs, txTimeoutMs, unreachableWarnAfterMs: replica!.unreachableWarnAfterMs },
      derivation,
      ledger,
      validatorStore,
      log,
    )
  }

  // 5. RPC
  const ctx: RpcContext = {
    config,
    common,
    chain,
    store,
    pool,
    executor,
    calls,
    stateAt: (root) => openScratchState(common, trieDB, root),
    filters,
    models: callModels,
    devSigner: config.chain.dev ? createDevSigner() : undefined,
    clientVersion: `${CLIENT_NAME}/v${process.env.npm_package_version ?? '0.1.0'}/node-${process.version}`,
    log,
    rollupConfig: () => ({
      predeploys: { ModelRegistry: MODEL_REGISTRY, DataAnchor: DATA_ANCHOR_ADDRESS, L2Bridge: L2_BRIDGE_ADDRESS, InferenceCoordinator: INFERENCE_COORDINATOR, DatasetRegistry: DATASET_REGISTRY },
      precompiles: { inference: INFERENCE_PRECOMPILE, modelAnalyzer: MODEL_ANALYZER_PRECOMPILE },
      systemSender: SYSTEM_ADDRESS,
      ai: { maxModelBytes: config.ai.maxModelBytes },
      l1: l1 === undefined ? null : { chainId: l1.l1ChainId, rollupAnchor: l1.rollupAnchor, l1Bridge: l1.l1Bridge ?? null, batcher: batcher?.sender ?? null },
      role: replica === undefined ? 'sequencer' : 'replica',
    }),
  }
  const methods: MethodTable = {
    ...ethMethods(ctx),
    ...netMethods(ctx),
    ...web3Methods(ctx),
    ...txpoolMethods(ctx),
    ...debugMethods(ctx),
    ...rollupMethods(ctx, { batcher, batch: (i) => ledger.batch(i), committee: committeeOf(config, l1) }),
    ...aiMethods(ctx),
    ...anchorMethods({ lookup: anchorAnswers }),
    ...bridgeMethods({
      withdrawalProof: (hash) => withdrawals.forTransaction(hash),
      depositStatus: (nonce) => describeDeposit(bridgeStore, nonce, bridgeStore.deposit(nonce)),
      status: () => deposits?.status() ?? null,
    }),
    ...validatorMethods(
      validatorService && {
        status: () => validatorService!.status(),
        attestation: (index) => {
          const a = validatorStore!.attestation(index)
          return a && { batchIndex: a.batchIndex, batchKey: a.batchKey, commitment: a.commitment, signature: a.signature, signer: validatorService!.address, attestTx: a.attestTx }
        },
      },
    ),
    ...(replica === undefined
      ? { rollup_getReplicaStatus: method([], () => null) }
      : replicaMethods({
          forward: forwarder && ((raw) => forwarder.sendRawTransaction(raw)),
          status: () => ({
            derivation: derivation?.status() ?? null,
            feed: feed?.status() ?? null,
            sequencerRpc: replica.sequencerRpcUrl ?? null,
            heads: { unsafe: chain.headNumber, safe: chain.headOf('safe'), finalized: chain.headOf('finalized') },
          }),
        })),
  }
  const nodeMetrics = new NodeMetrics({
    heads: () => ({ unsafe: chain.headNumber, safe: chain.headOf('safe'), finalized: chain.headOf('finalized') }),
    pool: () => pool.stats(),
    journalRemoveFailures: () => journal.stats.removeFailures,
    anchorQueue: () => anchors.waiting(),
    aggregatePending: () => aggregator.waiting(),
    methods: Object.keys(methods),
    batcher,
    deposits,
  })
  metrics = nodeMetrics
  models.onInference(nodeMetrics.inference)
  // the block explorer's pages (README "Explorer"), unless turned off; GET / is its home page
  const registry = registryViews(ctx)
  const explorer = !config.explorer.enabled
    ? undefined
    : createExplorer({
        config: config.explorer,
        common,
        store,
        addresses,
        chain,
        role: replica === undefined ? 'sequencer' : 'replica',
        blockTimeMs: config.sequencer.blockTimeMs,
        l1: l1 === undefined ? undefined : { rollupAnchor: l1.rollupAnchor, chainId: l1.l1ChainId },
        compression: config.l1?.compression,
        batcherStatus: () => batcher?.status() ?? null,
        batch: (index) => ledger.batch(index),
        batchCovering: (number) => ledger.batchCovering(number)?.batchIndex,
        anchorKnown: (hash) => proofs.anchor(hash) !== undefined,
        modelKind: (id) => registry.modelKind(id),
        offchainModel: (id) => registry.readRegistry('getOffchainModel', [id]),
        log,
      })
  const rpc = new RpcService(await buildRpcServer({
    methods,
    hub,
    ...config.rpc,
    log,
    observe: nodeMetrics.rpcCall,
    routes: (app) => {
      registerAnchorRoutes(app, {
        queue: {
          submit: (hashes, keyId) => {
            if (replica !== undefined) throw new AnchorSubmissionsClosedError('this node is a replica: submit hashes to the sequencer (its GET routes answer here too)')
            return withPoke(anchors.submit(hashes, keyId))
          },
        },
        aggregator: {
          submit: (hashes) => {
            if (replica !== undefined) throw new AnchorSubmissionsClosedError('this node is a replica: submit hashes to the sequencer (its GET routes answer here too)')
            return aggregator.submit(hashes) // rounds are closed by the aggregator's timer, not per request
          },
        },
        lookup: anchorAnswers,
        submissions: (keyId, page) => anchorStore.anchorSubmissions(keyId, page),
        apiKeys: config.anchoring.apiKeys,
      })
      anchorEvents.register(app)
      app.addHook('preClose', async () => anchorEvents.close())
      registerHealthRoutes(app, () => services.health())
      registerMetricsRoute(app, nodeMetrics)
      explorer?.routes(app)
    },
    home: explorer?.home,
  }), config.rpc)

  // 6. services, in this order (stopped in reverse): RPC first, then what produces and posts blocks
  await services.start(rpc)
  await services.start(anchors)
  if (replica === undefined) await services.start(aggregator)
  if (replica === undefined) await services.start(driver)
  if (batcher !== undefined) await services.start(batcher)
  if (deposits !== undefined) await services.start(deposits)
  // a replica: the feed first (its unsafe blocks are there when derivation compares them with L1)
  if (feed !== undefined) await services.start(feed)
  if (derivation !== undefined) await services.start(derivation)
  if (validatorService !== undefined) await services.start(validatorService)
  const { url, wsUrl } = rpc
  log.info(`JSON-RPC on ${url} and ${wsUrl}`, { event: 'rpc_listening', url, wsUrl })
  log.info(`ModelRegistry ${MODEL_REGISTRY}, inference precompile ${INFERENCE_PRECOMPILE}, analyzer ${MODEL_ANALYZER_PRECOMPILE}`)
  if (config.chain.dev) log.info(`dev mode: eth_accounts and eth_sendTransaction use the test mnemonic's 20 accounts (#0 ${devAccounts()[0].address}), funded by the default genesis`)

  return {
    config,
    log,
    url,
    wsUrl,
    chainId: common.chainId(),
    chain,
    pool,
    models,
    callModels,
    calls,
    anchors,
    aggregator,
    proofs,
    batcher,
    l1,
    deposits,
    derivation,
    validator: validatorService,
    feed,
    withdrawals,
    health: () => services.health(),
    importBlock: (block) => exclusive(() => importAndPublish(block)),
    rewindTo: (number) => exclusive(() => rewindTo(number)),
    mine: (opts) => driver.buildOnce(opts?.openForMs === undefined ? undefined : performance.now() + opts.openForMs),
    close: closeAll,
  }
}

/** A re-executed block: its hash and state root, and the values of its protocol events (for the batch roots). */
export interface ImportedBlock {
  number: number
  hash: Uint8Array
  stateRoot: Uint8Array
  anchoredHashes: Uint8Array[]
  withdrawalHashes: Uint8Array[]
}

async function importBlock(builder: BlockBuilder, common: Common, chain: Chain, block: BatchBlock): Promise<{ imported: ImportedBlock; sealed: SealedBlock<BlockTx> }> {
  if (block.number !== chain.headNumber + 1) throw new Error(`cannot import block ${block.number} on top of head ${chain.headNumber}`)
  const parentTime = chain.head().header.timestamp
  if (block.timestamp <= parentTime) throw new Error(`block ${block.number} has timestamp ${block.timestamp}, not after its parent's ${parentTime}`)
  const txs: BlockTx[] = block.txs.map((raw, i) => {
    try {
      const tx = createTxFromRLP(raw, { common })
      const sender = tx.getSenderAddress()
      const hash = tx.hash()
      return { tx, raw, hash, hashHex: bytesToHex(hash), sender, senderHex: sender.toString(), nonce: tx.nonce }
    } catch (err) {
      throw new Error(`block ${block.number} transaction ${i} does not decode: ${(err as Error).message}`)
    }
  })
  try {
    checkSystemTransactions(txs)
  } catch (err) {
    throw new Error(`block ${block.number} breaks the system transaction rules: ${(err as Error).message}`)
  }
  let i = 0
  const list = { next: () => txs[i++], skipSender: () => {} }
  const { sealed, invalid } = await builder.build(list, block.timestamp, { coinbase: new Address(block.coinbase) })
  if (invalid.length > 0 || sealed === undefined || sealed.row.txCount !== txs.length) {
    throw new Error(`block ${block.number} does not re-execute: ${invalid.length} of ${txs.length} transactions are invalid on this state`)
  }
  const { anchors, withdrawals } = indexProtocolLogs(sealed.logs)
  const imported = {
    number: sealed.row.number,
    hash: sealed.row.hash,
    stateRoot: sealed.header.stateRoot,
    anchoredHashes: anchors.map((a) => a.hash),
    withdrawalHashes: withdrawals.map((w) => w.withdrawalHash),
  }
  return { imported, sealed }
}

/** The sealed chain as the batcher reads it: blocks from the chain's store, the trees' values from the services that index them. */
function blockSource(store: Store, chain: Chain, anchors: AnchorStore, bridge: BridgeStore): BlockSource {
  return {
    headNumber: () => chain.headNumber,
    block: (number) => {
      const block = chain.byNumber(number)
      if (block === undefined) throw new Error(`block ${number} is not in the store`)
      return {
        number,
        hash: block.row.hash,
        stateRoot: block.header.stateRoot,
        timestamp: block.header.timestamp,
        coinbase: block.header.coinbase.bytes,
        txs: store.getTxsInBlock(number).map((t) => t.raw),
      }
    },
    anchoredHashes: (first, last) => anchors.anchoredHashes(first, last),
    withdrawalHashes: (first, last) => bridge.withdrawalHashes(first, last),
    txCount: (first, last) => store.txCount(first, last),
    txBytesAfter: (number) => store.txBytesAfter(number),
  }
}

/**
 * The heads as the batcher moves them, with one addition: moving `finalized` marks the hashes
 * anchored in the blocks it passes (or gives back, after an L1 reorg) as changed, in the same
 * sqlite transaction as the head (anchoring notifications).
 */
function finalityMarkingHeads(store: Store, chain: Chain, anchors: AnchorStore): HeadSink {
  return {
    headOf: (name) => chain.headOf(name),
    setHead: (name, number) =>
      store.transaction(() => {
        const before = chain.headOf(name)
        if (name === 'finalized') anchors.markBlocksChanged(Math.min(before, number) + 1, Math.max(before, number))
        chain.setHead(name, number)
      }),
  }
}

/** Writes block 0 into an empty store, or checks that the store was made from this genesis. */
async function initGenesis(store: Store, trieDB: SqliteTrieDB, common: Common, genesis: ReturnType<typeof readGenesis>): Promise<void> {
  const existing = store.getBlockByNumber(0)
  const db = existing === undefined ? trieDB : new OverlayTrieDB(trieDB)
  const header = await applyGenesis(genesis, openState({ common, db }), common)
  const hash = header.hash()
  if (existing !== undefined) {
    if (Buffer.compare(existing.hash, hash) !== 0) {
      throw new Error(`data dir holds a chain with genesis ${bytesToHex(existing.hash)}, but the genesis file gives ${bytesToHex(hash)}`)
    }
    return
  }
  store.commitBlock({
    block: { number: 0, hash, header: header.serialize(), size: blockSize(header, []), txCount: 0 },
    txs: [],
    logs: [],
    trieNodes: trieDB.takePending(),
  })
}

/** Re-admits what the journal holds; whatever is no longer valid (mined, stale, expired) is forgotten. */
async function replayJournal(journal: PoolJournal, pool: TxPool, log: Logger): Promise<void> {
  const entries = journal.all()
  const { restored, dropped } = await pool.restore(entries)
  journal.journalRemove(dropped)
  if (entries.length > 0) log.info(`mempool journal: ${restored} transactions restored, ${dropped.length} dropped`, { event: 'journal_replayed', restored, dropped: dropped.length })
}

/** Sender nonce and balance at the head, cached until the head moves. */
class HeadAccounts implements AccountReader {
  private cache = new Map<string, AccountView>()
  private root: Uint8Array | undefined

  constructor(
    private readonly chain: Chain,
    private readonly common: Common,
    private readonly db: SqliteTrieDB,
  ) {}

  clear(): void {
    this.cache = new Map()
    this.root = undefined
  }

  async account(address: Address): Promise<AccountView> {
    const key = address.toString()
    const hit = this.cache.get(key)
    if (hit !== undefined) return hit
    const root = (this.root ??= this.chain.head().header.stateRoot)
    const account = await openState({ common: this.common, db: this.db, root }).getAccount(address)
    const view = { nonce: account?.nonce ?? 0n, balance: account?.balance ?? 0n }
    if (this.root === root) this.cache.set(key, view)
    return view
  }
}

function createDevSigner(): DevSigner {
  const keys = new Map(devAccounts().map((a) => [a.address.toLowerCase(), hexToBytes(a.privateKey)]))
  return {
    addresses: () => [...keys.keys()],
    sign: (from: string, tx: TypedTransaction) => {
      const key = keys.get(from.toLowerCase())
      return key === undefined ? undefined : tx.sign(key)
    },
  }
}

/** rollup_getBatch's reader of ValidatorSet, when the node has an L1 with one. */
function committeeOf(config: NodeConfig, l1: L1Deployments | undefined): ((index: number) => Promise<BatchCommittee>) | undefined {
  const rpcUrl = config.l1?.rpcUrl ?? config.replica?.l1RpcUrl
  if (rpcUrl === undefined || l1?.validatorSet === undefined) return undefined
  const reader = new CommitteeReader(rpcUrl, l1.validatorSet)
  return (index) => reader.batch(index)
}
