/**
 * A resource node's memory, `<dataDir>/worker.sqlite` (its own file: a worker runs without a
 * chain database). What the chain cannot tell it after a restart:
 *
 * - the output, salt and commitment of every request it answers, written (and fsynced: WAL with
 *   `synchronous = FULL`) BEFORE the commit transaction exists, so a crash after the commit can
 *   always reveal, and a restart never draws a second salt (the commitment it sends again is the
 *   same one);
 * - the hash of each protocol transaction, written before the transaction is broadcast, so a
 *   restart can tell "sent and pending or mined" from "never sent";
 * - the log cursor: the last L2 block whose coordinator logs were read, moved in the same sqlite
 *   transaction as the request rows those logs created, so a restart or an L2 outage loses no
 *   assignment;
 * - the address the directory belongs to: salts are bound to the node's address, so a data
 *   directory is refused to another key.
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'

/**
 * Where a request stands for this node. `assigned` → `computed` (output, salt and commitment
 * kept) → `committed` → `revealed` → `done`; `skipped` when it will not answer (model not served,
 * run failed, deadline missed), which still ends in `done` once the request is settled (the node
 * finalizes it if nobody else does, so its assignment closes).
 */
export type RequestState = 'assigned' | 'computed' | 'committed' | 'revealed' | 'skipped' | 'done'

export interface StoredRequest {
  requestId: bigint
  modelId: Hex
  input: Uint8Array
  commitDeadline: number
  revealDeadline: number
  /** L2 block of the assignment. */
  blockNumber: number
  state: RequestState
  output: Uint8Array | null
  salt: Hex | null
  commitment: Hex | null
  runMs: number | null
  commitTx: Hex | null
  revealTx: Hex | null
  finalizeTx: Hex | null
  /** How it ended for this node, in words (set with `done`). */
  outcome: string | null
  /** The settlement as the coordinator's logs told it (read by the catch-up), null before. */
  settlement: Settlement | null
  /** Why it was skipped, or the last error on it. */
  note: string | null
}

const SCHEMA = /* sql */ `
CREATE TABLE IF NOT EXISTS worker_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- one row per request assigned to this node (NodesAssigned naming it)
CREATE TABLE IF NOT EXISTS worker_requests (
  request_id      TEXT PRIMARY KEY,   -- decimal uint256
  model_id        TEXT NOT NULL,
  input           BLOB NOT NULL,
  commit_deadline INTEGER NOT NULL,   -- L2 timestamps, seconds
  reveal_deadline INTEGER NOT NULL,
  block_number    INTEGER NOT NULL,
  state           TEXT NOT NULL,
  output          BLOB,               -- kept before the commit is sent
  salt            TEXT,               -- kept before the commit is sent
  commitment      TEXT,
  run_ms          INTEGER,
  commit_tx       TEXT,               -- each kept before its transaction is broadcast
  reveal_tx       TEXT,
  finalize_tx     TEXT,
  outcome         TEXT,
  note            TEXT,
  -- from the coordinator's logs, read by the catch-up: InferenceFulfilled / InferenceFailed, and
  -- this node's Rewarded / Slashed
  settled         TEXT,               -- 'fulfilled' | 'failed'
  failure_reason  INTEGER,
  result          BLOB,
  reward_wei      TEXT,
  slashed_wei     TEXT,
  slash_reason    INTEGER,
  seen_at         INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS worker_requests_open ON worker_requests (state) WHERE state <> 'done';
`

interface Row {
  request_id: string
  model_id: string
  input: Buffer
  commit_deadline: number
  reveal_deadline: number
  block_number: number
  state: RequestState
  output: Buffer | null
  salt: string | null
  commitment: string | null
  run_ms: number | null
  commit_tx: string | null
  reveal_tx: string | null
  finalize_tx: string | null
  outcome: string | null
  note: string | null
  settled: 'fulfilled' | 'failed' | null
  failure_reason: number | null
  result: Buffer | null
  reward_wei: string | null
  slashed_wei: string | null
  slash_reason: number | null
}

export interface Settlement {
  status: 'fulfilled' | 'failed'
  /** InferenceFailed's reason: 1 no agreement, 2 timed out. */
  failureReason: number | null
  /** The agreed output (fulfilled). */
  result: Uint8Array | null
  /** Credited to this node (Rewarded), in wei. */
  rewardWei: bigint | null
  /** Taken from its stake (Slashed), in wei, and why: 1 wrong output, 2 no reveal, 3 no commit. */
  slashedWei: bigint | null
  slashReason: number | null
}

/** A coordinator log about a request of this node's, as the catch-up reads it. */
export type SettlementEvent =
  | { kind: 'fulfilled'; requestId: bigint; output: Uint8Array }
  | { kind: 'failed'; requestId: bigint; reason: number }
  | { kind: 'rewarded'; requestId: bigint; amount: bigint }
  | { kind: 'slashed'; requestId: bigint; amount: bigint; reason: number }

/** What an assignment brings (from the NodesAssigned and InferenceRequested logs of one request). */
export interface NewAssignment {
  requestId: bigint
  modelId: Hex
  input: Uint8Array
  commitDeadline: number
  revealDeadline: number
  blockNumber: number
}

export class WorkerStore {
  readonly path: string
  private readonly db: Database.Database
  private readonly stmts

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true })
    this.path = join(dataDir, 'worker.sqlite')
    this.db = new Database(this.path)
    this.db.pragma('journal_mode = WAL')
    // every commit reaches the disk: a salt must survive an OS crash, not only a process crash
    this.db.pragma('synchronous = FULL')
    this.db.exec(SCHEMA)
    const d = this.db
    this.stmts = {
      meta: d.prepare('SELECT value FROM worker_meta WHERE key = ?').pluck(),
      setMeta: d.prepare('INSERT INTO worker_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      get: d.prepare('SELECT * FROM worker_requests WHERE request_id = ?'),
      insert: d.prepare(
        `INSERT INTO worker_requests (request_id, model_id, input, commit_deadline, reveal_deadline, block_number, state, seen_at, updated_at)
         VALUES (@requestId, @modelId, @input, @commitDeadline, @revealDeadline, @blockNumber, 'assigned', @now, @now)
         ON CONFLICT (request_id) DO NOTHING`,
      ),
      open: d.prepare("SELECT * FROM worker_requests WHERE state <> 'done' ORDER BY block_number, CAST(request_id AS INTEGER) LIMIT ?"),
      computed: d.prepare("UPDATE worker_requests SET state = 'computed', output = ?, salt = ?, commitment = ?, run_ms = ?, note = NULL, updated_at = ? WHERE request_id = ? AND state = 'assigned'"),
      setState: d.prepare('UPDATE worker_requests SET state = ?, updated_at = ? WHERE request_id = ?'),
      skip: d.prepare("UPDATE worker_requests SET state = 'skipped', note = ?, updated_at = ? WHERE request_id = ? AND state IN ('assigned', 'computed', 'committed')"),
      note: d.prepare('UPDATE worker_requests SET note = ?, updated_at = ? WHERE request_id = ?'),
      tx: {
        commit: d.prepare('UPDATE worker_requests SET commit_tx = ?, updated_at = ? WHERE request_id = ?'),
        reveal: d.prepare('UPDATE worker_requests SET reveal_tx = ?, updated_at = ? WHERE request_id = ?'),
        finalize: d.prepare('UPDATE worker_requests SET finalize_tx = ?, updated_at = ? WHERE request_id = ?'),
      },
      fulfilled: d.prepare("UPDATE worker_requests SET settled = 'fulfilled', result = ?, updated_at = ? WHERE request_id = ?"),
      failed: d.prepare("UPDATE worker_requests SET settled = 'failed', failure_reason = ?, updated_at = ? WHERE request_id = ?"),
      rewarded: d.prepare('UPDATE worker_requests SET reward_wei = ?, updated_at = ? WHERE request_id = ?'),
      slashed: d.prepare('UPDATE worker_requests SET slashed_wei = ?, slash_reason = ?, updated_at = ? WHERE request_id = ?'),
      done: d.prepare("UPDATE worker_requests SET state = 'done', outcome = ?, updated_at = ? WHERE request_id = ?"),
      counts: d.prepare('SELECT state, COUNT(*) AS n FROM worker_requests GROUP BY state'),
    }
  }

  /**
   * Binds the directory to `address` on first use; refuses another one (its salts and
   * commitments are bound to the address that committed them).
   */
  claim(address: Address): void {
    const owner = this.meta('address')
    if (owner === undefined) this.setMeta('address', address.toLowerCase())
    else if (owner !== address.toLowerCase()) throw new Error(`${this.path} belongs to node ${owner}, not ${address}: use another --data-dir for this key`)
  }

  /** The last L2 block whose coordinator logs were all read (undefined on first start). */
  cursor(): number | undefined {
    const v = this.meta('cursor')
    return v === undefined ? undefined : Number(v)
  }

  /**
   * Records what the logs of blocks up to `toBlock` say about this node's requests (new
   * assignments, then settlements, rewards and slashes) and moves the cursor there, in one sqlite
   * transaction (a crash leaves all or nothing). A request already known keeps its row; events
   * of requests it does not know are left out. Returns the assignments that were new.
   */
  recordScan(assignments: NewAssignment[], events: SettlementEvent[], toBlock: number): NewAssignment[] {
    return this.db.transaction(() => {
      const added = assignments.filter((a) => this.insert(a))
      const now = Date.now()
      for (const e of events) {
        const id = e.requestId.toString()
        if (e.kind === 'fulfilled') this.stmts.fulfilled.run(Buffer.from(e.output), now, id)
        else if (e.kind === 'failed') this.stmts.failed.run(e.reason, now, id)
        else if (e.kind === 'rewarded') this.stmts.rewarded.run(e.amount.toString(), now, id)
        else this.stmts.slashed.run(e.amount.toString(), e.reason, now, id)
      }
      this.setMeta('cursor', String(toBlock))
      return added
    })()
  }

  /** Records one assignment (seen over WebSocket, ahead of the cursor); false if it was known. */
  insert(a: NewAssignment): boolean {
    const info = this.stmts.insert.run({
      requestId: a.requestId.toString(),
      modelId: a.modelId.toLowerCase(),
      input: Buffer.from(a.input),
      commitDeadline: a.commitDeadline,
      revealDeadline: a.revealDeadline,
      blockNumber: a.blockNumber,
      now: Date.now(),
    })
    return info.changes === 1
  }

  get(requestId: bigint): StoredRequest | undefined {
    const row = this.stmts.get.get(requestId.toString()) as Row | undefined
    return row === undefined ? undefined : fromRow(row)
  }

  /** Requests not done yet, oldest first. */
  open(limit = 1000): StoredRequest[] {
    return (this.stmts.open.all(limit) as Row[]).map(fromRow)
  }

  /**
   * Keeps the answer, its salt and its commitment (durably) before the commit is sent. Only from
   * `assigned`: a request that has a salt never gets another one. False if it had one already.
   */
  putAnswer(requestId: bigint, output: Uint8Array, salt: Hex, commitment: Hex, runMs: number): boolean {
    return this.stmts.computed.run(Buffer.from(output), salt, commitment, runMs, Date.now(), requestId.toString()).changes === 1
  }

  setState(requestId: bigint, state: Exclude<RequestState, 'done' | 'skipped' | 'computed'>): void {
    this.stmts.setState.run(state, Date.now(), requestId.toString())
  }

  /** Gives up answering (or revealing): the reason is kept in `note`. */
  skip(requestId: bigint, why: string): void {
    this.stmts.skip.run(why, Date.now(), requestId.toString())
  }

  note(requestId: bigint, note: string | null): void {
    this.stmts.note.run(note, Date.now(), requestId.toString())
  }

  /** Records a transaction's hash before it is broadcast. */
  setTx(requestId: bigint, kind: 'commit' | 'reveal' | 'finalize', hash: Hex): void {
    this.stmts.tx[kind].run(hash, Date.now(), requestId.toString())
  }

  done(requestId: bigint, outcome: string): void {
    this.stmts.done.run(outcome, Date.now(), requestId.toString())
  }

  counts(): Record<RequestState, number> {
    const out: Record<RequestState, number> = { assigned: 0, computed: 0, committed: 0, revealed: 0, skipped: 0, done: 0 }
    for (const r of this.stmts.counts.all() as { state: RequestState; n: number }[]) out[r.state] = r.n
    return out
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private meta(key: string): string | undefined {
    return (this.stmts.meta.get(key) as string | undefined) ?? undefined
  }

  private setMeta(key: string, value: string): void {
    this.stmts.setMeta.run(key, value)
  }
}

function fromRow(r: Row): StoredRequest {
  return {
    requestId: BigInt(r.request_id),
    modelId: r.model_id as Hex,
    input: new Uint8Array(r.input),
    commitDeadline: r.commit_deadline,
    revealDeadline: r.reveal_deadline,
    blockNumber: r.block_number,
    state: r.state,
    output: r.output === null ? null : new Uint8Array(r.output),
    salt: r.salt as Hex | null,
    commitment: r.commitment as Hex | null,
    runMs: r.run_ms,
    commitTx: r.commit_tx as Hex | null,
    revealTx: r.reveal_tx as Hex | null,
    finalizeTx: r.finalize_tx as Hex | null,
    outcome: r.outcome,
    note: r.note,
    settlement:
      r.settled === null
        ? null
        : {
            status: r.settled,
            failureReason: r.failure_reason,
            result: r.result === null ? null : new Uint8Array(r.result),
            rewardWei: r.reward_wei === null ? null : BigInt(r.reward_wei),
            slashedWei: r.slashed_wei === null ? null : BigInt(r.slashed_wei),
            slashReason: r.slash_reason,
          },
  }
}
