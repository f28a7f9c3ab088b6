/**
 * Deploys ExampleToken, sends some of it to account #1 and prints the balances.
 *
 *   npx hardhat run scripts/deploy-token.ts --network l2        # our node (L2_RPC_URL)
 *   npx hardhat run scripts/deploy-token.ts --network hardhat   # in-process, no node needed
 *
 * Optional environment: TOKEN_NAME, TOKEN_SYMBOL, TOKEN_DECIMALS (default 18),
 * TOKEN_SUPPLY and TOKEN_TRANSFER (whole tokens, defaults 1000000 and 1000).
 */
import hre from 'hardhat';
import { formatUnits, parseUnits } from 'viem';
import { viemClients } from './lib/hardhat-chain';

const DEFAULT_NAME = 'Example Token';
const DEFAULT_SYMBOL = 'EXT';
const DEFAULT_DECIMALS = 18;
const DEFAULT_SUPPLY = '1000000';
const DEFAULT_TRANSFER = '1000';

function envOr(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

async function main(): Promise<void> {
  const name = envOr('TOKEN_NAME', DEFAULT_NAME);
  const symbol = envOr('TOKEN_SYMBOL', DEFAULT_SYMBOL);
  const decimals = Number(envOr('TOKEN_DECIMALS', String(DEFAULT_DECIMALS)));
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) {
    throw new Error(`TOKEN_DECIMALS must be an integer in 0..255, got ${process.env.TOKEN_DECIMALS}`);
  }
  const supply = parseUnits(envOr('TOKEN_SUPPLY', DEFAULT_SUPPLY), decimals);
  const transferAmount = parseUnits(envOr('TOKEN_TRANSFER', DEFAULT_TRANSFER), decimals);

  // hardhat-viem does not know chain 42424: viemClients describes it (scripts/lib/hardhat-chain.ts).
  const { publicClient, wallets } = await viemClients(hre);
  if (wallets.length < 2) throw new Error(`network ${hre.network.name} exposes fewer than 2 accounts`);
  const [deployer, recipient] = wallets;

  const chainId = await publicClient.getChainId();
  console.log(`network ${hre.network.name} (chain ${chainId}), deployer ${deployer.account.address}`);

  // deployContract sends the creation transaction and waits for its receipt.
  const token = await hre.viem.deployContract('ExampleToken', [name, symbol, decimals, supply], {
    client: { public: publicClient, wallet: deployer },
  });
  console.log(`ExampleToken (${name} / ${symbol}, ${decimals} decimals) deployed at ${token.address}`);

  const hash = await token.write.transfer([recipient.account.address, transferAmount]);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') {
    throw new Error(`transfer ${hash} failed in block ${receipt.blockNumber}`);
  }
  console.log(
    `transferred ${formatUnits(transferAmount, decimals)} ${symbol} to account #1 in tx ${hash} ` +
      `(block ${receipt.blockNumber}, gas ${receipt.gasUsed})`,
  );

  const [deployerBalance, recipientBalance] = await Promise.all([
    token.read.balanceOf([deployer.account.address]),
    token.read.balanceOf([recipient.account.address]),
  ]);
  const show = (balance: bigint) => `${formatUnits(balance, decimals)} ${symbol}`;
  console.log(`balance of account #0 ${deployer.account.address}: ${show(deployerBalance)}`);
  console.log(`balance of account #1 ${recipient.account.address}: ${show(recipientBalance)}`);

  if (deployerBalance !== supply - transferAmount || recipientBalance !== transferAmount) {
    throw new Error('balances read back do not match the deployment and transfer');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
