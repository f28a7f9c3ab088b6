/**
 * Speculative execution for the RPC layer: eth_call, eth_estimateGas, eth_createAccessList and
 * re-execution for tracing. Everything runs on a scratch state opened at the requested block's
 * state root (archive mode makes any sealed block's root readable), so nothing here can change
 * the chain.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { createTx, createTxFromRLP, TransactionType, type TypedTransaction, type AccessListBytes } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, createAddressFromString, hexToBytes, setLengthLeft, type PrefixedHexString } from '@ethereumjs/util'
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { decodeErrorResult, type Hex } from 'viem'
import type { Chain, StoredBlock } from '../chain/chain.ts'
import { openScratchState } from '../state/state.ts'
import type { Store } from '../store/store.ts'
import type { DB } from '@ethereumjs/util'
import type { CustomPrecompile } from '@ethereumjs/evm'
import { trackInferenceCallers } from '../../precompiles/index.ts'
import { isSystemSender } from '../system/system-tx.ts'

/** A call as eth_call / eth_estimateGas take it, already parsed. */
export interface CallRequest {
  from?: Address
  to?: Address
  gas?: bigint
  gasPrice?: bigint
  maxFeePerGas?: bigint
  maxPriorityFeePerGas?: bigint
  value?: bigint
  data?: Uint8Array
  nonce?: bigint
  accessList?: AccessListBytes
  authorizationList?: Parameters<typeof createTx>[0] extends infer T ? (T extends { authorizationList?: infer A } ? A : never) : never
}

/** geth's state override set: per account, replace balance/nonce/code, and either all storage (state) or some slots (stateDiff). */
export interface AccountOverride {
  balance?: bigint
  nonce?: bigint
  code?: Uint8Array
  state?: Map<bigint, bigint>
  stateDiff?: Map<bigint, bigint>
}
export type StateOverrides = Map<string, AccountOverride>

export interface CallOutcome {
  result: RunTxResult
  returnValue: Uint8Array
  gasUsed: bigint
}

/** The call reverted (REVERT opcode): message "execution reverted: <reason>", data the revert bytes. */
export class ExecutionRevertedError extends Error {
  constructor(
    readonly data: Hex,
    reason?: string,
  ) {
    super(reason === undefined || reason === '' ? 'execution reverted' : `execution reverted: ${reason}`)
  }
}

/** The call failed for another reason (out of gas, invalid opcode, bad transaction fields). */
export class ExecutionFailedError extends Error {}

/** Hook to observe execution (tracers attach to vm.evm.events here). */
export type VMHook = (vm: VM) => void

export interface ExecutorOptions {
  common: Common
  chain: Chain
  store: Store
  trieDB: DB<string, Uint8Array>
  /** Gas for calls that name none, in gas. */
  gasCap: bigint
  /** Precompiles beyond Ethereum's (the AI ones), as @ethereumjs/evm takes them. */
  precompiles?: CustomPrecompile[]
}

const ZERO_ADDRESS = new Address(new Uint8Array(20))
const CALL_STIPEND = 2300n

export class CallExecutor {
  /** Gas executed by every run so far (estimateGas runs many): what a JSON-RPC batch is charged. */
  gasExecuted = 0n

  constructor(private readonly opts: ExecutorOptions) {}

  /** eth_call: runs `req` on top of `block`'s state. Reverts and failures become typed errors. */
  async call(req: CallRequest, block: StoredBlock, overrides?: StateOverrides, hook?: VMHook): Promise<CallOutcome> {
    const { vm, env } = await this.prepare(block, overrides, hook)
    const gas = this.gasFor(req, block)
    const outcome = await this.runOnce(vm, env, req, gas)
    throwIfFailed(outcome)
    return outcome
  }

  /** eth_estimateGas: the smallest gas limit with which `req` succeeds (exact binary search). */
  async estimateGas(req: CallRequest, block: StoredBlock, overrides?: StateOverrides): Promise<bigint> {
    const { vm, env } = await this.prepare(block, overrides)
    let hi = this.gasFor(req, block)
    if (namesFees(req)) {
      // like geth: with fees named, the gas the sender can pay for at the fee cap bounds the search
      const feeCap = feeCapOf(this.toTx(req, hi, env.header.baseFeePerGas ?? 0n))
      const balance = (await vm.stateManager.getAccount(req.from ?? ZERO_ADDRESS))?.balance ?? 0n
      const value = req.value ?? 0n
      if (value > 0n && value >= balance) throw new ExecutionFailedError('insufficient funds for transfer')
      if (feeCap > 0n && (balance - value) / feeCap < hi) hi = (balance - value) / feeCap
    }
    const first = await this.runOnce(vm, env, req, hi)
    if (first.result.execResult.exceptionError !== undefined) {
      if (isRevert(first)) throwIfFailed(first)
      throw new ExecutionFailedError(`gas required exceeds allowance (${hi})`)
    }
    const tx = this.toTx(req, hi, env.header.baseFeePerGas ?? 0n)
    let lo = tx.getIntrinsicGas() - 1n
    // most calls need what they used plus their refund; try just above that before bisecting
    const optimistic = ((first.gasUsed + first.result.gasRefund + CALL_STIPEND) * 64n) / 63n
    if (optimistic < hi) {
      if (await this.succeeds(vm, env, req, optimistic)) hi = optimistic
      else lo = optimistic
    }
    if (first.gasUsed - 1n > lo && first.gasUsed <= hi) {
      // nothing below gasUsed can succeed: the tx used that much when it had more
      lo = first.gasUsed - 1n
    }
    while (lo + 1n < hi) {
      const mid = (lo + hi) / 2n
      if (await this.succeeds(vm, env, req, mid)) hi = mid
      else lo = mid
    }
    return hi
  }

  /**
   * eth_createAccessList: the accounts and slots the call touches, and the gas it uses with that list.
   * Like geth, it reruns the call with the list found so far until the list stops changing, so
   * gasUsed is measured with the list in the transaction (its 2400/1900 gas per entry included).
   */
  async createAccessList(req: CallRequest, block: StoredBlock, overrides?: StateOverrides) {
    const { vm, env } = await this.prepare(block, overrides)
    const gas = this.gasFor(req, block)
    const state = vm.stateManager as MerkleStateManager
    let list: AccessListBytes = req.accessList ?? []
    for (let round = 0; ; round++) {
      await state.checkpoint()
      let result: RunTxResult
      try {
        result = await runTx(vm, { tx: this.toTx({ ...req, accessList: list }, gas, env.header.baseFeePerGas ?? 0n), block: env, ...SKIP_CHECKS, reportAccessList: true })
        this.gasExecuted += result.totalGasSpent
      } catch (err) {
        throw new ExecutionFailedError(cleanEthereumjsMessage((err as Error).message))
      } finally {
        await state.revert()
      }
      const found = result.accessList ?? []
      const next: AccessListBytes = found.map((item) => [hexToBytes(item.address as PrefixedHexString), item.storageKeys.map((k) => hexToBytes(k as PrefixedHexString))])
      if (sameAccessList(next, list) || round === MAX_ACCESS_LIST_ROUNDS) {
        const outcome = { result, returnValue: result.execResult.returnValue, gasUsed: result.totalGasSpent }
        return { accessList: found, gasUsed: outcome.gasUsed, error: failureMessage(outcome) }
      }
      list = next
    }
  }

  /**
   * Re-executes `block` up to (not including) transaction `index` on its parent's state, then
   * runs that transaction with `hook` attached: what debug_traceTransaction needs.
   */
  async replay(block: StoredBlock, index: number, hook: VMHook): Promise<RunTxResult> {
    const parent = this.opts.chain.byNumber(block.row.number - 1)
    if (parent === undefined) throw new ExecutionFailedError('genesis has no transactions to trace')
    const state = openScratchState(this.opts.common, this.opts.trieDB, parent.header.stateRoot)
    const vm = await this.createVM(state)
    const env = createBlock({ header: block.header.toJSON() }, { common: this.opts.common })
    const rows = this.opts.store.getTxsInBlock(block.row.number)
    let gasUsed = 0n
    for (let i = 0; i < index; i++) {
      const result = await runTx(vm, { tx: this.decodeMined(rows[i].raw, rows[i].sender), block: env, skipHardForkValidation: true, blockGasUsed: gasUsed, skipBalance: isSystemSender(bytesToHex(rows[i].sender)) })
      gasUsed += result.totalGasSpent
    }
    this.gasExecuted += gasUsed
    hook(vm)
    const result = await runTx(vm, { tx: this.decodeMined(rows[index].raw, rows[index].sender), block: env, skipHardForkValidation: true, blockGasUsed: gasUsed, skipBalance: isSystemSender(bytesToHex(rows[index].sender)) })
    this.gasExecuted += result.totalGasSpent
    return result
  }

  private async createVM(state: MerkleStateManager): Promise<VM> {
    const { common, chain, precompiles } = this.opts
    const vm = await createVM({ common, stateManager: state, blockchain: chain.evmBlockchain(), evmOpts: { customPrecompiles: precompiles } })
    trackInferenceCallers(vm.evm) // the inference precompile's access rules need its caller
    return vm
  }

  private decodeMined(raw: Uint8Array, sender: Uint8Array): TypedTransaction {
    const tx = createTxFromRLP(raw, { common: this.opts.common, freeze: false })
    const from = new Address(sender)
    tx.getSenderAddress = () => from
    return tx
  }

  private gasCeiling(block: StoredBlock): bigint {
    const limit = block.header.gasLimit
    return limit < this.opts.gasCap ? limit : this.opts.gasCap
  }

  /** The gas a call runs with: its own, capped at the gas cap like geth, or the ceiling. */
  private gasFor(req: CallRequest, block: StoredBlock): bigint {
    if (req.gas === undefined) return this.gasCeiling(block)
    return req.gas < this.opts.gasCap ? req.gas : this.opts.gasCap
  }

  private async prepare(block: StoredBlock, overrides?: StateOverrides, hook?: VMHook): Promise<{ vm: VM; env: Block }> {
    const state = openScratchState(this.opts.common, this.opts.trieDB, block.header.stateRoot)
    if (overrides !== undefined) await applyOverrides(state, overrides)
    const vm = await this.createVM(state)
    hook?.(vm)
    const env = createBlock({ header: block.header.toJSON() }, { common: this.opts.common })
    return { vm, env }
  }

  private async succeeds(vm: VM, env: Block, req: CallRequest, gas: bigint): Promise<boolean> {
    try {
      const outcome = await this.runOnce(vm, env, req, gas)
      return outcome.result.execResult.exceptionError === undefined
    } catch {
      return false // below intrinsic gas and the like
    }
  }

  /** One run on a checkpoint that is always reverted, so runs don't see each other. */
  private async runOnce(vm: VM, env: Block, req: CallRequest, gas: bigint): Promise<CallOutcome> {
    const state = vm.stateManager as MerkleStateManager
    const baseFee = env.header.baseFeePerGas ?? 0n
    // like geth: a call that names no fees runs with a zero base fee, so it needs no ETH for gas
    const noFees = !namesFees(req)
    const runEnv = noFees && baseFee > 0n ? withZeroBaseFee(env, this.opts.common) : env
    await state.checkpoint()
    try {
      const tx = this.toTx(req, gas, noFees ? 0n : baseFee)
      // like geth: the sender must afford the value, and the gas at the fee cap when fees are named
      // (runTx's skipBalance would otherwise make up the difference)
      const from = tx.getSenderAddress()
      const balance = (await state.getAccount(from))?.balance ?? 0n
      const cost = (noFees ? 0n : gas * feeCapOf(tx)) + tx.value
      if (balance < cost) throw new ExecutionFailedError(`insufficient funds for gas * price + value: address ${from.toString()} have ${balance} want ${cost}`)
      const result = await runTx(vm, { tx, block: runEnv, ...SKIP_CHECKS })
      this.gasExecuted += result.totalGasSpent
      return { result, returnValue: result.execResult.returnValue, gasUsed: result.totalGasSpent }
    } catch (err) {
      if (err instanceof ExecutionFailedError) throw err
      throw new ExecutionFailedError(cleanEthereumjsMessage((err as Error).message))
    } finally {
      await state.revert()
    }
  }

  /** An unsigned transaction carrying the call, with its sender set to `from`. */
  private toTx(req: CallRequest, gasLimit: bigint, baseFee: bigint): TypedTransaction {
    const common = this.opts.common
    const base = { nonce: req.nonce ?? 0n, gasLimit, to: req.to, value: req.value ?? 0n, data: req.data ?? new Uint8Array() }
    let tx: TypedTransaction
    if (req.authorizationList !== undefined && req.authorizationList.length > 0) {
      tx = createTx({ ...base, type: TransactionType.EOACodeEIP7702, maxFeePerGas: req.maxFeePerGas ?? baseFee, maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? 0n, accessList: req.accessList ?? [], authorizationList: req.authorizationList }, { common, freeze: false })
    } else if (req.gasPrice !== undefined) {
      tx = req.accessList !== undefined
        ? createTx({ ...base, type: TransactionType.AccessListEIP2930, gasPrice: req.gasPrice, accessList: req.accessList }, { common, freeze: false })
        : createTx({ ...base, type: TransactionType.Legacy, gasPrice: req.gasPrice }, { common, freeze: false })
    } else {
      const maxFeePerGas = req.maxFeePerGas ?? (req.maxPriorityFeePerGas !== undefined ? baseFee + req.maxPriorityFeePerGas : baseFee)
      tx = createTx({ ...base, type: TransactionType.FeeMarketEIP1559, maxFeePerGas, maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? 0n, accessList: req.accessList ?? [] }, { common, freeze: false })
    }
    const from = req.from ?? ZERO_ADDRESS
    tx.getSenderAddress = () => from
    return tx
  }
}

const SKIP_CHECKS = { skipNonce: true, skipBalance: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true } as const

/** Reruns eth_createAccessList allows before it returns the last list even if it still changes. */
const MAX_ACCESS_LIST_ROUNDS = 8

function sameAccessList(a: AccessListBytes, b: AccessListBytes): boolean {
  const key = (list: AccessListBytes) => list.map(([address, keys]) => `${bytesToHex(address)}:${keys.map(bytesToHex).sort().join(',')}`).sort().join(';')
  return key(a) === key(b)
}

const namesFees = (req: CallRequest): boolean => req.gasPrice !== undefined || req.maxFeePerGas !== undefined || req.maxPriorityFeePerGas !== undefined

const feeCapOf = (tx: TypedTransaction): bigint => ('maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice)

function withZeroBaseFee(env: Block, common: Common): Block {
  return createBlock({ header: { ...env.header.toJSON(), baseFeePerGas: 0n } }, { common })
}

async function applyOverrides(state: MerkleStateManager, overrides: StateOverrides): Promise<void> {
  for (const [addressHex, o] of overrides) {
    const address = createAddressFromString(addressHex)
    const account = (await state.getAccount(address)) ?? new Account()
    if (o.balance !== undefined) account.balance = o.balance
    if (o.nonce !== undefined) account.nonce = o.nonce
    await state.putAccount(address, account)
    if (o.code !== undefined) await state.putCode(address, o.code)
    if (o.state !== undefined) await state.clearStorage(address)
    for (const [slot, value] of o.state ?? o.stateDiff ?? []) {
      await state.putStorage(address, setLengthLeft(bigintTo32(slot), 32), bigintTo32(value))
    }
  }
}

function bigintTo32(v: bigint): Uint8Array {
  const hex = v.toString(16).padStart(64, '0')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function isRevert(o: CallOutcome): boolean {
  return o.result.execResult.exceptionError?.error === 'revert'
}

function failureMessage(o: CallOutcome): string | undefined {
  const e = o.result.execResult.exceptionError
  if (e === undefined) return undefined
  return isRevert(o) ? new ExecutionRevertedError(bytesToHex(o.returnValue), revertReason(o.returnValue)).message : e.error
}

function throwIfFailed(o: CallOutcome): void {
  const e = o.result.execResult.exceptionError
  if (e === undefined) return
  if (isRevert(o)) throw new ExecutionRevertedError(bytesToHex(o.returnValue), revertReason(o.returnValue))
  throw new ExecutionFailedError(e.error)
}

/** Error(string) and Panic(uint256) as geth words them; custom errors give no reason (callers decode the data). */
export function revertReason(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined
  try {
    const decoded = decodeErrorResult({ data: bytesToHex(data) as Hex, abi: [] })
    if (decoded.errorName === 'Error') return String(decoded.args?.[0])
    if (decoded.errorName === 'Panic') return `panic: ${PANIC_REASONS[Number(decoded.args?.[0])] ?? `code 0x${(decoded.args?.[0] as bigint).toString(16)}`}`
  } catch {
    return undefined
  }
  return undefined
}

const PANIC_REASONS: Record<number, string> = {
  0x01: 'assert(false)',
  0x11: 'arithmetic underflow or overflow',
  0x12: 'division or modulo by zero',
  0x21: 'enum overflow',
  0x22: 'invalid encoded storage byte array accessed',
  0x31: 'out-of-bounds array access; popping on an empty array',
  0x32: 'out-of-bounds access of an array or bytesN',
  0x41: 'out of memory',
  0x51: 'uninitialized function',
}

/** @ethereumjs appends a dump of the VM, block and tx to its messages; callers want the first clause. */
function cleanEthereumjsMessage(message: string): string {
  return message
    .replace(/\s*\(vm hf=.*$/s, '')
    .replace(/\s*\(.*->.*\)$/s, '')
    // geth's wording, which viem maps to IntrinsicGasTooLowError
    .replace(/^INTRINSIC_GAS_TOO_LOW: tx gas limit (\d+) is lower than the minimum gas limit of (\d+)$/, 'intrinsic gas too low: have $1, want $2')
}
