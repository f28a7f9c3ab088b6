/**
 * The worker's hand-written ABI subsets (worker/abi.ts) against the compiled contracts: every
 * function, event and error it uses exists with the same signature (and a function with the same
 * outputs), so a change to InferenceCoordinator or ModelRegistry breaks here, not in a process.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatAbiItem } from 'viem/utils'
import type { Abi, AbiFunction } from 'viem'
import { coordinatorAbi, offchainRegistryAbi } from '../../worker/index.ts'
import { ROOT } from '../helpers/node.ts'

const artifact = (path: string) => (JSON.parse(readFileSync(join(ROOT, 'artifacts/contracts', path), 'utf8')) as { abi: Abi }).abi

function check(subset: Abi, full: Abi) {
  const sig = (item: Abi[number]) => `${item.type} ${formatAbiItem(item as never)}`
  const known = new Map(full.filter((i) => 'name' in i).map((i) => [sig(i), i]))
  for (const item of subset) {
    if (!('name' in item)) continue
    const match = known.get(sig(item))
    expect(match, `${sig(item)} in the contract`).toBeDefined()
    if (item.type === 'function') {
      const outputs = (f: AbiFunction) => f.outputs.map((o) => formatAbiItem({ type: 'function', name: 'x', inputs: [o], outputs: [], stateMutability: 'view' } as never)).join()
      expect(outputs(match as AbiFunction), `outputs of ${item.name}`).toBe(outputs(item))
      expect((match as AbiFunction).stateMutability, `mutability of ${item.name}`).toBe(item.stateMutability)
    }
  }
}

describe("the worker's ABI subsets", () => {
  it('match InferenceCoordinator', () => check(coordinatorAbi, artifact('L2/InferenceCoordinator.sol/InferenceCoordinator.json')))
  it('match ModelRegistry', () => check(offchainRegistryAbi, artifact('L2/ModelRegistry.sol/ModelRegistry.json')))
})
