import { Common, Hardfork, createCustomCommon, Mainnet } from '@ethereumjs/common'
import { nativeCrypto } from './crypto.ts'

/**
 * The @ethereumjs Common of the L2: mainnet's rules at Prague under our chain id, with native
 * secp256k1 sender recovery. One instance per node; transactions and blocks share it.
 */
export function createChainCommon(chainId: bigint): Common {
  return createCustomCommon(
    { chainId: Number(chainId), name: 'ai-rollup' },
    Mainnet,
    { hardfork: Hardfork.Prague, customCrypto: nativeCrypto },
  )
}
