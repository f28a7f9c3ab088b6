/**
 * Native crypto for the hot paths, plugged into Common's customCrypto so every transaction,
 * trie and VM of the node uses it:
 * - secp256k1 sender recovery: @ethereumjs does it in pure JS at about 1.3 ms per transaction,
 *   the `secp256k1` addon in about 50 µs (docs/ARCHITECTURE.md §4, "@ethereumjs").
 * - keccak256: hash-wasm's WebAssembly keccak hashes a 32- to 110-byte input in about 0.5 µs,
 *   300 bytes in 1.1 µs; the `keccak` addon takes 1.3–1.8 µs and 2.4 µs (mostly its three calls
 *   into the addon per hash), @noble/hashes 7 µs and 18 µs. Trie keys, trie nodes, storage slots,
 *   transaction hashes and addresses were 15% of the node's CPU under load with the JS version,
 *   about 5% with the addon. The WebAssembly module compiles asynchronously, so until it is ready
 *   (milliseconds after this module loads; `keccakReady` says when) the addon hashes: both give
 *   the same digest, so which one hashed never shows.
 * Both addons ship prebuilt binaries (no download, no compiler at install).
 */
import { dirname } from 'node:path'
import secp256k1 from 'secp256k1'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createKeccak } from 'hash-wasm'
import type { CustomCrypto } from '@ethereumjs/common'

interface KeccakState {
  initialize(rate: number, capacity: number): void
  absorb(data: Buffer): void
  absorbLastFewBits(bits: number): void
  squeeze(length: number): Buffer
}

/** keccak256 on the `keccak` package's native state (its stream wrapper costs more than the hash). */
function createNativeKeccak(): ((data: Uint8Array) => Uint8Array) | undefined {
  try {
    const loadAddon = require('node-gyp-build') as (dir: string) => unknown
    const State = loadAddon(dirname(require.resolve('keccak/package.json'))) as new () => KeccakState
    const state = new State()
    return (data: Uint8Array) => {
      state.initialize(1088, 512)
      state.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
      state.absorbLastFewBits(0x01)
      return state.squeeze(32)
    }
  } catch {
    return undefined // no prebuilt binary for this platform: the JS implementation is correct, only slower
  }
}

const nativeKeccak256: (data: Uint8Array) => Uint8Array = createNativeKeccak() ?? keccak_256
let wasmKeccak256: ((data: Uint8Array) => Uint8Array) | undefined

/**
 * Resolves once keccak256 runs on WebAssembly (never rejects: if the module cannot be compiled,
 * the addon goes on hashing). The node awaits it before it opens its state, so blocks are built
 * with the fast one from the first.
 */
export const keccakReady: Promise<void> = createWasmKeccak256().then(
  (hash) => {
    wasmKeccak256 = hash
  },
  () => {},
)

/** keccak256 of `data`, a fresh 32-byte array (hash-wasm's, or the addon's until it is ready). */
export function keccak256(data: Uint8Array): Uint8Array {
  return wasmKeccak256 !== undefined ? wasmKeccak256(data) : nativeKeccak256(data)
}

/**
 * A hash-wasm WebAssembly keccak256 of its own (each call of this function gives its own hasher
 * state): what `keccak256` above uses once ready, and what bulk tree work (the aggregation's tree
 * thread, dataset trees) creates for itself.
 */
export async function createWasmKeccak256(): Promise<(data: Uint8Array) => Uint8Array> {
  const hasher = await createKeccak(256)
  return (data: Uint8Array): Uint8Array => {
    hasher.init()
    hasher.update(data)
    return hasher.digest('binary')
  }
}

/** Recovers the 64-byte uncompressed public key (without the 0x04 prefix), as @ethereumjs expects. */
function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = recoveryId(v, chainId)
  const signature = new Uint8Array(64)
  signature.set(leftPad32(r), 0)
  signature.set(leftPad32(s), 32)
  return recoverPublicKey(msgHash, signature, recovery)
}

/** The 64-byte public key (no 0x04 prefix) that signed `msgHash` with `signature` (r‖s, 64 bytes) and recovery id 0 or 1. */
export function recoverPublicKey(msgHash: Uint8Array, signature: Uint8Array, recovery: number): Uint8Array {
  return secp256k1.ecdsaRecover(signature, recovery, msgHash, false).subarray(1)
}

/** The address of a 64-byte public key: the last 20 bytes of its keccak256 (native, unlike @ethereumjs's publicToAddress). */
export function publicKeyToAddressBytes(publicKey: Uint8Array): Uint8Array {
  return keccak256(publicKey).subarray(12)
}

/** Same rule as @ethereumjs/util's calculateSigRecovery: yParity, pre-EIP-155 27/28, or EIP-155 v. */
export function recoveryId(v: bigint, chainId: bigint | undefined): number {
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
  if (recovery !== 0n && recovery !== 1n) throw new Error('invalid signature v value')
  return Number(recovery)
}

function ecdsaRecover(sig: Uint8Array, recId: number, hash: Uint8Array): Uint8Array {
  return secp256k1.ecdsaRecover(sig, recId, hash, false)
}

export function leftPad32(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 32) return bytes
  if (bytes.length > 32) throw new Error('invalid signature component length')
  const out = new Uint8Array(32)
  out.set(bytes, 32 - bytes.length)
  return out
}

export const nativeCrypto: CustomCrypto = { ecrecover, ecdsaRecover, keccak256 }
