/**
 * Signed EIP-1559 transfers for the pool tests: to a sink address, from a dev account or any key,
 * with every field overridable (10 gwei cap, 1 gwei tip, nonce 0 unless given).
 */
import { parseGwei, type Hex, type TransactionSerializableEIP1559 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts } from './node.ts'

export const SINK = '0x000000000000000000000000000000000000dEaD' as const
export const CHAIN_ID = 42424

export type TxFields = Partial<Omit<TransactionSerializableEIP1559, 'type'>>

/** A signed transfer of 1 wei to SINK from the key `key`. */
export function signTransferWith(key: Hex, fields: TxFields = {}): Promise<Hex> {
  return privateKeyToAccount(key).signTransaction({
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce: 0,
    gas: 21_000n,
    maxFeePerGas: parseGwei('10'),
    maxPriorityFeePerGas: parseGwei('1'),
    to: SINK,
    value: 1n,
    ...fields,
  })
}

/** A signed transfer of 1 wei to SINK from dev account `i`. */
export const signTransfer = (i: number, fields: TxFields = {}) => signTransferWith(accounts[i].privateKey as Hex, fields)
