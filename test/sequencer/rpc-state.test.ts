/**
 * The state methods of the JSON-RPC API, specified against a real node through viem and raw
 * JSON-RPC: balances, code, storage and nonces (latest, pending and historical), eth_getProof
 * (checked against the block's state root), eth_call (block selectors of EIP-1898, state
 * overrides), eth_estimateGas (exact to the gas unit, revert reasons) and eth_createAccessList.
 * Every successful raw result is validated against the execution-apis spec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BaseError,
  ContractFunctionRevertedError,
  InsufficientFundsError,
  decodeFunctionResult,
  encodeErrorResult,
  encodeFunctionData,
  keccak256,
  parseEther,
  parseGwei,
  toHex,
  toRlp,
  fromRlp,
  hexToBigInt,
  pad,
  type Address,
  type Hex,
} from 'viem'
import { verifyMerkleProof } from '@ethereumjs/mpt'
import { hexToBytes } from '@ethereumjs/util'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { assertMatchesSpec } from '../helpers/spec.ts'
import { compile, type Compiled } from '../helpers/solidity.ts'

const SOURCE = `
contract Store {
    uint256 public value;                        // slot 0
    mapping(address => uint256) public credits;  // slot 1

    error Unauthorized(address caller, uint256 code);
    event ValueSet(uint256 indexed newValue, address indexed by);

    constructor(uint256 v) payable {
        value = v;
        credits[msg.sender] = 7;
    }

    function set(uint256 v) external {
        value = v;
        emit ValueSet(v, msg.sender);
    }

    function balanceOf(address a) external view returns (uint256) {
        return a.balance;
    }

    function requireAtLeast(uint256 v) external view {
        require(value >= v, "value too small");
    }

    function onlyAdmin() external view {
        revert Unauthorized(msg.sender, 42);
    }
}

contract Forwarder {
    // CALL forwards all but 1/64 of the gas left (EIP-150): how much the outer call needs
    // depends on how much the inner one needs, so estimation must search, not just measure
    function forward(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call(data);
        require(ok, "inner call failed");
        return ret;
    }
}

contract Burner {
    function burn(uint256 rounds) external pure returns (bytes32 h) {
        for (uint256 i = 0; i < rounds; i++) h = keccak256(abi.encode(h, i));
    }
}
`

/** Runtime code that returns the word 42: PUSH1 0x2a PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN. */
const RETURNS_42 = '0x602a60005260206000f3'
const ERROR_STRING_ABI = [{ type: 'error', name: 'Error', inputs: [{ name: 'message', type: 'string' }] }] as const

let t: TestNode
let store: Compiled
let storeAddress: Address
let forwarderAddress: Address
let burnerAddress: Address
/** Block in which Store.set(1234) was mined; before it the value was 5. */
let setBlock: bigint

const sender = accounts[0].address

async function deploy(c: Compiled, args: unknown[] = [], value = 0n): Promise<Address> {
  const hash = await t.wallet(0).deployContract({ abi: c.abi, bytecode: c.bytecode, args, value })
  const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
  return receipt.contractAddress!
}

/** A raw call that must fail; returns its JSON-RPC error. */
async function rpcError(method: string, params: unknown[]) {
  const r = await t.rpcRaw(method, params)
  expect(r.result, `${method} should fail`).toBeUndefined()
  return r.error!
}

/** Walks a viem error to the ContractFunctionRevertedError inside it. */
function revertedError(err: unknown): ContractFunctionRevertedError {
  expect(err).toBeInstanceOf(BaseError)
  const inner = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
  expect(inner, `no ContractFunctionRevertedError in: ${(err as Error).message}`).toBeInstanceOf(ContractFunctionRevertedError)
  return inner as ContractFunctionRevertedError
}

beforeAll(async () => {
  t = await startTestNode()
  store = compile(SOURCE, 'Store')
  storeAddress = await deploy(store, [5n], parseEther('0.5'))
  forwarderAddress = await deploy(compile(SOURCE, 'Forwarder'))
  burnerAddress = await deploy(compile(SOURCE, 'Burner'))
  const hash = await t.wallet(0).writeContract({ address: storeAddress, abi: store.abi, functionName: 'set', args: [1234n] })
  setBlock = (await t.publicClient.waitForTransactionReceipt({ hash })).blockNumber
})

afterAll(() => t?.close())

describe('eth_getBalance', () => {
  it('returns a dev account funded at genesis with 10,000 ETH at earliest', async () => {
    const raw = await t.rpc('eth_getBalance', [accounts[5].address, 'earliest'])
    assertMatchesSpec('eth_getBalance', raw, { noExtraFields: true })
    expect(raw).toBe(toHex(parseEther('10000')))
    expect(await t.publicClient.getBalance({ address: accounts[5].address, blockTag: 'earliest' })).toBe(parseEther('10000'))
  })

  it('returns 0x0 for an account that does not exist', async () => {
    const raw = await t.rpc('eth_getBalance', ['0x000000000000000000000000000000000000dead', 'latest'])
    assertMatchesSpec('eth_getBalance', raw, { noExtraFields: true })
    expect(raw).toBe('0x0')
  })

  it('defaults the block to latest when it is omitted', async () => {
    expect(await t.rpc('eth_getBalance', [storeAddress])).toBe(toHex(parseEther('0.5')))
  })

  it('reads historical state (archive): the balance at block N-1 differs from the balance at N', async () => {
    const fresh = '0x00000000000000000000000000000000c0ffee01' as Address
    const hash = await t.wallet(2).sendTransaction({ to: fresh, value: 12345n })
    const { blockNumber: n } = await t.publicClient.waitForTransactionReceipt({ hash })

    expect(await t.publicClient.getBalance({ address: fresh, blockNumber: n - 1n })).toBe(0n)
    expect(await t.publicClient.getBalance({ address: fresh, blockNumber: n })).toBe(12345n)
    expect(await t.rpc('eth_getBalance', [fresh, toHex(n - 1n)])).toBe('0x0')
    expect(await t.rpc('eth_getBalance', [fresh, toHex(n)])).toBe(toHex(12345n))

    const senderBefore = hexToBigInt(await t.rpc('eth_getBalance', [accounts[2].address, toHex(n - 1n)]))
    const senderAfter = hexToBigInt(await t.rpc('eth_getBalance', [accounts[2].address, toHex(n)]))
    expect(senderAfter).toBeLessThan(senderBefore - 12345n)
  })

  it('accepts an EIP-1898 block hash', async () => {
    const block = await t.publicClient.getBlock({ blockNumber: setBlock })
    const raw = await t.rpc('eth_getBalance', [storeAddress, { blockHash: block.hash }])
    assertMatchesSpec('eth_getBalance', raw, { noExtraFields: true })
    expect(raw).toBe(toHex(parseEther('0.5')))
  })

  it('fails with "header not found" for a block after the head', async () => {
    const head = await t.publicClient.getBlockNumber()
    const err = await rpcError('eth_getBalance', [sender, toHex(head + 1000n)])
    expect(err.code).toBe(-32000)
    expect(err.message).toBe('header not found')
  })
})

describe('eth_getCode', () => {
  it('returns the runtime code of a contract', async () => {
    const raw = await t.rpc('eth_getCode', [storeAddress, 'latest'])
    assertMatchesSpec('eth_getCode', raw, { noExtraFields: true })
    expect(raw).toBe(store.deployedBytecode)
    expect(await t.publicClient.getCode({ address: storeAddress })).toBe(store.deployedBytecode)
  })

  it('returns 0x for an account without code, and for the contract before it was deployed', async () => {
    const raw = await t.rpc('eth_getCode', [sender, 'latest'])
    assertMatchesSpec('eth_getCode', raw, { noExtraFields: true })
    expect(raw).toBe('0x')
    expect(await t.rpc('eth_getCode', [storeAddress, 'earliest'])).toBe('0x')
    expect(await t.publicClient.getCode({ address: storeAddress, blockTag: 'earliest' })).toBeUndefined()
  })
})

describe('eth_getStorageAt', () => {
  it('returns a slot as a 32-byte word', async () => {
    const raw = await t.rpc('eth_getStorageAt', [storeAddress, '0x0', 'latest'])
    assertMatchesSpec('eth_getStorageAt', raw, { noExtraFields: true })
    expect(raw).toBe(pad(toHex(1234n)))
    expect(await t.publicClient.getStorageAt({ address: storeAddress, slot: '0x0' })).toBe(pad(toHex(1234n)))
  })

  it('accepts the slot as a full 32-byte hash (a mapping entry)', async () => {
    // credits[deployer] lives at keccak256(pad(deployer) . pad(1))
    const slot = keccak256(`0x${pad(sender).slice(2)}${pad('0x1').slice(2)}`)
    const raw = await t.rpc('eth_getStorageAt', [storeAddress, slot, 'latest'])
    assertMatchesSpec('eth_getStorageAt', raw, { noExtraFields: true })
    expect(hexToBigInt(raw)).toBe(7n)
  })

  it('reads the slot as it was at an earlier block', async () => {
    expect(hexToBigInt(await t.rpc('eth_getStorageAt', [storeAddress, '0x0', toHex(setBlock - 1n)]))).toBe(5n)
    expect(hexToBigInt(await t.rpc('eth_getStorageAt', [storeAddress, '0x0', toHex(setBlock)]))).toBe(1234n)
    expect(await t.publicClient.getStorageAt({ address: storeAddress, slot: '0x0', blockNumber: setBlock - 1n })).toBe(pad(toHex(5n)))
  })

  it('returns the zero word for an unset slot and for an account without storage', async () => {
    expect(await t.rpc('eth_getStorageAt', [storeAddress, '0x7', 'latest'])).toBe(pad('0x0'))
    expect(await t.rpc('eth_getStorageAt', [sender, '0x0', 'latest'])).toBe(pad('0x0'))
  })

  it('rejects a slot longer than 32 bytes with -32602', async () => {
    const err = await rpcError('eth_getStorageAt', [storeAddress, `0x${'11'.repeat(33)}`, 'latest'])
    expect(err.code).toBe(-32602)
    expect(err.message).toMatch(/invalid argument 1/)
  })
})

describe('eth_getTransactionCount', () => {
  it('returns the nonce at latest, and 0x0 at earliest', async () => {
    const raw = await t.rpc('eth_getTransactionCount', [sender, 'latest'])
    assertMatchesSpec('eth_getTransactionCount', raw, { noExtraFields: true })
    // three deployments and one call
    expect(raw).toBe('0x4')
    expect(await t.publicClient.getTransactionCount({ address: sender })).toBe(4)
    expect(await t.rpc('eth_getTransactionCount', [sender, 'earliest'])).toBe('0x0')
  })

  it('returns the nonce at a historical block', async () => {
    expect(await t.rpc('eth_getTransactionCount', [sender, toHex(setBlock - 1n)])).toBe('0x3')
    expect(await t.publicClient.getTransactionCount({ address: sender, blockNumber: setBlock })).toBe(4)
  })

  describe('with a block still unsealed (manual mining)', () => {
    let m: TestNode
    beforeAll(async () => {
      m = await startTestNode({ sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    })
    afterAll(() => m?.close())

    it("counts the sender's contiguous pool transactions at 'pending', not a nonce gap", async () => {
      const from = accounts[1].address
      // viem takes each nonce from eth_getTransactionCount(pending): three sends in a row only
      // work if pending counts the transactions already in the pool
      for (let i = 0; i < 3; i++) await m.wallet(1).sendTransaction({ to: accounts[2].address, value: 1n })
      await m.wallet(1).sendTransaction({ to: accounts[2].address, value: 1n, nonce: 7 }) // queued behind a gap

      const pending = await m.rpc('eth_getTransactionCount', [from, 'pending'])
      assertMatchesSpec('eth_getTransactionCount', pending, { noExtraFields: true })
      expect(pending).toBe('0x3')
      expect(await m.rpc('eth_getTransactionCount', [from, 'latest'])).toBe('0x0')
      expect(await m.publicClient.getTransactionCount({ address: from, blockTag: 'pending' })).toBe(3)

      const block = await m.node.mine()
      expect(block?.included.length).toBe(3)
      expect(await m.rpc('eth_getTransactionCount', [from, 'latest'])).toBe('0x3')
      expect(await m.rpc('eth_getTransactionCount', [from, 'pending'])).toBe('0x3')
    })
  })
})

describe('eth_getProof', () => {
  /** RLP of the account as the state trie stores it: [nonce, balance, storageRoot, codeHash]. */
  const accountRlp = (p: { nonce: Hex; balance: Hex; storageHash: Hex; codeHash: Hex }) =>
    toRlp([p.nonce === '0x0' ? '0x' : p.nonce, p.balance === '0x0' ? '0x' : p.balance, p.storageHash, p.codeHash])

  it('returns an account proof that verifies against the block state root', async () => {
    const slot0 = pad('0x0')
    const raw = await t.rpc('eth_getProof', [storeAddress, [slot0], toHex(setBlock)])
    assertMatchesSpec('eth_getProof', raw, { noExtraFields: true })
    const block = await t.publicClient.getBlock({ blockNumber: setBlock })

    expect(raw.address).toBe(storeAddress.toLowerCase())
    expect(raw.balance).toBe(toHex(parseEther('0.5')))
    expect(raw.nonce).toBe('0x1') // EIP-161: contracts start at nonce 1
    expect(raw.codeHash).toBe(keccak256(store.deployedBytecode))
    // the first node of the proof is the root node
    expect(keccak256(raw.accountProof[0])).toBe(block.stateRoot)

    const value = await verifyMerkleProof(hexToBytes(storeAddress), raw.accountProof.map((n: Hex) => hexToBytes(n)), { useKeyHashing: true })
    expect(value).not.toBeNull()
    expect(toHex(value!)).toBe(accountRlp(raw))

    // and the storage proof verifies against the account's storage root
    expect(raw.storageProof).toHaveLength(1)
    const sp = raw.storageProof[0]
    expect(hexToBigInt(sp.key)).toBe(0n)
    expect(sp.value).toBe(toHex(1234n))
    expect(keccak256(sp.proof[0])).toBe(raw.storageHash)
    const stored = await verifyMerkleProof(hexToBytes(slot0), sp.proof.map((n: Hex) => hexToBytes(n)), { useKeyHashing: true })
    expect(hexToBigInt(fromRlp(toHex(stored!), 'hex') as Hex)).toBe(1234n)
  })

  it('proves the state of an earlier block against that block', async () => {
    const raw = await t.rpc('eth_getProof', [storeAddress, ['0x0'], toHex(setBlock - 1n)])
    assertMatchesSpec('eth_getProof', raw, { noExtraFields: true })
    const block = await t.publicClient.getBlock({ blockNumber: setBlock - 1n })
    expect(keccak256(raw.accountProof[0])).toBe(block.stateRoot)
    expect(raw.storageProof[0].value).toBe('0x5')
  })

  it('proves an absent account (empty code and storage) and works through viem', async () => {
    const absent = '0x00000000000000000000000000000000000a0b0c' as Address
    const raw = await t.rpc('eth_getProof', [absent, [], 'latest'])
    assertMatchesSpec('eth_getProof', raw, { noExtraFields: true })
    expect(raw.balance).toBe('0x0')
    expect(raw.nonce).toBe('0x0')
    expect(raw.codeHash).toBe(keccak256('0x'))
    expect(raw.storageHash).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421') // empty trie
    const latest = await t.publicClient.getBlock()
    expect(keccak256(raw.accountProof[0])).toBe(latest.stateRoot)
    expect(await verifyMerkleProof(hexToBytes(absent), raw.accountProof.map((n: Hex) => hexToBytes(n)), { useKeyHashing: true })).toBeNull()

    const viaViem = await t.publicClient.getProof({ address: storeAddress, storageKeys: [pad('0x0')] })
    expect(viaViem.storageProof[0].value).toBe(1234n)
    expect(viaViem.balance).toBe(parseEther('0.5'))
  })
})

describe('eth_call', () => {
  const valueCall = () => ({ to: storeAddress, input: encodeFunctionData({ abi: store.abi, functionName: 'value' }) })
  const decodeValue = (data: Hex) => decodeFunctionResult({ abi: store.abi, functionName: 'value', data }) as bigint

  it('runs a view function at latest', async () => {
    const raw = await t.rpc('eth_call', [valueCall(), 'latest'])
    assertMatchesSpec('eth_call', raw, { noExtraFields: true })
    expect(decodeValue(raw)).toBe(1234n)
    expect(await t.publicClient.readContract({ address: storeAddress, abi: store.abi, functionName: 'value' })).toBe(1234n)
  })

  it('runs at a block number, and at the EIP-1898 objects {blockNumber} and {blockHash}', async () => {
    const before = setBlock - 1n
    const beforeHash = (await t.publicClient.getBlock({ blockNumber: before })).hash
    for (const block of [toHex(before), { blockNumber: toHex(before) }, { blockHash: beforeHash }, { blockHash: beforeHash, requireCanonical: true }]) {
      const raw = await t.rpc('eth_call', [valueCall(), block])
      assertMatchesSpec('eth_call', raw, { noExtraFields: true })
      expect(decodeValue(raw), JSON.stringify(block)).toBe(5n)
    }
    expect(await t.publicClient.readContract({ address: storeAddress, abi: store.abi, functionName: 'value', blockNumber: before })).toBe(5n)
  })

  it("accepts the tags 'pending', 'safe', 'finalized' and 'earliest'", async () => {
    expect(decodeValue(await t.rpc('eth_call', [valueCall(), 'pending']))).toBe(1234n)
    // safe and finalized stay at genesis until the batcher moves them: no contract there yet
    expect(await t.rpc('eth_call', [valueCall(), 'safe'])).toBe('0x')
    expect(await t.rpc('eth_call', [valueCall(), 'finalized'])).toBe('0x')
    expect(await t.rpc('eth_call', [valueCall(), 'earliest'])).toBe('0x')
  })

  it('fails with -32000 for an unknown block hash', async () => {
    const err = await rpcError('eth_call', [valueCall(), { blockHash: `0x${'ab'.repeat(32)}` }])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/not found/)
  })

  it('rejects {blockHash} together with {blockNumber} with -32602', async () => {
    const err = await rpcError('eth_call', [valueCall(), { blockHash: `0x${'ab'.repeat(32)}`, blockNumber: '0x1' }])
    expect(err.code).toBe(-32602)
  })

  it('applies a balance override', async () => {
    const who = '0x00000000000000000000000000000000000b0b0b' as Address
    const call = { to: storeAddress, input: encodeFunctionData({ abi: store.abi, functionName: 'balanceOf', args: [who] }) }
    const raw = await t.rpc('eth_call', [call, 'latest', { [who]: { balance: '0x1234' } }])
    assertMatchesSpec('eth_call', raw, { noExtraFields: true })
    expect(hexToBigInt(raw)).toBe(0x1234n)
    expect(hexToBigInt(await t.rpc('eth_call', [call, 'latest']))).toBe(0n)

    const viaViem = await t.publicClient.readContract({
      address: storeAddress,
      abi: store.abi,
      functionName: 'balanceOf',
      args: [who],
      stateOverride: [{ address: who, balance: 99n }],
    })
    expect(viaViem).toBe(99n)
  })

  it('applies a code override', async () => {
    const target = '0x00000000000000000000000000000000000c0de1' as Address
    const raw = await t.rpc('eth_call', [{ to: target, input: '0x' }, 'latest', { [target]: { code: RETURNS_42 } }])
    assertMatchesSpec('eth_call', raw, { noExtraFields: true })
    expect(raw).toBe(pad(toHex(42n)))
    const viaViem = await t.publicClient.call({ to: target, stateOverride: [{ address: target, code: RETURNS_42 }] })
    expect(viaViem.data).toBe(pad(toHex(42n)))
  })

  it('applies a stateDiff override to the named slots only, and a state override to all storage', async () => {
    const creditsCall = { to: storeAddress, input: encodeFunctionData({ abi: store.abi, functionName: 'credits', args: [sender] }) }
    const diff = { [storeAddress]: { stateDiff: { [pad('0x0')]: pad(toHex(99n)) } } }
    expect(decodeValue(await t.rpc('eth_call', [valueCall(), 'latest', diff]))).toBe(99n)
    expect(hexToBigInt(await t.rpc('eth_call', [creditsCall, 'latest', diff]))).toBe(7n) // untouched slot kept

    const full = { [storeAddress]: { state: { [pad('0x0')]: pad(toHex(99n)) } } }
    expect(decodeValue(await t.rpc('eth_call', [valueCall(), 'latest', full]))).toBe(99n)
    expect(hexToBigInt(await t.rpc('eth_call', [creditsCall, 'latest', full]))).toBe(0n) // everything else cleared

    const viaViem = await t.publicClient.readContract({
      address: storeAddress,
      abi: store.abi,
      functionName: 'value',
      stateOverride: [{ address: storeAddress, stateDiff: [{ slot: pad('0x0'), value: pad(toHex(77n)) }] }],
    })
    expect(viaViem).toBe(77n)
    // overrides never reach the chain
    expect(decodeValue(await t.rpc('eth_call', [valueCall(), 'latest']))).toBe(1234n)
  })

  it('fails with -32000 "insufficient funds" for a value the sender does not have, unless a balance override gives it', async () => {
    const poor = '0x000000000000000000000000000000000000abcd' as Address
    const call = { from: poor, to: accounts[3].address, value: toHex(parseEther('1')) }
    const err = await rpcError('eth_call', [call, 'latest'])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/^insufficient funds for gas \* price \+ value/)
    expect(await t.rpc('eth_call', [call, 'latest', { [poor]: { balance: toHex(parseEther('2')) } }])).toBe('0x')
  })

  it('rejects an override with both state and stateDiff with -32602', async () => {
    const err = await rpcError('eth_call', [valueCall(), 'latest', { [storeAddress]: { state: {}, stateDiff: {} } }])
    expect(err.code).toBe(-32602)
  })

  it('reports a revert as code 3, "execution reverted: <reason>", with the Error(string) data', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'requireAtLeast', args: [10_000n] })
    const err = await rpcError('eth_call', [{ to: storeAddress, input }, 'latest'])
    expect(err.code).toBe(3)
    expect(err.message).toBe('execution reverted: value too small')
    expect(err.data).toBe(encodeErrorResult({ abi: ERROR_STRING_ABI, errorName: 'Error', args: ['value too small'] }))

    const viaViem = await t.publicClient
      .readContract({ address: storeAddress, abi: store.abi, functionName: 'requireAtLeast', args: [10_000n] })
      .catch((e: unknown) => e)
    expect(revertedError(viaViem).reason).toBe('value too small')
  })

  it('reports a custom error revert with its ABI-encoded data', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'onlyAdmin' })
    const err = await rpcError('eth_call', [{ from: sender, to: storeAddress, input }, 'latest'])
    expect(err.code).toBe(3)
    expect(err.message).toBe('execution reverted')
    expect(err.data).toBe(encodeErrorResult({ abi: store.abi, errorName: 'Unauthorized', args: [sender, 42n] }))

    const viaViem = await t.publicClient
      .readContract({ address: storeAddress, abi: store.abi, functionName: 'onlyAdmin', account: sender })
      .catch((e: unknown) => e)
    const reverted = revertedError(viaViem)
    expect(reverted.data?.errorName).toBe('Unauthorized')
    expect(reverted.data?.args).toEqual([sender, 42n])
  })
})

describe('eth_estimateGas', () => {
  const forwardInput = (rounds: bigint) =>
    encodeFunctionData({
      abi: compile(SOURCE, 'Forwarder').abi,
      functionName: 'forward',
      args: [burnerAddress, encodeFunctionData({ abi: compile(SOURCE, 'Burner').abi, functionName: 'burn', args: [rounds] })],
    })

  it('estimates a plain transfer at exactly 21000', async () => {
    const raw = await t.rpc('eth_estimateGas', [{ from: sender, to: accounts[3].address, value: '0x1' }])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    expect(raw).toBe(toHex(21000n))
    expect(await t.publicClient.estimateGas({ account: sender, to: accounts[3].address, value: 1n })).toBe(21000n)

    expect(await t.rpc('eth_call', [{ from: sender, to: accounts[3].address, value: '0x1', gas: toHex(21000n) }, 'latest'])).toBe('0x')
    const err = await rpcError('eth_call', [{ from: sender, to: accounts[3].address, value: '0x1', gas: toHex(20999n) }, 'latest'])
    expect(err.code).toBe(-32000)
    expect(err.message).toBe('intrinsic gas too low: have 20999, want 21000')
  })

  it('is exact for a call whose gas use depends on the gas left (CALL with 63/64 forwarding)', async () => {
    const input = forwardInput(300n)
    const raw = await t.rpc('eth_estimateGas', [{ from: sender, to: forwarderAddress, input }])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    const estimate = hexToBigInt(raw)
    expect(await t.publicClient.estimateGas({ account: sender, to: forwarderAddress, data: input })).toBe(estimate)

    // the estimate is enough ...
    await t.rpc('eth_call', [{ from: sender, to: forwarderAddress, input, gas: toHex(estimate) }, 'latest'])
    // ... and one unit less is not
    const err = await rpcError('eth_call', [{ from: sender, to: forwarderAddress, input, gas: toHex(estimate - 1n) }, 'latest'])
    expect(err.code).toBe(3)
    expect(err.message).toBe('execution reverted: inner call failed')

    // and the same holds for mined transactions
    const ok = await t.wallet(4).sendTransaction({ to: forwarderAddress, data: input, gas: estimate })
    const okReceipt = await t.publicClient.waitForTransactionReceipt({ hash: ok })
    expect(okReceipt.status).toBe('success')
    const short = await t.wallet(4).sendTransaction({ to: forwarderAddress, data: input, gas: estimate - 1n })
    expect((await t.publicClient.waitForTransactionReceipt({ hash: short })).status).toBe('reverted')
    // the call used less than the estimate: the rest was the 1/64 the CALL held back
    expect(okReceipt.gasUsed).toBeLessThan(estimate)
  })

  it('is exact for a call that earns a refund (clearing a slot): the gas is needed before the refund', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'set', args: [0n] })
    const raw = await t.rpc('eth_estimateGas', [{ from: sender, to: storeAddress, input }])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    const estimate = hexToBigInt(raw)
    await t.rpc('eth_call', [{ from: sender, to: storeAddress, input, gas: toHex(estimate) }, 'latest'])
    const err = await rpcError('eth_call', [{ from: sender, to: storeAddress, input, gas: toHex(estimate - 1n) }, 'latest'])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/out of gas/)
    // mined with exactly that gas it succeeds, and is charged less: the refund comes off at the end
    const hash = await t.wallet(0).sendTransaction({ to: storeAddress, data: input, gas: estimate })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(receipt.gasUsed).toBeLessThan(estimate)
    expect(await t.rpc('eth_getStorageAt', [storeAddress, '0x0', 'latest'])).toBe(pad('0x0'))
  })

  it('is exact for a contract creation (the code deposit is paid at the end)', async () => {
    const burner = compile(SOURCE, 'Burner')
    const raw = await t.rpc('eth_estimateGas', [{ from: sender, input: burner.bytecode }])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    const estimate = hexToBigInt(raw)
    expect(await t.publicClient.estimateGas({ account: sender, data: burner.bytecode })).toBe(estimate)
    await t.rpc('eth_call', [{ from: sender, input: burner.bytecode, gas: toHex(estimate) }, 'latest'])
    const err = await rpcError('eth_call', [{ from: sender, input: burner.bytecode, gas: toHex(estimate - 1n) }, 'latest'])
    expect(err.code).toBe(-32000)
  })

  it('estimates at a historical block and with state overrides', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'requireAtLeast', args: [1000n] })
    // at setBlock - 1 the value was 5: the require fails there
    const err = await rpcError('eth_estimateGas', [{ to: storeAddress, input }, toHex(setBlock - 1n)])
    expect(err.code).toBe(3)
    const raw = await t.rpc('eth_estimateGas', [{ to: storeAddress, input }, toHex(setBlock)])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    const overridden = await rpcError('eth_estimateGas', [{ to: storeAddress, input }, 'latest', { [storeAddress]: { stateDiff: { [pad('0x0')]: pad('0x1') } } }])
    expect(overridden.code).toBe(3)
  })

  it('fails on a revert with code 3, "execution reverted: <reason>" and the Error(string) data', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'requireAtLeast', args: [10_000n] })
    const err = await rpcError('eth_estimateGas', [{ from: sender, to: storeAddress, input }])
    expect(err.code).toBe(3)
    expect(err.message).toBe('execution reverted: value too small')
    expect(err.data).toBe(encodeErrorResult({ abi: ERROR_STRING_ABI, errorName: 'Error', args: ['value too small'] }))

    const viaViem = await t.publicClient
      .estimateContractGas({ address: storeAddress, abi: store.abi, functionName: 'requireAtLeast', args: [10_000n], account: sender })
      .catch((e: unknown) => e)
    expect(revertedError(viaViem).reason).toBe('value too small')
  })

  it('fails on a custom error with code 3 and the ABI-encoded error as data', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'onlyAdmin' })
    const err = await rpcError('eth_estimateGas', [{ from: sender, to: storeAddress, input }])
    expect(err.code).toBe(3)
    expect(err.message).toBe('execution reverted')
    expect(err.data).toBe(encodeErrorResult({ abi: store.abi, errorName: 'Unauthorized', args: [sender, 42n] }))
    const viaViem = await t.publicClient
      .estimateContractGas({ address: storeAddress, abi: store.abi, functionName: 'onlyAdmin', account: sender })
      .catch((e: unknown) => e)
    expect(revertedError(viaViem).data?.errorName).toBe('Unauthorized')
  })

  it('fails with -32000 "insufficient funds" when the sender cannot pay the value', async () => {
    const poor = '0x000000000000000000000000000000000000abcd' as Address
    const err = await rpcError('eth_estimateGas', [{ from: poor, to: accounts[3].address, value: toHex(parseEther('1')) }])
    expect(err.code).toBe(-32000)
    expect(err.message).toBe(`insufficient funds for gas * price + value: address ${poor} have 0 want ${parseEther('1')}`)
    const withFees = await rpcError('eth_estimateGas', [{ from: poor, to: accounts[3].address, value: '0x1', maxFeePerGas: toHex(parseGwei('10')) }])
    expect(withFees).toEqual({ code: -32000, message: 'insufficient funds for transfer' })

    const viaViem = await t.publicClient.estimateGas({ account: poor, to: accounts[3].address, value: parseEther('1') }).catch((e: unknown) => e)
    expect((viaViem as BaseError).walk((e) => e instanceof InsufficientFundsError)).toBeInstanceOf(InsufficientFundsError)
  })

  it('bounds the search by the gas the sender can pay for at the named fee cap', async () => {
    // 0.0001 ETH pays for 25,000 gas at 4 gwei (a transfer fits) and 10,000 at 10 gwei (the forwarding call does not)
    const small = '0x00000000000000000000000000000000005ea11e' as Address
    const fund = await t.wallet(5).sendTransaction({ to: small, value: parseEther('0.0001') })
    await t.publicClient.waitForTransactionReceipt({ hash: fund })
    const fees = { maxFeePerGas: toHex(parseGwei('10')), maxPriorityFeePerGas: '0x0' }
    const raw = await t.rpc('eth_estimateGas', [{ from: small, to: accounts[3].address, value: '0x1', gasPrice: toHex(parseGwei('4')) }])
    assertMatchesSpec('eth_estimateGas', raw, { noExtraFields: true })
    expect(raw).toBe(toHex(21000n))
    const err = await rpcError('eth_estimateGas', [{ from: small, to: forwarderAddress, input: forwardInput(300n), ...fees }])
    expect(err.code).toBe(-32000)
    // the same call without fees runs at a zero base fee and needs no ETH for gas
    expect(hexToBigInt(await t.rpc('eth_estimateGas', [{ from: small, to: forwarderAddress, input: forwardInput(300n) }]))).toBeGreaterThan(10_000n)
  })

  it('fails with -32000 when even the gas cap is not enough', async () => {
    const err = await rpcError('eth_estimateGas', [{ from: sender, to: forwarderAddress, input: forwardInput(300n), gas: toHex(30_000n) }])
    expect(err.code).toBe(-32000)
    expect(err.message).toMatch(/gas required exceeds allowance/)
  })
})

describe('eth_createAccessList', () => {
  const setInput = (v: bigint) => encodeFunctionData({ abi: store.abi, functionName: 'set', args: [v] })

  it('lists the contract and the slots the call touches, without the sender', async () => {
    const raw = await t.rpc('eth_createAccessList', [{ from: sender, to: storeAddress, input: setInput(77n) }, 'latest'])
    assertMatchesSpec('eth_createAccessList', raw, { noExtraFields: true })
    expect(raw.accessList).toEqual([{ address: storeAddress.toLowerCase(), storageKeys: [pad('0x0')] }])
    expect(raw.error).toBeUndefined()
    expect(JSON.stringify(raw.accessList)).not.toContain(sender.toLowerCase().slice(2))

    const viaViem = await t.publicClient.createAccessList({ account: sender, to: storeAddress, data: setInput(77n) })
    expect(viaViem.accessList).toEqual([{ address: storeAddress.toLowerCase(), storageKeys: [pad('0x0')] }])
    expect(viaViem.gasUsed).toBe(hexToBigInt(raw.gasUsed))
  })

  it('reports the gas the transaction uses with the returned access list', async () => {
    const raw = await t.rpc('eth_createAccessList', [{ from: accounts[6].address, to: storeAddress, input: setInput(78n) }, 'latest'])
    const accessList = raw.accessList.map((e: { address: Address; storageKeys: Hex[] }) => ({ address: e.address, storageKeys: e.storageKeys }))
    const hash = await t.wallet(6).sendTransaction({ to: storeAddress, data: setInput(78n), accessList, gas: 200_000n })
    const receipt = await t.publicClient.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')
    expect(hexToBigInt(raw.gasUsed)).toBe(receipt.gasUsed)
  })

  it('reports a reverting call in the error field', async () => {
    const input = encodeFunctionData({ abi: store.abi, functionName: 'requireAtLeast', args: [10_000n] })
    const raw = await t.rpc('eth_createAccessList', [{ from: sender, to: storeAddress, input }, 'latest'])
    assertMatchesSpec('eth_createAccessList', raw, { noExtraFields: true })
    expect(raw.error).toBe('execution reverted: value too small')
    expect(raw.accessList).toEqual([{ address: storeAddress.toLowerCase(), storageKeys: [pad('0x0')] }])
  })

  it('works at a historical block', async () => {
    const raw = await t.rpc('eth_createAccessList', [{ from: sender, to: storeAddress, input: encodeFunctionData({ abi: store.abi, functionName: 'value' }) }, toHex(setBlock - 1n)])
    assertMatchesSpec('eth_createAccessList', raw, { noExtraFields: true })
    expect(raw.accessList).toEqual([{ address: storeAddress.toLowerCase(), storageKeys: [pad('0x0')] }])
  })
})
