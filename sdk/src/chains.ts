/**
 * viem chain definitions: the L2 (`aiRollupDevnet`, or `defineAiRollupChain(url)` for another
 * node) and its L1 (`devnetL1`, the devnet's Anvil, or `defineL1Chain(url, id)`).
 */
import { defineChain, type Chain } from 'viem'

/** Chain id of the L2 devnet (0xa5b8), from the node's genesis.dev.json. */
export const AI_ROLLUP_DEVNET_CHAIN_ID = 42424
/** The devnet's L2 node (`npm start`): JSON-RPC, WebSocket and the anchoring API on one port. */
export const DEVNET_L2_RPC_URL = 'http://127.0.0.1:9545'
/** The devnet's L1 (Anvil). */
export const DEVNET_L1_RPC_URL = 'http://127.0.0.1:8545'
/** Chain id of the devnet's L1 (Anvil's default). */
export const DEVNET_L1_CHAIN_ID = 31337

/**
 * The L2 as a viem chain at `rpcUrl` (its WebSocket on the same port).
 * @example
 * const client = createPublicClient({ chain: defineAiRollupChain('https://l2.example'), transport: http() })
 */
export function defineAiRollupChain(rpcUrl: string, chainId: number = AI_ROLLUP_DEVNET_CHAIN_ID): Chain {
  return defineChain({
    id: chainId,
    name: 'AI Rollup Devnet',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl], webSocket: [rpcUrl.replace(/^http/, 'ws')] } },
    testnet: true,
  })
}

/** The devnet's L2 at http://127.0.0.1:9545. */
export const aiRollupDevnet: Chain = defineAiRollupChain(DEVNET_L2_RPC_URL)

/** A viem chain for an L1 known only by its URL and chain id. */
export function defineL1Chain(rpcUrl: string, chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: `L1 (chain ${chainId})`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
}

/** The devnet's L1 (Anvil) at http://127.0.0.1:8545. */
export const devnetL1 = defineL1Chain(DEVNET_L1_RPC_URL, DEVNET_L1_CHAIN_ID)
