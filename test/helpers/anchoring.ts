/** The anchoring API as the tests use it: a labelled data hash, and a submission that must be accepted. */
import { expect } from 'vitest'
import { keccak256, toHex, type Hex } from 'viem'

/** A distinct 32-byte data hash per label. */
export const doc = (label: string): Hex => keccak256(toHex(label))

/** POST /v1/anchors with `key`, expecting 202. */
export async function submit(url: string, key: string, hashes: Hex[]): Promise<void> {
  const res = await fetch(`${url}/v1/anchors`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ hashes }) })
  expect(res.status).toBe(202)
}
