/**
 * The parts of the L1 contracts' ABI the node uses, written out so the node does not depend on
 * Hardhat's build artifacts at run time (they must match contracts/L1/*.sol; the batcher tests
 * run against the compiled contracts, so a mismatch fails there).
 */
import { parseAbi } from 'viem'

export const rollupAnchorAbi = parseAbi([
  'function submitBatch(uint64 firstBlock, uint64 lastBlock, bytes32 stateRoot, bytes32 blockHash, bytes32 withdrawalRoot, bytes32 anchorRoot, bytes frame) returns (uint256)',
  'struct BatchHeader { uint64 firstBlock; uint64 lastBlock; bytes32 stateRoot; bytes32 blockHash; bytes32 withdrawalRoot; bytes32 anchorRoot; }',
  'function submitChannel(BatchHeader header, bytes16 channelId, uint16 firstFrame, bytes[] frames, uint256 blobCount) returns (uint256)',
  'function appendFrames(bytes16 channelId, uint16 firstFrame, bytes[] frames, uint256 blobCount)',
  'struct Channel { bytes32 acc; uint64 openedAt; uint16 nextFrame; bool closed; }',
  'function channel(bytes16 channelId) view returns (Channel)',
  'function channelTimeout() view returns (uint64)',
  'event FramesAppended(bytes16 indexed channelId, uint16 firstFrame, bytes32[] frameHashes, uint256 blobCount)',
  'function batchCount() view returns (uint256)',
  'function lastBlock() view returns (uint64)',
  'function challengeWindow() view returns (uint64)',
  'function isFinal(uint256 batchIndex) view returns (bool)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function SEQUENCER_ROLE() view returns (bytes32)',
  'struct Batch { uint64 firstBlock; uint64 lastBlock; uint64 submittedAt; uint64 l1BlockNumber; uint64 challengeWindow; bytes32 stateRoot; bytes32 blockHash; bytes32 withdrawalRoot; bytes32 anchorRoot; bytes32 dataHash; }',
  'function getBatch(uint256 batchIndex) view returns (Batch)',
  'function verifyAnchor(uint256 batchIndex, bytes32 dataHash, bytes32[] proof) view returns (bool)',
  'function verifyWithdrawal(uint256 batchIndex, bytes32 withdrawalHash, bytes32[] proof) view returns (bool)',
  'event BatchesDeleted(uint256 indexed fromIndex, uint256 previousCount)',
  'event BatchSubmitted(uint256 indexed batchIndex, uint64 firstBlock, uint64 lastBlock, bytes32 stateRoot, bytes32 blockHash, bytes32 withdrawalRoot, bytes32 anchorRoot, bytes32 dataHash)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
  'error BlockRangeGap(uint64 expected, uint64 got)',
  'error InvalidRange(uint64 firstBlock, uint64 lastBlock)',
  'error ZeroStateRoot()',
  'error ZeroBlockHash()',
  'error EmptyBatchData()',
  'error EmptyFrame(uint256 frameNumber)',
  'error MissingBlob(uint256 index)',
  'error UnrecordedBlob(uint256 index)',
  'error FrameOutOfOrder(bytes16 channelId, uint256 expected, uint256 got)',
  'error TooManyFrames(bytes16 channelId)',
  'error ChannelTimedOut(bytes16 channelId, uint64 openedAt, uint64 deadline)',
  'error ChannelClosed(bytes16 channelId)',
  'error UnknownBatch(uint256 batchIndex)',
  'error NoValidatorSet()',
  // ValidatorSet's, raised through submitBatch when the sequencer's bond is short.
  'error InsufficientSequencerBond(address poster, uint256 bond, uint256 minimum)',
])
