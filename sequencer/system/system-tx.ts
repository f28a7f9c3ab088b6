/**
 * System transactions: how protocol inputs that are not user transactions (data hashes anchored
 * over HTTP, L1 deposits) enter an L2 block. Each is an ordinary signed EIP-1559 transaction from
 * the system sender, placed at the start of the block, so every tool that reads blocks,
 * receipts and logs sees it unchanged, and a node rebuilding the chain from L1 replays it like
 * any other transaction (docs/ARCHITECTURE.md rule 1: it travels in the batch data).
 *
 * The system sender's key is public (keccak256 of a fixed label). What keeps it from being
 * abused is not the key but the node: the mempool refuses every transaction from that address,
 * so only the builder places them, and only from its system sources. The sender pays nothing:
 * the builder runs its transactions with runTx's `skipBalance`, which tops the sender's balance up
 * to the transaction's cost first (that is also how a deposit's ETH comes into existence on L2).
 */
import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, createAddressFromString, eoaCode7702RecoverAuthority, hexToBytes } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { keccak256 } from '../chain/crypto.ts'
import type { BlockTx } from '../builder/block-tx.ts'

/** keccak256("ai-rollup/system-sender/v1"). Public on purpose: see the module comment. */
export const SYSTEM_PRIVATE_KEY = keccak256(new TextEncoder().encode('ai-rollup/system-sender/v1'))

/** The system sender (contracts/L2/SystemSender.sol holds the same constant). */
export const SYSTEM_ADDRESS = '0x4ea248b2befb8cb0fd16c8c8c73433f9a1b46a0c' as const

export function isSystemSender(senderHex: string): boolean {
  return senderHex.toLowerCase() === SYSTEM_ADDRESS
}

/**
 * True when `tx` carries an EIP-7702 authorization signed by the system sender's (public) key:
 * it would delegate the system address to a user's contract, which could then act as the system
 * sender inside a user's transaction. The pool refuses such transactions and the builder never
 * includes one (a rebuilt block holding one does not re-execute).
 */
export function delegatesSystemSender(tx: TypedTransaction): boolean {
  if (!('authorizationList' in tx)) return false
  for (const item of tx.authorizationList) {
    try {
      if (eoaCode7702RecoverAuthority(item).toString() === SYSTEM_ADDRESS) return true
    } catch {
      // an authorization whose signature does not recover is skipped by the EVM as well
    }
  }
  return false
}

/** One call a system source wants made at the start of the next block. */
export interface SystemCall {
  to: string
  data: Uint8Array
  /** Wei the call carries (minted for the system sender first: an ETH deposit). */
  value: bigint
  gasLimit: bigint
}

/**
 * Where system calls come from (the anchoring queue, the deposit watcher). Declared here, by the
 * builder's side; each source also recognises its own calls in a sealed block (by their logs)
 * and settles them in the block's sqlite transaction, so a crash never applies one twice.
 */
export interface SystemSource {
  /** True when calls are waiting (the driver seals a block for them even if the pool is empty). */
  hasPending(): boolean
  /** The calls for the next block, in order, using at most `gasBudget` gas in all. */
  nextCalls(gasBudget: bigint): SystemCall[]
}

/** Signs `call` as the system sender with `nonce`, paying exactly the block's base fee. */
export function systemTx(common: Common, nonce: bigint, baseFee: bigint, call: SystemCall): BlockTx {
  const tx = createFeeMarket1559Tx(
    {
      chainId: common.chainId(),
      nonce,
      maxFeePerGas: baseFee,
      maxPriorityFeePerGas: 0n,
      gasLimit: call.gasLimit,
      to: createAddressFromString(call.to),
      value: call.value,
      data: call.data,
    },
    { common },
  ).sign(SYSTEM_PRIVATE_KEY)
  const hash = tx.hash()
  return {
    tx,
    raw: tx.serialize(),
    hash,
    hashHex: bytesToHex(hash),
    sender: new Address(hexToBytes(SYSTEM_ADDRESS)),
    senderHex: SYSTEM_ADDRESS,
    nonce,
  }
}
