/**
 * The sequencer under the validator committee (ValidatorSet on a real Anvil L1): its finalized
 * head follows RollupAnchor.isFinal (two thirds of the stake attesting makes a batch final at
 * once, long before its challenge window), rollup_getBatch reports attestations and disputes, and
 * when a dispute deletes its batches the sequencer stops producing blocks and says why.
 */
import { createWalletClient, http, keccak256, parseEther, toHex, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { validatorSetAbi, rollupAnchorAbi } from '@ai-rollup/sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANVIL_PRIVATE_KEYS } from '../../scripts/lib/anvil.ts'
import { l1Rpc, sendTransfers, startTestRollup, type TestRollup } from '../helpers/rollup.ts'

const COMMIT_PERIOD = 30
const REVEAL_PERIOD = 30

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('the sequencer under the validator committee', () => {
  let r: TestRollup
  const validator = privateKeyToAccount(ANVIL_PRIVATE_KEYS[5])
  let wallet: ReturnType<typeof createWalletClient>
  let validatorSet: Hex

  /** Waits until L1 holds batch `index` and returns it as rollup_getBatch shows it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const batch = (index: number): Promise<any> => waitFor(`batch ${index}`, async () => (await r.l2.rpc('rollup_getBatch', [toHex(index)])) ?? undefined)
  const write = async (functionName: string, args: unknown[], value?: bigint) => {
    const hash = await wallet.writeContract({ address: validatorSet, abi: validatorSetAbi, functionName, args, value, account: validator, chain: null } as never)
    const receipt = await r.l1Client.waitForTransactionReceipt({ hash })
    expect(receipt.status, functionName).toBe('success')
  }
  const skip = async (seconds: number) => {
    await l1Rpc(r.l1, 'evm_increaseTime', [seconds])
    await l1Rpc(r.l1, 'evm_mine')
  }

  beforeAll(async () => {
    r = await startTestRollup({ challengeWindowSeconds: 3600, committee: { commitPeriodSeconds: COMMIT_PERIOD, revealPeriodSeconds: REVEAL_PERIOD } })
    validatorSet = r.deployments.validatorSet!
    wallet = createWalletClient({ transport: http(r.l1.url, { retryCount: 0 }) })
    // the only validator, joined before any batch: all of the stake
    await write('join', [], parseEther('1'))
    await l1Rpc(r.l1, 'evm_mine')
  }, 60_000)
  afterAll(() => r?.close())

  it('finalizes a batch as soon as two thirds of the stake attest it, and reports the attestations', async () => {
    await sendTransfers(r.l2, 1)
    const before = await batch(0)
    expect(before.attestations).toMatchObject({ count: 0, stake: '0', needed: String((2n * parseEther('1') + 2n) / 3n), quorum: false })
    expect(before.dispute).toBeNull()
    expect(before.final).toBe(false) // a 3,600 s window: not final by time
    const commitment = (await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCommitment', args: [0n] })) as Hex
    const signature = await validator.signTypedData({
      domain: { name: 'ai-rollup ValidatorSet', version: '1', chainId: r.deployments.l1ChainId, verifyingContract: validatorSet },
      types: { Attestation: [{ name: 'batchIndex', type: 'uint256' }, { name: 'commitment', type: 'bytes32' }] },
      primaryType: 'Attestation',
      message: { batchIndex: 0n, commitment },
    })
    await write('attest', [0n, [signature]])
    await waitFor('finalized head', async () => ((await r.l2.rpc('eth_getBlockByNumber', ['finalized', false])).number === toHex(before.lastBlock) ? true : undefined))
    const after = await r.l2.rpc('rollup_getBatch', ['0x0'])
    expect(after.attestations).toMatchObject({ count: 1, stake: parseEther('1').toString(), quorum: true })
    expect(after.final).toBe(true)
  })

  it('reports an open dispute, and stops producing blocks when L1 deletes its batches', async () => {
    await sendTransfers(r.l2, 1)
    const target = await batch(1)
    await write('challenge', [1n], parseEther('0.1'))
    const disputed = await r.l2.rpc('rollup_getBatch', ['0x1'])
    expect(disputed.dispute).toMatchObject({ status: 'open', challenger: validator.address, blocking: true })
    expect(disputed.dispute.revealEndsAt - disputed.dispute.commitEndsAt).toBe(REVEAL_PERIOD)
    // the validator votes that the stored commitment is wrong (as one that derived another state would)
    const salt = keccak256(toHex('salt'))
    const claimed = keccak256(toHex('another state'))
    const hash = (await r.l1Client.readContract({ address: validatorSet, abi: validatorSetAbi, functionName: 'voteHash', args: [1n, claimed, salt, validator.address] })) as Hex
    await write('commitVote', [1n, hash])
    await skip(COMMIT_PERIOD + 1)
    await write('revealVote', [1n, claimed, salt])
    await skip(REVEAL_PERIOD + 1)
    await write('resolve', [1n])
    expect(await r.l1Client.readContract({ address: r.deployments.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })).toBe(1n)

    // the batcher sees the deletion, stops for good and halts block production
    const status = await waitFor('the batcher to stop', async () => {
      const s = await r.l2.rpc('rollup_getBatcherStatus')
      return s.running ? undefined : s
    })
    expect(status.lastError?.message ?? '').toMatch(/deleted batches from 1/)
    const health = await fetch(new URL('/health', r.l2.url)).then((res) => res.json())
    expect(JSON.stringify(health)).toMatch(/halted/)
    // a transaction is accepted into the pool but no block is made any more
    const head = Number(await r.l2.rpc('eth_blockNumber'))
    await r.l2.wallet(3).sendTransaction({ to: validator.address, value: 1n })
    await new Promise((res) => setTimeout(res, 1_500))
    expect(Number(await r.l2.rpc('eth_blockNumber'))).toBe(head)
    expect(head).toBeGreaterThanOrEqual(target.lastBlock)
  })
})
