/**
 * Domain objects to the JSON shapes of the execution-apis spec: quantities as minimal hex,
 * data as lowercase hex, fields present or absent per transaction type exactly as the spec
 * (and geth) have them. The tests validate these shapes against the spec's schemas.
 */
import type { BlockHeader } from '@ethereumjs/block'
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import type { LogRow, TxRow } from '../store/store.ts'

export const q = (n: bigint | number): string => `0x${n.toString(16)}`
export const hex = (b: Uint8Array): string => bytesToHex(b)

/** Where a transaction sits, if it has been mined. */
export interface TxPosition {
  blockHash: Uint8Array
  blockNumber: bigint
  blockTimestamp: bigint
  index: number
  baseFee: bigint
}

export function formatBlock(header: BlockHeader, hash: Uint8Array, size: number, transactions: unknown[]) {
  return {
    number: q(header.number),
    hash: hex(hash),
    parentHash: hex(header.parentHash),
    nonce: hex(header.nonce),
    sha3Uncles: hex(header.uncleHash),
    logsBloom: hex(header.logsBloom),
    transactionsRoot: hex(header.transactionsTrie),
    stateRoot: hex(header.stateRoot),
    receiptsRoot: hex(header.receiptTrie),
    miner: hex(header.coinbase.bytes),
    difficulty: q(header.difficulty),
    extraData: hex(header.extraData),
    size: q(size),
    gasLimit: q(header.gasLimit),
    gasUsed: q(header.gasUsed),
    timestamp: q(header.timestamp),
    transactions,
    uncles: [],
    mixHash: hex(header.mixHash),
    baseFeePerGas: q(header.baseFeePerGas ?? 0n),
    withdrawalsRoot: hex(header.withdrawalsRoot ?? new Uint8Array(32)),
    withdrawals: [],
    blobGasUsed: q(header.blobGasUsed ?? 0n),
    excessBlobGas: q(header.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: hex(header.parentBeaconBlockRoot ?? new Uint8Array(32)),
    requestsHash: hex(header.requestsHash ?? new Uint8Array(32)),
  }
}

/** A transaction as eth_getTransactionBy* return it: mined (with position) or pending (nulls). */
export function formatTx(tx: TypedTransaction, hash: Uint8Array, from: Uint8Array, at?: TxPosition) {
  const out: Record<string, unknown> = {
    blockHash: at ? hex(at.blockHash) : null,
    blockNumber: at ? q(at.blockNumber) : null,
    blockTimestamp: at ? q(at.blockTimestamp) : null,
    from: hex(from),
    gas: q(tx.gasLimit),
    hash: hex(hash),
    input: hex(tx.data),
    nonce: q(tx.nonce),
    to: tx.to === undefined ? null : hex(tx.to.bytes),
    transactionIndex: at ? q(at.index) : null,
    value: q(tx.value),
    type: q(tx.type),
  }
  if (tx.type === TransactionType.Legacy) {
    out.gasPrice = q(tx.gasPrice)
    if (tx.supports(155)) out.chainId = q(tx.common.chainId())
  } else {
    out.chainId = q(tx.common.chainId())
    out.accessList = (tx as { accessList: [Uint8Array, Uint8Array[]][] }).accessList.map(([address, keys]) => ({
      address: hex(address),
      storageKeys: keys.map(hex),
    }))
    if ('maxFeePerGas' in tx) {
      out.maxFeePerGas = q(tx.maxFeePerGas)
      out.maxPriorityFeePerGas = q(tx.maxPriorityFeePerGas)
      // mined: the price actually paid; pending: the cap, as geth reports it
      out.gasPrice = at ? q(effectivePrice(tx.maxFeePerGas, tx.maxPriorityFeePerGas, at.baseFee)) : q(tx.maxFeePerGas)
    } else {
      out.gasPrice = q(tx.gasPrice)
    }
    if (tx.type === TransactionType.EOACodeEIP7702) {
      out.authorizationList = (tx as unknown as { authorizationList: Uint8Array[][] }).authorizationList.map(([chainId, address, nonce, yParity, r, s]) => ({
        chainId: q(bytesToBig(chainId)),
        address: hex(address),
        nonce: q(bytesToBig(nonce)),
        yParity: q(bytesToBig(yParity)),
        r: q(bytesToBig(r)),
        s: q(bytesToBig(s)),
      }))
    }
    out.yParity = q(tx.v ?? 0n)
  }
  out.v = q(tx.v ?? 0n)
  out.r = q(tx.r ?? 0n)
  out.s = q(tx.s ?? 0n)
  return out
}

export function formatReceipt(tx: TypedTransaction, row: TxRow, blockHash: Uint8Array, blockTimestamp: bigint, logs: LogRow[]) {
  const bloom = new Bloom()
  for (const l of logs) {
    bloom.add(l.address)
    for (const t of l.topics) bloom.add(t)
  }
  return {
    type: q(tx.type),
    transactionHash: hex(row.hash),
    transactionIndex: q(row.txIndex),
    blockHash: hex(blockHash),
    blockNumber: q(row.blockNumber),
    from: hex(row.sender),
    to: tx.to === undefined ? null : hex(tx.to.bytes),
    cumulativeGasUsed: q(row.cumulativeGasUsed),
    gasUsed: q(row.gasUsed),
    contractAddress: row.contractAddress === null ? null : hex(row.contractAddress),
    logs: logs.map((l) => formatLog(l, row.hash, blockHash, blockTimestamp)),
    logsBloom: hex(bloom.bitvector),
    status: q(row.status),
    effectiveGasPrice: q(row.effectiveGasPrice),
  }
}

export function formatLog(l: LogRow, txHash: Uint8Array, blockHash: Uint8Array, blockTimestamp: bigint) {
  return {
    address: hex(l.address),
    topics: l.topics.map(hex),
    data: hex(l.data),
    blockNumber: q(l.blockNumber),
    blockHash: hex(blockHash),
    blockTimestamp: q(blockTimestamp),
    transactionHash: hex(txHash),
    transactionIndex: q(l.txIndex),
    logIndex: q(l.logIndex),
    removed: false,
  }
}

function effectivePrice(maxFee: bigint, tip: bigint, baseFee: bigint): bigint {
  return maxFee - baseFee < tip ? maxFee : baseFee + tip
}

function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(bytesToHex(b))
}
