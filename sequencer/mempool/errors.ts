/**
 * Why the pool refuses a transaction. The messages are geth's, word for word, because viem and
 * ethers match on them to raise typed errors (NonceTooLowError, InsufficientFundsError, ...).
 * Nothing here knows about JSON-RPC; rpc/errors.ts maps these to codes.
 */
export const PoolRejection = {
  nonceTooLow: 'nonce too low',
  alreadyKnown: 'already known',
  replacementUnderpriced: 'replacement transaction underpriced',
  insufficientFunds: 'insufficient funds for gas * price + value',
  intrinsicGasTooLow: 'intrinsic gas too low',
  floorDataGas: 'insufficient gas for floor data gas cost',
  gasLimitExceeded: 'exceeds block gas limit',
  underpriced: 'transaction underpriced',
  invalidChainId: 'invalid chain id',
  invalidSender: 'invalid sender',
  oversized: 'oversized data',
  tipAboveFeeCap: 'max priority fee per gas higher than max fee per gas',
  typeNotSupported: 'transaction type not supported',
  accountLimit: 'account limit exceeded',
  poolFull: 'txpool is full',
  /** Not geth's (geth drops expired queued transactions silently); seen only by the journal replay. */
  expired: 'queued transaction expired',
  decode: 'rlp: invalid transaction encoding',
  nonceMax: 'nonce has max value',
} as const

export type PoolRejectionKind = keyof typeof PoolRejection

export class PoolError extends Error {
  override readonly name = 'PoolError'

  constructor(
    readonly kind: PoolRejectionKind,
    detail?: string,
  ) {
    super(detail === undefined ? PoolRejection[kind] : `${PoolRejection[kind]}: ${detail}`)
  }
}
