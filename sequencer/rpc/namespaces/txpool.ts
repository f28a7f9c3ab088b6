import { getAddress } from 'viem'
import { method, type MethodTable } from '../methods.ts'
import { ErrorCode, RpcError } from '../errors.ts'
import { formatTx, q } from '../format.ts'
import * as p from '../params.ts'
import type { PooledTx, RpcContext } from '../context.ts'

/**
 * txpool_: geth's shapes; content is keyed by checksummed sender, then by decimal nonce.
 * txpool_status reads counters the pool keeps (no walk). txpool_content answers only while the
 * pool is within rpc.txpoolContentMaxTxs transactions and rpc.txpoolContentMaxBytes bytes of
 * encodings (-32005 otherwise: a full pool would be hundreds of MB of JSON); txpool_contentFrom
 * (one sender, as geth) has the same limits.
 */
export function txpoolMethods(ctx: RpcContext): MethodTable {
  const group = (bySender: Map<string, PooledTx[]>) => {
    const out: Record<string, Record<string, unknown>> = {}
    for (const [sender, txs] of bySender) {
      out[getAddress(sender)] = Object.fromEntries(txs.map((t) => [t.nonce.toString(), formatTx(t.tx, t.hash, t.sender.bytes)]))
    }
    return out
  }
  const bySender = (m: Map<string, PooledTx[]>) => {
    const out: Record<string, unknown> = {}
    for (const [, txs] of m) for (const t of txs) out[t.nonce.toString()] = formatTx(t.tx, t.hash, t.sender.bytes)
    return out
  }
  const checkSize = (what: string, count: number, bytes: number, hint: string) => {
    // read here, not when the table is built: the table is built without a context to list the names
    const { txpoolContentMaxTxs: maxTxs, txpoolContentMaxBytes: maxBytes } = ctx.config.rpc
    if (count > maxTxs || bytes > maxBytes) {
      throw new RpcError(
        ErrorCode.limitExceeded,
        `${what} holds ${count} transactions (${bytes} bytes), over the txpool_content limit of ${maxTxs} transactions or ${maxBytes} bytes; ${hint}`,
      )
    }
  }

  return {
    txpool_status: method([], () => {
      const { pending, queued } = ctx.pool.stats()
      return { pending: q(pending), queued: q(queued) }
    }),
    txpool_content: method([], () => {
      const { pending, queued, bytes } = ctx.pool.stats()
      checkSize('the pool', pending + queued, bytes, 'use txpool_status, or txpool_contentFrom(address) for one sender')
      const c = ctx.pool.content()
      return { pending: group(c.pending), queued: group(c.queued) }
    }),
    txpool_contentFrom: method([p.address], (address) => {
      const senderHex = address.toString()
      const { count, bytes } = ctx.pool.senderStats(senderHex)
      checkSize('this sender', count, bytes, 'use eth_getTransactionCount(address, "pending")')
      const c = ctx.pool.content(senderHex)
      return { pending: bySender(c.pending), queued: bySender(c.queued) }
    }),
  }
}
