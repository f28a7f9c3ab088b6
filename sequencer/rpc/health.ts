/**
 * Health endpoints for operators and orchestrators, on the node's HTTP port next to JSON-RPC:
 *
 *   GET /health   200 while the process answers; `status` is "ok" when every service is, else
 *                 "degraded", with each service's own line (a dead L1 shows here: the batcher and
 *                 the deposit watcher report it after l1.unreachableWarnAfterMs)
 *   GET /ready    200 when every service is ok, 503 otherwise (take the node out of rotation)
 *
 * Both answer from the services' `health()` (sequencer/service.ts), which costs nothing.
 */
import type { FastifyInstance } from 'fastify'
import type { ServiceHealth } from '../service.ts'

export interface HealthReport {
  status: 'ok' | 'degraded'
  services: ServiceHealth[]
}

export function registerHealthRoutes(app: FastifyInstance, health: () => ServiceHealth[]): void {
  const report = (): HealthReport => {
    const services = health()
    return { status: services.every((s) => s.ok) ? 'ok' : 'degraded', services }
  }
  app.get('/health', async () => report())
  app.get('/ready', async (_req, reply) => {
    const r = report()
    return reply.code(r.status === 'ok' ? 200 : 503).send(r)
  })
}
