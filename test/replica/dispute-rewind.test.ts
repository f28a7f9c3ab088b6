/**
 * A replica that had already derived, checked and marked safe the batches a dispute then deletes
 * (Derivation's reconcile step, README "Replicas"): a test-controlled validator holding all of the
 * stake votes a batch the replica reproduced fine "wrong", so L1 deletes it and every later one
 * although nothing was wrong with them. The replica must go back to the last block of the last
 * batch L1 still holds (heads, blocks, transactions and state) and stay there, running and not
 * held, while the sequencer is halted by the deletion (it posts nothing more until an operator
 * rebuilds it from L1: test/batcher/committee.test.ts).
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWalletClient, http, keccak256, parseEther, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode, type RunningNode } from '../../sequencer/node.ts'
import { rollupAnchorAbi, type L1Batch } from '../../batcher/index.ts'
import { validatorSetAbi } from '../../validator/index.ts'
import { rpc, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { l1Rpc, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'

const COMMIT_PERIOD = 2
const REVEAL_PERIOD = 2

describe('a replica whose derived batches a dispute deletes', () => {
  let r: TestRollup
  let replica: RunningNode
  let replicaDir: string
  const validator = privateKeyToAccount(ANVIL_PRIVATE_KEYS[5])
  const wallet = () => createWalletClient({ chain: r.l1Client.chain, transport: http(r.l1.url, { retryCount: 0 }), account: validator })

  const readAnchor = <T>(functionName: string, args: readonly unknown[] = []) => r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName, args } as never) as Promise<T>
  const writeVs = async (functionName: string, args: unknown[], value?: bigint) => {
    const hash = await wallet().writeContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName, args, value } as never)
    expect((await r.l1Client.waitForTransactionReceipt({ hash })).status, functionName).toBe('success')
  }
  const skip = async (seconds: number) => {
    await l1Rpc(r.l1, 'evm_increaseTime', [seconds])
    await l1Rpc(r.l1, 'evm_mine')
  }
  const status = () => rpc(replica.url, 'rollup_getReplicaStatus')
  const untilDerived = async (head: number, ms = 30_000) =>
    until(async () => ((await status()).derivation.derivedBlock >= head ? true : undefined), `the replica to derive up to block ${head}`, ms)

  beforeAll(async () => {
    r = await startTestRollup({ challengeWindowSeconds: 3600, committee: { commitPeriodSeconds: COMMIT_PERIOD, revealPeriodSeconds: REVEAL_PERIOD } })
    // the only validator, joined before any batch: all of the stake, a quorum on its own
    await writeVs('join', [], parseEther('1'))
    await l1Rpc(r.l1, 'evm_mine')
    replicaDir = tempDir('replica-dispute-')
    // no feed: every block it holds comes from L1, so its heads say exactly what L1 gave it
    replica = await startNode({ dataDir: replicaDir, rpc: { port: 0 }, logLevel: TEST_LOG_LEVEL, replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, confirmations: 1, pollIntervalMs: 50 } })
  }, 120_000)
  afterAll(async () => {
    await replica?.close()
    if (replicaDir !== undefined) rmSync(replicaDir, { recursive: true, force: true })
    await r?.close()
  })

  it('rewinds to the last batch L1 still holds and stays on its chain, whole and running', async () => {
    await sendTransfers(r.l2, 2)
    const good = await untilPosted(r.l2)
    const goodCount = Number(await readAnchor<bigint>('batchCount'))
    expect(Number((await readAnchor<L1Batch>('getBatch', [BigInt(goodCount - 1)])).lastBlock)).toBe(good)
    // the batches the dispute will delete: derived, checked and safe on the replica
    const [deletedTx] = await sendTransfers(r.l2, 3, 6)
    const head = await untilPosted(r.l2)
    const count = Number(await readAnchor<bigint>('batchCount'))
    expect(count).toBeGreaterThan(goodCount)
    await untilDerived(head)
    const before = await status()
    expect(before.heads).toMatchObject({ unsafe: head, safe: head })
    expect(before.derivation).toMatchObject({ lastBatchIndex: count - 1, heldBatch: null, l1Resets: 0 })
    const derivedBlock = await rpc(replica.url, 'eth_getBlockByNumber', [toHex(head), false])
    expect(derivedBlock.hash).toBe((await rpc(r.l2.url, 'eth_getBlockByNumber', [toHex(head), false])).hash)

    // the majority votes the (correct) batch goodCount wrong: L1 deletes it and every later one
    await writeVs('challenge', [BigInt(goodCount)], parseEther('0.1'))
    const salt = keccak256(toHex('salt'))
    const claimed = keccak256(toHex('not what L1 holds'))
    const voteHash = (await r.l1Client.readContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName: 'voteHash', args: [BigInt(goodCount), claimed, salt, validator.address] })) as Hex
    await writeVs('commitVote', [BigInt(goodCount), voteHash])
    await skip(COMMIT_PERIOD + 1)
    await writeVs('revealVote', [BigInt(goodCount), claimed, salt])
    await skip(REVEAL_PERIOD + 1)
    await writeVs('resolve', [BigInt(goodCount)])
    expect(Number(await readAnchor<bigint>('batchCount'))).toBe(goodCount)

    // the replica goes back to the last block of the last batch L1 holds: heads, blocks, transactions
    const rewound = await until(async () => {
      const s = await status()
      return s.derivation.l1Resets >= 1 && s.heads.unsafe === good ? s : undefined
    }, `the replica to rewind to block ${good}`)
    expect(rewound.heads).toMatchObject({ unsafe: good, safe: good })
    expect(rewound.derivation).toMatchObject({ derivedBlock: good, lastBatchIndex: goodCount - 1, heldBatch: null, l1BatchCount: goodCount })
    expect(await rpc(replica.url, 'eth_blockNumber')).toBe(toHex(good))
    expect(await rpc(replica.url, 'eth_getBlockByNumber', [toHex(good + 1), false])).toBeNull()
    expect(await rpc(replica.url, 'eth_getBlockByNumber', ['safe', false])).toMatchObject({ number: toHex(good) })
    expect(await rpc(replica.url, 'eth_getTransactionByHash', [deletedTx])).toBeNull()
    expect(await rpc(replica.url, 'rollup_getBatch', [toHex(goodCount)])).toBeNull()
    // the state is the one at block `good` again: the deleted transfers' sender has its old nonce
    expect(await rpc(replica.url, 'eth_getTransactionCount', [r.l2.wallet(6).account!.address, 'latest'])).toBe(await rpc(r.l2.url, 'eth_getTransactionCount', [r.l2.wallet(6).account!.address, toHex(good)]))

    // it stays there, whole and running: L1 holds nothing after batch goodCount - 1 (the sequencer
    // halted on BatchesDeleted and re-posts nothing until an operator rebuilds it from L1)
    await until(async () => ((await r.l2.rpc('rollup_getBatcherStatus')).running ? undefined : true), 'the sequencer\'s batcher to halt')
    await new Promise((res) => setTimeout(res, 500))
    const later = await status()
    expect(later.heads).toMatchObject({ unsafe: good, safe: good })
    expect(later.derivation).toMatchObject({ running: true, l1Resets: 1, derivedBlock: good, heldBatch: null })
    for (let n = 1; n <= good; n++) {
      const [a, b] = await Promise.all([rpc(r.l2.url, 'eth_getBlockByNumber', [toHex(n), false]), rpc(replica.url, 'eth_getBlockByNumber', [toHex(n), false])])
      expect({ n, hash: b.hash, stateRoot: b.stateRoot }).toEqual({ n, hash: a.hash, stateRoot: a.stateRoot })
    }
  }, 120_000)
})
