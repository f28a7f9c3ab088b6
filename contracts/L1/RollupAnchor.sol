// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IValidatorSet} from "./IValidatorSet.sol";

/// @title RollupAnchor
/// @notice L1 record of the L2's batches. The sequencer posts, in order and without gaps, one
///         commitment per batch of L2 blocks: the block range, the state root and block hash at
///         its end, the root of the batch's withdrawals, the root of the data hashes anchored in
///         it and the hash of the posted batch data. Withdrawals and anchored hashes are proven
///         against its roots. Whether a batch is final is the validator committee's rule
///         (ValidatorSet.isFinal: attested by two thirds of the stake, or its challenge window
///         passed unchallenged); a batch the committee votes wrong is deleted with every later
///         one (BatchesDeleted), and posting resumes after the last good batch.
/// @dev Both Merkle trees are sorted-pair keccak256 trees (OpenZeppelin MerkleProof) whose leaves
///      are `leafHash(value) = keccak256(bytes.concat(keccak256(abi.encode(value))))`, the
///      encoding of OpenZeppelin's StandardMerkleTree for a single bytes32. Hashing the value
///      twice keeps a leaf from ever equalling an inner node, so the 64 bytes of two sibling
///      hashes cannot be passed off as an anchored document or a withdrawal.
///
///      The challenge window is copied into each batch when it is submitted: changing it
///      only affects batches submitted afterwards.
///
///      Batches live in a mapping with a separate count rather than an array, so that deleting
///      any number of batches costs the same: the count goes back and the next submissions
///      overwrite the freed slots. An index is therefore reused after a deletion; the committee
///      keys its records by submission, not by index.
///
///      The validator set is linked once, after both contracts exist (each names the other):
///      until then no batch can be submitted.
contract RollupAnchor is AccessControl {
    /// @notice Role allowed to submit batches.
    bytes32 public constant SEQUENCER_ROLE = keccak256("SEQUENCER_ROLE");

    /// @notice First L2 block the first batch must start at (block 0 is genesis, never posted).
    uint64 public constant FIRST_L2_BLOCK = 1;

    /// @notice What the contract stores for one batch.
    /// @dev Packed: the five uint64 fields take two slots, then one slot per root.
    struct Batch {
        /// First L2 block of the batch.
        uint64 firstBlock;
        /// Last L2 block of the batch (inclusive).
        uint64 lastBlock;
        /// L1 block timestamp of the submission, in seconds.
        uint64 submittedAt;
        /// L1 block number of the submission.
        uint64 l1BlockNumber;
        /// Challenge window in force at submission, in seconds; final at submittedAt + this.
        uint64 challengeWindow;
        /// L2 state root after `lastBlock`.
        bytes32 stateRoot;
        /// Hash of L2 block `lastBlock`.
        bytes32 blockHash;
        /// Root of the batch's withdrawal tree; zero when the batch has no withdrawals.
        bytes32 withdrawalRoot;
        /// Root of the batch's anchored data hashes; zero when nothing was anchored.
        bytes32 anchorRoot;
        /// keccak256 of the batch data posted in the submitBatch calldata.
        bytes32 dataHash;
    }

    /// @notice Emitted for each accepted batch.
    event BatchSubmitted(
        uint256 indexed batchIndex,
        uint64 firstBlock,
        uint64 lastBlock,
        bytes32 stateRoot,
        bytes32 blockHash,
        bytes32 withdrawalRoot,
        bytes32 anchorRoot,
        bytes32 dataHash
    );

    /// @notice Emitted when the validator committee deleted batches `fromIndex` to
    ///         `previousCount - 1` (a batch voted wrong and every later one). Nodes roll their
    ///         view of L1 back to batch `fromIndex - 1`; the sequencer posts again from there.
    event BatchesDeleted(uint256 indexed fromIndex, uint256 previousCount);

    /// @notice Emitted once, when the admin links the validator committee.
    event ValidatorSetLinked(address validatorSet);

    /// @notice Emitted when the admin changes the challenge window for later batches.
    event ChallengeWindowChanged(uint64 previousWindow, uint64 newWindow);

    /// @notice The constructor's admin was the zero address.
    error ZeroAdmin();
    /// @notice The constructor's sequencer was the zero address.
    error ZeroSequencer();
    /// @notice A challenge window of zero seconds would make every batch final at once.
    error ZeroChallengeWindow();
    /// @notice A batch must start right after the last posted block (`expected`); it started at `got`.
    error BlockRangeGap(uint64 expected, uint64 got);
    /// @notice A batch's first block came after its last block.
    error InvalidRange(uint64 firstBlock, uint64 lastBlock);
    /// @notice A batch must commit to a nonzero state root.
    error ZeroStateRoot();
    /// @notice A batch must commit to a nonzero block hash.
    error ZeroBlockHash();
    /// @notice A batch must carry the data its blocks are rebuilt from.
    error EmptyBatchData();
    /// @notice No batch has index `batchIndex`.
    error UnknownBatch(uint256 batchIndex);
    /// @notice Batches are only accepted once a validator set is linked.
    error NoValidatorSet();
    /// @notice The validator set is linked once and for all.
    error ValidatorSetAlreadyLinked();
    /// @notice The validator set given watches another RollupAnchor (or is not a validator set).
    error ValidatorSetMismatch(address validatorSet);
    /// @notice Only the linked validator set may delete batches.
    error NotValidatorSet(address caller);

    mapping(uint256 batchIndex => Batch) private _batches;
    uint256 private _batchCount;
    uint64 private _challengeWindow;
    IValidatorSet private _validatorSet;

    /// @param admin Holder of DEFAULT_ADMIN_ROLE: grants and revokes roles, sets the window.
    /// @param sequencer First holder of SEQUENCER_ROLE.
    /// @param challengeWindowSeconds Challenge window for new batches, in seconds (nonzero).
    constructor(address admin, address sequencer, uint64 challengeWindowSeconds) {
        if (admin == address(0)) revert ZeroAdmin();
        if (sequencer == address(0)) revert ZeroSequencer();
        if (challengeWindowSeconds == 0) revert ZeroChallengeWindow();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(SEQUENCER_ROLE, sequencer);
        _challengeWindow = challengeWindowSeconds;
        emit ChallengeWindowChanged(0, challengeWindowSeconds);
    }

    /// @notice Links the validator committee, once. Only the admin may call it. Reverts with
    ///         ValidatorSetAlreadyLinked the second time, ValidatorSetMismatch when `validatorSet_`
    ///         does not name this contract as its RollupAnchor.
    /// @param validatorSet_ The ValidatorSet deployed for this RollupAnchor.
    function setValidatorSet(address validatorSet_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_validatorSet) != address(0)) revert ValidatorSetAlreadyLinked();
        if (validatorSet_.code.length == 0 || IValidatorSet(validatorSet_).rollupAnchor() != address(this)) {
            revert ValidatorSetMismatch(validatorSet_);
        }
        _validatorSet = IValidatorSet(validatorSet_);
        emit ValidatorSetLinked(validatorSet_);
    }

    /// @notice Records the next batch. Only the sequencer may call it, and only while it has at
    ///         least the validator set's minimum sequencer bond (the validator set's
    ///         InsufficientSequencerBond otherwise): that bond answers for the batch.
    /// @param firstBlock First L2 block; must be `lastBlock() + 1`.
    /// @param lastBlock_ Last L2 block (inclusive); not before `firstBlock`.
    /// @param stateRoot L2 state root after `lastBlock_` (nonzero).
    /// @param blockHash Hash of L2 block `lastBlock_` (nonzero).
    /// @param withdrawalRoot Root of the batch's withdrawal tree (zero: none).
    /// @param anchorRoot Root of the batch's anchored data hashes (zero: none).
    /// @param data The batch data (the batcher's encoding of the blocks' timestamps and
    ///        transactions, compressed). Only its keccak256 is stored: the bytes stay in this
    ///        call's calldata, where a node rebuilding the L2 from L1 reads them.
    /// @return batchIndex Index of the new batch.
    function submitBatch(
        uint64 firstBlock,
        uint64 lastBlock_,
        bytes32 stateRoot,
        bytes32 blockHash,
        bytes32 withdrawalRoot,
        bytes32 anchorRoot,
        bytes calldata data
    ) external onlyRole(SEQUENCER_ROLE) returns (uint256 batchIndex) {
        IValidatorSet validatorSet_ = _validatorSet;
        if (address(validatorSet_) == address(0)) revert NoValidatorSet();
        uint64 expected = lastBlock() + 1;
        if (firstBlock != expected) revert BlockRangeGap(expected, firstBlock);
        if (lastBlock_ < firstBlock) revert InvalidRange(firstBlock, lastBlock_);
        if (stateRoot == bytes32(0)) revert ZeroStateRoot();
        if (blockHash == bytes32(0)) revert ZeroBlockHash();
        if (data.length == 0) revert EmptyBatchData();
        bytes32 dataHash = keccak256(data);

        batchIndex = _batchCount++;
        _batches[batchIndex] = Batch({
                firstBlock: firstBlock,
                lastBlock: lastBlock_,
                submittedAt: uint64(block.timestamp),
                l1BlockNumber: uint64(block.number),
                challengeWindow: _challengeWindow,
                stateRoot: stateRoot,
                blockHash: blockHash,
                withdrawalRoot: withdrawalRoot,
                anchorRoot: anchorRoot,
                dataHash: dataHash
            });
        emit BatchSubmitted(
            batchIndex, firstBlock, lastBlock_, stateRoot, blockHash, withdrawalRoot, anchorRoot, dataHash
        );
        validatorSet_.onBatchSubmitted(batchIndex, msg.sender, block.timestamp + _challengeWindow);
    }

    /// @notice Deletes batch `fromIndex` and every later one. Only the linked validator set may
    ///         call it, when its committee voted batch `fromIndex` wrong. batchCount() becomes
    ///         `fromIndex`, lastBlock() the last block of the batch before, and the sequencer
    ///         posts again from there. Reverts with UnknownBatch if there is no such batch.
    /// @param fromIndex The first batch deleted.
    function deleteBatchesFrom(uint256 fromIndex) external {
        if (msg.sender != address(_validatorSet)) revert NotValidatorSet(msg.sender);
        uint256 previousCount = _batchCount;
        if (fromIndex >= previousCount) revert UnknownBatch(fromIndex);
        // The slots stay as they are: the next submissions overwrite them, and every read
        // checks the index against the count first.
        _batchCount = fromIndex;
        emit BatchesDeleted(fromIndex, previousCount);
    }

    /// @notice Sets the challenge window for batches submitted from now on. Only the admin may
    ///         call it; batches already submitted keep the window they were submitted under.
    /// @param challengeWindowSeconds New window in seconds (nonzero).
    function setChallengeWindow(uint64 challengeWindowSeconds) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (challengeWindowSeconds == 0) revert ZeroChallengeWindow();
        uint64 previous = _challengeWindow;
        _challengeWindow = challengeWindowSeconds;
        emit ChallengeWindowChanged(previous, challengeWindowSeconds);
    }

    /// @notice Challenge window that the next batch will get, in seconds.
    function challengeWindow() external view returns (uint64) {
        return _challengeWindow;
    }

    /// @notice The linked ValidatorSet, or address(0) before setValidatorSet.
    function validatorSet() external view returns (address) {
        return address(_validatorSet);
    }

    /// @notice Number of batches on record; batch indices run from 0 to batchCount() - 1. It
    ///         goes back when the committee deletes batches.
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @notice Last L2 block covered by a batch, or 0 (genesis) before the first batch.
    function lastBlock() public view returns (uint64) {
        uint256 count = _batchCount;
        return count == 0 ? FIRST_L2_BLOCK - 1 : _batches[count - 1].lastBlock;
    }

    /// @notice Everything stored for batch `batchIndex`; reverts with UnknownBatch if none.
    function getBatch(uint256 batchIndex) external view returns (Batch memory) {
        return _batch(batchIndex);
    }

    /// @notice The commitment validators sign for batch `batchIndex`: keccak256(abi.encode(batch))
    ///         of the Batch struct getBatch returns, i.e. the keccak256 of its ten fields each
    ///         ABI-encoded as one 32-byte word, in declaration order (firstBlock, lastBlock,
    ///         submittedAt, l1BlockNumber, challengeWindow, stateRoot, blockHash, withdrawalRoot,
    ///         anchorRoot, dataHash). It covers the L1 time and block of the submission, so a
    ///         batch posted again at the same index after a deletion has another commitment.
    ///         Reverts with UnknownBatch if there is no such batch.
    function batchCommitment(uint256 batchIndex) external view returns (bytes32) {
        return keccak256(abi.encode(_batch(batchIndex)));
    }

    /// @notice Whether batch `batchIndex` is final: the validator set's rule (ValidatorSet.isFinal:
    ///         no dispute open or undecided on it or an earlier batch, and either attested by two
    ///         thirds of the stake or its challenge window passed). Reverts with UnknownBatch if none.
    function isFinal(uint256 batchIndex) external view returns (bool) {
        _batch(batchIndex);
        return _validatorSet.isFinal(batchIndex);
    }

    /// @notice True when `dataHash` was anchored in batch `batchIndex`, i.e. `proof` leads from
    ///         leafHash(dataHash) to the batch's anchor root. False for any wrong proof or a batch
    ///         that anchored nothing; reverts with UnknownBatch if there is no such batch.
    function verifyAnchor(uint256 batchIndex, bytes32 dataHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _verify(_batch(batchIndex).anchorRoot, dataHash, proof);
    }

    /// @notice True when `withdrawalHash` is in batch `batchIndex`'s withdrawal tree, i.e.
    ///         `proof` leads from leafHash(withdrawalHash) to the batch's withdrawal root. False
    ///         for any wrong proof or a batch without withdrawals; reverts with UnknownBatch if
    ///         there is no such batch. Says nothing about finality: callers check isFinal.
    function verifyWithdrawal(uint256 batchIndex, bytes32 withdrawalHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _verify(_batch(batchIndex).withdrawalRoot, withdrawalHash, proof);
    }

    /// @notice The Merkle leaf that stands for `value` in the anchor and withdrawal trees:
    ///         keccak256(bytes.concat(keccak256(abi.encode(value)))).
    function leafHash(bytes32 value) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(value))));
    }

    function _batch(uint256 batchIndex) private view returns (Batch storage) {
        if (batchIndex >= _batchCount) revert UnknownBatch(batchIndex);
        return _batches[batchIndex];
    }

    /// @dev A zero root is an empty tree: nothing is in it (an empty proof of the zero leaf
    ///      would otherwise "verify").
    function _verify(bytes32 root, bytes32 value, bytes32[] calldata proof) private pure returns (bool) {
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leafHash(value));
    }
}
