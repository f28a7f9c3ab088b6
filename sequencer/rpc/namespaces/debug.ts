/**
 * debug_: geth's transaction tracing with the `callTracer`.
 *
 *   debug_traceTransaction(txHash, { tracer: 'callTracer', tracerConfig?: { onlyTopCall?, withLog? } })
 *   debug_traceCall(callObject, blockRef = 'latest', { tracer: 'callTracer', tracerConfig?, stateOverrides? })
 *
 * Deviations from geth:
 * - Only the callTracer is implemented. Without a `tracer` geth runs its struct (opcode) logger;
 *   this node answers -32602 instead, naming the one supported tracer. Other named tracers
 *   (prestateTracer, 4byteTracer, JS tracers, ...) get the same error.
 * - Unknown option keys are rejected (-32602) rather than silently ignored, so that a misspelt
 *   `tracerConfig` does not quietly produce a different trace. The struct logger's options
 *   (disableStorage, enableMemory, ...) and `reexec` are accepted and ignored, as geth ignores
 *   them for the callTracer; `timeout` is validated (a Go duration such as "10s") but not enforced:
 *   the node's own deadline (calls.timeoutMs, 5 s) applies to every trace.
 * - Limits geth does not have: debug_traceCall's gas is capped at calls.traceGasCap (10M), and a
 *   trace whose JSON would exceed calls.traceMaxBytes (16 MiB) fails with -32005.
 * - debug_traceCall takes no blockOverrides / txIndex (-32602 if given).
 */
import type { StateOverrides } from '../../builder/executor.ts'
import type { StoredBlock } from '../../chain/chain.ts'
import { ErrorCode, InvalidParamsError, RpcError } from '../errors.ts'
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { RpcContext } from '../context.ts'
import type { CallTracerConfig } from '../tracers/call-tracer.ts'

export const SUPPORTED_TRACERS = ['callTracer'] as const

export interface TraceOptions {
  tracer: 'callTracer'
  tracerConfig: CallTracerConfig
  /** debug_traceCall only. */
  stateOverrides?: StateOverrides
}

/** Options of both methods that need no handling for the callTracer (geth ignores them too). */
const IGNORED_OPTIONS = ['disableStorage', 'disableStack', 'enableMemory', 'enableReturnData', 'debug', 'limit', 'reexec', 'timeout']
const CALL_ONLY_OPTIONS = ['stateOverrides', 'blockOverrides', 'txIndex']
const TRACER_CONFIG_KEYS = ['onlyTopCall', 'withLog']
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/

const onlyCallTracer = (where: string, what: string) =>
  new InvalidParamsError(`${where}: ${what}; this node supports only {"tracer":"callTracer"} (the default struct/opcode logger and other tracers are not implemented)`)

/** Parses the trace options object (`forCall`: debug_traceCall's, which may carry stateOverrides). */
export function traceOptions(forCall: boolean): p.Param<TraceOptions> {
  return (v, where) => {
    if (v === undefined || v === null) throw onlyCallTracer(where, 'no tracer given')
    const o = p.object(v, where)
    const known = new Set(['tracer', 'tracerConfig', ...IGNORED_OPTIONS, ...(forCall ? CALL_ONLY_OPTIONS : [])])
    for (const key of Object.keys(o)) {
      if (!known.has(key)) {
        const hint = !forCall && CALL_ONLY_OPTIONS.includes(key) ? ' (only debug_traceCall takes it)' : ''
        throw new InvalidParamsError(`${where}: unknown field ${JSON.stringify(key)}${hint}; known fields: ${[...known].join(', ')}`)
      }
    }
    if (o.tracer === undefined || o.tracer === null) throw onlyCallTracer(where, 'no tracer given')
    if (typeof o.tracer !== 'string') throw new InvalidParamsError(`${where}: field tracer must be a string, got ${JSON.stringify(o.tracer)?.slice(0, 40)}`)
    if (o.tracer !== 'callTracer') throw onlyCallTracer(where, `tracer ${JSON.stringify(o.tracer.length > 40 ? `${o.tracer.slice(0, 40)}...` : o.tracer)} is not supported`)
    if (o.timeout !== undefined && o.timeout !== null && (typeof o.timeout !== 'string' || !GO_DURATION.test(o.timeout))) {
      throw new InvalidParamsError(`${where}: field timeout must be a duration string such as "10s" or "500ms"`)
    }
    if (o.reexec !== undefined && o.reexec !== null && (typeof o.reexec !== 'number' || !Number.isInteger(o.reexec) || o.reexec < 0)) {
      throw new InvalidParamsError(`${where}: field reexec must be a non-negative integer`)
    }
    for (const key of ['blockOverrides', 'txIndex']) {
      if (o[key] !== undefined && o[key] !== null) throw new InvalidParamsError(`${where}: field ${key} is not supported by this node`)
    }
    const tracerConfig: CallTracerConfig = {}
    if (o.tracerConfig !== undefined && o.tracerConfig !== null) {
      const c = p.object(o.tracerConfig, `${where}: field tracerConfig`)
      for (const [key, value] of Object.entries(c)) {
        if (!TRACER_CONFIG_KEYS.includes(key)) throw new InvalidParamsError(`${where}: field tracerConfig: unknown field ${JSON.stringify(key)} for callTracer; known fields: ${TRACER_CONFIG_KEYS.join(', ')}`)
        if (value === null) continue
        tracerConfig[key as keyof CallTracerConfig] = p.bool(value, `${where}: field tracerConfig.${key}`)
      }
    }
    const stateOverrides = forCall && o.stateOverrides !== undefined && o.stateOverrides !== null ? p.stateOverrides(o.stateOverrides, `${where}: field stateOverrides`) : undefined
    return { tracer: 'callTracer', tracerConfig, stateOverrides }
  }
}

export function debugMethods(ctx: RpcContext): MethodTable {
  const { chain, store, calls } = ctx

  /** The block a call is traced on, as eth_call resolves it ('pending' is the latest sealed block). */
  const blockFor = (ref: p.BlockRef): StoredBlock => {
    let b: StoredBlock | undefined
    if (typeof ref === 'object') {
      b = chain.byHash(ref.hash)
      if (b === undefined) throw new RpcError(ErrorCode.server, 'header for hash not found')
      return b
    }
    const n = ref === 'latest' || ref === 'pending' ? chain.headNumber : ref === 'earliest' ? 0 : ref === 'safe' || ref === 'finalized' ? chain.headOf(ref) : ref
    b = chain.byNumber(n)
    if (b === undefined) throw new RpcError(ErrorCode.server, 'header not found')
    return b
  }

  return {
    // both run on a call worker (sequencer/calls/worker.ts), which owns the tracer
    debug_traceTransaction: method([p.hash32, traceOptions(false)], async (hash, opts, origin) => {
      const row = store.getTx(hash)
      const block = row === undefined ? undefined : chain.byNumber(row.blockNumber)
      if (row === undefined || block === undefined) throw new RpcError(ErrorCode.server, 'transaction not found')
      return calls.traceTransaction(block, row.txIndex, opts.tracerConfig, origin.batch)
    }, 1),

    debug_traceCall: method([p.callRequest, p.withDefault(p.blockRef, 'latest'), traceOptions(true)], async (req, ref, opts, origin) => {
      return calls.traceCall(req, blockFor(ref), opts.stateOverrides, opts.tracerConfig, origin.batch)
    }, 1),
  }
}
