/**
 * A real TxPool on stand-in transactions: the validator and account reader it is given are
 * fakes, so tests can fill a pool with thousands of transactions without signing any.
 */
import { TxPool } from '../../sequencer/mempool/pool.ts'

export interface FakeTx {
  raw: Uint8Array
  // the decoded transaction as the pool reads it (a subset of @ethereumjs's)
  decoded: any
}

let counter = 0

/** A transaction of `sender` (a number; by default a new sender each time) at `nonce`. */
export function fakeTx(feeCap: bigint, nonce = 0n, size = 100, opts: { sender?: number; tip?: bigint } = {}): FakeTx {
  const n = ++counter
  const raw = new Uint8Array(size)
  new DataView(raw.buffer).setUint32(0, n)
  const hash = new Uint8Array(32)
  new DataView(hash.buffer).setUint32(28, n)
  const senderHex = `0x${(opts.sender ?? 1_000_000 + n).toString(16).padStart(40, '0')}`
  const tx = { nonce, gasLimit: 21_000n, value: 0n, maxFeePerGas: feeCap, maxPriorityFeePerGas: opts.tip ?? 1n }
  return { raw, decoded: { tx, raw, hash, sender: { toString: () => senderHex, bytes: new Uint8Array(20) } } }
}

type PoolOptions = ConstructorParameters<typeof TxPool>[0]

/**
 * TxPool options for tests: every sender at nonce 0 with plenty of ether, a journal that keeps
 * nothing, generous limits; `overrides` replace any of them (the validator at least).
 */
export function testPoolOptions(overrides: Partial<PoolOptions> & Pick<PoolOptions, 'validator'>): PoolOptions {
  return {
    accounts: { account: async () => ({ nonce: 0n, balance: 10n ** 30n }) },
    journal: { journalWrite: () => undefined, journalRemove: () => undefined },
    globalSlots: 1024,
    accountSlots: 64,
    maxBytes: 1 << 30,
    queuedGlobalSlots: 1024,
    queuedAccountSlots: 64,
    queuedLifetimeMs: 0,
    minFeeCap: 0n,
    priceBumpPercent: 10n,
    minReplacementBump: 0n,
    ...overrides,
  }
}

/** A pool of `slots` transactions (16 a sender) taking the fake transactions of fakeTx. */
export function poolOf(slots: number) {
  const byRaw = new Map<Uint8Array, any>()
  const validator = { decode: (raw: Uint8Array) => byRaw.get(raw), checkAgainstAccount: () => undefined } as any
  const pool = new TxPool(testPoolOptions({ validator, globalSlots: slots, accountSlots: 16 }))
  const add = (f: FakeTx) => {
    byRaw.set(f.raw, f.decoded)
    return pool.add(f.raw)
  }
  return { pool, add }
}
