/**
 * The bridge from the command line: deposits on L1, withdrawals on L2, and paying a withdrawal
 * out on L1 once its batch is final.
 *
 *   npm run bridge -- <command> [arguments] [--l1-rpc URL] [--l2-rpc URL] [--deployments FILE] [--key 0x…] [--json]
 *
 *   deploy-token [--name N] [--symbol S] [--decimals 18] [--mint 1000000]  a test ERC-20 on L1, minted to you
 *   deposit-eth <amount> [--to 0x…] [--wait]                 L1Bridge.depositETH
 *   deposit-erc20 <l1Token> <amount> [--to 0x…] [--wait]     approve (if needed) + L1Bridge.depositERC20
 *   deposit-status <nonce>                                   what the L2 node made of a deposit
 *   withdraw-eth <amount> [--to 0x…]                         L2Bridge.withdrawETH on L2
 *   withdraw-erc20 <token> <amount> [--to 0x…]               L2Bridge.withdrawERC20 (L1 or L2 token address)
 *   status <l2TxHash>                                        where a withdrawal stands, when it is claimable
 *   prove <l2TxHash>                                         the node's proof (bridge_getWithdrawalProof) as JSON
 *   finalize <l2TxHash> [--wait]                             L1Bridge.finalizeWithdrawal with that proof
 *   balances [--account 0x…] [--token 0x…]                   ETH (and a token) on L1 and L2
 *
 * Amounts are in whole units (1.5 ETH, 100 USDC), converted with the token's decimals. The key
 * comes from --key or the environment variable BRIDGE_PRIVATE_KEY; without either, the dev
 * account #0 of the test mnemonic is used (the same address on the embedded L1 and the dev L2;
 * a public key, never for real funds). Exit codes: 0 done, 1 failed (revert, not claimable yet,
 * unknown transaction), 2 usage error or an endpoint down.
 *
 * The node's proof is not trusted: L1Bridge checks it against the batch's withdrawal root on
 * RollupAnchor, and the L1 addresses come from the deployments file, not from the node.
 */
import { parseArgs } from 'node:util'
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  formatUnits,
  getAddress,
  http,
  isAddress,
  isHash,
  parseEventLogs,
  parseUnits,
  zeroAddress,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { readDeployments, type L1Deployments } from '../batcher/deployments.ts'
import { rollupAnchorAbi } from '../batcher/abi.ts'
import { erc20Abi, l1BridgeAbi, l2BridgeAbi } from '../bridge/abi.ts'
import type { DepositStatus, DepositWatcherStatus, WithdrawalProofResult } from '../bridge/index.ts'
import { L2_BRIDGE } from '../precompiles/addresses.ts'
// the chain definition file only (sequencer/index.ts loads the whole node)
import { defineAiRollupChain } from '../sequencer/chain/viem.ts'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { defineL1Chain, errorText, readArtifact } from './lib/deploy-l1.ts'

export const DEFAULT_L1_RPC_URL = 'http://127.0.0.1:8545'
export const DEFAULT_L2_RPC_URL = 'http://127.0.0.1:9545'
export const DEFAULT_DEPLOYMENTS_PATH = 'data/l1/deployments.json'
/** Dev account #0 of the test mnemonic: funded on the embedded L1 (Anvil) and in the dev L2 genesis. */
export const DEV_KEY = ANVIL_PRIVATE_KEYS[0]
/** How often --wait polls, in ms. */
const POLL_MS = 500
/** How long --wait waits for a deposit to reach L2, in ms. */
const DEPOSIT_WAIT_MS = 5 * 60_000

/** The command line is wrong or an endpoint cannot be reached; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The action could not be done (revert, not claimable yet, unknown transaction); exit code 1. */
export class BridgeCliError extends Error {
  override name = 'BridgeCliError'
}

export interface BridgeClientOptions {
  l1RpcUrl?: string
  l2RpcUrl?: string
  deploymentsPath?: string
  /** Also accepted: the deployments themselves (tests). */
  deployments?: L1Deployments
  privateKey?: Hex
  /** Receipt polling interval, in ms. */
  pollingIntervalMs?: number
}

/** Clients for both chains, the account, and the L1 addresses from the deployments file. */
export interface BridgeClients {
  account: PrivateKeyAccount
  deployments: L1Deployments & { l1Bridge: Address }
  l1: PublicClient
  l2: PublicClient
  l1Wallet: ReturnType<typeof createWalletClient<ReturnType<typeof http>, Chain, PrivateKeyAccount>>
  l2Wallet: ReturnType<typeof createWalletClient<ReturnType<typeof http>, Chain, PrivateKeyAccount>>
  l2RpcUrl: string
  /** One JSON-RPC call to the L2 node (bridge_ methods). */
  l2Rpc<T>(method: string, params: unknown[]): Promise<T>
}

/**
 * Connects to both chains and checks that they are the ones the deployments file names.
 * @example
 * const c = await connect({ l1RpcUrl: 'http://127.0.0.1:8545', l2RpcUrl: 'http://127.0.0.1:9545' })
 */
export async function connect(opts: BridgeClientOptions = {}): Promise<BridgeClients> {
  const l1RpcUrl = opts.l1RpcUrl ?? DEFAULT_L1_RPC_URL
  const l2RpcUrl = opts.l2RpcUrl ?? DEFAULT_L2_RPC_URL
  let deployments: L1Deployments
  try {
    deployments = opts.deployments ?? readDeployments(opts.deploymentsPath ?? DEFAULT_DEPLOYMENTS_PATH)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (deployments.l1Bridge === undefined) throw new UsageError('the deployments file names no l1Bridge: deploy the L1 contracts with L1Bridge compiled (npm run deploy:l1)')
  const account = privateKeyToAccount(opts.privateKey ?? DEV_KEY)
  const pollingInterval = opts.pollingIntervalMs ?? 200
  const ask = async <T>(what: string, url: string, fn: () => Promise<T>) => {
    try {
      return await fn()
    } catch (err) {
      throw new UsageError(`${what} at ${url} does not answer: ${errorText(err).replace(' (is the L1 running?)', '')}`)
    }
  }
  const l1ChainId = await ask('the L1', l1RpcUrl, () => createPublicClient({ transport: http(l1RpcUrl, { retryCount: 0 }) }).getChainId())
  if (l1ChainId !== deployments.l1ChainId) throw new UsageError(`the L1 at ${l1RpcUrl} is chain ${l1ChainId}, the deployments file says ${deployments.l1ChainId}`)
  const l2ChainId = await ask('the L2 node', l2RpcUrl, () => createPublicClient({ transport: http(l2RpcUrl, { retryCount: 0 }) }).getChainId())
  if (l2ChainId !== deployments.l2ChainId) throw new UsageError(`the L2 at ${l2RpcUrl} is chain ${l2ChainId}, the deployments file says ${deployments.l2ChainId}`)
  const l1Chain = defineL1Chain(l1RpcUrl, l1ChainId)
  const l2Chain = defineAiRollupChain(l2RpcUrl, l2ChainId)
  const l1Transport = http(l1RpcUrl, { retryCount: 1 })
  const l2Transport = http(l2RpcUrl, { retryCount: 1 })
  let id = 1
  return {
    account,
    deployments: deployments as L1Deployments & { l1Bridge: Address },
    l1: createPublicClient({ chain: l1Chain, transport: l1Transport, pollingInterval }) as PublicClient,
    l2: createPublicClient({ chain: l2Chain, transport: l2Transport, pollingInterval }) as PublicClient,
    l1Wallet: createWalletClient({ chain: l1Chain, transport: l1Transport, account }),
    l2Wallet: createWalletClient({ chain: l2Chain, transport: l2Transport, account }),
    l2RpcUrl,
    async l2Rpc<T>(method: string, params: unknown[]): Promise<T> {
      const res = await fetch(l2RpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }) })
      const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
      if (body.error !== undefined) throw new BridgeCliError(`${method}: ${body.error.message} (${body.error.code})`)
      return body.result as T
    },
  }
}

// ---- deposits (L1) ----

export interface DepositResult {
  l1TxHash: Hex
  l1BlockNumber: bigint
  /** The deposit nonce L1Bridge gave it (what bridge_getDepositStatus takes). */
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
  const hash = await send('L1Bridge.depositETH', () =>
    c.l1Wallet.writeContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'depositETH', args: [to], value: p.amount }),
  )
  const receipt = await confirmed(c.l1, hash, 'L1Bridge.depositETH')
  return { ...depositOf(receipt), l1TxHash: hash, l1BlockNumber: receipt.blockNumber, to, amount: p.amount, l1Token: zeroAddress, l2Token: zeroAddress }
}

/** Approves L1Bridge for `amount` if the allowance is short, then deposits `amount` base units of `token` for `to`. */
export async function depositERC20(c: BridgeClients, p: { token: Address; amount: bigint; to?: Address }): Promise<DepositResult> {
  const to = p.to ?? c.account.address
  const allowance = await c.l1.readContract({ address: p.token, abi: erc20Abi, functionName: 'allowance', args: [c.account.address, c.deployments.l1Bridge] })
  let approveTxHash: Hex | undefined
  if (allowance < p.amount) {
    approveTxHash = await send('approve', () => c.l1Wallet.writeContract({ address: p.token, abi: erc20Abi, functionName: 'approve', args: [c.deployments.l1Bridge, p.amount] }))
    await confirmed(c.l1, approveTxHash, 'approve')
  }
  const hash = await send('L1Bridge.depositERC20', () =>
    c.l1Wallet.writeContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'depositERC20', args: [p.token, to, p.amount] }),
  )
  const receipt = await confirmed(c.l1, hash, 'L1Bridge.depositERC20')
  const deposit = depositOf(receipt)
  const l2Token = await l2TokenFor(c, p.token)
  return { nonce: deposit.nonce, amount: deposit.amount, l1TxHash: hash, l1BlockNumber: receipt.blockNumber, to, l1Token: p.token, l2Token, approveTxHash }
}

function depositOf(receipt: TransactionReceipt): { nonce: bigint; amount: bigint } {
  const [event] = parseEventLogs({ abi: l1BridgeAbi, eventName: 'DepositInitiated', logs: receipt.logs })
  if (event === undefined) throw new BridgeCliError(`no DepositInitiated event in L1 transaction ${receipt.transactionHash}`)
  return { nonce: event.args.nonce, amount: event.args.amount }
}

/** Polls the L2 node until it has dealt with deposit `nonce` (included or failed). */
export async function waitForDeposit(c: BridgeClients, nonce: bigint, timeoutMs = DEPOSIT_WAIT_MS, onWait?: (status: DepositWatcherStatus | null) => void): Promise<DepositStatus> {
  const deadline = Date.now() + timeoutMs
  for (let polls = 0; ; polls++) {
    const status = await c.l2Rpc<DepositStatus | null>('bridge_getDepositStatus', [`0x${nonce.toString(16)}`])
    if (status !== null && status.status !== 'pending') return status
    if (Date.now() > deadline) throw new BridgeCliError(`deposit ${nonce} did not reach L2 within ${timeoutMs / 1000} s (see bridge_getStatus on the node)`)
    if (polls % 10 === 0) onWait?.(await c.l2Rpc<DepositWatcherStatus | null>('bridge_getStatus', []))
    await sleep(POLL_MS)
  }
}

/** L2Bridge.l2TokenFor(l1Token): where the L2 token lives, deployed or not. */
export function l2TokenFor(c: BridgeClients, l1Token: Address): Promise<Address> {
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
  const hash = await send('L2Bridge.withdrawETH', () => c.l2Wallet.writeContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'withdrawETH', args: [to], value: p.amount }))
  return withdrawalOf(await confirmed(c.l2, hash, 'L2Bridge.withdrawETH'))
}

/**
 * Withdraws `amount` base units of a bridged token to `to` on L1 with L2Bridge.withdrawERC20.
 * `token` may be the L2 token or its L1 token.
 */
export async function withdrawERC20(c: BridgeClients, p: { token: Address; amount: bigint; to?: Address }): Promise<WithdrawResult> {
  const to = p.to ?? c.account.address
  const l2Token = await resolveL2Token(c, p.token)
  const hash = await send('L2Bridge.withdrawERC20', () => c.l2Wallet.writeContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'withdrawERC20', args: [l2Token, to, p.amount] }))
  return withdrawalOf(await confirmed(c.l2, hash, 'L2Bridge.withdrawERC20'))
}

/** The L2 token for `token`, which may be an L2 token already or an L1 token that was deposited. */
export async function resolveL2Token(c: BridgeClients, token: Address): Promise<Address> {
  const l1 = await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [token] })
  if (l1 !== zeroAddress) return token
  const l2Token = await l2TokenFor(c, token)
  const known = await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [l2Token] })
  if (known === zeroAddress) throw new BridgeCliError(`${token} is neither a bridged L2 token nor an L1 token deposited to L2 yet`)
  return l2Token
}

function withdrawalOf(receipt: TransactionReceipt): WithdrawResult {
  const [event] = parseEventLogs({ abi: l2BridgeAbi, eventName: 'WithdrawalInitiated', logs: receipt.logs })
  if (event === undefined) throw new BridgeCliError(`no WithdrawalInitiated event in L2 transaction ${receipt.transactionHash}`)
  const { nonce, l1To, l1Token, amount, withdrawalHash } = event.args
  return { l2TxHash: receipt.transactionHash, l2BlockNumber: receipt.blockNumber, nonce, withdrawalHash, l1To, l1Token, amount }
}

// ---- proofs and finalization (L2 node → L1) ----

/** The node's answer for `l2TxHash`, refusing an unknown transaction or one without withdrawals. */
export async function withdrawalProof(c: BridgeClients, l2TxHash: Hex): Promise<WithdrawalProofResult> {
  const result = await c.l2Rpc<WithdrawalProofResult | null>('bridge_getWithdrawalProof', [l2TxHash])
  if (result === null) throw new BridgeCliError(`the L2 node does not know transaction ${l2TxHash} (not mined yet, or another chain)`)
  if (result.withdrawals.length === 0) throw new BridgeCliError(`L2 transaction ${l2TxHash} made no withdrawal${result.txStatus === 0 ? ' (it reverted)' : ''}`)
  return result
}

export interface FinalizeResult {
  /** The L2 transaction that made the withdrawal (what the user passed). */
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
 * a withdrawal whose batch is not final yet is refused (BridgeCliError naming when it will be);
 * with `wait` it polls until the node reports the batch final and RollupAnchor.isFinal agrees.
 * One already paid out is skipped.
 * @example
 * const [r] = await finalizeWithdrawal(await connect(), '0x…', { wait: true })
 */
export async function finalizeWithdrawal(
  c: BridgeClients,
  l2TxHash: Hex,
  opts: { wait?: boolean; timeoutMs?: number; onWait?: (line: string) => void } = {},
): Promise<FinalizeResult[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? Number.POSITIVE_INFINITY)
  const results: FinalizeResult[] = []
  let proof = await withdrawalProof(c, l2TxHash)
  for (let i = 0; i < proof.withdrawals.length; i++) {
    let w = proof.withdrawals[i]
    for (let polls = 0; ; polls++) {
      if (w.status === 'finalized') break
      if (w.status === 'final' && (await c.l1.readContract({ address: c.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'isFinal', args: [BigInt(w.batchIndex!)] }))) break
      if (opts.wait !== true) throw new BridgeCliError(notClaimable(w))
      if (Date.now() > deadline) throw new BridgeCliError(`gave up waiting: ${notClaimable(w)}`)
      if (polls % 20 === 0) opts.onWait?.(notClaimable(w))
      await sleep(POLL_MS)
      proof = await withdrawalProof(c, l2TxHash)
      w = proof.withdrawals[i]
    }
    const withdrawalHash = w.withdrawalHash as Hex
    if (w.status === 'finalized' || (await c.l1.readContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'isWithdrawalFinalized', args: [withdrawalHash] }))) {
      results.push({ l2TxHash, nonce: Number(w.nonce), withdrawalHash, alreadyFinalized: true })
      continue
    }
    const a = w.finalizeWithdrawal!.args
    const hash = await send('L1Bridge.finalizeWithdrawal', () =>
      c.l1Wallet.writeContract({
        address: c.deployments.l1Bridge,
        abi: l1BridgeAbi,
        functionName: 'finalizeWithdrawal',
        args: [BigInt(a.batchIndex), BigInt(a.nonce), a.l2Sender as Address, a.l1To as Address, a.l1Token as Address, BigInt(a.amount), a.proof as Hex[]],
      }),
    )
    const receipt = await confirmed(c.l1, hash, 'L1Bridge.finalizeWithdrawal')
    results.push({ l2TxHash, nonce: Number(w.nonce), withdrawalHash, l1TxHash: hash, gasUsed: receipt.gasUsed, feeWei: receipt.gasUsed * receipt.effectiveGasPrice, alreadyFinalized: false })
  }
  return results
}

function notClaimable(w: WithdrawalProofResult['withdrawals'][number]): string {
  if (w.status === 'pending') return `withdrawal ${w.nonce} is not in a batch on L1 yet (the batcher posts it shortly); its challenge window starts then`
  return `withdrawal ${w.nonce} is in batch ${w.batchIndex}, claimable from ${isoTime(w.claimableAt!)} (L1 time)`
}

// ---- test token ----

/** Deploys contracts/test/TestToken.sol on L1 and mints `mint` base units to the caller. */
export async function deployTestToken(c: BridgeClients, p: { name?: string; symbol?: string; decimals?: number; mint?: bigint } = {}): Promise<{ address: Address; txHash: Hex; minted: bigint; decimals: number }> {
  const artifact = readArtifact('test/TestToken.sol/TestToken.json')
  if (artifact === undefined) throw new UsageError('TestToken is not compiled: run `npx hardhat compile`')
  const decimals = p.decimals ?? 18
  const name = p.name ?? `Test Token ${decimals}`
  const symbol = p.symbol ?? `TT${decimals}`
  const txHash = await send('deploying TestToken', () => c.l1Wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [name, symbol, decimals] }))
  const receipt = await confirmed(c.l1, txHash, 'deploying TestToken')
  const address = getAddress(receipt.contractAddress!)
  const minted = p.mint ?? parseUnits('1000000', decimals)
  const mintHash = await send('TestToken.mint', () => c.l1Wallet.writeContract({ address, abi: erc20Abi, functionName: 'mint', args: [c.account.address, minted] }))
  await confirmed(c.l1, mintHash, 'TestToken.mint')
  return { address, txHash, minted, decimals }
}

// ---- helpers ----

async function send(what: string, fn: () => Promise<Hex>): Promise<Hex> {
  try {
    return await fn()
  } catch (err) {
    throw new BridgeCliError(`${what} refused: ${revertReason(err)}`)
  }
}

async function confirmed(client: PublicClient, hash: Hex, what: string): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 })
  if (receipt.status !== 'success') throw new BridgeCliError(`${what} reverted (tx ${hash}, block ${receipt.blockNumber})`)
  return receipt
}

/** The contract error and its arguments when a call reverted, else one line of what went wrong. */
export function revertReason(err: unknown): string {
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
    if (revert?.data !== undefined) return `${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(', ')})`
    if (revert !== null) return revert.shortMessage
  }
  return errorText(err)
}

/** "1.5 ETH", "40 USDC (0x…)", or base units when the token does not say its decimals. */
async function describeAmount(c: BridgeClients, l1Token: Address, amount: bigint): Promise<string> {
  if (l1Token === zeroAddress) return `${formatUnits(amount, 18)} ETH`
  try {
    const [decimals, symbol] = await Promise.all([
      c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'decimals' }),
      c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'symbol' }),
    ])
    return `${formatUnits(amount, decimals)} ${symbol} (${l1Token})`
  } catch {
    return `${amount} base units of ${l1Token}`
  }
}

/** The token's symbol, or 'tokens' when it has none (symbol() is optional in ERC-20). */
async function tokenSymbol(client: PublicClient, token: Address): Promise<string> {
  return client.readContract({ address: token, abi: erc20Abi, functionName: 'symbol' }).catch(() => 'tokens')
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

// ---- command line ----

const USAGE = `usage: npm run bridge -- <command> [arguments] [options]
commands:
  deploy-token [--name N] [--symbol S] [--decimals 18] [--mint 1000000]   deploy a test ERC-20 on L1, minted to you
  deposit-eth <amount> [--to 0x…] [--wait]               deposit ETH on L1 (whole ETH, e.g. 1.5)
  deposit-erc20 <l1Token> <amount> [--to 0x…] [--wait]   approve + deposit an ERC-20 on L1 (whole tokens)
  deposit-status <nonce>                                 what the L2 node made of a deposit
  withdraw-eth <amount> [--to 0x…]                       withdraw ETH on L2 to L1
  withdraw-erc20 <token> <amount> [--to 0x…]             withdraw a bridged token on L2 (its L1 or L2 address)
  status <l2TxHash>                                      where a withdrawal stands and when it is claimable
  prove <l2TxHash>                                       the node's proof and finalizeWithdrawal arguments (JSON)
  finalize <l2TxHash> [--wait]                           pay a withdrawal out on L1 (--wait: until its batch is final)
  balances [--account 0x…] [--token 0x…]                 ETH, and a token, on L1 and L2
options:
  --l1-rpc <url>          L1 JSON-RPC (default ${DEFAULT_L1_RPC_URL})
  --l2-rpc <url>          L2 node JSON-RPC (default ${DEFAULT_L2_RPC_URL})
  --deployments <file>    L1 deployments file (default ${DEFAULT_DEPLOYMENTS_PATH})
  --key <0x…>             private key (or env BRIDGE_PRIVATE_KEY; default: dev account #0, a public test key)
  --json                  print results as JSON
exit codes: 0 done, 1 failed, 2 usage error or an endpoint down`

const ARGS = {
  'deploy-token': 0,
  'deposit-eth': 1,
  'deposit-erc20': 2,
  'deposit-status': 1,
  'withdraw-eth': 1,
  'withdraw-erc20': 2,
  status: 1,
  prove: 1,
  finalize: 1,
  balances: 0,
} as const

type Command = keyof typeof ARGS

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'l1-rpc': { type: 'string' },
        'l2-rpc': { type: 'string' },
        deployments: { type: 'string' },
        key: { type: 'string' },
        to: { type: 'string' },
        token: { type: 'string' },
        account: { type: 'string' },
        name: { type: 'string' },
        symbol: { type: 'string' },
        decimals: { type: 'string' },
        mint: { type: 'string' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true || positionals.length === 0) {
    out(USAGE)
    return values.help === true ? 0 : 2
  }
  const [command, ...args] = positionals
  const json = values.json === true
  const print = (human: string[], data: unknown) => (json ? out(JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)) : human.forEach((l) => out(l)))
  try {
    if (!(command in ARGS)) throw new UsageError(`unknown command ${command}`)
    if (args.length !== ARGS[command as Command]) throw new UsageError(`${command} takes ${ARGS[command as Command]} argument(s), got ${args.length}`)
    const key = values.key ?? process.env.BRIDGE_PRIVATE_KEY
    if (key !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('the key must be 0x and 32 bytes of hex')
    const address = (flag: string, v: string | undefined): Address | undefined => {
      if (v === undefined) return undefined
      if (!isAddress(v, { strict: false })) throw new UsageError(`${flag} must be an address, got ${v}`)
      return getAddress(v)
    }
    const to = address('--to', values.to)
    const c = await connect({ l1RpcUrl: values['l1-rpc'], l2RpcUrl: values['l2-rpc'], deploymentsPath: values.deployments, privateKey: key as Hex | undefined })
    if (key === undefined && !json) err(`using dev account #0 ${c.account.address} (public test key; --key or BRIDGE_PRIVATE_KEY for another)`)
    const txHashArg = (v: string): Hex => {
      if (!isHash(v)) throw new UsageError(`expected an L2 transaction hash (0x and 32 bytes), got ${v}`)
      return v
    }
    const amountArg = (v: string, decimals: number): bigint => {
      try {
        const n = parseUnits(v, decimals)
        if (n <= 0n) throw new Error('not positive')
        return n
      } catch {
        throw new UsageError(`the amount must be a positive number with at most ${decimals} decimals, got ${v}`)
      }
    }
    /** Prints a deposit; with --wait first waits for the L2 block that includes it (exit 1 if it failed there). */
    const reportDeposit = async (human: string[], r: { nonce: bigint }): Promise<number> => {
      if (values.wait !== true) {
        print([...human, `  follow it: npm run bridge -- deposit-status ${r.nonce}`], r)
        return 0
      }
      const s = await waitForDeposit(c, r.nonce, undefined, () => !json && err(`waiting for deposit ${r.nonce} to reach L2 (L1 confirmations first)…`))
      human.push(s.status === 'included' ? `  on L2 in block ${s.l2!.blockNumber} (tx ${s.l2!.txHash})` : `  FAILED on L2 (tx ${s.l2!.txHash}): see bridge_getStatus`)
      print(human, { ...r, l2: s })
      return s.status === 'included' ? 0 : 1
    }

    switch (command as Command) {
      case 'deploy-token': {
        const decimals = values.decimals === undefined ? 18 : Number(values.decimals)
        if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) throw new UsageError('--decimals must be 0..255')
        const r = await deployTestToken(c, { name: values.name, symbol: values.symbol, decimals, mint: values.mint === undefined ? undefined : amountArg(values.mint, decimals) })
        print([`TestToken (${decimals} decimals) deployed on L1 at ${r.address}`, `  minted ${formatUnits(r.minted, decimals)} to ${c.account.address}`, `  next: npm run bridge -- deposit-erc20 ${r.address} 100 --wait`], r)
        return 0
      }
      case 'deposit-eth': {
        const r = await depositETH(c, { amount: amountArg(args[0], 18), to })
        return reportDeposit([`deposited ${formatUnits(r.amount, 18)} ETH for ${r.to} on L2: deposit nonce ${r.nonce}, L1 tx ${r.l1TxHash} (block ${r.l1BlockNumber})`], r)
      }
      case 'deposit-erc20': {
        const token = address('token', args[0])!
        const decimals = await c.l1.readContract({ address: token, abi: erc20Abi, functionName: 'decimals' }).catch(() => 18)
        const r = await depositERC20(c, { token, amount: amountArg(args[1], decimals), to })
        const human = [
          `deposited ${formatUnits(r.amount, decimals)} ${await tokenSymbol(c.l1, token)} (${token}) for ${r.to} on L2: deposit nonce ${r.nonce}, L1 tx ${r.l1TxHash}${r.approveTxHash ? ` (approved in ${r.approveTxHash})` : ''}`,
          `  L2 token: ${r.l2Token}`,
        ]
        return reportDeposit(human, r)
      }
      case 'deposit-status': {
        if (!/^\d+$/.test(args[0])) throw new UsageError(`the nonce must be a whole number, got ${args[0]}`)
        const nonce = BigInt(args[0])
        const s = await c.l2Rpc<DepositStatus | null>('bridge_getDepositStatus', [`0x${nonce.toString(16)}`])
        if (s === null) {
          const next = await c.l1.readContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' })
          print([nonce < next ? `deposit ${nonce} is on L1; the L2 node has not read it yet (it waits for L1 confirmations)` : `there is no deposit ${nonce} on L1 (${next} so far)`], { nonce, status: nonce < next ? 'unconfirmed' : 'unknown' })
          return nonce < next ? 0 : 1
        }
        print([`deposit ${nonce}: ${s.status}${s.l2 === null ? '' : ` in L2 block ${s.l2.blockNumber} (tx ${s.l2.txHash})`}${s.l2?.l2Token ? `, L2 token ${s.l2.l2Token}` : ''}`], s)
        return s.status === 'failed' ? 1 : 0
      }
      case 'withdraw-eth': {
        const r = await withdrawETH(c, { amount: amountArg(args[0], 18), to })
        print([`withdrew ${formatUnits(r.amount, 18)} ETH to ${r.l1To} on L1: L2 tx ${r.l2TxHash} (withdrawal nonce ${r.nonce})`, `  next: npm run bridge -- status ${r.l2TxHash}`], r)
        return 0
      }
      case 'withdraw-erc20': {
        const token = address('token', args[0])!
        const l2Token = await resolveL2Token(c, token)
        const decimals = await c.l2.readContract({ address: l2Token, abi: erc20Abi, functionName: 'decimals' })
        const r = await withdrawERC20(c, { token: l2Token, amount: amountArg(args[1], decimals), to })
        print([`withdrew ${formatUnits(r.amount, decimals)} ${await tokenSymbol(c.l2, l2Token)} (L2 token ${l2Token}, L1 ${r.l1Token}) to ${r.l1To}: L2 tx ${r.l2TxHash} (withdrawal nonce ${r.nonce})`, `  next: npm run bridge -- status ${r.l2TxHash}`], r)
        return 0
      }
      case 'status': {
        const p = await withdrawalProof(c, txHashArg(args[0]))
        const head = await c.l1.getBlock({ blockTag: 'latest' })
        const lines = [`L2 tx ${p.txHash} (block ${p.blockNumber}): ${p.withdrawals.length} withdrawal(s)`]
        for (const w of p.withdrawals) {
          lines.push(`  withdrawal ${w.nonce}: ${await describeAmount(c, w.l1Token as Address, BigInt(w.amount))} to ${w.l1To}: ${w.status.toUpperCase()}`)
          if (w.status === 'pending') lines.push('    not in a posted batch yet; the batcher posts it shortly')
          if (w.status === 'posted') {
            const left = w.claimableAt! - Number(head.timestamp)
            lines.push(`    in batch ${w.batchIndex}; claimable from ${isoTime(w.claimableAt!)} (L1 time${left > 0 ? `, in ${left} s` : ''})`)
            lines.push(`    then: npm run bridge -- finalize ${p.txHash}   (or now with --wait)`)
          }
          if (w.status === 'final') lines.push(`    in batch ${w.batchIndex}, final: npm run bridge -- finalize ${p.txHash}`)
          if (w.status === 'finalized') lines.push('    paid out on L1')
        }
        print(lines, p)
        return 0
      }
      case 'prove': {
        out(JSON.stringify(await withdrawalProof(c, txHashArg(args[0])), null, 2))
        return 0
      }
      case 'finalize': {
        const results = await finalizeWithdrawal(c, txHashArg(args[0]), { wait: values.wait === true, onWait: (line) => !json && err(`waiting: ${line}`) })
        print(
          results.flatMap((r) => [
            r.alreadyFinalized
              ? `withdrawal ${r.nonce} of L2 tx ${r.l2TxHash} was already paid out on L1`
              : `finalized withdrawal ${r.nonce} of L2 tx ${r.l2TxHash} on L1: L1 tx ${r.l1TxHash} (gas ${r.gasUsed}, fee ${formatUnits(r.feeWei!, 18)} ETH)`,
            `  withdrawal hash ${r.withdrawalHash}`,
          ]),
          results,
        )
        return 0
      }
      case 'balances': {
        const who = address('--account', values.account) ?? c.account.address
        const [l1Eth, l2Eth] = await Promise.all([c.l1.getBalance({ address: who }), c.l2.getBalance({ address: who })])
        const lines = [`${who}`, `  ETH   L1 ${formatUnits(l1Eth, 18)}   L2 ${formatUnits(l2Eth, 18)}`]
        const data: Record<string, unknown> = { account: who, eth: { l1: l1Eth, l2: l2Eth } }
        const token = address('--token', values.token)
        if (token !== undefined) {
          const l2Token = await resolveL2Token(c, token).catch(() => undefined)
          const l1Token = l2Token === token ? await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [token] }) : token
          const decimals = await c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'decimals' }).catch(() => 18)
          const l1Bal = await c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
          const l2Bal = l2Token === undefined ? 0n : await c.l2.readContract({ address: l2Token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
          const symbol = await tokenSymbol(c.l1, l1Token)
          lines.push(`  ${symbol.padEnd(5)} L1 ${formatUnits(l1Bal, decimals)} (${l1Token})   L2 ${formatUnits(l2Bal, decimals)} (${l2Token ?? 'not deposited yet'})`)
          data.token = { l1Token, l2Token: l2Token ?? null, symbol, l1: l1Bal, l2: l2Bal, decimals }
        }
        print(lines, data)
        return 0
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`)
      return 2
    }
    if (e instanceof BridgeCliError) {
      err(`error: ${e.message}`)
      return 1
    }
    err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return 1
  }
  return 2
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
