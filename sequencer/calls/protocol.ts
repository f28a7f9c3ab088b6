/**
 * Messages between the node (pool.ts) and its call workers (worker.ts). Everything crosses by
 * structured clone: bigints, Uint8Arrays and Maps survive, class instances (Address, errors) do
 * not, so addresses travel as bytes and errors as tagged objects.
 */
import { Address } from '@ethereumjs/util'
import type { Hex } from 'viem'
import type { CallRequest, StateOverrides } from '../builder/executor.ts'
import type { CallTracerConfig } from '../rpc/tracers/call-tracer.ts'

/** What a worker needs to open the node's data read-only and execute like the node. */
export interface WorkerInit {
  /** The node's sqlite file (opened read-only; WAL lets it read while the node writes). */
  dbPath: string
  chainId: bigint
  /** eth_call / eth_estimateGas / eth_createAccessList gas cap, in gas. */
  gasCap: bigint
  /** debug_traceCall gas cap, in gas. */
  traceGasCap: bigint
  /** Largest trace result, in bytes of JSON. */
  traceMaxBytes: number
  maxModelBytes: number
  maxLoadedModels: number
}

export type WireCallRequest = Omit<CallRequest, 'from' | 'to'> & { from?: Uint8Array; to?: Uint8Array }

export type CallJob =
  | { kind: 'call'; block: number; req: WireCallRequest; overrides?: StateOverrides }
  | { kind: 'estimateGas'; block: number; req: WireCallRequest; overrides?: StateOverrides }
  | { kind: 'createAccessList'; block: number; req: WireCallRequest }
  | { kind: 'traceCall'; block: number; req: WireCallRequest; overrides?: StateOverrides; tracerConfig: CallTracerConfig }
  | { kind: 'traceTransaction'; block: number; txIndex: number; tracerConfig: CallTracerConfig }

export interface JobMessage {
  id: number
  job: CallJob
}

export type WireError =
  | { kind: 'reverted'; message: string; data: Hex }
  | { kind: 'failed'; message: string }
  | { kind: 'traceTooLarge'; maxBytes: number }
  | { kind: 'notFound'; message: string }
  | { kind: 'internal'; message: string }

export type ReplyMessage =
  | { type: 'ready' }
  | ({ type: 'reply'; id: number; /** gas executed by the job's runs */ gas: bigint; /** ONNX runs the job made */ inferenceRuns: number } & (
      | { ok: true; value: unknown }
      | { ok: false; error: WireError }
    ))

export function toWire(req: CallRequest): WireCallRequest {
  return { ...req, from: req.from?.bytes, to: req.to?.bytes }
}

export function fromWire(req: WireCallRequest): CallRequest {
  return { ...req, from: req.from === undefined ? undefined : new Address(req.from), to: req.to === undefined ? undefined : new Address(req.to) }
}
