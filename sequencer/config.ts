/**
 * The node's configuration: one typed object per service, defaults as named constants, units in
 * the comments, validated once at start-up (`resolveConfig`) so a bad value fails loudly before
 * anything opens.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_FEE_RECIPIENT } from './chain/constants.ts'
import { DEFAULT_GENESIS_PATH } from './chain/genesis.ts'
import { DEFAULT_MAX_MODEL_BYTES } from '../precompiles/index.ts'
import { defaultLogFormat, isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.ts'

export const DEFAULT_RPC_HOST = '127.0.0.1'
export const DEFAULT_RPC_PORT = 9545
export const DEFAULT_BLOCK_TIME_MS = 1000
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
export const DEFAULT_MAX_BATCH_SIZE = 1000
export const DEFAULT_LOGS_BLOCK_RANGE = 10_000
export const DEFAULT_LOGS_MAX_RESULTS = 10_000
export const DEFAULT_RPC_GAS_CAP = 50_000_000n
// ---- calls and traces (sequencer/calls/): limits on execution for readers, off the sequencer's thread ----
/** Worker threads executing eth_call & co.: one core is left to the sequencer. */
export const DEFAULT_CALL_WORKERS = Math.max(1, Math.min(8, availableParallelism() - 1))
/** geth's RPCEVMTimeout: a call still running after this long is aborted, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000
/** Calls waiting for a free worker; past it a call is refused ("too many concurrent requests"). */
export const DEFAULT_CALL_MAX_QUEUED = 32
/** Gas the calls of one JSON-RPC batch may execute together (one call may overshoot it), in gas. */
export const DEFAULT_BATCH_GAS_CAP = 2n * DEFAULT_RPC_GAS_CAP
/** Gas cap of debug_traceCall (traces cost far more memory per gas than calls), in gas. */
export const DEFAULT_TRACE_GAS_CAP = 10_000_000n
/** Largest debug_trace* result, in bytes of JSON (estimated while tracing). */
export const DEFAULT_TRACE_MAX_BYTES = 16 * 1024 * 1024
export const DEFAULT_POOL_GLOBAL_SLOTS = 65_536
export const DEFAULT_POOL_ACCOUNT_SLOTS = 16_384
export const DEFAULT_PRICE_BUMP_PERCENT = 10n
/**
 * Largest transaction (its encoding): geth's pool takes up to 128 KiB, and a transaction is
 * relayed and journaled whole.
 */
export const DEFAULT_MAX_TX_BYTES = 120_000
/**
 * Largest block, as the sum of its transactions' encodings: the per-block data limit. A block is
 * posted in one channel (batcher/channel.ts), which may take many frames, so the limit is not one
 * L1 transaction's size but what a channel can always carry within RollupAnchor's channel timeout:
 * 2,000,000 bytes, incompressible, is 17 calldata frames (17 L1 transactions) or 16 blobs (3 blob
 * transactions), against a timeout of 300 L1 blocks and a cap of 1,024 frames per channel
 * (README "Batch format"). The block gas limit is the other bound: 30M gas of calldata is at most
 * 1.9 MB of non-zero bytes.
 */
export const DEFAULT_MAX_BLOCK_BYTES = 2_000_000
export const DEFAULT_FILTER_TIMEOUT_MS = 5 * 60 * 1000
/** Pool bytes (network encodings of pending + queued): 32 MiB is ~280 full 120,000-byte blocks. */
export const DEFAULT_POOL_MAX_BYTES = 32 * 1024 * 1024
/** Queued (nonce-gapped) transactions: geth's limits (txpool.globalqueue, accountqueue, lifetime). */
export const DEFAULT_POOL_QUEUED_GLOBAL_SLOTS = 1_024
export const DEFAULT_POOL_QUEUED_ACCOUNT_SLOTS = 64
export const DEFAULT_POOL_QUEUED_LIFETIME_MS = 3 * 60 * 60 * 1000
/**
 * Smallest fee cap the pool accepts, in wei (0.001 gwei, the tip eth_maxPriorityFeePerGas suggests
 * at least, so every fee a wallet builds from our suggestions passes). Above zero, a transaction
 * always costs its sender something, so a key without funds cannot fill the pool.
 */
export const DEFAULT_POOL_MIN_FEE_CAP = 1_000_000n
/** A replacement raises the fee cap by priceBumpPercent and by at least this much, in wei. */
export const DEFAULT_POOL_MIN_REPLACEMENT_BUMP = 1_000_000n
/** Largest txpool_content / txpool_contentFrom answer: transactions, and bytes of their encodings. */
export const DEFAULT_TXPOOL_CONTENT_MAX_TXS = 4_096
export const DEFAULT_TXPOOL_CONTENT_MAX_BYTES = 4 * 1024 * 1024
/** Largest JSON-RPC answer (one call, or a whole batch), in bytes of JSON; past it -32003 "response too large". */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
/** Polling filters in total, and per client (a WebSocket connection, or an HTTP remote address). */
export const DEFAULT_MAX_FILTERS = 10_000
export const DEFAULT_MAX_FILTERS_PER_CLIENT = 1_000
/** Entries the shared block-hash and pending-tx buffers keep; a filter polled less often misses the oldest. */
export const DEFAULT_FILTER_BUFFER_ENTRIES = 10_000
/** eth_subscribe subscriptions per WebSocket connection. */
export const DEFAULT_WS_MAX_SUBSCRIPTIONS = 1_000
/** Requests a WebSocket connection may have in progress at once; more are answered -32005. */
export const DEFAULT_WS_MAX_INFLIGHT = 64
/** Unsent bytes a WebSocket connection may hold (it does not read); past it the node closes it (1008). */
export const DEFAULT_WS_MAX_BUFFERED_BYTES = 16 * 1024 * 1024
/** Open TCP connections (HTTP and WebSocket); more are closed on accept. */
export const DEFAULT_RPC_MAX_CONNECTIONS = 5_000
/** A request must arrive whole (headers and body) within this, in milliseconds (node answers 408). */
export const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 30_000
/** ...and its headers within this, in milliseconds. */
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 10_000
/** An idle keep-alive connection is closed after this, in milliseconds. */
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS = 10_000
export const DEFAULT_MAX_MODELS = 64
/** The anchoring API key a dev-mode node accepts when none is configured (never use it elsewhere). */
export const DEV_ANCHOR_API_KEY = 'dev-anchor-key'
/**
 * 3,000 hashes are 96 kB of calldata in the block's system transaction: with the block's other
 * transactions its batch stays under the 128 kB transaction size geth's pool accepts on L1.
 */
export const DEFAULT_ANCHORS_PER_BLOCK = 3_000
export const DEFAULT_ANCHOR_QUEUE_LIMIT = 1_000_000
/** Aggregated anchoring (sequencer/anchoring/rounds.ts): a round collects hashes this long (ms), then its root is anchored. */
export const DEFAULT_ANCHOR_ROUND_MS = 1_000
/** Most hashes in one round: its tree is 64 MB in sqlite and a few seconds of CPU to build. */
export const DEFAULT_ANCHOR_ROUND_MAX_HASHES = 1_000_000
/** Most hashes accepted in aggregate mode and in no round yet (past it: 503). */
export const DEFAULT_ANCHOR_AGGREGATE_MAX_PENDING = 10_000_000
/** Anchoring notification sockets (GET /v1/anchors/events) the node holds, authenticated or not. */
export const DEFAULT_ANCHOR_EVENTS_MAX_CONNECTIONS = 1_000
/** ... per API key. */
export const DEFAULT_ANCHOR_EVENTS_MAX_PER_KEY = 16
/** ... waiting for their first-message key (browsers), at once. */
export const DEFAULT_ANCHOR_EVENTS_MAX_UNAUTHENTICATED = 64
/** A socket without a key in its headers must send its auth message within this (ms). */
export const DEFAULT_ANCHOR_EVENTS_AUTH_TIMEOUT_MS = 5_000
/** A socket that leaves a page of messages unread this long is closed (ms). */
export const DEFAULT_ANCHOR_EVENTS_STALL_TIMEOUT_MS = 30_000
export const DEFAULT_L1_CONFIRMATIONS = 3
/** A channel closes at this many compressed bytes: six blobs, one blob transaction. */
export const DEFAULT_MAX_BATCH_BYTES = 6 * 126_976 - 6 * 24
/** A calldata frame (header included): one per L1 transaction, under geth's 128 KiB pool limit. */
export const DEFAULT_MAX_FRAME_BYTES = 120_000
export const DEFAULT_MAX_BLOBS_PER_TX = 6
export const DEFAULT_MAX_BATCH_AGE_MS = 60_000
export const DEFAULT_MAX_BATCH_BLOCKS = 1_000
export const DEFAULT_L1_POLL_MS = 1_000
export const DEFAULT_RESUBMIT_AFTER_MS = 60_000
/**
 * After this long without a successful L1 call (ms) the batcher and the deposit watcher log a
 * warning that the L1 is out of reach, repeated every minute while it lasts (batcher/l1-loop.ts);
 * their status reports the reachability all along.
 */
export const DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS = 60_000
export const DEFAULT_MAX_L1_FEE_PER_GAS = 500_000_000_000n
/** A replica's RPC port (the sequencer's is 9545). */
export const DEFAULT_REPLICA_RPC_PORT = 9546
/**
 * L1 blocks a batch's own L1 block needs (itself included) before a validator signs it: about
 * two epochs on Ethereum, when its blocks are finalized (an attestation of a batch an L1 reorg
 * later re-mines would be a second commitment for one index: equivocation).
 */
export const DEFAULT_ATTEST_CONFIRMATIONS = 64
/** A validator waits this long for one of its L1 transactions to be mined, in milliseconds. */
export const DEFAULT_VALIDATOR_TX_TIMEOUT_MS = 120_000
/** A validator's RPC port. */
export const DEFAULT_VALIDATOR_RPC_PORT = 9547
/** A validator's data directory (relative to the working directory). */
export const DEFAULT_VALIDATOR_DATA_DIR = 'data/validator'
/** A replica's data directory (relative to the working directory). */
export const DEFAULT_REPLICA_DATA_DIR = 'data/replica'
/** A replica whose sealed-block feed dropped reconnects after this long, in milliseconds. */
export const DEFAULT_FEED_RECONNECT_MS = 1_000
/** A forwarded eth_sendRawTransaction waits this long for the sequencer, in milliseconds. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000
export const DEFAULT_BRIDGE_CONFIRMATIONS = 3
export const DEFAULT_BRIDGE_POLL_MS = 1_000
export const DEFAULT_BRIDGE_LOG_RANGE = 2_000
export const DEFAULT_DEPOSITS_PER_BLOCK = 100

export interface ChainConfig {
  /** Path of the genesis JSON (geth format). Its chain id and gas limit are the chain's. */
  genesisPath: string
  /** Dev mode: eth_accounts lists the test mnemonic's accounts and eth_sendTransaction signs with them. */
  dev: boolean
}

export interface SequencerConfig {
  /** Interval between blocks, in milliseconds; a block is sealed only when something is pending. */
  blockTimeMs: number
  /** Seal a block as soon as a transaction arrives instead of on the interval (for tests). */
  automine: boolean
  /** Receiver of priority fees (the block's coinbase). */
  feeRecipient: `0x${string}`
  /** Most bytes of transactions (network encodings, system ones included) in one block. */
  maxBlockBytes: number
}

export interface PoolConfig {
  /** Most transactions (pending + queued) the pool holds; past it the cheapest is evicted. */
  globalSlots: number
  /** Most transactions one sender may have in the pool. */
  accountSlots: number
  /** Minimum bump of both fee fields for a replacement, in percent. */
  priceBumpPercent: bigint
  /** Largest accepted transaction, in bytes of its network encoding. */
  maxTxBytes: number
  /** Smallest accepted priority fee (tip), in wei. */
  minPriorityFee: bigint
  /** Smallest accepted fee cap (maxFeePerGas, or gasPrice), in wei; below it `transaction underpriced`. */
  minFeeCap: bigint
  /** Smallest raise of a replacement's fee cap, in wei, on top of priceBumpPercent. */
  minReplacementBump: bigint
  /** Most bytes of all pooled transactions' encodings; past it the cheapest is evicted. */
  maxBytes: number
  /** Most queued (nonce-gapped) transactions in the pool, and per sender (within globalSlots / accountSlots). */
  queuedGlobalSlots: number
  queuedAccountSlots: number
  /** A queued transaction is dropped this long after it arrived (restarts included), in milliseconds; 0 keeps them. */
  queuedLifetimeMs: number
  /**
   * Recover senders on a worker thread (mempool/recovery.ts), so admission's costliest step runs
   * on another core than block execution. Default: on when the machine has more than one core.
   */
  recoveryThread: boolean
}

export interface AiConfig {
  /** Largest ONNX model a registration may carry, in bytes. */
  maxModelBytes: number
  /** Most compiled models kept in memory at once (LRU; precompiles/canonical/cache.ts). */
  maxLoadedModels: number
}

export interface RpcConfig {
  host: string
  /** TCP port for HTTP and WebSocket; 0 picks a free one. */
  port: number
  /** Largest request body, in bytes. */
  maxBodyBytes: number
  /** Most calls in one JSON-RPC batch. */
  maxBatchSize: number
  /** Widest eth_getLogs block range, in blocks. */
  logsBlockRange: number
  /** Most logs one eth_getLogs returns before it asks for a narrower query. */
  logsMaxResults: number
  /** Gas given to eth_call / eth_estimateGas when the caller gives none, in gas. */
  gasCap: bigint
  /** Filters not polled for this long are removed, in milliseconds. */
  filterTimeoutMs: number
  /** Allowed browser origins (CORS); '*' for any. */
  corsOrigins: string
  /** Largest answer to one request (a call or a whole batch), in bytes of JSON. */
  maxResponseBytes: number
  /** Most polling filters in total, and per client (a WebSocket connection, or an HTTP remote address). */
  maxFilters: number
  maxFiltersPerClient: number
  /** Entries in the shared buffers of block hashes and pending transaction hashes that filters read. */
  filterBufferEntries: number
  /** Largest txpool_content answer, in transactions and in bytes of their encodings. */
  txpoolContentMaxTxs: number
  txpoolContentMaxBytes: number
  /** eth_subscribe subscriptions per WebSocket connection. */
  wsMaxSubscriptions: number
  /** Requests in progress at once per WebSocket connection. */
  wsMaxInflight: number
  /** Unsent bytes a WebSocket connection may accumulate before the node closes it, in bytes. */
  wsMaxBufferedBytes: number
  /** Open TCP connections, HTTP and WebSocket together. */
  maxConnections: number
  /** Time for a whole HTTP request to arrive, in milliseconds. */
  requestTimeoutMs: number
  /** Time for an HTTP request's headers to arrive, in milliseconds (at most requestTimeoutMs). */
  headersTimeoutMs: number
  /** Idle keep-alive HTTP connections close after this, in milliseconds. */
  keepAliveTimeoutMs: number
}

/** Execution for readers: eth_call, eth_estimateGas, eth_createAccessList, debug_traceCall, debug_traceTransaction. */
export interface CallsConfig {
  /** Worker threads that execute calls (each with its own read-only sqlite connection and VM). */
  workers: number
  /** A call running longer is aborted and its worker replaced, in milliseconds. A queued call waits at most this long too. */
  timeoutMs: number
  /** Most calls waiting for a worker. */
  maxQueued: number
  /** Most gas the calls of one JSON-RPC batch execute together, in gas (checked before each call). */
  batchGasCap: bigint
  /** Gas given to (and most gas taken by) debug_traceCall, in gas. */
  traceGasCap: bigint
  /** Largest trace result, in bytes of JSON. */
  traceMaxBytes: number
}

export interface AnchoringConfig {
  /** Keys accepted by POST /v1/anchors. A dev node without an L1 accepts DEV_ANCHOR_API_KEY when none is given. */
  apiKeys: string[]
  /** Most queued hashes anchored per L2 block. */
  maxPerBlock: number
  /** Most hashes waiting in the queue; past it submissions get 503. */
  maxQueued: number
  /** Aggregate mode: how long a round collects hashes before its root is anchored, in ms. */
  roundMs: number
  /** Aggregate mode: most hashes in one round (a larger backlog takes several rounds, back to back). */
  roundMaxHashes: number
  /** Aggregate mode: most hashes waiting for a round; past it submissions get 503. */
  aggregateMaxPending: number
  /** Notification sockets (GET /v1/anchors/events) open at once, in sockets; past it: 503. */
  eventsMaxConnections: number
  /** ... per API key, in sockets; past it: 429 (or close 4429). */
  eventsMaxConnectionsPerKey: number
  /** ... waiting for their auth message, in sockets; past it: 503. */
  eventsMaxUnauthenticated: number
  /** Time a socket without a key in its headers has to send its auth message, in ms (then close 4401). */
  eventsAuthTimeoutMs: number
  /** Time a page of messages may stay unsent before the socket is closed (1008), in ms. */
  eventsStallTimeoutMs: number
}

/** Where and how the batcher posts to L1. Absent: the node runs without L1 (safe and finalized stay at genesis). */
export interface L1Config {
  rpcUrl: string
  /** The deployments file written by scripts/deploy-l1.ts (RollupAnchor's address, chain ids). */
  deploymentsPath: string
  /** Key of the account holding RollupAnchor's SEQUENCER_ROLE (0x + 64 hex). */
  batcherKey: `0x${string}`
  /** L1 blocks (including its own) a batch needs before its L2 blocks are `safe`. */
  confirmations: number
  /** A batch (one channel) closes when its compressed data reaches this many bytes... */
  maxBatchBytes: number
  /** Largest calldata frame, header included: one per L1 transaction. */
  maxFrameBytes: number
  /** Where batch data goes: 'blobs', 'calldata', or 'auto' (whichever costs less at the L1's current fees, per channel). */
  dataAvailability: 'blobs' | 'calldata' | 'auto'
  /** Blobs per L1 transaction (6 on Ethereum and Anvil). */
  maxBlobsPerTx: number
  /** Network form of blob transactions: 0 (one proof per blob; Anvil, before Osaka) or 1 (128 cell proofs per blob; Osaka). */
  blobSidecarVersion: 0 | 1
  /** ...or when its oldest block is this old, in milliseconds. */
  maxBatchAgeMs: number
  /** Most L2 blocks per batch. */
  maxBatchBlocks: number
  compression: 'brotli' | 'zlib' | 'none'
  /** How often the batcher polls L1, in milliseconds. */
  pollIntervalMs: number
  /** An unmined batch transaction is re-sent with 12.5% higher fees after this long, in milliseconds. */
  resubmitAfterMs: number
  /** The most the batcher bids per L1 gas, in wei. */
  maxFeePerGas: bigint
  /** After this long without a successful L1 call the batcher and the deposit watcher warn, in milliseconds (then once a minute). */
  unreachableWarnAfterMs: number
}

/**
 * A replica: a node that never sequences. It derives every block from the batches on L1 and, with
 * a sequencer URL, follows the sequencer's sealed blocks as `unsafe` and forwards transactions to
 * it (README "Replicas"). Absent: the node is a sequencer.
 */
export interface ReplicaConfig {
  l1RpcUrl: string
  /** The deployments file of the L1 contracts (RollupAnchor's address, chain ids). */
  deploymentsPath: string
  /** The sequencer's JSON-RPC URL (http or ws; the feed uses ws on the same host and port); absent: L1 only, no forwarding. */
  sequencerRpcUrl?: string
  /** Where blob contents are read from: a beacon-style blobs API (Anvil serves one on its RPC port); absent: the L1 RPC URL. */
  l1BeaconUrl?: string
  /** L1 blocks (including its own) a batch needs before its L2 blocks are `safe`. */
  confirmations: number
  /** How often derivation polls L1 for new batches, in milliseconds. */
  pollIntervalMs: number
  /** After this long without a successful L1 call derivation warns, in milliseconds (then once a minute). */
  unreachableWarnAfterMs: number
  /** A dropped feed connection is retried after this long, in milliseconds. */
  feedReconnectMs: number
  /** How long a forwarded transaction waits for the sequencer's answer, in milliseconds. */
  forwardTimeoutMs: number
}

/**
 * A validator: a replica that stakes on ValidatorSet, attests every batch it derived and found
 * equal to L1's, and disputes the ones it did not (validator/validator.ts). Needs `replica`.
 */
export interface ValidatorNodeConfig {
  /** The validator's L1 key: it stakes, signs attestations, challenges and votes. */
  privateKey: `0x${string}`
  /** Stake to join ValidatorSet with on first start, in wei; absent: never joins (it must be a validator already). */
  stakeWei?: bigint
  /** L1 blocks (the batch's own included) before it signs a batch: deep enough that no L1 reorg re-mines it. */
  attestConfirmations: number
  /** How often it looks at L1, in milliseconds. */
  pollIntervalMs: number
  /** How long it waits for one of its L1 transactions to be mined, in milliseconds. */
  txTimeoutMs: number
}

/** The bridge's deposit watcher. It runs when the node has an L1 and the deployments file names an L1Bridge. */
export interface BridgeConfig {
  /** Set false to leave deposits alone even with an L1Bridge (another node includes them). */
  enabled: boolean
  /** L1 blocks mined on top of a deposit's block before the node includes it; 0 includes from the latest block. */
  confirmations: number
  /** How often the watcher polls L1, in milliseconds. */
  pollIntervalMs: number
  /** Most L1 blocks one eth_getLogs request covers, in blocks. */
  maxLogRange: number
  /** Most deposits included per L2 block (the system gas budget may cap it lower). */
  maxDepositsPerBlock: number
}

/** The block explorer's pages on the RPC port (sequencer/rpc/explorer.ts, README "Explorer"). */
export interface ExplorerConfig {
  /** Serve the pages at GET / and their paths; false leaves GET / to the JSON usage note. */
  enabled: boolean
  /**
   * The L1 JSON-RPC URL the anchor page's "Verify on L1" offers first (the visitor can change it;
   * it is read by the browser, not by the node). Absent: the node's own L1 URL when its host is
   * loopback (the devnet), else none (the visitor types one). Never defaulted to a remote L1 URL,
   * which may hold an API key.
   */
  l1RpcUrl?: string
}

export interface NodeConfig {
  /** Directory of the sqlite store; created if missing. */
  dataDir: string
  chain: ChainConfig
  sequencer: SequencerConfig
  pool: PoolConfig
  rpc: RpcConfig
  calls: CallsConfig
  ai: AiConfig
  anchoring: AnchoringConfig
  l1?: L1Config
  /** Present on a replica (which has no `l1`: it posts nothing). */
  replica?: ReplicaConfig
  /** Present on a validator (a replica with a stake). */
  validator?: ValidatorNodeConfig
  bridge: BridgeConfig
  explorer: ExplorerConfig
  /** Log level: 'silent' | 'error' | 'warn' | 'info' | 'debug' (sequencer/log.ts). */
  logLevel: LogLevel
  /** Log format: 'json' (one object per line) or 'pretty'; default pretty when stdout is a terminal, else json. */
  logFormat: LogFormat
}

export type NodeConfigInput = {
  dataDir?: string
  chain?: Partial<ChainConfig>
  sequencer?: Partial<SequencerConfig>
  pool?: Partial<PoolConfig>
  rpc?: Partial<RpcConfig>
  calls?: Partial<CallsConfig>
  ai?: Partial<AiConfig>
  anchoring?: Partial<AnchoringConfig>
  /** rpcUrl, deploymentsPath and batcherKey are required when given. */
  l1?: Partial<L1Config> & Pick<L1Config, 'rpcUrl' | 'deploymentsPath' | 'batcherKey'>
  /** l1RpcUrl and deploymentsPath are required when given. */
  replica?: Partial<ReplicaConfig> & Pick<ReplicaConfig, 'l1RpcUrl' | 'deploymentsPath'>
  /** privateKey is required when given. */
  validator?: Partial<ValidatorNodeConfig> & Pick<ValidatorNodeConfig, 'privateKey'>
  bridge?: Partial<BridgeConfig>
  explorer?: Partial<ExplorerConfig>
  logLevel?: NodeConfig['logLevel']
  logFormat?: NodeConfig['logFormat']
}

export function resolveConfig(input: NodeConfigInput = {}): NodeConfig {
  const config: NodeConfig = {
    dataDir: input.dataDir ?? join(process.cwd(), 'data', 'l2'),
    chain: { genesisPath: DEFAULT_GENESIS_PATH, dev: true, ...input.chain },
    sequencer: { blockTimeMs: DEFAULT_BLOCK_TIME_MS, automine: false, feeRecipient: DEFAULT_FEE_RECIPIENT, maxBlockBytes: DEFAULT_MAX_BLOCK_BYTES, ...input.sequencer },
    pool: {
      globalSlots: DEFAULT_POOL_GLOBAL_SLOTS,
      accountSlots: DEFAULT_POOL_ACCOUNT_SLOTS,
      priceBumpPercent: DEFAULT_PRICE_BUMP_PERCENT,
      maxTxBytes: DEFAULT_MAX_TX_BYTES,
      minPriorityFee: 0n,
      minFeeCap: DEFAULT_POOL_MIN_FEE_CAP,
      minReplacementBump: DEFAULT_POOL_MIN_REPLACEMENT_BUMP,
      maxBytes: DEFAULT_POOL_MAX_BYTES,
      queuedGlobalSlots: DEFAULT_POOL_QUEUED_GLOBAL_SLOTS,
      queuedAccountSlots: DEFAULT_POOL_QUEUED_ACCOUNT_SLOTS,
      queuedLifetimeMs: DEFAULT_POOL_QUEUED_LIFETIME_MS,
      recoveryThread: availableParallelism() > 1,
      ...input.pool,
    },
    rpc: {
      host: DEFAULT_RPC_HOST,
      port: DEFAULT_RPC_PORT,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      maxBatchSize: DEFAULT_MAX_BATCH_SIZE,
      logsBlockRange: DEFAULT_LOGS_BLOCK_RANGE,
      logsMaxResults: DEFAULT_LOGS_MAX_RESULTS,
      gasCap: DEFAULT_RPC_GAS_CAP,
      filterTimeoutMs: DEFAULT_FILTER_TIMEOUT_MS,
      corsOrigins: '*',
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
      maxFilters: DEFAULT_MAX_FILTERS,
      maxFiltersPerClient: DEFAULT_MAX_FILTERS_PER_CLIENT,
      filterBufferEntries: DEFAULT_FILTER_BUFFER_ENTRIES,
      txpoolContentMaxTxs: DEFAULT_TXPOOL_CONTENT_MAX_TXS,
      txpoolContentMaxBytes: DEFAULT_TXPOOL_CONTENT_MAX_BYTES,
      wsMaxSubscriptions: DEFAULT_WS_MAX_SUBSCRIPTIONS,
      wsMaxInflight: DEFAULT_WS_MAX_INFLIGHT,
      wsMaxBufferedBytes: DEFAULT_WS_MAX_BUFFERED_BYTES,
      maxConnections: DEFAULT_RPC_MAX_CONNECTIONS,
      requestTimeoutMs: DEFAULT_HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: DEFAULT_HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      ...input.rpc,
    },
    calls: {
      workers: DEFAULT_CALL_WORKERS,
      timeoutMs: DEFAULT_CALL_TIMEOUT_MS,
      maxQueued: DEFAULT_CALL_MAX_QUEUED,
      batchGasCap: DEFAULT_BATCH_GAS_CAP,
      traceGasCap: DEFAULT_TRACE_GAS_CAP,
      traceMaxBytes: DEFAULT_TRACE_MAX_BYTES,
      ...input.calls,
    },
    ai: { maxModelBytes: DEFAULT_MAX_MODEL_BYTES, maxLoadedModels: DEFAULT_MAX_MODELS, ...input.ai },
    anchoring: {
      // the public dev key only on a dev node without an L1: a node posting to an L1 needs real keys
      apiKeys: input.anchoring?.apiKeys ?? ((input.chain?.dev ?? true) && input.l1 === undefined ? [DEV_ANCHOR_API_KEY] : []),
      maxPerBlock: DEFAULT_ANCHORS_PER_BLOCK,
      maxQueued: DEFAULT_ANCHOR_QUEUE_LIMIT,
      roundMs: DEFAULT_ANCHOR_ROUND_MS,
      roundMaxHashes: DEFAULT_ANCHOR_ROUND_MAX_HASHES,
      aggregateMaxPending: DEFAULT_ANCHOR_AGGREGATE_MAX_PENDING,
      eventsMaxConnections: DEFAULT_ANCHOR_EVENTS_MAX_CONNECTIONS,
      eventsMaxConnectionsPerKey: DEFAULT_ANCHOR_EVENTS_MAX_PER_KEY,
      eventsMaxUnauthenticated: DEFAULT_ANCHOR_EVENTS_MAX_UNAUTHENTICATED,
      eventsAuthTimeoutMs: DEFAULT_ANCHOR_EVENTS_AUTH_TIMEOUT_MS,
      eventsStallTimeoutMs: DEFAULT_ANCHOR_EVENTS_STALL_TIMEOUT_MS,
      ...input.anchoring,
    },
    l1:
      input.l1 === undefined
        ? undefined
        : {
            confirmations: DEFAULT_L1_CONFIRMATIONS,
            maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
            maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
            dataAvailability: 'auto',
            maxBlobsPerTx: DEFAULT_MAX_BLOBS_PER_TX,
            blobSidecarVersion: 0,
            maxBatchAgeMs: DEFAULT_MAX_BATCH_AGE_MS,
            maxBatchBlocks: DEFAULT_MAX_BATCH_BLOCKS,
            compression: 'brotli',
            pollIntervalMs: DEFAULT_L1_POLL_MS,
            resubmitAfterMs: DEFAULT_RESUBMIT_AFTER_MS,
            maxFeePerGas: DEFAULT_MAX_L1_FEE_PER_GAS,
            unreachableWarnAfterMs: DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS,
            ...input.l1,
          },
    replica:
      input.replica === undefined
        ? undefined
        : {
            confirmations: DEFAULT_L1_CONFIRMATIONS,
            pollIntervalMs: DEFAULT_L1_POLL_MS,
            unreachableWarnAfterMs: DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS,
            feedReconnectMs: DEFAULT_FEED_RECONNECT_MS,
            forwardTimeoutMs: DEFAULT_FORWARD_TIMEOUT_MS,
            ...input.replica,
          },
    validator:
      input.validator === undefined
        ? undefined
        : { attestConfirmations: DEFAULT_ATTEST_CONFIRMATIONS, pollIntervalMs: DEFAULT_L1_POLL_MS, txTimeoutMs: DEFAULT_VALIDATOR_TX_TIMEOUT_MS, ...input.validator },
    bridge: {
      enabled: true,
      confirmations: DEFAULT_BRIDGE_CONFIRMATIONS,
      pollIntervalMs: DEFAULT_BRIDGE_POLL_MS,
      maxLogRange: DEFAULT_BRIDGE_LOG_RANGE,
      maxDepositsPerBlock: DEFAULT_DEPOSITS_PER_BLOCK,
      ...input.bridge,
    },
    explorer: { enabled: true, ...input.explorer },
    logLevel: input.logLevel ?? 'info',
    logFormat: input.logFormat ?? defaultLogFormat(),
  }
  config.explorer.l1RpcUrl ??= loopbackUrl(config.l1?.rpcUrl ?? config.replica?.l1RpcUrl)
  checkConfig(config)
  return config
}

/** `url` when it is an http(s) URL on a loopback host without credentials, else undefined. */
function loopbackUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    const u = new URL(url)
    const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(u.hostname)
    return loopback && u.username === '' && u.password === '' && (u.protocol === 'http:' || u.protocol === 'https:') ? url : undefined
  } catch {
    return undefined
  }
}

function checkConfig(c: NodeConfig): void {
  const fail = (field: string, why: string) => {
    throw new Error(`invalid config ${field}: ${why}`)
  }
  if (!Number.isFinite(c.sequencer.blockTimeMs) || c.sequencer.blockTimeMs < 10) fail('sequencer.blockTimeMs', 'must be at least 10 ms')
  if (!/^0x[0-9a-fA-F]{40}$/.test(c.sequencer.feeRecipient)) fail('sequencer.feeRecipient', 'must be a 20-byte hex address')
  if (!Number.isInteger(c.rpc.port) || c.rpc.port < 0 || c.rpc.port > 65535) fail('rpc.port', 'must be 0..65535')
  for (const key of [
    'maxBodyBytes', 'maxBatchSize', 'logsBlockRange', 'logsMaxResults', 'filterTimeoutMs', 'maxResponseBytes', 'maxFilters', 'maxFiltersPerClient',
    'filterBufferEntries', 'txpoolContentMaxTxs', 'txpoolContentMaxBytes', 'wsMaxSubscriptions', 'wsMaxInflight', 'wsMaxBufferedBytes', 'maxConnections',
    'requestTimeoutMs', 'headersTimeoutMs', 'keepAliveTimeoutMs',
  ] as const) {
    if (!Number.isInteger(c.rpc[key]) || c.rpc[key] <= 0) fail(`rpc.${key}`, 'must be a positive integer')
  }
  if (c.rpc.maxFiltersPerClient > c.rpc.maxFilters) fail('rpc.maxFiltersPerClient', 'must not exceed rpc.maxFilters')
  if (c.rpc.headersTimeoutMs > c.rpc.requestTimeoutMs) fail('rpc.headersTimeoutMs', 'must not exceed rpc.requestTimeoutMs (node requires it)')
  for (const key of ['globalSlots', 'accountSlots', 'maxTxBytes', 'maxBytes', 'queuedGlobalSlots', 'queuedAccountSlots'] as const) {
    if (!Number.isInteger(c.pool[key]) || c.pool[key] <= 0) fail(`pool.${key}`, 'must be a positive integer')
  }
  if (!Number.isInteger(c.pool.queuedLifetimeMs) || c.pool.queuedLifetimeMs < 0) fail('pool.queuedLifetimeMs', 'must be an integer ≥ 0 (0: no lifetime)')
  for (const key of ['minFeeCap', 'minReplacementBump', 'priceBumpPercent', 'minPriorityFee'] as const) {
    if (typeof c.pool[key] !== 'bigint' || c.pool[key] < 0n) fail(`pool.${key}`, 'must be a bigint ≥ 0')
  }
  if (c.pool.maxBytes < c.pool.maxTxBytes) fail('pool.maxBytes', 'must be at least pool.maxTxBytes')
  if (c.pool.accountSlots > c.pool.globalSlots) fail('pool.accountSlots', 'must not exceed pool.globalSlots')
  if (!Number.isInteger(c.sequencer.maxBlockBytes) || c.sequencer.maxBlockBytes < c.pool.maxTxBytes) fail('sequencer.maxBlockBytes', 'must be an integer of at least pool.maxTxBytes')
  for (const key of ['maxModelBytes', 'maxLoadedModels'] as const) {
    if (!Number.isInteger(c.ai[key]) || c.ai[key] <= 0) fail(`ai.${key}`, 'must be a positive integer')
  }
  for (const key of ['maxPerBlock', 'maxQueued', 'roundMs', 'roundMaxHashes', 'aggregateMaxPending', 'eventsMaxConnections', 'eventsMaxConnectionsPerKey', 'eventsMaxUnauthenticated', 'eventsAuthTimeoutMs', 'eventsStallTimeoutMs'] as const) {
    if (!Number.isInteger(c.anchoring[key]) || c.anchoring[key] <= 0) fail(`anchoring.${key}`, 'must be a positive integer')
  }
  if (c.anchoring.apiKeys.some((k) => typeof k !== 'string' || k.length < 8)) fail('anchoring.apiKeys', 'each key must be a string of at least 8 characters')
  if (c.explorer.l1RpcUrl !== undefined && !/^https?:\/\/[^\s"'<>]+$/.test(c.explorer.l1RpcUrl)) fail('explorer.l1RpcUrl', 'must be an http(s) URL')
  if (c.l1 !== undefined) {
    if (!/^https?:\/\//.test(c.l1.rpcUrl)) fail('l1.rpcUrl', 'must be an http(s) URL')
    if (!/^0x[0-9a-fA-F]{64}$/.test(c.l1.batcherKey)) fail('l1.batcherKey', 'must be 0x followed by 64 hex digits')
    for (const key of ['confirmations', 'maxBatchBytes', 'maxFrameBytes', 'maxBlobsPerTx', 'maxBatchAgeMs', 'maxBatchBlocks', 'pollIntervalMs', 'resubmitAfterMs', 'unreachableWarnAfterMs'] as const) {
      if (!Number.isInteger(c.l1[key]) || c.l1[key] <= 0) fail(`l1.${key}`, 'must be a positive integer')
    }
    if (c.l1.maxFrameBytes <= 24) fail('l1.maxFrameBytes', 'must leave room for data after the 24-byte frame header')
    if (!['blobs', 'calldata', 'auto'].includes(c.l1.dataAvailability)) fail('l1.dataAvailability', 'must be blobs, calldata or auto')
    if (c.l1.blobSidecarVersion !== 0 && c.l1.blobSidecarVersion !== 1) fail('l1.blobSidecarVersion', 'must be 0 or 1')
    // a block must always fit one channel that completes within the channel timeout (README "Batch format")
    const frames = Math.ceil((c.sequencer.maxBlockBytes * 1.01 + 64) / (c.l1.maxFrameBytes - 24))
    if (frames > 150) fail('sequencer.maxBlockBytes', `a block of ${c.sequencer.maxBlockBytes} bytes may need ${frames} calldata frames of ${c.l1.maxFrameBytes} bytes: more than half of RollupAnchor's default channel timeout (300 L1 blocks)`)
    if (!['brotli', 'zlib', 'none'].includes(c.l1.compression)) fail('l1.compression', 'must be brotli, zlib or none')
  }
  if (c.replica !== undefined) {
    if (c.l1 !== undefined) fail('replica', 'a replica posts nothing to L1: give it no l1 (batcher) section')
    if (!/^https?:\/\//.test(c.replica.l1RpcUrl)) fail('replica.l1RpcUrl', 'must be an http(s) URL')
    if (c.replica.l1BeaconUrl !== undefined && !/^https?:\/\//.test(c.replica.l1BeaconUrl)) fail('replica.l1BeaconUrl', 'must be an http(s) URL')
    if (c.replica.sequencerRpcUrl !== undefined && !/^(https?|wss?):\/\//.test(c.replica.sequencerRpcUrl)) fail('replica.sequencerRpcUrl', 'must be an http(s) or ws(s) URL')
    for (const key of ['confirmations', 'pollIntervalMs', 'unreachableWarnAfterMs', 'feedReconnectMs', 'forwardTimeoutMs'] as const) {
      if (!Number.isInteger(c.replica[key]) || c.replica[key] <= 0) fail(`replica.${key}`, 'must be a positive integer')
    }
  }
  if (c.validator !== undefined) {
    if (c.replica === undefined) fail('validator', 'a validator is a replica: give it a replica section (l1RpcUrl, deploymentsPath)')
    if (!/^0x[0-9a-fA-F]{64}$/.test(c.validator.privateKey)) fail('validator.privateKey', 'must be a 32-byte hex key')
    if (c.validator.stakeWei !== undefined && (typeof c.validator.stakeWei !== 'bigint' || c.validator.stakeWei <= 0n)) fail('validator.stakeWei', 'must be a positive bigint (wei)')
    for (const key of ['attestConfirmations', 'pollIntervalMs', 'txTimeoutMs'] as const) {
      if (!Number.isInteger(c.validator[key]) || c.validator[key] <= 0) fail(`validator.${key}`, 'must be a positive integer')
    }
  }
  if (typeof c.bridge.enabled !== 'boolean') fail('bridge.enabled', 'must be true or false')
  if (!Number.isInteger(c.bridge.confirmations) || c.bridge.confirmations < 0) fail('bridge.confirmations', 'must be an integer ≥ 0')
  for (const key of ['pollIntervalMs', 'maxLogRange', 'maxDepositsPerBlock'] as const) {
    if (!Number.isInteger(c.bridge[key]) || c.bridge[key] <= 0) fail(`bridge.${key}`, 'must be a positive integer')
  }
  checkCallsConfig(c, fail)
  if (!isLogLevel(c.logLevel)) fail('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`)
  if (!isLogFormat(c.logFormat)) fail('logFormat', `must be ${LOG_FORMATS.join(' or ')}`)
}

function checkCallsConfig(c: NodeConfig, fail: (field: string, why: string) => void): void {
  for (const key of ['workers', 'timeoutMs', 'maxQueued', 'traceMaxBytes'] as const) {
    if (!Number.isInteger(c.calls[key]) || c.calls[key] <= 0) fail(`calls.${key}`, 'must be a positive integer')
  }
  if (c.calls.workers > 64) fail('calls.workers', 'must be at most 64')
  for (const key of ['batchGasCap', 'traceGasCap'] as const) {
    if (typeof c.calls[key] !== 'bigint' || c.calls[key] <= 0n) fail(`calls.${key}`, 'must be a positive bigint (gas)')
  }
  if (typeof c.rpc.gasCap !== 'bigint' || c.rpc.gasCap <= 0n) fail('rpc.gasCap', 'must be a positive bigint (gas)')
}
