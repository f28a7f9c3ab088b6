/**
 * Derivation: the L2 chain from L1 alone. Reads RollupAnchor's batches in order, takes each
 * batch's channel from L1 (channel-l1.ts: the frames of its submitBatch / submitChannel and earlier
 * appendFrames transactions, calldata frames from their input and blob frames from a blob source,
 * reassembled in frame order and checked against the chained hashes the contract stored), decodes
 * the blocks and re-executes them on a node that starts from the same genesis; at the end
 * of every batch the block hash and state root, and the anchor and withdrawal roots built from the
 * blocks' events, must equal what the batch committed to. Block import itself refuses decreasing
 * timestamps and system transactions outside their rules.
 *
 * Two ways to run it: `deriveFromL1` once (scripts/rebuild-from-l1.ts, the tests), and
 * `Derivation`, the replica's service, which follows L1 on an L1Loop (docs/ARCHITECTURE.md rule 5):
 *   1. reconcile: every batch it derived that is not final yet is compared with what L1 holds now
 *      (blockHash, stateRoot, dataHash); one that changed or is gone (an L1 reorg, a dispute that
 *      deleted batches and let their indices be reused, batchCount shrinking) rewinds the chain to
 *      the last block of the last batch still on L1 (a reset);
 *   2. derive the next batches: a block the node already holds (an `unsafe` block from the
 *      sequencer's feed) is kept when its content (timestamp, coinbase, transactions) is the
 *      batch's, else the chain is rewound to its parent and L1's block is executed instead (L1
 *      wins); blocks it does not hold are executed;
 *   3. heads: `safe` = the last block of the last batch with `confirmations` L1 blocks, `finalized`
 *      = the last block of the last batch RollupAnchor.isFinal says is final.
 * A batch L1 holds that does not decode, re-execute or match its commitments is wrong (or this
 * node is): derivation holds at it, says so at ERROR and keeps watching L1 (`divergence()`). A
 * validator challenges it (validator/validator.ts); once the committee deletes it (BatchesDeleted)
 * or an L1 reorg replaces it, derivation goes on with what L1 holds at that index. Nothing after
 * a held batch is derived: its blocks would build on a state L1 got wrong.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createPublicClient, http, type Hex, type PublicClient } from 'viem'
import { rollupAnchorAbi } from './abi.ts'
import { postedBatch, type BatchLedger, type HeadSink, type L1Batch, type PostedBatch, type SourceBlock } from './batcher.ts'
import { BeaconBlobSource } from './blob.ts'
import { readChannel, type BlobSource, type ChannelTx } from './channel-l1.ts'
import { BatchDecodeError, decodeBatch, type BatchBlock } from './codec.ts'
import { DivergenceError } from './errors.ts'
import { L1Failure, L1Loop, type L1Health, type Logger } from './l1-loop.ts'
import { MerkleTree } from './merkle.ts'
import { moveHeads } from './heads.ts'

/** A node that can re-execute blocks (declared here; RunningNode implements it). */
export interface BlockImporter {
  chain: { headNumber: number; byNumber(n: number): { row: { hash: Uint8Array } } | undefined }
  importBlock(block: BatchBlock): Promise<{ number: number; hash: Uint8Array; stateRoot: Uint8Array; anchoredHashes: Uint8Array[]; withdrawalHashes: Uint8Array[] }>
}

export { DivergenceError }

/** A batch whose blocks re-execute but end elsewhere than it says: this node's own results. */
class BatchMismatchError extends DivergenceError {
  constructor(
    message: string,
    readonly own: Pick<L1Batch, 'stateRoot' | 'blockHash' | 'withdrawalRoot' | 'anchorRoot'>,
  ) {
    super(message)
  }
}

/**
 * A batch L1 holds that this node cannot reproduce, where derivation holds. `own` is the batch as
 * this node computes it (L1's record with its own state root, block hash and roots), present when
 * the blocks re-executed; absent when they do not decode or execute at all.
 */
export interface Divergence {
  batchIndex: number
  /** L1's record of the batch when it was found wrong. */
  batch: L1Batch
  reason: string
  own?: L1Batch
  /** When it was found (ms since the epoch). */
  at: number
}

export interface DeriveResult {
  batches: number
  /** Blocks re-executed (blocks the importer already had are skipped). */
  imported: number
  head: number
}

/** Where blob frames are read: `l1BeaconUrl`, else the L1 RPC URL (Anvil serves the blobs API there). */
export function blobSourceFor(l1RpcUrl: string, l1BeaconUrl?: string): BlobSource {
  return new BeaconBlobSource(l1BeaconUrl ?? l1RpcUrl)
}

/** Fetches and decodes batch `index`'s blocks from L1, checking its frames against the stored dataHash. */
export async function fetchBatch(l1RpcUrl: string, rollupAnchor: Hex, index: number, l1BeaconUrl?: string) {
  const l1 = createPublicClient({ transport: http(l1RpcUrl, { retryCount: 2 }) })
  const batch = (await l1.readContract({ address: rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [BigInt(index)] })) as L1Batch
  return { batch, ...(await fetchBatchData(l1, rollupAnchor, index, batch, blobSourceFor(l1RpcUrl, l1BeaconUrl))) }
}

/** The blocks of a batch already read with getBatch, from its channel's frames, and its L1 transactions. */
export async function fetchBatchData(
  l1: PublicClient,
  rollupAnchor: Hex,
  index: number,
  batch: L1Batch,
  blobs: BlobSource,
): Promise<{ blocks: BatchBlock[]; l1TxHash: Hex; dataBytes: number; txs: ChannelTx[] }> {
  const { txs, data } = await readChannel(l1, rollupAnchor, index, batch, { withData: true, blobs })
  const blocks = decodeBatch(data!)
  if (blocks[0].number !== Number(batch.firstBlock) || blocks[blocks.length - 1].number !== Number(batch.lastBlock)) {
    throw new DivergenceError(`batch ${index}: data holds blocks ${blocks[0].number}-${blocks[blocks.length - 1].number}, the contract says ${batch.firstBlock}-${batch.lastBlock}`)
  }
  return { blocks, l1TxHash: txs[txs.length - 1].hash, dataBytes: txs.reduce((n, t) => n + t.dataBytes, 0), txs }
}

/** The roots L1Bridge pays out against and enterprises verify against must be the batch's own. */
function checkRoots(index: number, batch: L1Batch, anchored: Uint8Array[], withdrawals: Uint8Array[]): void {
  const anchorRoot = bytesToHex(new MerkleTree(anchored).root)
  const withdrawalRoot = bytesToHex(new MerkleTree(withdrawals).root)
  if (anchorRoot !== batch.anchorRoot) throw new DivergenceError(`batch ${index}: its anchored hashes give root ${anchorRoot}, L1 holds ${batch.anchorRoot}`)
  if (withdrawalRoot !== batch.withdrawalRoot) throw new DivergenceError(`batch ${index}: its withdrawals give root ${withdrawalRoot}, L1 holds ${batch.withdrawalRoot}`)
}

function checkEnd(index: number, batch: L1Batch, last: { hash: Uint8Array; stateRoot: Uint8Array }): void {
  if (bytesToHex(last.hash) !== batch.blockHash) throw new DivergenceError(`batch ${index}: block ${batch.lastBlock} has hash ${bytesToHex(last.hash)}, L1 committed to ${batch.blockHash}`)
  if (bytesToHex(last.stateRoot) !== batch.stateRoot) throw new DivergenceError(`batch ${index}: state root ${bytesToHex(last.stateRoot)} at block ${batch.lastBlock}, L1 committed to ${batch.stateRoot}`)
}

/** Rebuilds every posted block the importer does not have yet, once; throws DivergenceError on any mismatch. */
export async function deriveFromL1(opts: {
  l1RpcUrl: string
  l1BeaconUrl?: string
  rollupAnchor: Hex
  importer: BlockImporter
  /** After each batch: batches done of `batches`, blocks re-executed so far (scripts/rebuild-from-l1.ts shows it). */
  onBatch?: (done: number, batches: number, imported: number) => void
}): Promise<DeriveResult> {
  const l1 = createPublicClient({ transport: http(opts.l1RpcUrl, { retryCount: 2 }) })
  const count = Number(await l1.readContract({ address: opts.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' }))
  let imported = 0
  for (let index = 0; index < count; index++) {
    const { batch, blocks } = await fetchBatch(opts.l1RpcUrl, opts.rollupAnchor, index, opts.l1BeaconUrl)
    if (Number(batch.lastBlock) <= opts.importer.chain.headNumber) {
      // already here (an earlier run): it must still be the block L1 committed to
      const local = opts.importer.chain.byNumber(Number(batch.lastBlock))
      if (local === undefined || bytesToHex(local.row.hash) !== batch.blockHash) {
        throw new DivergenceError(`batch ${index}: local block ${batch.lastBlock} is ${local === undefined ? 'missing' : bytesToHex(local.row.hash)}, L1 committed to ${batch.blockHash}`)
      }
      opts.onBatch?.(index + 1, count, imported)
      continue
    }
    const whole = blocks[0].number > opts.importer.chain.headNumber
    let last: { hash: Uint8Array; stateRoot: Uint8Array } | undefined
    const anchored: Uint8Array[] = []
    const withdrawals: Uint8Array[] = []
    for (const block of blocks) {
      if (block.number <= opts.importer.chain.headNumber) continue
      const result = await opts.importer.importBlock(block)
      anchored.push(...result.anchoredHashes)
      withdrawals.push(...result.withdrawalHashes)
      last = result
      imported++
    }
    if (last !== undefined) checkEnd(index, batch, last)
    if (whole) checkRoots(index, batch, anchored, withdrawals)
    opts.onBatch?.(index + 1, count, imported)
  }
  return { batches: count, imported, head: opts.importer.chain.headNumber }
}

// ---- the replica's service ----

/**
 * The replica's chain as derivation drives it (declared here; node.ts implements it on the
 * node's store, builder and services' indexes).
 */
export interface DerivationTarget {
  headNumber(): number
  /** A block the node holds, with its content in the batch encoding's terms. */
  block(number: number): SourceBlock | undefined
  importBlock(block: BatchBlock): Promise<{ hash: Uint8Array; stateRoot: Uint8Array }>
  /** Deletes every block after `number` (durably, in one sqlite transaction) and resets the state to its root. */
  rewindTo(number: number): Promise<void>
  anchoredHashes(first: number, last: number): Uint8Array[]
  withdrawalHashes(first: number, last: number): Uint8Array[]
  /** Runs `fn` while nothing else writes the chain (the sealed-block feed waits). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
}

/** The ledger's part derivation uses: the batches derived so far, L1's view of them (batcher/ledger.ts). */
export type DerivationLedger = Pick<BatchLedger, 'lastBatch' | 'putBatch' | 'deleteBatchesFrom' | 'batch' | 'firstBatchAfterL1Block' | 'batchCovering'>

export interface DerivationConfig {
  l1RpcUrl: string
  /** Where blob frames are read (blob.ts BeaconBlobSource); absent: l1RpcUrl. */
  l1BeaconUrl?: string
  rollupAnchor: Hex
  /** L1 blocks a batch needs (its own included) before its L2 blocks are `safe`. */
  confirmations: number
  /** How often it looks at L1 (ms). */
  pollIntervalMs: number
  /** After this long without a successful L1 call (ms) it warns, then once a minute (l1-loop.ts). */
  unreachableWarnAfterMs: number
}

export interface DerivationStatus extends L1Health {
  running: boolean
  /** Batches derived and checked against L1 (the last one's index, null before the first). */
  lastBatchIndex: number | null
  /** L2 block up to which the chain is L1's. */
  derivedBlock: number
  l1BatchCount: number | null
  /** L2 transactions re-executed from L1 data since start (feed blocks L1 confirmed are not counted). */
  txsExecuted: number
  blocksExecuted: number
  /** Unsafe blocks dropped because L1 said otherwise, and rewinds for a changed or deleted batch. */
  unsafeBlocksDropped: number
  l1Resets: number
  lastError: { message: string; at: number } | null
  /** The batch derivation holds at because it does not reproduce (null when none): README "Replicas". */
  heldBatch: { index: number; reason: string; since: number } | null
}

/** Batches read and derived per step (the loop hurries while more are waiting). */
const DERIVE_BATCHES_PER_STEP = 32

export class Derivation {
  readonly name = 'derivation'
  private readonly l1: PublicClient
  private readonly blobs: BlobSource
  private readonly loop: L1Loop
  private checked = false
  private l1BatchCount: number | null = null
  private stats = { txsExecuted: 0, blocksExecuted: 0, unsafeBlocksDropped: 0, l1Resets: 0 }
  private held: Divergence | null = null

  constructor(
    private readonly config: DerivationConfig,
    private readonly target: DerivationTarget,
    private readonly ledger: DerivationLedger,
    private readonly heads: HeadSink,
    private readonly log: Logger,
  ) {
    // JSON-RPC batching: the per-batch comparisons of a step go out as one HTTP request
    this.l1 = createPublicClient({ transport: http(config.l1RpcUrl, { retryCount: 0, timeout: 15_000, batch: { batchSize: 200, wait: 0 } }) })
    this.blobs = blobSourceFor(config.l1RpcUrl, config.l1BeaconUrl)
    this.loop = new L1Loop({
      name: this.name,
      pollIntervalMs: config.pollIntervalMs,
      log,
      step: () => this.step(),
      onCritical: (message) => log.error(`derivation stopped: ${message}`, { event: 'service_stopped', service: this.name, reason: message }),
      unreachableWarnAfterMs: config.unreachableWarnAfterMs,
      whileDown: 'no block becomes safe or finalized, and nothing is derived from L1',
    })
  }

  start(): void {
    this.loop.start()
  }

  stop(): Promise<void> {
    return this.loop.stop()
  }

  health(): { name: string; ok: boolean; detail: string } {
    const down = this.loop.downDetail()
    if (down !== null) return { name: this.name, ok: false, detail: down }
    if (this.held !== null) return { name: this.name, ok: false, detail: `holding at L1 batch ${this.held.batchIndex}, which this node cannot reproduce: ${this.held.reason}` }
    return { name: this.name, ok: this.loop.isRunning, detail: this.loop.lastError?.message ?? `derived up to L2 block ${this.ledger.lastBatch()?.lastBlock ?? 0}` }
  }

  status(): DerivationStatus {
    const last = this.ledger.lastBatch()
    return {
      running: this.loop.isRunning,
      ...this.loop.l1Health(),
      lastBatchIndex: last?.batchIndex ?? null,
      derivedBlock: last?.lastBlock ?? 0,
      l1BatchCount: this.l1BatchCount,
      ...this.stats,
      lastError: this.loop.lastError,
      heldBatch: this.held === null ? null : { index: this.held.batchIndex, reason: this.held.reason, since: this.held.at },
    }
  }

  /** The L1 batch derivation holds at because it does not reproduce, or null. */
  divergence(): Divergence | null {
    return this.held
  }

  /** Runs one step now (tests, benchmarks); errors are thrown, not retried. */
  async stepOnce(): Promise<void> {
    await this.step()
  }

  /** The L1 head as of the last step (undefined before the first): what anchoring answers count confirmations against. */
  l1HeadNumber(): number | undefined {
    return this.l1Head
  }

  private l1Head: number | undefined

  private async step(): Promise<void> {
    try {
      if (!this.checked) await this.checkL1()
      const l1Head = await this.l1.getBlock({ blockTag: 'latest' })
      this.l1Head = Number(l1Head.number)
      const count = Number(await this.read('batchCount'))
      this.l1BatchCount = count
      await this.reconcile(count, Number(l1Head.number))
      const more = await this.deriveNext(count)
      await this.moveHeads(Number(l1Head.number))
      if (more) this.loop.hurry()
    } catch (err) {
      // L1 holds something this node cannot reproduce: no retry changes that
      if (err instanceof DivergenceError || err instanceof BatchDecodeError || err instanceof ImportError) {
        throw new L1Failure('critical', `${err.message}: this node cannot reproduce the chain RollupAnchor ${this.config.rollupAnchor} records`, { cause: err })
      }
      throw err
    }
  }

  private async checkL1(): Promise<void> {
    const code = await this.l1.getCode({ address: this.config.rollupAnchor })
    if (code === undefined || code === '0x') {
      throw new L1Failure('critical', `no contract at RollupAnchor address ${this.config.rollupAnchor} on ${this.config.l1RpcUrl}: check the deployments file`)
    }
    this.checked = true
    this.log.info(`derivation: following RollupAnchor ${this.config.rollupAnchor} on ${this.config.l1RpcUrl}`)
  }

  /**
   * What L1 took back since the last step. Every derived batch that is not final, and every one
   * still within the confirmation depth, is compared with L1's record: the first one gone or
   * changed (another block hash, state root or data) and everything after it are forgotten, and
   * the chain goes back to the last block L1 still confirms. A batch only re-mined in another L1
   * block (same commitment) keeps its blocks; its row is updated (safe counts from its L1 block).
   */
  private async reconcile(count: number, l1Head: number): Promise<void> {
    const last = this.ledger.lastBatch()
    if (last === undefined) return
    const finalized = this.heads.headOf('finalized')
    const firstNotFinal = this.ledger.batchCovering(finalized + 1)?.batchIndex ?? last.batchIndex
    const firstShallow = this.ledger.firstBatchAfterL1Block(l1Head - this.config.confirmations) ?? last.batchIndex
    const from = Math.min(firstNotFinal, firstShallow, last.batchIndex)
    let firstBad: number | undefined = last.batchIndex >= count ? count : undefined
    const until = Math.min(last.batchIndex, count - 1)
    const indices = Array.from({ length: Math.max(0, until - from + 1) }, (_, i) => from + i)
    const onL1 = await Promise.all(indices.map((i) => this.read('getBatch', [BigInt(i)])))
    for (const [k, index] of indices.entries()) {
      if (firstBad !== undefined && index >= firstBad) break
      const local = this.ledger.batch(index)!
      const now = onL1[k]
      const same = now.blockHash.toLowerCase() === bytesToHex(local.blockHash) && now.stateRoot.toLowerCase() === bytesToHex(local.stateRoot) && now.dataHash.toLowerCase() === bytesToHex(local.dataHash)
      if (!same) {
        firstBad = index
        break
      }
      if (Number(now.l1BlockNumber) !== local.l1BlockNumber || Number(now.submittedAt) !== local.submittedAt) {
        this.ledger.putBatch({ ...local, l1BlockNumber: Number(now.l1BlockNumber), submittedAt: Number(now.submittedAt), challengeWindow: Number(now.challengeWindow) })
      }
    }
    if (firstBad === undefined) return
    const keep = firstBad === 0 ? 0 : this.ledger.batch(firstBad - 1)!.lastBlock
    this.stats.l1Resets++
    this.log.info(`derivation: L1 batch ${firstBad} ${firstBad >= count ? 'is gone' : 'changed'} (L1 has ${count} batches; an L1 reorg or a dispute): back to L2 block ${keep}, the last one L1 still confirms`)
    await this.target.exclusive(async () => {
      this.ledger.deleteBatchesFrom(firstBad!)
      if (this.target.headNumber() > keep) await this.target.rewindTo(keep)
    })
  }

  /** Derives the next batches L1 holds; true when more are waiting. */
  private async deriveNext(count: number): Promise<boolean> {
    const from = (this.ledger.lastBatch()?.batchIndex ?? -1) + 1
    if (this.held !== null && !(await this.heldIsGone(from, count))) return false
    const until = Math.min(count, from + DERIVE_BATCHES_PER_STEP)
    const indices = Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i)
    const batches = await Promise.all(indices.map((i) => this.read('getBatch', [BigInt(i)])))
    // calldata and receipts fetched for all of them at once (batched), executed in order; a
    // batch whose data is wrong is held at when its turn comes, not before
    const data = await Promise.all(indices.map((index, k) => fetchBatchData(this.l1, this.config.rollupAnchor, index, batches[k], this.blobs).catch((err: unknown) => err as Error)))
    for (const [k, index] of indices.entries()) {
      const d = data[k]
      try {
        if (d instanceof Error) throw d
        await this.target.exclusive(() => this.apply(index, batches[k], d.blocks))
      } catch (err) {
        if (!(err instanceof DivergenceError || err instanceof BatchDecodeError || err instanceof ImportError)) throw err
        this.hold(index, batches[k], err)
        return false
      }
      const b = batches[k]
      const first = Number(b.firstBlock)
      const lastBlock = Number(b.lastBlock)
      const txs = d.blocks.reduce((n, blk) => n + blk.txs.length, 0)
      this.ledger.putBatch(
        postedBatch(index, b, {
          l1TxHash: d.l1TxHash,
          dataBytes: d.dataBytes,
          l2TxCount: txs,
          l1GasUsed: d.txs.reduce((n, t) => n + Number(t.gasUsed), 0),
          l1Fee: d.txs.reduce((n, t) => n + t.fee, 0n),
        }),
      )
      this.log.debug(`derivation: batch ${index} (L2 blocks ${first}-${lastBlock}) matches L1`, { event: 'batch_derived', batchIndex: index, firstBlock: first, lastBlock, txs, bytes: d.dataBytes, l1TxHash: d.l1TxHash })
    }
    return until < count
  }

  /**
   * Holds at batch `index`: L1 records something this node does not reproduce. Its blocks stay
   * as they are (the next batch at this index decides: same content is kept, other content wins).
   */
  private hold(index: number, batch: L1Batch, err: Error): void {
    const own = err instanceof BatchMismatchError ? { ...batch, ...err.own } : undefined
    this.held = { batchIndex: index, batch, reason: err.message, own, at: Date.now() }
    this.log.error(`derivation: L1 batch ${index} (L2 blocks ${batch.firstBlock}-${batch.lastBlock}) does not reproduce: ${err.message}. Holding there until L1 replaces or deletes it (a validator challenges it)`, {
      event: 'batch_held',
      batchIndex: index,
      firstBlock: Number(batch.firstBlock),
      lastBlock: Number(batch.lastBlock),
      reason: err.message,
    })
  }

  /** Whether the held batch left L1 (deleted by a dispute, or replaced by an L1 reorg): then derivation goes on. */
  private async heldIsGone(from: number, count: number): Promise<boolean> {
    const held = this.held!
    let gone = held.batchIndex !== from || count <= from
    if (!gone) {
      const now = await this.read('getBatch', [BigInt(from)])
      gone = now.l1BlockNumber !== held.batch.l1BlockNumber || now.dataHash !== held.batch.dataHash || now.stateRoot !== held.batch.stateRoot || now.blockHash !== held.batch.blockHash
    }
    if (gone) {
      this.log.info(`derivation: held L1 batch ${held.batchIndex} is gone from L1 (L1 has ${count} batches): deriving what L1 holds now`)
      this.held = null
    }
    return gone
  }

  /** Brings the chain to batch `index`'s blocks (L1 wins over unsafe blocks) and checks its commitments. */
  private async apply(index: number, batch: L1Batch, blocks: BatchBlock[]): Promise<void> {
    let last: { hash: Uint8Array; stateRoot: Uint8Array } | undefined
    for (const block of blocks) {
      if (block.number <= this.target.headNumber()) {
        const local = this.target.block(block.number)!
        if (sameContent(local, block)) {
          last = local
          continue
        }
        const dropped = this.target.headNumber() - block.number + 1
        this.stats.unsafeBlocksDropped += dropped
        this.log.info(`derivation: unsafe block ${block.number} (${bytesToHex(local.hash)}) is not what L1 batch ${index} holds: dropping ${dropped} unsafe blocks, L1 wins`)
        await this.target.rewindTo(block.number - 1)
      }
      if (block.number !== this.target.headNumber() + 1) throw new DivergenceError(`batch ${index}: block ${block.number} does not follow the chain's head ${this.target.headNumber()}`)
      try {
        last = await this.target.importBlock(block)
      } catch (err) {
        throw new ImportError(`batch ${index}: ${(err as Error).message}`, { cause: err })
      }
      this.stats.blocksExecuted++
      this.stats.txsExecuted += block.txs.length
    }
    const first = blocks[0].number
    const lastNumber = blocks[blocks.length - 1].number
    const own = {
      stateRoot: bytesToHex(last!.stateRoot),
      blockHash: bytesToHex(last!.hash),
      anchorRoot: bytesToHex(new MerkleTree(this.target.anchoredHashes(first, lastNumber)).root),
      withdrawalRoot: bytesToHex(new MerkleTree(this.target.withdrawalHashes(first, lastNumber)).root),
    }
    try {
      checkEnd(index, batch, last!)
      checkRoots(index, batch, this.target.anchoredHashes(first, lastNumber), this.target.withdrawalHashes(first, lastNumber))
    } catch (err) {
      throw new BatchMismatchError((err as Error).message, own)
    }
  }

  /** safe and finalized as the batches on L1 place them (heads.ts, shared with the batcher). */
  private moveHeads(l1Head: number): Promise<void> {
    return moveHeads(this.ledger, this.heads, l1Head, this.config.confirmations, (i) => this.read('isFinal', [BigInt(i)]), this.log, 'derivation')
  }

  private read<const F extends 'batchCount' | 'getBatch' | 'isFinal'>(functionName: F, args?: readonly unknown[]) {
    return this.l1.readContract({ address: this.config.rollupAnchor, abi: rollupAnchorAbi, functionName, args } as never) as Promise<
      F extends 'getBatch' ? L1Batch : F extends 'isFinal' ? boolean : bigint
    >
  }
}

/** A batch block that the node cannot execute (a transaction fails, a rule is broken). */
class ImportError extends Error {
  override readonly name = 'ImportError'
}

/** Same timestamp, coinbase and transactions: the same block once executed. */
function sameContent(local: BatchBlock, block: BatchBlock): boolean {
  if (local.timestamp !== block.timestamp || Buffer.compare(local.coinbase, block.coinbase) !== 0 || local.txs.length !== block.txs.length) return false
  return local.txs.every((tx, i) => Buffer.compare(tx, block.txs[i]) === 0)
}
