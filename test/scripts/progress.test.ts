/**
 * scripts/lib/progress.ts: the progress line of long scripts, rate-limited (a line every
 * LINE_EVERY_MS in a log, an in-place redraw every TTY_EVERY_MS on a terminal), a final line always,
 * nothing when quiet. A fake clock and stream; nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { formatSeconds, LINE_EVERY_MS, progress, TTY_EVERY_MS } from '../../scripts/lib/progress.ts'

function fake(isTTY: boolean) {
  const written: string[] = []
  let t = 1_000
  return { written, stream: { isTTY, write: (s: string) => written.push(s) }, now: () => t, advance: (ms: number) => (t += ms) }
}

describe('progress', () => {
  it('off a terminal: nothing for a short run but the final line, with thousands separators and the time', () => {
    const f = fake(false)
    const p = progress('sent', { total: 10_000, stream: f.stream, now: f.now })
    for (let i = 1; i <= 10_000; i++) {
      p.update(i)
      if (i % 1000 === 0) f.advance(310)
    }
    expect(f.written).toEqual([])
    p.done()
    expect(f.written).toEqual(['sent 10,000/10,000 (3.1 s)\n'])
  })

  it('off a terminal: a line every LINE_EVERY_MS however often it is told, each a line of its own', () => {
    const f = fake(false)
    const p = progress('rebuilt blocks', { stream: f.stream, now: f.now })
    for (let i = 1; i <= 120; i++) {
      f.advance(100) // 12 s in all
      p.update(i * 50, `batch ${i}`)
    }
    expect(LINE_EVERY_MS).toBe(5_000)
    expect(f.written).toEqual(['rebuilt blocks 2,500, batch 50 (5.0 s)\n', 'rebuilt blocks 5,000, batch 100 (10.0 s)\n'])
    p.done(6_000, '120 batches')
    expect(f.written.at(-1)).toBe('rebuilt blocks 6,000, 120 batches (12.0 s)\n')
  })

  it('on a terminal: redraws one line in place at most every TTY_EVERY_MS, and ends it once', () => {
    const f = fake(true)
    const p = progress('mined', { total: 300, stream: f.stream, now: f.now })
    for (let i = 1; i <= 300; i++) {
      f.advance(TTY_EVERY_MS / 4)
      p.update(i)
    }
    expect(f.written).toHaveLength(75) // every fourth update: at 100 ms, 200 ms, … 7.5 s
    expect(f.written.every((s) => s.startsWith('\r') && s.endsWith('\x1b[K') && !s.includes('\n'))).toBe(true)
    expect(f.written[0]).toBe('\rmined 4/300 (0.1 s)\x1b[K')
    p.done()
    p.done()
    p.update(301)
    expect(f.written.slice(76)).toEqual([])
    expect(f.written[75]).toBe('\rmined 300/300 (7.5 s)\x1b[K\n')
  })

  it('without a count: the label, what it says and the time', () => {
    const f = fake(false)
    const p = progress('run 1: the last hash, on its way to L1', { stream: f.stream, now: f.now })
    f.advance(5_000)
    p.update(undefined, 'queued')
    f.advance(1_200)
    p.done(undefined, 'posted')
    expect(f.written).toEqual(['run 1: the last hash, on its way to L1, queued (5.0 s)\n', 'run 1: the last hash, on its way to L1, posted (6.2 s)\n'])
  })

  it('quiet prints nothing', () => {
    const f = fake(false)
    const p = progress('sent', { quiet: true, stream: f.stream, now: f.now })
    f.advance(60_000)
    p.update(1)
    p.done()
    expect(f.written).toEqual([])
  })

  it('formats seconds and minutes', () => {
    expect(formatSeconds(0.04)).toBe('0.0 s')
    expect(formatSeconds(59.94)).toBe('59.9 s')
    expect(formatSeconds(125.4)).toBe('2 min 05 s')
  })
})
