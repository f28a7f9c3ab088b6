import { method, type MethodTable } from '../methods.ts'
import type { RpcContext } from '../context.ts'

/** net_: the sequencer has no peers; net_version is the chain id in decimal, as in geth. */
export function netMethods(ctx: RpcContext): MethodTable {
  return {
    net_version: method([], () => ctx.common.chainId().toString()),
    net_listening: method([], () => true),
    net_peerCount: method([], () => '0x0'),
  }
}
