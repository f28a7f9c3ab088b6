/**
 * Blobs or calldata for a channel (`--data-availability auto`, as op-batcher's auto mode): the
 * one that costs less at the L1's current fees, per channel. Calldata frames pay execution gas at
 * EIP-7623's floor for data-heavy transactions (compressed data is almost all non-zero bytes: 40
 * gas per byte), one frame per transaction; blob frames pay the blob base fee for 131,072 blob gas
 * each, six to a transaction. Each transaction also pays its base cost and RollupAnchor's work.
 */
import { BLOB_FRAME_BYTES, GAS_PER_BLOB } from './blob.ts'
import { framesFor } from './channel.ts'

/** Execution gas of one batch transaction besides its data: 21,000 and RollupAnchor's bookkeeping. */
export const TX_OVERHEAD_GAS = 21_000n + 60_000n
/** EIP-7623: a transaction whose data dominates pays at least 10 gas per token, 4 tokens per non-zero byte. */
export const FLOOR_GAS_PER_DATA_BYTE = 40n

export interface DaCosts {
  calldata: bigint
  blobs: bigint
}

/** Wei a channel of `dataBytes` costs each way at the given fees (per gas and per blob gas). */
export function daCosts(p: { dataBytes: number; gasPrice: bigint; blobBaseFee: bigint; maxFrameBytes: number; maxBlobsPerTx: number }): DaCosts {
  const calldataFrames = framesFor(p.dataBytes, p.maxFrameBytes)
  const calldataGas = BigInt(calldataFrames) * TX_OVERHEAD_GAS + FLOOR_GAS_PER_DATA_BYTE * BigInt(p.dataBytes + 24 * calldataFrames)
  const blobs = framesFor(p.dataBytes, BLOB_FRAME_BYTES)
  const blobTxs = Math.ceil(blobs / p.maxBlobsPerTx)
  return {
    calldata: calldataGas * p.gasPrice,
    blobs: BigInt(blobTxs) * TX_OVERHEAD_GAS * p.gasPrice + BigInt(blobs) * GAS_PER_BLOB * p.blobBaseFee,
  }
}

export function cheaperDa(costs: DaCosts): 'blobs' | 'calldata' {
  return costs.blobs <= costs.calldata ? 'blobs' : 'calldata'
}
