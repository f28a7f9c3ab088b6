/**
 * bridge_: deposits from L1 and withdrawals to L1.
 *   bridge_getWithdrawalProof(l2TxHash) → { txHash, blockNumber, txStatus, l1, withdrawals: [...] }:
 *       each L2Bridge withdrawal the transaction made, its status (pending | posted | final |
 *       finalized), batch index, proof, claimableAt (L1 unix time) and the exact
 *       L1Bridge.finalizeWithdrawal arguments and calldata; null for an unknown or unmined tx
 *   bridge_getDepositStatus(nonce) → pending | included | failed, with the L1 event and the L2
 *       transaction; null when the node has not read that deposit (yet)
 *   bridge_getStatus() → the deposit watcher: L1 cursor and head, last seen and last included
 *       nonce, pending and failed deposits, last error; null when the node watches no L1Bridge
 */
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { DepositStatus, DepositWatcherStatus, WithdrawalProofResult } from '../../../bridge/index.ts'

/** What bridge_ reads (declared here; node.ts wires the watcher and the proof builder in). */
export interface BridgeView {
  withdrawalProof(l2TxHash: Uint8Array): Promise<WithdrawalProofResult | null>
  depositStatus(nonce: number): DepositStatus | null
  status(): DepositWatcherStatus | null
}

export function bridgeMethods(bridge: BridgeView): MethodTable {
  return {
    bridge_getWithdrawalProof: method([p.hash32], (hash) => bridge.withdrawalProof(hash)),
    bridge_getDepositStatus: method([p.smallQuantity], (nonce) => bridge.depositStatus(nonce)),
    bridge_getStatus: method([], () => bridge.status()),
  }
}
