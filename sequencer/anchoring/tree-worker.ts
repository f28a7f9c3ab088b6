/**
 * Entry of the aggregation's tree thread (tree-builder.ts): builds a round's Merkle tree
 * (batcher/merkle.ts FlatTree) off the node's main thread, so a round of 100,000 hashes (300,000
 * keccak256) delays neither HTTP submissions nor JSON-RPC. Booted by
 * sequencer/calls/worker-boot.cjs, which registers tsx first.
 *
 * Its keccak256 is hash-wasm's WebAssembly one: for the 32- and 64-byte inputs of a tree it is
 * about twice as fast as the native addon the node uses elsewhere (sequencer/chain/crypto.ts),
 * whose cost there is mostly the three calls into the addon per hash (README "Measured figures").
 */
import { parentPort } from 'node:worker_threads'
import { FlatTree } from '../../batcher/index.ts'
import { createWasmKeccak256 } from '../chain/crypto.ts'

const keccak = createWasmKeccak256()

parentPort!.on('message', async (msg: { id: number; values: Uint8Array }) => {
  try {
    parentPort!.postMessage({ id: msg.id, nodes: FlatTree.build(msg.values, await keccak).nodes })
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message })
  }
})
