/**
 * Chain handling shared by the Hardhat scripts (`npx hardhat run scripts/… --network l2`):
 * hardhat-viem only knows the chains listed in viem/chains (plus 31337) and throws
 * NetworkNotFoundError for any other id, such as our L2's 42424, so for those we describe the
 * chain ourselves and pass it to hardhat-viem's clients.
 */
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { defineChain, extractChain, type Chain } from 'viem';
import * as knownChains from 'viem/chains';

/** Receipt polling interval in ms for chains unknown to viem (viem would poll every 4 s). */
export const RECEIPT_POLLING_MS = 250;

/** What to pass to `hre.viem.getPublicClient` / `getWalletClients` for the selected network. */
export interface ClientConfig {
  chain?: Chain;
  pollingInterval?: number;
}

/**
 * The client configuration for `hre.network`: empty for a chain viem knows (hardhat-viem resolves
 * those itself, with fast polling on local dev chains), otherwise a `defineChain` for the id the
 * node reports, at the network's URL. Throws if the node's chain id differs from the configured one.
 */
export async function clientConfigFor(hre: HardhatRuntimeEnvironment): Promise<ClientConfig> {
  const chainId = Number(await hre.network.provider.send('eth_chainId'));
  const configured = hre.network.config.chainId;
  if (configured !== undefined && configured !== chainId) {
    throw new Error(
      `network ${hre.network.name} is configured for chain ${configured} but its node reports ${chainId}`,
    );
  }
  const known = extractChain({ chains: Object.values(knownChains) as Chain[], id: chainId });
  if (known !== undefined) return {};
  const url = 'url' in hre.network.config ? hre.network.config.url : 'http://127.0.0.1:8545';
  const chain = defineChain({
    id: chainId,
    name: hre.network.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  return { chain, pollingInterval: RECEIPT_POLLING_MS };
}

/** hardhat-viem's public client and wallet clients for `hre.network`, with `clientConfigFor`'s chain. */
export async function viemClients(hre: HardhatRuntimeEnvironment) {
  const clientConfig = await clientConfigFor(hre);
  const publicClient = await hre.viem.getPublicClient(clientConfig);
  const wallets = await hre.viem.getWalletClients(clientConfig);
  return { clientConfig, publicClient, wallets };
}
