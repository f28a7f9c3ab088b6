/**
 * The bridge from a program: deposits on L1, withdrawals on L2, and paying a withdrawal out on
 * L1 once its batch is final.
 *
 *   depositETH / depositERC20 (L1Bridge) ─▶ waitForDeposit (the L2 node includes it after its L1 confirmations)
 *   withdrawETH / withdrawERC20 (L2Bridge) ─▶ getWithdrawalProof (pending → posted → final) ─▶ finalizeWithdrawal (L1Bridge)
 *
 * The node's proof is not trusted: L1Bridge checks it against the batch's withdrawal root on
 * RollupAnchor, and the L1 addresses come from the caller's deployments, not from the node.
 */
import {
  createPublicClient,
  createWalletClient,
  erc20Abi,
  http,
  parseEventLogs,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { l1BridgeAbi, l2BridgeAbi, rollupAnchorAbi } from './abis.js'
import { L2_BRIDGE } from './addresses.js'
import { defineAiRollupChain, defineL1Chain, DEVNET_L1_RPC_URL, DEVNET_L2_RPC_URL } from './chains.js'
import type { L1Deployments } from './deployments.js'
import { BridgeError, ConnectionError, errorText, InvalidArgumentError, revertReason } from './errors.js'
import { isoTime, sleep } from './format.js'

/** How often the waits poll, in ms. */
const POLL_MS = 500
/** How long waitForDeposit waits for a deposit to reach L2, in ms. */
const DEPOSIT_WAIT_MS = 5 * 60_000

// ---- what the node answers (bridge_ JSON-RPC methods) ----

/** bridge_getDepositStatus: what the L2 node made of a deposit; null until it has read it (after the L1 confirmations). */
export interface DepositStatus {
  nonce: number
  /** pending: read from L1, waiting for an L2 block; included: paid out on L2; failed: its system transaction reverted. */
  status: 'pending' | 'included' | 'failed'
  l1?: { txHash: Hex; blockNumber: number; logIndex: number }
  l1Token?: Address
  from?: Address
  to?: Address
  /** Wei or token base units, as a decimal string. */
  amount?: string
  l2: { blockNumber: number; txHash: Hex; l2Token: Address | null } | null
}

/** bridge_getStatus: the node's deposit watcher. */
export interface DepositWatcherStatus {
  running: boolean
  l1Reachable: boolean
  l1LastSuccessAt: number | null
  l1ConsecutiveFailures: number
  l1Bridge: Address
  confirmations: number
  l1Cursor: { number: number; hash: Hex } | null
  l1Head: number | null
  lastSeenNonce: number | null
  lastIncludedNonce: number | null
  pendingDeposits: number
  failedDeposits: number[]
  lastError: { message: string; at: number } | null
  stopped: string | null
}

/** pending: not in a batch on L1 yet; posted: in a batch within its challenge window; final: claimable; finalized: paid out on L1. */
export type WithdrawalState = 'pending' | 'posted' | 'final' | 'finalized'

/** One withdrawal in bridge_getWithdrawalProof's answer. */
export interface WithdrawalProof {
  /** L2Bridge withdrawal nonce, decimal. */
  nonce: string
  l2Sender: Address
  l1To: Address
  /** The L1 token paid out, or the zero address for ETH. */
  l1Token: Address
  /** Wei or token base units, decimal. */
  amount: string
  withdrawalHash: Hex
  logIndex: number
  status: WithdrawalState
  batchIndex: number | null
  withdrawalRoot: Hex | null
  proof: Hex[] | null
  /** L1 unix time (s) from which finalizeWithdrawal succeeds. */
  claimableAt: number | null
  batch: { l1TxHash: Hex; l1BlockNumber: number; submittedAt: number; challengeWindow: number } | null
  /** The exact L1 call, once posted. */
  finalizeWithdrawal: {
    to: Address
    args: { batchIndex: number; nonce: string; l2Sender: Address; l1To: Address; l1Token: Address; amount: string; proof: Hex[] }
    data: Hex
  } | null
}

/** bridge_getWithdrawalProof: every withdrawal an L2 transaction made. */
export interface WithdrawalProofResult {
  txHash: Hex
  blockNumber: number
  /** 1 success; a reverted transaction withdrew nothing. */
  txStatus: number
  l1: { chainId: number; l1Bridge: Address; rollupAnchor: Address } | null
  withdrawals: WithdrawalProof[]
}

// ---- clients ----

export interface ConnectBridgeParameters {
  /** The L1's JSON-RPC URL (default the devnet's). */
  l1RpcUrl?: string
  /** The L2 node's JSON-RPC URL (default the devnet's). */
  l2RpcUrl?: string
  /** The L1 contracts (readDeployments / parseDeployments); must name an L1Bridge. */
  deployments: L1Deployments
  /** Who deposits, withdraws and pays for finalizing: a viem account or a private key. */
  account: Account | Hex
  /** Receipt polling interval, in ms (default 200). */
  pollingIntervalMs?: number
}

/** Clients for both chains, the account, and the L1 addresses. */
export interface BridgeClients {
  account: Account
  deployments: L1Deployments & { l1Bridge: Address }
  l1: PublicClient
  l2: PublicClient
  l1Wallet: WalletClient<Transport, Chain, Account>
  l2Wallet: WalletClient<Transport, Chain, Account>
  l2RpcUrl: string
}

/**
 * Connects to both chains and checks that they are the ones the deployments name.
 * @throws ConnectionError when an endpoint does not answer or is another chain.
 * @example
 * const c = await connectBridge({ deployments: readDeployments('data/l1/deployments.json'), account: privateKey })
 */
export async function connectBridge(params: ConnectBridgeParameters): Promise<BridgeClients> {
  const l1RpcUrl = params.l1RpcUrl ?? DEVNET_L1_RPC_URL
  const l2RpcUrl = params.l2RpcUrl ?? DEVNET_L2_RPC_URL
  const { deployments } = params
  if (deployments.l1Bridge === undefined) throw new InvalidArgumentError('the deployments file names no l1Bridge: deploy the L1 contracts with L1Bridge compiled (npm run deploy:l1)')
  const account = typeof params.account === 'string' ? privateKeyToAccount(params.account) : params.account
  const pollingInterval = params.pollingIntervalMs ?? 200
  const ask = async <T>(what: string, url: string, fn: () => Promise<T>) => {
    try {
      return await fn()
    } catch (err) {
      throw new ConnectionError(`${what} at ${url} does not answer: ${errorText(err).replace(' (is the L1 running?)', '')}`, { cause: err })
    }
  }
  const l1ChainId = await ask('the L1', l1RpcUrl, () => createPublicClient({ transport: http(l1RpcUrl, { retryCount: 0 }) }).getChainId())
  if (l1ChainId !== deployments.l1ChainId) throw new ConnectionError(`the L1 at ${l1RpcUrl} is chain ${l1ChainId}, the deployments file says ${deployments.l1ChainId}`)
  const l2ChainId = await ask('the L2 node', l2RpcUrl, () => createPublicClient({ transport: http(l2RpcUrl, { retryCount: 0 }) }).getChainId())
  if (l2ChainId !== deployments.l2ChainId) throw new ConnectionError(`the L2 at ${l2RpcUrl} is chain ${l2ChainId}, the deployments file says ${deployments.l2ChainId}`)
  const l1Chain = defineL1Chain(l1RpcUrl, l1ChainId)
  const l2Chain = defineAiRollupChain(l2RpcUrl, l2ChainId)
  const l1Transport = http(l1RpcUrl, { retryCount: 1 })
  const l2Transport = http(l2RpcUrl, { retryCount: 1 })
  return {
    account,
    deployments: deployments as L1Deployments & { l1Bridge: Address },
    l1: createPublicClient({ chain: l1Chain, transport: l1Transport, pollingInterval }) as PublicClient,
    l2: createPublicClient({ chain: l2Chain, transport: l2Transport, pollingInterval }) as PublicClient,
    l1Wallet: createWalletClient({ chain: l1Chain, transport: l1Transport, account }),
    l2Wallet: createWalletClient({ chain: l2Chain, transport: l2Transport, account }),
    l2RpcUrl,
  }
}

/** One bridge_ JSON-RPC call to the L2 node; a JSON-RPC error becomes a BridgeError. */
async function l2Rpc<T>(c: Pick<BridgeClients, 'l2'>, method: string, params: unknown[]): Promise<T> {
  try {
    return (await c.l2.request({ method, params } as never)) as T
  } catch (err) {
    const rpc = err as { code?: number; details?: string; shortMessage?: string; cause?: { code?: number; details?: string } }
    const code = rpc.cause?.code ?? rpc.code
    if (typeof code === 'number') throw new BridgeError(`${method}: ${rpc.cause?.details ?? rpc.details ?? rpc.shortMessage} (${code})`, { cause: err })
    throw err
  }
}

// ---- deposits (L1) ----

export interface DepositResult {
  l1TxHash: Hex
  l1BlockNumber: bigint
  /** The deposit nonce L1Bridge gave it (what getDepositStatus takes). */
  nonce: bigint
  to: Address
  amount: bigint
  l1Token: Address
  /** Where the tokens appear on L2 (L2Bridge.l2TokenFor); the zero address for ETH. */
  l2Token: Address
  approveTxHash?: Hex
}

/** Deposits `amount` wei for `to` (default: the sender) with L1Bridge.depositETH. */
export async function depositETH(c: BridgeClients, p: { amount: bigint; to?: Address }): Promise<DepositResult> {
  const to = p.to ?? c.account.address
  const hash = await sendOrExplain('L1Bridge.depositETH', () =>
    c.l1Wallet.writeContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'depositETH', args: [to], value: p.amount }),
  )
  const receipt = await successfulReceipt(c.l1, hash, 'L1Bridge.depositETH')
  return { ...depositOf(receipt), l1TxHash: hash, l1BlockNumber: receipt.blockNumber, to, amount: p.amount, l1Token: zeroAddress, l2Token: zeroAddress }
}

/** Approves L1Bridge for `amount` if the allowance is short, then deposits `amount` base units of `token` for `to`. */
export async function depositERC20(c: BridgeClients, p: { token: Address; amount: bigint; to?: Address }): Promise<DepositResult> {
  const to = p.to ?? c.account.address
  const allowance = await c.l1.readContract({ address: p.token, abi: erc20Abi, functionName: 'allowance', args: [c.account.address, c.deployments.l1Bridge] })
  let approveTxHash: Hex | undefined
  if (allowance < p.amount) {
    approveTxHash = await sendOrExplain('approve', () => c.l1Wallet.writeContract({ address: p.token, abi: erc20Abi, functionName: 'approve', args: [c.deployments.l1Bridge, p.amount] }))
    await successfulReceipt(c.l1, approveTxHash, 'approve')
  }
  const hash = await sendOrExplain('L1Bridge.depositERC20', () =>
    c.l1Wallet.writeContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'depositERC20', args: [p.token, to, p.amount] }),
  )
  const receipt = await successfulReceipt(c.l1, hash, 'L1Bridge.depositERC20')
  const deposit = depositOf(receipt)
  const l2Token = await l2TokenFor(c, p.token)
  return { nonce: deposit.nonce, amount: deposit.amount, l1TxHash: hash, l1BlockNumber: receipt.blockNumber, to, l1Token: p.token, l2Token, approveTxHash }
}

function depositOf(receipt: TransactionReceipt): { nonce: bigint; amount: bigint } {
  const [event] = parseEventLogs({ abi: l1BridgeAbi, eventName: 'DepositInitiated', logs: receipt.logs })
  if (event === undefined) throw new BridgeError(`no DepositInitiated event in L1 transaction ${receipt.transactionHash}`)
  return { nonce: event.args.nonce, amount: event.args.amount }
}

/** What the L2 node made of deposit `nonce` (bridge_getDepositStatus); null until it has read it. */
export function getDepositStatus(c: Pick<BridgeClients, 'l2'>, nonce: bigint): Promise<DepositStatus | null> {
  return l2Rpc<DepositStatus | null>(c, 'bridge_getDepositStatus', [`0x${nonce.toString(16)}`])
}

/** The node's deposit watcher (bridge_getStatus); null on a node without an L1Bridge. */
export function getBridgeStatus(c: Pick<BridgeClients, 'l2'>): Promise<DepositWatcherStatus | null> {
  return l2Rpc<DepositWatcherStatus | null>(c, 'bridge_getStatus', [])
}

/**
 * Polls the L2 node until it has dealt with deposit `nonce` (included or failed).
 * @throws BridgeError after `timeoutMs` (default 5 min).
 */
export async function waitForDeposit(c: Pick<BridgeClients, 'l2'>, nonce: bigint, timeoutMs = DEPOSIT_WAIT_MS, onWait?: (status: DepositWatcherStatus | null) => void): Promise<DepositStatus> {
  const deadline = Date.now() + timeoutMs
  for (let polls = 0; ; polls++) {
    const status = await getDepositStatus(c, nonce)
    if (status !== null && status.status !== 'pending') return status
    if (Date.now() > deadline) throw new BridgeError(`deposit ${nonce} did not reach L2 within ${timeoutMs / 1000} s (see bridge_getStatus on the node)`)
    if (polls % 10 === 0) onWait?.(await getBridgeStatus(c))
    await sleep(POLL_MS)
  }
}

/** L2Bridge.l2TokenFor(l1Token): where the L2 token lives, deployed or not. */
export function l2TokenFor(c: Pick<BridgeClients, 'l2'>, l1Token: Address): Promise<Address> {
  return c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l2TokenFor', args: [l1Token] })
}

// ---- withdrawals (L2) ----

export interface WithdrawResult {
  l2TxHash: Hex
  l2BlockNumber: bigint
  nonce: bigint
  withdrawalHash: Hex
  l1To: Address
  l1Token: Address
  amount: bigint
}

/** Withdraws `amount` wei to `to` on L1 (default: the sender) with L2Bridge.withdrawETH. */
export async function withdrawETH(c: BridgeClients, p: { amount: bigint; to?: Address }): Promise<WithdrawResult> {
  const to = p.to ?? c.account.address
  const hash = await sendOrExplain('L2Bridge.withdrawETH', () => c.l2Wallet.writeContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'withdrawETH', args: [to], value: p.amount }))
  return withdrawalOf(await successfulReceipt(c.l2, hash, 'L2Bridge.withdrawETH'))
}

/**
 * Withdraws `amount` base units of a bridged token to `to` on L1 with L2Bridge.withdrawERC20.
 * `token` may be the L2 token or its L1 token.
 */
export async function withdrawERC20(c: BridgeClients, p: { token: Address; amount: bigint; to?: Address }): Promise<WithdrawResult> {
  const to = p.to ?? c.account.address
  const l2Token = await resolveL2Token(c, p.token)
  const hash = await sendOrExplain('L2Bridge.withdrawERC20', () => c.l2Wallet.writeContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'withdrawERC20', args: [l2Token, to, p.amount] }))
  return withdrawalOf(await successfulReceipt(c.l2, hash, 'L2Bridge.withdrawERC20'))
}

/** The L2 token for `token`, which may be an L2 token already or an L1 token that was deposited. */
export async function resolveL2Token(c: Pick<BridgeClients, 'l2'>, token: Address): Promise<Address> {
  const l1 = await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [token] })
  if (l1 !== zeroAddress) return token
  const l2Token = await l2TokenFor(c, token)
  const known = await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [l2Token] })
  if (known === zeroAddress) throw new BridgeError(`${token} is neither a bridged L2 token nor an L1 token deposited to L2 yet`)
  return l2Token
}

function withdrawalOf(receipt: TransactionReceipt): WithdrawResult {
  const [event] = parseEventLogs({ abi: l2BridgeAbi, eventName: 'WithdrawalInitiated', logs: receipt.logs })
  if (event === undefined) throw new BridgeError(`no WithdrawalInitiated event in L2 transaction ${receipt.transactionHash}`)
  const { nonce, l1To, l1Token, amount, withdrawalHash } = event.args
  return { l2TxHash: receipt.transactionHash, l2BlockNumber: receipt.blockNumber, nonce, withdrawalHash, l1To, l1Token, amount }
}

// ---- proofs and finalization (L2 node → L1) ----

/** The node's answer for `l2TxHash` (bridge_getWithdrawalProof), refusing an unknown transaction or one without withdrawals. */
export async function getWithdrawalProof(c: Pick<BridgeClients, 'l2'>, l2TxHash: Hex): Promise<WithdrawalProofResult> {
  const result = await l2Rpc<WithdrawalProofResult | null>(c, 'bridge_getWithdrawalProof', [l2TxHash])
  if (result === null) throw new BridgeError(`the L2 node does not know transaction ${l2TxHash} (not mined yet, or another chain)`)
  if (result.withdrawals.length === 0) throw new BridgeError(`L2 transaction ${l2TxHash} made no withdrawal${result.txStatus === 0 ? ' (it reverted)' : ''}`)
  return result
}

export interface FinalizeResult {
  /** The L2 transaction that made the withdrawal. */
  l2TxHash: Hex
  /** The withdrawal's nonce in L2Bridge. */
  nonce: number
  /** The withdrawal's hash, the leaf of the batch's withdrawal root that L1Bridge marks paid. */
  withdrawalHash: Hex
  /** Undefined when it had been paid out already. */
  l1TxHash?: Hex
  gasUsed?: bigint
  /** Wei paid for the L1 transaction. */
  feeWei?: bigint
  alreadyFinalized: boolean
}

/**
 * Pays out every withdrawal of `l2TxHash` on L1 with L1Bridge.finalizeWithdrawal. Without `wait`
 * a withdrawal whose batch is not final yet is refused (BridgeError naming when it will be);
 * with `wait` it polls until the node reports the batch final and RollupAnchor.isFinal agrees.
 * One already paid out is skipped.
 * @example
 * const [r] = await finalizeWithdrawal(c, withdrawal.l2TxHash, { wait: true })
 */
export async function finalizeWithdrawal(
  c: BridgeClients,
  l2TxHash: Hex,
  opts: { wait?: boolean; timeoutMs?: number; onWait?: (line: string) => void } = {},
): Promise<FinalizeResult[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? Number.POSITIVE_INFINITY)
  const results: FinalizeResult[] = []
  let proof = await getWithdrawalProof(c, l2TxHash)
  for (let i = 0; i < proof.withdrawals.length; i++) {
    let w = proof.withdrawals[i]
    for (let polls = 0; ; polls++) {
      if (w.status === 'finalized') break
      if (w.status === 'final' && (await c.l1.readContract({ address: c.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'isFinal', args: [BigInt(w.batchIndex!)] }))) break
      if (opts.wait !== true) throw new BridgeError(notClaimable(w))
      if (Date.now() > deadline) throw new BridgeError(`gave up waiting: ${notClaimable(w)}`)
      if (polls % 20 === 0) opts.onWait?.(notClaimable(w))
      await sleep(POLL_MS)
      proof = await getWithdrawalProof(c, l2TxHash)
      w = proof.withdrawals[i]
    }
    const withdrawalHash = w.withdrawalHash
    if (w.status === 'finalized' || (await c.l1.readContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'isWithdrawalFinalized', args: [withdrawalHash] }))) {
      results.push({ l2TxHash, nonce: Number(w.nonce), withdrawalHash, alreadyFinalized: true })
      continue
    }
    const a = w.finalizeWithdrawal!.args
    const hash = await sendOrExplain('L1Bridge.finalizeWithdrawal', () =>
      c.l1Wallet.writeContract({
        address: c.deployments.l1Bridge,
        abi: l1BridgeAbi,
        functionName: 'finalizeWithdrawal',
        args: [BigInt(a.batchIndex), BigInt(a.nonce), a.l2Sender, a.l1To, a.l1Token, BigInt(a.amount), a.proof],
      }),
    )
    const receipt = await successfulReceipt(c.l1, hash, 'L1Bridge.finalizeWithdrawal')
    results.push({ l2TxHash, nonce: Number(w.nonce), withdrawalHash, l1TxHash: hash, gasUsed: receipt.gasUsed, feeWei: receipt.gasUsed * receipt.effectiveGasPrice, alreadyFinalized: false })
  }
  return results
}

function notClaimable(w: WithdrawalProof): string {
  if (w.status === 'pending') return `withdrawal ${w.nonce} is not in a batch on L1 yet (the batcher posts it shortly); its challenge window starts then`
  return `withdrawal ${w.nonce} is in batch ${w.batchIndex}, claimable from ${isoTime(w.claimableAt!)} (L1 time)`
}

// ---- helpers ----

/** Sends a transaction; a refusal (revert in the estimate, rejected by the node) becomes a BridgeError with the contract's error. */
export async function sendOrExplain(what: string, fn: () => Promise<Hex>): Promise<Hex> {
  try {
    return await fn()
  } catch (err) {
    throw new BridgeError(`${what} refused: ${revertReason(err)}`, { cause: err })
  }
}

/** Waits for the receipt of `hash`; a reverted transaction becomes a BridgeError. */
export async function successfulReceipt(client: PublicClient, hash: Hex, what: string): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 })
  if (receipt.status !== 'success') throw new BridgeError(`${what} reverted (tx ${hash}, block ${receipt.blockNumber})`)
  return receipt
}
