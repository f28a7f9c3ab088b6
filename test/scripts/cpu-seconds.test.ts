import { describe, expect, it } from 'vitest'
import { cpuSeconds } from '../../scripts/lib/load.ts'

describe('cpuSeconds (the benchmarks\' CPU per transaction, from /proc)', () => {
  it.runIf(process.platform === 'linux')('counts this process\'s CPU and its main thread\'s, which is part of it', () => {
    const before = cpuSeconds(process.pid)!
    const mainBefore = cpuSeconds(process.pid, process.pid)!
    const until = Date.now() + 300
    let x = 0
    while (Date.now() < until) x += Math.sqrt(x + 1) // ~0.3 s of CPU on this thread
    const used = cpuSeconds(process.pid)! - before
    const mainUsed = cpuSeconds(process.pid, process.pid)! - mainBefore
    expect(x).toBeGreaterThan(0)
    // 10 ms ticks; the thread may be descheduled on a busy machine, never credited more than it ran
    expect(mainUsed).toBeGreaterThanOrEqual(0.05)
    expect(mainUsed).toBeLessThanOrEqual(0.4)
    // the kernel rounds the process's total and each thread's on their own: allow it two ticks
    expect(used).toBeGreaterThanOrEqual(mainUsed - 0.02)
  })

  it('answers undefined for a process or thread that does not exist', () => {
    expect(cpuSeconds(2 ** 22 + 12345)).toBeUndefined()
    expect(cpuSeconds(process.pid, 2 ** 22 + 12345)).toBeUndefined()
  })
})
