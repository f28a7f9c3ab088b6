/**
 * Withdrawals end to end: withdraw on L2, the batcher posts the batch with its withdrawal root,
 * the challenge window passes on Anvil (evm_increaseTime), and the bridge CLI's finalize pays out
 * through the real L1Bridge against the real RollupAnchor. Every way a claim must fail is tried
 * against the contracts themselves: before the window, twice, with a wrong proof, against a batch
 * that is not final.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFunctionData, parseEther, parseUnits, zeroAddress, type Address, type Hex } from 'viem'
import { rollupAnchorAbi } from '../../batcher/abi.ts'
import { l1BridgeAbi } from '../../bridge/abi.ts'
import type { WithdrawalProofResult } from '../../bridge/index.ts'
import { BridgeError, depositERC20, depositETH, finalizeWithdrawal, revertReason, withdrawERC20, withdrawETH, type BridgeClients } from '@ai-rollup/sdk'
import { deployTestToken, main } from '../../scripts/bridge.ts'
import { l1Rpc, sendTransfers, until, untilPosted } from '../helpers/rollup.ts'
import { l2TokenFor, l2TotalSupply, lockedOnL1, mineL1, startBridgeRollup, untilDeposit, USER_KEYS, type BridgeRollup } from './helpers.ts'

const WINDOW = 3600

describe('withdrawals', () => {
  let r: BridgeRollup
  let c: BridgeClients
  let token: Address
  let l2Token: Address
  const fees: Hex[] = [] // the user's L1 transactions from the first deposit on: their fees are all the user loses
  let l1EthBefore: bigint
  let l1TokenBefore: bigint
  let ethTx: Hex
  let tokenTx: Hex

  const proofOf = (hash: Hex): Promise<WithdrawalProofResult> => r.l2.rpc('bridge_getWithdrawalProof', [hash])
  const untilStatus = (hash: Hex, status: string) =>
    until(async () => {
      const p = await proofOf(hash)
      return p.withdrawals.every((w) => w.status === status) ? p : undefined
    }, `withdrawals of ${hash} to be ${status}`)
  const passWindow = async () => {
    await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
    await mineL1(r.l1, 1)
  }
  /** finalizeWithdrawal through eth_call on the real contracts: the revert it gets, or 'ok'. */
  const tryFinalize = async (args: readonly [bigint, bigint, Address, Address, Address, bigint, Hex[]]) => {
    try {
      await r.l1Client.simulateContract({ account: c.account.address, address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'finalizeWithdrawal', args })
      return 'ok'
    } catch (err) {
      return revertReason(err)
    }
  }
  const argsOf = (w: WithdrawalProofResult['withdrawals'][number]) => {
    const a = w.finalizeWithdrawal!.args
    return [BigInt(a.batchIndex), BigInt(a.nonce), a.l2Sender as Address, a.l1To as Address, a.l1Token as Address, BigInt(a.amount), a.proof as Hex[]] as const
  }

  beforeAll(async () => {
    r = await startBridgeRollup({ challengeWindowSeconds: WINDOW })
    c = await r.user(0)
    token = (await deployTestToken(c, { decimals: 6, mint: parseUnits('5000', 6) })).address
    l1EthBefore = await r.l1Client.getBalance({ address: c.account.address })
    l1TokenBefore = parseUnits('5000', 6)
    const eth = await depositETH(c, { amount: parseEther('5') })
    const tok = await depositERC20(c, { token, amount: parseUnits('1000', 6) })
    fees.push(eth.l1TxHash, tok.approveTxHash!, tok.l1TxHash)
    await mineL1(r.l1, 1)
    await untilDeposit(r.l2, tok.nonce)
    l2Token = await l2TokenFor(r.l2, token)
  }, 120_000)
  afterAll(() => r.close())

  it('withdrawing on L2 burns the tokens and keeps the ETH out of circulation; the proof is pending until the batch is posted', async () => {
    const eth = await withdrawETH(c, { amount: parseEther('5') })
    const tok = await withdrawERC20(c, { token, amount: parseUnits('1000', 6) }) // the L1 token's address works too
    ethTx = eth.l2TxHash
    tokenTx = tok.l2TxHash
    expect(tok.l1Token).toBe(token)
    expect(await l2TotalSupply(r.l2, l2Token)).toBe(0n)
    const p = await proofOf(ethTx)
    expect(p).toMatchObject({ txHash: ethTx, blockNumber: Number(eth.l2BlockNumber), txStatus: 1, l1: { chainId: 31337, l1Bridge: r.l1Bridge, rollupAnchor: r.deployments.rollupAnchor } })
    expect(p.withdrawals).toHaveLength(1)
    expect(p.withdrawals[0]).toMatchObject({ nonce: eth.nonce.toString(), l2Sender: c.account.address, l1To: c.account.address, l1Token: zeroAddress, amount: parseEther('5').toString(), withdrawalHash: eth.withdrawalHash })
    expect(['pending', 'posted']).toContain(p.withdrawals[0].status)
  })

  it('once posted: batch index, a proof RollupAnchor accepts, claimableAt = submission + window, the exact finalizeWithdrawal call', async () => {
    await untilPosted(r.l2)
    for (const hash of [ethTx, tokenTx]) {
      const [w] = (await untilStatus(hash, 'posted')).withdrawals
      const batch = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'getBatch', args: [BigInt(w.batchIndex!)] })
      expect(w.withdrawalRoot).toBe(batch.withdrawalRoot)
      expect(w.claimableAt).toBe(Number(batch.submittedAt + batch.challengeWindow))
      expect(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'verifyWithdrawal', args: [BigInt(w.batchIndex!), w.withdrawalHash as Hex, w.proof as Hex[]] })).toBe(true)
      expect(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'withdrawalHash', args: argsOf(w).slice(1, 6) as never })).toBe(w.withdrawalHash)
      expect(w.finalizeWithdrawal!.to).toBe(r.l1Bridge)
      expect(w.finalizeWithdrawal!.data).toBe(encodeFunctionData({ abi: l1BridgeAbi, functionName: 'finalizeWithdrawal', args: argsOf(w) }))
    }
  })

  it('before the challenge window has passed: the CLI refuses, and L1Bridge reverts BatchNotFinal, on chain too', async () => {
    await expect(finalizeWithdrawal(c, ethTx)).rejects.toThrow(BridgeError)
    await expect(finalizeWithdrawal(c, ethTx)).rejects.toThrow(/claimable from/)
    const [w] = (await proofOf(ethTx)).withdrawals
    expect(await tryFinalize(argsOf(w))).toBe(`BatchNotFinal(${w.batchIndex})`)
    // a real transaction (gas given, so nothing estimates it first) is mined and reverts
    const hash = await c.l1Wallet.writeContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'finalizeWithdrawal', args: argsOf(w), gas: 300_000n })
    fees.push(hash)
    expect((await r.l1Client.waitForTransactionReceipt({ hash })).status).toBe('reverted')
    expect(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'isWithdrawalFinalized', args: [w.withdrawalHash as Hex] })).toBe(false)
  })

  it('after the window: a wrong proof, a wrong amount or an unposted batch index all revert', async () => {
    await passWindow()
    const [w] = (await untilStatus(ethTx, 'final')).withdrawals
    const args = argsOf(w)
    const proof = w.proof as Hex[]
    // one sibling changed (or, for a batch with this withdrawal alone, a sibling that is not there)
    const flipped = proof.length === 0 ? [`0x${'11'.repeat(32)}` as Hex] : [(proof[0].slice(0, -1) + (proof[0].endsWith('0') ? '1' : '0')) as Hex, ...proof.slice(1)]
    expect(await tryFinalize([args[0], args[1], args[2], args[3], args[4], args[5], flipped])).toBe('InvalidWithdrawalProof()')
    expect(await tryFinalize([args[0], args[1], args[2], args[3], args[4], args[5] + 1n, proof])).toBe('InvalidWithdrawalProof()')
    expect(await tryFinalize([args[0], args[1], args[2], r.deployments.admin, args[4], args[5], proof])).toBe('InvalidWithdrawalProof()')
    const count = await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })
    expect(await tryFinalize([count, args[1], args[2], args[3], args[4], args[5], proof])).toBe(`UnknownBatch(${count})`)
    expect(await tryFinalize(args)).toBe('ok')
  })

  it('finalize pays both out on L1: balances back where they were before the deposits, less L1 gas; a second claim reverts', async () => {
    const results = [...(await finalizeWithdrawal(c, ethTx)), ...(await finalizeWithdrawal(c, tokenTx))]
    expect(results.map((x) => x.alreadyFinalized)).toEqual([false, false])
    fees.push(...results.map((x) => x.l1TxHash!))
    let paid = 0n
    for (const hash of fees) {
      const receipt = await r.l1Client.getTransactionReceipt({ hash })
      paid += receipt.gasUsed * receipt.effectiveGasPrice
    }
    expect(await r.l1Client.getBalance({ address: c.account.address })).toBe(l1EthBefore - paid)
    expect(await r.l1Client.readContract({ address: token, abi: [{ type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ type: 'address' }], outputs: [{ type: 'uint256' }] }] as const, functionName: 'balanceOf', args: [c.account.address] })).toBe(l1TokenBefore)
    expect(await lockedOnL1(r, token)).toBe(0n)
    expect(await lockedOnL1(r, zeroAddress)).toBe(0n)

    for (const hash of [ethTx, tokenTx]) {
      const [w] = (await proofOf(hash)).withdrawals
      expect(w.status).toBe('finalized')
      expect(await tryFinalize(argsOf(w))).toBe(`WithdrawalAlreadyFinalized(${w.withdrawalHash})`)
      expect(await finalizeWithdrawal(c, hash)).toEqual([{ l2TxHash: hash, nonce: Number(w.nonce), withdrawalHash: w.withdrawalHash, alreadyFinalized: true }])
    }
  })

  it('a withdrawal in a batch still in its window reverts BatchNotFinal though an older batch is final, and its proof fails against that older batch', async () => {
    await depositETH(c, { amount: parseEther('1') })
    await mineL1(r.l1, 1)
    await until(async () => ((await r.l2.rpc('bridge_getStatus')).pendingDeposits === 0 ? true : undefined), 'the deposit')
    const w2 = await withdrawETH(c, { amount: parseEther('1') })
    await untilPosted(r.l2)
    const [w] = (await untilStatus(w2.l2TxHash, 'posted')).withdrawals
    const [old] = (await proofOf(ethTx)).withdrawals
    expect(w.batchIndex).toBeGreaterThan(old.batchIndex!)
    expect(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'isFinal', args: [BigInt(old.batchIndex!)] })).toBe(true)
    const args = argsOf(w)
    expect(await tryFinalize(args)).toBe(`BatchNotFinal(${w.batchIndex})`)
    expect(await tryFinalize([BigInt(old.batchIndex!), args[1], args[2], args[3], args[4], args[5], args[6]])).toBe('InvalidWithdrawalProof()')

    // finalize --wait: waits for the window, then pays
    const waiting = finalizeWithdrawal(c, w2.l2TxHash, { wait: true, timeoutMs: 30_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await passWindow()
    const [done] = await waiting
    expect(done.alreadyFinalized).toBe(false)
    expect((await r.l1Client.getTransactionReceipt({ hash: done.l1TxHash! })).status).toBe('success')
  })

  it('bridge_getWithdrawalProof: null for an unknown transaction, no withdrawals for one that made none', async () => {
    expect(await r.l2.rpc('bridge_getWithdrawalProof', [`0x${'ab'.repeat(32)}`])).toBeNull()
    const [transfer] = await sendTransfers(r.l2, 1)
    expect(await proofOf(transfer)).toMatchObject({ txHash: transfer, txStatus: 1, withdrawals: [] })
    expect((await r.l2.rpcRaw('bridge_getWithdrawalProof', ['0x1234'])).error).toMatchObject({ code: -32602 })
  })

  it('the CLI: status says when a withdrawal is claimable, finalize exits 1 before that and 0 after', async () => {
    const common = ['--l1-rpc', r.l1.url, '--l2-rpc', r.l2.url, '--deployments', r.deploymentsPath, '--key', USER_KEYS[0]]
    const run = async (...args: string[]) => {
      const out: string[] = []
      const err: string[] = []
      const code = await main([...args, ...common], (l) => out.push(l), (l) => err.push(l))
      return { code, out: out.join('\n'), err: err.join('\n') }
    }
    // L1Bridge holds nothing now: deposit what is withdrawn below (the dev accounts' genesis ETH on L2 is not backed on L1)
    const deposit = run('deposit-eth', '0.000000000000001', '--wait')
    await new Promise((resolve) => setTimeout(resolve, 300))
    await mineL1(r.l1, 1)
    const deposited = await deposit
    expect(deposited.code).toBe(0)
    expect(deposited.out).toMatch(/deposited 0.000000000000001 ETH .* deposit nonce \d+[\s\S]*on L2 in block \d+/)
    expect((await run('withdraw-erc20', l2Token, '1')).code).toBe(1) // nothing of it left on L2
    const w = await withdrawETH(c, { amount: 1000n })
    await untilPosted(r.l2)
    await untilStatus(w.l2TxHash, 'posted')
    const status = await run('status', w.l2TxHash)
    expect(status.code).toBe(0)
    expect(status.out).toMatch(/POSTED/)
    expect(status.out).toMatch(/claimable from \d{4}-\d\d-\d\dT/)
    const early = await run('finalize', w.l2TxHash)
    expect(early.code).toBe(1)
    expect(early.err).toMatch(/claimable from/)
    await passWindow()
    await untilStatus(w.l2TxHash, 'final')
    const done = await run('finalize', w.l2TxHash)
    expect(done.err).toBe('')
    expect(done.code).toBe(0)
    // labelled: the user passed the L2 transaction's hash, the withdrawal's own hash is another
    const [fw] = (await proofOf(w.l2TxHash)).withdrawals
    expect(done.out).toMatch(new RegExp(`^finalized withdrawal ${fw.nonce} of L2 tx ${w.l2TxHash} on L1: L1 tx 0x[0-9a-f]{64} \\(gas \\d+, fee [\\d.]+ ETH\\)\n  withdrawal hash ${fw.withdrawalHash}$`))
    const again = await run('finalize', w.l2TxHash)
    expect(again.out).toBe(`withdrawal ${fw.nonce} of L2 tx ${w.l2TxHash} was already paid out on L1\n  withdrawal hash ${fw.withdrawalHash}`)
    expect((await run('status', w.l2TxHash)).out).toMatch(/FINALIZED/)
    expect((await run('status', `0x${'cd'.repeat(32)}`)).code).toBe(1)
    expect((await run('status', 'nope')).code).toBe(2)
  })

  it('the CLI shows token amounts with the token symbol: deposit-erc20, withdraw-erc20, balances', async () => {
    const common = ['--l1-rpc', r.l1.url, '--l2-rpc', r.l2.url, '--deployments', r.deploymentsPath, '--key', USER_KEYS[0]]
    const run = async (...args: string[]) => {
      const out: string[] = []
      const code = await main([...args, ...common], (l) => out.push(l), () => undefined)
      return { code, out: out.join('\n') }
    }
    const deposited = await run('deposit-erc20', token, '2.5')
    expect(deposited.code).toBe(0)
    expect(deposited.out).toMatch(new RegExp(`^deposited 2.5 TT6 \\(${token}\\) for 0x`))
    const nonce = BigInt(/deposit nonce (\d+)/.exec(deposited.out)![1])
    await mineL1(r.l1, 1)
    await untilDeposit(r.l2, nonce)
    const withdrew = await run('withdraw-erc20', l2Token, '1')
    expect(withdrew.code).toBe(0)
    expect(withdrew.out).toMatch(new RegExp(`^withdrew 1 TT6 \\(L2 token ${l2Token}, L1 ${token}\\) to 0x`))
    const balances = await run('balances', '--token', token)
    expect(balances.out).toMatch(new RegExp(`\n  TT6   L1 [\\d.]+ \\(${token}\\)   L2 1.5 \\(${l2Token}\\)`))
  })
})
