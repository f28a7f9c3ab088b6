/**
 * Blocks, transactions, receipts and fees over JSON-RPC, specified against a real node through
 * viem and raw JSON-RPC. The node here mines only when a test says so (`mine()`), so each test
 * knows exactly which transactions share a block. Every successful raw result is validated
 * against the execution-apis spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import {
  bytesToHex,
  concat,
  encodeFunctionData,
  fromRlp,
  hexToBytes,
  size,
  toRlp,
  getContractAddress,
  hexToBigInt,
  keccak256,
  parseGwei,
  toHex,
  type Address,
  type Hex,
  type TransactionSerializable,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec, assertMatchesSpecSchema } from '../helpers/spec.ts'
import { compile, type Compiled } from '../helpers/solidity.ts'

const SOURCE = `
contract Delegate {
    function ping() external pure returns (uint256) { return 7; }
}

contract Reverter {
    uint256 public calls;
    function poke(bool fail) external {
        calls += 1;
        require(!fail, "poke refused");
    }
}
`

/** Init code that fails on INVALID: a creation that burns its whole gas limit. */
const BURN_ALL_GAS = '0xfe'
const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'
const FEE_RECIPIENT = '0x4200000000000000000000000000000000000011'

let t: TestNode
let chainId: number
let delegate: Compiled
let reverter: Compiled
let delegateAddress: Address
let reverterAddress: Address

const signer = (i: number) => privateKeyToAccount(accounts[i].privateKey as Hex)

async function pendingNonce(address: Address): Promise<number> {
  return Number(hexToBigInt(await t.rpc('eth_getTransactionCount', [address, 'pending'])))
}

/** Signs a transaction of any type with dev account i, filling in the nonce. */
async function signed(i: number, tx: Partial<TransactionSerializable> & Record<string, unknown>): Promise<Hex> {
  const account = signer(i)
  const nonce = tx.nonce ?? (await pendingNonce(account.address))
  return account.signTransaction({ ...tx, nonce } as TransactionSerializable)
}

/** Seals a block with whatever the pool holds; fails the test if nothing was sealed. */
async function mine() {
  const block = await t.node.mine()
  expect(block, 'a block was sealed').toBeDefined()
  return block!
}

async function rpcError(method: string, params: unknown[]) {
  const r = await t.rpcRaw(method, params)
  expect(r.result, `${method} should fail`).toBeUndefined()
  return r.error!
}

const fees1559 = { maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('1') }

/** EIP-1559's base fee of the child of `parent` (elasticity 2, change denominator 8). */
function calcNextBaseFee(parent: { baseFeePerGas: bigint; gasUsed: bigint; gasLimit: bigint }): bigint {
  const target = parent.gasLimit / 2n
  const base = parent.baseFeePerGas
  if (parent.gasUsed === target) return base
  if (parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / 8n
    return base + (delta > 1n ? delta : 1n)
  }
  return base - (base * (target - parent.gasUsed)) / target / 8n
}

/** A quantity as RLP wants it: minimal big-endian bytes, zero as the empty string. */
const rlpQuantity = (h: Hex): Hex => {
  const n = hexToBigInt(h)
  if (n === 0n) return '0x'
  const digits = n.toString(16)
  return `0x${digits.length % 2 === 0 ? digits : `0${digits}`}`
}

/** The header's RLP fields (Prague) rebuilt from a block as eth_getBlockBy* returns it. */
function headerFields(b: Record<string, Hex>): Hex[] {
  return [
    b.parentHash, b.sha3Uncles, b.miner, b.stateRoot, b.transactionsRoot, b.receiptsRoot, b.logsBloom,
    rlpQuantity(b.difficulty), rlpQuantity(b.number), rlpQuantity(b.gasLimit), rlpQuantity(b.gasUsed), rlpQuantity(b.timestamp),
    b.extraData, b.mixHash, b.nonce, rlpQuantity(b.baseFeePerGas), b.withdrawalsRoot, rlpQuantity(b.blobGasUsed),
    rlpQuantity(b.excessBlobGas), b.parentBeaconBlockRoot, b.requestsHash,
  ]
}

/** Root of the ordered trie (key rlp(index)) over the given encodings: transactionsRoot, receiptsRoot. */
async function orderedTrieRoot(values: Hex[]): Promise<Hex> {
  const trie = new MerklePatriciaTrie()
  for (const [i, v] of values.entries()) await trie.put(hexToBytes(toRlp(rlpQuantity(toHex(i)))), hexToBytes(v))
  return bytesToHex(trie.root())
}

/** A receipt's consensus encoding: [status, cumulativeGasUsed, logsBloom, logs], behind its type byte unless legacy. */
function receiptEncoding(r: { type: Hex; status: Hex; cumulativeGasUsed: Hex; logsBloom: Hex; logs: { address: Hex; topics: Hex[]; data: Hex }[] }): Hex {
  const body = toRlp([rlpQuantity(r.status), rlpQuantity(r.cumulativeGasUsed), r.logsBloom, r.logs.map((l) => [l.address, l.topics, l.data])])
  return r.type === '0x0' ? body : concat([toHex(Number(r.type), { size: 1 }), body])
}

const headerFees = (b: { baseFeePerGas: Hex; gasUsed: Hex; gasLimit: Hex }) => ({
  baseFeePerGas: hexToBigInt(b.baseFeePerGas),
  gasUsed: hexToBigInt(b.gasUsed),
  gasLimit: hexToBigInt(b.gasLimit),
})

beforeAll(async () => {
  t = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  chainId = Number(t.node.chainId)
  delegate = compile(SOURCE, 'Delegate')
  reverter = compile(SOURCE, 'Reverter')
  const d = await t.wallet(0).deployContract({ abi: delegate.abi, bytecode: delegate.bytecode })
  const r = await t.wallet(0).deployContract({ abi: reverter.abi, bytecode: reverter.bytecode })
  await mine()
  delegateAddress = (await t.publicClient.getTransactionReceipt({ hash: d })).contractAddress!
  reverterAddress = (await t.publicClient.getTransactionReceipt({ hash: r })).contractAddress!
})

afterAll(() => t?.close())

describe('eth_blockNumber', () => {
  it('returns the head and moves by one per sealed block', async () => {
    const raw = await t.rpc('eth_blockNumber')
    assertMatchesSpec('eth_blockNumber', raw, { noExtraFields: true })
    expect(await t.publicClient.getBlockNumber({ cacheTime: 0 })).toBe(hexToBigInt(raw))

    await t.rpc('eth_sendRawTransaction', [await signed(1, { type: 'eip1559', chainId, to: accounts[2].address, value: 1n, gas: 21000n, ...fees1559 })])
    expect(await t.rpc('eth_blockNumber')).toBe(raw) // in the pool, not in a block
    await mine()
    expect(await t.rpc('eth_blockNumber')).toBe(toHex(hexToBigInt(raw) + 1n))
  })
})

describe('transaction types, each sent raw and read back with its own fields', () => {
  const CONTEXT = ['blockHash', 'blockNumber', 'blockTimestamp', 'from', 'hash', 'transactionIndex']
  const COMMON = ['gas', 'input', 'nonce', 'to', 'value', 'type', 'v', 'r', 's']
  const keys = (extra: string[]) => [...CONTEXT, ...COMMON, ...extra].sort()

  /** Sends `raw`, checks its pending form, mines it, checks the mined form and the receipt. */
  async function roundTrip(raw: Hex, from: Address, viaViem: boolean) {
    const hash = viaViem ? await t.publicClient.sendRawTransaction({ serializedTransaction: raw }) : await t.rpc('eth_sendRawTransaction', [raw])
    if (!viaViem) assertMatchesSpec('eth_sendRawTransaction', hash, { noExtraFields: true })
    expect(hash).toBe(keccak256(raw))

    const pending = await t.rpc('eth_getTransactionByHash', [hash])
    assertMatchesSpecSchema('PendingTransactionInfo', pending, { noExtraFields: true })
    expect(pending).toMatchObject({ blockHash: null, blockNumber: null, blockTimestamp: null, transactionIndex: null, hash, from: from.toLowerCase() })
    expect(await t.rpc('eth_getTransactionReceipt', [hash])).toBeNull()

    const block = await mine()
    const mined = await t.rpc('eth_getTransactionByHash', [hash])
    assertMatchesSpec('eth_getTransactionByHash', mined, { noExtraFields: true })
    expect(mined.blockHash).toBe(toHex(block.row.hash))
    expect(mined.blockNumber).toBe(toHex(block.row.number))
    expect(mined.transactionIndex).toBe('0x0')
    expect(mined.blockTimestamp).toBe(toHex(block.header.timestamp))
    expect(mined.from).toBe(from.toLowerCase())

    const receipt = await t.rpc('eth_getTransactionReceipt', [hash])
    assertMatchesSpec('eth_getTransactionReceipt', receipt, { noExtraFields: true })
    expect(receipt.status).toBe('0x1')
    expect(receipt.type).toBe(mined.type)

    // the block commits to exactly these bytes and this receipt, and its size is that of its RLP
    const json = await t.rpc('eth_getBlockByHash', [mined.blockHash, false])
    expect(json.transactionsRoot).toBe(await orderedTrieRoot([raw]))
    expect(json.receiptsRoot).toBe(await orderedTrieRoot([receiptEncoding(receipt)]))
    const body = mined.type === '0x0' ? fromRlp(raw) : raw // legacy transactions are embedded as lists
    expect(json.size).toBe(toHex(size(toRlp([headerFields(json), [body], [], []] as never))))
    return { hash, pending, mined, receipt, block }
  }

  it('legacy without EIP-155 replay protection: type 0x0, no chainId, v 27/28', async () => {
    const raw = await signed(1, { type: 'legacy', to: accounts[2].address, value: 5n, gas: 21000n, gasPrice: parseGwei('10') })
    const { mined, hash } = await roundTrip(raw, accounts[1].address, false)
    expect(Object.keys(mined).sort()).toEqual(keys(['gasPrice']))
    expect(mined.type).toBe('0x0')
    expect(['0x1b', '0x1c']).toContain(mined.v)
    expect(mined.gasPrice).toBe(toHex(parseGwei('10')))

    const viaViem = await t.publicClient.getTransaction({ hash })
    expect(viaViem.type).toBe('legacy')
    expect(viaViem.chainId).toBeUndefined()
  })

  it('legacy with EIP-155: type 0x0, chainId, v = chainId * 2 + 35/36, no yParity', async () => {
    const raw = await signed(1, { type: 'legacy', chainId, to: accounts[2].address, value: 6n, gas: 21000n, gasPrice: parseGwei('10') })
    const { mined, hash } = await roundTrip(raw, accounts[1].address, true)
    expect(Object.keys(mined).sort()).toEqual(keys(['gasPrice', 'chainId']))
    expect(mined.chainId).toBe(toHex(chainId))
    expect([toHex(chainId * 2 + 35), toHex(chainId * 2 + 36)]).toContain(mined.v)

    const viaViem = await t.publicClient.getTransaction({ hash })
    expect(viaViem.type).toBe('legacy')
    expect(viaViem.chainId).toBe(chainId)
  })

  it('EIP-2930: type 0x1 with chainId, accessList, gasPrice and yParity (= v)', async () => {
    const accessList = [{ address: reverterAddress, storageKeys: [toHex(0n, { size: 32 })] }]
    const data = encodeFunctionData({ abi: reverter.abi, functionName: 'poke', args: [false] })
    const raw = await signed(1, { type: 'eip2930', chainId, to: reverterAddress, data, gas: 100_000n, gasPrice: parseGwei('10'), accessList })
    const { mined, hash } = await roundTrip(raw, accounts[1].address, false)
    expect(Object.keys(mined).sort()).toEqual(keys(['gasPrice', 'chainId', 'accessList', 'yParity']))
    expect(mined.type).toBe('0x1')
    expect(mined.accessList).toEqual([{ address: reverterAddress.toLowerCase(), storageKeys: [toHex(0n, { size: 32 })] }])
    expect(mined.yParity).toBe(mined.v)
    expect(['0x0', '0x1']).toContain(mined.yParity)

    const viaViem = await t.publicClient.getTransaction({ hash })
    expect(viaViem.type).toBe('eip2930')
    expect(viaViem.accessList).toEqual([{ address: reverterAddress.toLowerCase(), storageKeys: [toHex(0n, { size: 32 })] }])
  })

  it('EIP-1559: type 0x2 with fee caps, and gasPrice the price paid once mined (the cap while pending)', async () => {
    const raw = await signed(1, { type: 'eip1559', chainId, to: accounts[2].address, value: 7n, gas: 21000n, maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('2') })
    const { mined, pending, receipt, hash } = await roundTrip(raw, accounts[1].address, true)
    expect(Object.keys(mined).sort()).toEqual(keys(['gasPrice', 'chainId', 'accessList', 'yParity', 'maxFeePerGas', 'maxPriorityFeePerGas']))
    expect(mined.type).toBe('0x2')
    expect(mined.maxFeePerGas).toBe(toHex(parseGwei('50')))
    expect(mined.maxPriorityFeePerGas).toBe(toHex(parseGwei('2')))
    expect(mined.accessList).toEqual([])
    expect(pending.gasPrice).toBe(toHex(parseGwei('50')))
    const block = await t.rpc('eth_getBlockByNumber', [mined.blockNumber, false])
    expect(hexToBigInt(mined.gasPrice)).toBe(hexToBigInt(block.baseFeePerGas) + parseGwei('2'))
    expect(receipt.effectiveGasPrice).toBe(mined.gasPrice)

    const viaViem = await t.publicClient.getTransaction({ hash })
    expect(viaViem.type).toBe('eip1559')
    expect(viaViem.maxPriorityFeePerGas).toBe(parseGwei('2'))
  })

  it('EIP-7702: type 0x4 with the authorizationList, and the authority gets the delegation code', async () => {
    const authority = signer(9)
    const authNonce = await pendingNonce(authority.address)
    const authorization = await authority.signAuthorization({ address: delegateAddress, chainId, nonce: authNonce })
    const data = encodeFunctionData({ abi: delegate.abi, functionName: 'ping' })
    const raw = await signed(8, { type: 'eip7702', chainId, to: authority.address, data, gas: 100_000n, ...fees1559, authorizationList: [authorization] })
    const { mined, hash } = await roundTrip(raw, accounts[8].address, false)
    expect(Object.keys(mined).sort()).toEqual(keys(['gasPrice', 'chainId', 'accessList', 'yParity', 'maxFeePerGas', 'maxPriorityFeePerGas', 'authorizationList']))
    expect(mined.type).toBe('0x4')
    expect(mined.authorizationList).toEqual([
      {
        chainId: toHex(chainId),
        address: delegateAddress.toLowerCase(),
        nonce: toHex(authNonce),
        yParity: toHex(authorization.yParity!),
        r: toHex(hexToBigInt(authorization.r)),
        s: toHex(hexToBigInt(authorization.s)),
      },
    ])

    // the delegation took effect: code 0xef0100 || delegate, and calls run the delegate's code
    expect(await t.rpc('eth_getCode', [authority.address, 'latest'])).toBe(`0xef0100${delegateAddress.slice(2).toLowerCase()}`)
    expect(await t.publicClient.readContract({ address: authority.address, abi: delegate.abi, functionName: 'ping' })).toBe(7n)

    const viaViem = await t.publicClient.getTransaction({ hash })
    expect(viaViem.type).toBe('eip7702')
    expect(viaViem.authorizationList?.[0].address.toLowerCase()).toBe(delegateAddress.toLowerCase())
  })

  it('rejects a blob transaction (EIP-4844) with a clear message', async () => {
    const raw = await signed(1, {
      type: 'eip4844',
      chainId,
      to: accounts[2].address,
      gas: 21000n,
      ...fees1559,
      maxFeePerBlobGas: 1n,
      blobVersionedHashes: [`0x01${'ab'.repeat(31)}`],
    })
    expect(raw.startsWith('0x03')).toBe(true)
    const err = await rpcError('eth_sendRawTransaction', [raw])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/^transaction type not supported: blob transactions \(EIP-4844\) are not accepted/)
    await expect(t.publicClient.sendRawTransaction({ serializedTransaction: raw })).rejects.toThrow(/blob transactions/)
  })
})

describe('a block with several transactions', () => {
  let blockNumber: bigint
  let blockHash: Hex
  let transfer: Hex
  let creation: Hex
  let failing: Hex
  let creationNonce: number

  beforeAll(async () => {
    transfer = await t.rpc('eth_sendRawTransaction', [await signed(3, { type: 'eip1559', chainId, to: accounts[4].address, value: 1000n, gas: 21000n, maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('3') })])
    creationNonce = await pendingNonce(accounts[4].address)
    creation = await t.rpc('eth_sendRawTransaction', [await signed(4, { type: 'eip1559', chainId, data: delegate.bytecode, gas: 300_000n, maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('2') })])
    failing = await t.rpc('eth_sendRawTransaction', [
      await signed(5, { type: 'eip1559', chainId, to: reverterAddress, data: encodeFunctionData({ abi: reverter.abi, functionName: 'poke', args: [true] }), gas: 100_000n, maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei('1') }),
    ])
    const block = await mine()
    blockNumber = BigInt(block.row.number)
    blockHash = toHex(block.row.hash)
  })

  it('eth_getBlockByNumber returns the block with transaction hashes, highest tip first', async () => {
    const raw = await t.rpc('eth_getBlockByNumber', [toHex(blockNumber), false])
    assertMatchesSpec('eth_getBlockByNumber', raw, { noExtraFields: true })
    expect(raw.hash).toBe(blockHash)
    expect(raw.number).toBe(toHex(blockNumber))
    expect(raw.transactions).toEqual([transfer, creation, failing])
    expect(raw.miner).toBe(FEE_RECIPIENT)
    expect(raw.uncles).toEqual([])
    expect(raw.sha3Uncles).toBe(keccak256('0xc0'))

    const viaViem = await t.publicClient.getBlock({ blockNumber })
    expect(viaViem.hash).toBe(blockHash)
    expect(viaViem.transactions).toEqual([transfer, creation, failing])
  })

  it('eth_getBlockByNumber with full transactions returns them as eth_getTransactionByHash does', async () => {
    const raw = await t.rpc('eth_getBlockByNumber', [toHex(blockNumber), true])
    assertMatchesSpec('eth_getBlockByNumber', raw, { noExtraFields: true })
    expect(raw.transactions.map((tx: { hash: Hex }) => tx.hash)).toEqual([transfer, creation, failing])
    for (const [i, tx] of raw.transactions.entries()) {
      expect(tx).toEqual(await t.rpc('eth_getTransactionByHash', [tx.hash]))
      expect(tx.transactionIndex).toBe(toHex(i))
      expect(tx.blockHash).toBe(blockHash)
    }
    const viaViem = await t.publicClient.getBlock({ blockNumber, includeTransactions: true })
    expect(viaViem.transactions[1].to).toBeNull()
  })

  it('eth_getBlockByHash returns the same block, with hashes or full transactions', async () => {
    const byNumber = await t.rpc('eth_getBlockByNumber', [toHex(blockNumber), true])
    const raw = await t.rpc('eth_getBlockByHash', [blockHash, true])
    assertMatchesSpec('eth_getBlockByHash', raw, { noExtraFields: true })
    expect(raw).toEqual(byNumber)
    const hashes = await t.rpc('eth_getBlockByHash', [blockHash, false])
    assertMatchesSpec('eth_getBlockByHash', hashes, { noExtraFields: true })
    expect(hashes.transactions).toEqual([transfer, creation, failing])
    expect((await t.publicClient.getBlock({ blockHash })).number).toBe(blockNumber)
  })

  it('eth_getBlockTransactionCountByNumber and ByHash count the transactions', async () => {
    const byNumber = await t.rpc('eth_getBlockTransactionCountByNumber', [toHex(blockNumber)])
    assertMatchesSpec('eth_getBlockTransactionCountByNumber', byNumber, { noExtraFields: true })
    expect(byNumber).toBe('0x3')
    const byHash = await t.rpc('eth_getBlockTransactionCountByHash', [blockHash])
    assertMatchesSpec('eth_getBlockTransactionCountByHash', byHash, { noExtraFields: true })
    expect(byHash).toBe('0x3')
    expect(await t.publicClient.getBlockTransactionCount({ blockHash })).toBe(3)
    expect(await t.rpc('eth_getBlockTransactionCountByNumber', ['earliest'])).toBe('0x0')
  })

  it('eth_getTransactionByBlockNumberAndIndex and ByBlockHashAndIndex find each position, null past the end', async () => {
    for (const [i, hash] of [transfer, creation, failing].entries()) {
      const byNumber = await t.rpc('eth_getTransactionByBlockNumberAndIndex', [toHex(blockNumber), toHex(i)])
      assertMatchesSpec('eth_getTransactionByBlockNumberAndIndex', byNumber, { noExtraFields: true })
      expect(byNumber.hash).toBe(hash)
      const byHash = await t.rpc('eth_getTransactionByBlockHashAndIndex', [blockHash, toHex(i)])
      assertMatchesSpec('eth_getTransactionByBlockHashAndIndex', byHash, { noExtraFields: true })
      expect(byHash).toEqual(byNumber)
    }
    expect(await t.rpc('eth_getTransactionByBlockNumberAndIndex', [toHex(blockNumber), '0x3'])).toBeNull()
    expect(await t.rpc('eth_getTransactionByBlockHashAndIndex', [blockHash, '0x3'])).toBeNull()
    expect((await t.publicClient.getTransaction({ blockHash, index: 2 })).hash).toBe(failing)
    expect((await t.publicClient.getTransaction({ blockNumber, index: 0 })).hash).toBe(transfer)
  })

  it('a contract creation has to null and its receipt the new contractAddress', async () => {
    const tx = await t.rpc('eth_getTransactionByHash', [creation])
    expect(tx.to).toBeNull()
    const receipt = await t.rpc('eth_getTransactionReceipt', [creation])
    assertMatchesSpec('eth_getTransactionReceipt', receipt, { noExtraFields: true })
    const expected = getContractAddress({ from: accounts[4].address, nonce: BigInt(creationNonce) })
    expect(receipt.contractAddress).toBe(expected.toLowerCase())
    expect(receipt.to).toBeNull()
    expect(receipt.status).toBe('0x1')
    expect(await t.rpc('eth_getCode', [expected, toHex(blockNumber)])).toBe(delegate.deployedBytecode)
    expect((await t.publicClient.getTransactionReceipt({ hash: creation })).contractAddress).toBe(expected.toLowerCase())
  })

  it('a reverted transaction is mined with status 0x0, no logs and no contractAddress', async () => {
    const receipt = await t.rpc('eth_getTransactionReceipt', [failing])
    assertMatchesSpec('eth_getTransactionReceipt', receipt, { noExtraFields: true })
    expect(receipt.status).toBe('0x0')
    expect(receipt.logs).toEqual([])
    expect(receipt.contractAddress).toBeNull()
    expect(receipt.to).toBe(reverterAddress.toLowerCase())
    expect((await t.publicClient.getTransactionReceipt({ hash: failing })).status).toBe('reverted')
    // the revert undid the increment
    expect(await t.publicClient.readContract({ address: reverterAddress, abi: reverter.abi, functionName: 'calls', blockNumber })).toBe(
      await t.publicClient.readContract({ address: reverterAddress, abi: reverter.abi, functionName: 'calls', blockNumber: blockNumber - 1n }),
    )
  })

  it('eth_getBlockReceipts returns every receipt in order, by number, tag, EIP-1898 object or bare hash', async () => {
    const raw = await t.rpc('eth_getBlockReceipts', [toHex(blockNumber)])
    assertMatchesSpec('eth_getBlockReceipts', raw, { noExtraFields: true })
    expect(raw.map((r: { transactionHash: Hex }) => r.transactionHash)).toEqual([transfer, creation, failing])
    for (const r of raw) expect(r).toEqual(await t.rpc('eth_getTransactionReceipt', [r.transactionHash]))
    // cumulative gas adds up to the block's gas used
    let cumulative = 0n
    for (const r of raw) {
      cumulative += hexToBigInt(r.gasUsed)
      expect(hexToBigInt(r.cumulativeGasUsed)).toBe(cumulative)
    }
    const block = await t.rpc('eth_getBlockByNumber', [toHex(blockNumber), false])
    expect(toHex(cumulative)).toBe(block.gasUsed)
    // and they are the receipts the block commits to
    expect(block.receiptsRoot).toBe(await orderedTrieRoot(raw.map(receiptEncoding)))

    expect(await t.rpc('eth_getBlockReceipts', [{ blockHash }])).toEqual(raw)
    expect(await t.rpc('eth_getBlockReceipts', [blockHash])).toEqual(raw)
    const latest = await t.rpc('eth_getBlockReceipts', ['latest'])
    assertMatchesSpec('eth_getBlockReceipts', latest, { noExtraFields: true })
    expect(await t.rpc('eth_getBlockReceipts', ['earliest'])).toEqual([])
    expect(await t.rpc('eth_getBlockReceipts', [toHex(blockNumber + 1000n)])).toBeNull()
  })

  it('pays the priority fees to the fee recipient (the block coinbase)', async () => {
    const receipts = await t.rpc('eth_getBlockReceipts', [toHex(blockNumber)])
    const block = await t.rpc('eth_getBlockByNumber', [toHex(blockNumber), false])
    const baseFee = hexToBigInt(block.baseFeePerGas)
    const tips = receipts.reduce((sum: bigint, r: { gasUsed: Hex; effectiveGasPrice: Hex }) => sum + hexToBigInt(r.gasUsed) * (hexToBigInt(r.effectiveGasPrice) - baseFee), 0n)
    expect(tips).toBeGreaterThan(0n)
    const before = await t.publicClient.getBalance({ address: FEE_RECIPIENT, blockNumber: blockNumber - 1n })
    const after = await t.publicClient.getBalance({ address: FEE_RECIPIENT, blockNumber })
    expect(after - before).toBe(tips)
    expect(block.miner).toBe((await t.rpc('rollup_getConfig')).feeRecipient.toLowerCase())
  })
})

describe('block selectors', () => {
  it("accepts the tags 'latest', 'earliest', 'pending', 'safe' and 'finalized'", async () => {
    const head = await t.rpc('eth_blockNumber')
    for (const tag of ['latest', 'earliest', 'pending', 'safe', 'finalized']) {
      const block = await t.rpc('eth_getBlockByNumber', [tag, false])
      assertMatchesSpec('eth_getBlockByNumber', block, { noExtraFields: true })
      // 'pending' is the latest sealed block (the sequencer keeps no pending block);
      // safe and finalized stay at genesis until the batcher posts to L1
      expect(block.number, tag).toBe(tag === 'latest' || tag === 'pending' ? head : '0x0')
    }
    for (const blockTag of ['latest', 'earliest', 'pending', 'safe', 'finalized'] as const) {
      expect((await t.publicClient.getBlock({ blockTag })).number).toBe(blockTag === 'latest' || blockTag === 'pending' ? hexToBigInt(head) : 0n)
    }
  })

  it('returns null for a block number after the head and for an unknown hash', async () => {
    const head = hexToBigInt(await t.rpc('eth_blockNumber'))
    for (const full of [false, true]) {
      const byNumber = await t.rpc('eth_getBlockByNumber', [toHex(head + 1n), full])
      assertMatchesSpec('eth_getBlockByNumber', byNumber, { noExtraFields: true })
      expect(byNumber).toBeNull()
      const byHash = await t.rpc('eth_getBlockByHash', [`0x${'42'.repeat(32)}`, full])
      assertMatchesSpec('eth_getBlockByHash', byHash, { noExtraFields: true })
      expect(byHash).toBeNull()
    }
    expect(await t.rpc('eth_getBlockTransactionCountByNumber', [toHex(head + 1n)])).toBeNull()
    expect(await t.rpc('eth_getBlockTransactionCountByHash', [`0x${'42'.repeat(32)}`])).toBeNull()
    expect(await t.rpc('eth_getTransactionByHash', [`0x${'42'.repeat(32)}`])).toBeNull()
    expect(await t.rpc('eth_getTransactionReceipt', [`0x${'42'.repeat(32)}`])).toBeNull()
    await expect(t.publicClient.getBlock({ blockNumber: head + 1n })).rejects.toThrow(/could not be found/)
  })

  it('rejects an unknown tag with -32602', async () => {
    const err = await rpcError('eth_getBlockByNumber', ['newest', false])
    expect(err.code).toBe(-32602)
    expect(err.message).toMatch(/^invalid argument 0/)
  })

  it('the genesis block has no transactions and the empty tries', async () => {
    const genesis = await t.rpc('eth_getBlockByNumber', ['earliest', true])
    expect(genesis.transactions).toEqual([])
    expect(genesis.transactionsRoot).toBe(EMPTY_TRIE_ROOT)
    expect(genesis.receiptsRoot).toBe(EMPTY_TRIE_ROOT)
    expect(genesis.parentHash).toBe(toHex(0n, { size: 32 }))
    expect(genesis.baseFeePerGas).toBe(toHex(parseGwei('1')))
  })
})

describe('the base fee, timestamps and parent links across blocks', () => {
  it('raises the base fee after a block over the gas target, lowers it after one under', async () => {
    // a creation that hits INVALID burns its whole limit: 40M of the 60M limit, over the 30M target
    await t.rpc('eth_sendRawTransaction', [await signed(6, { type: 'eip1559', chainId, data: BURN_ALL_GAS, gas: 40_000_000n, ...fees1559 })])
    const full = await mine()
    expect(full.header.gasUsed).toBe(40_000_000n)
    await t.rpc('eth_sendRawTransaction', [await signed(6, { type: 'eip1559', chainId, to: accounts[7].address, value: 1n, gas: 21000n, ...fees1559 })])
    const next = await mine()
    await t.rpc('eth_sendRawTransaction', [await signed(6, { type: 'eip1559', chainId, to: accounts[7].address, value: 1n, gas: 21000n, ...fees1559 })])
    const after = await mine()

    const b = async (n: number) => t.rpc('eth_getBlockByNumber', [toHex(n), false])
    const [fullJson, nextJson, afterJson] = [await b(full.row.number), await b(next.row.number), await b(after.row.number)]
    expect(hexToBigInt(nextJson.baseFeePerGas)).toBeGreaterThan(hexToBigInt(fullJson.baseFeePerGas))
    expect(hexToBigInt(nextJson.baseFeePerGas)).toBe(calcNextBaseFee(headerFees(fullJson)))
    expect(hexToBigInt(afterJson.baseFeePerGas)).toBeLessThan(hexToBigInt(nextJson.baseFeePerGas))
    expect(hexToBigInt(afterJson.baseFeePerGas)).toBe(calcNextBaseFee(headerFees(nextJson)))
  })

  it('every block: hash = keccak256(rlp(header)), base fee = calcNextBaseFee(parent), timestamp > parent timestamp, parentHash = parent hash', async () => {
    const head = Number(await t.publicClient.getBlockNumber({ cacheTime: 0 }))
    expect(head).toBeGreaterThan(5)
    let parent = await t.rpc('eth_getBlockByNumber', ['0x0', false])
    for (let n = 1; n <= head; n++) {
      const block = await t.rpc('eth_getBlockByNumber', [toHex(n), false])
      expect(keccak256(toRlp(headerFields(block))), `hash of block ${n}`).toBe(block.hash)
      expect(hexToBigInt(block.baseFeePerGas), `base fee of block ${n}`).toBe(calcNextBaseFee(headerFees(parent)))
      expect(hexToBigInt(block.timestamp), `timestamp of block ${n}`).toBeGreaterThan(hexToBigInt(parent.timestamp))
      expect(block.parentHash, `parent of block ${n}`).toBe(parent.hash)
      parent = block
    }
  })
})

describe('eth_feeHistory', () => {
  let newest: bigint

  beforeAll(async () => {
    // one block whose gas-weighted tips are distinct at the 10th, 20th and 30th percentile:
    // 21000 gas at 1 gwei, 21000 at 2 gwei, 120000 at 3 gwei (162000 gas in all)
    const tip = (gwei: string) => ({ maxFeePerGas: parseGwei('100'), maxPriorityFeePerGas: parseGwei(gwei) })
    await t.rpc('eth_sendRawTransaction', [await signed(10, { type: 'eip1559', chainId, to: accounts[11].address, value: 1n, gas: 21000n, ...tip('1') })])
    await t.rpc('eth_sendRawTransaction', [await signed(11, { type: 'eip1559', chainId, to: accounts[10].address, value: 1n, gas: 21000n, ...tip('2') })])
    await t.rpc('eth_sendRawTransaction', [await signed(12, { type: 'eip1559', chainId, data: BURN_ALL_GAS, gas: 120_000n, ...tip('3') })])
    newest = BigInt((await mine()).row.number)
  })

  it('covers 5 blocks with count + 1 base fees, gas used ratios and the requested reward percentiles', async () => {
    const raw = await t.rpc('eth_feeHistory', ['0x5', 'latest', [10, 20, 30]])
    assertMatchesSpec('eth_feeHistory', raw, { noExtraFields: true })
    expect(raw.oldestBlock).toBe(toHex(newest - 4n))
    expect(raw.baseFeePerGas).toHaveLength(6)
    expect(raw.gasUsedRatio).toHaveLength(5)
    expect(raw.reward).toHaveLength(5)
    for (const r of raw.reward) expect(r).toHaveLength(3)

    for (let i = 0; i < 5; i++) {
      const block = await t.rpc('eth_getBlockByNumber', [toHex(newest - 4n + BigInt(i)), false])
      expect(raw.baseFeePerGas[i]).toBe(block.baseFeePerGas)
      expect(raw.gasUsedRatio[i]).toBeCloseTo(Number(hexToBigInt(block.gasUsed)) / Number(hexToBigInt(block.gasLimit)), 12)
    }
    // the last entry is the base fee of the block after the newest
    const last = await t.rpc('eth_getBlockByNumber', [toHex(newest), false])
    expect(hexToBigInt(raw.baseFeePerGas[5])).toBe(calcNextBaseFee(headerFees(last)))
    // the newest block's tips at 10/20/30 % of its gas: 1, 2 and 3 gwei
    expect(raw.reward[4]).toEqual([toHex(parseGwei('1')), toHex(parseGwei('2')), toHex(parseGwei('3'))])
  })

  it('works through viem and for a block number as newest', async () => {
    const viaViem = await t.publicClient.getFeeHistory({ blockCount: 5, rewardPercentiles: [10, 20, 30] })
    expect(viaViem.baseFeePerGas).toHaveLength(6)
    expect(viaViem.oldestBlock).toBe(newest - 4n)
    expect(viaViem.reward?.[4]).toEqual([parseGwei('1'), parseGwei('2'), parseGwei('3')])

    const older = await t.rpc('eth_feeHistory', ['0x2', toHex(newest - 1n), []])
    assertMatchesSpec('eth_feeHistory', older, { noExtraFields: true })
    expect(older.oldestBlock).toBe(toHex(newest - 2n))
    expect(older.baseFeePerGas).toHaveLength(3)
  })

  it('clamps the range at genesis and rejects a newest block after the head', async () => {
    const all = await t.rpc('eth_feeHistory', ['0x400', 'latest', [50]])
    assertMatchesSpec('eth_feeHistory', all, { noExtraFields: true })
    expect(all.oldestBlock).toBe('0x0')
    expect(all.baseFeePerGas).toHaveLength(Number(newest) + 2)

    const err = await rpcError('eth_feeHistory', ['0x1', toHex(newest + 10n), []])
    expect(err.code).toBe(-32602)
  })

  it('rejects percentiles that are not ascending or out of [0, 100] with -32602', async () => {
    expect((await rpcError('eth_feeHistory', ['0x1', 'latest', [30, 10]])).code).toBe(-32602)
    expect((await rpcError('eth_feeHistory', ['0x1', 'latest', [101]])).code).toBe(-32602)
  })
})

describe('eth_gasPrice and eth_maxPriorityFeePerGas', () => {
  let f: TestNode
  beforeAll(async () => {
    f = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
  })
  afterAll(() => f?.close())

  it('suggest 0.001 gwei of tip on a chain without transactions, and the next base fee plus that tip as gas price', async () => {
    const tip = await f.rpc('eth_maxPriorityFeePerGas')
    assertMatchesSpec('eth_maxPriorityFeePerGas', tip, { noExtraFields: true })
    expect(tip).toBe(toHex(parseGwei('0.001')))
    const gasPrice = await f.rpc('eth_gasPrice')
    assertMatchesSpec('eth_gasPrice', gasPrice, { noExtraFields: true })
    const genesis = await f.rpc('eth_getBlockByNumber', ['latest', false])
    expect(hexToBigInt(gasPrice)).toBe(calcNextBaseFee(headerFees(genesis)) + parseGwei('0.001'))
    expect(await f.publicClient.getGasPrice()).toBe(hexToBigInt(gasPrice))
    expect(await f.publicClient.estimateMaxPriorityFeePerGas()).toBe(parseGwei('0.001'))
  })

  it('suggest the tip recent transactions paid', async () => {
    for (const i of [1, 2]) {
      await f.rpc('eth_sendRawTransaction', [
        await privateKeyToAccount(accounts[i].privateKey as Hex).signTransaction({ type: 'eip1559', chainId, nonce: 0, to: accounts[3].address, value: 1n, gas: 21000n, maxFeePerGas: parseGwei('50'), maxPriorityFeePerGas: parseGwei('2') }),
      ])
    }
    expect((await f.node.mine())?.included).toHaveLength(2)
    expect(await f.rpc('eth_maxPriorityFeePerGas')).toBe(toHex(parseGwei('2')))
    const head = await f.rpc('eth_getBlockByNumber', ['latest', false])
    expect(hexToBigInt(await f.rpc('eth_gasPrice'))).toBe(calcNextBaseFee(headerFees(head)) + parseGwei('2'))
    const fees = await f.publicClient.estimateFeesPerGas()
    expect(fees.maxPriorityFeePerGas).toBe(parseGwei('2'))
  })
})

describe('eth_getRawTransactionByHash', () => {
  it('returns the exact bytes sent, pending and mined, and null for an unknown hash', async () => {
    const raw = await signed(7, { type: 'eip1559', chainId, to: accounts[8].address, value: 1n, gas: 21_000n, ...fees1559 })
    const hash = await t.rpc<Hex>('eth_sendRawTransaction', [raw])
    expect(await t.rpc('eth_getRawTransactionByHash', [hash])).toBe(raw)
    await mine()
    expect((await t.rpc('eth_getTransactionReceipt', [hash])).status).toBe('0x1')
    expect(await t.rpc('eth_getRawTransactionByHash', [hash])).toBe(raw)
    expect(await t.rpc('eth_getRawTransactionByHash', [`0x${'ab'.repeat(32)}`])).toBeNull()
  })
})
