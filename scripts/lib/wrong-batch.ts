/**
 * The wrong-root demonstration (README "Running a validator"; test/validator/dispute.test.ts):
 * posts, with the sequencer's key, a batch of the sequencer's own unposted blocks (real data, so
 * every validator can re-execute it) that claims a wrong state root and a withdrawal root with a
 * withdrawal the L2 never made, as a sequencer stealing from the bridge would. The blocks come
 * from the sequencer's sealed-block feed (`rollup_sealedBlocks`), exactly as a batch carries them.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createPublicClient, createWalletClient, encodeAbiParameters, http, keccak256, toHex, zeroHash, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import WebSocket from 'ws'
import { defineL1Chain } from '@ai-rollup/sdk'
import { decodeSealedBlock, encodeBatch, MerkleTree, singleFrame, rollupAnchorAbi, SEALED_BLOCKS_SUBSCRIPTION, type BatchBlock, type L1Deployments, type SealedFeedBlock } from '../../batcher/index.ts'

/** A withdrawal the wrong batch invents: ETH from L1Bridge to `l1To`. */
export interface FakeWithdrawal {
  nonce: bigint
  l2Sender: Address
  l1To: Address
  amount: bigint
}

export interface WrongBatch {
  batchIndex: number
  firstBlock: number
  lastBlock: number
  /** What the batch claims, and what the blocks really give. */
  wrongStateRoot: Hex
  rightStateRoot: Hex
  txHash: Hex
  /** The invented withdrawal and its proof against the wrong batch's withdrawal root. */
  withdrawal: FakeWithdrawal & { l1Token: Address; hash: Hex; proof: Hex[] }
}

/** keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount)), as both bridges compute it. */
export function withdrawalHash(w: FakeWithdrawal, l1Token: Address = '0x0000000000000000000000000000000000000000'): Hex {
  return keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }], [w.nonce, w.l2Sender, w.l1To, l1Token, w.amount]))
}

/** The sequencer's sealed blocks `from`..`to`, read from its feed (its ws URL). */
export async function sealedBlocks(l2WsUrl: string, from: number, to: number, timeoutMs = 30_000): Promise<SealedFeedBlock[]> {
  const ws = new WebSocket(l2WsUrl)
  const blocks: SealedFeedBlock[] = []
  try {
    return await new Promise<SealedFeedBlock[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the feed at ${l2WsUrl} gave ${blocks.length} of blocks ${from}-${to} in ${timeoutMs} ms`)), timeoutMs)
      ws.once('error', reject)
      ws.once('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: [SEALED_BLOCKS_SUBSCRIPTION, { fromBlock: toHex(from) }] })))
      ws.on('message', (raw: Buffer) => {
        const m = JSON.parse(raw.toString())
        if (m.error !== undefined) return reject(new Error(`${SEALED_BLOCKS_SUBSCRIPTION}: ${m.error.message}`))
        if (m.method !== 'eth_subscription') return
        const b = decodeSealedBlock(m.params.result)
        if (b.block.number > to) return
        blocks.push(b)
        if (b.block.number === to) {
          clearTimeout(timer)
          resolve(blocks)
        }
      })
    })
  } finally {
    ws.close()
  }
}

/**
 * Posts the wrong batch: L2 blocks from RollupAnchor.lastBlock() + 1 to the L2 head (at least
 * one must be unposted), their real data and block hash, a wrong state root, and a withdrawal
 * root of `withdrawal` (plus a filler leaf). The sequencer's batcher must not post that range
 * meanwhile (stop it, or win the race).
 */
export async function postWrongBatch(p: { l1RpcUrl: string; l2RpcUrl: string; l2WsUrl: string; deployments: L1Deployments; sequencerKey: Hex; withdrawal: FakeWithdrawal }): Promise<WrongBatch> {
  const chain = defineL1Chain(p.l1RpcUrl, p.deployments.l1ChainId)
  const l1 = createPublicClient({ chain, transport: http(p.l1RpcUrl), pollingInterval: 100 })
  const wallet = createWalletClient({ chain, transport: http(p.l1RpcUrl), account: privateKeyToAccount(p.sequencerKey) })
  const anchor = p.deployments.rollupAnchor
  const from = Number(await l1.readContract({ address: anchor, abi: rollupAnchorAbi, functionName: 'lastBlock' })) + 1
  const head = await fetch(p.l2RpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }) })
  const to = Number((await head.json()).result)
  if (to < from) throw new Error(`every L2 block up to ${to} is posted: make a block first (send a transaction) and post before the batcher does`)
  const feed = await sealedBlocks(p.l2WsUrl, from, to)
  const blocks: BatchBlock[] = feed.map((b) => b.block)
  const last = feed[feed.length - 1]
  const rightStateRoot = bytesToHex(last.stateRoot) as Hex
  const wrongStateRoot = keccak256(toHex(`wrong state root after L2 block ${to}`))
  const l1Token = '0x0000000000000000000000000000000000000000' as Address
  const hash = withdrawalHash(p.withdrawal, l1Token)
  const tree = new MerkleTree([hexToBytes(hash), hexToBytes(keccak256(toHex('filler')))])
  const data = bytesToHex(singleFrame(encodeBatch(blocks, 'brotli'))) as Hex
  const call = {
    address: anchor,
    abi: rollupAnchorAbi,
    functionName: 'submitBatch',
    args: [BigInt(from), BigInt(to), wrongStateRoot, bytesToHex(last.hash) as Hex, bytesToHex(tree.root) as Hex, zeroHash, data],
    account: wallet.account,
  } as const
  // simulated first: a revert (the batcher posted that range first, no bond) names its reason
  const { request } = await l1.simulateContract(call)
  // headroom: a validator's transaction in the same L1 block can change what the submission costs
  const txHash = await wallet.writeContract({ ...request, gas: ((await l1.estimateContractGas(call)) * 3n) / 2n })
  const receipt = await l1.waitForTransactionReceipt({ hash: txHash })
  if (receipt.status !== 'success') throw new Error(`submitBatch reverted (tx ${txHash}, L1 block ${receipt.blockNumber})`)
  const count = await l1.readContract({ address: anchor, abi: rollupAnchorAbi, functionName: 'batchCount' })
  return {
    batchIndex: Number(count) - 1,
    firstBlock: from,
    lastBlock: to,
    wrongStateRoot,
    rightStateRoot,
    txHash,
    withdrawal: { ...p.withdrawal, l1Token, hash, proof: tree.proof(hexToBytes(hash))!.map((x) => bytesToHex(x) as Hex) },
  }
}
