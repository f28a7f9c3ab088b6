import { bytesToHex } from '@ethereumjs/util'
import { method, type MethodTable } from '../methods.ts'
import { ErrorCode, RpcError } from '../errors.ts'
import * as p from '../params.ts'

/** What a replica's methods need (declared here; node.ts gives the forwarder and the services' status). */
export interface ReplicaView {
  /** Present with --sequencer-rpc: eth_sendRawTransaction goes there. */
  forward?: (raw: `0x${string}`) => Promise<unknown>
  status(): unknown
}

/** -32601: the method exists, but only a sequencer can answer it. */
function notOnReplica(name: string, what: string): never {
  throw new RpcError(ErrorCode.methodNotFound, `${name} is not available on a replica (it does not sequence): ${what}`)
}

/**
 * A replica's answers where they differ from the sequencer's (the method list stays the same):
 *   eth_sendRawTransaction   forwarded to the sequencer, its answer returned as it is (op-geth's
 *                            behaviour); without a sequencer URL a clear -32601
 *   eth_sendTransaction      -32601: a replica signs nothing
 *   rollup_getBatcherStatus  -32601: a replica posts nothing (rollup_getReplicaStatus instead)
 *   rollup_getReplicaStatus  derivation (L1 batches derived, resets, transactions re-executed) and
 *                            the sealed-block feed (connected, unsafe blocks, mismatches), heads
 */
export function replicaMethods(view: ReplicaView): MethodTable {
  return {
    eth_sendRawTransaction: method([p.data], (raw) => {
      if (view.forward === undefined) notOnReplica('eth_sendRawTransaction', 'start it with --sequencer-rpc to forward transactions, or send them to the sequencer')
      return view.forward(bytesToHex(raw) as `0x${string}`)
    }),
    eth_sendTransaction: method([p.callRequest], () => notOnReplica('eth_sendTransaction', 'sign the transaction and use eth_sendRawTransaction')),
    rollup_getBatcherStatus: method([], () => notOnReplica('rollup_getBatcherStatus', 'the sequencer posts the batches; rollup_getReplicaStatus reports this node')),
    rollup_getReplicaStatus: method([], () => view.status()),
  }
}
