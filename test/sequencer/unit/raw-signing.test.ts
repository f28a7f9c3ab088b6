/**
 * Admission reads a typed transaction's hash, signed message and signature off its raw bytes
 * (sequencer/mempool/raw-signing.ts) instead of re-encoding it. Differential: for a spread of
 * EIP-2930 and EIP-1559 transactions (zero and maximal integers, contract creations, data and
 * access lists across every RLP length form) the three equal @ethereumjs's own, and the validator
 * recovers the sender @ethereumjs recovers on a fresh copy; a transaction whose bytes are not the
 * canonical encoding of its fields is refused, never given a hash that differs from keccak(raw).
 */
import { describe, expect, it } from 'vitest'
import { createTx, createTxFromRLP, TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bigIntToUnpaddedBytes, bytesToHex, concatBytes, setLengthLeft } from '@ethereumjs/util'
import { RLP } from '@ethereumjs/rlp'
import { keccak_256 } from '@noble/hashes/sha3.js'
import secp256k1 from 'secp256k1'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { signingFromRaw } from '../../../sequencer/mempool/raw-signing.ts'
import { TxValidator } from '../../../sequencer/mempool/validator.ts'
import { PoolError } from '../../../sequencer/mempool/errors.ts'
import { createPrng } from '../../../scripts/models/prng.ts'

const CHAIN_ID = 42424n
const common = createChainCommon(CHAIN_ID)
const MAX_U256 = 2n ** 256n - 1n

/** The seeded PRNG of the example models (scripts/models/prng.ts): the same transactions on every run. */
function prng(seed: number) {
  const { next } = createPrng(seed)
  const int = (n: number) => Math.floor(next() * n)
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256))
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]
  return { int, bytes, pick }
}

const rand = prng(15)
const integers = [0n, 1n, 127n, 128n, 255n, 256n, 2n ** 64n - 2n, MAX_U256]
// 0, 1 byte, the 55/56-byte boundary of short and long strings, 2- and 3-byte lengths
const dataLengths = [0, 1, 55, 56, 200, 1_000, 70_000]

function randomTx(i: number): TypedTransaction {
  const type = i % 2 === 0 ? TransactionType.FeeMarketEIP1559 : TransactionType.AccessListEIP2930
  const value = rand.pick(integers)
  const nonce = rand.pick(integers.filter((n) => n < 2n ** 64n - 1n))
  const accessList = Array.from({ length: rand.int(4) }, () => ({
    address: bytesToHex(rand.bytes(20)),
    // a key with leading zero bytes is a byte string, kept as it is
    storageKeys: Array.from({ length: rand.int(3) }, (_, k) => bytesToHex(k === 0 ? setLengthLeft(rand.bytes(3), 32) : rand.bytes(32))),
  }))
  const fee = rand.pick([0n, 1n, 10n ** 9n, MAX_U256 / 2n ** 100n])
  const fees = type === TransactionType.FeeMarketEIP1559 ? { maxFeePerGas: fee, maxPriorityFeePerGas: fee / 2n } : { gasPrice: fee }
  const create = i % 5 === 0
  const fields = {
    type,
    nonce,
    gasLimit: rand.pick([21_000n, 30_000_000n, 2n ** 63n]),
    to: create ? undefined : new Address(rand.bytes(20)),
    value,
    // init code is capped at 49,152 bytes (EIP-3860)
    data: rand.bytes(rand.pick(create ? dataLengths.filter((n) => n <= 49_152) : dataLengths)),
    accessList,
    ...fees,
  }
  return createTx(fields as never, { common }).sign(setLengthLeft(bigIntToUnpaddedBytes(BigInt(i + 1) * 7919n), 32))
}

describe('raw-signing: hash, message and signature read off the bytes', () => {
  const txs = Array.from({ length: 240 }, (_, i) => randomTx(i))

  it("equals @ethereumjs's re-encoding for every transaction of the spread", () => {
    for (const tx of txs) {
      const raw = tx.serialize()
      const got = signingFromRaw(raw)
      expect(got).toBeDefined()
      if (got === undefined || 'nonCanonical' in got) throw new Error('expected the raw path')
      const fresh = createTxFromRLP(raw, { common })
      expect(bytesToHex(got.hash)).toBe(bytesToHex(fresh.hash()))
      expect(bytesToHex(got.messageHash)).toBe(bytesToHex(fresh.getMessageToVerifySignature()))
      expect(bytesToHex(got.signature)).toBe(bytesToHex(concatBytes(setLengthLeft(bigIntToUnpaddedBytes(fresh.r!), 32), setLengthLeft(bigIntToUnpaddedBytes(fresh.s!), 32))))
    }
  })

  it('the validator recovers the sender and hash @ethereumjs computes on a fresh copy', async () => {
    const validator = new TxValidator({ common, blockGasLimit: () => 2n ** 64n, maxTxBytes: 1_000_000, minPriorityFee: 0n })
    for (const tx of txs.filter((t) => t.gasLimit >= t.getIntrinsicGas())) {
      const raw = tx.serialize()
      const decoded = await validator.decode(raw)
      const fresh = createTxFromRLP(raw, { common })
      expect(decoded.sender.toString()).toBe(fresh.getSenderAddress().toString())
      expect(bytesToHex(decoded.hash)).toBe(bytesToHex(fresh.hash()))
      // the hash the validator left in the transaction's cache is the one execution will use
      expect(bytesToHex(decoded.tx.hash())).toBe(bytesToHex(fresh.hash()))
    }
  })

  it('leaves legacy and EIP-7702 transactions to @ethereumjs', () => {
    const key = setLengthLeft(Uint8Array.of(9), 32)
    const to = new Address(new Uint8Array(20).fill(3))
    const legacy = createTx({ type: 0, nonce: 1n, gasPrice: 1n, gasLimit: 21_000n, to }, { common }).sign(key)
    expect(signingFromRaw(legacy.serialize())).toBeUndefined()
    // the type byte decides: an EIP-7702 envelope around what would be a well-formed type-2 list
    const setCode = txs[0].serialize().slice()
    setCode[0] = TransactionType.EOACodeEIP7702
    expect(signingFromRaw(setCode)).toBeUndefined()
  })

  it('never throws on truncated or altered bytes', () => {
    const raw = txs[2].serialize()
    for (let cut = 0; cut < raw.length; cut += 7) expect(() => signingFromRaw(raw.subarray(0, cut))).not.toThrow()
    for (let at = 0; at < Math.min(raw.length, 200); at++) {
      const altered = raw.slice()
      altered[at] ^= 0xff
      const got = signingFromRaw(altered)
      // whatever it says, it is never a hash of other bytes than these
      if (got !== undefined && !('nonCanonical' in got)) expect(bytesToHex(got.hash)).toBe(bytesToHex(keccak_256(altered)))
    }
  })

  it('refuses a chain id with a leading zero byte, which @ethereumjs would re-encode to another hash', async () => {
    const key = setLengthLeft(Uint8Array.of(5), 32)
    const unsigned = createTx({ type: 2, nonce: 0n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to: new Address(new Uint8Array(20).fill(1)), value: 1n }, { common })
    const fields = unsigned.raw().slice(0, 9) as Uint8Array[]
    fields[0] = concatBytes(Uint8Array.of(0), bigIntToUnpaddedBytes(CHAIN_ID)) // 0x00a5b8
    // signed over the non-canonical message, as a client that encodes it so would sign
    const message = keccak_256(concatBytes(Uint8Array.of(2), RLP.encode(fields)))
    const { signature, recid } = secp256k1.ecdsaSign(message, key)
    const unpadded = (b: Uint8Array) => bigIntToUnpaddedBytes(BigInt(bytesToHex(b)))
    const raw = concatBytes(Uint8Array.of(2), RLP.encode([...fields, bigIntToUnpaddedBytes(BigInt(recid)), unpadded(signature.subarray(0, 32)), unpadded(signature.subarray(32))]))
    // @ethereumjs decodes it (its leading-zero check skips the chain id) and hashes its re-encoding
    expect(bytesToHex(createTxFromRLP(raw, { common }).hash())).not.toBe(bytesToHex(keccak_256(raw)))
    expect(signingFromRaw(raw)).toEqual({ nonCanonical: 'chainId' })
    const validator = new TxValidator({ common, blockGasLimit: () => 60_000_000n, maxTxBytes: 128 * 1024, minPriorityFee: 0n })
    const err = await validator.decode(raw).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PoolError)
    expect((err as PoolError).kind).toBe('decode')
    expect((err as PoolError).message).toContain('non-canonical integer (leading zero bytes) for chainId')
  })

  it('the spread covers every RLP length form of the data field, both types and creations', () => {
    const lengths = new Set(txs.map((t) => t.data.length))
    for (const n of dataLengths) expect(lengths.has(n)).toBe(true)
    expect(new Set(txs.map((t) => t.type))).toEqual(new Set([TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559]))
    expect(txs.some((t) => t.to === undefined)).toBe(true)
  })
})
