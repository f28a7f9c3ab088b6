/**
 * anchor_: enterprise data anchoring over JSON-RPC (the same answers as the HTTP API).
 *   anchor_getProof(hash) → status (pending | posted | final), the L2 position, and once posted the
 *                           batch index, anchor root, leaf, leaf index, proof and L1 transaction;
 *                           null when the node never saw the hash; with the receipt once posted,
 *                           for aggregated hashes too (sequencer/anchoring/receipts.ts)
 */
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { AnchorAnswer } from '../../anchoring/receipts.ts'

export function anchorMethods(deps: { lookup: (hash: Uint8Array) => AnchorAnswer | undefined }): MethodTable {
  return {
    anchor_getProof: method([p.hash32], (hash) => deps.lookup(hash) ?? null),
  }
}
