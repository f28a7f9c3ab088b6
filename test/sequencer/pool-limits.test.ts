/**
 * The pool's limits against abuse (issue 19), over real HTTP: a minimum fee cap (a key without
 * funds cannot fill the pool for free), an absolute replacement bump, a byte bound, queued
 * (nonce-gapped) transactions with their own small limits that never displace executable ones,
 * and their lifetime, which a restart does not renew (txpool_content's cap: rpc-limits.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { parseGwei, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { CHAIN_ID, SINK, signTransfer, signTransferWith } from '../helpers/transfers.ts'

const signWith = signTransferWith
const sign = signTransfer

async function expectRejected(t: TestNode, raw: Hex, wording: string): Promise<string> {
  const r = await t.rpcRaw('eth_sendRawTransaction', [raw])
  expect(r.result, `expected "${wording}", got a hash`).toBeUndefined()
  expect(r.error?.code).toBe(-32000)
  expect(r.error?.message.startsWith(wording), r.error?.message).toBe(true)
  return r.error!.message
}

const send = (t: TestNode, raw: Hex) => t.rpc<Hex>('eth_sendRawTransaction', [raw])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const manual = (input: Parameters<typeof startTestNode>[0] = {}) =>
  startTestNode({ ...input, sequencer: { automine: false, blockTimeMs: 60_000, ...input.sequencer } })

describe('pool limits', () => {
  it('refuses a fee cap below pool.minFeeCap (1,000,000 wei): zero-fee transactions from keys without funds are not admitted', async () => {
    const t = await manual()
    try {
      const fresh = generatePrivateKey()
      const message = await expectRejected(t, await signWith(fresh, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }), 'transaction underpriced')
      expect(message).toContain('minimum 1000000 wei')
      // legacy too
      const legacy = await privateKeyToAccount(fresh).signTransaction({ type: 'legacy', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, gasPrice: 0n, to: SINK, value: 0n })
      await expectRejected(t, legacy, 'transaction underpriced')
      await expectRejected(t, await sign(0, { maxFeePerGas: 999_999n, maxPriorityFeePerGas: 0n }), 'transaction underpriced')
      await send(t, await sign(0, { maxFeePerGas: 1_000_000n, maxPriorityFeePerGas: 0n }))
      // at the minimum a key without funds cannot pay for its gas
      await expectRejected(t, await signWith(fresh, { maxFeePerGas: 1_000_000n, maxPriorityFeePerGas: 0n, value: 0n }), 'insufficient funds for gas * price + value')
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x0' })
    } finally {
      await t.close()
    }
  })

  it('a replacement raises the fee cap by pool.minReplacementBump (1,000,000 wei) as well as by 10%: 10% of nothing is nothing', async () => {
    const t = await manual()
    try {
      await send(t, await sign(0, { maxFeePerGas: 2_000_000n, maxPriorityFeePerGas: 100_000n }))
      // +10% on both fees, but only +200,000 wei on the cap
      await expectRejected(t, await sign(0, { maxFeePerGas: 2_200_000n, maxPriorityFeePerGas: 110_000n }), 'replacement transaction underpriced')
      const replaced = await send(t, await sign(0, { maxFeePerGas: 3_000_000n, maxPriorityFeePerGas: 110_000n }))
      expect((await t.rpc('eth_getTransactionByHash', [replaced])).maxFeePerGas).toBe('0x2dc6c0')
    } finally {
      await t.close()
    }
    // with the fee floor lifted, a zero-fee transaction still cannot be replaced by another zero-fee one
    const z = await manual({ pool: { minFeeCap: 0n } })
    try {
      await send(z, await sign(0, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, value: 1n }))
      for (let value = 2n; value < 5n; value++) {
        await expectRejected(z, await sign(0, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, value }), 'replacement transaction underpriced')
      }
      expect(await z.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x0' })
    } finally {
      await z.close()
    }
  })

  it('holds at most pool.maxBytes of transactions: a full pool refuses a newcomer that pays no more, and evicts for one that pays more', async () => {
    const t = await manual({ pool: { maxBytes: 25_000, maxTxBytes: 20_000 } })
    try {
      // ~10.1 kB each: two fit in 25,000 bytes, a third does not
      const big = (i: number, gwei: string) => sign(i, { gas: 500_000n, data: `0x${'ab'.repeat(10_000)}`, maxFeePerGas: parseGwei(gwei) })
      const a = await send(t, await big(0, '5'))
      const b = await send(t, await big(1, '10'))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x2', queued: '0x0' })
      const message = await expectRejected(t, await big(2, '5'), 'transaction underpriced')
      expect(message).toContain('pool is full')
      // small transactions still fit in what is left
      await send(t, await sign(3))
      // a better-paying big one evicts the cheapest (a)
      await send(t, await big(2, '20'))
      expect(await t.rpc('eth_getTransactionByHash', [a])).toBeNull()
      expect(await t.rpc('eth_getTransactionByHash', [b])).not.toBeNull()
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x3', queued: '0x0' })
    } finally {
      await t.close()
    }
  })

  it('keeps queued (nonce-gapped) transactions within their own limits, per sender and in total, and ordinary transfers still get in and are mined', async () => {
    const t = await manual({ pool: { queuedGlobalSlots: 6, queuedAccountSlots: 3 } })
    try {
      for (const nonce of [5, 6, 7]) await send(t, await sign(0, { nonce }))
      const perSender = await expectRejected(t, await sign(0, { nonce: 8 }), 'account limit exceeded')
      expect(perSender).toContain('3 queued')
      for (const nonce of [5, 6, 7]) await send(t, await sign(1, { nonce }))
      const global = await expectRejected(t, await sign(2, { nonce: 5 }), 'txpool is full')
      expect(global).toContain('6 queued')
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x6' })

      // the queue being full blocks nothing executable
      const transfers: Hex[] = []
      for (const i of [2, 3, 4]) transfers.push(await send(t, await sign(i)))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x3', queued: '0x6' })
      await t.node.mine()
      for (const h of transfers) expect((await t.rpc('eth_getTransactionReceipt', [h])).status).toBe('0x1')
    } finally {
      await t.close()
    }
  })

  it('a full pool makes room for an executable newcomer by dropping queued transactions, whatever they pay', async () => {
    const t = await manual({ pool: { globalSlots: 6, accountSlots: 4 } })
    try {
      for (const i of [0, 1]) for (const nonce of [2, 3, 4]) await send(t, await sign(i, { nonce, maxFeePerGas: parseGwei('100') }))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x6' })
      // a cheap but executable transaction gets in: queued ones cannot run, so they go first
      const cheap = await send(t, await sign(2, { maxFeePerGas: parseGwei('2'), maxPriorityFeePerGas: 1n }))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x5' })
      await t.node.mine()
      expect((await t.rpc('eth_getTransactionReceipt', [cheap])).status).toBe('0x1')
    } finally {
      await t.close()
    }
  })

  it('drops queued transactions after pool.queuedLifetimeMs, and a restart does not renew their lifetime', async () => {
    const t = await manual({ pool: { queuedLifetimeMs: 1_500 } })
    const dataDir = t.dataDir
    let pendingHash: Hex
    try {
      const queued = await send(t, await sign(0, { nonce: 3 }))
      pendingHash = await send(t, await sign(1))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x1' })
      await sleep(2_700)
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x0' })
      expect(await t.rpc('eth_getTransactionByHash', [queued])).toBeNull()
    } finally {
      await t.close({ keepData: true })
    }

    // a queued transaction accepted under a long lifetime, the node stopped, restarted with a short one
    const a = await manual({ dataDir })
    let old: Hex
    try {
      old = await send(a, await sign(2, { nonce: 4 }))
    } finally {
      await a.close({ keepData: true })
    }
    await sleep(1_800)
    const b = await manual({ dataDir, pool: { queuedLifetimeMs: 1_500 } })
    try {
      expect(await b.rpc('eth_getTransactionByHash', [old])).toBeNull()
      expect(await b.rpc('txpool_status')).toEqual({ pending: '0x1', queued: '0x0' })
      expect(await b.rpc('eth_getTransactionByHash', [pendingHash])).not.toBeNull()
      // and a fresh one is kept
      const young = await send(b, await sign(2, { nonce: 4 }))
      expect(await b.rpc('eth_getTransactionByHash', [young])).not.toBeNull()
    } finally {
      await b.close()
    }
  })

  it('restores a long run of pending transactions from the journal even past the queued limits (replayed in nonce order)', async () => {
    const t = await manual({ pool: { queuedAccountSlots: 2, queuedGlobalSlots: 2 } })
    const dataDir = t.dataDir
    try {
      for (let nonce = 0; nonce < 12; nonce++) await send(t, await sign(0, { nonce }))
      expect(await t.rpc('txpool_status')).toEqual({ pending: '0xc', queued: '0x0' })
    } finally {
      await t.close({ keepData: true })
    }
    const r = await manual({ dataDir, pool: { queuedAccountSlots: 2, queuedGlobalSlots: 2 } })
    try {
      expect(await r.rpc('txpool_status')).toEqual({ pending: '0xc', queued: '0x0' })
    } finally {
      await r.close()
    }
  })
})
