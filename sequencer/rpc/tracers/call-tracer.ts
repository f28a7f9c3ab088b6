/**
 * geth's `callTracer` on @ethereumjs/evm: the tree of call frames of one transaction, in the JSON
 * shape geth's native tracer prints (eth/tracers/native/call.go, geth 1.14+).
 *
 * It listens to the VM's `beforeTx` / `afterTx` and the EVM's `beforeMessage` / `afterMessage` /
 * `step` events (attach with `tracer.hook` as the executor's VMHook, before the transaction runs):
 * - one frame per message (call, create, precompile call); the kind of call comes from the opcode
 *   the parent executed last (its `step`), since a message alone cannot tell a STATICCALL from a
 *   CALL made inside a static context;
 * - SELFDESTRUCT frames and LOGn logs come from `step` (ethereumjs has no event for them);
 * - calls that ethereumjs aborts before creating a message (insufficient balance for the value,
 *   call depth 1024) get the failed frame geth reports for them;
 * - the top frame's `gas` is the transaction's gas limit and its `gasUsed` the receipt's gasUsed
 *   (after refunds), as geth sets them in OnTxStart / OnTxEnd.
 */
import type { EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import type { RunTxResult, VM } from '@ethereumjs/vm'
import { decodeAbiParameters, type Hex } from 'viem'

export interface CallTracerConfig {
  /** Only the top frame: no `calls`, and only the top frame's own logs. */
  onlyTopCall?: boolean
  /** Collect the logs each frame emitted (`logs`, with their `position` among the frame's calls). */
  withLog?: boolean
}

/** A trace grew past its byte budget: the tracer stopped recording and the trace is refused. */
export class TraceTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`trace result exceeds the limit of ${maxBytes} bytes; trace less (tracerConfig.onlyTopCall, a smaller call or less gas)`)
  }
}

export interface CallTracerLimits {
  /** Largest result, in bytes of JSON (estimated as frames are recorded); past it `result()` throws TraceTooLargeError. */
  maxBytes?: number
}

export type CallType = 'CALL' | 'STATICCALL' | 'DELEGATECALL' | 'CALLCODE' | 'CREATE' | 'CREATE2' | 'SELFDESTRUCT'

export interface CallLogJson {
  address: string
  topics: string[]
  data: string
  /** How many of the frame's calls came before this log. */
  position: string
}

/** One frame as geth prints it: absent fields are absent, not null. */
export interface CallFrameJson {
  from: string
  gas: string
  gasUsed: string
  to?: string
  input: string
  output?: string
  error?: string
  revertReason?: string
  calls?: CallFrameJson[]
  logs?: CallLogJson[]
  value?: string
  type: CallType
}

interface Log {
  address: string
  topics: string[]
  data: Uint8Array
  position: number
}

interface Frame {
  type: CallType
  from: string
  to?: string
  input: Uint8Array
  gas: bigint
  gasUsed: bigint
  value?: bigint
  output?: Uint8Array
  error?: string
  revertReason?: string
  calls: Frame[]
  logs: Log[]
  // bookkeeping while the frame runs
  message?: Message
  /** The last step this frame executed (for the kind of the next child, and error details). */
  lastStep?: { op: number; pc: number; stackLen: number }
  /** A CALL/CREATE-family opcode ran and no message for it has started yet. */
  pendingCall?: PendingCall
  /** SELFDESTRUCT was the last opcode: becomes a frame if this frame ends without an error. */
  pendingSelfdestruct?: { beneficiary: string; balance: bigint }
}

/** What a failed-fast call looked like, for the frame geth reports for it. */
interface PendingCall {
  type: CallType
  from: string
  to?: string
  input: Uint8Array
  gas: bigint
  value?: bigint
  /** geth's error, if ethereumjs would abort this call without a message; undefined if it won't. */
  failFast?: string
}

const CALL_TYPES: Record<number, CallType> = {
  0xf0: 'CREATE',
  0xf1: 'CALL',
  0xf2: 'CALLCODE',
  0xf4: 'DELEGATECALL',
  0xf5: 'CREATE2',
  0xfa: 'STATICCALL',
}
const OP_SELFDESTRUCT = 0xff
const OP_LOG0 = 0xa0
const OP_LOG4 = 0xa4
const CALL_STIPEND = 2300n
const MAX_CALL_DEPTH = 1024
const MAX_NONCE = 2n ** 64n - 1n
/** Larger LOG / call input reads are bound to run out of gas (memory cost), so they are not copied. */
const MAX_TRACED_READ = 1 << 24

/** JSON bytes of a frame besides its input and output (field names, addresses, quantities). */
const FRAME_JSON_BYTES = 256
/** JSON bytes of a log besides its topics and data. */
const LOG_JSON_BYTES = 128

const ADDRESS_MASK = (1n << 160n) - 1n
const addressFromWord = (w: bigint): string => `0x${(w & ADDRESS_MASK).toString(16).padStart(40, '0')}`
const word32 = (w: bigint): string => `0x${w.toString(16).padStart(64, '0')}`
const quantity = (n: bigint): string => `0x${n.toString(16)}`

export class CallTracer {
  private readonly onlyTopCall: boolean
  private readonly withLog: boolean
  private readonly stack: Frame[] = []
  private top?: Frame
  private txGasLimit?: bigint
  private txGasUsed?: bigint
  private readonly maxBytes: number
  /** Estimated JSON bytes recorded so far. */
  private bytes = 0
  /** Past the budget: nothing more is copied or kept, so memory stays bounded while the run ends. */
  private overBudget = false

  constructor(config: CallTracerConfig = {}, limits: CallTracerLimits = {}) {
    this.onlyTopCall = config.onlyTopCall === true
    this.withLog = config.withLog === true
    this.maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY
  }

  /** True if the trace outgrew its byte budget (result() will throw). */
  get tooLarge(): boolean {
    return this.overBudget
  }

  /** Counts `n` more bytes of result; false once past the budget. */
  private charge(n: number): boolean {
    if (this.overBudget) return false
    this.bytes += n
    if (this.bytes > this.maxBytes) this.overBudget = true
    return !this.overBudget
  }

  /** Subscribes to `vm` (use as the executor's VMHook; attach before the traced transaction runs). */
  readonly hook = (vm: VM): void => {
    vm.events.on('beforeTx', (tx: TypedTransaction) => {
      this.txGasLimit = tx.gasLimit
    })
    vm.events.on('afterTx', (r: RunTxResult) => {
      this.txGasUsed = r.totalGasSpent
    })
    const evm = vm.evm
    if (evm.events === undefined) throw new Error('the EVM emits no events; tracing needs @ethereumjs/evm events')
    evm.events.on('beforeMessage', (m: Message) => this.enter(m))
    evm.events.on('afterMessage', (r: EVMResult) => this.exit(r))
    evm.events.on('step', (s: InterpreterStep) => this.step(s))
  }

  /** True once a transaction ran to completion under the tracer (reverted or not). */
  get done(): boolean {
    return this.top !== undefined && this.txGasUsed !== undefined
  }

  /** The trace in geth's JSON shape; only valid once `done`. */
  result(): CallFrameJson {
    if (this.overBudget) throw new TraceTooLargeError(this.maxBytes)
    if (this.top === undefined) throw new Error('no transaction was traced')
    const top = this.top
    if (this.txGasLimit !== undefined) top.gas = this.txGasLimit
    if (this.txGasUsed !== undefined) top.gasUsed = this.txGasUsed
    if (this.withLog) clearFailedLogs(top, false)
    return toJson(top)
  }

  // ---- events ----

  private enter(m: Message): void {
    const parent = this.stack[this.stack.length - 1]
    // only frames the result keeps count (onlyTopCall keeps the top one)
    const keep = parent !== undefined && this.onlyTopCall ? false : this.charge(FRAME_JSON_BYTES + 2 * m.data.length)
    let frame: Frame
    if (parent === undefined) {
      frame = {
        type: m.to === undefined ? 'CREATE' : 'CALL',
        from: m.caller.toString(),
        to: m.to?.toString(),
        input: keep ? m.data.slice() : new Uint8Array(), // ethereumjs passes a view of the caller's memory
        gas: m.gasLimit,
        gasUsed: 0n,
        value: m.value,
        calls: [],
        logs: [],
      }
    } else {
      const type = parent.pendingCall?.type ?? guessType(m)
      parent.pendingCall = undefined
      const context = m.to?.toString()
      frame = {
        type,
        // DELEGATECALL / CALLCODE: geth's `from` is the contract making the call (the context), `to` the code's address
        from: type === 'DELEGATECALL' || type === 'CALLCODE' ? (context as string) : m.caller.toString(),
        to: type === 'DELEGATECALL' || type === 'CALLCODE' ? m.codeAddress.toString() : context,
        input: keep ? m.data.slice() : new Uint8Array(), // ethereumjs passes a view of the caller's memory
        gas: m.gasLimit,
        gasUsed: 0n,
        // STATICCALL carries no value; DELEGATECALL reports the value it inherits (geth 1.14+)
        value: type === 'STATICCALL' ? undefined : m.value,
        calls: [],
        logs: [],
      }
    }
    frame.message = m
    this.stack.push(frame)
  }

  private exit(r: EVMResult): void {
    const frame = this.stack.pop()
    if (frame === undefined) return
    const exec = r.execResult
    const err = exec.exceptionError
    // a call opcode that was the frame's last: if the frame failed, that opcode itself failed (no frame in geth)
    if (err === undefined) this.flushPendingCall(frame)
    frame.pendingCall = undefined
    frame.gasUsed = exec.executionGasUsed
    if (frame.type === 'CREATE' || frame.type === 'CREATE2') frame.to = (r.createdAddress ?? frame.message?.to)?.toString()
    const keepOutput = this.stack.length > 0 && this.onlyTopCall ? false : this.charge(2 * exec.returnValue.length)
    if (err === undefined) {
      frame.output = keepOutput ? exec.returnValue.slice() : new Uint8Array()
      if (frame.pendingSelfdestruct !== undefined) {
        const sd = frame.pendingSelfdestruct
        this.addChild(frame, { type: 'SELFDESTRUCT', from: frame.message?.to?.toString() ?? frame.from, to: sd.beneficiary, input: new Uint8Array(), gas: 0n, gasUsed: 0n, value: sd.balance, calls: [], logs: [] })
      }
    } else {
      frame.error = gethError(err.error, frame)
      if (frame.type === 'CREATE' || frame.type === 'CREATE2') frame.to = undefined
      if (err.error === 'revert' && exec.returnValue.length > 0 && keepOutput) {
        frame.output = exec.returnValue.slice()
        frame.revertReason = unpackRevert(exec.returnValue)
      }
    }
    frame.message = undefined
    frame.lastStep = undefined
    frame.pendingSelfdestruct = undefined
    const parent = this.stack[this.stack.length - 1]
    if (parent === undefined) this.top = frame
    else this.addChild(parent, frame)
  }

  private step(s: InterpreterStep): void {
    const frame = this.stack[this.stack.length - 1]
    if (frame === undefined) return
    this.flushPendingCall(frame)
    const op = s.opcode.code
    frame.lastStep = { op, pc: s.pc, stackLen: s.stack.length }
    const callType = CALL_TYPES[op]
    if (callType !== undefined) {
      frame.pendingCall = pendingCallOf(callType, s, this.stack.length - 1)
    } else if (op >= OP_LOG0 && op <= OP_LOG4) {
      if (this.withLog && (!this.onlyTopCall || this.stack.length === 1)) this.recordLog(frame, s, op - OP_LOG0)
    } else if (op === OP_SELFDESTRUCT) {
      const st = s.stack
      if (st.length >= 1) frame.pendingSelfdestruct = { beneficiary: addressFromWord(st[st.length - 1]), balance: s.account.balance }
    }
  }

  // ---- helpers ----

  /** A call-family opcode ran and was followed by something other than its message: ethereumjs aborted it. */
  private flushPendingCall(frame: Frame): void {
    const p = frame.pendingCall
    if (p === undefined) return
    frame.pendingCall = undefined
    if (p.failFast === undefined) return
    if (this.onlyTopCall || !this.charge(FRAME_JSON_BYTES + 2 * p.input.length)) return
    this.addChild(frame, { type: p.type, from: p.from, to: p.type === 'CREATE' || p.type === 'CREATE2' ? undefined : p.to, input: p.input, gas: p.gas, gasUsed: 0n, value: p.value, error: p.failFast, calls: [], logs: [] })
  }

  private addChild(parent: Frame, child: Frame): void {
    if (!this.onlyTopCall && !this.overBudget) parent.calls.push(child)
  }

  private recordLog(frame: Frame, s: InterpreterStep, topicCount: number): void {
    const st = s.stack
    if (st.length < 2 + topicCount) return // stack underflow: the frame fails, its logs are dropped anyway
    const offset = st[st.length - 1]
    const size = st[st.length - 2]
    if (!this.charge(LOG_JSON_BYTES + 66 * topicCount + 2 * Number(size > BigInt(MAX_TRACED_READ) ? 0n : size))) return
    const topics: string[] = []
    for (let i = 0; i < topicCount; i++) topics.push(word32(st[st.length - 3 - i]))
    frame.logs.push({ address: s.address.toString(), topics, data: readMemory(s.memory, offset, size), position: frame.calls.length })
  }
}

/** The CALL/CREATE a step is about to run, as geth would frame it. */
function pendingCallOf(type: CallType, s: InterpreterStep, depth: number): PendingCall | undefined {
  const st = s.stack
  const at = (i: number) => st[st.length - 1 - i]
  const self = s.address.toString()
  // the gas a child gets: all but 1/64 of what is left after the opcode's own cost (EIP-150)
  const avail = s.gasLeft - (s.opcode.dynamicFee ?? BigInt(s.opcode.fee))
  const allButOne64th = avail > 0n ? avail - avail / 64n : 0n
  const tooDeep = depth >= MAX_CALL_DEPTH
  if (type === 'CREATE' || type === 'CREATE2') {
    if (st.length < (type === 'CREATE' ? 3 : 4)) return undefined
    const value = at(0)
    const input = readMemory(s.memory, at(1), at(2))
    const failFast = tooDeep ? 'max call depth exceeded' : s.account.balance < value ? 'insufficient balance for transfer' : s.account.nonce >= MAX_NONCE ? 'nonce uint64 overflow' : undefined
    return { type, from: self, input, gas: allButOne64th, value, failFast }
  }
  const withValue = type === 'CALL' || type === 'CALLCODE'
  if (st.length < (withValue ? 7 : 6)) return undefined
  const gasArg = at(0)
  const to = addressFromWord(at(1))
  const value = withValue ? at(2) : type === 'DELEGATECALL' ? undefined : 0n
  const inOffset = at(withValue ? 3 : 2)
  const inSize = at(withValue ? 4 : 3)
  let gas = gasArg < allButOne64th ? gasArg : allButOne64th
  if (withValue && value !== undefined && value > 0n) gas += CALL_STIPEND
  let failFast: string | undefined
  if (tooDeep) failFast = 'max call depth exceeded'
  else if (withValue && value !== undefined && s.account.balance < value) failFast = 'insufficient balance for transfer'
  if (failFast === undefined) return { type, from: self, to, input: new Uint8Array(), gas } // no copy needed: a message follows
  return { type, from: self, to, input: readMemory(s.memory, inOffset, inSize), gas, value: type === 'STATICCALL' ? undefined : value, failFast }
}

/** Falls back on the message's own flags (only if no step preceded it, which ethereumjs always emits). */
function guessType(m: Message): CallType {
  if (m.to === undefined) return m.salt !== undefined ? 'CREATE2' : 'CREATE'
  if (m.delegatecall) return 'DELEGATECALL'
  if (m._codeAddress !== undefined && !m._codeAddress.equals(m.to)) return 'CALLCODE'
  return m.isStatic ? 'STATICCALL' : 'CALL'
}

/** Memory bytes [offset, offset+size), zero-padded past the memory's current end (as expansion would). */
function readMemory(memory: Uint8Array, offset: bigint, size: bigint): Uint8Array {
  if (size === 0n) return new Uint8Array()
  if (size > BigInt(MAX_TRACED_READ) || offset > BigInt(Number.MAX_SAFE_INTEGER)) return new Uint8Array()
  const out = new Uint8Array(Number(size))
  const start = Number(offset)
  if (start < memory.length) out.set(memory.subarray(start, Math.min(memory.length, start + out.length)))
  return out
}

/** ethereumjs's exception messages in geth's words (core/vm/errors.go). */
export function gethError(error: string, frame?: Frame): string {
  switch (error) {
    case 'revert':
      return 'execution reverted'
    case 'out of gas':
      return 'out of gas'
    case 'code store out of gas':
      return 'contract creation code storage out of gas'
    case 'code size to deposit exceeds maximum code size':
      return 'max code size exceeded'
    case 'invalid bytecode deployed':
      return 'invalid code: must not begin with 0xef'
    case 'initcode exceeds max initcode size':
      return 'max initcode size exceeded'
    case 'invalid JUMP':
      return 'invalid jump destination'
    case 'static state change':
      return 'write protection'
    case 'create collision':
      return 'contract address collision'
    case 'insufficient balance':
      return 'insufficient balance for transfer'
    case 'value out of range':
      return 'return data out of bounds'
    case 'stack overflow':
      // geth: "stack limit reached <len> (<max len for the op>)"; every op that can overflow pushes one net, so 1023
      return `stack limit reached ${frame?.lastStep?.stackLen ?? 1024} (1023)`
    case 'stack underflow':
      return frame?.lastStep !== undefined ? `stack underflow (${frame.lastStep.stackLen} <=> ${STACK_INPUTS(frame.lastStep.op) ?? '?'})` : 'stack underflow'
    case 'invalid opcode':
      return `invalid opcode: ${invalidOpcodeName(frame)}`
    default:
      return error
  }
}

/** The opcode at the failing pc, named as geth's OpCode.String() does for undefined opcodes. */
function invalidOpcodeName(frame?: Frame): string {
  const code = frame?.message?.code
  const pc = frame?.lastStep?.pc
  const op = code instanceof Uint8Array && pc !== undefined ? code[pc] : undefined
  if (op === undefined || op === 0xfe) return 'INVALID'
  return `opcode 0x${op.toString(16)} not defined`
}

/** Stack inputs of the opcodes that can underflow, enough for geth's "stack underflow (have <=> want)". */
function STACK_INPUTS(op: number): number | undefined {
  if (op >= 0x80 && op <= 0x8f) return op - 0x80 + 1 // DUPn
  if (op >= 0x90 && op <= 0x9f) return op - 0x90 + 2 // SWAPn
  if (op >= 0xa0 && op <= 0xa4) return op - 0xa0 + 2 // LOGn
  return OP_INPUTS[op]
}

const OP_INPUTS: Record<number, number> = {
  0x01: 2, 0x02: 2, 0x03: 2, 0x04: 2, 0x05: 2, 0x06: 2, 0x07: 2, 0x08: 3, 0x09: 3, 0x0a: 2, 0x0b: 2,
  0x10: 2, 0x11: 2, 0x12: 2, 0x13: 2, 0x14: 2, 0x15: 1, 0x16: 2, 0x17: 2, 0x18: 2, 0x19: 1, 0x1a: 2, 0x1b: 2, 0x1c: 2, 0x1d: 2, 0x1e: 1,
  0x20: 2, 0x31: 1, 0x35: 1, 0x37: 3, 0x39: 3, 0x3b: 1, 0x3c: 4, 0x3e: 3, 0x3f: 1, 0x40: 1, 0x49: 1,
  0x50: 1, 0x51: 1, 0x52: 2, 0x53: 2, 0x54: 1, 0x55: 2, 0x56: 1, 0x57: 2, 0x5c: 1, 0x5d: 2, 0x5e: 3,
  0xf0: 3, 0xf1: 7, 0xf2: 7, 0xf3: 2, 0xf4: 6, 0xf5: 4, 0xfa: 6, 0xfd: 2, 0xff: 1,
}

/** geth's abi.UnpackRevert: Error(string) gives its message, Panic(uint256) its description. */
export function unpackRevert(data: Uint8Array): string | undefined {
  if (data.length < 4) return undefined
  const selector = bytesToHex(data.subarray(0, 4))
  const rest = bytesToHex(data.subarray(4)) as Hex
  try {
    if (selector === '0x08c379a0') return decodeAbiParameters([{ type: 'string' }], rest)[0]
    if (selector === '0x4e487b71') {
      const code = decodeAbiParameters([{ type: 'uint256' }], rest)[0]
      return PANIC_REASONS[code.toString()] ?? `unknown panic code: 0x${code.toString(16)}`
    }
  } catch {
    return undefined
  }
  return undefined
}

const PANIC_REASONS: Record<string, string> = {
  '0': 'generic panic',
  '1': 'assert(false)',
  '17': 'arithmetic underflow or overflow',
  '18': 'division or modulo by zero',
  '33': 'enum overflow',
  '34': 'invalid encoded storage byte array accessed',
  '49': 'out-of-bounds array access; popping on an empty array',
  '50': 'out-of-bounds access of an array or bytesN',
  '65': 'out of memory',
  '81': 'uninitialized function',
}

/** geth drops the logs of failed frames and of everything under them (they were reverted). */
function clearFailedLogs(f: Frame, parentFailed: boolean): void {
  const failed = parentFailed || f.error !== undefined
  if (failed) f.logs = []
  for (const c of f.calls) clearFailedLogs(c, failed)
}

/** The frame with geth's field order and omissions (omitempty on to, output, error, revertReason, calls, logs, value). */
function toJson(f: Frame): CallFrameJson {
  // geth's key order: from, gas, gasUsed, to, input, output, error, revertReason, calls, logs, value, type
  const o: Record<string, unknown> = { from: f.from.toLowerCase(), gas: quantity(f.gas), gasUsed: quantity(f.gasUsed) }
  if (f.to !== undefined) o.to = f.to.toLowerCase()
  o.input = bytesToHex(f.input)
  if (f.output !== undefined && f.output.length > 0) o.output = bytesToHex(f.output)
  if (f.error !== undefined) o.error = f.error
  if (f.revertReason !== undefined && f.revertReason !== '') o.revertReason = f.revertReason
  if (f.calls.length > 0) o.calls = f.calls.map(toJson)
  if (f.logs.length > 0) o.logs = f.logs.map((l) => ({ address: l.address.toLowerCase(), topics: l.topics, data: bytesToHex(l.data), position: quantity(BigInt(l.position)) }))
  if (f.value !== undefined) o.value = quantity(f.value)
  o.type = f.type
  return o as unknown as CallFrameJson
}
