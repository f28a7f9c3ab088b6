/**
 * viem chain definitions for this L2, so dApps write `createPublicClient({ chain: aiRollupDevnet, ... })`.
 * `defineAiRollupChain(url)` gives the same chain at another RPC URL.
 */
import { defineChain } from 'viem'
import { DEFAULT_CHAIN_ID } from './constants.ts'

export function defineAiRollupChain(rpcUrl: string, chainId: number = Number(DEFAULT_CHAIN_ID)) {
  return defineChain({
    id: chainId,
    name: 'AI Rollup Devnet',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl], webSocket: [rpcUrl.replace(/^http/, 'ws')] } },
    testnet: true,
  })
}

/** The dev chain at its default address, http://127.0.0.1:9545. */
export const aiRollupDevnet = defineAiRollupChain('http://127.0.0.1:9545')
