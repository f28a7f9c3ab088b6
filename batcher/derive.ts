/**
 * Derivation: rebuilding the L2 chain from L1 alone. Reads RollupAnchor's batches in order, takes
 * each batch's data from its submitBatch calldata, checks it against the hash the contract stored,
 * decodes the blocks and re-executes them on a node that starts from the same genesis; at the end
 * of every batch the rebuilt block hash and state root, and the anchor and withdrawal roots built
 * from the rebuilt blocks' events, must equal what the batch committed to. Block import itself
 * refuses decreasing timestamps and system transactions outside their rules.
 * This is what a replica (and later a challenger) runs; the tests run it to prove that what the
 * batcher posts is enough to rebuild the exact chain.
 */
import { bytesToHex } from '@ethereumjs/util'
import { createPublicClient, decodeFunctionData, http, keccak256, type Hex } from 'viem'
import { rollupAnchorAbi } from './abi.ts'
import { decodeBatch, type BatchBlock } from './codec.ts'
import { MerkleTree } from './merkle.ts'

/** A node that can re-execute blocks (declared here; RunningNode implements it). */
export interface BlockImporter {
  chain: { headNumber: number; byNumber(n: number): { row: { hash: Uint8Array } } | undefined }
  importBlock(block: BatchBlock): Promise<{ number: number; hash: Uint8Array; stateRoot: Uint8Array; anchoredHashes: Uint8Array[]; withdrawalHashes: Uint8Array[] }>
}

export class DivergenceError extends Error {
  override readonly name = 'DivergenceError'
}

export interface DeriveResult {
  batches: number
  /** Blocks re-executed (blocks the importer already had are skipped). */
  imported: number
  head: number
}

/** Fetches and decodes batch `index`'s blocks from L1, checking the data against the stored hash. */
export async function fetchBatch(l1RpcUrl: string, rollupAnchor: Hex, index: number) {
  const l1 = createPublicClient({ transport: http(l1RpcUrl, { retryCount: 2 }) })
  const batch = await l1.readContract({ address: rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [BigInt(index)] })
  const event = rollupAnchorAbi.find((x) => x.type === 'event' && x.name === 'BatchSubmitted')!
  const [log] = await l1.getLogs({
    address: rollupAnchor,
    event: event as Extract<(typeof rollupAnchorAbi)[number], { type: 'event'; name: 'BatchSubmitted' }>,
    args: { batchIndex: BigInt(index) },
    fromBlock: batch.l1BlockNumber,
    toBlock: batch.l1BlockNumber,
  })
  if (log === undefined) throw new DivergenceError(`batch ${index}: no BatchSubmitted event in L1 block ${batch.l1BlockNumber}`)
  const tx = await l1.getTransaction({ hash: log.transactionHash! })
  const { functionName, args } = decodeFunctionData({ abi: rollupAnchorAbi, data: tx.input })
  if (functionName !== 'submitBatch') throw new DivergenceError(`batch ${index}: L1 transaction ${tx.hash} is not a submitBatch call`)
  const data = args[6] as Hex
  if (keccak256(data) !== batch.dataHash) throw new DivergenceError(`batch ${index}: calldata hashes to ${keccak256(data)}, the contract stored ${batch.dataHash}`)
  const blocks = decodeBatch(Buffer.from(data.slice(2), 'hex'))
  if (blocks[0].number !== Number(batch.firstBlock) || blocks[blocks.length - 1].number !== Number(batch.lastBlock)) {
    throw new DivergenceError(`batch ${index}: data holds blocks ${blocks[0].number}-${blocks[blocks.length - 1].number}, the contract says ${batch.firstBlock}-${batch.lastBlock}`)
  }
  return { batch, blocks, l1TxHash: tx.hash }
}

/** Rebuilds every posted block the importer does not have yet; throws DivergenceError on any mismatch. */
export async function deriveFromL1(opts: { l1RpcUrl: string; rollupAnchor: Hex; importer: BlockImporter }): Promise<DeriveResult> {
  const l1 = createPublicClient({ transport: http(opts.l1RpcUrl, { retryCount: 2 }) })
  const count = Number(await l1.readContract({ address: opts.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' }))
  let imported = 0
  for (let index = 0; index < count; index++) {
    const { batch, blocks } = await fetchBatch(opts.l1RpcUrl, opts.rollupAnchor, index)
    if (Number(batch.lastBlock) <= opts.importer.chain.headNumber) {
      // already here (an earlier run): it must still be the block L1 committed to
      const local = opts.importer.chain.byNumber(Number(batch.lastBlock))
      if (local === undefined || bytesToHex(local.row.hash) !== batch.blockHash) {
        throw new DivergenceError(`batch ${index}: local block ${batch.lastBlock} is ${local === undefined ? 'missing' : bytesToHex(local.row.hash)}, L1 committed to ${batch.blockHash}`)
      }
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
    if (last !== undefined) {
      if (bytesToHex(last.hash) !== batch.blockHash) throw new DivergenceError(`batch ${index}: rebuilt block ${batch.lastBlock} has hash ${bytesToHex(last.hash)}, L1 committed to ${batch.blockHash}`)
      if (bytesToHex(last.stateRoot) !== batch.stateRoot) throw new DivergenceError(`batch ${index}: rebuilt state root ${bytesToHex(last.stateRoot)}, L1 committed to ${batch.stateRoot}`)
    }
    if (whole) {
      // the roots L1Bridge pays out against and enterprises verify against must be this batch's own
      const anchorRoot = bytesToHex(new MerkleTree(anchored).root)
      const withdrawalRoot = bytesToHex(new MerkleTree(withdrawals).root)
      if (anchorRoot !== batch.anchorRoot) throw new DivergenceError(`batch ${index}: its anchored hashes give root ${anchorRoot}, L1 holds ${batch.anchorRoot}`)
      if (withdrawalRoot !== batch.withdrawalRoot) throw new DivergenceError(`batch ${index}: its withdrawals give root ${withdrawalRoot}, L1 holds ${batch.withdrawalRoot}`)
    }
  }
  return { batches: count, imported, head: opts.importer.chain.headNumber }
}
