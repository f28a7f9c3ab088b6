/**
 * The tools users bring: a wallet doing what MetaMask does, viem's clients with this chain's
 * definition, and Hardhat deploying an OpenZeppelin ERC-20 with `--network l2`.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, parseGwei, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts, ROOT, startTestNode, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec } from '../helpers/spec.ts'

const run = promisify(execFile)

describe('a wallet flow as MetaMask does it', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  it('detects EIP-1559, prices from feeHistory, sends and polls the receipt', async () => {
    const chainId = await t.rpc<string>('eth_chainId')
    expect(BigInt(chainId)).toBe(42424n)

    const latest = await t.rpc('eth_getBlockByNumber', ['latest', false])
    expect(latest.baseFeePerGas).toMatch(/^0x[0-9a-f]+$/) // MetaMask's EIP-1559 detection

    const history = await t.rpc('eth_feeHistory', ['0x5', 'latest', [10, 20, 30]])
    assertMatchesSpec('eth_feeHistory', history, { noExtraFields: true })
    expect(history.baseFeePerGas.length).toBe(history.gasUsedRatio.length + 1)
    expect(history.reward.every((r: string[]) => r.length === 3)).toBe(true)

    const from = accounts[3].address
    const nonce = await t.rpc<string>('eth_getTransactionCount', [from, 'latest'])
    const gas = await t.rpc<string>('eth_estimateGas', [{ from, to: accounts[4].address, value: '0x1' }])
    expect(BigInt(gas)).toBe(21000n)

    const nextBaseFee = BigInt(history.baseFeePerGas.at(-1))
    const tip = parseGwei('1')
    const account = privateKeyToAccount(accounts[3].privateKey as Hex)
    const signed = await account.signTransaction({
      type: 'eip1559',
      chainId: Number(chainId),
      nonce: Number(nonce),
      to: accounts[4].address,
      value: parseEther('0.5'),
      gas: BigInt(gas),
      maxFeePerGas: nextBaseFee * 2n + tip,
      maxPriorityFeePerGas: tip,
    })
    const hash = await t.rpc<string>('eth_sendRawTransaction', [signed])

    let receipt = null
    for (let i = 0; i < 100 && receipt === null; i++) {
      receipt = await t.rpc('eth_getTransactionReceipt', [hash])
      if (receipt === null) await new Promise((r) => setTimeout(r, 50))
    }
    expect(receipt.status).toBe('0x1')
    expect(BigInt(receipt.effectiveGasPrice)).toBeLessThanOrEqual(nextBaseFee * 2n + tip)
    expect(BigInt(await t.rpc<string>('eth_getTransactionCount', [from, 'latest']))).toBe(BigInt(nonce) + 1n)
  })

  it('rejects a transaction signed for another chain with "invalid chain id"', async () => {
    const account = privateKeyToAccount(accounts[5].privateKey as Hex)
    const signed = await account.signTransaction({ type: 'eip1559', chainId: 1, nonce: 0, to: accounts[4].address, value: 1n, gas: 21000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n })
    const r = await t.rpcRaw('eth_sendRawTransaction', [signed])
    expect(r.error?.code).toBe(-32000)
    expect(r.error?.message).toMatch(/^invalid chain id/)
  })
})

describe('Hardhat with --network l2', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(() => t.close())

  it('deploys the OpenZeppelin ERC-20 with scripts/deploy-token.ts and transfers tokens', async () => {
    const { stdout } = await run('npx', ['hardhat', 'run', 'scripts/deploy-token.ts', '--network', 'l2'], {
      cwd: ROOT,
      env: { ...process.env, L2_RPC_URL: t.url, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true' },
      timeout: 240_000,
    })
    const address = stdout.match(/deployed at (0x[0-9a-fA-F]{40})/)?.[1]
    expect(address).toBeDefined()
    const code = await t.publicClient.getCode({ address: address as Hex })
    expect(code?.length ?? 0).toBeGreaterThan(2)
    const balanceOf = await t.publicClient.readContract({
      address: address as Hex,
      abi: [{ type: 'function', name: 'balanceOf', stateMutability: 'view', inputs: [{ name: 'a', type: 'address' }], outputs: [{ type: 'uint256' }] }],
      functionName: 'balanceOf',
      args: [accounts[1].address],
    })
    expect(balanceOf).toBeGreaterThan(0n)
  }, 300_000)
})
