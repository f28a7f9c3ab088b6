/**
 * Admission checks for the pool, in two halves: `decode` needs only the bytes (encoding, type,
 * chain id, signature, gas bounds, fee fields) and `checkAgainstAccount` the sender's state at the
 * head (nonce, balance). The pool calls both; it does not validate by itself.
 */
import { Capability, TransactionType, createTxFromRLP, getCalldataFloorGas, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bigIntToUnpaddedBytes, SECP256K1_ORDER_DIV_2 } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import { PoolError } from './errors.ts'
import { signingFromRaw, typedTxFromRaw, type RawSigning } from './raw-tx.ts'
import { inlineRecovery, type SenderRecovery } from './recovery.ts'
import { leftPad32, publicKeyToAddressBytes, recoveryId } from '../chain/crypto.ts'
import { delegatesSystemSender, isSystemSender, SYSTEM_ADDRESS } from '../system/system-tx.ts'

export interface ValidatorConfig {
  common: Common
  /** Gas limit of the next block, in gas. */
  blockGasLimit: () => bigint
  maxTxBytes: number
  minPriorityFee: bigint
  /** Where senders are recovered (recovery.ts: a worker thread on the node); default this thread. */
  recovery?: SenderRecovery
}

export interface DecodedTx {
  tx: TypedTransaction
  raw: Uint8Array
  hash: Uint8Array
  sender: Address
}

export interface AccountView {
  nonce: bigint
  balance: bigint
}

const MAX_NONCE = 2n ** 64n - 1n

export class TxValidator {
  constructor(private readonly cfg: ValidatorConfig) {}

  async decode(raw: Uint8Array): Promise<DecodedTx> {
    if (raw.length > this.cfg.maxTxBytes) throw new PoolError('oversized', `${raw.length} bytes, limit ${this.cfg.maxTxBytes}`)
    if (raw.length > 0 && raw[0] === TransactionType.BlobEIP4844) {
      throw new PoolError('typeNotSupported', 'blob transactions (EIP-4844) are not accepted on this L2; post data in calldata')
    }
    // the common shape read in one pass over the bytes (raw-tx.ts); anything else through @ethereumjs
    const read = typedTxFromRaw(raw, this.cfg.common)
    const tx = read?.tx ?? this.parse(raw)
    const fromRaw = read?.signing ?? canonicalSigning(raw)
    const sender = await this.recoverSender(tx, fromRaw)
    if (isSystemSender(sender.toString())) throw new PoolError('invalidSender', `${SYSTEM_ADDRESS} is reserved for system transactions`)
    if (delegatesSystemSender(tx)) throw new PoolError('invalidSender', `an authorization signed by ${SYSTEM_ADDRESS} (reserved for system transactions) is refused`)
    if (tx.nonce >= MAX_NONCE) throw new PoolError('nonceMax')
    const intrinsic = tx.getIntrinsicGas()
    if (tx.gasLimit < intrinsic) throw new PoolError('intrinsicGasTooLow', `gas ${tx.gasLimit}, minimum needed ${intrinsic}`)
    if (tx.common.isActivatedEIP(7623)) {
      const floor = getCalldataFloorGas(tx, sender)
      if (tx.gasLimit < floor) throw new PoolError('floorDataGas', `gas ${tx.gasLimit}, minimum needed ${floor}`)
    }
    if (tx.gasLimit > this.cfg.blockGasLimit()) throw new PoolError('gasLimitExceeded')
    if (tipOf(tx) < this.cfg.minPriorityFee) throw new PoolError('underpriced', `tip ${tipOf(tx)} wei, minimum ${this.cfg.minPriorityFee} wei`)
    return { tx, raw, hash: fromRaw?.hash ?? tx.hash(), sender }
  }

  private parse(raw: Uint8Array): TypedTransaction {
    let tx: TypedTransaction
    try {
      tx = createTxFromRLP(raw, { common: this.cfg.common })
    } catch (err) {
      const message = (err as Error).message ?? ''
      if (/chain ?id/i.test(message) || /EIP155/i.test(message)) throw new PoolError('invalidChainId', `expected ${this.cfg.common.chainId()}`)
      if (/maxFeePerGas cannot be less than maxPriorityFeePerGas/i.test(message)) throw new PoolError('tipAboveFeeCap')
      // before the type check: the message embeds "(tx type=2 ...)" and "invalid"
      if (/signature/i.test(message)) throw new PoolError('invalidSender', firstLine(message))
      if (/type/i.test(message) && /(unknown|not supported|invalid)/i.test(message)) throw new PoolError('typeNotSupported', firstLine(message))
      throw new PoolError('decode', firstLine(message))
    }
    if (!tx.isSigned()) throw new PoolError('invalidSender', 'transaction is not signed')
    return tx
  }

  /**
   * The sender, recovered where the config says (a worker thread on the node), from the same
   * message hash, signature and recovery id @ethereumjs's getSenderPublicKey uses, with its
   * checks (EIP-2's low s; a valid recovery id). Message hash and signature come from the raw bytes
   * where raw-tx.ts can read them (types 1 and 2), else from @ethereumjs's re-encoding. The
   * key, the address and (read off the bytes) the hash are left in the transaction's cache, so
   * executing it never recovers or hashes again (builder/evm-speedups.ts).
   */
  private async recoverSender(tx: TypedTransaction, fromRaw: RawSigning | undefined): Promise<Address> {
    let publicKey: Uint8Array
    try {
      const { v, r, s } = tx
      if (v === undefined || r === undefined || s === undefined) throw new Error('transaction is not signed')
      if (s > SECP256K1_ORDER_DIV_2) throw new Error('Invalid Signature: s-values greater than secp256k1n/2 are considered invalid')
      const recId = recoveryId(v, tx.supports(Capability.EIP155ReplayProtection) ? tx.common.chainId() : undefined)
      const recovery = this.cfg.recovery ?? inlineRecovery
      if (fromRaw !== undefined) {
        publicKey = await recovery.recover(fromRaw.messageHash, fromRaw.signature, recId)
      } else {
        const signature = new Uint8Array(64)
        signature.set(leftPad32(bigIntToUnpaddedBytes(r)), 0)
        signature.set(leftPad32(bigIntToUnpaddedBytes(s)), 32)
        publicKey = await recovery.recover(tx.getMessageToVerifySignature(), signature, recId)
      }
    } catch (err) {
      throw new PoolError('invalidSender', firstLine((err as Error).message ?? 'signature recovery failed'))
    }
    const sender = new Address(publicKeyToAddressBytes(publicKey))
    if (Object.isFrozen(tx)) {
      const cache = (tx as unknown as { cache: { senderPubKey?: Uint8Array; senderAddress?: Address; hash?: Uint8Array } }).cache
      cache.senderPubKey = publicKey
      cache.senderAddress = sender
      if (fromRaw !== undefined) cache.hash = fromRaw.hash
    }
    return sender
  }

  /** Nonce and balance against the sender's state at the head. */
  checkAgainstAccount(d: DecodedTx, account: AccountView): void {
    if (d.tx.nonce < account.nonce) throw new PoolError('nonceTooLow', `address ${d.sender.toString()}, tx: ${d.tx.nonce} state: ${account.nonce}`)
    const cost = maxCost(d.tx)
    if (account.balance < cost) {
      throw new PoolError('insufficientFunds', `balance ${account.balance}, tx cost ${cost}, overshot ${cost - account.balance}`)
    }
  }
}

/** The most a transaction can cost its sender: gas limit times fee cap, plus value. */
export function maxCost(tx: TypedTransaction): bigint {
  return tx.gasLimit * feeCapOf(tx) + tx.value
}

export function feeCapOf(tx: TypedTransaction): bigint {
  return 'maxFeePerGas' in tx ? tx.maxFeePerGas : tx.gasPrice
}

export function tipOf(tx: TypedTransaction): bigint {
  return 'maxPriorityFeePerGas' in tx ? tx.maxPriorityFeePerGas : tx.gasPrice
}

/** What the sender pays per gas in a block with this base fee (0n tip if the cap is below it). */
export function effectiveTip(tx: TypedTransaction, baseFee: bigint): bigint {
  const cap = feeCapOf(tx)
  if (cap < baseFee) return -1n
  const tip = tipOf(tx)
  return cap - baseFee < tip ? cap - baseFee : tip
}

/** The signing data raw-tx.ts reads off a type 1 or 2 transaction's bytes; a non-canonical integer is refused. */
function canonicalSigning(raw: Uint8Array): RawSigning | undefined {
  const signing = signingFromRaw(raw)
  if (signing !== undefined && 'nonCanonical' in signing) throw new PoolError('decode', `non-canonical integer (leading zero bytes) for ${signing.nonCanonical}`)
  return signing
}

function firstLine(message: string): string {
  return message.split('\n')[0].slice(0, 200)
}
