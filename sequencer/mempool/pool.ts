/**
 * The transaction pool. Per sender, transactions are kept by nonce; those contiguous from the
 * sender's nonce at the head are `pending` (executable), the rest `queued` (behind a nonce gap).
 * A pending transaction whose fee cap is below the current base fee waits in pending and is
 * skipped by block selection until the base fee falls.
 *
 * Admission: the validator decodes and checks the bytes, then the sender's state; the pool adds
 * the rules that need the pool (replacement, caps) and journals the transaction before `add`
 * resolves, so an acknowledged hash survives a crash. Block selection hands transactions out in
 * order of effective tip, each sender's in nonce order.
 */
import { bytesToHex, type Address } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { PoolError } from './errors.ts'
import { effectiveTip, feeCapOf, maxCost, tipOf, type AccountView, type DecodedTx, type TxValidator } from './validator.ts'

export interface PoolTx extends DecodedTx {
  hashHex: string
  senderHex: string
  nonce: bigint
  /** Arrival order, for stable ordering among equal tips. */
  seq: number
}

/** Where the pool reads a sender's nonce and balance at the head. */
export interface AccountReader {
  account(address: Address): Promise<AccountView>
}

/** Where accepted transactions are made durable. */
export interface TxJournal {
  journalAdd(hash: Uint8Array, raw: Uint8Array): void
  journalRemove(hashes: Uint8Array[]): void
}

export interface TxPoolOptions {
  validator: TxValidator
  accounts: AccountReader
  journal: TxJournal
  globalSlots: number
  accountSlots: number
  priceBumpPercent: bigint
}

class SenderTxs {
  readonly byNonce = new Map<bigint, PoolTx>()
  /** Sum of maxCost over byNonce, kept as transactions come and go (the overdraft check reads it). */
  cost = 0n
  constructor(public stateNonce: bigint) {}

  put(ptx: PoolTx): void {
    this.byNonce.set(ptx.nonce, ptx)
    this.cost += maxCost(ptx.tx)
  }

  take(ptx: PoolTx): boolean {
    if (this.byNonce.get(ptx.nonce) !== ptx) return false
    this.byNonce.delete(ptx.nonce)
    this.cost -= maxCost(ptx.tx)
    return true
  }

  /** Nonce after the last contiguous transaction. */
  nextNonce(): bigint {
    let n = this.stateNonce
    while (this.byNonce.has(n)) n++
    return n
  }

  highest(): PoolTx | undefined {
    let best: PoolTx | undefined
    for (const ptx of this.byNonce.values()) if (best === undefined || ptx.nonce > best.nonce) best = ptx
    return best
  }
}

export type PoolListener = (ptx: PoolTx) => void

export class TxPool {
  private readonly senders = new Map<string, SenderTxs>()
  private readonly byHash = new Map<string, PoolTx>()
  private readonly listeners: PoolListener[] = []
  private seq = 0

  constructor(private readonly opts: TxPoolOptions) {}

  get size(): number {
    return this.byHash.size
  }

  onAdded(listener: PoolListener): void {
    this.listeners.push(listener)
  }

  /** Validates, admits and journals a transaction; resolves to it once durable. */
  async add(raw: Uint8Array): Promise<PoolTx> {
    const decoded = this.opts.validator.decode(raw)
    const hashHex = bytesToHex(decoded.hash)
    if (this.byHash.has(hashHex)) throw new PoolError('alreadyKnown')
    const account = await this.opts.accounts.account(decoded.sender)
    // everything below is synchronous: no other admission interleaves with it
    return this.admit(decoded, hashHex, account)
  }

  private admit(decoded: DecodedTx, hashHex: string, account: AccountView): PoolTx {
    if (this.byHash.has(hashHex)) throw new PoolError('alreadyKnown')
    this.opts.validator.checkAgainstAccount(decoded, account)
    const senderHex = decoded.sender.toString()
    const ptx: PoolTx = { ...decoded, hashHex, senderHex, nonce: decoded.tx.nonce, seq: this.seq++ }
    const sender = this.senders.get(senderHex) ?? new SenderTxs(account.nonce)
    if (account.nonce > sender.stateNonce) sender.stateNonce = account.nonce

    const existing = sender.byNonce.get(ptx.nonce)
    this.checkOverdraft(sender, existing, ptx, account.balance)
    if (existing !== undefined) {
      this.checkReplacement(existing, ptx)
    } else {
      if (sender.byNonce.size >= this.opts.accountSlots) this.makeRoomInSender(sender, ptx)
      if (this.byHash.size >= this.opts.globalSlots) this.makeRoomInPool(ptx, ptx.nonce > sender.nextNonce())
    }

    this.opts.journal.journalAdd(ptx.hash, ptx.raw)
    if (existing !== undefined) this.drop(existing)
    this.senders.set(senderHex, sender) // new, or forgotten by drop() when the replacement emptied it
    sender.put(ptx)
    this.byHash.set(hashHex, ptx)
    for (const listener of this.listeners) listener(ptx)
    return ptx
  }

  /**
   * geth's overdraft rule: what the sender already has in the pool plus this transaction (for a
   * replacement, instead of the one it replaces) must stay within the balance. Counts queued
   * transactions too (geth counts pending only): a sender cannot queue what it cannot pay.
   */
  private checkOverdraft(sender: SenderTxs, replaced: PoolTx | undefined, incoming: PoolTx, balance: bigint): void {
    const spent = sender.cost - (replaced === undefined ? 0n : maxCost(replaced.tx))
    const cost = maxCost(incoming.tx)
    if (balance < spent + cost) {
      throw new PoolError('insufficientFunds', `balance ${balance}, queued cost ${spent}, tx cost ${cost}, overshot ${spent + cost - balance}`)
    }
  }

  private checkReplacement(old: PoolTx, next: PoolTx): void {
    const bump = 100n + this.opts.priceBumpPercent
    const capOk = feeCapOf(next.tx) * 100n >= feeCapOf(old.tx) * bump
    const tipOk = tipOf(next.tx) * 100n >= tipOf(old.tx) * bump
    if (!capOk || !tipOk) throw new PoolError('replacementUnderpriced')
  }

  /** A sender at its cap may only push out its own highest-nonce transaction, with a lower nonce. */
  private makeRoomInSender(sender: SenderTxs, incoming: PoolTx): void {
    const highest = sender.highest()
    if (highest === undefined || highest.nonce < incoming.nonce) throw new PoolError('accountLimit')
    this.drop(highest)
  }

  /**
   * A full pool evicts the cheapest sender tail (highest nonce, so no gap opens) if the newcomer
   * pays more. A newcomer behind a nonce gap may only push out queued transactions, never
   * executable ones (geth: "future transaction tries to replace pending").
   */
  private makeRoomInPool(incoming: PoolTx, incomingQueued: boolean): void {
    let cheapest: PoolTx | undefined
    for (const sender of this.senders.values()) {
      const tail = sender.highest()
      if (tail === undefined || (incomingQueued && tail.nonce < sender.nextNonce())) continue
      if (cheapest === undefined || feeCapOf(tail.tx) < feeCapOf(cheapest.tx)) cheapest = tail
    }
    if (cheapest === undefined || feeCapOf(cheapest.tx) >= feeCapOf(incoming.tx)) throw new PoolError('underpriced', 'pool is full')
    this.drop(cheapest)
  }

  /** Removes a transaction and forgets it in the journal. */
  private drop(ptx: PoolTx): void {
    this.remove(ptx)
    this.opts.journal.journalRemove([ptx.hash])
  }

  private remove(ptx: PoolTx): void {
    this.byHash.delete(ptx.hashHex)
    const sender = this.senders.get(ptx.senderHex)
    if (sender === undefined) return
    sender.take(ptx)
    if (sender.byNonce.size === 0) this.senders.delete(ptx.senderHex)
  }

  /**
   * After a block: `mined` left the pool (the block's sqlite transaction already removed them
   * from the journal), `invalid` failed in the builder and are dropped, and every sender's
   * transactions below its new nonce are stale.
   */
  onBlockSealed(mined: { senderHex: string; hashHex: string; nonce: bigint }[], invalid: PoolTx[]): void {
    for (const m of mined) {
      const ptx = this.byHash.get(m.hashHex)
      if (ptx !== undefined) this.remove(ptx)
      const sender = this.senders.get(m.senderHex)
      if (sender !== undefined && m.nonce + 1n > sender.stateNonce) sender.stateNonce = m.nonce + 1n
    }
    for (const ptx of invalid) this.drop(ptx)
    const stale: PoolTx[] = []
    for (const senderHex of new Set(mined.map((m) => m.senderHex))) {
      const sender = this.senders.get(senderHex)
      if (sender === undefined) continue
      for (const ptx of sender.byNonce.values()) if (ptx.nonce < sender.stateNonce) stale.push(ptx)
    }
    for (const ptx of stale) this.drop(ptx)
  }

  /** Transactions for the next block: executable, fee cap at or above `baseFee`, best tip first. */
  candidates(baseFee: bigint): BlockCandidates {
    return new BlockCandidates(this.senders, baseFee)
  }

  hasExecutable(baseFee: bigint): boolean {
    for (const sender of this.senders.values()) {
      const first = sender.byNonce.get(sender.stateNonce)
      if (first !== undefined && feeCapOf(first.tx) >= baseFee) return true
    }
    return false
  }

  get(hashHex: string): PoolTx | undefined {
    return this.byHash.get(hashHex.toLowerCase())
  }

  /** Nonce the sender's next transaction should use (state nonce plus its contiguous pending ones). */
  pendingNonce(senderHex: string, stateNonce: bigint): bigint {
    const sender = this.senders.get(senderHex.toLowerCase())
    if (sender === undefined) return stateNonce
    const from = stateNonce > sender.stateNonce ? stateNonce : sender.stateNonce
    let n = from
    while (sender.byNonce.has(n)) n++
    return n
  }

  /** Pending and queued transactions per sender, for txpool_content / txpool_status. */
  content(): { pending: Map<string, PoolTx[]>; queued: Map<string, PoolTx[]> } {
    const pending = new Map<string, PoolTx[]>()
    const queued = new Map<string, PoolTx[]>()
    for (const [senderHex, sender] of this.senders) {
      const next = sender.nextNonce()
      const sorted = [...sender.byNonce.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1))
      const p = sorted.filter((t) => t.nonce < next)
      const q = sorted.filter((t) => t.nonce >= next)
      if (p.length > 0) pending.set(senderHex, p)
      if (q.length > 0) queued.set(senderHex, q)
    }
    return { pending, queued }
  }

  all(): PoolTx[] {
    return [...this.byHash.values()]
  }
}

/**
 * A one-block cursor over the pool: a max-heap of each sender's next executable transaction by
 * effective tip. `skipSender` drops the rest of a sender's transactions for this block (one of
 * its transactions failed, so the later nonces cannot run either).
 */
export class BlockCandidates {
  private readonly heap: PoolTx[] = []
  private readonly skipped = new Set<string>()

  constructor(
    private readonly senders: Map<string, SenderTxs>,
    private readonly baseFee: bigint,
  ) {
    for (const sender of senders.values()) {
      const first = sender.byNonce.get(sender.stateNonce)
      if (first !== undefined) this.push(first)
    }
  }

  next(): PoolTx | undefined {
    while (this.heap.length > 0) {
      const top = this.pop()
      if (this.skipped.has(top.senderHex)) continue
      const following = this.senders.get(top.senderHex)?.byNonce.get(top.nonce + 1n)
      if (following !== undefined) this.push(following)
      return top
    }
    return undefined
  }

  skipSender(senderHex: string): void {
    this.skipped.add(senderHex)
  }

  private better(a: PoolTx, b: PoolTx): boolean {
    const ta = effectiveTip(a.tx, this.baseFee)
    const tb = effectiveTip(b.tx, this.baseFee)
    return ta !== tb ? ta > tb : a.seq < b.seq
  }

  private push(ptx: PoolTx): void {
    if (feeCapOf(ptx.tx) < this.baseFee) return // waits in pending until the base fee falls
    const h = this.heap
    h.push(ptx)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.better(h[i], h[parent])) break
      ;[h[i], h[parent]] = [h[parent], h[i]]
      i = parent
    }
  }

  private pop(): PoolTx {
    const h = this.heap
    const top = h[0]
    const last = h.pop() as PoolTx
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < h.length && this.better(h[l], h[best])) best = l
        if (r < h.length && this.better(h[r], h[best])) best = r
        if (best === i) break
        ;[h[i], h[best]] = [h[best], h[i]]
        i = best
      }
    }
    return top
  }
}

export type { TypedTransaction }
