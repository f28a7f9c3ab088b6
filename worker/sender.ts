/**
 * The node's own transactions, from one key, one at a time: each is signed here with the
 * account's pending nonce as the L2 reports it (`eth_getTransactionCount(…, 'pending')` counts
 * the pool, whose journal survives a sequencer restart), its hash handed to the caller (who keeps
 * it in sqlite) BEFORE it is broadcast, then broadcast. Sign-and-broadcast is serialized, so two
 * jobs never take the same nonce; waiting for receipts is not, so a slow block does not hold up
 * the next commit. After a restart the pending nonce already counts what the previous run left in
 * the pool; a "nonce too low" (another process with the key, a block sealed in between) or a
 * "replacement transaction underpriced" (that nonce is taken in the pool) reads the pending nonce
 * again and re-signs, a few times.
 */
import { keccak256, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'

export interface TxRequest {
  to: Address
  data: Hex
  value?: bigint
  gas: bigint
}

const RETRIES = 4

export class TxSender {
  private tail: Promise<unknown> = Promise.resolve()
  sent = 0

  constructor(
    private readonly client: PublicClient,
    private readonly account: PrivateKeyAccount,
    private readonly chainId: () => number,
  ) {}

  /**
   * Signs and broadcasts `req`; `beforeBroadcast(hash)` runs once per signed transaction, before
   * it leaves this process. Returns the hash the pool took.
   */
  send(req: TxRequest, beforeBroadcast?: (hash: Hex) => void): Promise<Hex> {
    const run = this.tail.then(() => this.sendNow(req, beforeBroadcast))
    this.tail = run.catch(() => {})
    return run
  }

  async wait(hash: Hex, timeoutMs: number): Promise<TransactionReceipt> {
    return this.client.waitForTransactionReceipt({ hash, timeout: timeoutMs, pollingInterval: 250 })
  }

  private async sendNow(req: TxRequest, beforeBroadcast?: (hash: Hex) => void): Promise<Hex> {
    for (let attempt = 1; ; attempt++) {
      const [nonce, fees] = await Promise.all([this.client.getTransactionCount({ address: this.account.address, blockTag: 'pending' }), this.client.estimateFeesPerGas()])
      const raw = await this.account.signTransaction({
        type: 'eip1559',
        chainId: this.chainId(),
        nonce,
        to: req.to,
        data: req.data,
        value: req.value ?? 0n,
        gas: req.gas,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      })
      const hash = keccak256(raw)
      beforeBroadcast?.(hash)
      try {
        const taken = await this.client.request({ method: 'eth_sendRawTransaction', params: [raw] })
        this.sent++
        return taken
      } catch (err) {
        const text = errorText(err)
        if (/already known/i.test(text)) return hash
        if (attempt < RETRIES && /nonce too low|replacement transaction underpriced/i.test(text)) continue
        throw err
      }
    }
  }
}

function errorText(err: unknown): string {
  const parts: string[] = []
  let e = err as { message?: string; details?: string; cause?: unknown } | undefined
  while (e !== undefined && e !== null && parts.length < 6) {
    if (e.details !== undefined) parts.push(e.details)
    if (e.message !== undefined) parts.push(e.message)
    e = e.cause as typeof e
  }
  return parts.join(' | ')
}
