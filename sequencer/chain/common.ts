import { Common, Hardfork, Mainnet, type ParamsDict } from '@ethereumjs/common'
import { paramsBlock } from '@ethereumjs/block'
import { paramsEVM } from '@ethereumjs/evm'
import { paramsTx } from '@ethereumjs/tx'
import { paramsVM } from '@ethereumjs/vm'
import { nativeCrypto } from './crypto.ts'

/**
 * A Common that merges each parameter table once and answers isActivatedEIP from a set. Every @ethereumjs transaction copies its
 * Common and calls `updateParams(paramsTx)`, which deep-copies every EIP's parameters through
 * JSON and rebuilds the cache: 10% of the node's CPU under load. Copies share `_params` (copy()
 * is shallow), so once a table is merged into the root before any copy exists, merging it again
 * changes nothing and can be skipped.
 */
class MergedParamsCommon extends Common {
  private merged?: Set<ParamsDict>
  private activeEIPs?: { source: number[]; set: Set<number> }

  override updateParams(params: ParamsDict): this {
    if (this.merged?.has(params) === true) return this
    super.updateParams(params)
    ;(this.merged ??= new Set()).add(params)
    return this
  }

  /**
   * The EVM asks this for nearly every opcode; the base class scans an array. The set is rebuilt
   * whenever the hardfork or EIP list changes, because Common then replaces that array.
   */
  override isActivatedEIP(eip: number): boolean {
    const source = (this as unknown as { _activatedEIPsCache: number[] })._activatedEIPsCache
    if (this.activeEIPs?.source !== source) this.activeEIPs = { source, set: new Set(source) }
    return this.activeEIPs.set.has(eip)
  }
}

/**
 * The @ethereumjs Common of the L2: mainnet's rules at Prague under our chain id, with the fast
 * secp256k1 and keccak of crypto.ts. One instance per node; transactions, blocks and VMs copy it.
 */
export function createChainCommon(chainId: bigint): Common {
  const common = new MergedParamsCommon({
    chain: { ...Mainnet, chainId: Number(chainId), name: 'ai-rollup' },
    hardfork: Hardfork.Prague,
    customCrypto: nativeCrypto,
  })
  // merged into the root so every later copy starts with a complete parameter cache
  for (const params of [paramsTx, paramsBlock, paramsEVM, paramsVM]) common.updateParams(params)
  return common
}
