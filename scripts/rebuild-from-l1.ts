/**
 * Rebuilds the L2 chain from L1 alone into a fresh data directory: reads every batch RollupAnchor
 * recorded, reassembles its channel from the frames of its L1 transactions (calldata frames from
 * their input, blob frames from the blobs API at --l1-beacon, each checked against its versioned
 * hash), re-executes the blocks from genesis and checks each batch's block hash and state root
 * against L1. What a replica runs; the check that the sequencer's posted data is complete.
 *
 *   npx tsx scripts/rebuild-from-l1.ts --data-dir data/replica [--l1-rpc URL] [--l1-beacon URL] [--deployments FILE]
 *
 * Blobs expire (Ethereum keeps them ~18 days; the devnet's L1 prunes them after an hour, see
 * README "Batch format"): to rebuild past that, point --l1-beacon at an archive that serves the
 * same API (GET /eth/v1/beacon/blobs/{block}?versioned_hashes=…) for old blocks, or post in
 * calldata (--data-availability calldata). Without the blobs the rebuild stops at the first batch
 * whose blobs are gone, saying so.
 *
 * Progress (batches read, blocks re-executed) goes to stderr (scripts/lib/progress.ts), the result
 * to stdout.
 *
 * The rebuilt directory is a full node's store: `npm run node -- --data-dir data/replica --port
 * 9546` serves it (without sequencing anything new, as long as nothing is sent to it).
 */
import { parseArgs } from 'node:util'
import { readDeployments } from '../batcher/deployments.ts'
import { deriveFromL1 } from '../batcher/derive.ts'
import { startNode } from '../sequencer/node.ts'
import { progress, type Progress } from './lib/progress.ts'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, 'l1-rpc': { type: 'string' }, 'l1-beacon': { type: 'string' }, deployments: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help === true || values['data-dir'] === undefined) {
    console.log('usage: npx tsx scripts/rebuild-from-l1.ts --data-dir <new dir> [--l1-rpc http://127.0.0.1:8545] [--l1-beacon <blobs API URL; default: --l1-rpc>] [--deployments data/l1/deployments.json]')
    return values.help === true ? 0 : 2
  }
  const deployments = readDeployments(values.deployments ?? 'data/l1/deployments.json')
  const l1RpcUrl = values['l1-rpc'] ?? 'http://127.0.0.1:8545'
  // a node that only imports: no RPC port of its own worth keeping, no block production
  const node = await startNode({ dataDir: values['data-dir'], rpc: { port: 0 }, sequencer: { blockTimeMs: 3_600_000 }, logLevel: 'error' })
  try {
    const started = performance.now()
    // on stderr: batches read and blocks re-executed so far (a long rebuild is not silent)
    let shown: Progress | undefined
    const onBatch = (done: number, batches: number, imported: number) => {
      shown ??= progress('batches', { total: batches })
      shown.update(done, `${imported.toLocaleString('en-US')} blocks re-executed`)
    }
    const result = await deriveFromL1({ l1RpcUrl, l1BeaconUrl: values['l1-beacon'], rollupAnchor: deployments.rollupAnchor, importer: node, onBatch })
    shown?.done()
    const seconds = (performance.now() - started) / 1000
    console.log(`rebuilt from ${result.batches} batches on L1 ${l1RpcUrl}: ${result.imported} blocks re-executed in ${seconds.toFixed(1)} s, head ${result.head}`)
    console.log('every batch end matches the block hash, state root, anchor root and withdrawal root RollupAnchor holds')
    return 0
  } finally {
    await node.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`rebuild failed: ${err.message}`)
    process.exit(1)
  },
)
