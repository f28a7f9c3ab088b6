/**
 * A dead L1 must be visible: rollup_getBatcherStatus and bridge_getStatus carry the L1's
 * reachability, the time of the last successful L1 call and the failures in a row, and after
 * l1.unreachableWarnAfterMs without the L1 the node warns, once per L1_UNREACHABLE_WARN_EVERY_MS
 * rather than once per retry, and the node's service health reports both services not ok
 * meanwhile, as GET /health ("degraded") and GET /ready (503) say (batcher/l1-loop.ts,
 * sequencer/rpc/health.ts). Against a real Anvil that is stopped, then
 * started again on the same port and state file.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { L1_UNREACHABLE_WARN_EVERY_MS } from '../../batcher/l1-loop.ts'
import { DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS, resolveConfig } from '../../sequencer/config.ts'
import { startAnvil, type RunningAnvil } from '../../scripts/lib/anvil.ts'
import { startTestL1 } from '../helpers/l1.ts'
import { captureLogs } from '../helpers/logs.ts'
import { startTestRollup, until, untilPosted, sendTransfers, type TestRollup } from '../helpers/rollup.ts'

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
  cleanup = []
})

const WARN_AFTER_MS = 1_000

describe('an L1 that goes away', () => {
  it('shows in both statuses at once, is warned about once after unreachableWarnAfterMs (not per retry), and clears when the L1 is back', async () => {
    const l1 = await startTestL1({ statePath: true })
    const logs = captureLogs()
    const r: TestRollup = await startTestRollup({ l1, l1Config: { unreachableWarnAfterMs: WARN_AFTER_MS }, node: { logLevel: 'info', logFormat: 'json' }, hooks: { logDestination: logs.destination } })
    cleanup.push(() => r.close())
    await sendTransfers(r.l2, 1)
    await untilPosted(r.l2)
    // each batch recorded on L1 is a batch_posted line with the batcher metrics' fields (README "Logs")
    const posted = logs.events('batch_posted')
    expect(posted.length).toBeGreaterThan(0)
    expect(posted.map((p) => p.batchIndex)).toEqual(posted.map((_, i) => i))
    for (const p of posted) {
      expect(p).toMatchObject({ level: 'info', name: 'node', l1TxHash: expect.stringMatching(/^0x[0-9a-f]{64}$/), l1FeeWei: expect.stringMatching(/^[1-9]\d*$/) })
      expect(p.lastBlock as number).toBeGreaterThanOrEqual(p.firstBlock as number)
      for (const k of ['txs', 'bytes', 'l1Block', 'l1GasUsed', 'pendingBlocks', 'pendingBytes']) expect(Number.isInteger(p[k]), k).toBe(true)
    }
    expect(posted.reduce((n, p) => n + (p.txs as number), 0)).toBeGreaterThanOrEqual(1)
    expect(posted.at(-1)!.lastBlock).toBe(Number(await r.l2.publicClient.getBlockNumber()))
    const services = { batcher: () => r.l2.rpc('rollup_getBatcherStatus'), bridge: () => r.l2.rpc('bridge_getStatus') }
    for (const get of Object.values(services)) {
      const up = await until(async () => {
        const s = await get()
        return s.l1Reachable === true ? s : undefined
      }, 'the L1 to be seen reachable')
      expect(up.l1ConsecutiveFailures).toBe(0)
      expect(up.l1LastSuccessAt).toBeGreaterThan(Date.now() - 10_000)
    }

    const port = l1.anvil.port
    await l1.anvil.stop()
    // taken once Anvil is gone: a request in flight while it stopped may still have succeeded
    const stoppedAt = Date.now()

    let lastSuccess = 0
    for (const [name, get] of Object.entries(services)) {
      const down = await until(async () => {
        const s = await get()
        return s.l1Reachable === false && s.l1ConsecutiveFailures >= 2 ? s : undefined
      }, `${name} to see the L1 down`)
      expect(down.running).toBe(true)
      expect(down.l1LastSuccessAt).toBeLessThanOrEqual(stoppedAt)
      lastSuccess = Math.max(lastSuccess, down.l1LastSuccessAt)
    }
    const warnings = (name: string) => logs.events('l1_unreachable').filter((l) => l.service === name)
    for (const name of Object.keys(services)) await until(() => warnings(name).length > 0 || undefined, `the ${name}'s warning`, 10_000)
    expect(Date.now() - lastSuccess).toBeGreaterThanOrEqual(WARN_AFTER_MS)
    expect(warnings('batcher')[0]).toMatchObject({ level: 'warn', error: expect.stringMatching(/^L1 request failed: /) })
    expect(warnings('batcher')[0].downForMs).toBeGreaterThanOrEqual(WARN_AFTER_MS)
    expect(warnings('batcher')[0].failures).toBeGreaterThanOrEqual(1)
    expect(warnings('batcher')[0].msg).toMatch(/^batcher: no successful L1 call for \d+ s .*attempts failed \(last: L1 request failed: .*\); no batch is posted .* until the L1 is back: check the L1 endpoint/)
    expect(warnings('bridge')[0].msg).toMatch(/no deposit is read from L1 until the L1 is back/)
    // more retries, still one warning each: the next is due L1_UNREACHABLE_WARN_EVERY_MS later
    const retries = () => logs.events('l1_step_failed').filter((l) => l.service === 'batcher' && l.level === 'error' && l.reachable === false).length
    const before = retries()
    await until(() => retries() >= before + 2 || undefined, 'two more retries', 15_000)
    expect(L1_UNREACHABLE_WARN_EVERY_MS).toBe(60_000)
    expect(warnings('batcher')).toHaveLength(1)
    expect(warnings('bridge')).toHaveLength(1)
    // the node's service health turns not ok for both (the /health endpoint's source)
    const health = r.l2.node.health().filter((h) => h.name === 'batcher' || h.name === 'deposits')
    expect(health.map((h) => h.name).sort()).toEqual(['batcher', 'deposits'])
    for (const h of health) {
      expect(h.ok).toBe(false)
      expect(h.detail).toMatch(/^no successful L1 call for \d+ s: L1 request failed/)
    }
    // ... and over HTTP: /health answers degraded (the process is alive), /ready 503
    const degraded = await fetch(`${r.l2.url}/health`)
    expect(degraded.status).toBe(200)
    const body = (await degraded.json()) as { status: string; services: { name: string; ok: boolean }[] }
    expect(body.status).toBe('degraded')
    expect(body.services.filter((s) => !s.ok).map((s) => s.name).sort()).toEqual(['batcher', 'deposits'])
    expect((await fetch(`${r.l2.url}/ready`)).status).toBe(503)

    const back: RunningAnvil = await startAnvil({ port, statePath: l1.anvil.statePath, silent: true, onWarning: () => undefined })
    cleanup.push(() => back.stop())
    for (const [name, get] of Object.entries(services)) {
      const again = await until(async () => {
        const s = await get()
        return s.l1Reachable === true ? s : undefined
      }, `${name} to see the L1 back`, 60_000)
      expect(again.l1ConsecutiveFailures, `${name}: ${JSON.stringify((again as { lastError?: unknown }).lastError)}`).toBe(0)
      expect(again.l1LastSuccessAt).toBeGreaterThan(stoppedAt)
    }
    expect(r.l2.node.health().filter((h) => h.name === 'batcher' || h.name === 'deposits').every((h) => h.ok)).toBe(true)
    for (const service of ['batcher', 'bridge']) expect(logs.events('l1_reachable').some((l) => l.service === service && (l.failures as number) >= 2), service).toBe(true)
    const ready = await fetch(`${r.l2.url}/ready`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { status: string }).status).toBe('ok')
  }, 120_000)

  it('l1.unreachableWarnAfterMs defaults to a minute and must be a positive integer', () => {
    const l1 = { rpcUrl: 'http://127.0.0.1:8545', deploymentsPath: 'x.json', batcherKey: `0x${'11'.repeat(32)}` as const }
    expect(DEFAULT_L1_UNREACHABLE_WARN_AFTER_MS).toBe(60_000)
    expect(resolveConfig({ l1 }).l1!.unreachableWarnAfterMs).toBe(60_000)
    for (const bad of [0, -1, 1.5]) expect(() => resolveConfig({ l1: { ...l1, unreachableWarnAfterMs: bad } })).toThrow(/l1\.unreachableWarnAfterMs/)
  })
})
