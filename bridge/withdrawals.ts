/**
 * Withdrawal proofs: for an L2 transaction, each L2Bridge WithdrawalInitiated it emitted, where
 * it stands (pending → posted → final → finalized) and, once its batch is on L1, everything
 * L1Bridge.finalizeWithdrawal needs: the batch index, the Merkle proof of the withdrawal hash in
 * the batch's withdrawal tree (batcher/proofs.ts rebuilds the tree from the L2's own index and
 * checks its root against the one posted), the call's arguments and calldata, and when it becomes
 * claimable. Whether it was already paid out is asked of L1Bridge itself, the only place that
 * knows.
 */
import { bytesToHex } from '@ethereumjs/util'
import { createPublicClient, encodeFunctionData, getAddress, http, toEventSelector, type Hex, type PublicClient } from 'viem'
import { L2_BRIDGE } from '../precompiles/index.ts'
import { l1BridgeAbi } from './abi.ts'

/** L2Bridge `WithdrawalInitiated(uint256 indexed nonce, address indexed l2Sender, address indexed l1To, address l1Token, uint256 amount, bytes32 withdrawalHash)`. */
const WITHDRAWAL_INITIATED_TOPIC = toEventSelector('WithdrawalInitiated(uint256,address,address,address,uint256,bytes32)')

/** What the proof builder reads from the L2 store (declared here; the sqlite Store implements it). */
export interface WithdrawalIndex {
  getTx(hash: Uint8Array): { blockNumber: number; txIndex: number; status: number } | undefined
  getLogsInBlock(blockNumber: number): { logIndex: number; txIndex: number; address: Uint8Array; topics: Uint8Array[]; data: Uint8Array }[]
}

/** A withdrawal's membership proof in its batch (batcher/proofs.ts BatchProofs implements it). */
export interface WithdrawalProver {
  withdrawal(
    withdrawalHash: Uint8Array,
    blockNumber: number,
  ):
    | {
        batch: { batchIndex: number; submittedAt: number; challengeWindow: number; l1TxHash: Uint8Array; l1BlockNumber: number }
        root: Uint8Array
        proof: Uint8Array[]
        final: boolean
      }
    | undefined
}

export interface WithdrawalL1 {
  rpcUrl: string
  chainId: number
  l1Bridge: `0x${string}`
  rollupAnchor: `0x${string}`
}

export type WithdrawalState = 'pending' | 'posted' | 'final' | 'finalized'

/** One withdrawal in the answer of bridge_getWithdrawalProof. */
export interface WithdrawalProof {
  /** L2Bridge withdrawal nonce, decimal. */
  nonce: string
  l2Sender: string
  l1To: string
  /** The L1 token paid out, or the zero address for ETH. */
  l1Token: string
  /** Wei or token base units, decimal. */
  amount: string
  withdrawalHash: string
  logIndex: number
  /**
   * pending: not yet in a batch on L1; posted: in a batch whose challenge window is open;
   * final: the window has passed, finalizeWithdrawal can be called; finalized: L1Bridge has paid it.
   */
  status: WithdrawalState
  batchIndex: number | null
  withdrawalRoot: string | null
  proof: string[] | null
  /** L1 unix time (s) from which finalizeWithdrawal succeeds: the batch's submittedAt + challenge window. */
  claimableAt: number | null
  /** The batch's L1 submission. */
  batch: { l1TxHash: string; l1BlockNumber: number; submittedAt: number; challengeWindow: number } | null
  /** The exact L1 call, once posted: L1Bridge.finalizeWithdrawal(batchIndex, nonce, l2Sender, l1To, l1Token, amount, proof). */
  finalizeWithdrawal: {
    to: string | null
    args: { batchIndex: number; nonce: string; l2Sender: string; l1To: string; l1Token: string; amount: string; proof: string[] }
    data: string
  } | null
  /** Set when L1 could not be asked whether the withdrawal was paid out (status stays final). */
  l1Error?: string
}

export interface WithdrawalProofResult {
  txHash: string
  blockNumber: number
  /** The transaction's status (1 success); a reverted one withdrew nothing. */
  txStatus: number
  l1: { chainId: number; l1Bridge: string; rollupAnchor: string } | null
  withdrawals: WithdrawalProof[]
}

export class WithdrawalProofs {
  private readonly client: PublicClient | undefined

  constructor(
    private readonly index: WithdrawalIndex,
    private readonly prover: WithdrawalProver,
    private readonly l1: WithdrawalL1 | undefined,
  ) {
    this.client = l1 && createPublicClient({ transport: http(l1.rpcUrl, { retryCount: 0, timeout: 5_000 }) })
  }

  /** Every withdrawal `txHash` made, with its status and proof; null for an unknown or unmined transaction. */
  async forTransaction(txHash: Uint8Array): Promise<WithdrawalProofResult | null> {
    const tx = this.index.getTx(txHash)
    if (tx === undefined) return null
    const withdrawals: WithdrawalProof[] = []
    for (const log of this.index.getLogsInBlock(tx.blockNumber)) {
      if (log.txIndex !== tx.txIndex || bytesToHex(log.address) !== L2_BRIDGE) continue
      if (log.topics.length !== 4 || bytesToHex(log.topics[0]) !== WITHDRAWAL_INITIATED_TOPIC || log.data.length !== 96) continue
      withdrawals.push(await this.describe(tx.blockNumber, log))
    }
    return {
      txHash: bytesToHex(txHash),
      blockNumber: tx.blockNumber,
      txStatus: tx.status,
      l1: this.l1 === undefined ? null : { chainId: this.l1.chainId, l1Bridge: this.l1.l1Bridge, rollupAnchor: this.l1.rollupAnchor },
      withdrawals,
    }
  }

  private async describe(blockNumber: number, log: { logIndex: number; topics: Uint8Array[]; data: Uint8Array }): Promise<WithdrawalProof> {
    const address = (word: Uint8Array) => getAddress(bytesToHex(word.subarray(12, 32)))
    const nonce = BigInt(bytesToHex(log.topics[1]))
    const l2Sender = address(log.topics[2])
    const l1To = address(log.topics[3])
    const l1Token = address(log.data.subarray(0, 32))
    const amount = BigInt(bytesToHex(log.data.subarray(32, 64)))
    const hash = log.data.subarray(64, 96)
    const base = {
      nonce: nonce.toString(),
      l2Sender,
      l1To,
      l1Token,
      amount: amount.toString(),
      withdrawalHash: bytesToHex(hash),
      logIndex: log.logIndex,
    }
    const m = this.prover.withdrawal(hash, blockNumber)
    if (m === undefined) {
      return { ...base, status: 'pending', batchIndex: null, withdrawalRoot: null, proof: null, claimableAt: null, batch: null, finalizeWithdrawal: null }
    }
    const proof = m.proof.map((p) => bytesToHex(p))
    const batchIndex = m.batch.batchIndex
    const data = encodeFunctionData({
      abi: l1BridgeAbi,
      functionName: 'finalizeWithdrawal',
      args: [BigInt(batchIndex), nonce, l2Sender, l1To, l1Token, amount, proof as Hex[]],
    })
    const result: WithdrawalProof = {
      ...base,
      status: m.final ? 'final' : 'posted',
      batchIndex,
      withdrawalRoot: bytesToHex(m.root),
      proof,
      claimableAt: m.batch.submittedAt + m.batch.challengeWindow,
      batch: { l1TxHash: bytesToHex(m.batch.l1TxHash), l1BlockNumber: m.batch.l1BlockNumber, submittedAt: m.batch.submittedAt, challengeWindow: m.batch.challengeWindow },
      finalizeWithdrawal: { to: this.l1?.l1Bridge ?? null, args: { batchIndex, nonce: base.nonce, l2Sender, l1To, l1Token, amount: base.amount, proof }, data },
    }
    if (m.final && this.client !== undefined && this.l1 !== undefined) {
      try {
        const paid = await this.client.readContract({ address: this.l1.l1Bridge, abi: l1BridgeAbi, functionName: 'isWithdrawalFinalized', args: [base.withdrawalHash as Hex] })
        if (paid) result.status = 'finalized'
      } catch (err) {
        result.l1Error = `could not ask L1Bridge whether it was paid out: ${(err as Error).message.split('\n')[0]}`
      }
    }
    return result
  }
}
