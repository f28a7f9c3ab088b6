/**
 * An L1 endpoint whose eth_getLogs answer leaves a deposit out (a load-balanced backend behind the
 * others) must not make the watcher skip it: L1Bridge's own deposit counter exposes the gap, the
 * read is retried, and the deposit arrives once the answers are complete. The endpoint here is a
 * real HTTP proxy in front of Anvil that empties eth_getLogs answers while told to.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther } from 'viem'
import { depositETH } from '@ai-rollup/sdk'
import { startTestL1, type TestL1 } from '../helpers/l1.ts'
import { until } from '../helpers/rollup.ts'
import { l2Balance, mineL1, startBridgeRollup, untilDeposit, USERS, type BridgeRollup } from './helpers.ts'

describe('deposit watcher and an incomplete eth_getLogs answer', () => {
  let anvil: TestL1
  let proxy: http.Server
  let dropLogs = false
  let r: BridgeRollup

  beforeAll(async () => {
    anvil = await startTestL1()
    proxy = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', async () => {
        const upstream = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        let text = await upstream.text()
        if (dropLogs) {
          const drop = (m: { method?: string }, a: { result?: unknown }) => (m.method === 'eth_getLogs' ? { ...a, result: [] } : a)
          const request = JSON.parse(body)
          const answer = JSON.parse(text)
          text = JSON.stringify(Array.isArray(request) ? answer.map((a: { id: unknown; result?: unknown }) => drop(request.find((m: { id: unknown }) => m.id === a.id) ?? {}, a)) : drop(request, answer))
        }
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text)
      })
    })
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done))
    const viaProxy: TestL1 = { ...anvil, url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, close: async () => undefined }
    r = await startBridgeRollup({ l1: viaProxy })
  }, 60_000)
  afterAll(async () => {
    await r.close()
    await new Promise((done) => proxy.close(done))
    await anvil.close()
  })

  it('retries until the logs are complete, then includes the deposit once', async () => {
    dropLogs = true
    const user = await r.user(0)
    const before = await l2Balance(r.l2, 'eth', USERS[0])
    const d = await depositETH(user, { amount: parseEther('0.25') })
    await mineL1(anvil, 2)
    const stalled = await until(async () => {
      const s = await r.l2.rpc('bridge_getStatus')
      return /incomplete eth_getLogs answer/.test(s.lastError?.message ?? '') ? s : undefined
    }, 'the watcher to notice the missing log')
    expect(stalled.stopped).toBeNull()
    expect(await r.l2.rpc('bridge_getDepositStatus', [`0x${d.nonce.toString(16)}`])).toBeNull()
    dropLogs = false
    const done = await untilDeposit(r.l2, d.nonce)
    expect(done.status).toBe('included')
    expect((await l2Balance(r.l2, 'eth', USERS[0])) - before).toBe(parseEther('0.25'))
  }, 60_000)
})
