/**
 * The devnet L1's state file stays bounded: pruneBlobSidecars drops old blob sidecars from an
 * Anvil state file, Anvil loads the result with the same blocks (same hashes, the transactions and
 * their versioned hashes kept) and serves the blobs it kept, none of the pruned ones (as a beacon
 * node after blob expiry).
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createPublicClient, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_PRIVATE_KEYS, pruneBlobSidecars, startAnvil, type RunningAnvil } from '../../scripts/lib/anvil.ts'
import { frameToBlob, makeSidecar, wrapBlobTransaction } from '../../batcher/blob.ts'
import { tempDir } from '../helpers/l1.ts'

let anvil: RunningAnvil | undefined
afterEach(async () => {
  await anvil?.stop()
  anvil = undefined
})

async function blobsAt(url: string, block: bigint, hash: Hex): Promise<number> {
  const body = (await (await fetch(`${url}/eth/v1/beacon/blobs/${block}?versioned_hashes=${hash}`)).json()) as { data: string[] }
  return body.data.length
}

describe('pruneBlobSidecars', () => {
  it('drops old sidecars: same chain, the newest blobs still served, the pruned ones not', async () => {
    const statePath = join(tempDir('prune-'), 'anvil-state.json')
    anvil = await startAnvil({ silent: true, statePath })
    const l1 = createPublicClient({ transport: http(anvil.url) })
    const account = privateKeyToAccount(ANVIL_PRIVATE_KEYS[5])
    const chainId = await l1.getChainId()
    const posted: { block: bigint; blockHash: Hex; versioned: Hex }[] = []
    for (let i = 0; i < 4; i++) {
      const sidecar = makeSidecar([frameToBlob(Uint8Array.from({ length: 100_000 }, (_, j) => (j * 31 + i) & 0xff))], 0)
      const fees = await l1.estimateFeesPerGas()
      const signed = await account.signTransaction({ type: 'eip4844', chainId, nonce: i, to: account.address, gas: 50_000n, ...fees, maxFeePerBlobGas: 10n ** 9n, blobVersionedHashes: sidecar.versionedHashes })
      const hash = await l1.request({ method: 'eth_sendRawTransaction', params: [wrapBlobTransaction(signed, sidecar)] })
      const receipt = await l1.waitForTransactionReceipt({ hash })
      posted.push({ block: receipt.blockNumber, blockHash: receipt.blockHash, versioned: sidecar.versionedHashes[0] })
    }
    await anvil.stop()
    const before = statSync(statePath).size
    expect(before).toBeGreaterThan(4 * 262_144)
    // keep the newest two blocks' blobs (a dry run says so and changes nothing)
    expect(pruneBlobSidecars(statePath, { keepBlocks: 2, maxBlobBytes: 1e9, dryRun: true })).toMatchObject({ blobsPruned: 2, blobsKept: 2 })
    expect(statSync(statePath).size).toBe(before)
    const result = pruneBlobSidecars(statePath, { keepBlocks: 2, maxBlobBytes: 1e9 })
    expect(result).toMatchObject({ blobsPruned: 2, blobsKept: 2 })
    expect(statSync(statePath).size).toBeLessThan(before - 2 * 262_144)
    anvil = await startAnvil({ silent: true, statePath })
    const again = createPublicClient({ transport: http(anvil.url) })
    for (const p of posted) {
      const block = await again.getBlock({ blockNumber: p.block, includeTransactions: true })
      expect(block.hash).toBe(p.blockHash)
      expect(block.transactions[0].blobVersionedHashes).toEqual([p.versioned])
    }
    expect(await Promise.all(posted.map((p) => blobsAt(anvil!.url, p.block, p.versioned)))).toEqual([0, 0, 1, 1])
    await anvil.stop()
    // a size cap prunes more, but never the newest minKeepBlocks
    expect(pruneBlobSidecars(statePath, { keepBlocks: 100, maxBlobBytes: 0, minKeepBlocks: 1 })).toMatchObject({ blobsPruned: 1, blobsKept: 1 })
    anvil = undefined
  }, 60_000)
})
