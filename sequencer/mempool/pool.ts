/**
 * The transaction pool. Per sender, transactions are kept by nonce; those contiguous from the
 * sender's nonce at the head are `pending` (executable), the rest `queued` (behind a nonce gap).
 * A pending transaction whose fee cap is below the current base fee waits in pending and is
 * skipped by block selection until the base fee falls.
 *
 * Admission: the validator decodes and checks the bytes, then the sender's state; the pool adds
 * the rules that need the pool (replacement, caps) and journals the transaction before `add`
 * resolves, so an acknowledged hash survives a crash. The journal is written in groups: every
 * transaction admitted in one turn of the event loop goes into one journal write (one append to
 * its log, journal.ts, instead of one per transaction), and each `add` resolves only after that
 * write, so the rule holds. Block selection hands transactions out in order of effective tip, each
 * sender's in nonce order.
 */
import { bytesToHex, type Address } from '@ethereumjs/util'
import type { TypedTransaction } from '@ethereumjs/tx'
import { PoolError } from './errors.ts'
import { Heap } from './heap.ts'
import { effectiveTip, feeCapOf, maxCost, tipOf, type AccountView, type DecodedTx, type TxValidator } from './validator.ts'

export interface PoolTx extends DecodedTx {
  hashHex: string
  senderHex: string
  nonce: bigint
  /** Arrival order, for stable ordering among equal tips. */
  seq: number
  /** When the pool first accepted it (unix ms; from the journal after a restart): the queued lifetime counts from here. */
  arrivedAt: number
}

/** Where the pool reads a sender's nonce and balance at the head. */
export interface AccountReader {
  account(address: Address): Promise<AccountView>
}

/** Where accepted transactions are made durable (journal.ts on the node). */
export interface TxJournal {
  /** One write: records `added`, forgets `removed` (the transactions they replaced); durable once it returns or resolves. */
  journalWrite(added: JournalEntry[], removed: Uint8Array[]): void | Promise<void>
  /** Forgets transactions that left the pool (mined, evicted, dropped); never throws, a row left behind is dropped by the next replay. */
  journalRemove(hashes: Uint8Array[]): void
}

export interface JournalEntry {
  hash: Uint8Array
  raw: Uint8Array
  arrivedAt: number
}

/** Admissions of one turn of the event loop, journaled together (TxPool.journalRound). */
interface JournalRound {
  admitted: PoolTx[]
  /** Journal rows of transactions the admitted ones replaced. */
  replaced: Uint8Array[]
  written: Promise<void>
}

export interface TxPoolOptions {
  validator: TxValidator
  accounts: AccountReader
  journal: TxJournal
  /** Most transactions (pending + queued). */
  globalSlots: number
  /** Most transactions of one sender (pending + queued). */
  accountSlots: number
  /** Most bytes (network encodings) of all transactions together. */
  maxBytes: number
  /** Most queued (nonce-gapped) transactions in the pool, and of one sender. */
  queuedGlobalSlots: number
  queuedAccountSlots: number
  /** A queued transaction older than this is dropped, in milliseconds. */
  queuedLifetimeMs: number
  /** Smallest accepted fee cap (maxFeePerGas, or gasPrice), in wei. */
  minFeeCap: bigint
  /** A replacement's fee cap must exceed the old one by this percentage... */
  priceBumpPercent: bigint
  /** ...and by at least this much, in wei (10% of nothing is nothing). */
  minReplacementBump: bigint
  /** The clock, in unix ms (tests may move it). */
  now?: () => number
}

class SenderTxs {
  readonly byNonce = new Map<bigint, PoolTx>()
  /** Sum of maxCost over byNonce, kept as transactions come and go (the overdraft check reads it). */
  cost = 0n
  /** Nonce after the contiguous run from stateNonce: below it pending, above it queued. */
  next: bigint
  /** The highest-nonce transaction (the tail, the only one eviction may take). */
  top: PoolTx | undefined
  constructor(
    readonly senderHex: string,
    public stateNonce: bigint,
  ) {
    this.next = stateNonce
  }

  /** Transactions behind a nonce gap. */
  get queued(): number {
    return this.byNonce.size - Number(this.next - this.stateNonce)
  }

  put(ptx: PoolTx): void {
    this.byNonce.set(ptx.nonce, ptx)
    this.cost += maxCost(ptx.tx)
    if (this.top === undefined || ptx.nonce > this.top.nonce) this.top = ptx
    if (ptx.nonce === this.next) this.advance()
  }

  take(ptx: PoolTx): boolean {
    if (this.byNonce.get(ptx.nonce) !== ptx) return false
    this.byNonce.delete(ptx.nonce)
    this.cost -= maxCost(ptx.tx)
    if (ptx.nonce < this.next && ptx.nonce >= this.stateNonce) this.next = ptx.nonce // what followed it is queued now
    if (this.top === ptx) {
      this.top = undefined
      for (const t of this.byNonce.values()) if (this.top === undefined || t.nonce > this.top.nonce) this.top = t
    }
    return true
  }

  /** The head moved (the sender's transactions below `nonce` are mined or stale and already taken). */
  setStateNonce(nonce: bigint): void {
    if (nonce <= this.stateNonce) return
    this.stateNonce = nonce
    if (this.next < nonce) this.next = nonce
    this.advance()
  }

  private advance(): void {
    while (this.byNonce.has(this.next)) this.next++
  }

  /** Its queued transactions, lowest nonce first. */
  queuedTxs(): PoolTx[] {
    const out: PoolTx[] = []
    for (const t of this.byNonce.values()) if (t.nonce > this.next) out.push(t)
    return out.sort((a, b) => (a.nonce < b.nonce ? -1 : 1))
  }
}

export type PoolListener = (ptx: PoolTx) => void

/** How often, at most, the pool looks for expired queued transactions, in milliseconds. */
const EXPIRY_CHECK_INTERVAL_MS = 1_000

export class TxPool {
  private readonly senders = new Map<string, SenderTxs>()
  private readonly byHash = new Map<string, PoolTx>()
  private readonly listeners: PoolListener[] = []
  /** Senders' tails by fee cap, cheapest first (entries go stale lazily; see TailHeap). */
  private readonly tails = new TailHeap()
  /** Senders with queued transactions. */
  private readonly queuedSenders = new Set<SenderTxs>()
  private queuedCount = 0
  private byteCount = 0
  private seq = 0
  private lastExpiryCheck = 0
  /** The journal write this turn's admissions wait for, once one is open. */
  private round: JournalRound | undefined
  private readonly now: () => number

  constructor(private readonly opts: TxPoolOptions) {
    this.now = opts.now ?? Date.now
  }

  get size(): number {
    return this.byHash.size
  }

  /** Counts without walking the pool (txpool_status). */
  stats(): { pending: number; queued: number; bytes: number } {
    this.expireQueued()
    return { pending: this.byHash.size - this.queuedCount, queued: this.queuedCount, bytes: this.byteCount }
  }

  onAdded(listener: PoolListener): void {
    this.listeners.push(listener)
  }

  /**
   * Validates, admits and journals a transaction; resolves to it once durable. `arrivedAt` is for
   * the journal replay (a restart must not renew a queued transaction's lifetime).
   */
  async add(raw: Uint8Array, opts: { arrivedAt?: number } = {}): Promise<PoolTx> {
    const decoded = await this.opts.validator.decode(raw)
    const hashHex = bytesToHex(decoded.hash)
    if (this.byHash.has(hashHex)) throw new PoolError('alreadyKnown')
    if (feeCapOf(decoded.tx) < this.opts.minFeeCap) {
      throw new PoolError('underpriced', `fee cap ${feeCapOf(decoded.tx)} wei, minimum ${this.opts.minFeeCap} wei`)
    }
    const account = await this.opts.accounts.account(decoded.sender)
    // admission itself is synchronous: no other admission interleaves with it
    const round = this.journalRound()
    const ptx = this.admit(decoded, hashHex, account, opts.arrivedAt ?? this.now(), round)
    await round.written
    if (this.byHash.get(hashHex) === ptx) for (const listener of this.listeners) listener(ptx)
    return ptx
  }

  /**
   * The journal write this turn's admissions join: opened by the first of them, written once the
   * turn's I/O callbacks have run (setImmediate). A failed write takes its transactions back out
   * of the pool (they were never durable, and their senders get the error); what left the pool
   * before the write (mined, replaced, evicted) is not written.
   */
  private journalRound(): JournalRound {
    if (this.round !== undefined) return this.round
    const round: JournalRound = { admitted: [], replaced: [], written: Promise.resolve() }
    round.written = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.round = undefined
        const live = round.admitted.filter((ptx) => this.byHash.get(ptx.hashHex) === ptx)
        const refuse = (err: unknown) => {
          for (const ptx of live) this.remove(ptx)
          reject(err)
        }
        try {
          Promise.resolve(this.opts.journal.journalWrite(live.map((ptx) => ({ hash: ptx.hash, raw: ptx.raw, arrivedAt: ptx.arrivedAt })), round.replaced)).then(resolve, refuse)
        } catch (err) {
          refuse(err)
        }
      })
    })
    this.round = round
    return round
  }

  private admit(decoded: DecodedTx, hashHex: string, account: AccountView, arrivedAt: number, round?: JournalRound): PoolTx {
    if (this.byHash.has(hashHex)) throw new PoolError('alreadyKnown')
    this.opts.validator.checkAgainstAccount(decoded, account)
    this.expireQueued()
    const senderHex = decoded.sender.toString()
    // one literal, not `{ ...decoded, hashHex, … }`: Node 20's V8 builds a spread followed by more
    // properties on a slow path, about 6 µs per transaction here (README "Measured figures")
    const { tx, raw, hash, sender: senderAddress } = decoded
    const ptx: PoolTx = { tx, raw, hash, sender: senderAddress, hashHex, senderHex, nonce: tx.nonce, seq: this.seq++, arrivedAt }
    if (this.opts.queuedLifetimeMs > 0 && ptx.nonce > (this.senders.get(senderHex)?.next ?? account.nonce) && arrivedAt + this.opts.queuedLifetimeMs <= this.now()) {
      throw new PoolError('expired', `queued since ${new Date(arrivedAt).toISOString()}`)
    }
    if (this.senders.has(senderHex)) this.advanceSender(senderHex, account.nonce)
    let sender = this.senders.get(senderHex)
    if (sender === undefined) {
      sender = new SenderTxs(senderHex, account.nonce)
      this.senders.set(senderHex, sender)
    }

    const existing = sender.byNonce.get(ptx.nonce)
    try {
      this.checkOverdraft(sender, existing, ptx, account.balance)
      if (existing !== undefined) {
        this.checkReplacement(existing, ptx)
        if (this.byteCount - existing.raw.length + ptx.raw.length > this.opts.maxBytes) this.makeRoom(ptx, ptx.nonce > sender.next, existing)
      } else {
        const queued = ptx.nonce > sender.next
        if (queued) this.checkQueueRoom(sender)
        if (sender.byNonce.size >= this.opts.accountSlots) this.makeRoomInSender(sender, ptx)
        if (this.byHash.size >= this.opts.globalSlots || this.byteCount + ptx.raw.length > this.opts.maxBytes) this.makeRoom(ptx, queued)
      }
    } catch (err) {
      if (sender.byNonce.size === 0) this.senders.delete(senderHex)
      throw err
    }

    // the replaced row goes in the same journal write as its replacement
    if (existing !== undefined && this.remove(existing)) round?.replaced.push(existing.hash)
    this.senders.set(senderHex, sender) // new, or forgotten by remove() when the replacement emptied it
    this.track(sender, () => sender!.put(ptx))
    this.byHash.set(hashHex, ptx)
    this.byteCount += ptx.raw.length
    round?.admitted.push(ptx)
    return ptx
  }

  /** Runs a change to one sender and keeps the pool's queued count, queued set and tail heap in step. */
  private track(sender: SenderTxs, change: () => void): void {
    const queuedBefore = sender.queued
    const topBefore = sender.top
    change()
    const queuedAfter = sender.queued
    this.queuedCount += queuedAfter - queuedBefore
    if (queuedAfter > 0) this.queuedSenders.add(sender)
    else this.queuedSenders.delete(sender)
    if (sender.top !== undefined && sender.top !== topBefore) this.tails.push(sender.top)
    if (this.tails.size > 2 * this.senders.size + 1024) this.tails.rebuild([...this.senders.values()].flatMap((s) => (s.top === undefined ? [] : [s.top])))
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

  /** Both fee fields up by priceBumpPercent, and the fee cap by at least minReplacementBump wei. */
  private checkReplacement(old: PoolTx, next: PoolTx): void {
    const bump = 100n + this.opts.priceBumpPercent
    const capOk = feeCapOf(next.tx) * 100n >= feeCapOf(old.tx) * bump && feeCapOf(next.tx) >= feeCapOf(old.tx) + this.opts.minReplacementBump
    const tipOk = tipOf(next.tx) * 100n >= tipOf(old.tx) * bump
    if (!capOk || !tipOk) throw new PoolError('replacementUnderpriced')
  }

  /** Queued transactions have their own small limits: they never take room executable ones need. */
  private checkQueueRoom(sender: SenderTxs): void {
    if (sender.queued >= this.opts.queuedAccountSlots) throw new PoolError('accountLimit', `${this.opts.queuedAccountSlots} queued (nonce-gapped) transactions per sender`)
    if (this.queuedCount >= this.opts.queuedGlobalSlots) throw new PoolError('poolFull', `${this.opts.queuedGlobalSlots} queued (nonce-gapped) transactions`)
  }

  /** A sender at its cap may only push out its own highest-nonce transaction, with a lower nonce. */
  private makeRoomInSender(sender: SenderTxs, incoming: PoolTx): void {
    const highest = sender.top
    if (highest === undefined || highest.nonce < incoming.nonce) throw new PoolError('accountLimit')
    this.drop(highest)
  }

  /**
   * A full pool (by count or bytes) makes room for an executable newcomer: queued transactions go
   * first (they cannot run, whatever they pay), then the cheapest sender tails (highest nonce, so
   * no gap opens) while they pay less than the newcomer; the tails come off a heap, so a refusal
   * costs O(log n), not a scan. A newcomer behind a nonce gap never displaces anything (geth:
   * "future transaction tries to replace pending"). Nothing is dropped unless all the room is found.
   */
  private makeRoom(incoming: PoolTx, incomingQueued: boolean, replacing?: PoolTx): void {
    const full = 'pool is full'
    if (incomingQueued) throw new PoolError('underpriced', full)
    let count = this.byHash.size + (replacing === undefined ? 1 : 0)
    let bytes = this.byteCount + incoming.raw.length - (replacing?.raw.length ?? 0)
    const fits = () => count <= this.opts.globalSlots && bytes <= this.opts.maxBytes
    const victims: PoolTx[] = []
    const take = (ptx: PoolTx) => {
      victims.push(ptx)
      count--
      bytes -= ptx.raw.length
    }
    for (const sender of this.queuedSenders) {
      if (fits()) break
      for (const ptx of sender.queuedTxs().reverse()) {
        if (fits()) break
        if (ptx !== replacing) take(ptx)
      }
    }
    if (!fits()) {
      const chosen = new Set(victims)
      const cap = feeCapOf(incoming.tx)
      // walk the cheapest tails without disturbing the heap: a refusal must leave the pool as it was
      for (const tail of this.tails.cheapest((t) => this.isTail(t))) {
        if (fits()) break
        if (feeCapOf(tail.tx) >= cap) break
        if (chosen.has(tail) || tail === replacing) continue
        if (tail.senderHex === incoming.senderHex) continue // its own lower nonces would open a gap under it
        take(tail)
        chosen.add(tail)
        // the sender's next tail may be cheap too; it is on the heap only once this one is dropped
        let below = this.senders.get(tail.senderHex)?.byNonce.get(tail.nonce - 1n)
        while (below !== undefined && !fits() && feeCapOf(below.tx) < cap) {
          take(below)
          below = this.senders.get(tail.senderHex)?.byNonce.get(below.nonce - 1n)
        }
      }
    }
    if (!fits()) throw new PoolError('underpriced', full)
    for (const v of victims) this.drop(v)
  }

  private isTail(ptx: PoolTx): boolean {
    return this.byHash.get(ptx.hashHex) === ptx && this.senders.get(ptx.senderHex)?.top === ptx
  }

  /** Drops queued transactions older than queuedLifetimeMs (at most once a second). */
  expireQueued(): void {
    if (this.opts.queuedLifetimeMs <= 0 || this.queuedCount === 0) return
    const now = this.now()
    if (now - this.lastExpiryCheck < EXPIRY_CHECK_INTERVAL_MS) return
    this.lastExpiryCheck = now
    const cutoff = now - this.opts.queuedLifetimeMs
    const expired: PoolTx[] = []
    for (const sender of this.queuedSenders) for (const ptx of sender.queuedTxs()) if (ptx.arrivedAt <= cutoff) expired.push(ptx)
    for (const ptx of expired) this.drop(ptx)
  }

  /** Removes a transaction and forgets it in the journal. */
  private drop(ptx: PoolTx): void {
    if (this.remove(ptx)) this.opts.journal.journalRemove([ptx.hash])
  }

  private remove(ptx: PoolTx): boolean {
    if (this.byHash.get(ptx.hashHex) !== ptx) return false
    this.byHash.delete(ptx.hashHex)
    this.byteCount -= ptx.raw.length
    const sender = this.senders.get(ptx.senderHex)
    if (sender === undefined) return true
    this.track(sender, () => sender.take(ptx))
    if (sender.byNonce.size === 0) {
      this.senders.delete(ptx.senderHex)
      this.queuedSenders.delete(sender)
    }
    return true
  }

  /**
   * After a block: `mined` left the pool and their journal rows go now that the block is
   * committed (a crash in between leaves rows the replay drops as mined), `invalid` failed in the
   * builder and are dropped, and every sender's transactions below its new nonce are stale.
   */
  onBlockSealed(mined: { senderHex: string; hashHex: string; nonce: bigint }[], invalid: PoolTx[]): void {
    const newNonce = new Map<string, bigint>()
    const minedRows: Uint8Array[] = []
    for (const m of mined) {
      const ptx = this.byHash.get(m.hashHex)
      if (ptx !== undefined && this.remove(ptx)) minedRows.push(ptx.hash)
      if (m.nonce + 1n > (newNonce.get(m.senderHex) ?? 0n)) newNonce.set(m.senderHex, m.nonce + 1n)
    }
    this.opts.journal.journalRemove(minedRows)
    for (const ptx of invalid) this.drop(ptx)
    for (const [senderHex, nonce] of newNonce) this.advanceSender(senderHex, nonce)
    this.expireQueued()
  }

  /** The sender's nonce at the head is now `nonce`: what is below is stale, what follows may become pending. */
  private advanceSender(senderHex: string, nonce: bigint): void {
    const sender = this.senders.get(senderHex)
    if (sender === undefined || nonce <= sender.stateNonce) return
    const stale: PoolTx[] = []
    for (const ptx of sender.byNonce.values()) if (ptx.nonce < nonce) stale.push(ptx)
    for (const ptx of stale) this.drop(ptx)
    const still = this.senders.get(senderHex)
    if (still !== undefined) this.track(still, () => still.setStateNonce(nonce))
  }

  /**
   * Re-admits the journal at start-up, in nonce order (so each sender's run is rebuilt pending
   * before anything behind a gap counts as queued), keeping each transaction's arrival time.
   * Returns the hashes that no longer qualify (mined, stale, expired); the caller forgets them.
   */
  async restore(entries: { hash: Uint8Array; raw: Uint8Array; arrivedAt: number | null }[]): Promise<{ restored: number; dropped: Uint8Array[] }> {
    const dropped: Uint8Array[] = []
    const decoded: { d: DecodedTx; arrivedAt: number }[] = []
    // all at once: their sender recoveries go to the recovery thread together
    await Promise.all(
      entries.map(async (e) => {
        try {
          decoded.push({ d: await this.opts.validator.decode(e.raw), arrivedAt: e.arrivedAt ?? this.now() })
        } catch {
          dropped.push(e.hash)
        }
      }),
    )
    decoded.sort((a, b) => (a.d.tx.nonce < b.d.tx.nonce ? -1 : a.d.tx.nonce > b.d.tx.nonce ? 1 : a.arrivedAt - b.arrivedAt))
    let restored = 0
    // nothing is written (they are in the journal already); rows of replaced entries are dropped
    const restoring: JournalRound = { admitted: [], replaced: [], written: Promise.resolve() }
    for (const { d, arrivedAt } of decoded) {
      try {
        const hashHex = bytesToHex(d.hash)
        if (this.byHash.has(hashHex)) continue
        if (feeCapOf(d.tx) < this.opts.minFeeCap) throw new PoolError('underpriced')
        const ptx = this.admit(d, hashHex, await this.opts.accounts.account(d.sender), arrivedAt, restoring)
        for (const listener of this.listeners) listener(ptx)
        restored++
      } catch {
        dropped.push(d.hash)
      }
    }
    dropped.push(...restoring.replaced)
    restored -= restoring.replaced.length
    return { restored, dropped }
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

  /**
   * Pending and queued transactions per sender, for txpool_content; `of` restricts it to one
   * sender (txpool_contentFrom). The caller checks stats() first: this walks what it returns.
   */
  content(of?: string): { pending: Map<string, PoolTx[]>; queued: Map<string, PoolTx[]> } {
    this.expireQueued()
    const pending = new Map<string, PoolTx[]>()
    const queued = new Map<string, PoolTx[]>()
    const one = of === undefined ? undefined : this.senders.get(of.toLowerCase())
    const senders = of === undefined ? this.senders.values() : one === undefined ? [] : [one]
    for (const sender of senders) {
      const sorted = [...sender.byNonce.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1))
      const p = sorted.filter((t) => t.nonce < sender.next)
      const q = sorted.filter((t) => t.nonce >= sender.next)
      if (p.length > 0) pending.set(sender.senderHex, p)
      if (q.length > 0) queued.set(sender.senderHex, q)
    }
    return { pending, queued }
  }

  /** How many transactions and bytes one sender has in the pool. */
  senderStats(senderHex: string): { count: number; bytes: number } {
    const sender = this.senders.get(senderHex.toLowerCase())
    if (sender === undefined) return { count: 0, bytes: 0 }
    let bytes = 0
    for (const t of sender.byNonce.values()) bytes += t.raw.length
    return { count: sender.byNonce.size, bytes }
  }

  all(): PoolTx[] {
    return [...this.byHash.values()]
  }
}

/**
 * A min-heap of sender tails by fee cap (then newest first). Entries are not removed when a tail
 * stops being one; readers skip those (`live`), and the pool rebuilds the heap when stale entries
 * outnumber live ones, so each operation stays O(log n) amortized.
 */
class TailHeap {
  private readonly h = new Heap<PoolTx>(cheaper)

  get size(): number {
    return this.h.size
  }

  push(ptx: PoolTx): void {
    this.h.push(ptx)
  }

  rebuild(live: PoolTx[]): void {
    this.h.clear()
    for (const p of live) this.h.push(p)
  }

  /** Live entries in ascending order, lazily; stale ones at the top are discarded on the way (the others stay). */
  *cheapest(live: (ptx: PoolTx) => boolean): Generator<PoolTx> {
    const h = this.h
    while (h.size > 0 && !live(h.at(0))) h.pop()
    // a side heap of indices walks the rest in order without popping live entries
    const frontier: number[] = h.size > 0 ? [0] : []
    const seen = new Set<PoolTx>()
    while (frontier.length > 0) {
      let best = 0
      for (let k = 1; k < frontier.length; k++) if (cheaper(h.at(frontier[k]), h.at(frontier[best]))) best = k
      const i = frontier[best]
      frontier.splice(best, 1)
      const l = 2 * i + 1
      if (l < h.size) frontier.push(l)
      if (l + 1 < h.size) frontier.push(l + 1)
      const ptx = h.at(i)
      if (seen.has(ptx) || !live(ptx)) continue
      seen.add(ptx)
      yield ptx
    }
  }
}

function cheaper(a: PoolTx, b: PoolTx): boolean {
  const ca = feeCapOf(a.tx)
  const cb = feeCapOf(b.tx)
  return ca !== cb ? ca < cb : a.seq > b.seq
}

/**
 * A one-block cursor over the pool: a max-heap of each sender's next executable transaction by
 * effective tip. `skipSender` drops the rest of a sender's transactions for this block (one of
 * its transactions failed, so the later nonces cannot run either).
 */
export class BlockCandidates {
  private readonly heap = new Heap<PoolTx>((a, b) => this.better(a, b))
  private readonly skipped = new Set<string>()
  /** Senders with a transaction in the heap (at most one each). */
  private readonly queued = new Set<string>()
  /** Each sender's last nonce handed out by next(). */
  private readonly handedOut = new Map<string, bigint>()

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
    for (let top = this.heap.pop(); top !== undefined; top = this.heap.pop()) {
      this.queued.delete(top.senderHex)
      if (this.skipped.has(top.senderHex)) continue
      this.handedOut.set(top.senderHex, top.nonce)
      const following = this.senders.get(top.senderHex)?.byNonce.get(top.nonce + 1n)
      if (following !== undefined) this.push(following)
      return top
    }
    return undefined
  }

  /**
   * Takes in what arrived since the cursor was made: each sender's next transaction after the
   * last one handed out (from its state nonce if none was), unless one is queued already. A
   * block kept open until its tick (the driver's early start) calls this when it runs dry.
   */
  refresh(): void {
    for (const [senderHex, sender] of this.senders) {
      if (this.queued.has(senderHex) || this.skipped.has(senderHex)) continue
      const last = this.handedOut.get(senderHex)
      const next = sender.byNonce.get(last === undefined ? sender.stateNonce : last + 1n)
      if (next !== undefined) this.push(next)
    }
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
    this.heap.push(ptx)
    this.queued.add(ptx.senderHex)
  }
}

export type { TypedTransaction }
