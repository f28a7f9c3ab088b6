/**
 * What the bridge tests share: the system sender (impersonated, or signing with its published
 * key), the withdrawal hash and the deposit token metadata computed in TypeScript, so that the
 * contracts are checked against an independent encoding.
 */
import hre from 'hardhat';
import { encodeAbiParameters, keccak256, parseEther, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';

/** The system sender's private key: public by design, keccak256("ai-rollup/system-sender/v1"). */
export const SYSTEM_SENDER_KEY = keccak256(toHex('ai-rollup/system-sender/v1'));
/** contracts/L2/SystemSender.sol's ADDRESS. */
export const SYSTEM_SENDER: Address = '0x4ea248b2bEfB8cB0fd16c8C8C73433F9a1b46a0C';
export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

if (privateKeyToAddress(SYSTEM_SENDER_KEY) !== SYSTEM_SENDER) throw new Error('SYSTEM_SENDER does not match its key');

/** keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount)), as both bridges compute it. */
export function withdrawalHash(nonce: bigint, l2Sender: Address, l1To: Address, l1Token: Address, amount: bigint): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'uint256' }, { type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }],
      [nonce, l2Sender, l1To, l1Token, amount],
    ),
  );
}

/** abi.encode(string name, string symbol, uint8 decimals): a token deposit's metadata. */
export function tokenMetadata(name: string, symbol: string, decimals: number): Hex {
  return encodeAbiParameters([{ type: 'string' }, { type: 'string' }, { type: 'uint8' }], [name, symbol, decimals]);
}

/** A wallet client for the system sender, impersonated and given 1,000,000 ETH to deposit with. */
export async function systemSenderWallet() {
  const testClient = await hre.viem.getTestClient();
  await testClient.impersonateAccount({ address: SYSTEM_SENDER });
  await testClient.setBalance({ address: SYSTEM_SENDER, value: parseEther('1000000') });
  return hre.viem.getWalletClient(SYSTEM_SENDER);
}
