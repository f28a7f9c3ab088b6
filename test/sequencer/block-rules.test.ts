/**
 * Block rules that protect the rollup rather than Ethereum's: no transaction may delegate the
 * system sender (EIP-7702) — the pool refuses it and the builder never includes it — and a block's
 * data stays within what one L1 batch transaction can carry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '@ethereumjs/util'
import { parseGwei, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { SYSTEM_PRIVATE_KEY } from '../../sequencer/system/system-tx.ts'
import { DATA_ANCHOR, L2_BRIDGE } from '../../precompiles/addresses.ts'
import { encodeFunctionData, parseAbi, zeroAddress } from 'viem'

describe('block rules', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000, maxBlockBytes: 150_000 }, pool: { maxTxBytes: 100_000 } })
  })
  afterAll(() => t.close())

  const sender = (i: number) => privateKeyToAccount(accounts[i].privateKey as Hex)
  const sign = async (i: number, nonce: number, extra: Record<string, unknown>) =>
    sender(i).signTransaction({ chainId: 42424, type: 'eip1559', to: accounts[19].address as Hex, nonce, gas: 3_000_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, ...extra } as never)

  it('refuses a transaction carrying an EIP-7702 authorization signed by the system sender', async () => {
    const system = privateKeyToAccount(bytesToHex(SYSTEM_PRIVATE_KEY) as Hex)
    const authorization = await system.signAuthorization({ chainId: 42424, nonce: 0, contractAddress: DATA_ANCHOR })
    const raw = await sender(4).signTransaction({ chainId: 42424, type: 'eip7702', to: system.address, nonce: 0, gas: 200_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, authorizationList: [authorization] })
    const res = await t.rpcRaw('eth_sendRawTransaction', [raw])
    expect(res.error?.message).toMatch(/invalid sender: an authorization signed by 0x4ea2.*reserved for system transactions/)
    // the same shape signed by a user's own key is an ordinary 7702 transaction and is accepted
    const own = await sender(5).signAuthorization({ chainId: 42424, nonce: 1, contractAddress: DATA_ANCHOR })
    const ok = await sender(5).signTransaction({ chainId: 42424, type: 'eip7702', to: sender(5).address, nonce: 0, gas: 200_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, authorizationList: [own] })
    expect((await t.rpcRaw('eth_sendRawTransaction', [ok])).error).toBeUndefined()
    await t.node.mine()
    expect(await t.rpc('eth_getCode', [sender(5).address, 'latest'])).toBe(`0xef0100${DATA_ANCHOR.slice(2)}`)
    expect(await t.rpc('eth_getCode', [system.address, 'latest'])).toBe('0x')
  })

  it('a rebuilt block that carries such an authorization does not re-execute (a block rule, not only a pool rule)', async () => {
    const system = privateKeyToAccount(bytesToHex(SYSTEM_PRIVATE_KEY) as Hex)
    const authorization = await system.signAuthorization({ chainId: 42424, nonce: 0, contractAddress: DATA_ANCHOR })
    const raw = await sender(9).signTransaction({ chainId: 42424, type: 'eip7702', to: system.address, nonce: 0, gas: 200_000n, maxFeePerGas: parseGwei('10'), maxPriorityFeePerGas: 1n, authorizationList: [authorization] })
    const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      const block = { number: 1, timestamp: BigInt(Math.floor(Date.now() / 1000)), coinbase: new Uint8Array(20), txs: [Buffer.from(raw.slice(2), 'hex')] }
      await expect(replica.node.importBlock(block)).rejects.toThrow(/does not re-execute/)
      expect(replica.node.chain.headNumber).toBe(0)
    } finally {
      await replica.close()
    }
  })

  it('keeps a block within maxBlockBytes: a transaction that does not fit waits for the next block', async () => {
    // zero bytes keep the gas low; three 60 kB transactions from three senders, 150 kB per block
    const data = `0x${'00'.repeat(60_000)}` as Hex
    const raws = await Promise.all([6, 7, 8].map((i) => sign(i, 0, { data })))
    const hashes = []
    for (const raw of raws) hashes.push(await t.rpc('eth_sendRawTransaction', [raw]))
    const first = await t.node.mine()
    expect(first?.row.txCount).toBe(2)
    const second = await t.node.mine()
    expect(second?.row.txCount).toBe(1)
    const blocks = await Promise.all(hashes.map(async (h) => (await t.rpc('eth_getTransactionReceipt', [h])).blockNumber))
    expect(new Set(blocks).size).toBe(2)
  })

  describe('system transactions in a rebuilt block', () => {
    const system = privateKeyToAccount(bytesToHex(SYSTEM_PRIVATE_KEY) as Hex)
    const abi = parseAbi(['function anchor(bytes32[] hashes)', 'function finalizeDeposit(uint256,address,address,address,uint256,bytes)'])
    const systemTx = (nonce: number, to: Hex, data: Hex, value = 0n) =>
      system.signTransaction({ chainId: 42424, type: 'eip1559', to, nonce, gas: 300_000n, maxFeePerGas: parseGwei('1'), maxPriorityFeePerGas: 0n, data, value })
    const deposit = (amount: bigint) => encodeFunctionData({ abi, functionName: 'finalizeDeposit', args: [0n, zeroAddress, accounts[0].address as Hex, accounts[1].address as Hex, amount, '0x'] })
    const anchorCall = encodeFunctionData({ abi, functionName: 'anchor', args: [[`0x${'ab'.repeat(32)}`]] })

    async function importing(raws: Hex[]) {
      const replica = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
      try {
        const block = { number: 1, timestamp: BigInt(Math.floor(Date.now() / 1000)), coinbase: new Uint8Array(20), txs: raws.map((r) => Buffer.from(r.slice(2), 'hex')) }
        return await replica.node.importBlock(block).then(
          () => 'imported',
          (err: Error) => err.message,
        )
      } finally {
        await replica.close()
      }
    }

    it('imports anchors and a deposit carrying exactly its ETH', async () => {
      expect(await importing([await systemTx(0, DATA_ANCHOR, anchorCall), await systemTx(1, L2_BRIDGE, deposit(5n), 5n)])).toBe('imported')
    })

    it.each([
      ['a call to any other contract', async () => [await systemTx(0, accounts[3].address as Hex, '0x')], /may only call DataAnchor.anchor or L2Bridge.finalizeDeposit/],
      ['a deposit minting more ETH than it deposits', async () => [await systemTx(0, L2_BRIDGE, deposit(5n), 10n ** 24n)], /carries 1000000000000000000000000 wei for a deposit of 5 wei/],
      ['anchoring with value', async () => [await systemTx(0, DATA_ANCHOR, anchorCall, 1n)], /anchor with value/],
      ['a system transaction after a user one', async () => [await sign(10, 0, {}), await systemTx(0, DATA_ANCHOR, anchorCall)], /after a user transaction/],
    ])('refuses %s', async (_name, make, message) => {
      expect(await importing(await make())).toMatch(message)
    })
  })
})
