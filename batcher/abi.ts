/**
 * The parts of the L1 contracts' ABI the node uses, written out so the node does not depend on
 * Hardhat's build artifacts at run time (they must match contracts/L1/*.sol; the batcher tests
 * run against the compiled contracts, so a mismatch fails there).
 */
import { parseAbi } from 'viem'

export const rollupAnchorAbi = parseAbi([
  'function submitBatch(uint64 firstBlock, uint64 lastBlock, bytes32 stateRoot, bytes32 blockHash, bytes32 withdrawalRoot, bytes32 anchorRoot, bytes data) returns (uint256)',
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
  'error UnknownBatch(uint256 batchIndex)',
  'error NoValidatorSet()',
  // ValidatorSet's, raised through submitBatch when the sequencer's bond is short.
  'error InsufficientSequencerBond(address poster, uint256 bond, uint256 minimum)',
])
