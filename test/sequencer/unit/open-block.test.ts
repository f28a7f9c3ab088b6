/**
 * A block opened before its tick (sequencer/builder/driver.ts): under load the next block starts
 * with what the pool holds and takes in what arrives until its tick (BlockCandidates.refresh),
 * so its transactions do not wait for the whole block to execute after the tick. The driver runs
 * on fake timers against a recording builder; the cursor is the real pool's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SequencerDriver } from '../../../sequencer/builder/driver.ts'
import type { OpenBlock } from '../../../sequencer/builder/builder.ts'
import { createLogger } from '../../../sequencer/log.ts'
import { fakeTx, poolOf } from '../../helpers/pool.ts'

afterEach(() => vi.useRealTimers())

describe('BlockCandidates.refresh', () => {
  it('takes in what arrived after the cursor was made: a sender\'s next nonce and new senders, each once, never a skipped sender', async () => {
    const { pool, add } = poolOf(100)
    await add(fakeTx(1_000n, 0n, 100, { sender: 1, tip: 5n }))
    await add(fakeTx(1_000n, 0n, 100, { sender: 2, tip: 3n }))
    const cursor = pool.candidates(0n)
    const handed = () => {
      const out: string[] = []
      for (let c = cursor.next(); c !== undefined; c = cursor.next()) out.push(`${Number(c.senderHex)}:${c.nonce}`)
      return out
    }
    expect(handed()).toEqual(['1:0', '2:0'])
    cursor.refresh()
    expect(handed()).toEqual([]) // nothing new: nothing handed out twice
    await add(fakeTx(1_000n, 1n, 100, { sender: 1, tip: 1n }))
    await add(fakeTx(1_000n, 0n, 100, { sender: 3, tip: 9n }))
    await add(fakeTx(1_000n, 1n, 100, { sender: 2, tip: 1n }))
    cursor.skipSender(`0x${(2).toString(16).padStart(40, '0')}`)
    cursor.refresh()
    cursor.refresh() // twice: still once each
    expect(handed()).toEqual(['3:0', '1:1'])
  })
})

describe('the driver under load', () => {
  function driverWith(executeMs: number) {
    const builds: { at: number; timestamp: bigint; open?: OpenBlock; woke?: number }[] = []
    const header = { number: 0n, timestamp: 0n, calcNextBaseFee: () => 0n }
    const builder = {
      hasSystemWork: () => false,
      build: async (_c: unknown, timestamp: bigint, _r: unknown, open?: OpenBlock) => {
        const build: (typeof builds)[number] = { at: performance.now(), timestamp, open }
        builds.push(build)
        if (open !== undefined) {
          await open.waitForMore(open.until - performance.now())
          build.woke = performance.now()
        }
        header.number++
        header.timestamp = timestamp
        const sealed = { row: { number: Number(header.number), txCount: 1 }, header: { gasUsed: 21_000n }, included: [], system: [], txRows: [], logs: [], timings: { executeMs, waitMs: 0, sealMs: 1 } }
        return { sealed, invalid: [], systemErrors: [] }
      },
    }
    const pool = { hasExecutable: () => true, candidates: () => ({ next: () => undefined, skipSender: () => {} }), onBlockSealed: () => {} }
    const chain = { head: () => ({ header }), headNumber: 0 }
    const driver = new SequencerDriver({ builder: builder as never, pool: pool as never, chain: chain as never, blockTimeMs: 1_000, automine: false, log: createLogger('silent'), onSealed: () => {} })
    return { driver, builds }
  }

  it('opens the next block 1.25 × the last execution time before its tick, keeps it open until the tick, and dates it at the tick', async () => {
    vi.useFakeTimers({ now: 10_000_400, toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] })
    const { driver, builds } = driverWith(200)
    driver.start()
    await vi.advanceTimersByTimeAsync(1_000) // the first tick: nothing known of the load yet
    expect(builds).toHaveLength(1)
    expect(builds[0].open).toBeUndefined()
    const firstTick = builds[0].at
    await vi.advanceTimersByTimeAsync(750) // 250 ms before the second tick
    expect(builds).toHaveLength(2)
    expect(builds[1].at).toBe(firstTick + 750)
    expect(builds[1].open!.until).toBe(firstTick + 1_000)
    expect(builds[1].timestamp).toBe(BigInt(Math.floor((Date.now() + 250) / 1000))) // the tick's second
    // an arrival wakes the open block waiting for transactions, with those of the next 20 ms, not at the tick
    await vi.advanceTimersByTimeAsync(100)
    expect(builds[1].woke).toBeUndefined()
    driver.poke()
    await vi.advanceTimersByTimeAsync(10)
    driver.poke() // rides along
    await vi.advanceTimersByTimeAsync(10)
    expect(builds[1].woke).toBe(firstTick + 870)
    await driver.stop()
  })

  it('builds at the tick while blocks execute quickly', async () => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] })
    const { driver, builds } = driverWith(20)
    driver.start()
    await vi.advanceTimersByTimeAsync(3_000)
    expect(builds.map((b) => [b.at, b.open])).toEqual([[1_000, undefined], [2_000, undefined], [3_000, undefined]])
    await driver.stop()
  })
})
