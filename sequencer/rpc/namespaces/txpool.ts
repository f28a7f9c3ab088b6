import { getAddress } from 'viem'
import { method, type MethodTable } from '../methods.ts'
import { formatTx, q } from '../format.ts'
import type { PooledTx, RpcContext } from '../context.ts'

/** txpool_: geth's shapes; content is keyed by checksummed sender, then by decimal nonce. */
export function txpoolMethods(ctx: RpcContext): MethodTable {
  const group = (bySender: Map<string, PooledTx[]>) => {
    const out: Record<string, Record<string, unknown>> = {}
    for (const [sender, txs] of bySender) {
      out[getAddress(sender)] = Object.fromEntries(txs.map((t) => [t.nonce.toString(), formatTx(t.tx, t.hash, t.sender.bytes)]))
    }
    return out
  }
  const count = (bySender: Map<string, PooledTx[]>) => [...bySender.values()].reduce((n, txs) => n + txs.length, 0)

  return {
    txpool_status: method([], () => {
      const { pending, queued } = ctx.pool.content()
      return { pending: q(count(pending)), queued: q(count(queued)) }
    }),
    txpool_content: method([], () => {
      const { pending, queued } = ctx.pool.content()
      return { pending: group(pending), queued: group(queued) }
    }),
  }
}
