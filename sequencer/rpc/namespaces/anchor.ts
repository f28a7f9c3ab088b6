/**
 * anchor_: enterprise data anchoring over JSON-RPC (the same answers as the HTTP API).
 *   anchor_getProof(hash) → status (pending | posted | final), the L2 position, and once posted the
 *                           batch index, anchor root, leaf, leaf index, proof and L1 transaction;
 *                           null when the node never saw the hash
 */
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { AnchorStatus } from '../../../batcher/index.ts'

export interface AnchorLookup {
  anchor(hash: Uint8Array): AnchorStatus | undefined
}

export function anchorMethods(deps: { proofs: AnchorLookup }): MethodTable {
  return {
    anchor_getProof: method([p.hash32], (hash) => deps.proofs.anchor(hash) ?? null),
  }
}
