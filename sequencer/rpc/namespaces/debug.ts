import { RpcError, ErrorCode } from '../errors.ts'
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { RpcContext } from '../context.ts'

/** debug_: callTracer tracing (being written). */
export function debugMethods(_ctx: RpcContext): MethodTable {
  const notYet = () => {
    throw new RpcError(ErrorCode.methodNotFound, 'debug tracing is not available yet')
  }
  return {
    debug_traceTransaction: method([p.hash32, p.optional((v) => v)], notYet, 1),
    debug_traceCall: method([p.callRequest, p.optional(p.blockRef), p.optional((v) => v)], notYet, 1),
  }
}
