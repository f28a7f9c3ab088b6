/**
 * The JSON-RPC server as a node service (sequencer/service.ts): built by `buildRpcServer` from its
 * options, listening from `start()`, closed by `stop()` (safe also when it never listened).
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'

export class RpcService {
  readonly name = 'rpc'
  private port: number | undefined

  constructor(
    private readonly app: FastifyInstance,
    private readonly listen: { host: string; port: number },
  ) {}

  async start(): Promise<void> {
    await this.app.listen({ host: this.listen.host, port: this.listen.port })
    this.port = (this.app.server.address() as AddressInfo).port
  }

  stop(): Promise<void> {
    return this.app.close()
  }

  /** http://host:port once listening. */
  get url(): string {
    return `http://${this.hostPort()}`
  }

  /** ws://host:port once listening. */
  get wsUrl(): string {
    return `ws://${this.hostPort()}`
  }

  health(): { name: string; ok: boolean; detail: string } {
    const ok = this.app.server.listening
    return { name: this.name, ok, detail: ok ? this.url : 'not listening' }
  }

  private hostPort(): string {
    if (this.port === undefined) throw new Error('the RPC server is not listening')
    const host = this.listen.host.includes(':') ? `[${this.listen.host}]` : this.listen.host
    return `${host}:${this.port}`
  }
}
