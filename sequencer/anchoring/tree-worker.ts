/**
 * Entry of the aggregation's tree thread (tree-builder.ts): builds a round's Merkle tree
 * (batcher/merkle.ts FlatTree) off the node's main thread, so a round of 100,000 hashes (about half
 * a second of keccak) delays neither HTTP submissions nor JSON-RPC. Booted by
 * sequencer/calls/worker-boot.cjs, which registers tsx first.
 */
import { parentPort } from 'node:worker_threads'
import { FlatTree } from '../../batcher/index.ts'

parentPort!.on('message', (msg: { id: number; values: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id: msg.id, nodes: FlatTree.build(msg.values).nodes })
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message })
  }
})
