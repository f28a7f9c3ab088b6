/**
 * Native secp256k1 for sender recovery. @ethereumjs recovers senders in pure JS at about
 * 1.3 ms per transaction; the `secp256k1` addon does it in about 50 µs (TRAPS.md), which is
 * the difference between a pool that keeps up with 1,500 tx/s and one that does not.
 * Plugged into Common's customCrypto so every transaction object uses it.
 */
import secp256k1 from 'secp256k1'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { CustomCrypto } from '@ethereumjs/common'

/** Recovers the 64-byte uncompressed public key (without the 0x04 prefix), as @ethereumjs expects. */
function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = recoveryId(v, chainId)
  const signature = new Uint8Array(64)
  signature.set(leftPad32(r), 0)
  signature.set(leftPad32(s), 32)
  return secp256k1.ecdsaRecover(signature, recovery, msgHash, false).subarray(1)
}

/** Same rule as @ethereumjs/util's calculateSigRecovery: yParity, pre-EIP-155 27/28, or EIP-155 v. */
function recoveryId(v: bigint, chainId: bigint | undefined): number {
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
  if (recovery !== 0n && recovery !== 1n) throw new Error('invalid signature v value')
  return Number(recovery)
}

function ecdsaRecover(sig: Uint8Array, recId: number, hash: Uint8Array): Uint8Array {
  return secp256k1.ecdsaRecover(sig, recId, hash, false)
}

function leftPad32(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 32) return bytes
  if (bytes.length > 32) throw new Error('invalid signature component length')
  const out = new Uint8Array(32)
  out.set(bytes, 32 - bytes.length)
  return out
}

export const nativeCrypto: CustomCrypto = { ecrecover, ecdsaRecover, keccak256: keccak_256 }
