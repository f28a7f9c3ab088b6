/**
 * The wrong-root demonstration by hand, against a running devnet (README "Running a validator"):
 *
 *   npx tsx scripts/wrong-root.ts [--l1-rpc URL] [--l2-rpc URL] [--deployments FILE] [--key 0x..]
 *
 * Makes an L2 block (a transfer from dev account #2), then, before the batcher posts it, posts it
 * to RollupAnchor with the sequencer's key (default: the devnet's batcher key, Anvil account #1)
 * claiming a wrong state root and a withdrawal root that pays 1 ETH the L2 never withdrew
 * (scripts/lib/wrong-batch.ts). Then it prints what the validators do on L1, step by step, and
 * tries to take the invented withdrawal before and after. It changes nothing else: the devnet's
 * batcher, finding L1 disagreeing with its blocks, stops; restart `npm start` (it tops up the
 * slashed bond) and the batcher posts the right batch.
 */
import { createPublicClient, http, parseAbi, parseEther, parseEventLogs, toFunctionSelector, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { defineL1Chain, errorText } from '@ai-rollup/sdk'
import { readDeployments, rollupAnchorAbi } from '../batcher/index.ts'
import { DISPUTE_STATUS_NAMES, validatorSetAbi } from '../validator/index.ts'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { postWrongBatch, type WrongBatch } from './lib/wrong-batch.ts'
import { parseFlags, rpc, sleep, waitReceipt } from './lib/load.ts'

const USAGE = 'usage: npx tsx scripts/wrong-root.ts [--l1-rpc http://127.0.0.1:8545] [--l2-rpc http://127.0.0.1:9545] [--deployments data/l1/deployments.json] [--key <sequencer key>]'
const bridgeAbi = parseAbi([
  'function finalizeWithdrawal(uint256 batchIndex, uint256 nonce, address l2Sender, address l1To, address l1Token, uint256 amount, bytes32[] proof)',
  'error BatchNotFinal(uint256 batchIndex)',
  'error UnknownBatch(uint256 batchIndex)',
  'error InvalidWithdrawalProof()',
])
const deletedAbi = parseAbi(['event BatchesDeleted(uint256 indexed fromIndex, uint256 previousCount)'])

async function main(): Promise<void> {
  let l1Url = 'http://127.0.0.1:8545'
  let l2Url = 'http://127.0.0.1:9545'
  let deploymentsPath = 'data/l1/deployments.json'
  let key = ANVIL_PRIVATE_KEYS[1]
  parseFlags(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--l1-rpc') l1Url = value()
    else if (flag === '--l2-rpc') l2Url = value()
    else if (flag === '--deployments') deploymentsPath = value()
    else if (flag === '--key') key = value() as Hex
    else return false
    return true
  })
  const deployments = readDeployments(deploymentsPath)
  const l1 = createPublicClient({ chain: defineL1Chain(l1Url, deployments.l1ChainId), transport: http(l1Url) })
  const attacker = privateKeyToAccount(ANVIL_PRIVATE_KEYS[8]).address
  const user = privateKeyToAccount(ANVIL_PRIVATE_KEYS[2])
  const l2ChainId = Number(await rpc<Hex>(l2Url, 'eth_chainId'))

  // 1. a new L2 block, posted wrong before the batcher posts it right (retried if the batcher wins)
  let wrong: WrongBatch | undefined
  for (let attempt = 1; wrong === undefined; attempt++) {
    const nonce = Number(await rpc<Hex>(l2Url, 'eth_getTransactionCount', [user.address, 'pending']))
    const raw = await user.signTransaction({ type: 'eip1559', chainId: l2ChainId, nonce, gas: 21_000n, maxFeePerGas: parseEther('0.00000001'), maxPriorityFeePerGas: 1_000_000_000n, to: attacker, value: 1n })
    await waitReceipt(l2Url, await rpc<Hex>(l2Url, 'eth_sendRawTransaction', [raw]), 'an L2 transfer', 20)
    try {
      wrong = await postWrongBatch({ l1RpcUrl: l1Url, l2RpcUrl: l2Url, l2WsUrl: l2Url.replace(/^http/, 'ws'), deployments, sequencerKey: key, withdrawal: { nonce: 1_000_000n, l2Sender: attacker, l1To: attacker, amount: parseEther('1') } })
    } catch (err) {
      if (attempt >= 5) throw err
      console.log(`the batcher posted first (${errorText(err)}); again`)
    }
  }
  console.log(`posted wrong batch ${wrong.batchIndex} (L2 blocks ${wrong.firstBlock}-${wrong.lastBlock}) in L1 tx ${wrong.txHash}`)
  console.log(`  claims state root ${wrong.wrongStateRoot}; the blocks give ${wrong.rightStateRoot}`)
  console.log(`  and a withdrawal of 1 ETH to ${attacker} the L2 never made (${wrong.withdrawal.hash})`)
  const tryWithdrawal = async () => {
    const w = wrong!.withdrawal
    try {
      await l1.simulateContract({ address: deployments.l1Bridge!, abi: bridgeAbi, functionName: 'finalizeWithdrawal', args: [BigInt(wrong!.batchIndex), w.nonce, w.l2Sender, w.l1To, w.l1Token, w.amount, w.proof], account: attacker })
      return 'would pay out (!)'
    } catch (err) {
      // Anvil names a custom error by its selector only: name it from the ABI
      const selector = /custom error (0x[0-9a-fA-F]{8})/.exec(String((err as Error).message))?.[1]
      const named = bridgeAbi.find((x) => x.type === 'error' && toFunctionSelector(`${x.name}(${x.inputs.map((i) => i.type).join(',')})`) === selector?.toLowerCase())
      return `refused: ${named === undefined ? errorText(err) : `${named.name} (L1Bridge)`}`
    }
  }
  if (deployments.l1Bridge !== undefined) console.log(`  L1Bridge.finalizeWithdrawal of it now: ${await tryWithdrawal()}`)

  // 2. what the validators do, as L1 records it
  const from = await l1.getBlockNumber()
  let seen = from
  const deadline = Date.now() + 180_000
  for (let done = false; !done; ) {
    if (Date.now() > deadline) throw new Error('no resolution within 180 s: are the devnet validators running (npm start runs one)?')
    await sleep(1000)
    const head = await l1.getBlockNumber()
    if (head <= seen) continue
    const logs = await l1.getLogs({ fromBlock: seen + 1n, toBlock: head, address: [deployments.validatorSet!, deployments.rollupAnchor] })
    seen = head
    for (const e of parseEventLogs({ abi: [...validatorSetAbi, ...rollupAnchorAbi, ...deletedAbi], logs })) {
      const a = e.args as Record<string, any>
      if (e.eventName === 'ChallengeOpened') console.log(`L1 block ${e.blockNumber}: ${a.challenger} challenged batch ${a.batchIndex} (dispute ${a.disputeId}, bond ${a.bond} wei); commit until L1 time ${a.commitDeadline}, reveal until ${a.revealDeadline}`)
      else if (e.eventName === 'VoteCommitted') console.log(`L1 block ${e.blockNumber}: ${a.voter} committed a vote`)
      else if (e.eventName === 'VoteRevealed') console.log(`L1 block ${e.blockNumber}: ${a.voter} revealed: the batch is ${a.saysCorrect ? 'correct' : 'wrong'} (${a.stake} wei of stake)`)
      else if (e.eventName === 'DisputeResolved') console.log(`L1 block ${e.blockNumber}: dispute resolved: ${DISPUTE_STATUS_NAMES[Number(a.status)]} (wrong ${a.wrongStake}, correct ${a.correctStake} of ${a.eligibleStake} wei)`)
      else if (e.eventName === 'SequencerSlashed') console.log(`L1 block ${e.blockNumber}: sequencer ${a.sequencer} slashed ${a.amount} wei, ${a.reward} to the challenger`)
      else if (e.eventName === 'BatchesDeleted') {
        console.log(`L1 block ${e.blockNumber}: RollupAnchor deleted batches ${a.fromIndex} to ${a.previousCount - 1n}`)
        done = true
      }
    }
  }
  if (deployments.l1Bridge !== undefined) console.log(`L1Bridge.finalizeWithdrawal of the invented withdrawal now: ${await tryWithdrawal()}`)
  console.log('\nThe devnet batcher stopped (L1 disagreed with its blocks): restart npm start; it tops up the slashed bond and posts the right batch, which the validator attests.')
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
