/**
 * The bridge's node side. Deposits: L1Bridge DepositInitiated on L1 → DepositWatcher (waits for
 * confirmations, stores them in sqlite with its L1 cursor) → system calls L2Bridge.finalizeDeposit
 * at the start of L2 blocks, in nonce order → settled in the block's sqlite transaction
 * (sequencer/system/log-index.ts decodes the outcome, BridgeStore keeps it: store.ts). Withdrawals: L2Bridge WithdrawalInitiated on L2 → the batch's
 * withdrawal tree (batcher/) → WithdrawalProofs → bridge_getWithdrawalProof → anyone calls
 * L1Bridge.finalizeWithdrawal on L1 (scripts/bridge.ts does). What other folders may use:
 */
export {
  DepositWatcher,
  DepositWatcherError,
  describeDeposit,
  encodeFinalizeDeposit,
  ETH_DEPOSIT_GAS,
  TOKEN_DEPOSIT_GAS,
  type Deposit,
  type DepositOutcome,
  type DepositStatus,
  type DepositStore,
  type DepositWatcherConfig,
  type DepositWatcherStatus,
  type L1Cursor,
} from './deposits.ts'
export { BridgeStore, type BridgeDatabase } from './store.ts'
export { WithdrawalProofs, type WithdrawalProof, type WithdrawalProofResult, type WithdrawalState, type WithdrawalL1 } from './withdrawals.ts'
export { l1BridgeAbi, l2BridgeAbi, erc20Abi } from './abi.ts'
