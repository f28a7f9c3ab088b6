/**
 * The SDK's errors. Every one extends AiRollupError, so `catch (e) { if (e instanceof
 * AiRollupError) … }` tells the SDK's own verdicts from bugs; viem's errors pass through
 * wrapped as `cause`.
 */
import { BaseError, ContractFunctionRevertedError } from 'viem'

export class AiRollupError extends Error {
  override name = 'AiRollupError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** An argument or an input document (proof, deployments file) is malformed; the message names the field. */
export class InvalidArgumentError extends AiRollupError {
  override name = 'InvalidArgumentError'
}

/** The deployments file is missing, not JSON, or has a field that is absent or of the wrong form. */
export class DeploymentsFileError extends InvalidArgumentError {
  override name = 'DeploymentsFileError'
  constructor(
    readonly path: string,
    /** The offending field, when the error is about one. */
    readonly field: string | undefined,
    message: string,
  ) {
    super(`${path}: ${field === undefined ? '' : `field "${field}" `}${message}`)
  }
}

/** An endpoint does not answer, or is another chain than expected. */
export class ConnectionError extends AiRollupError {
  override name = 'ConnectionError'
}

/** The L1 could not be asked (down, wrong chain, no contract at the address). */
export class L1Error extends ConnectionError {
  override name = 'L1Error'
}

/** The anchoring API answered with an error status (`code` is its error code, e.g. `invalid_api_key`). */
export class AnchorApiError extends AiRollupError {
  override name = 'AnchorApiError'
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly body: unknown,
  ) {
    super(message)
  }
}

/** A wait gave up: what was awaited did not happen within the timeout. */
export class WaitTimeoutError extends AiRollupError {
  override name = 'WaitTimeoutError'
}

/** A bridge action could not be done: a revert, a withdrawal not claimable yet, an unknown transaction. */
export class BridgeError extends AiRollupError {
  override name = 'BridgeError'
}

/** The ModelRegistry refused a model; `reason` is the registry's error, e.g. `ModelRejected(input must have a fixed shape)`. */
export class ModelRegistrationError extends AiRollupError {
  override name = 'ModelRegistrationError'
  constructor(
    message: string,
    readonly reason: string,
    readonly modelId: `0x${string}`,
  ) {
    super(message)
  }
}

/**
 * What went wrong talking to an endpoint, in one line: "connection refused (is the L1
 * running?)" or an errno code rather than viem's request dump.
 */
export function errorText(error: unknown): string {
  let cause: unknown = error
  for (let depth = 0; cause !== undefined && cause !== null && depth < 10; depth++) {
    const code = (cause as { code?: unknown }).code
    if (code === 'ECONNREFUSED') return 'connection refused (is the L1 running?)'
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
    cause = (cause as { cause?: unknown }).cause
  }
  if (error instanceof BaseError) return error.details || error.shortMessage
  return error instanceof Error ? error.message : String(error)
}

/** The contract error and its arguments when a call reverted (`ModelRejected(reason)`), else one line of what went wrong. */
export function revertReason(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
    if (revert?.data !== undefined) return `${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(', ')})`
    if (revert !== null) return revert.shortMessage
  }
  return errorText(error)
}
