import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@ethereumjs/util'
import { keccak256, keccakReady } from '../../../sequencer/chain/crypto.ts'
import { createChainCommon } from '../../../sequencer/chain/common.ts'

describe('keccak256 (hash-wasm once ready, the keccak addon before)', () => {
  // around the sponge's 136-byte rate and hash-wasm's 16 kB copy into WebAssembly memory
  const sizes = [0, 1, 31, 32, 33, 64, 135, 136, 137, 271, 272, 1000, 16_383, 16_384, 16_385, 100_000]

  it('gives @noble/hashes\' digest for every size, before and after the WebAssembly module is ready', async () => {
    const inputs = sizes.map((n) => randomBytes(n))
    const before = inputs.map((d) => bytesToHex(keccak256(d))) // whichever hashes at import time
    await keccakReady
    for (const [i, d] of inputs.entries()) {
      const expected = bytesToHex(keccak_256(d))
      expect(bytesToHex(keccak256(d)), `${d.length} bytes`).toBe(expected)
      expect(before[i], `${d.length} bytes, before ready`).toBe(expected)
    }
  })

  it('hashes views with an offset (a Buffer slice, a Uint8Array subarray) as their bytes alone', async () => {
    await keccakReady
    const backing = randomBytes(600)
    for (const view of [backing.subarray(7, 300), new Uint8Array(backing.buffer, backing.byteOffset + 13, 200)]) {
      expect(bytesToHex(keccak256(view))).toBe(bytesToHex(keccak_256(Uint8Array.from(view))))
    }
  })

  it('returns a fresh array each time: changing one digest changes no other', async () => {
    await keccakReady
    const data = randomBytes(32)
    const first = keccak256(data)
    const second = keccak256(data)
    expect(second).not.toBe(first)
    first.fill(0)
    expect(bytesToHex(second)).toBe(bytesToHex(keccak_256(data)))
    expect(bytesToHex(keccak256(data))).toBe(bytesToHex(keccak_256(data)))
  })

  it('is the keccak of the chain\'s Common, so tries, state and transactions hash with it', () => {
    expect(createChainCommon(1n).customCrypto.keccak256).toBe(keccak256)
  })
})
