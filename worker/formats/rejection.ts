/**
 * The output bytes of a rejected request, for nodes to commit to and reveal like any answer (a
 * proposal for the worker and the coordinator: docs/OFFCHAIN_INFERENCE.md "Formats", "Rejected
 * requests"). A rejection is a deterministic function of the request, so every honest node computes
 * the same bytes and a majority forms; without an agreed answer, honest nodes could only stay
 * silent and be slashed, and a requester could make them so at no cost (a failed request is refunded).
 *
 * Bytes: `abi.encodeWithSignature("InferenceRejected(string)", code)`, e.g. `INVALID_UTF8`. They
 * cannot be mistaken for an output: an `int256[]` output starts with 31 zero bytes (the offset
 * 0x20), which this selector does not, and a `text/greedy-ascii:N` output has no zero byte, which
 * an ABI string encoding always has.
 */
import { bytesToHex, decodeErrorResult, encodeErrorResult, hexToBytes, toFunctionSelector } from 'viem'
import { FormatError, type FormatErrorCode } from './errors.ts'

const REJECTION_ABI = [{ type: 'error', name: 'InferenceRejected', inputs: [{ name: 'code', type: 'string' }] }] as const

export const REJECTION_SIGNATURE = 'InferenceRejected(string)'
export const REJECTION_SELECTOR = toFunctionSelector(REJECTION_SIGNATURE)

/** The output bytes that stand for a rejected request. */
export function rejectionOutput(error: FormatError | FormatErrorCode): Uint8Array {
  const code = typeof error === 'string' ? error : error.code
  return hexToBytes(encodeErrorResult({ abi: REJECTION_ABI, errorName: 'InferenceRejected', args: [code] }))
}

/** The code of a rejection output, or undefined when the bytes are not one. */
export function decodeRejection(output: Uint8Array): string | undefined {
  if (output.length < 4 || bytesToHex(output.subarray(0, 4)) !== REJECTION_SELECTOR) return undefined
  try {
    const decoded = decodeErrorResult({ abi: REJECTION_ABI, data: bytesToHex(output) })
    return decoded.args[0]
  } catch {
    return undefined
  }
}
