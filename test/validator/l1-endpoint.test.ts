/**
 * A validator whose L1 endpoint lies or stalls (README "Running a validator"): a validator node
 * reaches Anvil's JSON-RPC only through a proxy the test controls (its blobs come from Anvil's
 * blobs API directly, --l1-beacon), while the sequencer posts to Anvil directly. A proxy that rewrites RollupAnchor.getBatch's answer (one field of the record) gets
 * no signature: the validator cross-checks it with RollupAnchor.batchCommitment, says so in its
 * health and signs once the endpoint answers straight again. A proxy that never answers gets
 * retries, no signature and a health that is not ok.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther, toFunctionSelector, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode, type RunningNode } from '../../sequencer/node.ts'
import { rollupAnchorAbi } from '../../batcher/index.ts'
import { validatorSetAbi } from '../../validator/index.ts'
import { rpc, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { startTestL1 } from '../helpers/l1.ts'
import { sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'

const GET_BATCH = toFunctionSelector('getBatch(uint256)')

type Mode = 'pass' | 'lie' | 'stall'

/** An HTTP JSON-RPC proxy: passes, rewrites getBatch's submittedAt (+1 s), or holds every request unanswered. */
async function startProxy(target: string): Promise<{ url: string; mode: Mode; close(): Promise<void> }> {
  const held: ServerResponse[] = []
  const proxy = { url: '', mode: 'pass' as Mode, close: async () => {} }
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    for await (const chunk of req) body += chunk
    if (proxy.mode === 'stall') return void held.push(res)
    const answer = await (await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()
    if (proxy.mode === 'pass') return void res.writeHead(200, { 'content-type': 'application/json' }).end(answer)
    const requests = [JSON.parse(body)].flat() as { id: number; method: string; params: [{ data?: Hex; input?: Hex }] }[]
    const responses = [JSON.parse(answer)].flat() as { id: number; result?: Hex }[]
    for (const q of requests) {
      const data = q.method === 'eth_call' ? (q.params[0].data ?? q.params[0].input) : undefined
      const a = responses.find((x) => x.id === q.id)
      if (data?.startsWith(GET_BATCH) !== true || a?.result === undefined || a.result.length !== 2 + 64 * 10) continue
      // word 2 is submittedAt: one second later, everything else as L1 has it
      const word = BigInt(`0x${a.result.slice(2 + 64 * 2, 2 + 64 * 3)}`) + 1n
      a.result = `${a.result.slice(0, 2 + 64 * 2)}${toHex(word, { size: 32 }).slice(2)}${a.result.slice(2 + 64 * 3)}` as Hex
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(JSON.parse(body)) ? responses : responses[0]))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  proxy.close = async () => {
    for (const res of held) res.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return proxy
}

describe('a validator whose L1 endpoint lies or stalls', () => {
  let r: TestRollup
  let proxy: Awaited<ReturnType<typeof startProxy>>
  let node: RunningNode
  let dataDir: string
  const nodeAddress = privateKeyToAccount(ANVIL_PRIVATE_KEYS[5]).address

  const hasAttested = (index: number) => r.l1Client.readContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName: 'hasAttested', args: [BigInt(index), nodeAddress] })
  const batchCount = async () => Number(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' }))
  const validatorHealth = () => node.health().find((h) => h.name === 'validator')!

  beforeAll(async () => {
    const l1 = await startTestL1({ blockTime: 1 })
    r = await startTestRollup({ l1, challengeWindowSeconds: 3600, l1Config: { maxBatchAgeMs: 200 } })
    proxy = await startProxy(r.l1.url)
    dataDir = tempDir('validator-l1-endpoint-')
    node = await startNode({
      dataDir,
      rpc: { port: 0 },
      logLevel: TEST_LOG_LEVEL,
      replica: { l1RpcUrl: proxy.url, l1BeaconUrl: r.l1.url, deploymentsPath: r.deploymentsPath, confirmations: 1, pollIntervalMs: 100, unreachableWarnAfterMs: 1_000 },
      validator: { privateKey: ANVIL_PRIVATE_KEYS[5], stakeWei: parseEther('1'), attestConfirmations: 1, pollIntervalMs: 200 },
    })
    await until(async () => ((await r.l1Client.readContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName: 'validatorOf', args: [nodeAddress] })).stake > 0n ? true : undefined), 'the node to join', 30_000)
  }, 120_000)
  afterAll(async () => {
    await node?.close()
    await proxy?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
    await r?.close()
  })

  it('signs nothing on a getBatch answer that RollupAnchor.batchCommitment contradicts, and signs once the endpoint is straight', async () => {
    proxy.mode = 'lie'
    await sendTransfers(r.l2, 2)
    const head = await untilPosted(r.l2)
    const index = (await batchCount()) - 1
    // the lie leaves blocks, roots and data alone: derivation goes on, the signature does not happen
    await until(async () => ((await rpc(node.url, 'rollup_getReplicaStatus')).derivation.derivedBlock >= head ? true : undefined), 'the node to derive the batch')
    const health = await until(() => (validatorHealth().ok ? undefined : validatorHealth()), 'the validator to report the contradiction')
    expect(health.detail).toMatch(/contradicts itself.*getBatch\(\d+\) hashes to/)
    await new Promise((res) => setTimeout(res, 1_500))
    expect(await hasAttested(index)).toBe(false)
    expect(await rpc(node.url, 'validator_getAttestation', [toHex(index)])).toBeNull()
    expect((await rpc(node.url, 'validator_getStatus')).attestations).toBe(0)
    // the endpoint answers straight again: the batch is signed, with L1's own commitment
    proxy.mode = 'pass'
    await until(async () => ((await hasAttested(index)) ? true : undefined), `batch ${index} to be attested`)
    const signed = await rpc(node.url, 'validator_getAttestation', [toHex(index)])
    expect(signed.commitment).toBe(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: [{ type: 'function', name: 'batchCommitment', stateMutability: 'view', inputs: [{ name: 'i', type: 'uint256' }], outputs: [{ type: 'bytes32' }] }] as const, functionName: 'batchCommitment', args: [BigInt(index)] }))
    await until(() => (validatorHealth().ok ? true : undefined), 'the validator health to recover')
  })

  it('retries an endpoint that never answers, signs nothing meanwhile and reports not ok', async () => {
    proxy.mode = 'stall'
    await sendTransfers(r.l2, 1, 7)
    await untilPosted(r.l2)
    const index = (await batchCount()) - 1
    // the first call times out after 15 s; from then on, with no success for 1 s, health is not ok
    const health = await until(() => (validatorHealth().ok ? undefined : validatorHealth()), 'the validator to report the L1 down', 40_000)
    expect(health.detail).toMatch(/no successful L1 call/)
    expect(await hasAttested(index)).toBe(false)
    const status = node.validator!.status()
    expect(status.l1Reachable).toBe(false)
    expect(status.l1ConsecutiveFailures).toBeGreaterThan(0)
    // it was retrying all along: the endpoint back, the batch is attested
    proxy.mode = 'pass'
    await until(async () => ((await hasAttested(index)) ? true : undefined), `batch ${index} to be attested`, 40_000)
    await until(() => (validatorHealth().ok ? true : undefined), 'the validator health to recover', 20_000)
  }, 90_000)
})
