/**
 * GET /v1/anchors: an API key lists its own HTTP submissions (newest first, paginated with an
 * opaque cursor), filtered by time and status, each with the status GET /v1/anchors/{hash} gives;
 * and the statuses move pending → posted → final as the batch lands on L1 and its window passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { doc, submit } from '../helpers/anchoring.ts'
import { startTestNode, type TestNode } from '../helpers/node.ts'
import { DEV_ANCHOR_API_KEY } from '../../sequencer/config.ts'
import { MAX_LIST_LIMIT } from '../../sequencer/anchoring/http.ts'
import { l1Rpc, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'

const KEY_A = 'enterprise-a-key-0001'
const KEY_B = 'enterprise-b-key-0002'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function list(url: string, query: Record<string, string | number> = {}, headers: Record<string, string> = {}) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
  const res = await fetch(`${url}/v1/anchors${qs === '' ? '' : `?${qs}`}`, { headers })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}

/** Every item of a key's listing, page by page; checks that only the last page has no cursor. */
async function walk(url: string, key: string, query: Record<string, string | number> = {}) {
  const items: any[] = []
  let cursor: string | undefined
  let pages = 0
  for (;;) {
    const res = await list(url, { ...query, ...(cursor === undefined ? {} : { cursor }) }, { 'x-api-key': key })
    expect(res.status).toBe(200)
    items.push(...res.body.items)
    pages++
    if (res.body.nextCursor === null) break
    expect(typeof res.body.nextCursor).toBe('string')
    cursor = res.body.nextCursor
  }
  return { items, pages }
}

describe('GET /v1/anchors', () => {
  let t: TestNode
  const aFirst = Array.from({ length: 120 }, (_, i) => doc(`a-${i}`))
  const aSecond = Array.from({ length: 45 }, (_, i) => doc(`a2-${i}`))
  const bOnly = [doc('b-1'), doc('b-2')]
  const shared = doc('shared')
  let cutoff: number

  beforeAll(async () => {
    t = await startTestNode({ anchoring: { apiKeys: [DEV_ANCHOR_API_KEY, KEY_A, KEY_B] } })
    await submit(t.url, KEY_A, [...aFirst, shared])
    await submit(t.url, KEY_B, [...bOnly, shared])
    await sleep(30)
    cutoff = Date.now()
    await sleep(30)
    await submit(t.url, KEY_A, aSecond)
    // submitted again by the same key (and one already-anchored-or-queued by the other): listed once
    await submit(t.url, KEY_A, [aFirst[0], shared, aSecond[0]])
  })
  afterAll(() => t.close())

  it('refuses a missing or invalid key with 401, in the API error shape', async () => {
    const missing = await list(t.url)
    expect(missing.status).toBe(401)
    expect(missing.body.error.code).toBe('missing_api_key')
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    const wrong = await list(t.url, {}, { authorization: 'Bearer not-a-key-at-all' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('invalid_api_key')
  })

  it('shows each key only its own submissions, each hash once, newest first', async () => {
    const a = await walk(t.url, KEY_A, { limit: MAX_LIST_LIMIT })
    expect(a.pages).toBe(1)
    expect(a.items.map((i) => i.hash).sort()).toEqual([...aFirst, shared, ...aSecond].sort())
    const times = a.items.map((i) => Date.parse(i.submittedAt))
    expect(times).toEqual([...times].sort((x, y) => y - x))
    // the re-submission kept the first submission's time
    expect(Date.parse(a.items.find((i) => i.hash === aFirst[0]).submittedAt)).toBeLessThan(cutoff)

    const b = await walk(t.url, KEY_B)
    expect(b.items.map((i) => i.hash).sort()).toEqual([...bOnly, shared].sort())
    const dev = await list(t.url, {}, { authorization: `Bearer ${DEV_ANCHOR_API_KEY}` })
    expect(dev.body).toEqual({ items: [], nextCursor: null })
  })

  it('gives each item the same status fields as GET /v1/anchors/{hash}', async () => {
    await until(async () => ((await (await fetch(`${t.url}/v1/anchors/${aFirst[5]}`)).json()) as any).l2 ?? undefined, 'the hash to reach a block')
    const { items } = await walk(t.url, KEY_A, { limit: MAX_LIST_LIMIT })
    const item = items.find((i) => i.hash === aFirst[5])
    const single = (await (await fetch(`${t.url}/v1/anchors/${aFirst[5]}`)).json()) as any
    const { submittedAt, ...rest } = item
    expect(rest).toEqual(single)
    expect(submittedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(item.status).toBe('pending') // no L1: never posted
  })

  it('filters by since (milliseconds or ISO time)', async () => {
    const byMs = await walk(t.url, KEY_A, { since: cutoff })
    expect(byMs.items.map((i) => i.hash).sort()).toEqual([...aSecond].sort())
    const byIso = await walk(t.url, KEY_A, { since: new Date(cutoff).toISOString() })
    expect(byIso.items).toEqual(byMs.items)
    expect((await walk(t.url, KEY_A, { since: Date.now() + 60_000 })).items).toEqual([])
  })

  it('filters by status', async () => {
    expect((await walk(t.url, KEY_A, { status: 'pending', limit: MAX_LIST_LIMIT })).items).toHaveLength(aFirst.length + aSecond.length + 1)
    expect((await walk(t.url, KEY_A, { status: 'posted' })).items).toEqual([])
    expect((await walk(t.url, KEY_A, { status: 'final' })).items).toEqual([])
  })

  it('walks every item exactly once across pages, with the default limit and a small one', async () => {
    const all = (await walk(t.url, KEY_A, { limit: MAX_LIST_LIMIT })).items.map((i) => i.hash)
    const byDefault = await walk(t.url, KEY_A)
    expect(byDefault.pages).toBe(2) // 166 items, 100 per page
    expect(byDefault.items.map((i) => i.hash)).toEqual(all)
    const small = await walk(t.url, KEY_A, { limit: 7 })
    expect(small.pages).toBe(Math.ceil(all.length / 7))
    expect(small.items.map((i) => i.hash)).toEqual(all)
    const filtered = await walk(t.url, KEY_A, { limit: 10, since: cutoff, status: 'pending' })
    expect(filtered.items.map((i) => i.hash)).toEqual(all.filter((h) => aSecond.includes(h)))
  })

  it('keeps a walk stable while the key submits more', async () => {
    const first = await list(t.url, { limit: 50 }, { 'x-api-key': KEY_A })
    await submit(t.url, KEY_A, [doc('during-walk')])
    const rest = await walk(t.url, KEY_A, { limit: 50, cursor: first.body.nextCursor })
    const seen = [...first.body.items, ...rest.items].map((i) => i.hash)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).not.toContain(doc('during-walk'))
    expect(seen).toHaveLength(166)
  })

  it.each([
    [{ limit: MAX_LIST_LIMIT + 1 }, 'limit_too_large'],
    [{ limit: 0 }, 'invalid_limit'],
    [{ limit: 'ten' }, 'invalid_limit'],
    [{ status: 'anchored' }, 'invalid_status'],
    [{ since: 'yesterday' }, 'invalid_since'],
    [{ cursor: 'not-a-cursor' }, 'invalid_cursor'],
  ])('answers 400 for %j', async (query, code) => {
    const res = await list(t.url, query as Record<string, string | number>, { 'x-api-key': KEY_A })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe(code)
    expect(typeof res.body.error.message).toBe('string')
    if (code === 'limit_too_large') expect(res.body.error.max).toBe(MAX_LIST_LIMIT)
  })

  it('leaves the existing endpoints as they were', async () => {
    const res = await fetch(`${t.url}/v1/anchors/${aFirst[1]}`)
    expect(res.status).toBe(200) // reads of one hash stay public
    expect((await fetch(`${t.url}/v1/anchors/0x1234`)).status).toBe(400)
  })
})

describe('GET /v1/anchors with an L1', () => {
  const WINDOW = 3600
  let r: TestRollup

  beforeAll(async () => {
    r = await startTestRollup({ challengeWindowSeconds: WINDOW, node: { anchoring: { apiKeys: [KEY_A, KEY_B] } } })
  }, 60_000)
  afterAll(() => r?.close())

  it('moves statuses from pending to posted to final when the batch lands', async () => {
    const hashes = [doc('l1-a'), doc('l1-b'), doc('l1-c')]
    const statuses = async (status?: string) =>
      (await walk(r.l2.url, KEY_A, status === undefined ? {} : { status })).items.map((i) => `${i.hash}:${i.status}`).sort()
    await submit(r.l2.url, KEY_A, hashes)
    await submit(r.l2.url, KEY_B, [doc('l1-b-only')])
    const listed = (await walk(r.l2.url, KEY_A)).items
    expect(listed.map((i) => i.hash).sort()).toEqual([...hashes].sort())
    expect(listed.every((i) => i.status === 'pending' || i.status === 'posted')).toBe(true)

    await until(async () => ((await walk(r.l2.url, KEY_A, { status: 'posted' })).items.length === 3 ? true : undefined), 'the batch to be posted')
    await untilPosted(r.l2)
    const posted = (await walk(r.l2.url, KEY_A, { status: 'posted' })).items
    expect(posted.every((i) => i.l1?.txHash !== undefined && Array.isArray(i.proof))).toBe(true)
    expect(await statuses('pending')).toEqual([])
    expect(await statuses('final')).toEqual([])

    await l1Rpc(r.l1, 'evm_increaseTime', [WINDOW])
    await l1Rpc(r.l1, 'evm_mine')
    await until(async () => ((await walk(r.l2.url, KEY_A, { status: 'final' })).items.length === 3 ? true : undefined), 'the batch to be final')
    expect(await statuses()).toEqual(hashes.map((h) => `${h}:final`).sort())
    expect(await statuses('posted')).toEqual([])
    // the other key still sees only its own
    expect((await walk(r.l2.url, KEY_B)).items.map((i) => i.hash)).toEqual([doc('l1-b-only')])
  }, 30_000)
})

describe('GET /v1/anchors across restarts', () => {
  it('keeps the records of a 202 across a restart, and starts on a data dir from before the table existed', async () => {
    const first = await startTestNode({ anchoring: { apiKeys: [KEY_A] } })
    const dataDir = first.dataDir
    try {
      await submit(first.url, KEY_A, [doc('restart-1')])
      await first.close({ keepData: true })
      const second = await startTestNode({ dataDir, anchoring: { apiKeys: [KEY_A] } })
      expect((await walk(second.url, KEY_A)).items.map((i) => i.hash)).toEqual([doc('restart-1')])
      await second.close({ keepData: true })

      // a data dir written by a node without the table: it is created, nothing else changes
      const { default: Database } = await import('better-sqlite3')
      const db = new Database(join(dataDir, 'chain.sqlite'))
      db.exec('DROP TABLE anchor_submissions')
      db.close()
      const third = await startTestNode({ dataDir, anchoring: { apiKeys: [KEY_A] } })
      try {
        expect((await walk(third.url, KEY_A)).items).toEqual([])
        expect((await fetch(`${third.url}/v1/anchors/${doc('restart-1')}`)).status).toBe(200)
        await submit(third.url, KEY_A, [doc('restart-2')])
        expect((await walk(third.url, KEY_A)).items.map((i) => i.hash)).toEqual([doc('restart-2')])
      } finally {
        await third.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 20_000)
})
