/**
 * A transaction as block production handles it: decoded, with its sender recovered once. Its own
 * file so that what makes transactions for the builder (system/system-tx.ts, the pool) and the
 * builder itself both depend on it, not on each other.
 */
import type { TypedTransaction } from '@ethereumjs/tx'
import type { Address } from '@ethereumjs/util'

/** A transaction as the builder needs it: decoded, with its sender already recovered. */
export interface BlockTx {
  tx: TypedTransaction
  raw: Uint8Array
  hash: Uint8Array
  hashHex: string
  sender: Address
  senderHex: string
  nonce: bigint
}
