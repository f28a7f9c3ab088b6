/**
 * A validator's memory, in the node's sqlite file: every attestation it signed and every vote it
 * committed, with its salt. Both are written and synced to disk before the transaction that uses
 * them is sent, so no crash or restart makes it sign a second commitment for a batch index (which
 * ValidatorSet.reportEquivocation slashes whole) or lose the salt of a committed vote (which would
 * cost it the non-voter penalty).
 */
import type Database from 'better-sqlite3'
import type { Hex } from 'viem'

/** The node's sqlite database as this store uses it (sequencer/store's Store). */
export interface ValidatorDatabase {
  readonly db: Database.Database
  /** Makes everything committed so far durable against an OS crash, not only a process crash. */
  syncToDisk(): void
}

const SCHEMA = /* sql */ `
-- one row per batch index this validator ever signed: ValidatorSet counts two signatures of one
-- index with different commitments as equivocation, whatever submission they were for
CREATE TABLE IF NOT EXISTS validator_attestations (
  batch_index INTEGER PRIMARY KEY,
  batch_key   INTEGER NOT NULL,
  commitment  TEXT NOT NULL,
  signature   TEXT NOT NULL,
  signed_at   INTEGER NOT NULL,
  attest_tx   TEXT
);

-- one row per dispute this validator votes in; the salt is kept before the commit is sent
CREATE TABLE IF NOT EXISTS validator_votes (
  dispute_id         INTEGER PRIMARY KEY,
  batch_index        INTEGER NOT NULL,
  claimed_commitment TEXT NOT NULL,
  salt               TEXT NOT NULL,
  says_correct       INTEGER NOT NULL,
  commit_tx          TEXT,
  reveal_tx          TEXT
);
`

export interface SignedAttestation {
  batchIndex: number
  batchKey: number
  commitment: Hex
  signature: Hex
  signedAt: number
  attestTx: Hex | null
}

export interface StoredVote {
  disputeId: number
  batchIndex: number
  claimedCommitment: Hex
  salt: Hex
  saysCorrect: boolean
  commitTx: Hex | null
  revealTx: Hex | null
}

export class ValidatorStore {
  private readonly stmts

  constructor(private readonly store: ValidatorDatabase) {
    store.db.exec(SCHEMA)
    const d = store.db
    this.stmts = {
      attestation: d.prepare(`SELECT batch_index AS batchIndex, batch_key AS batchKey, commitment, signature, signed_at AS signedAt, attest_tx AS attestTx FROM validator_attestations WHERE batch_index = ?`),
      putAttestation: d.prepare('INSERT INTO validator_attestations (batch_index, batch_key, commitment, signature, signed_at) VALUES (?, ?, ?, ?, ?)'),
      attestTx: d.prepare('UPDATE validator_attestations SET attest_tx = ? WHERE batch_index = ?'),
      lastAttestation: d.prepare('SELECT MAX(batch_index) FROM validator_attestations').pluck(),
      attestations: d.prepare('SELECT COUNT(*) FROM validator_attestations').pluck(),
      vote: d.prepare(`SELECT dispute_id AS disputeId, batch_index AS batchIndex, claimed_commitment AS claimedCommitment, salt, says_correct AS saysCorrect, commit_tx AS commitTx, reveal_tx AS revealTx FROM validator_votes WHERE dispute_id = ?`),
      putVote: d.prepare('INSERT INTO validator_votes (dispute_id, batch_index, claimed_commitment, salt, says_correct) VALUES (?, ?, ?, ?, ?)'),
      commitTx: d.prepare('UPDATE validator_votes SET commit_tx = ? WHERE dispute_id = ?'),
      revealTx: d.prepare('UPDATE validator_votes SET reveal_tx = ? WHERE dispute_id = ?'),
      votes: d.prepare('SELECT COUNT(*) FROM validator_votes').pluck(),
    }
  }

  /** What this validator signed for batch index `batchIndex`, if anything. */
  attestation(batchIndex: number): SignedAttestation | undefined {
    return this.stmts.attestation.get(batchIndex) as SignedAttestation | undefined
  }

  /** Records a signature, durably, before anyone sees it. Throws if the index was signed before. */
  putAttestation(a: Omit<SignedAttestation, 'attestTx'>): void {
    this.stmts.putAttestation.run(a.batchIndex, a.batchKey, a.commitment, a.signature, a.signedAt)
    this.store.syncToDisk()
  }

  setAttestTx(batchIndex: number, tx: Hex): void {
    this.stmts.attestTx.run(tx, batchIndex)
  }

  lastAttestedIndex(): number | null {
    return (this.stmts.lastAttestation.get() as number | null) ?? null
  }

  counts(): { attestations: number; votes: number } {
    return { attestations: this.stmts.attestations.get() as number, votes: this.stmts.votes.get() as number }
  }

  vote(disputeId: number): StoredVote | undefined {
    const row = this.stmts.vote.get(disputeId) as (Omit<StoredVote, 'saysCorrect'> & { saysCorrect: number }) | undefined
    return row === undefined ? undefined : { ...row, saysCorrect: row.saysCorrect === 1 }
  }

  /** Records a vote and its salt, durably, before its commit is sent. */
  putVote(v: Omit<StoredVote, 'commitTx' | 'revealTx'>): void {
    this.stmts.putVote.run(v.disputeId, v.batchIndex, v.claimedCommitment, v.salt, v.saysCorrect ? 1 : 0)
    this.store.syncToDisk()
  }

  setCommitTx(disputeId: number, tx: Hex): void {
    this.stmts.commitTx.run(tx, disputeId)
  }

  setRevealTx(disputeId: number, tx: Hex): void {
    this.stmts.revealTx.run(tx, disputeId)
  }
}
