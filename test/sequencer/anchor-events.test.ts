/**
 * GET /v1/anchors/events: a WebSocket that pushes an API key's own submissions as their status
 * changes (queued, in a block, posted, final), resumes from a cursor or a time with neither gap
 * nor duplicate, refuses what is not its key's, and bounds what one client holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import WebSocket from 'ws'
import type { Hex } from 'viem'
import { doc, submit } from '../helpers/anchoring.ts'
import { startTestNode, type TestNode } from '../helpers/node.ts'
import { EVENTS_PAGE_SIZE } from '../../sequencer/anchoring/events.ts'
import { l1Rpc, startTestRollup, until, type TestRollup } from '../helpers/rollup.ts'

const KEY_A = 'enterprise-a-key-0001'
const KEY_B = 'enterprise-b-key-0002'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A notifications client that records every message and the close. */
class Events {
  readonly messages: any[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  private waiters: (() => void)[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')))
      for (const w of this.waiters.splice(0)) w()
    })
    this.closed = new Promise((resolve) => ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
  }

  static url(base: string, query: Record<string, string | number> = {}): string {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
    return `${base.replace(/^http/, 'ws')}/v1/anchors/events${qs === '' ? '' : `?${qs}`}`
  }

  /** Opens with the key in a header (none: the key goes in the first message, as a browser does). */
  static async open(base: string, key: string | undefined, query: Record<string, string | number> = {}): Promise<Events> {
    const ws = new WebSocket(Events.url(base, query), key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } })
    const events = new Events(ws)
    await once(ws, 'open')
    return events
  }

  get anchors(): any[] {
    return this.messages.filter((m) => m.type === 'anchor')
  }

  /** The anchor messages once `done` holds for them. */
  async until(done: (anchors: any[]) => boolean, what: string, ms = 20_000): Promise<any[]> {
    const deadline = Date.now() + ms
    while (!done(this.anchors)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${this.anchors.length} anchor messages`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
    return this.anchors
  }

  async caughtUp(ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms
    for (;;) {
      const m = this.messages.find((x) => x.type === 'caughtUp')
      if (m !== undefined) return m.cursor
      if (Date.now() > deadline) throw new Error('no caughtUp message')
      await sleep(20)
    }
  }

  close(): void {
    this.ws.close()
  }
}

/** The HTTP answer to an upgrade the node refuses. */
async function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const ws = new WebSocket(url, { headers })
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    })
    ws.on('open', () => reject(new Error('the upgrade was accepted')))
    ws.on('error', () => undefined)
  })
}

/** Each hash's last status in the order received; fails if positions ever go backwards or repeat. */
function lastStatus(anchors: any[]): Map<string, string> {
  const positions = anchors.map((m) => Buffer.from(m.cursor, 'base64url').toString().split(':').slice(1).map(Number))
  for (let i = 1; i < positions.length; i++) {
    const [c0, s0] = positions[i - 1]
    const [c1, s1] = positions[i]
    expect(c1 > c0 || (c1 === c0 && s1 > s0), `message ${i} does not come after message ${i - 1}`).toBe(true)
  }
  return new Map(anchors.map((m) => [m.hash, m.l2 === null ? 'queued' : m.status]))
}

describe('GET /v1/anchors/events', () => {
  let t: TestNode

  beforeAll(async () => {
    t = await startTestNode({ anchoring: { apiKeys: [KEY_A, KEY_B], eventsMaxConnectionsPerKey: 3, eventsAuthTimeoutMs: 500 } })
  })
  afterAll(() => t.close())

  it('refuses an upgrade without a valid key with 401, and a plain GET with 426', async () => {
    const url = Events.url(t.url)
    const wrong = await refusal(url, { authorization: 'Bearer not-a-key-at-all' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_api_key')
    const alsoWrong = await refusal(url, { 'x-api-key': 'not-a-key-at-all' })
    expect(alsoWrong.status).toBe(401)
    const plain = await fetch(`${t.url}/v1/anchors/events`, { headers: { authorization: `Bearer ${KEY_A}` } })
    expect(plain.status).toBe(426)
    expect(((await plain.json()) as any).error.code).toBe('upgrade_required')
    const badCursor = await refusal(Events.url(t.url, { cursor: 'nope' }), { authorization: `Bearer ${KEY_A}` })
    expect(badCursor).toMatchObject({ status: 400, body: { error: { code: 'invalid_cursor' } } })
    const badSince = await refusal(Events.url(t.url, { since: 'yesterday' }), { authorization: `Bearer ${KEY_A}` })
    expect(badSince).toMatchObject({ status: 400, body: { error: { code: 'invalid_since' } } })
  })

  it('pushes a key its own hashes as they are queued and anchored, never another key\'s', async () => {
    const a = await Events.open(t.url, KEY_A)
    const b = await Events.open(t.url, KEY_B)
    try {
      await a.caughtUp()
      await b.caughtUp()
      const mine = [doc('own-1'), doc('own-2')]
      await submit(t.url, KEY_A, mine)
      await submit(t.url, KEY_B, [doc('other-1')])
      const got = await a.until((m) => mine.every((h) => m.some((x) => x.hash === h && x.l2 !== null)), 'both hashes in a block')
      expect(got.every((m) => mine.includes(m.hash))).toBe(true)
      const inBlock = got.find((m) => m.hash === mine[0] && m.l2 !== null)
      // the fields of GET /v1/anchors/{hash}, plus submittedAt and the position
      const { type, submittedAt, cursor, ...rest } = inBlock
      expect(type).toBe('anchor')
      expect(rest).toEqual(await (await fetch(`${t.url}/v1/anchors/${mine[0]}`)).json())
      expect(Date.parse(submittedAt)).toBeGreaterThan(Date.now() - 60_000)
      expect(typeof cursor).toBe('string')
      // each change once: queued (l2 null) then in a block, or straight in a block if the block beat the push
      for (const h of mine) expect(got.filter((m) => m.hash === h).length).toBeLessThanOrEqual(2)
      await b.until((m) => m.some((x) => x.hash === doc('other-1') && x.l2 !== null), 'the other key\'s hash')
      expect(b.anchors.every((m) => m.hash === doc('other-1'))).toBe(true)
      lastStatus(a.anchors)
    } finally {
      a.close()
      b.close()
    }
  })

  it('resumes from a cursor with exactly the changes since, and from since=0 with every submission, paged', async () => {
    const first = Array.from({ length: 5 }, (_, i) => doc(`resume-${i}`))
    const a = await Events.open(t.url, KEY_A)
    await a.caughtUp()
    await submit(t.url, KEY_A, first)
    await a.until((m) => first.every((h) => m.some((x) => x.hash === h && x.l2 !== null)), 'the first hashes in a block')
    const cursor = a.anchors.at(-1).cursor
    a.close()
    await a.closed

    const later = Array.from({ length: EVENTS_PAGE_SIZE * 2 + 17 }, (_, i) => doc(`later-${i}`))
    await submit(t.url, KEY_A, later)
    await until(async () => ((await (await fetch(`${t.url}/v1/anchors/${later.at(-1)}`)).json()) as any).l2 ?? undefined, 'the later hashes in a block')
    const resumed = await Events.open(t.url, KEY_A, { cursor })
    try {
      await resumed.caughtUp()
      const got = resumed.anchors
      // only what changed after the cursor, each once, at its current state
      expect(got.map((m) => m.hash).sort()).toEqual([...later].sort())
      expect(got.every((m) => m.l2 !== null)).toBe(true)
      lastStatus(got)
    } finally {
      resumed.close()
    }

    const all = await Events.open(t.url, KEY_A, { since: 0 })
    try {
      await all.caughtUp()
      const statuses = lastStatus(all.anchors)
      expect(all.anchors).toHaveLength(statuses.size) // everything once, current state
      for (const h of [...first, ...later]) expect(statuses.get(h)).toBe('pending')
      expect([...statuses.keys()].some((h) => h === doc('other-1'))).toBe(false)
    } finally {
      all.close()
    }
    // a time after everything: nothing to catch up on, live from there
    const future = await Events.open(t.url, KEY_A, { since: new Date(Date.now() + 60_000).toISOString() })
    await future.caughtUp()
    expect(future.anchors).toEqual([])
    future.close()
  })

  it('takes the key in a first message from a browser, and closes 4401 on a wrong or missing one', async () => {
    const browser = await Events.open(t.url, undefined, { since: 0 })
    browser.ws.send(JSON.stringify({ type: 'auth', apiKey: KEY_B }))
    await browser.caughtUp()
    expect(browser.anchors.length).toBeGreaterThan(0)
    expect(browser.anchors.every((m) => m.hash !== doc('own-1'))).toBe(true)
    browser.close()

    const wrong = await Events.open(t.url, undefined)
    wrong.ws.send(JSON.stringify({ type: 'auth', apiKey: 'not-a-key-at-all' }))
    expect(await wrong.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^invalid_api_key/) })
    const silent = await Events.open(t.url, undefined)
    expect(await silent.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^missing_api_key/) })
    expect(silent.messages).toEqual([])
    // a stranger streaming a huge first message is cut off after about 1 kB, not buffered to the payload cap
    const flood = await Events.open(t.url, undefined)
    const sent = Date.now()
    flood.ws.send('x'.repeat(4 * 1024 * 1024))
    expect((await flood.closed).code).toBe(1006) // the connection dropped, no close frame
    expect(Date.now() - sent).toBeLessThan(4_000) // well before the 5 s auth timeout
    expect(flood.messages).toEqual([])
  })

  it('limits the sockets of one key (429) and closes one that talks back', async () => {
    const open = await Promise.all([1, 2, 3].map(() => Events.open(t.url, KEY_A)))
    try {
      const fourth = await refusal(Events.url(t.url), { authorization: `Bearer ${KEY_A}` })
      expect(fourth.status).toBe(429)
      expect(fourth.body.error).toMatchObject({ code: 'too_many_connections', max: 3 })
      const other = await Events.open(t.url, KEY_B) // another key is not affected
      other.close()
      open[0].ws.send('hello')
      expect((await open[0].closed).code).toBe(1008)
      const again = await Events.open(t.url, KEY_A) // a slot came free
      again.close()
    } finally {
      for (const e of open) e.close()
    }
  })
})

describe('GET /v1/anchors/events while submissions keep coming', () => {
  it('misses nothing committed while it catches up (the catch-up and live events meet without a gap)', async () => {
    // no blocks: each hash changes once (queued), so a change lost between catch-up and live
    // events would never be healed by a later one
    const t = await startTestNode({ anchoring: { apiKeys: [KEY_B] }, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      const hashes = Array.from({ length: 1_000 }, (_, i) => doc(`race-${i}`))
      await submit(t.url, KEY_B, hashes.slice(0, 300))
      const done = (async () => {
        for (let i = 300; i < hashes.length; i += 7) await submit(t.url, KEY_B, hashes.slice(i, i + 7))
      })()
      const clients = [await Events.open(t.url, KEY_B, { since: 0 })]
      await sleep(30)
      clients.push(await Events.open(t.url, KEY_B, { since: 0 }))
      await done
      for (const c of clients) {
        const got = await c.until((m) => m.length >= hashes.length, 'every hash')
        await sleep(200)
        expect(got).toHaveLength(hashes.length) // each once
        const statuses = lastStatus(got)
        expect([...statuses.keys()].sort()).toEqual([...hashes].sort())
        c.close()
      }
    } finally {
      await t.close()
    }
  }, 30_000)
})

describe('GET /v1/anchors/events across restarts', () => {
  it('resumes from a cursor after a restart, and serves a data dir from before the notifications', async () => {
    const first = await startTestNode({ anchoring: { apiKeys: [KEY_A] } })
    const dataDir = first.dataDir
    try {
      const a = await Events.open(first.url, KEY_A)
      await a.caughtUp()
      await submit(first.url, KEY_A, [doc('before-restart')])
      const cursor = (await a.until((m) => m.some((x) => x.l2 !== null), 'the hash in a block')).at(-1).cursor
      a.close()
      await first.close({ keepData: true })

      const second = await startTestNode({ dataDir, anchoring: { apiKeys: [KEY_A] } })
      await submit(second.url, KEY_A, [doc('after-restart')])
      const resumed = await Events.open(second.url, KEY_A, { cursor })
      await resumed.until((m) => m.some((x) => x.hash === doc('after-restart') && x.l2 !== null), 'the new hash')
      expect(resumed.anchors.every((m) => m.hash === doc('after-restart'))).toBe(true)
      resumed.close()
      await second.close({ keepData: true })

      // the table as it was before the notifications: no change_seq, no anchor_changes
      const { default: Database } = await import('better-sqlite3')
      const db = new Database(join(dataDir, 'chain.sqlite'))
      db.exec('DROP INDEX anchor_submissions_by_key_change; DROP INDEX anchor_submissions_by_hash; ALTER TABLE anchor_submissions DROP COLUMN change_seq; DROP TABLE anchor_changes')
      db.close()
      const third = await startTestNode({ dataDir, anchoring: { apiKeys: [KEY_A] } })
      try {
        const all = await Events.open(third.url, KEY_A, { since: 0 })
        await all.caughtUp()
        expect(all.anchors.map((m) => m.hash).sort()).toEqual([doc('before-restart'), doc('after-restart')].sort())
        all.close()
        const live = await Events.open(third.url, KEY_A)
        await live.caughtUp()
        await submit(third.url, KEY_A, [doc('after-migration')])
        await live.until((m) => m.some((x) => x.hash === doc('after-migration')), 'a change after the migration')
        expect(live.anchors.every((m) => m.hash === doc('after-migration'))).toBe(true)
        live.close()
      } finally {
        await third.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 30_000)
})

describe('GET /v1/anchors/events with a reader that does not read', () => {
  it('holds one page for it, then closes it with 1008; other clients are served', async () => {
    const t = await startTestNode({ anchoring: { apiKeys: [KEY_A, KEY_B], eventsStallTimeoutMs: 1_000 }, sequencer: { automine: false, blockTimeMs: 3_600_000 } })
    try {
      for (let round = 0; round < 6; round++) await submit(t.url, KEY_A, Array.from({ length: 10_000 }, (_, i) => doc(`slow-${round}-${i}`)))
      const slow = await Events.open(t.url, KEY_A, { since: 0 })
      ;(slow.ws as unknown as { _socket: Socket })._socket.pause() // stop reading
      const good = await Events.open(t.url, KEY_B)
      await good.caughtUp()
      await submit(t.url, KEY_B, [doc('served')])
      await good.until((m) => m.some((x) => x.hash === doc('served')), 'the other client\'s event')
      // the node fills the socket's buffers, waits a second for the page to leave, and closes;
      // the paused client sees it only once it reads again
      await sleep(6_000)
      ;(slow.ws as unknown as { _socket: Socket })._socket.resume()
      const closed = await Promise.race([slow.closed, sleep(5_000).then(() => ({ code: 0, reason: 'still open' }))])
      expect([1008, 1006]).toContain(closed.code) // 1006: the close frame sat behind unread data and the node gave up
      expect(slow.anchors.length).toBeGreaterThan(0)
      expect(slow.anchors.length).toBeLessThan(60_000) // the node stopped before the end of the catch-up
      good.close()
    } finally {
      await t.close()
    }
  }, 60_000)
})

describe('GET /v1/anchors/events with an L1', () => {
  const WINDOW = 3600
  let r: TestRollup

  beforeAll(async () => {
    r = await startTestRollup({ challengeWindowSeconds: WINDOW, node: { anchoring: { apiKeys: [KEY_A, KEY_B] } } })
  }, 60_000)
  afterAll(() => r?.close())

  it('reports pending, posted and final for the key\'s own hashes, and a reconnect catches up on what it missed', async () => {
    const a = await Events.open(r.l2.url, KEY_A)
    const b = await Events.open(r.l2.url, KEY_B)
    await a.caughtUp()
    await b.caughtUp()
    const mine = [doc('l1-a'), doc('l1-b')]
    await submit(r.l2.url, KEY_A, mine)
    await submit(r.l2.url, KEY_B, [doc('l1-b-only')])
    const posted = await a.until((m) => mine.every((h) => m.some((x) => x.hash === h && x.status === 'posted')), 'posted')
    const p = posted.find((m) => m.hash === mine[0] && m.status === 'posted')
    expect(p.l1.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(Array.isArray(p.proof)).toBe(true)
    expect(posted.some((m) => m.hash === mine[0] && m.status === 'pending')).toBe(true)
    const cursor = posted.at(-1).cursor
    a.close()
    // both keys' batches on L1 before the window passes (B's hash may be in a later batch)
    await b.until((m) => m.some((x) => x.hash === doc('l1-b-only') && x.status === 'posted'), 'the other key\'s hash posted')

    await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
    await l1Rpc(r.l1, 'evm_mine')
    await b.until((m) => m.some((x) => x.hash === doc('l1-b-only') && x.status === 'final'), 'the other key\'s hash final')
    expect(b.anchors.every((m) => m.hash === doc('l1-b-only'))).toBe(true)
    b.close()

    // A was away while its hashes became final: the reconnect brings exactly that
    const back = await Events.open(r.l2.url, KEY_A, { cursor })
    try {
      await back.caughtUp()
      expect(back.anchors.map((m) => `${m.hash}:${m.status}`).sort()).toEqual(mine.map((h) => `${h}:final`).sort())
    } finally {
      back.close()
    }
  }, 60_000)

  it('sends a posted hash back to pending when an L1 reorg takes its batch away, then posted again', async () => {
    const a = await Events.open(r.l2.url, KEY_A)
    try {
      await a.caughtUp()
      const snapshot = await l1Rpc<string>(r.l1, 'evm_snapshot')
      await submit(r.l2.url, KEY_A, [doc('reorged')])
      const posted = (await a.until((m) => m.some((x) => x.status === 'posted'), 'posted')).find((x) => x.status === 'posted')
      // The batcher reports a batch posted in the same step as it then clears the transaction in
      // flight. A revert between the two makes it send that transaction again, as it should, and
      // Anvil mines it at once; in the same block number within the same second, the batch is on
      // L1 exactly as before, and the node rightly reports nothing (the CI failure of 2026-12-04).
      // So the revert waits until the batcher is past the batch carrying the hash.
      await until(async () => {
        const { inflight } = await r.l2.rpc('rollup_getBatcherStatus')
        return inflight === null || inflight.firstBlock > posted.l2.blockNumber
      }, 'the batcher to be done with the batch')
      await l1Rpc(r.l1, 'evm_revert', [snapshot]) // L1 forgets the batch
      // (older Anvils put a reverted block's transactions back in the pool, to be mined again)
      await l1Rpc(r.l1, 'anvil_dropAllTransactions')
      const got = await a.until((m) => {
        const i = m.findIndex((x) => x.status === 'posted')
        return m.slice(i + 1).some((x) => x.status === 'posted')
      }, 'posted again')
      const after = got.slice(got.findIndex((x) => x.status === 'posted') + 1)
      expect(after[0]).toMatchObject({ hash: doc('reorged'), status: 'pending' })
      expect(after[0].l2).not.toBeNull()
      lastStatus(got)
    } finally {
      a.close()
    }
  }, 60_000)
})
