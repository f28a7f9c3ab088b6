/**
 * A validator penalizes the validators that did not vote (README "Running a validator"): on a
 * real Anvil L1 (1 s blocks) with a real sequencer, a validator node holding 3 of the 4 ETH staked
 * and a test-controlled validator holding the other 1 ETH that challenges a correct batch and then
 * never votes. The node votes "correct" on its own, resolves the dispute (a quorum: the batch
 * stands), calls ValidatorSet.penalizeNonVoter for the silent validator, is credited the reporter's
 * share and withdraws it; it does not penalize itself, nor the same validator twice.
 */
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWalletClient, http, parseEther, parseEventLogs, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode, type RunningNode } from '../../sequencer/node.ts'
import { rollupAnchorAbi } from '../../batcher/index.ts'
import { DisputeStatus, validatorSetAbi } from '../../validator/index.ts'
import { rpc, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { startTestL1 } from '../helpers/l1.ts'
import { sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'

describe('a validator after a dispute resolved with a quorum', () => {
  let r: TestRollup
  let node: RunningNode
  let dataDir: string
  const nodeKey = ANVIL_PRIVATE_KEYS[5]
  const nodeAddress = privateKeyToAccount(nodeKey).address
  const silent = privateKeyToAccount(ANVIL_PRIVATE_KEYS[6])

  const readVs = <T>(functionName: string, args: readonly unknown[] = []) => r.l1Client.readContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName, args } as never) as Promise<T>
  const writeVs = async (functionName: string, args: unknown[], value?: bigint) => {
    const wallet = createWalletClient({ chain: r.l1Client.chain, transport: http(r.l1.url, { retryCount: 0 }), account: silent })
    const hash = await wallet.writeContract({ address: r.deployments.validatorSet!, abi: validatorSetAbi, functionName, args, value } as never)
    expect((await r.l1Client.waitForTransactionReceipt({ hash })).status, functionName).toBe('success')
  }

  beforeAll(async () => {
    const l1 = await startTestL1({ blockTime: 1 })
    r = await startTestRollup({ l1, challengeWindowSeconds: 3600, committee: { commitPeriodSeconds: 3, revealPeriodSeconds: 3 }, l1Config: { maxBatchAgeMs: 200 } })
    await writeVs('join', [], parseEther('1'))
    dataDir = tempDir('validator-non-voter-')
    node = await startNode({
      dataDir,
      rpc: { port: 0 },
      logLevel: TEST_LOG_LEVEL,
      replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, confirmations: 1, pollIntervalMs: 100 },
      // it never attests here: an attested batch could no longer be challenged
      validator: { privateKey: nodeKey, stakeWei: parseEther('3'), attestConfirmations: 1_000_000, pollIntervalMs: 200 },
    })
    await until(async () => ((await readVs<{ stake: bigint }>('validatorOf', [nodeAddress])).stake > 0n ? true : undefined), 'the node to join', 30_000)
  }, 120_000)
  afterAll(async () => {
    await node?.close()
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
    await r?.close()
  })

  it('penalizes an eligible validator that revealed no vote, and keeps the reporter\'s share', async () => {
    // a batch posted after both joined: both may vote on it
    await sendTransfers(r.l2, 2)
    const head = await untilPosted(r.l2)
    const index = Number(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })) - 1
    await until(async () => ((await rpc(node.url, 'rollup_getReplicaStatus')).derivation.derivedBlock >= head ? true : undefined), 'the node to derive the batch')
    // the silent validator challenges the (correct) batch, then never votes
    const fromBlock = await r.l1Client.getBlockNumber()
    await writeVs('challenge', [BigInt(index)], parseEther('0.1'))
    const penalized = await until(async () => {
      const logs = parseEventLogs({ abi: validatorSetAbi, logs: await r.l1Client.getLogs({ address: r.deployments.validatorSet!, fromBlock }) })
      return logs.some((l) => l.eventName === 'NonVoterPenalized') ? logs : undefined
    }, 'the node to penalize the silent validator', 40_000)
    const named = (name: string) => penalized.filter((l) => l.eventName === name).map((l) => l.args as Record<string, unknown>)
    expect(named('VoteRevealed')).toEqual([expect.objectContaining({ voter: nodeAddress, saysCorrect: true })])
    expect(named('DisputeResolved')).toEqual([expect.objectContaining({ batchIndex: BigInt(index), status: DisputeStatus.Correct })])
    const penalty = parseEther('0.1') // NON_VOTER_PENALTY_BPS (10 %) of 1 ETH
    expect(named('NonVoterPenalized')).toEqual([{ validator: silent.address, disputeId: 1n, amount: penalty, reporter: nodeAddress, reward: penalty / 2n }])
    expect((await readVs<{ stake: bigint }>('validatorOf', [silent.address])).stake).toBe(parseEther('1') - penalty)
    expect((await readVs<{ stake: bigint }>('validatorOf', [nodeAddress])).stake).toBe(parseEther('3'))
    // the reporter's share is withdrawn by the node itself; nobody is penalized twice
    await until(async () => ((await readVs<bigint>('owed', [nodeAddress])) === 0n ? true : undefined), 'the node to withdraw its reward')
    await new Promise((res) => setTimeout(res, 1_000))
    const all = parseEventLogs({ abi: validatorSetAbi, logs: await r.l1Client.getLogs({ address: r.deployments.validatorSet!, fromBlock }) })
    expect(all.filter((l) => l.eventName === 'NonVoterPenalized')).toHaveLength(1)
    expect((await readVs<{ penalized: boolean }>('voteOf', [1n, silent.address])).penalized).toBe(true)
    expect(await rpc(node.url, 'validator_getStatus')).toMatchObject({ penalties: 1, address: nodeAddress as Address })
  }, 90_000)
})
