/**
 * Why a call was refused or stopped by a limit of the call workers. rpc/errors.ts maps each to its
 * JSON-RPC code: the timeout keeps geth's code and wording, the others are -32005 (limit exceeded).
 */

/** The call ran past the deadline (geth's RPCEVMTimeout); its worker was terminated. */
export class CallTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`execution aborted (timeout = ${goDuration(timeoutMs)})`)
  }
}

/** Every worker is busy and the queue is full, or the call waited a whole deadline for a worker. */
export class CallsBusyError extends Error {
  constructor(detail: string) {
    super(`too many concurrent requests: ${detail}; retry later`)
  }
}

/** The calls of one JSON-RPC batch already executed the batch's gas allowance. */
export class BatchGasCapError extends Error {
  constructor(
    readonly executed: bigint,
    readonly cap: bigint,
  ) {
    super(`batch gas cap exceeded: earlier calls of this batch executed ${executed} gas, the cap is ${cap}; send the rest in another request`)
  }
}

/** A duration as Go prints it (geth's messages do): 5s, 1.5s, 250ms, 1m30s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const minutes = Math.floor(ms / 60_000)
  const seconds = (ms % 60_000) / 1000
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`
}
