/**
 * debug_traceTransaction / debug_traceCall with geth's callTracer, against a real node: a contract A
 * that CALLs B (which logs and may revert), STATICCALLs B, DELEGATECALLs a library, CREATE2s a
 * child and has it SELFDESTRUCT; traced mined (successful and reverted, the latter not first in its
 * block) and as calls (latest, state overrides), with withLog / onlyTopCall; option validation.
 */
import type { CallFrameJson } from '../../sequencer/rpc/tracers/call-tracer.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeFunctionResult,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  pad,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import { accounts, startTestNode, type TestNode } from '../helpers/node.ts'
import { compile } from '../helpers/solidity.ts'

const SOURCE = `
contract B {
    uint256 public counter;                      // slot 0
    event Ping(address indexed from, uint256 x, string note);

    function ping(bool fail, uint256 x) external payable returns (uint256) {
        emit Ping(msg.sender, x, "hi");
        counter += x;
        if (fail) revert("B says no");
        return counter;
    }

    function inc(uint256 x) external pure returns (uint256) {
        return x + 1;
    }
}

contract Lib {
    function whoami() external payable returns (address) {   // payable: a DELEGATECALL keeps msg.value
        return address(this);
    }
}

contract Child {
    uint256 public v;
    constructor(uint256 v_) payable { v = v_; }
    function kill(address payable to) external { selfdestruct(to); }
}

contract A {
    B public b;
    address public lib;
    event Done(uint256 total);

    constructor(B b_, address lib_) { b = b_; lib = lib_; }

    function run(bool fail, bytes32 salt) external payable returns (uint256) {
        uint256 r = b.ping{value: 2}(fail, 21);                                  // CALL (value 2)
        uint256 s = b.inc(r);                                                    // STATICCALL
        (bool ok, bytes memory who) = lib.delegatecall(abi.encodeWithSignature("whoami()"));  // DELEGATECALL
        require(ok && abi.decode(who, (address)) == address(this), "delegatecall");
        Child c = new Child{salt: salt, value: 1}(s);                            // CREATE2 (value 1)
        c.kill(payable(msg.sender));                                             // CALL -> SELFDESTRUCT
        emit Done(r + s);
        return r + s;
    }

    function broke() external returns (bool ok) {
        (ok, ) = address(b).call{value: address(this).balance + 1}("");        // fails fast: no ether
    }

    function softFail() external returns (bool ok) {
        try b.ping(true, 1) returns (uint256) { ok = true; } catch { ok = false; }
    }
}
`

const b = compile(SOURCE, 'B')
const lib = compile(SOURCE, 'Lib')
const child = compile(SOURCE, 'Child')
const a = compile(SOURCE, 'A')

const CALL_TRACER = { tracer: 'callTracer' }
const GAS = 1_000_000n
const SALT_OK = pad('0x01', { size: 32 })
const SALT_REVERT = pad('0x02', { size: 32 })

type Frame = CallFrameJson

const lower = (s: string) => s.toLowerCase()
const errorData = (reason: string): Hex =>
  `0x08c379a0${encodeAbiParameters([{ type: 'string' }], [reason]).slice(2)}` as Hex

describe('debug_traceTransaction / debug_traceCall (callTracer)', () => {
  let t: TestNode
  let from: Address
  let bAddr: Address
  let libAddr: Address
  let aAddr: Address
  let bDeployHash: Hex
  let okHash: Hex
  let revertHash: Hex

  const send = async (data: Hex, nonce: number, to: Address = aAddr, value = 3n) =>
    t.wallet(0).sendTransaction({ to, data, value, gas: GAS, nonce })

  beforeAll(async () => {
    t = await startTestNode()
    from = lower(accounts[0].address) as Address
    const w = t.wallet(0)
    bDeployHash = await w.deployContract({ abi: b.abi, bytecode: b.bytecode })
    bAddr = (await t.publicClient.waitForTransactionReceipt({ hash: bDeployHash })).contractAddress as Address
    libAddr = (await t.publicClient.waitForTransactionReceipt({ hash: await w.deployContract({ abi: lib.abi, bytecode: lib.bytecode }) })).contractAddress as Address
    const aDeploy = await w.deployContract({ abi: a.abi, bytecode: a.bytecode, args: [bAddr, libAddr] })
    aAddr = (await t.publicClient.waitForTransactionReceipt({ hash: aDeploy })).contractAddress as Address
    // the reverting transaction goes in first with the next nonce, so both are mined in one block
    // once the successful one arrives: the reverted one is then replayed after another transaction
    const nonce = await t.publicClient.getTransactionCount({ address: accounts[0].address })
    revertHash = await send(encodeFunctionData({ abi: a.abi, functionName: 'run', args: [true, SALT_REVERT] }), nonce + 1)
    okHash = await send(encodeFunctionData({ abi: a.abi, functionName: 'run', args: [false, SALT_OK] }), nonce)
    await t.publicClient.waitForTransactionReceipt({ hash: revertHash })
  })
  afterAll(() => t?.close())

  const trace = (hash: Hex, opts: unknown = CALL_TRACER) => t.rpc<Frame>('debug_traceTransaction', [hash, opts])

  it('traces a successful transaction as geth does: nesting, types, from/to, value, gas, output', async () => {
    const receipt = await t.publicClient.getTransactionReceipt({ hash: okHash })
    expect(receipt.status).toBe('success')
    const top = await trace(okHash)

    const input = encodeFunctionData({ abi: a.abi, functionName: 'run', args: [false, SALT_OK] })
    expect(top.type).toBe('CALL')
    expect(top.from).toBe(from)
    expect(top.to).toBe(lower(aAddr))
    expect(top.value).toBe('0x3')
    expect(top.input).toBe(input)
    expect(top.gas).toBe(toHex(GAS))
    expect(top.gasUsed).toBe(toHex(receipt.gasUsed))
    expect(top.error).toBeUndefined()
    expect(top.logs).toBeUndefined() // withLog not asked for

    const [ping, inc, delegate, create2, kill] = top.calls ?? []
    expect(top.calls).toHaveLength(5)
    const result = decodeFunctionResult({ abi: a.abi, functionName: 'run', data: top.output as Hex }) as bigint
    expect(result).toBe(21n + 22n)

    // CALL with value: gas includes the 2300 stipend, output is B's return value
    expect(ping).toMatchObject({ type: 'CALL', from: lower(aAddr), to: lower(bAddr), value: '0x2' })
    expect(ping.input).toBe(encodeFunctionData({ abi: b.abi, functionName: 'ping', args: [false, 21n] }))
    expect(BigInt(ping.output as Hex)).toBe(21n)
    expect(BigInt(ping.gasUsed)).toBeGreaterThan(0n)
    expect(BigInt(ping.gasUsed)).toBeLessThan(BigInt(ping.gas))
    expect(ping.calls).toBeUndefined()

    // STATICCALL: no value field at all
    expect(inc).toMatchObject({ type: 'STATICCALL', from: lower(aAddr), to: lower(bAddr) })
    expect('value' in inc).toBe(false)
    expect(BigInt(inc.output as Hex)).toBe(22n)

    // DELEGATECALL: from is the calling contract, to the code's address, value inherited (geth 1.14+)
    expect(delegate).toMatchObject({ type: 'DELEGATECALL', from: lower(aAddr), to: lower(libAddr), value: '0x3' })
    expect(delegate.output).toBe(pad(lower(aAddr) as Hex, { size: 32 }))

    // CREATE2: to is the salted address, input the init code, output the runtime code
    const initCode = encodeDeployData({ abi: child.abi, bytecode: child.bytecode, args: [22n] })
    const childAddr = lower(getContractAddress({ opcode: 'CREATE2', from: aAddr, salt: SALT_OK, bytecode: initCode }))
    expect(create2).toMatchObject({ type: 'CREATE2', from: lower(aAddr), to: childAddr, value: '0x1', input: initCode, output: child.deployedBytecode })

    // the child's SELFDESTRUCT is a frame of its own under the kill() call
    expect(kill).toMatchObject({ type: 'CALL', from: lower(aAddr), to: childAddr, value: '0x0' })
    expect(kill.output).toBeUndefined() // empty output is omitted, like geth
    expect(kill.calls).toEqual([{ from: childAddr, gas: '0x0', gasUsed: '0x0', to: from, input: '0x', value: '0x1', type: 'SELFDESTRUCT' }])

    // geth's key order and only geth's keys
    expect(Object.keys(top)).toEqual(['from', 'gas', 'gasUsed', 'to', 'input', 'output', 'calls', 'value', 'type'])
    expect(Object.keys(inc)).toEqual(['from', 'gas', 'gasUsed', 'to', 'input', 'output', 'type'])
  })

  it('traces a reverted transaction (replayed after another in the same block) with error and revertReason', async () => {
    const ok = await t.publicClient.getTransactionReceipt({ hash: okHash })
    const receipt = await t.publicClient.getTransactionReceipt({ hash: revertHash })
    expect(receipt.status).toBe('reverted')
    expect(receipt.blockNumber).toBe(ok.blockNumber)
    expect(receipt.transactionIndex).toBe(1)

    const top = await trace(revertHash)
    expect(top.type).toBe('CALL')
    expect(top.gas).toBe(toHex(GAS))
    expect(top.gasUsed).toBe(toHex(receipt.gasUsed))
    expect(top.error).toBe('execution reverted')
    expect(top.revertReason).toBe('B says no')
    expect(top.output).toBe(errorData('B says no'))
    expect(top.calls).toHaveLength(1)
    const [ping] = top.calls ?? []
    expect(ping).toMatchObject({ type: 'CALL', to: lower(bAddr), error: 'execution reverted', revertReason: 'B says no', output: errorData('B says no'), value: '0x2' })
    expect(BigInt(ping.gasUsed)).toBeLessThan(BigInt(ping.gas)) // a revert returns the rest of the gas
  })

  it('withLog: logs with their position among the frame calls; logs of reverted frames are dropped', async () => {
    const top = await trace(okHash, { tracer: 'callTracer', tracerConfig: { withLog: true } })
    const doneTopic = keccak256(new TextEncoder().encode('Done(uint256)'))
    expect(top.logs).toEqual([{ address: lower(aAddr), topics: [doneTopic], data: pad(toHex(43n), { size: 32 }), position: '0x5' }])
    const ping = top.calls?.[0] as Frame
    expect(ping.logs).toHaveLength(1)
    const log = ping.logs?.[0]
    expect(log?.address).toBe(lower(bAddr))
    expect(log?.topics).toEqual([keccak256(new TextEncoder().encode('Ping(address,uint256,string)')), pad(lower(aAddr) as Hex, { size: 32 })])
    expect(log?.data).toBe(encodeAbiParameters([{ type: 'uint256' }, { type: 'string' }], [21n, 'hi']))
    expect(log?.position).toBe('0x0')

    const reverted = await trace(revertHash, { tracer: 'callTracer', tracerConfig: { withLog: true } })
    expect(reverted.logs).toBeUndefined()
    expect(reverted.calls?.[0].logs).toBeUndefined()
  })

  it('onlyTopCall: no calls, only the top frame logs', async () => {
    const receipt = await t.publicClient.getTransactionReceipt({ hash: okHash })
    const top = await trace(okHash, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true, withLog: true } })
    expect(top.calls).toBeUndefined()
    expect(top.gasUsed).toBe(toHex(receipt.gasUsed))
    expect(top.logs).toHaveLength(1)
    expect(top.logs?.[0].position).toBe('0x0')
    expect(top.logs?.[0].address).toBe(lower(aAddr))
  })

  it('traces a contract creation as a top-level CREATE', async () => {
    const receipt = await t.publicClient.getTransactionReceipt({ hash: bDeployHash })
    const top = await trace(bDeployHash)
    expect(top).toMatchObject({ type: 'CREATE', from, to: lower(bAddr), input: b.bytecode, output: b.deployedBytecode, value: '0x0', gasUsed: toHex(receipt.gasUsed) })
  })

  it('debug_traceCall on latest gives the same tree as the mined transaction would', async () => {
    const data = encodeFunctionData({ abi: a.abi, functionName: 'run', args: [false, pad('0x03', { size: 32 })] })
    const top = await t.rpc<Frame>('debug_traceCall', [{ from, to: aAddr, data, value: '0x3', gas: toHex(GAS) }, 'latest', CALL_TRACER])
    expect(top).toMatchObject({ type: 'CALL', from, to: lower(aAddr), gas: toHex(GAS), value: '0x3' })
    expect(top.calls?.map((c) => c.type)).toEqual(['CALL', 'STATICCALL', 'DELEGATECALL', 'CREATE2', 'CALL'])
    // counter was 21 after the mined call; this call adds 21 more
    expect(BigInt(top.calls?.[0].output as Hex)).toBe(42n)
    const estimate = await t.rpc<Hex>('eth_estimateGas', [{ from, to: aAddr, data, value: '0x3' }])
    expect(BigInt(top.gasUsed)).toBeLessThanOrEqual(BigInt(estimate))
    expect(BigInt(top.gasUsed)).toBeGreaterThan(21_000n)
  })

  it('debug_traceCall returns the trace of a reverting call instead of an error', async () => {
    const data = encodeFunctionData({ abi: a.abi, functionName: 'run', args: [true, pad('0x04', { size: 32 })] })
    const top = await t.rpc<Frame>('debug_traceCall', [{ from, to: aAddr, data, value: '0x3' }, 'latest', CALL_TRACER])
    expect(top).toMatchObject({ error: 'execution reverted', revertReason: 'B says no' })
    expect(top.calls?.[0]).toMatchObject({ error: 'execution reverted', revertReason: 'B says no' })
  })

  it('debug_traceCall with state overrides (storage slot and code)', async () => {
    const data = encodeFunctionData({ abi: a.abi, functionName: 'run', args: [false, pad('0x05', { size: 32 })] })
    const call = { from, to: aAddr, data, value: '0x3' }
    const top = await t.rpc<Frame>('debug_traceCall', [call, 'latest', { ...CALL_TRACER, stateOverrides: { [bAddr]: { stateDiff: { [pad('0x0', { size: 32 })]: pad(toHex(100n), { size: 32 }) } } } }])
    expect(BigInt(top.calls?.[0].output as Hex)).toBe(121n)

    // replace the library with code that reverts: the DELEGATECALL frame fails, and A's require with it
    const reverting = '0x60006000fd' // PUSH1 0 PUSH1 0 REVERT
    const broken = await t.rpc<Frame>('debug_traceCall', [call, 'latest', { ...CALL_TRACER, stateOverrides: { [libAddr]: { code: reverting } } }])
    expect(broken.error).toBe('execution reverted')
    expect(broken.revertReason).toBe('delegatecall')
    const delegate = broken.calls?.[2] as Frame
    expect(delegate).toMatchObject({ type: 'DELEGATECALL', to: lower(libAddr), error: 'execution reverted' })
    expect(delegate.output).toBeUndefined() // empty revert data is omitted
  })

  it('debug_traceCall: a call that fails fast for lack of ether is a frame with geth error', async () => {
    const data = encodeFunctionData({ abi: a.abi, functionName: 'broke' })
    const top = await t.rpc<Frame>('debug_traceCall', [{ from, to: aAddr, data }, 'latest', CALL_TRACER])
    expect(top.error).toBeUndefined()
    expect(top.calls).toHaveLength(1)
    expect(top.calls?.[0]).toMatchObject({ type: 'CALL', from: lower(aAddr), to: lower(bAddr), gasUsed: '0x0', input: '0x', value: '0x1', error: 'insufficient balance for transfer' })
  })

  it('debug_traceCall: a caught inner revert keeps the frame error and drops its logs', async () => {
    const data = encodeFunctionData({ abi: a.abi, functionName: 'softFail' })
    const top = await t.rpc<Frame>('debug_traceCall', [{ from, to: aAddr, data }, 'latest', { tracer: 'callTracer', tracerConfig: { withLog: true } }])
    expect(top.error).toBeUndefined()
    expect(top.calls?.[0]).toMatchObject({ type: 'CALL', error: 'execution reverted', revertReason: 'B says no' })
    expect(top.calls?.[0].logs).toBeUndefined()
  })

  it('rejects bad requests with geth-like errors', async () => {
    const hash = okHash
    const unknown = await t.rpcRaw('debug_traceTransaction', [pad('0x1234', { size: 32 }), CALL_TRACER])
    expect(unknown.error).toMatchObject({ code: -32000, message: 'transaction not found' })

    const cases: unknown[][] = [
      [hash], // no tracer: the struct logger is not implemented
      [hash, {}],
      [hash, { tracer: 'prestateTracer' }],
      [hash, { tracer: '{ result: function() {} }' }],
      [hash, { tracer: 42 }],
      [hash, 'callTracer'],
      [hash, { tracer: 'callTracer', tracerConfig: { onlyTopCall: 'yes' } }],
      [hash, { tracer: 'callTracer', tracerConfig: { withLogs: true } }],
      [hash, { tracer: 'callTracer', tracerConfig: [] }],
      [hash, { tracer: 'callTracer', tracerconfig: {} }],
      [hash, { tracer: 'callTracer', timeout: 10 }],
      [hash, { tracer: 'callTracer', stateOverrides: {} }],
      ['0x1234', CALL_TRACER],
    ]
    for (const params of cases) {
      const r = await t.rpcRaw('debug_traceTransaction', params)
      expect(r.error?.code, JSON.stringify(params)).toBe(-32602)
    }
    const noTracer = await t.rpcRaw('debug_traceTransaction', [hash])
    expect(noTracer.error?.message).toMatch(/callTracer/)
    const prestate = await t.rpcRaw('debug_traceTransaction', [hash, { tracer: 'prestateTracer' }])
    expect(prestate.error?.message).toMatch(/prestateTracer.*not supported/)

    // ignored struct-logger options and a valid timeout are fine
    const fine = await t.rpcRaw('debug_traceTransaction', [hash, { tracer: 'callTracer', timeout: '10s', disableStorage: true, tracerConfig: null }])
    expect(fine.error).toBeUndefined()

    const callCases: unknown[][] = [
      [{ to: aAddr }, 'latest'],
      [{ to: aAddr }, 'latest', { tracer: 'callTracer', stateOverrides: { nope: {} } }],
      [{ to: aAddr }, 'latest', { tracer: 'callTracer', blockOverrides: { number: '0x1' } }],
      [{ to: 'nope' }, 'latest', CALL_TRACER],
    ]
    for (const params of callCases) {
      const r = await t.rpcRaw('debug_traceCall', params)
      expect(r.error?.code, JSON.stringify(params)).toBe(-32602)
    }
    const noBlock = await t.rpcRaw('debug_traceCall', [{ to: aAddr }, '0xffffff', CALL_TRACER])
    expect(noBlock.error).toMatchObject({ code: -32000, message: 'header not found' })
  })
})
