/**
 * Mempool admission over real HTTP: every rejection is -32000 with geth's wording (checked on the
 * raw JSON-RPC error and through viem, which maps some of them to typed errors), nonce gaps, fee
 * caps below the base fee, replacement by price bump, and the per-sender and global caps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BaseError,
  InsufficientFundsError,
  IntrinsicGasTooLowError,
  InvalidInputRpcError,
  NonceTooLowError,
  RpcError,
  TransactionTypeNotSupportedError,
  parseGwei,
  parseTransaction,
  serializeTransaction,
  type Hex,
  type TransactionSerializableEIP1559,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { CHAIN_ID, SINK, signTransfer, type TxFields } from '../helpers/transfers.ts'
import { DEFAULT_MAX_TX_BYTES } from '../../sequencer/config.ts'

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const signer = (i: number) => privateKeyToAccount(accounts[i].privateKey as Hex)
const sign = signTransfer

/** geth's message, optionally followed by ": <detail>" as geth does (e.g. "nonce too low: address ..."). */
function gethMessage(wording: string): RegExp {
  return new RegExp(`^${wording.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(: .*)?$`, 's')
}

/** Sends raw bytes and checks the JSON-RPC error is -32000 with geth's wording; returns the message. */
async function expectRejected(t: TestNode, raw: Hex, wording: string): Promise<string> {
  const r = await t.rpcRaw('eth_sendRawTransaction', [raw])
  expect(r.result, `expected "${wording}", got a hash`).toBeUndefined()
  expect(r.error?.code).toBe(-32000)
  expect(r.error?.message).toMatch(gethMessage(wording))
  return r.error!.message
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<BaseError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(BaseError)
    return err as BaseError
  }
  throw new Error('expected the call to be rejected')
}

/** viem's sendRawTransaction does not map node errors to typed ones: the -32000 error is an InvalidInputRpcError with our message as details. */
async function expectViemRawRejected(t: TestNode, raw: Hex, wording: string): Promise<void> {
  const err = await rejection(t.wallet(0).sendRawTransaction({ serializedTransaction: raw }))
  const rpcErr = err.walk((e) => e instanceof InvalidInputRpcError) as RpcError | null
  expect(rpcErr, `no InvalidInputRpcError in ${err.message}`).not.toBeNull()
  expect(rpcErr!.code).toBe(-32000)
  expect(rpcErr!.details).toMatch(gethMessage(wording))
}

async function waitForReceipt(t: TestNode, hash: Hex, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const receipt = await t.rpc('eth_getTransactionReceipt', [hash])
    if (receipt !== null) return receipt
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A node that only seals blocks when the test calls `t.node.mine()`. */
const manual = (input: Parameters<typeof startTestNode>[0] = {}) =>
  startTestNode({ ...input, sequencer: { automine: false, blockTimeMs: 60_000, ...input.sequencer } })

describe('mempool', () => {
  describe('rejections (-32000, geth wording)', () => {
    let t: TestNode
    beforeAll(async () => {
      t = await manual()
    })
    afterAll(() => t?.close())

    it('nonce too low → NonceTooLowError', async () => {
      const first = await sign(0, { nonce: 0 })
      const hash = await t.rpc('eth_sendRawTransaction', [first])
      await t.node.mine()
      expect((await t.rpc('eth_getTransactionReceipt', [hash])).status).toBe('0x1')

      const stale = await sign(0, { nonce: 0, value: 2n })
      const message = await expectRejected(t, stale, 'nonce too low')
      expect(message).toContain('tx: 0 state: 1')
      await expectViemRawRejected(t, stale, 'nonce too low')
      const err = await rejection(
        t.wallet(0).sendTransaction({ nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: SINK, value: 3n }),
      )
      expect(err.walk((e) => e instanceof NonceTooLowError)).toBeInstanceOf(NonceTooLowError)
    })

    it('already known → NonceTooLowError (viem maps it so)', async () => {
      const fields = { nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: parseGwei('1'), to: SINK, value: 1n } as const
      const raw = await sign(1, fields)
      const hash = await t.rpc('eth_sendRawTransaction', [raw])
      expect(parseTransaction(raw).nonce).toBe(0)
      await expectRejected(t, raw, 'already known')
      await expectViemRawRejected(t, raw, 'already known')
      // viem signs deterministically: the same fields give the same bytes, so the same hash
      const err = await rejection(t.wallet(1).sendTransaction(fields))
      expect(err.walk((e) => e instanceof NonceTooLowError)).toBeInstanceOf(NonceTooLowError)
      expect((await t.rpc('eth_getTransactionByHash', [hash])).hash).toBe(hash)
    })

    it('replacement transaction underpriced below a 10% bump on either fee; exactly +10% on both replaces', async () => {
      const cap = parseGwei('10')
      const tip = parseGwei('1')
      const original = await sign(2, { nonce: 0, maxFeePerGas: cap, maxPriorityFeePerGas: tip })
      const oldHash = await t.rpc('eth_sendRawTransaction', [original])

      const tries: [string, TxFields][] = [
        ['same fees, other value', { value: 99n }],
        ['cap +9%, tip +10%', { maxFeePerGas: (cap * 109n) / 100n, maxPriorityFeePerGas: (tip * 110n) / 100n }],
        ['cap +10%, tip +9%', { maxFeePerGas: (cap * 110n) / 100n, maxPriorityFeePerGas: (tip * 109n) / 100n }],
        ['cap +100%, tip unchanged', { maxFeePerGas: cap * 2n, maxPriorityFeePerGas: tip }],
        ['cap +10% minus 1 wei, tip +10%', { maxFeePerGas: (cap * 110n) / 100n - 1n, maxPriorityFeePerGas: (tip * 110n) / 100n }],
        ['cap +10%, tip +10% minus 1 wei', { maxFeePerGas: (cap * 110n) / 100n, maxPriorityFeePerGas: (tip * 110n) / 100n - 1n }],
      ]
      for (const [label, fields] of tries) {
        const raw = await sign(2, { nonce: 0, maxFeePerGas: cap, maxPriorityFeePerGas: tip, value: 2n, ...fields })
        await expect(expectRejected(t, raw, 'replacement transaction underpriced'), label).resolves.toBeTypeOf('string')
      }
      await expectViemRawRejected(t, await sign(2, { nonce: 0, value: 3n }), 'replacement transaction underpriced')
      expect((await t.rpc('eth_getTransactionByHash', [oldHash])).hash).toBe(oldHash)

      const replacement = await sign(2, { nonce: 0, maxFeePerGas: (cap * 110n) / 100n, maxPriorityFeePerGas: (tip * 110n) / 100n, value: 7n })
      const newHash = await t.rpc('eth_sendRawTransaction', [replacement])
      expect(newHash).not.toBe(oldHash)
      expect(await t.rpc('eth_getTransactionByHash', [oldHash])).toBeNull()
      const content = await t.rpc('txpool_content')
      const ours = content.pending[signer(2).address] // keyed by checksummed address, as geth
      expect(Object.keys(ours)).toEqual(['0'])
      expect(ours['0'].hash).toBe(newHash)

      await t.node.mine()
      const receipt = await t.rpc('eth_getTransactionReceipt', [newHash])
      expect(receipt.status).toBe('0x1')
      expect(await t.rpc('eth_getTransactionReceipt', [oldHash])).toBeNull()
      expect(await t.rpc('eth_getTransactionByHash', [oldHash])).toBeNull()
      expect((await t.rpc('eth_getTransactionByHash', [newHash])).value).toBe('0x7')
    })

    it('insufficient funds for gas * price + value → InsufficientFundsError', async () => {
      const pauper = privateKeyToAccount(generatePrivateKey())
      const fields = { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, to: SINK, value: 0n } as const
      const raw = await pauper.signTransaction(fields)
      const message = await expectRejected(t, raw, 'insufficient funds for gas * price + value')
      expect(message).toContain(`balance 0, tx cost ${21_000n * parseGwei('10')}`)
      await expectViemRawRejected(t, raw, 'insufficient funds for gas * price + value')

      // a funded account whose value alone exceeds its balance
      const balance = BigInt(await t.rpc('eth_getBalance', [accounts[3].address, 'latest']))
      const tooMuch = await sign(3, { value: balance })
      await expectRejected(t, tooMuch, 'insufficient funds for gas * price + value')
      const err = await rejection(
        t.wallet(3).sendTransaction({ nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, to: SINK, value: balance }),
      )
      expect(err.walk((e) => e instanceof InsufficientFundsError)).toBeInstanceOf(InsufficientFundsError)
    })

    it('insufficient funds also counts what the sender\'s pending transactions may spend (no overdraft)', async () => {
      const p = privateKeyToAccount(generatePrivateKey())
      const fee = 21_000n * parseGwei('10')
      const fields = (nonce: number, value: bigint, bump = 100n) =>
        ({ type: 'eip1559', chainId: CHAIN_ID, nonce, gas: 21_000n, maxFeePerGas: (parseGwei('10') * bump) / 100n, maxPriorityFeePerGas: (parseGwei('1') * bump) / 100n, to: SINK, value }) as const
      const fund = await t.rpc('eth_sendRawTransaction', [await sign(9, { to: p.address, value: 10n ** 18n })])
      await t.node.mine()
      expect((await t.rpc('eth_getTransactionReceipt', [fund])).status).toBe('0x1')

      const first = await t.rpc('eth_sendRawTransaction', [await p.signTransaction(fields(0, 7n * 10n ** 17n))])
      // each alone is affordable, both together are not: refused, not acknowledged and dropped later
      const second = await p.signTransaction(fields(1, 7n * 10n ** 17n))
      const message = await expectRejected(t, second, 'insufficient funds for gas * price + value')
      expect(message).toContain(`queued cost ${7n * 10n ** 17n + fee}`)
      const err = await rejection(
        t.wallet(0).sendTransaction({ account: p, ...fields(1, 7n * 10n ** 17n), type: 'eip1559' }),
      )
      expect(err.walk((e) => e instanceof InsufficientFundsError)).toBeInstanceOf(InsufficientFundsError)
      const fits = await t.rpc('eth_sendRawTransaction', [await p.signTransaction(fields(1, 10n ** 18n - 7n * 10n ** 17n - 2n * fee))])
      // a replacement of nonce 0 that would overdraw together with nonce 1 is refused as well
      await expectRejected(t, await p.signTransaction(fields(0, 7n * 10n ** 17n + 1n, 110n)), 'insufficient funds for gas * price + value')

      await t.node.mine()
      for (const h of [first, fits]) expect((await t.rpc('eth_getTransactionReceipt', [h])).status).toBe('0x1')
    })

    it('intrinsic gas too low → IntrinsicGasTooLowError', async () => {
      const raw = await sign(4, { gas: 20_999n })
      const message = await expectRejected(t, raw, 'intrinsic gas too low')
      expect(message).toContain('minimum needed 21000')
      await expectViemRawRejected(t, raw, 'intrinsic gas too low')
      // calldata raises the intrinsic gas: 21000 is too little with 100 non-zero bytes
      await expectRejected(t, await sign(4, { data: `0x${'ff'.repeat(100)}` }), 'intrinsic gas too low')
      const err = await rejection(
        t.wallet(4).sendTransaction({ nonce: 0, gas: 20_999n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, to: SINK }),
      )
      expect(err.walk((e) => e instanceof IntrinsicGasTooLowError)).toBeInstanceOf(IntrinsicGasTooLowError)
    })

    it('exceeds block gas limit', async () => {
      const latest = await t.rpc('eth_getBlockByNumber', ['latest', false])
      const limit = BigInt(latest.gasLimit)
      const raw = await sign(4, { gas: limit + 1n })
      await expectRejected(t, raw, 'exceeds block gas limit')
      await expectViemRawRejected(t, raw, 'exceeds block gas limit')
      // exactly the block gas limit is fine (affordable: 60M gas * 10 gwei = 0.6 ETH); the higher
      // tip puts it first in the block, where the whole limit is still available
      const atLimit = await sign(4, { gas: limit, maxPriorityFeePerGas: parseGwei('2') })
      const hash = await t.rpc('eth_sendRawTransaction', [atLimit])
      expect((await t.rpc('eth_getTransactionByHash', [hash])).gas).toBe(`0x${limit.toString(16)}`)
      await t.node.mine()
      expect((await t.rpc('eth_getTransactionReceipt', [hash])).status).toBe('0x1')
    })

    it('transaction underpriced when the tip is below the node minimum', async () => {
      const strict = await startTestNode({ pool: { minPriorityFee: parseGwei('1') } })
      try {
        const raw = await sign(5, { maxPriorityFeePerGas: parseGwei('1') - 1n })
        const message = await expectRejected(strict, raw, 'transaction underpriced')
        expect(message).toContain(`minimum ${parseGwei('1')} wei`)
        await expectViemRawRejected(strict, raw, 'transaction underpriced')
        const ok = await strict.rpc('eth_sendRawTransaction', [await sign(5, { maxPriorityFeePerGas: parseGwei('1') })])
        expect((await waitForReceipt(strict, ok)).status).toBe('0x1')
      } finally {
        await strict.close()
      }
    })

    it('invalid chain id (signed for chain 1, typed and legacy)', async () => {
      const typed = await sign(5, { chainId: 1 })
      await expectRejected(t, typed, 'invalid chain id')
      await expectViemRawRejected(t, typed, 'invalid chain id')
      const legacy = await signer(5).signTransaction({ type: 'legacy', chainId: 1, nonce: 0, gas: 21_000n, gasPrice: parseGwei('10'), to: SINK })
      await expectRejected(t, legacy, 'invalid chain id')
    })

    it('invalid sender for a bad signature (r ≥ n, r off the curve, high s)', async () => {
      const fields: TransactionSerializableEIP1559 = {
        type: 'eip1559', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, to: SINK, value: 1n,
      }
      const good = parseTransaction(await signer(6).signTransaction(fields))
      const sig = { r: good.r!, s: good.s!, yParity: good.yParity! }
      const hex = (n: bigint) => `0x${n.toString(16)}` as Hex
      const variants: [string, Hex][] = [
        ['r = n', serializeTransaction(fields, { ...sig, r: hex(SECP256K1_N) })],
        ['r not an x coordinate', serializeTransaction(fields, { ...sig, r: `0x${'11'.repeat(32)}` })],
        ['high s (malleated)', serializeTransaction(fields, { ...sig, s: hex(SECP256K1_N - BigInt(sig.s)), yParity: 1 - sig.yParity })],
        ['r = 0', serializeTransaction(fields, { ...sig, r: '0x0' })],
      ]
      for (const [label, raw] of variants) {
        await expect(expectRejected(t, raw, 'invalid sender'), label).resolves.toBeTypeOf('string')
      }
      await expectViemRawRejected(t, variants[0][1], 'invalid sender')
    })

    it('oversized data above pool.maxTxBytes (120,000 bytes); exactly the limit is accepted and mined', async () => {
      const LIMIT = DEFAULT_MAX_TX_BYTES
      // zero bytes keep the gas (and the EIP-7623 floor) affordable; find the data length whose envelope is exactly LIMIT
      const build = (len: number) => sign(7, { data: `0x${'00'.repeat(len)}`, gas: 3_000_000n })
      let len = LIMIT - 200
      const overhead = ((await build(len)).length - 2) / 2 - len
      len = LIMIT - overhead
      const exact = await build(len)
      expect((exact.length - 2) / 2).toBe(LIMIT)
      const over = await build(len + 1)
      const message = await expectRejected(t, over, 'oversized data')
      expect(message).toContain(`${LIMIT + 1} bytes, limit ${LIMIT}`)
      await expectViemRawRejected(t, over, 'oversized data')
      const hash = await t.rpc('eth_sendRawTransaction', [exact])
      await t.node.mine()
      expect((await t.rpc('eth_getTransactionReceipt', [hash])).status).toBe('0x1')
    })

    it('blob transactions (type 3) are refused with a clear message', async () => {
      const raw = await signer(8).signTransaction({
        type: 'eip4844', chainId: CHAIN_ID, nonce: 0, gas: 21_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, to: SINK,
        blobVersionedHashes: [`0x01${'00'.repeat(31)}`], maxFeePerBlobGas: 1n,
      })
      expect(raw.startsWith('0x03')).toBe(true)
      const message = await expectRejected(t, raw, 'transaction type not supported')
      expect(message).toMatch(/blob/i)
      await expectViemRawRejected(t, raw, 'transaction type not supported')
      // viem's TransactionTypeNotSupportedError matches "transaction type not valid", not geth's
      // ErrTxTypeNotSupported wording, so through viem this stays an RPC error carrying our message
      const err = await rejection(t.wallet(8).sendRawTransaction({ serializedTransaction: raw }))
      expect(err.walk((e) => e instanceof TransactionTypeNotSupportedError)).toBeNull()
      expect(await t.rpc('txpool_status')).toEqual(expect.objectContaining({ queued: '0x0' }))
    })
  })

  describe('nonce gaps and fee caps (automine)', () => {
    it('a nonce gap is queued and not mined; filling it mines both in nonce order', async () => {
      const t = await startTestNode()
      try {
        const later = await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce: 1 })])
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x1' })
        const content = await t.rpc('txpool_content')
        expect(Object.keys(content.pending)).toEqual([])
        expect(Object.values(content.queued).flatMap((byNonce: any) => Object.keys(byNonce))).toEqual(['1'])
        await sleep(300)
        expect(await t.rpc('eth_blockNumber')).toBe('0x0')
        expect(await t.rpc('eth_getTransactionReceipt', [later])).toBeNull()
        expect((await t.rpc('eth_getTransactionByHash', [later])).blockHash).toBeNull()

        const first = await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce: 0 })])
        const r0 = await waitForReceipt(t, first)
        const r1 = await waitForReceipt(t, later)
        expect(r0.status).toBe('0x1')
        expect(r1.status).toBe('0x1')
        const order = (r: any) => [BigInt(r.blockNumber), BigInt(r.transactionIndex)] as const
        const [b0, i0] = order(r0)
        const [b1, i1] = order(r1)
        expect(b0 < b1 || (b0 === b1 && i0 < i1)).toBe(true)
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
        expect(await t.rpc('eth_getTransactionCount', [accounts[0].address, 'latest'])).toBe('0x2')
      } finally {
        await t.close()
      }
    })

    it('a fee cap below the next base fee is accepted, waits, and is mined once the base fee falls under it', async () => {
      const t = await startTestNode()
      try {
        const genesis = await t.rpc('eth_getBlockByNumber', ['0x0', false])
        expect(BigInt(genesis.baseFeePerGas)).toBe(1_000_000_000n)
        // block 1's base fee is 875000000 (an empty genesis lowers it by 1/8); 800000000 cannot pay it
        const lowCap = 800_000_000n
        const low = await t.rpc('eth_sendRawTransaction', [await sign(0, { maxFeePerGas: lowCap, maxPriorityFeePerGas: 1n })])
        const status = await t.rpc('txpool_status')
        expect(BigInt(status.pending) + BigInt(status.queued)).toBe(1n)
        const inContent = async () => {
          const c = await t.rpc('txpool_content')
          return [...Object.values(c.pending), ...Object.values(c.queued)].some((byNonce: any) => Object.values(byNonce).some((tx: any) => tx.hash === low))
        }
        expect(await inContent()).toBe(true)

        // a normal transaction is mined past it, in block 1 at base fee 875000000
        const normal = await t.rpc('eth_sendRawTransaction', [await sign(1)])
        const r = await waitForReceipt(t, normal)
        const block1 = await t.rpc('eth_getBlockByNumber', [r.blockNumber, false])
        expect(r.blockNumber).toBe('0x1')
        expect(BigInt(block1.baseFeePerGas)).toBe(875_000_000n)
        expect(block1.transactions).toEqual([normal])
        expect(await t.rpc('eth_getTransactionReceipt', [low])).toBeNull()
        expect(await inContent()).toBe(true)

        // block 1 was nearly empty, so block 2's base fee drops below 800000000: the low one gets in
        const nextBaseFee = 875_000_000n - (875_000_000n * (30_000_000n - 21_000n)) / 30_000_000n / 8n
        expect(nextBaseFee).toBeLessThan(lowCap)
        const trigger = await t.rpc('eth_sendRawTransaction', [await sign(2)])
        const rLow = await waitForReceipt(t, low)
        await waitForReceipt(t, trigger)
        const block2 = await t.rpc('eth_getBlockByNumber', [rLow.blockNumber, false])
        expect(rLow.blockNumber).toBe('0x2')
        expect(BigInt(block2.baseFeePerGas)).toBe(nextBaseFee)
        expect(BigInt(rLow.effectiveGasPrice)).toBeLessThanOrEqual(lowCap)
        expect(await inContent()).toBe(false)
      } finally {
        await t.close()
      }
    })
  })

  describe('caps and eviction ({ accountSlots: 4, globalSlots: 6 })', () => {
    const caps = { pool: { accountSlots: 4, globalSlots: 6 } }

    it('a sender at its cap may fill a gap (its highest nonce is evicted) but not append', async () => {
      const t = await manual(caps)
      try {
        const hashes: Hex[] = []
        for (const nonce of [0, 1, 2]) hashes.push(await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce })]))
        const far = await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce: 6 })])
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x3', queued: '0x1' })

        // nonce 3 closes the run; the sender is full, so its highest nonce (6) makes room
        const three = await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce: 3 })])
        expect(await t.rpc('eth_getTransactionByHash', [far])).toBeNull()
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x4', queued: '0x0' })

        // appending beyond the cap is refused, whatever it pays
        await expectRejected(t, await sign(0, { nonce: 4, maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('50') }), 'account limit exceeded')
        await expectRejected(t, await sign(0, { nonce: 7 }), 'account limit exceeded')
        // a replacement is not an addition
        const bumped = await t.rpc('eth_sendRawTransaction', [await sign(0, { nonce: 3, maxFeePerGas: parseGwei('20'), maxPriorityFeePerGas: parseGwei('2') })])
        expect(await t.rpc('eth_getTransactionByHash', [three])).toBeNull()

        await t.node.mine()
        for (const h of [...hashes, bumped]) expect((await t.rpc('eth_getTransactionReceipt', [h])).status).toBe('0x1')
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
      } finally {
        await t.close()
      }
    })

    it('a full pool evicts the cheapest tail for a better-paying newcomer and refuses a cheaper one', async () => {
      const t = await manual(caps)
      try {
        const gwei = (n: number | string) => parseGwei(String(n))
        const send = async (i: number, nonce: number, cap: bigint) =>
          (await t.rpc('eth_sendRawTransaction', [await sign(i, { nonce, maxFeePerGas: cap, maxPriorityFeePerGas: 1n })])) as Hex
        const a0 = await send(0, 0, gwei(10))
        const a1 = await send(0, 1, gwei(10))
        const b0 = await send(1, 0, gwei(5))
        const b1 = await send(1, 1, gwei(2)) // the cheapest tail
        const c0 = await send(2, 0, gwei(10))
        const c1 = await send(2, 1, gwei(8))
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })

        // better than the cheapest tail (b1 at 2 gwei): b1 goes
        const d0 = await send(3, 0, gwei(20))
        expect(await t.rpc('eth_getTransactionByHash', [b1])).toBeNull()
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })

        // the cheapest tail is now b0 at 5 gwei: below or equal is refused, nothing is evicted
        await expectRejected(t, await sign(4, { maxFeePerGas: gwei(3), maxPriorityFeePerGas: 1n }), 'transaction underpriced')
        await expectRejected(t, await sign(4, { maxFeePerGas: gwei(5), maxPriorityFeePerGas: 1n }), 'transaction underpriced')
        await expectViemRawRejected(t, await sign(4, { maxFeePerGas: gwei(4), maxPriorityFeePerGas: 1n }), 'transaction underpriced')
        for (const h of [a0, a1, b0, c0, c1, d0]) expect(await t.rpc('eth_getTransactionByHash', [h])).not.toBeNull()

        // 6 gwei beats b0
        const e0 = await send(4, 0, gwei(6))
        expect(await t.rpc('eth_getTransactionByHash', [b0])).toBeNull()
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })

        await t.node.mine()
        for (const h of [a0, a1, c0, c1, d0, e0]) expect((await t.rpc('eth_getTransactionReceipt', [h])).status).toBe('0x1')
        for (const h of [b0, b1]) {
          expect(await t.rpc('eth_getTransactionReceipt', [h])).toBeNull()
          expect(await t.rpc('eth_getTransactionByHash', [h])).toBeNull()
        }
        expect(await t.rpc('eth_getTransactionCount', [accounts[1].address, 'latest'])).toBe('0x0')
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' })
      } finally {
        await t.close()
      }
    })

    it('a full pool lets a newcomer behind a nonce gap evict only queued transactions, never executable ones', async () => {
      const t = await manual(caps)
      try {
        const gwei = (n: number) => parseGwei(String(n))
        const send = async (i: number, nonce: number, cap: bigint) =>
          (await t.rpc('eth_sendRawTransaction', [await sign(i, { nonce, maxFeePerGas: cap, maxPriorityFeePerGas: 1n })])) as Hex
        for (const i of [0, 1, 2]) for (const nonce of [0, 1]) await send(i, nonce, gwei(2))
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })

        // nonce 5 of a new sender is queued: however much it pays, it cannot push out pending ones
        await expectRejected(t, await sign(3, { nonce: 5, maxFeePerGas: gwei(100), maxPriorityFeePerGas: 1n }), 'transaction underpriced')
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })

        // an executable newcomer still evicts the cheapest tail
        await send(3, 0, gwei(100))
        expect(await t.rpc('txpool_status')).toEqual({ pending: '0x6', queued: '0x0' })
      } finally {
        await t.close()
      }
    })
  })
})
