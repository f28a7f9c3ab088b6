/**
 * eth_sendRawTransaction on a replica, as op-geth does it: the raw transaction goes to the
 * sequencer, and its answer comes back as it is: the hash, or the sequencer's JSON-RPC error with
 * its code, message and data (so wallets see "nonce too low" exactly as from the sequencer).
 */
import { RpcError, ErrorCode } from '../rpc/errors.ts'

/** The sequencer's HTTP JSON-RPC URL for a URL given as http(s) or ws(s). */
export function httpUrlOf(url: string): string {
  return url.replace(/^ws(s?):\/\//, 'http$1://')
}

/** The sequencer's WebSocket URL (same host and port) for a URL given as http(s) or ws(s). */
export function wsUrlOf(url: string): string {
  return url.replace(/^http(s?):\/\//, 'ws$1://')
}

export class TxForwarder {
  private nextId = 1

  constructor(private readonly opts: { sequencerRpcUrl: string; timeoutMs: number }) {}

  async sendRawTransaction(raw: `0x${string}`): Promise<unknown> {
    let body: { result?: unknown; error?: { code: number; message: string; data?: unknown } }
    try {
      const res = await fetch(httpUrlOf(this.opts.sequencerRpcUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: 'eth_sendRawTransaction', params: [raw] }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      })
      body = (await res.json()) as typeof body
    } catch (err) {
      throw new RpcError(ErrorCode.server, `sequencer unreachable: ${(err as Error).message} (this replica forwards transactions to ${this.opts.sequencerRpcUrl})`)
    }
    if (body.error !== undefined) throw new RpcError(body.error.code, body.error.message, body.error.data)
    return body.result
  }
}
