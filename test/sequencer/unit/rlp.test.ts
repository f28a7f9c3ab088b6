/**
 * The seal's own RLP (sequencer/chain/rlp.ts): receipts and block sizes written by it equal
 * @ethereumjs's encodings, byte for byte, across the shapes a block holds.
 */
import { describe, expect, it } from 'vitest'
import { RLP } from '@ethereumjs/rlp'
import { createBlockHeader } from '@ethereumjs/block'
import { createTx, TransactionType } from '@ethereumjs/tx'
import { Address, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { encodeReceipt as ethereumjsEncodeReceipt, type TxReceipt } from '@ethereumjs/vm'
import { createChainCommon } from '../../../sequencer/chain/common.ts'
import { encodeBytes, encodedBytesLength, encodedListLength, encodeList } from '../../../sequencer/chain/rlp.ts'
import { blockSize, encodeReceipt } from '../../../sequencer/builder/builder.ts'
import { createPrng } from '../../../scripts/models/prng.ts'

const common = createChainCommon(42424n)
const { next } = createPrng(27)
const int = (n: number) => Math.floor(next() * n)
const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256))
// empty, one byte below and at 0x80, the 55/56-byte boundary, 2- and 3-byte lengths
const LENGTHS = [0, 1, 1, 2, 55, 56, 255, 256, 1_000, 70_000]
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]

describe('chain/rlp: byte strings and lists', () => {
  it("encodes as @ethereumjs/rlp does, and counts its lengths without encoding", () => {
    for (let i = 0; i < 200; i++) {
      const items = Array.from({ length: int(5) }, () => bytes(pick(LENGTHS)))
      for (const item of items) {
        expect(bytesToHex(encodeBytes(item))).toBe(bytesToHex(RLP.encode(item)))
        expect(encodedBytesLength(item)).toBe(RLP.encode(item).length)
      }
      const list = encodeList(items.map(encodeBytes))
      expect(bytesToHex(list)).toBe(bytesToHex(RLP.encode(items)))
      expect(encodedListLength(items.reduce((n, item) => n + encodedBytesLength(item), 0))).toBe(list.length)
    }
  })
})

describe('builder: receipts and block size', () => {
  it("encodes receipts as @ethereumjs/vm's encodeReceipt, for every type, status and shape of logs", () => {
    for (let i = 0; i < 300; i++) {
      const logs = Array.from({ length: int(4) }, () => [bytes(20), Array.from({ length: int(5) }, () => bytes(32)), bytes(pick(LENGTHS))] as [Uint8Array, Uint8Array[], Uint8Array])
      const receipt = { status: int(2) as 0 | 1, cumulativeBlockGasUsed: BigInt(pick([21_000, 1, 60_000_000, 2 ** 40])), bitvector: bytes(256), logs } as TxReceipt
      const type = pick([TransactionType.Legacy, TransactionType.AccessListEIP2930, TransactionType.FeeMarketEIP1559, TransactionType.EOACodeEIP7702])
      expect(bytesToHex(encodeReceipt(receipt, type))).toBe(bytesToHex(ethereumjsEncodeReceipt(receipt, type)))
    }
  })

  it('counts the size of the block encoding [header, transactions, [], []] with legacy and typed transactions', () => {
    const header = createBlockHeader({ number: 5n, gasLimit: 60_000_000n, baseFeePerGas: 7n, timestamp: 1_700_000_000n }, { common })
    const key = setLengthLeft(Uint8Array.of(1), 32)
    for (let i = 0; i < 40; i++) {
      const txs = Array.from({ length: int(30) }, (_, k) => {
        const type = pick([0, 1, 2])
        const fees = type === 2 ? { maxFeePerGas: 10n, maxPriorityFeePerGas: 1n } : { gasPrice: 10n }
        const tx = createTx({ type, nonce: BigInt(k), gasLimit: 10_000_000n, to: new Address(bytes(20)), data: bytes(pick(LENGTHS)), ...fees }, { common }).sign(key)
        return { tx, raw: tx.serialize() }
      })
      const expected = RLP.encode([header.raw(), txs.map((t) => (t.tx.type === 0 ? t.tx.raw() : t.raw)), [], []]).length
      expect(blockSize(header, txs)).toBe(expected)
    }
  })
})
