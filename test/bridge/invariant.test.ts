/**
 * The bridge's conservation law over a random (seeded) sequence of deposits and withdrawals by
 * three users in ETH and two tokens (6 and 18 decimals): at every step what L2 has in circulation
 * is at most what L1Bridge holds, and once every deposit is included and every withdrawal is paid
 * out on L1 they are equal: each L2 token's totalSupply equals L1Bridge.lockedBalance of its L1
 * token, and L2Bridge's ETH deposited minus withdrawn equals the ETH L1Bridge holds. Each user's
 * balances follow a model kept alongside. Then a fresh node rebuilds the chain from L1 alone and
 * ends with the same blocks and the same deposit results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, parseUnits, toHex, zeroAddress, type Address, type Hex } from 'viem'
import { deriveFromL1 } from '../../batcher/derive.ts'
import { erc20Abi, l1BridgeAbi } from '../../bridge/abi.ts'
import type { WithdrawalProofResult } from '../../bridge/index.ts'
import { depositERC20, depositETH, finalizeWithdrawal, withdrawERC20, withdrawETH, type BridgeClients } from '@ai-rollup/sdk'
import { deployTestToken } from '../../scripts/bridge.ts'
import { startTestNode } from '../helpers/node.ts'
import { l1Rpc, until, untilPosted } from '../helpers/rollup.ts'
import { l2Balance, l2EthBridged, l2TokenFor, l2TotalSupply, lockedOnL1, mineL1, startBridgeRollup, type BridgeRollup } from './helpers.ts'
import { createPrng } from '../../scripts/models/prng.ts'

const SEED = 0x5eed
const STEPS = 36
const SETTLE_EVERY = 12
const WINDOW = 600


type Asset = 'eth' | Address

describe(`bridge invariant over ${STEPS} random operations (seed ${SEED})`, () => {
  let r: BridgeRollup
  const users: BridgeClients[] = []
  const tokens: { l1: Address; l2: Address; decimals: number }[] = []
  /** Bridged value each user may withdraw on L2 (deposits credited once included). */
  const withdrawable = new Map<string, bigint>()
  /** Deposits made since the last settlement, credited once they are included. */
  let uncredited: { user: number; asset: Asset; amount: bigint }[] = []
  /** Each user's L1 token balances, as they must be. */
  const l1Tokens = new Map<string, bigint>()
  const pendingWithdrawals: { user: number; hash: Hex }[] = []
  const withdrawalTxs: Hex[] = []
  const key = (user: number, asset: Asset) => `${user}:${asset}`
  const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v)

  beforeAll(async () => {
    r = await startBridgeRollup({ challengeWindowSeconds: WINDOW, bridge: { confirmations: 1 } })
    for (let i = 0; i < 3; i++) users.push(await r.user(i))
    for (const decimals of [6, 18]) {
      const t = await deployTestToken(users[0], { decimals, mint: 1n })
      for (let i = 0; i < 3; i++) {
        const amount = parseUnits('1000000', decimals)
        const hash = await users[i].l1Wallet.writeContract({ address: t.address, abi: erc20Abi, functionName: 'mint', args: [users[i].account.address, amount] })
        await r.l1Client.waitForTransactionReceipt({ hash })
        l1Tokens.set(key(i, t.address), amount + (i === 0 ? 1n : 0n))
      }
      tokens.push({ l1: t.address, l2: await l2TokenFor(r.l2, t.address), decimals })
    }
  }, 120_000)
  afterAll(() => r.close())

  /** L2 never has more in circulation than L1Bridge holds (deposits land on L1 first, withdrawals leave L2 first). */
  async function expectBacked() {
    for (const t of tokens) expect(await l2TotalSupply(r.l2, t.l2).catch(() => 0n)).toBeLessThanOrEqual(await lockedOnL1(r, t.l1))
    expect(await l2EthBridged(r.l2)).toBeLessThanOrEqual(await lockedOnL1(r, zeroAddress))
  }

  /** Includes every deposit, pays out every withdrawal, and checks the equalities and the model. */
  async function settle() {
    const next = Number(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' }))
    await mineL1(r.l1, 1)
    await until(async () => {
      const s = await r.l2.rpc('bridge_getStatus')
      return next === 0 || (s.lastIncludedNonce === next - 1 && s.pendingDeposits === 0) ? true : undefined
    }, 'every deposit on L2')
    for (const d of uncredited) add(withdrawable, key(d.user, d.asset), d.amount)
    uncredited = []
    if (pendingWithdrawals.length > 0) {
      await untilPosted(r.l2)
      for (const w of pendingWithdrawals) {
        await until(async () => {
          const p: WithdrawalProofResult = await r.l2.rpc('bridge_getWithdrawalProof', [w.hash])
          return p.withdrawals.every((x) => x.status === 'posted' || x.status === 'final') ? true : undefined
        }, `withdrawal ${w.hash} posted`)
      }
      await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
      await mineL1(r.l1, 1)
      for (const w of pendingWithdrawals.splice(0)) {
        const [result] = await finalizeWithdrawal(users[w.user], w.hash, { wait: true, timeoutMs: 20_000 })
        expect(result.alreadyFinalized).toBe(false)
      }
    }
    expect(await r.l2.rpc('bridge_getStatus')).toMatchObject({ failedDeposits: [], stopped: null })
    for (const t of tokens) {
      expect(await l2TotalSupply(r.l2, t.l2).catch(() => 0n)).toBe(await lockedOnL1(r, t.l1))
      for (let i = 0; i < users.length; i++) {
        expect(await l2Balance(r.l2, t.l2, users[i].account.address).catch(() => 0n)).toBe(withdrawable.get(key(i, t.l1)) ?? 0n)
        expect(await users[i].l1.readContract({ address: t.l1, abi: erc20Abi, functionName: 'balanceOf', args: [users[i].account.address] })).toBe(l1Tokens.get(key(i, t.l1)))
      }
    }
    expect(await l2EthBridged(r.l2)).toBe(await lockedOnL1(r, zeroAddress))
  }

  it('L2 supply never exceeds what L1 locks, and equals it whenever everything is included and paid out', async () => {
    const random = createPrng(SEED).next
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]
    const counts = { depositETH: 0, depositERC20: 0, withdrawETH: 0, withdrawERC20: 0 }
    for (let step = 1; step <= STEPS; step++) {
      const user = Math.floor(random() * users.length)
      const c = users[user]
      const t = pick(tokens)
      const op = pick(['depositETH', 'depositERC20', 'withdrawETH', 'withdrawERC20'] as const)
      const canWithdraw = (asset: Asset) => withdrawable.get(key(user, asset)) ?? 0n
      if (op === 'depositETH') {
        const amount = parseEther('0.001') * BigInt(1 + Math.floor(random() * 1000))
        await depositETH(c, { amount })
        uncredited.push({ user, asset: 'eth', amount })
        counts.depositETH++
      } else if (op === 'depositERC20') {
        const amount = parseUnits(String(1 + Math.floor(random() * 5000)), t.decimals) + BigInt(Math.floor(random() * 1000))
        await depositERC20(c, { token: t.l1, amount })
        uncredited.push({ user, asset: t.l1, amount })
        add(l1Tokens, key(user, t.l1), -amount)
        counts.depositERC20++
      } else if (op === 'withdrawETH' && canWithdraw('eth') > 0n) {
        const amount = 1n + BigInt(Math.floor(random() * Number(canWithdraw('eth') / 10n ** 9n))) * 10n ** 9n
        const w = await withdrawETH(c, { amount: amount > canWithdraw('eth') ? canWithdraw('eth') : amount })
        add(withdrawable, key(user, 'eth'), -w.amount)
        pendingWithdrawals.push({ user, hash: w.l2TxHash })
        withdrawalTxs.push(w.l2TxHash)
        counts.withdrawETH++
      } else if (op === 'withdrawERC20' && canWithdraw(t.l1) > 0n) {
        const all = canWithdraw(t.l1)
        const amount = random() < 0.2 ? all : 1n + (all * BigInt(Math.floor(random() * 1000))) / 1000n
        const w = await withdrawERC20(c, { token: t.l2, amount: amount > all ? all : amount })
        add(withdrawable, key(user, t.l1), -w.amount)
        add(l1Tokens, key(user, t.l1), w.amount) // once finalized
        pendingWithdrawals.push({ user, hash: w.l2TxHash })
        withdrawalTxs.push(w.l2TxHash)
        counts.withdrawERC20++
      }
      await expectBacked()
      if (step % SETTLE_EVERY === 0) await settle()
    }
    await settle()
    // the seed must exercise every kind of operation
    expect(Object.values(counts).every((n) => n > 0)).toBe(true)
  }, 240_000)

  it('a node rebuilt from L1 alone has the same chain, the same deposit results and the same withdrawals', async () => {
    await untilPosted(r.l2)
    const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      const result = await deriveFromL1({ l1RpcUrl: r.l1.url, rollupAnchor: r.deployments.rollupAnchor, importer: replica.node })
      const head = r.l2.node.chain.headNumber
      expect(result.head).toBe(head)
      for (const n of [1, Math.floor(head / 2), head]) {
        const [a, b] = await Promise.all([r.l2.rpc('eth_getBlockByNumber', [toHex(n), false]), replica.rpc('eth_getBlockByNumber', [toHex(n), false])])
        expect(b.hash).toBe(a.hash)
      }
      const deposits = Number(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' }))
      expect(deposits).toBeGreaterThan(5)
      for (let n = 0; n < deposits; n++) {
        const [a, b] = await Promise.all([r.l2.rpc('bridge_getDepositStatus', [toHex(n)]), replica.rpc('bridge_getDepositStatus', [toHex(n)])])
        expect(b).toEqual({ nonce: n, status: 'included', l2: a.l2 }) // the replica never read L1's events, only the chain
      }
      for (const hash of withdrawalTxs) {
        const [a, b] = await Promise.all([r.l2.rpc('bridge_getWithdrawalProof', [hash]), replica.rpc('bridge_getWithdrawalProof', [hash])])
        expect(b.withdrawals.map((w: { withdrawalHash: string }) => w.withdrawalHash)).toEqual(a.withdrawals.map((w: { withdrawalHash: string }) => w.withdrawalHash))
      }
      for (const t of tokens) expect(await l2TotalSupply(replica, t.l2).catch(() => 0n)).toBe(await l2TotalSupply(r.l2, t.l2).catch(() => 0n))
      expect(await replica.rpc('bridge_getStatus')).toBeNull()
    } finally {
      await replica.close()
    }
  }, 120_000)
})
