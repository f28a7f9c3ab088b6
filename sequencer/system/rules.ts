/**
 * What a block from outside (batch data being rebuilt) may do with system transactions. The
 * system sender's key is public and its transactions run with their balance topped up, so a
 * replica must not take the batch's word for them: they come first in the block, and call only
 * DataAnchor.anchor (carrying no value) or L2Bridge.finalizeDeposit (carrying exactly the
 * deposited ETH, or nothing for a token). Whether a deposit happened on L1 is the deposit
 * watcher's to check where a replica watches L1 too; this rule bounds what a faulty sequencer
 * could mint to what such checks catch.
 */
import { bytesToHex } from '@ethereumjs/util'
import { keccak256 } from '../chain/crypto.ts'
import { DATA_ANCHOR, L2_BRIDGE } from '../../precompiles/index.ts'
import { isSystemSender } from './system-tx.ts'
import type { TypedTransaction } from '@ethereumjs/tx'

const selector = (signature: string) => bytesToHex(keccak256(new TextEncoder().encode(signature)).subarray(0, 4))
const ANCHOR = selector('anchor(bytes32[])')
const FINALIZE_DEPOSIT = selector('finalizeDeposit(uint256,address,address,address,uint256,bytes)')

export class SystemRuleError extends Error {
  override readonly name = 'SystemRuleError'
}

/** Throws SystemRuleError when a block's system transactions break the rules above. */
export function checkSystemTransactions(txs: { tx: TypedTransaction; senderHex: string }[]): void {
  let userSeen = false
  txs.forEach(({ tx, senderHex }, i) => {
    if (!isSystemSender(senderHex)) {
      userSeen = true
      return
    }
    const where = `transaction ${i}`
    if (userSeen) throw new SystemRuleError(`${where}: a system transaction after a user transaction`)
    const to = tx.to?.toString()
    const fn = bytesToHex(tx.data.subarray(0, 4))
    if (to === DATA_ANCHOR && fn === ANCHOR) {
      if (tx.value !== 0n) throw new SystemRuleError(`${where}: DataAnchor.anchor with value`)
      return
    }
    if (to === L2_BRIDGE && fn === FINALIZE_DEPOSIT && tx.data.length >= 4 + 32 * 6) {
      // finalizeDeposit(nonce, l1Token, from, to, amount, metadata): word 1 is l1Token, word 4 amount
      const word = (n: number) => tx.data.subarray(4 + 32 * n, 4 + 32 * (n + 1))
      const eth = word(1).every((b) => b === 0)
      const amount = BigInt(bytesToHex(word(4)))
      if (tx.value !== (eth ? amount : 0n)) throw new SystemRuleError(`${where}: finalizeDeposit carries ${tx.value} wei for a deposit of ${eth ? `${amount} wei` : 'a token'}`)
      return
    }
    throw new SystemRuleError(`${where}: a system transaction may only call DataAnchor.anchor or L2Bridge.finalizeDeposit (it calls ${to ?? 'nothing'} ${fn})`)
  })
}
