/**
 * L1Loop's scheduling (batcher/l1-loop.ts): a step that expects something before the regular
 * poll (a batch coming of age, a transaction just sent) asks for the next step sooner with
 * wakeIn; otherwise the next step waits pollIntervalMs. Fake timers: no wall-clock waits.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { L1Loop } from '../../batcher/l1-loop.ts'

afterEach(() => vi.useRealTimers())

const silent = { debug() {}, info() {}, warn() {}, error() {} }

function loop(step: (l: L1Loop, n: number) => void): { l: L1Loop; steps: number[] } {
  const steps: number[] = []
  const l: L1Loop = new L1Loop({
    name: 'test',
    pollIntervalMs: 10_000,
    log: silent,
    step: async () => {
      steps.push(Date.now())
      step(l, steps.length)
    },
    onCritical: () => {},
    unreachableWarnAfterMs: 60_000,
    whileDown: 'nothing',
  })
  return { l, steps }
}

describe('L1Loop scheduling', () => {
  it('runs the next step wakeIn ms after a step that asked, the smallest of several asks, and pollIntervalMs otherwise', async () => {
    vi.useFakeTimers({ now: 0 })
    const { l, steps } = loop((l, n) => {
      if (n === 1) {
        l.wakeIn(700)
        l.wakeIn(200) // the sooner wins
        l.wakeIn(900)
      }
    })
    l.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(steps).toEqual([0])
    await vi.advanceTimersByTimeAsync(199)
    expect(steps).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(steps).toEqual([0, 200])
    // the second step asked nothing: the regular poll, and the ask of step 1 is forgotten
    await vi.advanceTimersByTimeAsync(9_999)
    expect(steps).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(steps).toEqual([0, 200, 10_200])
    await l.stop()
  })

  it('never waits longer than pollIntervalMs, whatever a step asks', async () => {
    vi.useFakeTimers({ now: 0 })
    const { l, steps } = loop((l) => l.wakeIn(60_000))
    l.start()
    await vi.advanceTimersByTimeAsync(20_000)
    expect(steps).toEqual([0, 10_000, 20_000])
    await l.stop()
  })
})
