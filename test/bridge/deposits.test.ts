/**
 * Deposits end to end: L1Bridge on a real Anvil, the L2 node's deposit watcher, system
 * transactions to L2Bridge, balances read back on L2. Confirmations are 2 here, so each test
 * mines the L1 blocks a deposit needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeDeployData, getAddress, parseEther, parseUnits, zeroAddress, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts'
import { depositERC20, depositETH } from '@ai-rollup/sdk'
import { deployTestToken } from '../../scripts/bridge.ts'
import { readArtifact } from '../../scripts/lib/deploy-l1.ts'
import { erc20Abi, l1BridgeAbi, l2BridgeAbi } from '../../bridge/abi.ts'
import { ETH_DEPOSIT_GAS, TOKEN_DEPOSIT_GAS } from '../../bridge/deposits.ts'
import { L2_BRIDGE } from '../../precompiles/addresses.ts'
import { SYSTEM_ADDRESS } from '../../sequencer/system/system-tx.ts'
import { l1Rpc, untilPosted } from '../helpers/rollup.ts'
import { depositLogs, l2Balance, l2TokenFor, l2TotalSupply, lockedOnL1, mineL1, startBridgeRollup, untilDeposit, USERS, type BridgeRollup } from './helpers.ts'

const CONFIRMATIONS = 2
const fresh = (): Address => privateKeyToAddress(generatePrivateKey())

describe('deposits', () => {
  let r: BridgeRollup

  beforeAll(async () => {
    r = await startBridgeRollup({ bridge: { confirmations: CONFIRMATIONS } })
  }, 120_000)
  afterAll(() => r.close())

  it('an ETH deposit reaches its L2 recipient once it has its confirmations, as a system transaction to L2Bridge', async () => {
    const c = await r.user(0)
    const to = fresh()
    const d = await depositETH(c, { amount: parseEther('1.5'), to })
    expect(d.nonce).toBe(0n)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await r.l2.rpc('bridge_getDepositStatus', ['0x0'])).toBeNull() // 0 confirmations so far
    await mineL1(r.l1, CONFIRMATIONS - 1)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(await r.l2.rpc('bridge_getDepositStatus', ['0x0'])).toBeNull()
    await mineL1(r.l1, 1)
    const s = await untilDeposit(r.l2, 0)
    expect(s).toMatchObject({ nonce: 0, status: 'included', l1Token: zeroAddress, from: USERS[0], to, amount: parseEther('1.5').toString(), l1: { txHash: d.l1TxHash, blockNumber: Number(d.l1BlockNumber) } })
    expect(await l2Balance(r.l2, 'eth', to)).toBe(parseEther('1.5'))
    const tx = await r.l2.publicClient.getTransaction({ hash: s.l2.txHash })
    expect(tx.from.toLowerCase()).toBe(SYSTEM_ADDRESS)
    expect(tx.to!.toLowerCase()).toBe(L2_BRIDGE)
    expect(tx.value).toBe(parseEther('1.5'))
    expect(tx.gas).toBe(ETH_DEPOSIT_GAS)
    expect(s.l2.blockNumber).toBe(Number(tx.blockNumber))
    expect(tx.transactionIndex).toBe(0) // system transactions open the block
    expect(await r.l2.publicClient.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'depositProcessed', args: [0n] })).toBe(true)
  })

  it.each([6, 18])('an ERC-20 with %i decimals is minted at l2TokenFor(l1Token) with its L1 name, symbol and decimals', async (decimals) => {
    const c = await r.user(1)
    const token = await deployTestToken(c, { decimals, name: `Token ${decimals}`, symbol: `T${decimals}` })
    const to = fresh()
    const amount = parseUnits('1234.5', decimals)
    const d = await depositERC20(c, { token: token.address, amount, to })
    expect(d.approveTxHash).toBeDefined()
    await mineL1(r.l1, CONFIRMATIONS)
    const s = await untilDeposit(r.l2, d.nonce)
    const l2Token = await l2TokenFor(r.l2, token.address)
    expect(d.l2Token).toBe(l2Token)
    expect(s).toMatchObject({ status: 'included', l1Token: token.address, to, amount: amount.toString(), l2: { l2Token } })
    expect(await l2Balance(r.l2, l2Token, to)).toBe(amount)
    expect(await l2TotalSupply(r.l2, l2Token)).toBe(amount)
    expect(await lockedOnL1(r, token.address)).toBe(amount)
    const read = <F extends 'decimals' | 'name' | 'symbol'>(functionName: F) => r.l2.publicClient.readContract({ address: l2Token, abi: erc20Abi, functionName })
    expect(await read('decimals')).toBe(decimals)
    expect(await read('name')).toBe(`Token ${decimals}`)
    expect(await read('symbol')).toBe(`T${decimals}`)
    const tx = await r.l2.publicClient.getTransactionReceipt({ hash: s.l2.txHash })
    expect(tx.gasUsed).toBeLessThan(TOKEN_DEPOSIT_GAS) // the first deposit deploys the token
    // a second deposit of the same token only mints
    const again = await depositERC20(c, { token: token.address, amount: 5n, to })
    await mineL1(r.l1, CONFIRMATIONS)
    await untilDeposit(r.l2, again.nonce)
    expect(await l2Balance(r.l2, l2Token, to)).toBe(amount + 5n)
  })

  it('pays a contract recipient: ETH it accepts, ETH it refuses or burns all gas on is held for it; the deposit never reverts', async () => {
    const artifact = readArtifact('test/EthRecipientMock.sol/EthRecipientMock.json')!
    const wallet = r.l2.wallet(9)
    const deploy = async (mode: number): Promise<Address> => {
      const hash = await wallet.sendTransaction({ data: encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args: [mode] }) })
      return getAddress((await r.l2.publicClient.waitForTransactionReceipt({ hash })).contractAddress!)
    }
    const [accepts, refuses, burns] = [await deploy(0), await deploy(1), await deploy(2)]
    const c = await r.user(2)
    const nonces: bigint[] = []
    for (const to of [accepts, refuses, burns]) nonces.push((await depositETH(c, { amount: parseEther('0.25'), to })).nonce)
    await mineL1(r.l1, CONFIRMATIONS)
    const results = []
    for (const n of nonces) results.push(await untilDeposit(r.l2, n))
    expect(results.map((s) => s.status)).toEqual(['included', 'included', 'included'])
    const held = (who: Address) => r.l2.publicClient.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'heldETH', args: [who] })
    expect(await l2Balance(r.l2, 'eth', accepts)).toBe(parseEther('0.25'))
    expect(await held(accepts)).toBe(0n)
    for (const who of [refuses, burns]) {
      expect(await l2Balance(r.l2, 'eth', who)).toBe(0n)
      expect(await held(who)).toBe(parseEther('0.25'))
    }
    const burnt = await r.l2.publicClient.getTransactionReceipt({ hash: results[2].l2.txHash })
    expect(burnt.status).toBe('success')
    expect(burnt.gasUsed).toBeLessThan(ETH_DEPOSIT_GAS)
  })

  it('includes deposits strictly in nonce order, each exactly once, several from one L1 block and from several senders', async () => {
    const [a, b] = [await r.user(0), await r.user(3)]
    const token = await deployTestToken(b, { decimals: 18 })
    await b.l1Wallet.writeContract({ address: token.address, abi: erc20Abi, functionName: 'approve', args: [r.l1Bridge, parseEther('1000')] })
    const first = Number(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' }))
    await l1Rpc(r.l1, 'evm_setAutomine', [false])
    const hashes: Hex[] = []
    try {
      for (let i = 0; i < 4; i++) {
        hashes.push(await a.l1Wallet.writeContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'depositETH', args: [USERS[0]], value: BigInt(i + 1), nonce: await a.l1.getTransactionCount({ address: a.account.address, blockTag: 'pending' }), gas: 200_000n }))
        hashes.push(await b.l1Wallet.writeContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'depositERC20', args: [token.address, USERS[3], BigInt(i + 1)], nonce: await b.l1.getTransactionCount({ address: b.account.address, blockTag: 'pending' }), gas: 300_000n }))
      }
      await l1Rpc(r.l1, 'evm_mine')
    } finally {
      await l1Rpc(r.l1, 'evm_setAutomine', [true])
    }
    const receipts = await Promise.all(hashes.map((hash) => r.l1Client.waitForTransactionReceipt({ hash })))
    expect(new Set(receipts.map((x) => x.blockNumber)).size).toBe(1) // all eight in one L1 block
    await mineL1(r.l1, CONFIRMATIONS)
    await untilDeposit(r.l2, first + 7)

    const logs = await depositLogs(r.l2)
    const nonces = logs.map((l) => Number(l.args.depositNonce))
    expect(nonces).toEqual([...Array(first + 8).keys()]) // 0, 1, 2, … in chain order, none twice
    const ours = logs.slice(first)
    expect(ours.map((l) => l.args.amount)).toEqual([1n, 1n, 2n, 2n, 3n, 3n, 4n, 4n])
    expect(ours.map((l) => l.args.l1Token)).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? zeroAddress : token.address)))
  })

  it('an L1 reorg below the confirmation depth: the deposit reorged out is never included, the one that took its nonce is, once', async () => {
    await untilPosted(r.l2) // a quiet L1: no batch transaction mines blocks during the test
    const c = await r.user(1)
    const [lost, kept, later] = [fresh(), fresh(), fresh()]
    const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
    const gone = await depositETH(c, { amount: parseEther('2'), to: lost })
    await mineL1(r.l1, CONFIRMATIONS - 1) // one block short of being read
    await new Promise((resolve) => setTimeout(resolve, 300))
    await l1Rpc(r.l1, 'evm_revert', [snapshot])
    const replaced = await depositETH(c, { amount: parseEther('3'), to: kept })
    expect(replaced.nonce).toBe(gone.nonce)
    const next = await depositETH(c, { amount: parseEther('4'), to: later })
    await mineL1(r.l1, CONFIRMATIONS)
    expect(await untilDeposit(r.l2, replaced.nonce)).toMatchObject({ status: 'included', to: kept, l1: { txHash: replaced.l1TxHash } })
    expect(await untilDeposit(r.l2, next.nonce)).toMatchObject({ status: 'included', to: later })
    expect(await l2Balance(r.l2, 'eth', lost)).toBe(0n)
    expect(await l2Balance(r.l2, 'eth', kept)).toBe(parseEther('3'))
    expect(await l2Balance(r.l2, 'eth', later)).toBe(parseEther('4'))
    const nonces = (await depositLogs(r.l2)).map((l) => Number(l.args.depositNonce))
    expect(nonces).toEqual([...Array(nonces.length).keys()])
    expect((await r.l2.rpc('bridge_getStatus')).stopped).toBeNull()
  })

  it('bridge_getStatus: the L1 cursor behind the head by the confirmations, the last included nonce, nothing pending or failed', async () => {
    await mineL1(r.l1, 1)
    const lastNonce = Number(await r.l1Client.readContract({ address: r.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' })) - 1
    const head = Number(await r.l1Client.getBlockNumber())
    const s = await (async () => {
      for (;;) {
        const st = await r.l2.rpc('bridge_getStatus')
        if (st.l1Cursor?.number === head - CONFIRMATIONS) return st
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    expect(s).toMatchObject({ running: true, l1Bridge: r.l1Bridge, confirmations: CONFIRMATIONS, lastSeenNonce: lastNonce, lastIncludedNonce: lastNonce, pendingDeposits: 0, failedDeposits: [], stopped: null })
    const block = await r.l1Client.getBlock({ blockNumber: BigInt(head - CONFIRMATIONS) })
    expect(s.l1Cursor.hash).toBe(block.hash)
    expect(await r.l2.rpc('bridge_getDepositStatus', [`0x${(lastNonce + 1).toString(16)}`])).toBeNull()
    const cfg = await r.l2.rpc('rollup_getConfig')
    expect(cfg.l1.l1Bridge).toBe(r.l1Bridge)
  })
})
