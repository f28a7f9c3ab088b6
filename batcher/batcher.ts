/**
 * The batcher: posts sealed L2 blocks to RollupAnchor on L1, in order, as compressed batches,
 * with the state root and hash of each batch's last block and the roots of its withdrawal and
 * anchor trees; and moves the L2's safe and finalized heads as those batches gain L1
 * confirmations and pass their challenge window.
 *
 * A batch's data is a channel cut into frames (channel.ts), posted one L1 transaction at a time:
 * appendFrames for the frames before the last transaction's, then submitChannel (or submitBatch,
 * for a channel of one calldata frame), which records the batch. Each transaction carries one
 * calldata frame or up to `maxBlobsPerTx` blob frames (blob.ts), chosen per channel (da.ts).
 *
 * Restart safety comes from three facts. RollupAnchor accepts only the batch that starts right
 * after its last posted block, and a channel's frames only in order: L1 itself says where to
 * resume (`lastBlock()`, `channel(id).nextFrame`), and a duplicate or a gap cannot land. The
 * channel being posted (its id, blocks and frame hashes) is written to sqlite before its first
 * frame is sent, and its frames are rebuilt from the blocks and checked against those hashes.
 * And the one transaction in flight is written to sqlite before it is broadcast, so after a crash
 * the batcher finds it again, waits for it, bumps it or replaces it, with the same nonce. A
 * channel that can no longer complete before its timeout on L1 is dropped and its blocks are
 * posted again under a new channel id.
 *
 * Every step that talks to L1 sorts failures (docs/ARCHITECTURE.md rule 5): temporary (L1 down, slow,
 * a call that reverts for a reason an operator can fix) → retry with exponential backoff; reset
 * (an L1 reorg or restart took batches away) → drop them from the local mirror and re-post;
 * critical (no contract at the address, L1 batches that disagree with this chain) → stop loudly.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { randomBytes } from 'node:crypto'
import { BaseError, ContractFunctionRevertedError, createPublicClient, decodeErrorResult, encodeFunctionData, http, keccak256, type Hex, type PublicClient, type TransactionReceipt } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { rollupAnchorAbi } from './abi.ts'
import { encodeBatch, type BatchBlock, type CompressionName } from './codec.ts'
import { BLOB_BYTES, BLOB_FRAME_BYTES, frameToBlob, makeSidecar, wrapBlobTransaction, type Sidecar, type SidecarVersion } from './blob.ts'
import { encodeFrame, splitChannel } from './channel.ts'
import { readChannel } from './channel-l1.ts'
import type { L1Batch } from './l1-batch.ts'

export type { L1Batch }
import { cheaperDa, daCosts } from './da.ts'
import { DivergenceError } from './errors.ts'
import { MerkleTree } from './merkle.ts'
import { isUnreachable, L1Failure as BatcherError, L1Loop, l1ErrorText, type L1Health, type Logger } from './l1-loop.ts'
import { moveHeads } from './heads.ts'

/** A sealed L2 block as the batcher needs it. */
export interface SourceBlock extends BatchBlock {
  hash: Uint8Array
  stateRoot: Uint8Array
}

/** The chain as the batcher sees it (declared here; the node adapts its store). */
export interface BlockSource {
  headNumber(): number
  block(number: number): SourceBlock
  anchoredHashes(first: number, last: number): Uint8Array[]
  withdrawalHashes(first: number, last: number): Uint8Array[]
  txCount(first: number, last: number): number
  /** Bytes of transactions in blocks after `number`. */
  txBytesAfter(number: number): number
}

/** A batch as RollupAnchor recorded it on L1, plus what its L1 transaction cost. */
export interface PostedBatch {
  batchIndex: number
  firstBlock: number
  lastBlock: number
  stateRoot: Uint8Array
  blockHash: Uint8Array
  withdrawalRoot: Uint8Array
  anchorRoot: Uint8Array
  dataHash: Uint8Array
  l1TxHash: Uint8Array
  l1BlockNumber: number
  /** L1 timestamp of the submission, in seconds. */
  submittedAt: number
  /** Seconds; the batch is final at submittedAt + challengeWindow. */
  challengeWindow: number
  /** Bytes of frames posted for the batch: calldata frames' length plus 131,072 per blob. */
  dataBytes: number
  /** L2 transactions in the batch's blocks. */
  l2TxCount: number
  l1GasUsed: number
  /** Wei paid for the batch's L1 transactions (gas used × effective gas price, plus blob gas × blob gas price). */
  l1Fee: bigint
}

/** The ledger row of batch `index`: what L1 stores for it, and what its submission cost. */
export function postedBatch(
  index: number,
  b: L1Batch,
  submission: Pick<PostedBatch, 'dataBytes' | 'l2TxCount' | 'l1GasUsed' | 'l1Fee'> & { l1TxHash: Hex },
): PostedBatch {
  return {
    batchIndex: index,
    firstBlock: Number(b.firstBlock),
    lastBlock: Number(b.lastBlock),
    stateRoot: hexToBytes(b.stateRoot),
    blockHash: hexToBytes(b.blockHash),
    withdrawalRoot: hexToBytes(b.withdrawalRoot),
    anchorRoot: hexToBytes(b.anchorRoot),
    dataHash: hexToBytes(b.dataHash),
    l1BlockNumber: Number(b.l1BlockNumber),
    submittedAt: Number(b.submittedAt),
    challengeWindow: Number(b.challengeWindow),
    ...submission,
    l1TxHash: hexToBytes(submission.l1TxHash),
  }
}

/** The batcher's own durable records (declared here; ledger.ts implements it on the node's sqlite file). */
export interface BatchLedger {
  lastBatch(): PostedBatch | undefined
  putBatch(batch: PostedBatch): void
  deleteBatchesFrom(index: number): void
  /** Lowest batch index submitted in an L1 block after `l1Block`, if any. */
  firstBatchAfterL1Block(l1Block: number): number | undefined
  /** The first batch whose last block is at or after `blockNumber`. */
  batchCovering(blockNumber: number): PostedBatch | undefined
  batch(index: number): PostedBatch | undefined
  batchTotals(): { batches: number; l2Txs: number; dataBytes: number; l1Gas: number; l1Fee: bigint }
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** Makes everything committed so far durable against an OS crash, not only a process crash. */
  syncToDisk(): void
}

/** Where the safe and finalized heads go. */
export interface HeadSink {
  headOf(name: 'safe' | 'finalized'): number
  setHead(name: 'safe' | 'finalized', number: number): void
}

export interface BatcherConfig {
  l1RpcUrl: string
  rollupAnchor: `0x${string}`
  /** Key of an account holding RollupAnchor's SEQUENCER_ROLE. */
  privateKey: `0x${string}`
  /** A batch (one channel) closes once its compressed data would pass this many bytes. */
  maxBatchBytes: number
  /** Largest calldata frame, header included (one per L1 transaction). */
  maxFrameBytes: number
  /** Where channels go: blobs, calldata, or whichever costs less at the L1's current fees (da.ts). */
  dataAvailability: DataAvailabilityMode
  /** Blobs per L1 transaction (at most 6 on Ethereum since Osaka, and on Anvil). */
  maxBlobsPerTx: number
  /** Network form of blob transactions: 0 (one proof per blob: Anvil, pre-Osaka) or 1 (cell proofs: Osaka). */
  blobSidecarVersion: SidecarVersion
  /** ... or once its oldest block is this old (ms). */
  maxBatchAgeMs: number
  /** Most L2 blocks in one batch. */
  maxBatchBlocks: number
  compression: CompressionName
  /** L1 blocks a batch needs (including its own) before its L2 blocks are `safe`. */
  confirmations: number
  /** How often the batcher looks at L1 and the chain (ms). */
  pollIntervalMs: number
  /** A batch transaction not mined after this long is re-sent with higher fees (ms). */
  resubmitAfterMs: number
  /** The most the batcher pays per L1 gas (wei); it waits rather than bid above it. */
  maxFeePerGas: bigint
  /** After this long without a successful L1 call (ms) the batcher warns, then once a minute (batcher/l1-loop.ts). */
  unreachableWarnAfterMs: number
}


/**
 * Points at which a test can make the batcher "crash" (stop dead, writing nothing more): a channel
 * planned and written down, then for each of its L1 transactions: built, persisted (signed and
 * written down), sent, mined. `frame` is the first frame the transaction carries.
 */
export type CrashPoint = 'planned' | 'built' | 'persisted' | 'sent' | 'mined'
export interface CrashContext {
  frame: number
  /** Whether the transaction records the batch (its channel's last). */
  closes: boolean
}

export class BatcherCrash extends Error {
  override readonly name = 'BatcherCrash'
}

/** The L1 refused a blob transaction: the batcher falls back to calldata (not an error of the step). */
class BlobsRefused extends Error {
  override readonly name = 'BlobsRefused'
}

interface Attempt {
  hash: Hex
  raw: Hex
  maxFeePerGas: string
  maxPriorityFeePerGas: string
  /** Blob transactions only. */
  maxFeePerBlobGas?: string
  sentAt: number
}

export type DataAvailability = 'calldata' | 'blobs'
export type DataAvailabilityMode = DataAvailability | 'auto'

/** What one batch transaction carries: RollupAnchor calldata, and blobs (with their sidecar) for a blob transaction. */
interface TxContent {
  data: Hex
  blobs?: Uint8Array[]
  sidecar?: Sidecar
}

/** eth_estimateGas fields that make blobhash() see the transaction's blobs. */
function blobEstimateFields(content: TxContent): Record<string, unknown> {
  return content.sidecar === undefined ? {} : { blobVersionedHashes: content.sidecar.versionedHashes }
}

/** The batch transaction in flight, persisted before it is broadcast. */
interface Inflight {
  nonce: number
  firstBlock: number
  lastBlock: number
  gas: string
  dataBytes: number
  /** Its channel, and the frames it carries. */
  channelId: Hex
  firstFrame: number
  frameCount: number
  closes: boolean
  attempts: Attempt[]
}

/** The channel being posted, persisted before its first frame is sent. */
interface ChannelRecord {
  /** 16 bytes. */
  id: Hex
  firstBlock: number
  lastBlock: number
  da: DataAvailability
  /** keccak256 of each frame's bytes: the frames rebuilt after a restart must be these. */
  frameHashes: Hex[]
  dataBytes: number
  l2TxCount: number
  stateRoot: Hex
  blockHash: Hex
  withdrawalRoot: Hex
  anchorRoot: Hex
}

export interface BatcherStatus extends L1Health {
  running: boolean
  sender: string
  rollupAnchor: string
  l1ChainId: number | null
  lastPostedBlock: number
  lastBatchIndex: number | null
  pendingBlocks: number
  pendingBytes: number
  inflight: { firstBlock: number; lastBlock: number; nonce: number; txHashes: string[]; since: number; channelId: string; firstFrame: number; frameCount: number; closes: boolean } | null
  /** The channel being posted: its blocks, frames, and how many of them L1 had at the last look. */
  channel: { id: string; firstBlock: number; lastBlock: number; frames: number; da: DataAvailability; dataBytes: number } | null
  batchesPosted: number
  l2TxsPosted: number
  dataBytesPosted: number
  l1GasUsed: number
  l1FeeWei: string
  /** Wei of L1 fees per posted L2 transaction (integer division); null before the first. */
  l1CostPerL2TxWei: string | null
  revertedBatchTxs: number
  lastError: { message: string; at: number } | null
}

/** After an L1 refuses a blob transaction, channels go in calldata this long before blobs are tried again. */
const BLOB_FALLBACK_MS = 10 * 60_000
const INFLIGHT_KEY = 'batcher.inflight'
const CHANNEL_KEY = 'batcher.channel'
const SYNC_BATCHES_PER_STEP = 200
const MAX_ATTEMPTS_KEPT = 6
/** After sending a batch transaction, its receipt is looked for this soon once, then every poll. */
const FIRST_RECEIPT_CHECK_MS = 200

export class Batcher {
  private readonly l1: PublicClient
  private readonly account: PrivateKeyAccount
  private readonly loop: L1Loop
  private chainId: number | undefined
  private l1Head: number | undefined
  private reverted = 0
  private deletedListeners: ((reason: string) => void)[] = []

  constructor(
    private readonly config: BatcherConfig,
    private readonly source: BlockSource,
    private readonly ledger: BatchLedger,
    private readonly heads: HeadSink,
    private readonly log: Logger,
    /** Tests only: called at each crash point; throwing BatcherCrash stops the batcher there. */
    private readonly crashAt?: (point: CrashPoint, at: CrashContext) => void,
  ) {
    this.l1 = createPublicClient({ transport: http(config.l1RpcUrl, { retryCount: 0, timeout: 15_000 }) })
    this.account = privateKeyToAccount(config.privateKey)
    this.loop = new L1Loop({
      name: 'batcher',
      pollIntervalMs: config.pollIntervalMs,
      log,
      step: () => this.step(),
      onCritical: (message) => log.error(`batcher stopped: ${message}`, { event: 'service_stopped', service: 'batcher', reason: message }),
      isAbort: (err) => err instanceof BatcherCrash,
      unreachableWarnAfterMs: config.unreachableWarnAfterMs,
      whileDown: 'no batch is posted (L2 blocks queue up and stay unsafe)',
    })
  }

  get sender(): string {
    return this.account.address
  }

  /**
   * Who hears that L1 deleted batches this sequencer posted (a dispute judged them wrong): the
   * sequencer's chain is no longer the rollup's, so the node stops producing blocks.
   */
  onBatchesDeleted(listener: (reason: string) => void): void {
    this.deletedListeners.push(listener)
  }

  readonly name = 'batcher'

  start(): void {
    this.loop.start()
  }

  stop(): Promise<void> {
    return this.loop.stop()
  }

  /** The node's service health (sequencer/service.ts): running, and the last error or where posting stands. */
  health(): { name: string; ok: boolean; detail: string } {
    const lastPosted = this.ledger.lastBatch()?.lastBlock ?? 0
    const down = this.loop.downDetail()
    if (down !== null) return { name: this.name, ok: false, detail: down }
    return { name: this.name, ok: this.loop.isRunning, detail: this.loop.lastError?.message ?? `posted up to L2 block ${lastPosted}` }
  }

  /** Runs one step now (tests; the loop does this on its own). Errors are thrown, not retried. */
  async stepOnce(): Promise<void> {
    await this.step()
  }

  status(): BatcherStatus {
    const last = this.ledger.lastBatch()
    const lastPosted = last?.lastBlock ?? 0
    const totals = this.ledger.batchTotals()
    const inflight = this.inflight()
    const channel = this.channel()
    return {
      running: this.loop.isRunning,
      ...this.loop.l1Health(),
      sender: this.account.address,
      rollupAnchor: this.config.rollupAnchor,
      l1ChainId: this.chainId ?? null,
      lastPostedBlock: lastPosted,
      lastBatchIndex: last?.batchIndex ?? null,
      pendingBlocks: Math.max(0, this.source.headNumber() - lastPosted),
      pendingBytes: this.source.txBytesAfter(lastPosted),
      inflight:
        inflight === undefined
          ? null
          : {
              firstBlock: inflight.firstBlock,
              lastBlock: inflight.lastBlock,
              nonce: inflight.nonce,
              txHashes: inflight.attempts.map((a) => a.hash),
              since: inflight.attempts[0].sentAt,
              channelId: inflight.channelId,
              firstFrame: inflight.firstFrame,
              frameCount: inflight.frameCount,
              closes: inflight.closes,
            },
      channel: channel === undefined ? null : { id: channel.id, firstBlock: channel.firstBlock, lastBlock: channel.lastBlock, frames: channel.frameHashes.length, da: channel.da, dataBytes: channel.dataBytes },
      batchesPosted: totals.batches,
      l2TxsPosted: totals.l2Txs,
      dataBytesPosted: totals.dataBytes,
      l1GasUsed: totals.l1Gas,
      l1FeeWei: totals.l1Fee.toString(),
      l1CostPerL2TxWei: totals.l2Txs === 0 ? null : (totals.l1Fee / BigInt(totals.l2Txs)).toString(),
      revertedBatchTxs: this.reverted,
      lastError: this.loop.lastError,
    }
  }

  /** The L1 head as of the last step (undefined before the first): what anchoring answers count confirmations against. */
  l1HeadNumber(): number | undefined {
    return this.l1Head
  }

  private async step(): Promise<void> {
    if (this.chainId === undefined) await this.checkL1()
    const l1Head = await this.l1.getBlock({ blockTag: 'latest' })
    this.l1Head = Number(l1Head.number)
    const caughtUp = await this.syncBatches(Number(l1Head.number))
    await this.moveHeads(Number(l1Head.number))
    if (!caughtUp) {
      this.loop.hurry() // more L1 batches to read before anything can be posted
      return
    }
    try {
      if (this.inflight() !== undefined) return await this.watchInflight()
      await this.postNext(Number(l1Head.number))
    } catch (err) {
      if (!(err instanceof BlobsRefused)) throw err
    }
  }

  /** Once per start: the contract must exist, and the key should hold the sequencer role. */
  private async checkL1(): Promise<void> {
    const [chainId, code] = await Promise.all([this.l1.getChainId(), this.l1.getCode({ address: this.config.rollupAnchor })])
    if (code === undefined || code === '0x') {
      throw new BatcherError('critical', `no contract at RollupAnchor address ${this.config.rollupAnchor} on L1 chain ${chainId} (${this.config.l1RpcUrl}): deploy it (npm run deploy:l1) and point the deployments file at it`)
    }
    try {
      await this.read('channelTimeout')
    } catch (err) {
      if (isUnreachable(err)) throw err
      throw new BatcherError('critical', `RollupAnchor ${this.config.rollupAnchor} on L1 chain ${chainId} takes no channels of frames (deployed by a version before them): deploy the current contracts (npm run deploy:l1)`)
    }
    const role = await this.read('SEQUENCER_ROLE')
    if (!(await this.read('hasRole', [role, this.account.address]))) {
      this.log.error(`batcher: ${this.account.address} does not hold SEQUENCER_ROLE on ${this.config.rollupAnchor}; batches will fail until it is granted`)
    }
    this.chainId = chainId
    this.log.info(`batcher: posting to RollupAnchor ${this.config.rollupAnchor} on L1 chain ${chainId} as ${this.account.address}`)
  }

  // ---- mirror of the batches on L1 ----

  /**
   * Brings the local mirror in line with L1: drops batches an L1 reorg removed or moved, adds
   * new ones (at most SYNC_BATCHES_PER_STEP per step). Batches not yet `confirmations` deep are
   * re-read every step: a reorg that re-mines one in a later L1 block changes its block and time,
   * from which safe and finalized are counted. Returns true once the mirror has every L1 batch.
   */
  private async syncBatches(l1Block: number): Promise<boolean> {
    // counted as of l1Block, not 'latest': a dispute resolved after l1Block was read would shrink
    // the count while its BatchesDeleted event lay beyond the range checkDeletion searches, and
    // the batcher would take the deletion for a reorg and re-post the judged batches
    const count = Number(await this.read('batchCount', undefined, l1Block))
    let last = this.ledger.lastBatch()
    if (last !== undefined && last.batchIndex >= count) {
      await this.checkDeletion(count, l1Block)
      this.log.info(`batcher: L1 has ${count} batches, ${last.batchIndex + 1 - count} fewer than seen before (L1 reorg or reset); re-posting from there`)
      this.ledger.deleteBatchesFrom(count)
      last = this.ledger.lastBatch()
    }
    // the last batch always, and every batch still within the confirmation depth
    const recheckFrom = this.ledger.firstBatchAfterL1Block(l1Block - this.config.confirmations) ?? last?.batchIndex
    for (let index = last?.batchIndex ?? -1; last !== undefined && index >= 0 && index >= (recheckFrom ?? index); index--) {
      const local = this.ledger.batch(index)!
      const onL1 = await this.read('getBatch', [BigInt(index)])
      const same = onL1.dataHash.toLowerCase() === bytesToHex(local.dataHash) && Number(onL1.l1BlockNumber) === local.l1BlockNumber && Number(onL1.submittedAt) === local.submittedAt
      if (same) continue
      this.log.info(`batcher: batch ${index} on L1 changed (L1 reorg: now in L1 block ${onL1.l1BlockNumber}); re-reading it`)
      this.ledger.deleteBatchesFrom(index)
    }
    last = this.ledger.lastBatch()
    const head = this.source.headNumber()
    const from = last === undefined ? 0 : last.batchIndex + 1
    const until = Math.min(count, from + SYNC_BATCHES_PER_STEP)
    for (let index = from; index < until; index++) {
      const b = await this.read('getBatch', [BigInt(index)])
      const lastBlock = Number(b.lastBlock)
      if (lastBlock > head) {
        throw new BatcherError('critical', `L1 batch ${index} covers L2 blocks up to ${lastBlock} but this node's chain ends at ${head}: the data directory is not the chain this RollupAnchor records`)
      }
      const local = this.source.block(lastBlock)
      if (b.blockHash.toLowerCase() !== bytesToHex(local.hash)) {
        throw new BatcherError('critical', `L1 batch ${index} commits to ${b.blockHash} for L2 block ${lastBlock}, this node has ${bytesToHex(local.hash)}: the chains diverged`)
      }
      const { txHash, gasUsed, fee, dataBytes } = await this.submission(index, b)
      const l2TxCount = this.source.txCount(Number(b.firstBlock), lastBlock)
      this.ledger.putBatch(postedBatch(index, b, { l1TxHash: txHash, dataBytes, l2TxCount, l1GasUsed: gasUsed, l1Fee: fee }))
      const perTx = l2TxCount === 0 ? '' : `, ${fee / BigInt(l2TxCount)} wei per L2 tx`
      const pendingBlocks = head - lastBlock
      const pendingBytes = this.source.txBytesAfter(lastBlock)
      // the fields of the batcher metrics (airollup_batcher_*): this batch's share of each total, and the backlog after it
      this.log.info(
        `batcher: batch ${index} (L2 blocks ${b.firstBlock}-${b.lastBlock}, ${l2TxCount} txs, ${dataBytes} bytes) in L1 block ${b.l1BlockNumber}, tx ${txHash}: ` +
          `${gasUsed} L1 gas, ${fee} wei${perTx}; ${pendingBlocks} L2 blocks (${pendingBytes} tx bytes) still to post`,
        {
          event: 'batch_posted',
          batchIndex: index,
          firstBlock: Number(b.firstBlock),
          lastBlock,
          txs: l2TxCount,
          bytes: dataBytes,
          l1Block: Number(b.l1BlockNumber),
          l1TxHash: txHash,
          l1GasUsed: gasUsed,
          l1FeeWei: fee.toString(),
          pendingBlocks,
          pendingBytes,
        },
      )
    }
    return until === count
  }

  /** The L1 transactions that posted batch `index` (its channel's), and what they cost together. */
  private async submission(index: number, b: L1Batch): Promise<{ txHash: Hex; gasUsed: number; fee: bigint; dataBytes: number }> {
    let txs
    try {
      ;({ txs } = await readChannel(this.l1, this.config.rollupAnchor, index, b, { withData: false }))
    } catch (err) {
      if (err instanceof DivergenceError) throw new BatcherError('temporary', `batch ${index}: its L1 transactions are not all found yet (${err.message})`, { cause: err })
      throw err
    }
    return {
      txHash: txs[txs.length - 1].hash,
      gasUsed: txs.reduce((n, t) => n + Number(t.gasUsed), 0),
      fee: txs.reduce((n, t) => n + t.fee, 0n),
      dataBytes: txs.reduce((n, t) => n + t.dataBytes, 0),
    }
  }

  /**
   * Batches deleted on L1 by a dispute (RollupAnchor's BatchesDeleted) are not an L1 reorg: the
   * committee judged this sequencer's chain wrong from the first deleted batch on. Re-posting the
   * same blocks would post the same wrong roots, so the batcher stops for good (critical) and the
   * node stops producing blocks: an operator must act (find why this node computed another state,
   * then rebuild from L1 with `npm run replica` or scripts/rebuild-from-l1.ts).
   */
  private async checkDeletion(count: number, l1Head: number): Promise<void> {
    const first = this.ledger.batch(count)
    // a batch mined after the L1's current head was taken away by a reorg, not deleted
    if (first === undefined || first.l1BlockNumber > l1Head) return
    const logs = await this.l1.getLogs({
      address: this.config.rollupAnchor,
      event: rollupAnchorAbi.find((x) => x.type === 'event' && x.name === 'BatchesDeleted') as Extract<(typeof rollupAnchorAbi)[number], { type: 'event'; name: 'BatchesDeleted' }>,
      fromBlock: BigInt(first.l1BlockNumber),
      toBlock: BigInt(l1Head),
    })
    const deleted = logs.find((l) => Number(l.args.fromIndex) <= count)
    if (deleted === undefined) return
    const reason =
      `L1 deleted batches from ${deleted.args.fromIndex} on (RollupAnchor BatchesDeleted in L1 block ${deleted.blockNumber}): a dispute judged this sequencer's ` +
      `chain wrong from L2 block ${first.firstBlock} on. Block production is stopped; an operator must act (see README, "Running a validator")`
    for (const listener of this.deletedListeners) listener(reason)
    throw new BatcherError('critical', reason)
  }

  /** safe and finalized as the batches on L1 place them (heads.ts, shared with replicas' derivation). */
  private moveHeads(l1Block: number): Promise<void> {
    return moveHeads(this.ledger, this.heads, l1Block, this.config.confirmations, (i) => this.read('isFinal', [BigInt(i)]), this.log, 'batcher')
  }

  // ---- posting ----

  private inflight(): Inflight | undefined {
    const raw = this.ledger.getMeta(INFLIGHT_KEY)
    return raw === undefined || raw === '' ? undefined : (JSON.parse(raw) as Inflight)
  }

  private setInflight(inflight: Inflight | undefined): void {
    this.ledger.setMeta(INFLIGHT_KEY, inflight === undefined ? '' : JSON.stringify(inflight))
  }

  private channel(): ChannelRecord | undefined {
    const raw = this.ledger.getMeta(CHANNEL_KEY)
    return raw === undefined || raw === '' ? undefined : (JSON.parse(raw) as ChannelRecord)
  }

  private setChannel(channel: ChannelRecord | undefined): void {
    this.ledger.setMeta(CHANNEL_KEY, channel === undefined ? '' : JSON.stringify(channel))
    if (channel === undefined) this.frameCache = undefined
  }

  /**
   * The next batch, if one is due: blocks from the last posted one on, closed by size (at most
   * `maxBatchBytes` compressed, or `maxBytes` when smaller) or age.
   */
  planBatch(maxBytes = this.config.maxBatchBytes): { blocks: SourceBlock[]; data: Uint8Array } | undefined {
    const { maxBatchAgeMs, maxBatchBlocks, compression } = this.config
    const maxBatchBytes = Math.min(maxBytes, this.config.maxBatchBytes)
    const next = (this.ledger.lastBatch()?.lastBlock ?? 0) + 1
    const head = this.source.headNumber()
    if (next > head) return undefined
    // gather by raw size first (compression shrinks it; 4× is a generous guess, trimmed below)
    const rawBudget = maxBatchBytes * 4
    const blocks: SourceBlock[] = []
    let rawBytes = 0
    let full = false
    for (let n = next; n <= head; n++) {
      const block = this.source.block(n)
      const size = block.txs.reduce((sum, tx) => sum + tx.length, 40)
      if (blocks.length > 0 && rawBytes + size > rawBudget) {
        full = true
        break
      }
      blocks.push(block)
      rawBytes += size
      if (blocks.length >= maxBatchBlocks) {
        full = true
        break
      }
    }
    const ageMs = Date.now() - Number(blocks[0].timestamp) * 1000
    let data = encodeBatch(blocks, compression)
    if (!full && data.length < maxBatchBytes && ageMs < maxBatchAgeMs) {
      this.loop.wakeIn(maxBatchAgeMs - ageMs) // due by age then, not at the next poll
      return undefined
    }
    while (data.length > maxBatchBytes && blocks.length > 1) {
      // shrink in proportion to the excess, by at least one block (a single block too big for
      // the limit goes alone: a block cannot be split across batches, but its channel can take
      // as many frames as it needs)
      const fitting = Math.floor((blocks.length * maxBatchBytes) / data.length)
      blocks.length = Math.max(1, Math.min(blocks.length - 1, fitting))
      data = encodeBatch(blocks, compression)
    }
    return { blocks, data }
  }

  /** Bytes of one frame (header included) for a data availability mode. */
  private frameBytes(da: DataAvailability): number {
    return da === 'blobs' ? BLOB_FRAME_BYTES : this.config.maxFrameBytes
  }

  private frameCache: { id: Hex; frames: Uint8Array[] } | undefined
  /** Until when channels go in calldata because the L1 refused a blob transaction (ms since the epoch). */
  private blobsRefusedUntil = 0

  /**
   * The channel's frames, rebuilt from its blocks (the encoding is deterministic) and checked
   * against the hashes written down before the first was sent; undefined when they differ
   * (another compression library, a changed block: the channel is dropped and posted anew).
   */
  private framesOf(ch: ChannelRecord): Uint8Array[] | undefined {
    if (this.frameCache?.id === ch.id) return this.frameCache.frames
    const blocks = []
    for (let n = ch.firstBlock; n <= ch.lastBlock; n++) blocks.push(this.source.block(n))
    const data = encodeBatch(blocks, this.config.compression)
    const frames = splitChannel(hexToBytes(ch.id), data, this.frameBytes(ch.da)).map(encodeFrame)
    if (frames.length !== ch.frameHashes.length || frames.some((f, i) => keccak256(f) !== ch.frameHashes[i])) return undefined
    this.frameCache = { id: ch.id, frames }
    return frames
  }

  /**
   * Most channel bytes that complete well within RollupAnchor's channel timeout: transactions go
   * one at a time, one L1 block each at best, so a channel takes at most half the timeout in
   * transactions (the rest is room for fee bumps and a busy L1).
   */
  private channelBudget(da: DataAvailability, timeout: number): number {
    const txs = Math.max(1, Math.floor(timeout / 2))
    return da === 'blobs' ? txs * this.config.maxBlobsPerTx * (BLOB_FRAME_BYTES - 24) : txs * (this.config.maxFrameBytes - 24)
  }

  /** Plans the next channel and writes it down (before any of its frames is sent). */
  private async openChannel(): Promise<ChannelRecord | undefined> {
    if (this.planBatch() === undefined) return undefined // nothing due: no L1 call
    const timeout = Number(await this.read('channelTimeout'))
    const mode = this.config.dataAvailability
    let plan = this.planBatch(this.channelBudget(mode === 'calldata' ? 'calldata' : 'blobs', timeout))!
    const da = await this.chooseDa(plan.data.length)
    if (da === 'calldata' && mode !== 'calldata') plan = this.planBatch(this.channelBudget('calldata', timeout))!
    const { blocks, data } = plan
    const first = blocks[0].number
    const last = blocks[blocks.length - 1]
    const id = bytesToHex(randomBytes(16)) as Hex
    const frames = splitChannel(hexToBytes(id), data, this.frameBytes(da)).map(encodeFrame)
    const ch: ChannelRecord = {
      id,
      firstBlock: first,
      lastBlock: last.number,
      da,
      frameHashes: frames.map((f) => keccak256(f)),
      dataBytes: data.length,
      l2TxCount: blocks.reduce((n, b) => n + b.txs.length, 0),
      stateRoot: bytesToHex(last.stateRoot) as Hex,
      blockHash: bytesToHex(last.hash) as Hex,
      withdrawalRoot: bytesToHex(new MerkleTree(this.source.withdrawalHashes(first, last.number)).root) as Hex,
      anchorRoot: bytesToHex(new MerkleTree(this.source.anchoredHashes(first, last.number)).root) as Hex,
    }
    this.setChannel(ch)
    this.frameCache = { id, frames }
    this.log.info(`batcher: channel ${id} for L2 blocks ${first}-${last.number} (${ch.l2TxCount} txs, ${data.length} bytes): ${frames.length} ${da === 'blobs' ? 'blob' : 'calldata'} frame(s)`, {
      event: 'channel_opened',
      channel: id,
      firstBlock: first,
      lastBlock: last.number,
      txs: ch.l2TxCount,
      bytes: data.length,
      frames: frames.length,
      da,
    })
    this.crashAt?.('planned', { frame: 0, closes: false })
    return ch
  }

  /** Which kind of L1 data a new channel goes in (da.ts: by the L1's current fees under `auto`). */
  private async chooseDa(dataBytes: number): Promise<DataAvailability> {
    const mode = this.config.dataAvailability
    if (mode !== 'calldata' && Date.now() < this.blobsRefusedUntil) return 'calldata' // the fallback
    if (mode !== 'auto') return mode
    const [block, tip, blobBaseFee] = await Promise.all([
      this.l1.getBlock({ blockTag: 'latest' }),
      this.l1.estimateMaxPriorityFeePerGas(),
      this.l1.getBlobBaseFee().catch(() => undefined), // an L1 before Dencun has no blobs
    ])
    if (blobBaseFee === undefined || block.baseFeePerGas == null) return 'calldata'
    const costs = daCosts({ dataBytes, gasPrice: block.baseFeePerGas + tip, blobBaseFee, maxFrameBytes: this.config.maxFrameBytes, maxBlobsPerTx: this.config.maxBlobsPerTx })
    const da = cheaperDa(costs)
    this.log.debug(`batcher: ${dataBytes} bytes cost ${costs.blobs} wei in blobs, ${costs.calldata} wei in calldata: ${da}`)
    return da
  }

  /** Posts the next transaction of the channel being posted (planning one if none is). */
  private async postNext(l1Head: number): Promise<void> {
    const ch = this.channel() ?? (await this.openChannel())
    if (ch === undefined) return
    const l1Last = Number(await this.read('lastBlock'))
    if (l1Last >= ch.lastBlock) {
      // its batch is on L1 (recorded before a crash let us write that down): next channel
      this.setChannel(undefined)
      this.loop.hurry()
      return
    }
    if (ch.firstBlock !== l1Last + 1) {
      this.log.info(`batcher: channel ${ch.id} (L2 blocks ${ch.firstBlock}-${ch.lastBlock}) no longer follows L1's last block ${l1Last} (an L1 reorg or reset); planning again`)
      this.setChannel(undefined)
      this.loop.hurry()
      return
    }
    const frames = this.framesOf(ch)
    if (frames === undefined) {
      this.log.error(`batcher: channel ${ch.id} rebuilt from L2 blocks ${ch.firstBlock}-${ch.lastBlock} gives other frames than were posted; posting the blocks again in a new channel`)
      this.setChannel(undefined)
      this.loop.hurry()
      return
    }
    const [state, timeout] = await Promise.all([this.read('channel', [ch.id]), this.read('channelTimeout')])
    const first = state.nextFrame
    const perTx = ch.da === 'blobs' ? this.config.maxBlobsPerTx : 1
    const count = Math.min(perTx, frames.length - first)
    const txsLeft = Math.ceil((frames.length - first) / perTx)
    if (first > 0 && (state.closed || l1Head + txsLeft > Number(state.openedAt) + Number(timeout))) {
      // frames landed, but the rest cannot before the channel's timeout: RollupAnchor would refuse
      // them, so these blocks go again in a new channel (derivation ignores the incomplete one)
      this.log.info(`batcher: channel ${ch.id} opened in L1 block ${state.openedAt} cannot complete within its timeout of ${timeout} L1 blocks (head ${l1Head}, ${txsLeft} transactions left); posting its blocks in a new channel`)
      this.setChannel(undefined)
      this.loop.hurry()
      return
    }
    const closes = first + count === frames.length
    const at = { frame: first, closes }
    const content = this.txContent(ch, frames, first, count)
    this.crashAt?.('built', at)
    // L1 must never hold blocks this node could lose: the store survives a process crash as it is,
    // an OS crash only once synced
    this.ledger.syncToDisk()
    let gas: bigint
    try {
      gas = await this.l1.estimateGas({ account: this.account, to: this.config.rollupAnchor, data: content.data, ...blobEstimateFields(content) })
    } catch (err) {
      throw new BatcherError('temporary', `L1 rejects frame ${first} of channel ${ch.id} (L2 blocks ${ch.firstBlock}-${ch.lastBlock}): ${revertReason(err)}`, { cause: err })
    }
    gas = (gas * 5n) / 4n
    const fees = await this.fees(content.blobs !== undefined)
    const nonce = await this.l1.getTransactionCount({ address: this.account.address, blockTag: 'pending' })
    const attempt = await this.sign({ nonce, gas, ...fees }, content)
    const dataBytes = content.blobs === undefined ? frames[first].length : count * BLOB_BYTES
    this.setInflight({ nonce, firstBlock: ch.firstBlock, lastBlock: ch.lastBlock, gas: gas.toString(), dataBytes, channelId: ch.id, firstFrame: first, frameCount: count, closes, attempts: [attempt] })
    this.crashAt?.('persisted', at)
    const what = count === 1 ? `frame ${first}` : `frames ${first}-${first + count - 1}`
    this.log.info(`batcher: posting ${what} of ${frames.length} of channel ${ch.id} (L2 blocks ${ch.firstBlock}-${ch.lastBlock}, ${dataBytes} bytes${closes ? ', records the batch' : ''}) in ${attempt.hash}`, {
      event: 'batch_tx_sent',
      channel: ch.id,
      firstFrame: first,
      frameCount: count,
      closes,
      bytes: dataBytes,
      l1TxHash: attempt.hash,
      nonce,
    })
    await this.broadcast(attempt.raw)
    this.crashAt?.('sent', at)
    // an L1 that mines at once (a dev chain, an instant-finality L2) has the receipt already
    this.loop.wakeIn(FIRST_RECEIPT_CHECK_MS)
  }

  /** The RollupAnchor call (and blobs) carrying frames first..first+count-1 of a channel. */
  private txContent(ch: ChannelRecord, frames: Uint8Array[], first: number, count: number): TxContent {
    const closes = first + count === frames.length
    const carried = frames.slice(first, first + count)
    const calldataFrames = ch.da === 'blobs' ? [] : carried.map((f) => bytesToHex(f) as Hex)
    const blobCount = ch.da === 'blobs' ? BigInt(count) : 0n
    const header = { firstBlock: BigInt(ch.firstBlock), lastBlock: BigInt(ch.lastBlock), stateRoot: ch.stateRoot, blockHash: ch.blockHash, withdrawalRoot: ch.withdrawalRoot, anchorRoot: ch.anchorRoot }
    const data =
      !closes
        ? encodeFunctionData({ abi: rollupAnchorAbi, functionName: 'appendFrames', args: [ch.id, first, calldataFrames, blobCount] })
        : first === 0 && frames.length === 1 && ch.da !== 'blobs'
          ? encodeFunctionData({
              abi: rollupAnchorAbi,
              functionName: 'submitBatch',
              args: [header.firstBlock, header.lastBlock, header.stateRoot, header.blockHash, header.withdrawalRoot, header.anchorRoot, calldataFrames[0]],
            })
          : encodeFunctionData({ abi: rollupAnchorAbi, functionName: 'submitChannel', args: [header, ch.id, first, calldataFrames, blobCount] })
    if (ch.da !== 'blobs') return { data }
    // KZG once per transaction built (commitments, proofs): estimate and signature share it
    const blobs = carried.map(frameToBlob)
    return { data, blobs, sidecar: makeSidecar(blobs, this.config.blobSidecarVersion) }
  }

  /** Waits for the transaction in flight; re-sends, bumps or forgets it. */
  private async watchInflight(): Promise<void> {
    const inflight = this.inflight()!
    const at = { frame: inflight.firstFrame, closes: inflight.closes }
    for (const attempt of [...inflight.attempts].reverse()) {
      const receipt = await this.receipt(attempt.hash)
      if (receipt === undefined) continue
      if (receipt.status === 'success') {
        this.log.debug(`batcher: ${attempt.hash} mined in L1 block ${receipt.blockNumber}`)
        this.crashAt?.('mined', at)
        if (inflight.closes && this.channel()?.id === inflight.channelId) this.setChannel(undefined)
      } else {
        this.reverted++
        const message = `batch transaction ${attempt.hash} (frames ${inflight.firstFrame}-${inflight.firstFrame + inflight.frameCount - 1} of channel ${inflight.channelId}, L2 blocks ${inflight.firstBlock}-${inflight.lastBlock}) reverted in L1 block ${receipt.blockNumber}`
        this.loop.noteError(message)
        this.log.error(`batcher: ${message}; re-posting`, { event: 'batch_tx_reverted', channel: inflight.channelId, l1TxHash: attempt.hash, l1Block: Number(receipt.blockNumber) })
      }
      this.setInflight(undefined)
      this.loop.hurry() // a frame just landed: the next one may be due already
      return
    }
    const l1Last = Number(await this.read('lastBlock'))
    const [mined, pending] = await Promise.all([
      this.l1.getTransactionCount({ address: this.account.address, blockTag: 'latest' }),
      this.l1.getTransactionCount({ address: this.account.address, blockTag: 'pending' }),
    ])
    if (l1Last >= inflight.lastBlock || mined > inflight.nonce) {
      // the nonce was used without any of our attempts being mined (replaced from elsewhere), or
      // the range is on L1 already: nothing left to wait for (L1's channel state says what is next)
      this.log.info(`batcher: nonce ${inflight.nonce} used elsewhere or blocks ${inflight.firstBlock}-${inflight.lastBlock} already on L1; moving on`)
      this.setInflight(undefined)
      return
    }
    if (inflight.firstBlock !== l1Last + 1 || inflight.nonce > pending) {
      // L1 lost what came before it (a reorg or reset dropped earlier batches or transactions):
      // this one can only revert or never be mined; plan again from what L1 holds
      this.log.info(`batcher: batch tx for blocks ${inflight.firstBlock}-${inflight.lastBlock} (nonce ${inflight.nonce}) no longer fits L1 (last block ${l1Last}, next nonce ${pending}); re-planning`)
      this.setInflight(undefined)
      this.loop.hurry()
      return
    }
    const latest = inflight.attempts[inflight.attempts.length - 1]
    if (Date.now() - latest.sentAt < this.config.resubmitAfterMs) {
      // still waiting; an L1 that restarted without its mempool has forgotten it: send it again
      if (!(await this.known(latest.hash))) await this.broadcast(latest.raw)
      return
    }
    const ch = this.channel()
    const frames = ch?.id === inflight.channelId ? this.framesOf(ch) : undefined
    if (ch === undefined || frames === undefined) {
      // (cannot happen: the channel is kept until its last transaction is mined) plan again
      this.setInflight(undefined)
      return
    }
    const content = this.txContent(ch, frames, inflight.firstFrame, inflight.frameCount)
    const blob = content.blobs !== undefined
    const current = await this.fees(blob)
    // a blob transaction replaces another only at twice the fees (geth's blob pool), others at +12.5%
    const bump = (old: string | undefined, now: bigint) => {
      const bumped = old === undefined ? now : blob ? BigInt(old) * 2n : (BigInt(old) * 1125n) / 1000n + 1n
      return bumped > now ? bumped : now
    }
    const maxFeePerGas = bump(latest.maxFeePerGas, current.maxFeePerGas)
    const maxPriorityFeePerGas = bump(latest.maxPriorityFeePerGas, current.maxPriorityFeePerGas)
    const maxFeePerBlobGas = blob ? bump(latest.maxFeePerBlobGas, current.maxFeePerBlobGas!) : undefined
    if (maxFeePerGas > this.config.maxFeePerGas) {
      this.log.error(`batcher: batch tx ${latest.hash} is stuck and a bump would pay ${maxFeePerGas} wei/gas, above the cap of ${this.config.maxFeePerGas}; waiting`)
      latest.sentAt = Date.now()
      this.setInflight(inflight)
      return
    }
    const attempt = await this.sign({ nonce: inflight.nonce, gas: BigInt(inflight.gas), maxFeePerGas, maxPriorityFeePerGas, maxFeePerBlobGas }, content)
    inflight.attempts.push(attempt)
    // keep the first and the latest few: any of them may be the one mined, older bumps are gone
    if (inflight.attempts.length > MAX_ATTEMPTS_KEPT) inflight.attempts.splice(1, inflight.attempts.length - MAX_ATTEMPTS_KEPT)
    this.setInflight(inflight)
    this.log.info(`batcher: ${latest.hash} not mined after ${this.config.resubmitAfterMs} ms; re-sent as ${attempt.hash} at ${maxFeePerGas} wei/gas`, {
      event: 'batch_tx_resent',
      replaced: latest.hash,
      l1TxHash: attempt.hash,
      maxFeePerGasWei: maxFeePerGas.toString(),
    })
    await this.broadcast(attempt.raw)
  }

  private async fees(blob: boolean): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; maxFeePerBlobGas?: bigint }> {
    const [{ maxFeePerGas, maxPriorityFeePerGas }, blobBaseFee] = await Promise.all([this.l1.estimateFeesPerGas(), blob ? this.l1.getBlobBaseFee() : undefined])
    const cap = this.config.maxFeePerGas
    const fees = { maxFeePerGas: maxFeePerGas > cap ? cap : maxFeePerGas, maxPriorityFeePerGas: maxPriorityFeePerGas > cap ? cap : maxPriorityFeePerGas }
    // the blob base fee can double in a few blocks of full blob space: bid twice today's
    return blobBaseFee === undefined ? fees : { ...fees, maxFeePerBlobGas: blobBaseFee * 2n + 1n }
  }

  /** Signs locally (the key never leaves the process); a blob transaction gets its sidecar (blob.ts). */
  private async sign(p: { nonce: number; gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; maxFeePerBlobGas?: bigint }, content: TxContent): Promise<Attempt> {
    const common = { chainId: this.chainId!, to: this.config.rollupAnchor, data: content.data, nonce: p.nonce, gas: p.gas, maxFeePerGas: p.maxFeePerGas, maxPriorityFeePerGas: p.maxPriorityFeePerGas }
    const fees = { maxFeePerGas: p.maxFeePerGas.toString(), maxPriorityFeePerGas: p.maxPriorityFeePerGas.toString(), sentAt: Date.now() }
    if (content.blobs === undefined) {
      const raw = await this.account.signTransaction({ type: 'eip1559', ...common })
      return { hash: keccak256(raw), raw, ...fees }
    }
    const sidecar = content.sidecar ?? makeSidecar(content.blobs, this.config.blobSidecarVersion)
    // signed without the sidecar (the hash covers the transaction alone), then wrapped with it
    const signed = await this.account.signTransaction({ type: 'eip4844', ...common, blobVersionedHashes: sidecar.versionedHashes, maxFeePerBlobGas: p.maxFeePerBlobGas! })
    return { hash: keccak256(signed), raw: wrapBlobTransaction(signed, sidecar), ...fees, maxFeePerBlobGas: p.maxFeePerBlobGas!.toString() }
  }

  /** Broadcasts; an L1 that already has it (or has mined the nonce) is not an error here. */
  private async broadcast(raw: Hex): Promise<void> {
    try {
      await this.l1.sendRawTransaction({ serializedTransaction: raw })
    } catch (err) {
      const message = l1ErrorText(err)
      if (/already known|already imported|nonce too low|known transaction/i.test(message)) return
      if (raw.startsWith('0x03') && !isUnreachable(err) && /blob|type.?3|transaction type|not supported|unsupported|sidecar|eip-?4844/i.test(message)) {
        // the L1 (or its node) takes no blob transactions: calldata for a while, from a new channel
        this.setInflight(undefined)
        this.setChannel(undefined)
        this.blobsRefusedUntil = Date.now() + BLOB_FALLBACK_MS
        this.loop.noteError(`L1 refuses blob transactions (${message}); posting in calldata for ${BLOB_FALLBACK_MS / 60_000} min`)
        this.log.error(`batcher: L1 refuses blob transactions (${message}); posting in calldata for ${BLOB_FALLBACK_MS / 60_000} min (a channel begun in blobs is posted again)`, { event: 'blobs_refused', error: message })
        this.loop.hurry()
        throw new BlobsRefused(message)
      }
      if (/oversized|exceeds block gas limit|intrinsic gas too (high|low)|max initcode size/i.test(message)) {
        // no retry or fee bump can make the L1 take this transaction: stop rather than spin
        this.setInflight(undefined)
        throw new BatcherError('critical', `L1 refuses the batch transaction for good (${message}); lower l1.maxFrameBytes (calldata frames) to what this L1 accepts`)
      }
      throw err
    }
  }

  private async receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.l1.getTransactionReceipt({ hash })
    } catch (err) {
      if ((err as BaseError).name === 'TransactionReceiptNotFoundError') return undefined
      throw err
    }
  }

  private async known(hash: Hex): Promise<boolean> {
    try {
      await this.l1.getTransaction({ hash })
      return true
    } catch (err) {
      if ((err as BaseError).name === 'TransactionNotFoundError') return false
      throw err
    }
  }

  /** A RollupAnchor view, at the latest L1 block unless `atBlock` is given. */
  private read<const F extends 'batchCount' | 'lastBlock' | 'getBatch' | 'SEQUENCER_ROLE' | 'hasRole' | 'isFinal' | 'channel' | 'channelTimeout'>(functionName: F, args?: readonly unknown[], atBlock?: number) {
    const blockNumber = atBlock === undefined ? undefined : BigInt(atBlock)
    return this.l1.readContract({ address: this.config.rollupAnchor, abi: rollupAnchorAbi, functionName, args, blockNumber } as never) as Promise<ReadResult<F>>
  }
}

type ReadResult<F> = F extends 'getBatch'
  ? L1Batch
  : F extends 'channel'
    ? { acc: Hex; openedAt: bigint; nextFrame: number; closed: boolean }
  : F extends 'hasRole' | 'isFinal'
    ? boolean
    : F extends 'SEQUENCER_ROLE'
      ? Hex
      : bigint

/** The contract error name and arguments when a call reverted, else the error's short message. */
function revertReason(err: unknown): string {
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
    if (revert?.data !== undefined) return `${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(', ')})`
    // a plain eth_estimateGas: the revert data somewhere in the chain, decoded with RollupAnchor's errors
    const withData = err.walk((e) => typeof (e as { data?: unknown }).data === 'string' && /^0x[0-9a-f]{8}/i.test((e as { data: string }).data)) as { data: Hex } | null
    if (withData !== null) {
      try {
        const decoded = decodeErrorResult({ abi: rollupAnchorAbi, data: withData.data })
        return `${decoded.errorName}(${(decoded.args ?? []).map(String).join(', ')})`
      } catch {
        // not one of RollupAnchor's errors
      }
    }
    return err.shortMessage
  }
  return String(err)
}
