/**
 * The L1 side of the rollup. Sealed L2 blocks → Batcher (batches of compressed block data in
 * calldata, with the batch's state root, block hash, withdrawal and anchor roots) → RollupAnchor
 * on L1 → the L2's safe and finalized heads; its ledger (ledger.ts) mirrors the posted batches
 * in the node's sqlite file. BatchProofs rebuilds a batch's trees to prove an anchored hash or a
 * withdrawal against L1; derive.ts rebuilds the chain from L1 alone. L1Loop is the loop every
 * service that talks to L1 runs (docs/ARCHITECTURE.md rule 5). What other folders may use:
 */
export { rollupAnchorAbi } from './abi.ts'
export {
  Batcher,
  BatcherCrash,
  type BatchLedger,
  type BatcherConfig,
  type BatcherStatus,
  type BlockSource,
  type CrashContext,
  type CrashPoint,
  type DataAvailability,
  type DataAvailabilityMode,
  type HeadSink,
  type L1Batch,
  type PostedBatch,
  type SourceBlock,
} from './batcher.ts'
export { ChannelAssembler, decodeFrame, encodeFrame, FrameError, frameCommitment, singleFrame, splitChannel, type Frame } from './channel.ts'
export { CommitteeReader, DISPUTE_STATUSES, validatorSetReadAbi, type BatchCommittee } from './committee.ts'
export { BatchDecodeError, decodeBatch, encodeBatch, type BatchBlock, type CompressionName } from './codec.ts'
export { decodeSealedBlock, encodeSealedBlock, SEALED_BLOCKS_SUBSCRIPTION, type SealedBlockMessage, type SealedFeedBlock } from './feed.ts'
export { DeploymentsFileError, readDeployments, writeDeployments, type L1Deployments } from './deployments.ts'
export { blobSourceFor, deriveFromL1, Derivation, DivergenceError, fetchBatch, type BlockImporter, type Divergence, type DerivationConfig, type DerivationLedger, type DerivationStatus, type DerivationTarget, type DeriveResult } from './derive.ts'
export { classifyL1Error, isUnreachable, L1Failure, L1Loop, l1ErrorText, L1_UNREACHABLE_WARN_EVERY_MS, type FailureKind, type L1Health, type Logger } from './l1-loop.ts'
export { SqliteBatchLedger, type BatchWriter, type LedgerDatabase } from './ledger.ts'
export { FlatTree, MerkleTree, TreeNodes, verifyProof } from './merkle.ts'
export { BatchProofs, type AnchorState, type AnchorStatus, type L1Info, type MembershipProof, type ProofIndex } from './proofs.ts'
