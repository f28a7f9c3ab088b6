/**
 * Admission reads a typed transaction's hash, signed message and signature off its raw bytes
 * (sequencer/mempool/raw-tx.ts) instead of re-encoding it. Differential: for a spread of
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
import { hasEthereumjsShape, signingFromRaw, typedTxFromRaw } from '../../../sequencer/mempool/raw-tx.ts'
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

/** `plain`: a message call without an access list, the shape typedTxFromRaw builds itself. */
function randomTx(i: number, plain = false): TypedTransaction {
  const type = i % 2 === 0 ? TransactionType.FeeMarketEIP1559 : TransactionType.AccessListEIP2930
  const value = rand.pick(integers)
  const nonce = rand.pick(integers.filter((n) => n < 2n ** 64n - 1n))
  const accessList = Array.from({ length: plain ? 0 : rand.int(4) }, () => ({
    address: bytesToHex(rand.bytes(20)),
    // a key with leading zero bytes is a byte string, kept as it is
    storageKeys: Array.from({ length: rand.int(3) }, (_, k) => bytesToHex(k === 0 ? setLengthLeft(rand.bytes(3), 32) : rand.bytes(32))),
  }))
  const fee = rand.pick([0n, 1n, 10n ** 9n, MAX_U256 / 2n ** 100n])
  const fees = type === TransactionType.FeeMarketEIP1559 ? { maxFeePerGas: fee, maxPriorityFeePerGas: fee / 2n } : { gasPrice: fee }
  const create = !plain && i % 5 === 0
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

/** @ethereumjs's object for `raw`, or undefined where it refuses the bytes. */
function ethereumjsTx(raw: Uint8Array): TypedTransaction | undefined {
  try {
    return createTxFromRLP(raw, { common })
  } catch {
    return undefined
  }
}

/** What `f` returns, or the message it throws. */
function outcome<T>(f: () => T): T | string {
  try {
    return f()
  } catch (err) {
    return `throws: ${(err as Error).message}`
  }
}

/**
 * `ours` is @ethereumjs's `theirs` in every respect a caller can see: the same own properties in
 * the same order, equal values (the Common a copy of the same chain's), frozen, and the same
 * results from the methods admission, execution and RPC call.
 */
function expectSameTx(ours: TypedTransaction, theirs: TypedTransaction): void {
  expect(Object.keys(ours)).toEqual(Object.keys(theirs))
  expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs))
  expect(Object.isFrozen(ours)).toBe(true)
  const o = ours as unknown as Record<string, unknown>
  const t = theirs as unknown as Record<string, unknown>
  for (const key of Object.keys(theirs)) {
    if (key === 'common' || key === 'txOptions') continue
    // byte strings as hex: deep equality walks a 70 kB array element by element
    if (t[key] instanceof Uint8Array) expect(o[key]).toBeInstanceOf(Uint8Array)
    if (t[key] instanceof Uint8Array) expect(bytesToHex(o[key] as Uint8Array), key).toBe(bytesToHex(t[key] as Uint8Array))
    else expect(o[key], key).toStrictEqual(t[key])
  }
  expect(ours.common).not.toBe(common) // a copy, as @ethereumjs makes one per transaction
  expect(ours.common.chainId()).toBe(theirs.common.chainId())
  expect(ours.common.hardfork()).toBe(theirs.common.hardfork())
  expect((ours.txOptions as { common: unknown }).common).toBe(common)
  expect(Object.keys(ours.txOptions)).toEqual(Object.keys(theirs.txOptions))
  const baseFee = 7n
  expect(bytesToHex(ours.serialize())).toBe(bytesToHex(theirs.serialize()))
  expect(bytesToHex(ours.hash())).toBe(bytesToHex(theirs.hash()))
  expect(bytesToHex(ours.getMessageToVerifySignature())).toBe(bytesToHex(theirs.getMessageToVerifySignature()))
  expect(ours.toJSON()).toEqual(theirs.toJSON())
  expect(ours.getIntrinsicGas()).toBe(theirs.getIntrinsicGas())
  expect(ours.getUpfrontCost(baseFee)).toBe(theirs.getUpfrontCost(baseFee))
  expect(outcome(() => ours.getEffectivePriorityFee(baseFee))).toEqual(outcome(() => theirs.getEffectivePriorityFee(baseFee)))
  expect(ours.isSigned()).toBe(true)
  expect(outcome(() => ours.getSenderAddress().toString())).toEqual(outcome(() => theirs.getSenderAddress().toString()))
}

describe('raw-tx: hash, message and signature read off the bytes', () => {
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

describe('raw-tx: the transaction object read off the bytes', () => {
  const plain = Array.from({ length: 160 }, (_, i) => randomTx(i, true))
  const mixed = Array.from({ length: 120 }, (_, i) => randomTx(i))

  it("is @ethereumjs's own object for every message call without an access list", () => {
    for (const tx of plain) {
      const raw = tx.serialize()
      const read = typedTxFromRaw(raw, common)
      if (read === undefined) throw new Error(`not read off the bytes: ${bytesToHex(raw.subarray(0, 64))}…`)
      expectSameTx(read.tx, createTxFromRLP(raw, { common }))
      expect(read.signing).toEqual(signingFromRaw(raw))
    }
  })

  it('leaves creations and access lists to @ethereumjs, and builds only what it would accept', () => {
    let built = 0
    for (const tx of mixed) {
      const raw = tx.serialize()
      const read = typedTxFromRaw(raw, common)
      if (tx.to === undefined || (tx as { accessList: unknown[] }).accessList.length > 0) expect(read).toBeUndefined()
      if (read === undefined) continue
      built++
      expectSameTx(read.tx, createTxFromRLP(raw, { common }))
    }
    expect(built).toBeGreaterThan(10)
  })

  it('never builds an object from bytes @ethereumjs refuses, and never one that differs', () => {
    // every single-byte change of the first 120 bytes of a few transactions: most break the
    // RLP, the signature's shape or a bound; where one still reads, it reads as @ethereumjs's
    let compared = 0
    for (const tx of plain.filter((t) => t.data.length <= 200).slice(0, 4)) {
      const raw = tx.serialize()
      for (let at = 0; at < Math.min(raw.length, 120); at++) {
        for (const flip of [0x01, 0xff]) {
          const altered = raw.slice()
          altered[at] ^= flip
          const read = typedTxFromRaw(altered, common)
          if (read === undefined) continue
          const theirs = ethereumjsTx(altered)
          expect(theirs, `@ethereumjs refuses what was read at byte ${at} ^ ${flip}`).toBeDefined()
          expectSameTx(read.tx, theirs!)
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThan(50) // changes inside values (to, value, data, r) still read
  })

  it("turns itself off if @ethereumjs's objects no longer have the shape it builds", () => {
    expect(hasEthereumjsShape(common)).toBe(true)
    const theirs = plain[0]
    // an upgrade that added a field: our object would lack it
    const grown = Object.freeze(Object.assign(Object.create(Object.getPrototypeOf(theirs)), theirs, { blobs: [] })) as TypedTransaction
    expect(hasEthereumjsShape(common, [grown])).toBe(false)
    // one whose constructor makes instances of another class (here: a subclass)
    const moved = Object.freeze(Object.assign(Object.create(Object.create(Object.getPrototypeOf(theirs))), theirs)) as TypedTransaction
    expect(hasEthereumjsShape(common, [moved])).toBe(false)
  })

  it('refuses each rule @ethereumjs enforces, leaving the error to it', () => {
    const key = setLengthLeft(Uint8Array.of(3), 32)
    const to = new Address(new Uint8Array(20).fill(4))
    const base = { type: 2, nonce: 1n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to, value: 1n }
    const signed = createTx(base, { common }).sign(key)
    const fields = signed.raw() as Uint8Array[]
    const encode = (f: Uint8Array[]) => concatBytes(Uint8Array.of(2), RLP.encode(f))
    const withField = (i: number, value: Uint8Array) => encode(fields.map((f, k) => (k === i ? value : f)))
    const n = (x: bigint) => bigIntToUnpaddedBytes(x)
    const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const cases: Record<string, Uint8Array> = {
      'another chain id': withField(0, n(CHAIN_ID + 1n)),
      'nonce 2^64 - 1 (EIP-2681)': withField(1, n(2n ** 64n - 1n)),
      'a 9-byte nonce': withField(1, n(2n ** 64n)),
      'tip above the fee cap': withField(2, n(101n)),
      'a 33-byte fee cap': withField(3, n(2n ** 256n)),
      'gas limit × fee cap above 2^256 - 1': withField(3, n(2n ** 250n)),
      'a 9-byte gas limit': withField(4, n(2n ** 64n)),
      'a 19-byte recipient': withField(5, new Uint8Array(19).fill(4)),
      'y-parity 2': withField(9, n(2n)),
      'no r': withField(10, new Uint8Array(0)),
      's in the upper half (EIP-2)': withField(11, n(SECP256K1_N - signed.s!)),
      'a list for data': encode(fields.map((f, k) => (k === 7 ? ([f] as unknown as Uint8Array) : f))),
      // the nonce 1 behind a one-byte string prefix, where RLP writes the byte by itself
      'a non-shortest RLP length': concatBytes(Uint8Array.of(2), rlpList(fields.map((f, k) => (k === 1 ? Uint8Array.of(0x81, 0x01) : RLP.encode(f))))),
    }
    for (const [name, raw] of Object.entries(cases)) {
      expect(typedTxFromRaw(raw, common), name).toBeUndefined()
      // @ethereumjs refuses each as well (and so answers the client), but reads a missing r as unsigned
      if (name === 'no r') expect(ethereumjsTx(raw)?.isSigned()).toBe(false)
      else expect(ethereumjsTx(raw), name).toBeUndefined()
    }
  })
})

/** An RLP list of items already encoded (so that one of them can be encoded in a form RLP forbids). */
function rlpList(encodedItems: Uint8Array[]): Uint8Array {
  const payload = concatBytes(...encodedItems)
  const length = bigIntToUnpaddedBytes(BigInt(payload.length))
  const head = payload.length < 56 ? Uint8Array.of(0xc0 + payload.length) : concatBytes(Uint8Array.of(0xf7 + length.length), length)
  return concatBytes(head, payload)
}
