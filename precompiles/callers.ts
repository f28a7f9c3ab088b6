/**
 * Who calls the inference precompile. @ethereumjs hands a precompile its calldata and gas, not
 * the message, so the caller is recorded from the EVM's `beforeMessage` event, which fires for
 * every message (top-level and nested) just before it runs: a message to 0x…a1 is followed by the
 * precompile's run with nothing in between, so the last one recorded for an EVM is the current
 * call's. Every VM the node executes transactions or calls in must be created through
 * `trackInferenceCallers` (sequencer/builder/builder.ts, sequencer/builder/executor.ts); the
 * precompile treats a missing record as this node's own fault.
 *
 * The caller is the account whose code made the call, i.e. ADDRESS in the calling frame: the
 * message's `caller` for CALL, STATICCALL and CALLCODE, and its `to` (the delegating contract)
 * for a DELEGATECALL into the precompile. A DELEGATECALL keeps the delegating frame's own caller
 * as `caller`, so using that would let any contract an allowed contract calls borrow its rights.
 */
import { equalsBytes, hexToBytes, type Address } from '@ethereumjs/util'
import type { Message } from '@ethereumjs/evm'
import { INFERENCE_PRECOMPILE } from './addresses.ts'

const precompile = hexToBytes(INFERENCE_PRECOMPILE)
const callers = new WeakMap<object, Address>()

interface EventfulEVM {
  events?: { on(event: 'beforeMessage', listener: (message: Message) => void): unknown }
}

/** Records, for `evm`, the caller of each call to the inference precompile. Call once per EVM. */
export function trackInferenceCallers(evm: EventfulEVM): void {
  if (evm.events === undefined) throw new Error('the EVM emits no events; the inference precompile needs beforeMessage to know its caller')
  // one parameter: @ethereumjs calls such listeners synchronously, without awaiting
  evm.events.on('beforeMessage', (message: Message) => {
    if (message.to === undefined) return // a creation
    const code = message.codeAddress.bytes
    if (code[19] !== precompile[19] || !equalsBytes(code, precompile)) return
    callers.set(evm, message.delegatecall ? message.to : message.caller)
  })
}

/** The caller of the inference precompile call `evm` is running, or undefined if `evm` is not tracked. */
export function inferenceCaller(evm: object): Address | undefined {
  return callers.get(evm)
}
