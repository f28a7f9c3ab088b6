/**
 * The peers the throughput benchmarks measure our node against, started the same way for each
 * (scripts/bench-tps.ts with 1 s blocks, scripts/bench-admission.ts with no blocks at all), each
 * with the benchmarks' 60M block gas limit.
 */
import { toHex, type Hex } from 'viem'
import { startAnvil } from './anvil.ts'
import { BLOCK_GAS_LIMIT, cleanup, freePort, HARDHAT_CLI, rpc, spawnNode, waitReady, type RunningNode } from './load.ts'

/** `blockTimeMs`: interval mining at that period; undefined: no blocks (transactions wait in the pool). */
export interface PeerMining {
  blockTimeMs: number | undefined
}

/** `hardhat node` (EDR), automine off: it rejects nonce gaps while automining. */
export async function startHardhatNode({ blockTimeMs }: PeerMining): Promise<RunningNode<'hardhat'>> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  const { child, tail } = spawnNode('hardhat node', [HARDHAT_CLI, 'node', '--hostname', '127.0.0.1', '--port', String(port)])
  const chainId = await waitReady('hardhat node', url, child, tail)
  await rpc(url, 'evm_setAutomine', [false])
  if (blockTimeMs !== undefined) await rpc(url, 'evm_setIntervalMining', [blockTimeMs])
  await rpc(url, 'evm_setBlockGasLimit', [toHex(BLOCK_GAS_LIMIT)])
  return { name: 'hardhat', url, pid: child.pid!, chainId }
}

/** Anvil, the binary of the npm package the devnet uses: `--block-time`, or `--no-mining`. */
export async function startAnvilNode({ blockTimeMs }: PeerMining): Promise<RunningNode<'anvil'>> {
  const mining = blockTimeMs === undefined ? ['--no-mining'] : []
  const anvil = await startAnvil({ silent: true, blockTime: blockTimeMs === undefined ? undefined : blockTimeMs / 1000, extraArgs: [...mining, '--gas-limit', String(BLOCK_GAS_LIMIT)] })
  const child = anvil.process
  cleanup.children.add(child)
  cleanup.closers.add(() => anvil.stop())
  return { name: 'anvil', url: `${anvil.url}/`, pid: child.pid!, chainId: Number(await rpc<Hex>(anvil.url, 'eth_chainId')) }
}
