/**
 * The validator: a replica (batcher/derive.ts's Derivation) that stakes on ValidatorSet and acts
 * on what it derives. Derived batches → EIP-712 attestations (commitment.ts) → ValidatorSet.attest;
 * a batch derivation holds at (it does not reproduce) → challenge → commit-reveal votes in every
 * dispute → resolve → L1 deletes the wrong batches and derivation follows. What it signed and the
 * salts of its votes live in the node's sqlite file (store.ts). What other folders may use:
 */
export { DISPUTE_STATUS_NAMES, DisputeStatus, validatorSetAbi } from './abi.ts'
export { ATTESTATION_DOMAIN_NAME, attestationTypedData, batchCommitment, voteHash, wrongMarker } from './commitment.ts'
export { ValidatorStore, type SignedAttestation, type StoredVote, type ValidatorDatabase } from './store.ts'
export { Validator, type DerivationView, type ValidatorConfig, type ValidatorStatus, type VerifiedBatches } from './validator.ts'
