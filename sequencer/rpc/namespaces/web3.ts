import { keccak256 } from 'viem'
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import { hex } from '../format.ts'
import type { RpcContext } from '../context.ts'

export function web3Methods(ctx: RpcContext): MethodTable {
  return {
    web3_clientVersion: method([], () => ctx.clientVersion),
    web3_sha3: method([p.data], (d) => keccak256(hex(d) as `0x${string}`)),
  }
}
