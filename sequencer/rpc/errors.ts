/**
 * The one place where domain errors become JSON-RPC errors. Codes follow geth and EIP-1474:
 * -32700 parse, -32600 invalid request, -32601 unknown method, -32602 invalid params,
 * -32000 for pool and execution failures (with geth's wording so viem maps them to typed errors),
 * 3 with the revert data for reverts, -32603 for anything unexpected (its details go to the log),
 * -32005 for a limit a client hit (filters, subscriptions, requests in progress, log results),
 * -32003 for an answer over the response size limit (geth's code and words).
 */
import { PoolError } from '../mempool/errors.ts'
import { ExecutionRevertedError, ExecutionFailedError } from '../builder/executor.ts'
import { BatchGasCapError, CallsBusyError, CallTimeoutError } from '../calls/errors.ts'
import { TraceTooLargeError } from './tracers/call-tracer.ts'

export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: unknown
}

export const ErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  server: -32000,
  executionReverted: 3,
  limitExceeded: -32005,
  /** geth's errcodeResponseTooLarge ("response too large"). */
  responseTooLarge: -32003,
  unsupported: -32004,
} as const

/** An error already in JSON-RPC terms (raised by the RPC layer itself). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

export class InvalidParamsError extends RpcError {
  constructor(message: string) {
    super(ErrorCode.invalidParams, message)
  }
}

/** geth's words for an answer over the response size limit (the server's check, or an early one that knows the answer's size in advance). */
export function responseTooLargeError(limit: number): RpcError {
  return new RpcError(ErrorCode.responseTooLarge, `response too large: over the limit of ${limit} bytes; ask for less (a narrower range, fewer calls per batch)`)
}

export function toJsonRpcError(err: unknown, onInternal: (err: unknown) => void): JsonRpcErrorObject {
  if (err instanceof RpcError) return withData(err.code, err.message, err.data)
  if (err instanceof PoolError) return { code: ErrorCode.server, message: err.message }
  if (err instanceof ExecutionRevertedError) return { code: ErrorCode.executionReverted, message: err.message, data: err.data }
  if (err instanceof ExecutionFailedError) return { code: ErrorCode.server, message: err.message }
  if (err instanceof CallTimeoutError) return { code: ErrorCode.server, message: err.message }
  if (err instanceof CallsBusyError || err instanceof BatchGasCapError || err instanceof TraceTooLargeError) return { code: ErrorCode.limitExceeded, message: err.message }
  onInternal(err)
  return { code: ErrorCode.internal, message: 'internal error' }
}

function withData(code: number, message: string, data: unknown): JsonRpcErrorObject {
  return data === undefined ? { code, message } : { code, message, data }
}
