/**
 * Indexes the protocol's own events as a block is sealed: DataAnchor's `Anchored` (per-batch
 * anchor trees, anchor status), L2Bridge's `WithdrawalInitiated` (per-batch withdrawal trees,
 * withdrawal proofs) and the fate of each L1 deposit (L2Bridge's `DepositFinalized`, or a reverted
 * `finalizeDeposit` system transaction). Derived from the block's logs and transactions alone, so
 * a rebuilt node derives the same rows.
 */
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../chain/crypto.ts'
import type { LogRow } from '../store/store.ts'
import { DATA_ANCHOR, L2_BRIDGE } from '../../precompiles/index.ts'

export { DATA_ANCHOR as DATA_ANCHOR_ADDRESS, L2_BRIDGE as L2_BRIDGE_ADDRESS }

const topic = (signature: string) => bytesToHex(keccak256(new TextEncoder().encode(signature)))

/** `Anchored(bytes32 indexed dataHash, address indexed submitter)` */
export const ANCHORED_TOPIC = topic('Anchored(bytes32,address)')
/** `WithdrawalInitiated(uint256 indexed nonce, address indexed l2Sender, address indexed l1To, address l1Token, uint256 amount, bytes32 withdrawalHash)` */
export const WITHDRAWAL_INITIATED_TOPIC = topic('WithdrawalInitiated(uint256,address,address,address,uint256,bytes32)')
/** `DepositFinalized(uint256 indexed depositNonce, address indexed l1Token, address indexed to, address from, address l2Token, uint256 amount)` */
export const DEPOSIT_FINALIZED_TOPIC = topic('DepositFinalized(uint256,address,address,address,address,uint256)')
/** Selector of L2Bridge `finalizeDeposit(uint256 depositNonce, address l1Token, address from, address to, uint256 amount, bytes tokenMetadata)`. */
export const FINALIZE_DEPOSIT_SELECTOR = topic('finalizeDeposit(uint256,address,address,address,uint256,bytes)').slice(0, 10)

/** One Anchored event of the DataAnchor predeploy (kept by the anchoring service, sequencer/anchoring/store.ts). */
export interface AnchorRow {
  blockNumber: number
  logIndex: number
  txIndex: number
  hash: Uint8Array
  submitter: Uint8Array
}

/** One WithdrawalInitiated event of the L2Bridge predeploy (kept by the bridge, bridge/store.ts). */
export interface WithdrawalRow {
  blockNumber: number
  logIndex: number
  txIndex: number
  withdrawalHash: Uint8Array
}

/** What a sealed L2 block did with a deposit (kept by the bridge, bridge/store.ts). */
export interface DepositOutcome {
  nonce: number
  blockNumber: number
  txIndex: number
  /** true: L2Bridge emitted DepositFinalized; false: the finalizeDeposit system transaction reverted. */
  included: boolean
  /** The L2 token minted (DepositFinalized's l2Token); null for ETH and for a failed deposit. */
  l2Token: Uint8Array | null
}

/** A system transaction of the block as executed: enough to tell a reverted deposit. */
export interface SystemTxOutcome {
  blockNumber: number
  txIndex: number
  /** Callee; undefined for a creation. */
  to: Uint8Array | undefined
  data: Uint8Array
  /** 1 success, 0 reverted. */
  status: number
}

/** The protocol's events of one sealed block: what the services' block writers keep (sequencer/builder/builder.ts `BlockWriter`). */
export interface ProtocolIndex {
  anchors: AnchorRow[]
  withdrawals: WithdrawalRow[]
  depositResults: DepositOutcome[]
}

/**
 * The protocol rows of one sealed block. `systemTxs` are the block's transactions from the system
 * sender: a reverted one that called L2Bridge.finalizeDeposit marks that deposit failed. Only the
 * system sender can call finalizeDeposit successfully and only L2Bridge emits DepositFinalized at
 * its address, so neither kind of row can be forged by a user transaction.
 */
export function indexProtocolLogs(logs: LogRow[], systemTxs: SystemTxOutcome[] = []): ProtocolIndex {
  const anchors: AnchorRow[] = []
  const withdrawals: WithdrawalRow[] = []
  const depositResults: DepositOutcome[] = []
  for (const log of logs) {
    if (log.topics.length === 0) continue
    const address = bytesToHex(log.address)
    const topic0 = bytesToHex(log.topics[0])
    if (address === DATA_ANCHOR && log.topics.length === 3 && topic0 === ANCHORED_TOPIC) {
      anchors.push({ blockNumber: log.blockNumber, logIndex: log.logIndex, txIndex: log.txIndex, hash: log.topics[1], submitter: log.topics[2].subarray(12) })
    } else if (address === L2_BRIDGE && topic0 === WITHDRAWAL_INITIATED_TOPIC && log.data.length === 96) {
      withdrawals.push({ blockNumber: log.blockNumber, logIndex: log.logIndex, txIndex: log.txIndex, withdrawalHash: log.data.subarray(64, 96) })
    } else if (address === L2_BRIDGE && topic0 === DEPOSIT_FINALIZED_TOPIC && log.topics.length === 4 && log.data.length === 96) {
      const nonce = wordToNumber(log.topics[1])
      if (nonce === undefined) continue
      const l2Token = log.data.subarray(44, 64)
      depositResults.push({ nonce, blockNumber: log.blockNumber, txIndex: log.txIndex, included: true, l2Token: l2Token.some((b) => b !== 0) ? l2Token : null })
    }
  }
  for (const tx of systemTxs) {
    if (tx.status !== 0 || tx.to === undefined || bytesToHex(tx.to) !== L2_BRIDGE) continue
    if (tx.data.length < 36 || bytesToHex(tx.data.subarray(0, 4)) !== FINALIZE_DEPOSIT_SELECTOR) continue
    const nonce = wordToNumber(tx.data.subarray(4, 36))
    if (nonce === undefined || depositResults.some((r) => r.nonce === nonce)) continue
    depositResults.push({ nonce, blockNumber: tx.blockNumber, txIndex: tx.txIndex, included: false, l2Token: null })
  }
  return { anchors, withdrawals, depositResults }
}

/** A uint256 word as a JS number, or undefined beyond 2^53 (no real deposit nonce gets there). */
function wordToNumber(word: Uint8Array): number | undefined {
  const n = BigInt(bytesToHex(word))
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(n)
}
