/**
 * Indexes the protocol's own events as a block is sealed: DataAnchor's `Anchored` (per-batch
 * anchor trees, anchor status) and L2Bridge's `WithdrawalInitiated` (per-batch withdrawal trees,
 * withdrawal proofs). Derived from the block's logs, so a rebuilt node derives the same rows.
 */
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../chain/crypto.ts'
import type { AnchorRow, LogRow, WithdrawalRow } from '../store/store.ts'
import { DATA_ANCHOR, L2_BRIDGE } from '../../precompiles/addresses.ts'

export { DATA_ANCHOR as DATA_ANCHOR_ADDRESS, L2_BRIDGE as L2_BRIDGE_ADDRESS }

const topic = (signature: string) => bytesToHex(keccak256(new TextEncoder().encode(signature)))

/** `Anchored(bytes32 indexed dataHash, address indexed submitter)` */
export const ANCHORED_TOPIC = topic('Anchored(bytes32,address)')
/** `WithdrawalInitiated(uint256 indexed nonce, address indexed l2Sender, address indexed l1To, address l1Token, uint256 amount, bytes32 withdrawalHash)` */
export const WITHDRAWAL_INITIATED_TOPIC = topic('WithdrawalInitiated(uint256,address,address,address,uint256,bytes32)')

export function indexProtocolLogs(logs: LogRow[]): { anchors: AnchorRow[]; withdrawals: WithdrawalRow[] } {
  const anchors: AnchorRow[] = []
  const withdrawals: WithdrawalRow[] = []
  for (const log of logs) {
    if (log.topics.length === 0) continue
    const address = bytesToHex(log.address)
    if (address === DATA_ANCHOR && log.topics.length === 3 && bytesToHex(log.topics[0]) === ANCHORED_TOPIC) {
      anchors.push({ blockNumber: log.blockNumber, logIndex: log.logIndex, txIndex: log.txIndex, hash: log.topics[1], submitter: log.topics[2].subarray(12) })
    } else if (address === L2_BRIDGE && bytesToHex(log.topics[0]) === WITHDRAWAL_INITIATED_TOPIC && log.data.length === 96) {
      withdrawals.push({ blockNumber: log.blockNumber, logIndex: log.logIndex, txIndex: log.txIndex, withdrawalHash: log.data.subarray(64, 96) })
    }
  }
  return { anchors, withdrawals }
}
