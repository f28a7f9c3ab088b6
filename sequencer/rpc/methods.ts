/**
 * How a JSON-RPC method is declared: its parameter parsers and its handler, side by side.
 * `method([p.address, p.blockRef], (address, block) => ...)` gets typed, validated arguments;
 * the dispatcher reports a bad one as "invalid argument <i>: <why>" with -32602.
 */
import { InvalidParamsError } from './errors.ts'
import type { Param } from './params.ts'

/** Where a call came from: the WebSocket connection (for eth_subscribe; undefined over HTTP) and the client's identity. */
export interface CallOrigin {
  /** Present while the call is part of a JSON-RPC batch: gas its calls executed so far (capped per batch). */
  batch?: { gasExecuted: bigint }
  /** Who is calling, for per-client caps: 'ws:<n>' for a WebSocket connection, 'http:<remote address>' over HTTP. */
  client?: string
  subscriptions?: {
    subscribe(kind: string, params: unknown[]): string
    unsubscribe(id: string): boolean
  }
}

export interface MethodDef {
  params: Param<unknown>[]
  /** How many leading parameters are required (the rest may be omitted). */
  required: number
  handler: (args: unknown[], origin: CallOrigin) => unknown
}

export type MethodTable = Record<string, MethodDef>

type Parsed<P extends readonly Param<unknown>[]> = { [K in keyof P]: P[K] extends Param<infer T> ? T : never }

export function method<const P extends readonly Param<unknown>[]>(
  params: P,
  handler: (...args: [...Parsed<P>, CallOrigin]) => unknown,
  required: number = params.length,
): MethodDef {
  return { params: params as unknown as Param<unknown>[], required, handler: (args, origin) => handler(...([...args, origin] as unknown as [...Parsed<P>, CallOrigin])) }
}

export function parseArgs(def: MethodDef, raw: unknown): unknown[] {
  if (raw !== undefined && !Array.isArray(raw)) throw new InvalidParamsError('params must be an array (named parameters are not supported)')
  const given = (raw as unknown[] | undefined) ?? []
  if (given.length > def.params.length) throw new InvalidParamsError(`too many arguments, want at most ${def.params.length}`)
  const missing = given.length < def.required ? def.required : -1
  if (missing !== -1) {
    // geth: "missing value for required argument N"
    for (let i = given.length; i < def.required; i++) if (given[i] === undefined) throw new InvalidParamsError(`missing value for required argument ${i}`)
  }
  return def.params.map((p, i) => p(given[i], `invalid argument ${i}`))
}
