/**
 * Validators against a real Anvil L1 (1 s blocks), a real sequencer with its batcher and two
 * validator processes started with `npm run validator`'s entry point, plus a replica: batches
 * become final by attestation long before their window; the encodings a validator signs are the
 * contract's own; a batch posted with the sequencer's key that claims a wrong state root (and a
 * withdrawal the L2 never made) is challenged, voted on by commit-reveal and resolved by the
 * validators on their own; it and its successors are deleted, the sequencer's bond slashed, the
 * invented withdrawal never paid; once an operator tops up the bond and restarts the sequencer, its
 * batches are posted again and attested, and every node ends on the sequencer's chain.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashTypedData, parseEther, parseEventLogs, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode, type RunningNode } from '../../sequencer/node.ts'
import { accounts, freePort, ROOT, rpc, tempDir, TEST_LOG_LEVEL } from '../helpers/node.ts'
import { rollupAnchorAbi as anchorArtifactAbi, startTestL1 } from '../helpers/l1.ts'
import { BATCHER_KEY, sendTransfers, startTestRollup, until, untilPosted, type TestRollup } from '../helpers/rollup.ts'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'
import { readArtifact } from '../../scripts/lib/deploy-l1.ts'
import { postWrongBatch, type WrongBatch } from '../../scripts/lib/wrong-batch.ts'
import { attestationTypedData, batchCommitment, DisputeStatus, validatorSetAbi, voteHash } from '../../validator/index.ts'
import { rollupAnchorAbi, type L1Batch } from '../../batcher/index.ts'

const VALIDATOR_KEYS = [ANVIL_PRIVATE_KEYS[5], ANVIL_PRIVATE_KEYS[6]]
const ATTACKER = privateKeyToAccount(ANVIL_PRIVATE_KEYS[8]).address
const bridgeAbi = readArtifact('L1/L1Bridge.sol/L1Bridge.json')!.abi

interface ValidatorProcess {
  child: ChildProcess
  url: string
  address: Address
  output: () => string
  stop(): Promise<void>
}

function spawnValidator(r: TestRollup, key: Hex, port: number, dataDir: string): ValidatorProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sequencer/validator-main.ts'), '--key', key, '--stake', '1', '--l1-rpc', r.l1.url, '--deployments', r.deploymentsPath,
    '--sequencer-rpc', r.l2.url, '--port', String(port), '--data-dir', dataDir, '--l1-confirmations', '1', '--attest-confirmations', '1', '--l1-poll', '200', '--call-workers', '1', '--log-level', 'info'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<void>((res) => child.once('exit', () => res()))
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    address: privateKeyToAccount(key).address,
    output: () => output,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

describe('validators', () => {
  let r: TestRollup
  let validators: ValidatorProcess[] = []
  let replica: RunningNode
  const dirs: string[] = []

  const vs = () => r.deployments.validatorSet!
  const readVs = <T = unknown>(functionName: string, args: readonly unknown[] = []) => r.l1Client.readContract({ address: vs(), abi: validatorSetAbi, functionName, args } as never) as Promise<T>
  const readAnchor = <T = unknown>(functionName: string, args: readonly unknown[] = []) => r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: anchorArtifactAbi(), functionName, args } as never) as Promise<T>

  beforeAll(async () => {
    const l1 = await startTestL1({ blockTime: 1 })
    r = await startTestRollup({ l1, committee: { commitPeriodSeconds: 4, revealPeriodSeconds: 4 }, l1Config: { maxBatchAgeMs: 500 }, node: { bridge: { confirmations: 1, pollIntervalMs: 100 } } })
    for (const key of VALIDATOR_KEYS) {
      const dir = tempDir('validator-test-')
      dirs.push(dir)
      validators.push(spawnValidator(r, key, await freePort(), dir))
    }
    const dir = tempDir('validator-replica-')
    dirs.push(dir)
    replica = await startNode({ dataDir: dir, rpc: { port: 0 }, logLevel: TEST_LOG_LEVEL, replica: { l1RpcUrl: r.l1.url, deploymentsPath: r.deploymentsPath, sequencerRpcUrl: r.l2.url, confirmations: 1, pollIntervalMs: 100 } })
    for (const v of validators) {
      await until(async () => ((await readVs<{ stake: bigint }>('validatorOf', [v.address])).stake > 0n ? true : undefined), `${v.address} to join`, 60_000).catch((err) => {
        throw new Error(`${err.message}\n${v.output()}`)
      })
    }
  }, 120_000)

  afterAll(async () => {
    await Promise.all(validators.map((v) => v.stop()))
    await replica?.close()
    await r?.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('attest every batch they derive: batches are final by two thirds of the stake, long before the 1-hour window', async () => {
    await sendTransfers(r.l2, 3)
    await untilPosted(r.l2)
    const last = Number(await readAnchor<bigint>('batchCount')) - 1
    await until(async () => ((await readAnchor<boolean>('isFinal', [BigInt(last)])) ? true : undefined), `batch ${last} to be final by attestation`, 30_000)
    expect(await readVs<bigint>('quorumCoveredCount')).toBeGreaterThan(BigInt(last))
    // a replica's finalized head follows (RollupAnchor.isFinal)
    const lastBlock = Number((await readAnchor<L1Batch>('getBatch', [BigInt(last)])).lastBlock)
    await until(async () => (Number((await rpc(validators[0].url, 'eth_getBlockByNumber', ['finalized', false]))?.number ?? 0) >= lastBlock ? true : undefined), `block ${lastBlock} finalized on a validator`)
    const status = await rpc(validators[0].url, 'validator_getStatus')
    expect(status).toMatchObject({ running: true, address: validators[0].address, stakeWei: parseEther('1').toString() })
    expect(status.lastAttestedBatch).not.toBeNull()
  }, 60_000)

  it('signs exactly what ValidatorSet checks: the batch commitment, the EIP-712 digest and the vote hash', async () => {
    const index = Number(await readAnchor<bigint>('batchCount')) - 1
    const batch = await readAnchor<L1Batch>('getBatch', [BigInt(index)])
    const commitment = batchCommitment(batch)
    expect(commitment).toBe(await readAnchor<Hex>('batchCommitment', [BigInt(index)]))
    const typed = attestationTypedData(r.deployments.l1ChainId, vs(), BigInt(index), commitment)
    expect(hashTypedData(typed)).toBe(await readVs<Hex>('attestationDigest', [BigInt(index), commitment]))
    const salt = toHex(7n, { size: 32 })
    expect(voteHash(BigInt(index), commitment, salt, validators[0].address)).toBe(await readVs<Hex>('voteHash', [BigInt(index), commitment, salt, validators[0].address]))
    // a signature a validator made is served for aggregation, and verifies for its signer
    const signed = await until(async () => {
      const last = (await rpc(validators[0].url, 'validator_getStatus')).lastAttestedBatch as number
      return (await rpc(validators[0].url, "validator_getAttestation", [toHex(last)])) ?? undefined
    }, 'an attestation')
    expect((signed as unknown as { signer: string }).signer).toBe(validators[0].address)
  })

  it('catch a wrong state root on their own: challenge, commit, reveal, resolve; the batch and its successors go, the bond is slashed, the invented withdrawal is never paid, and every node ends on the right chain', async () => {
    // the bridge holds ETH (a deposit), which the wrong batch's invented withdrawal tries to take
    const depositor = privateKeyToAccount(ANVIL_PRIVATE_KEYS[3])
    const { createWalletClient, http } = await import('viem')
    const l1Wallet = (key: Hex) => createWalletClient({ chain: r.l1Client.chain, transport: http(r.l1.url), account: privateKeyToAccount(key) })
    await r.l1Client.waitForTransactionReceipt({ hash: await l1Wallet(ANVIL_PRIVATE_KEYS[3]).writeContract({ address: r.deployments.l1Bridge!, abi: bridgeAbi, functionName: 'depositETH', args: [depositor.address], value: parseEther('5') }) })
    // the sequencer stops posting; its next blocks go to L1 in a batch with a wrong state root
    await until(async () => ((await rpc(r.l2.url, 'bridge_getDepositStatus', ['0x0']))?.status === 'included' ? true : undefined), 'the deposit on L2', 30_000)
    await untilPosted(r.l2)
    await r.l2.node.batcher!.stop()
    const goodCount = Number(await readAnchor<bigint>('batchCount'))
    await sendTransfers(r.l2, 2, 9)
    const wrong: WrongBatch = await postWrongBatch({
      l1RpcUrl: r.l1.url, l2RpcUrl: r.l2.url, l2WsUrl: r.l2.node.wsUrl, deployments: r.deployments, sequencerKey: BATCHER_KEY,
      withdrawal: { nonce: 1000n, l2Sender: ATTACKER, l1To: ATTACKER, amount: parseEther('1') },
    })
    expect(wrong.batchIndex).toBe(goodCount)
    const { withdrawal } = wrong
    const finalize = () => r.l1Client.simulateContract({ address: r.deployments.l1Bridge!, abi: bridgeAbi, functionName: 'finalizeWithdrawal', args: [BigInt(wrong.batchIndex), withdrawal.nonce, withdrawal.l2Sender, withdrawal.l1To, withdrawal.l1Token, withdrawal.amount, withdrawal.proof], account: ATTACKER })
    // the invented withdrawal is proven against the wrong batch, but the batch is not final
    expect(await readAnchor<boolean>('verifyWithdrawal', [BigInt(wrong.batchIndex), withdrawal.hash, withdrawal.proof])).toBe(true)
    await expect(finalize()).rejects.toThrow(/BatchNotFinal/)

    // the validators do the rest on their own
    const deletedAt = await until(async () => (Number(await readAnchor<bigint>('batchCount')) === goodCount && (await readVs<bigint>('disputeCount')) > 0n ? await r.l1Client.getBlockNumber() : undefined), 'the wrong batch to be deleted', 60_000).catch((err) => {
      throw new Error(`${err.message}\n${validators.map((v) => v.output()).join('\n')}`)
    })
    const logs = parseEventLogs({ abi: [...validatorSetAbi, ...rollupAnchorAbi, { type: 'event', name: 'BatchesDeleted', inputs: [{ name: 'fromIndex', type: 'uint256', indexed: true }, { name: 'previousCount', type: 'uint256', indexed: false }] }] as const, logs: await r.l1Client.getLogs({ fromBlock: 0n, toBlock: deletedAt }) })
    const named = (name: string) => logs.filter((l) => l.eventName === name).map((l) => l.args as Record<string, any>)
    expect(named('ChallengeOpened')).toEqual([expect.objectContaining({ batchIndex: BigInt(wrong.batchIndex) })])
    expect(validators.map((v) => v.address)).toContain(named('ChallengeOpened')[0].challenger)
    expect(named('VoteCommitted').map((e) => e.voter).sort()).toEqual(validators.map((v) => v.address).sort())
    expect(named('VoteRevealed').map((e) => e.saysCorrect)).toEqual([false, false])
    expect(named('DisputeResolved')).toEqual([expect.objectContaining({ batchIndex: BigInt(wrong.batchIndex), status: DisputeStatus.Wrong })])
    expect(named('BatchesDeleted')).toEqual([{ fromIndex: BigInt(wrong.batchIndex), previousCount: BigInt(wrong.batchIndex + 1) }])
    expect(named('SequencerSlashed')).toEqual([expect.objectContaining({ sequencer: r.deployments.sequencer, batchIndex: BigInt(wrong.batchIndex) })])
    expect((await readVs<readonly [bigint, bigint, bigint]>('bondOf', [r.deployments.sequencer]))[0]).toBe(0n)
    // every step logged by the validators (the resolver's line comes once its receipt is read)
    const logged = () => validators.map((v) => v.output()).join('\n')
    await until(() => (/resolved dispute 1 on batch \d+ in L1 tx 0x[0-9a-f]+: Wrong/.test(logged()) ? true : undefined), 'the resolve to be logged')
    // the payout is withdrawn in a validator's step after the resolve: wait for it too
    const steps = ['challenged batch', 'committed its vote', 'revealed its vote (wrong)', 'withdrew']
    await until(() => (steps.every((step) => logged().includes(step)) ? true : undefined), 'every dispute step to be logged').catch(() => undefined)
    for (const step of steps) expect(logged()).toContain(step)
    // the challenger's reward is withdrawn by the validator itself
    const challenger = named('ChallengeOpened')[0].challenger as Address
    await until(async () => ((await readVs<bigint>('owed', [challenger])) === 0n ? true : undefined), 'the challenger to withdraw its reward')
    // the invented withdrawal: its batch is gone
    await expect(finalize()).rejects.toThrow(/UnknownBatch/)

    // an operator tops up the bond and restarts the sequencer: its blocks are posted again, right
    await r.l1Client.waitForTransactionReceipt({ hash: await l1Wallet(ANVIL_PRIVATE_KEYS[0]).writeContract({ address: vs(), abi: validatorSetAbi, functionName: 'depositBond', args: [r.deployments.sequencer], value: parseEther('1') }) })
    await r.restartL2()
    await sendTransfers(r.l2, 1, 10)
    const head = await untilPosted(r.l2, 60_000)
    const count = Number(await readAnchor<bigint>('batchCount'))
    expect(count).toBeGreaterThan(wrong.batchIndex)
    expect((await readAnchor<L1Batch>('getBatch', [BigInt(wrong.batchIndex)])).stateRoot).not.toBe(wrong.wrongStateRoot)
    await until(async () => ((await readAnchor<boolean>('isFinal', [BigInt(count - 1)])) ? true : undefined), 'the re-posted batches to be final by attestation', 30_000)
    await expect(finalize()).rejects.toThrow(/InvalidWithdrawalProof/)
    // every node on the sequencer's chain
    for (const url of [...validators.map((v) => v.url), replica.url]) {
      await until(async () => ((await rpc(url, 'rollup_getReplicaStatus')).derivation.derivedBlock >= head ? true : undefined), `${url} to derive up to ${head}`, 30_000)
      const status = await rpc(url, 'rollup_getReplicaStatus')
      expect(status.derivation).toMatchObject({ running: true, heldBatch: null })
      for (let n = 1; n <= head; n++) {
        const [a, b] = await Promise.all([rpc(r.l2.url, 'eth_getBlockByNumber', [toHex(n), false]), rpc(url, 'eth_getBlockByNumber', [toHex(n), false])])
        expect({ n, hash: b.hash, stateRoot: b.stateRoot }).toEqual({ n, hash: a.hash, stateRoot: a.stateRoot })
      }
    }
    expect(accounts.length).toBeGreaterThan(10)
  }, 180_000)
})
