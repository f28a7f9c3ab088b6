/**
 * A batch's channel as L1 holds it: the transaction that recorded the batch (submitBatch or
 * submitChannel), the appendFrames transactions before it, their frames (calldata from the
 * transactions' input, blobs from a blob source) and what they cost. Used by derivation (to
 * rebuild the blocks) and by the batcher (to account the L1 cost of each batch).
 *
 * The frames are reassembled with channel.ts's ChannelAssembler (any order, duplicates and
 * conflicts refused) and their chained hashes must equal the batch's dataHash.
 */
import { decodeFunctionData, keccak256, type Hex, type PublicClient, type Transaction } from 'viem'
import { rollupAnchorAbi } from './abi.ts'
import type { L1Batch } from './l1-batch.ts'
import { ChannelAssembler, decodeFrame, FrameError, frameCommitment, type L1Frame } from './channel.ts'
import { BLOB_BYTES, blobToBytes, type BlobSource } from './blob.ts'
import { DivergenceError } from './errors.ts'

export { BLOB_BYTES, type BlobSource }

/** One L1 transaction of a channel. */
export interface ChannelTx {
  hash: Hex
  l1Block: number
  gasUsed: bigint
  /** Wei: execution gas × effective price, plus blob gas × blob gas price. */
  fee: bigint
  calldataFrames: number
  blobs: number
  /** Bytes of frames in calldata plus BLOB_BYTES per blob. */
  dataBytes: number
}

export interface ChannelOnL1 {
  /** The transactions in L1 order, the recording one last. */
  txs: ChannelTx[]
  /** The channel's data (the batch encoding) when frames were read (`withData`). */
  data?: Uint8Array
}

const event = (name: 'BatchSubmitted' | 'FramesAppended') =>
  rollupAnchorAbi.find((x) => x.type === 'event' && x.name === name) as Extract<(typeof rollupAnchorAbi)[number], { type: 'event'; name: typeof name }>

interface Carried {
  tx: Transaction
  l1Block: number
  blockHash: Hex
  channelId: Hex | undefined
  firstFrame: number
  calldata: Hex[]
  blobHashes: Hex[]
}

/** The frames a RollupAnchor call carries (calldata frames, then this transaction's blobs). */
function carried(tx: Transaction, index: number): Carried {
  let decoded
  try {
    decoded = decodeFunctionData({ abi: rollupAnchorAbi, data: tx.input })
  } catch {
    throw new DivergenceError(`batch ${index}: L1 transaction ${tx.hash} is not a RollupAnchor call`)
  }
  const base = { tx, l1Block: Number(tx.blockNumber), blockHash: tx.blockHash! }
  const blobsOf = (count: bigint) => {
    const hashes = (tx.blobVersionedHashes ?? []).slice(0, Number(count))
    if (hashes.length !== Number(count)) throw new DivergenceError(`batch ${index}: L1 transaction ${tx.hash} records ${count} blobs and carries ${hashes.length}`)
    return hashes
  }
  switch (decoded.functionName) {
    case 'submitBatch':
      return { ...base, channelId: undefined, firstFrame: 0, calldata: [decoded.args[6]], blobHashes: [] }
    case 'submitChannel': {
      const [, channelId, firstFrame, frames, blobCount] = decoded.args
      return { ...base, channelId, firstFrame, calldata: [...frames], blobHashes: blobsOf(blobCount) }
    }
    case 'appendFrames': {
      const [channelId, firstFrame, frames, blobCount] = decoded.args
      return { ...base, channelId, firstFrame, calldata: [...frames], blobHashes: blobsOf(blobCount) }
    }
    default:
      throw new DivergenceError(`batch ${index}: L1 transaction ${tx.hash} calls ${decoded.functionName}, which carries no frames`)
  }
}

const frameHashes = (c: Carried): Hex[] => [...c.calldata.map((f) => keccak256(f)), ...c.blobHashes]

/**
 * The channel of batch `index` (as getBatch returned it): finds the transaction whose frames chain
 * to the stored dataHash (after a dispute one L1 block may hold several submissions of an index),
 * the appendFrames transactions before it, and with `withData` the frames' bytes, reassembled.
 * Throws DivergenceError when L1 holds no such channel or its frames do not make one.
 */
export async function readChannel(
  l1: PublicClient,
  rollupAnchor: Hex,
  index: number,
  batch: L1Batch,
  opts: { withData: boolean; blobs?: BlobSource },
): Promise<ChannelOnL1> {
  const logs = await l1.getLogs({ address: rollupAnchor, event: event('BatchSubmitted'), args: { batchIndex: BigInt(index) }, fromBlock: batch.l1BlockNumber, toBlock: batch.l1BlockNumber })
  for (const log of logs) {
    const tx = await l1.getTransaction({ hash: log.transactionHash! })
    const last = carried(tx, index)
    let parts = [last]
    if (last.firstFrame > 0) {
      const ch = await l1.readContract({ address: rollupAnchor, abi: rollupAnchorAbi, functionName: 'channel', args: [last.channelId!] })
      const appended = await l1.getLogs({ address: rollupAnchor, event: event('FramesAppended'), args: { channelId: last.channelId! }, fromBlock: ch.openedAt, toBlock: batch.l1BlockNumber })
      const before = appended.filter((a) => a.blockNumber! < batch.l1BlockNumber || (a.blockNumber === batch.l1BlockNumber && a.logIndex! < log.logIndex!))
      const txs = await Promise.all(before.map((a) => l1.getTransaction({ hash: a.transactionHash! })))
      parts = [...txs.map((t) => carried(t, index)), last]
    }
    // the contract took them in frame order: the chained hashes must give the stored dataHash
    const ordered = [...parts].sort((a, b) => a.firstFrame - b.firstFrame)
    const hashes = ordered.flatMap(frameHashes)
    if (ordered.some((p, i) => p.firstFrame !== ordered.slice(0, i).reduce((n, q) => n + q.calldata.length + q.blobHashes.length, 0))) continue
    if (`0x${Buffer.from(frameCommitment(hashes.map(hexBytes))).toString('hex')}` !== batch.dataHash.toLowerCase()) continue
    const txs = await costs(l1, parts)
    if (!opts.withData) return { txs }
    return { txs, data: await reassemble(index, parts, opts.blobs) }
  }
  throw new DivergenceError(`batch ${index}: no transaction in L1 block ${batch.l1BlockNumber} carries frames whose hashes chain to ${batch.dataHash}`)
}

async function costs(l1: PublicClient, parts: Carried[]): Promise<ChannelTx[]> {
  const receipts = await Promise.all(parts.map((p) => l1.getTransactionReceipt({ hash: p.tx.hash })))
  return parts.map((p, i) => {
    const r = receipts[i]
    const blobFee = (r.blobGasUsed ?? 0n) * (r.blobGasPrice ?? 0n)
    return {
      hash: p.tx.hash,
      l1Block: p.l1Block,
      gasUsed: r.gasUsed,
      fee: r.gasUsed * r.effectiveGasPrice + blobFee,
      calldataFrames: p.calldata.length,
      blobs: p.blobHashes.length,
      dataBytes: p.calldata.reduce((n, f) => n + (f.length - 2) / 2, 0) + p.blobHashes.length * BLOB_BYTES,
    }
  })
}

/** The frames' bytes, reassembled into the channel's data. */
async function reassemble(index: number, parts: Carried[], blobSource: BlobSource | undefined): Promise<Uint8Array> {
  // the contract refuses frames after the timeout; the assembler needs none of its own here
  const assembler = new ChannelAssembler(Number.MAX_SAFE_INTEGER)
  let done: Uint8Array | undefined
  const blobBytes = await Promise.all(
    parts.map((p) => {
      if (p.blobHashes.length === 0) return []
      if (blobSource === undefined) throw new DivergenceError(`batch ${index}: its frames are in blobs (L1 transaction ${p.tx.hash}) and no blob source is configured (--l1-beacon)`)
      return blobSource.blobs({ number: BigInt(p.l1Block), hash: p.blockHash }, p.blobHashes)
    }),
  )
  for (const [k, p] of parts.entries()) {
    const frames: L1Frame[] = []
    try {
      for (const f of p.calldata) frames.push({ frame: decodeFrame(hexBytes(f)), hash: hexBytes(keccak256(f)), l1Block: p.l1Block })
      blobBytes[k].forEach((content, i) => frames.push({ frame: decodeFrame(blobToBytes(content), true), hash: hexBytes(p.blobHashes[i]), l1Block: p.l1Block }))
      for (const [i, f] of frames.entries()) {
        if (f.frame.number !== p.firstFrame + i) throw new FrameError(`frame ${p.firstFrame + i} of L1 transaction ${p.tx.hash} says it is frame ${f.frame.number}`)
        if (p.channelId !== undefined && `0x${Buffer.from(f.frame.channelId).toString('hex')}` !== p.channelId.toLowerCase()) {
          throw new FrameError(`frame ${f.frame.number} of L1 transaction ${p.tx.hash} belongs to channel 0x${Buffer.from(f.frame.channelId).toString('hex')}, the call says ${p.channelId}`)
        }
        const out = assembler.add(f)
        if (out !== undefined) done = out.data
      }
    } catch (err) {
      if (err instanceof FrameError) throw new DivergenceError(`batch ${index}: ${err.message}`)
      throw err
    }
  }
  if (done === undefined) throw new DivergenceError(`batch ${index}: its frames do not end with a last frame`)
  return done
}

const hexBytes = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))
