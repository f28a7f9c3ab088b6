// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IValidatorSet} from "./IValidatorSet.sol";

/// @title RollupAnchor
/// @notice L1 record of the L2's batches. The sequencer posts, in order and without gaps, one
///         commitment per batch of L2 blocks: the block range, the state root and block hash at
///         its end, the root of the batch's withdrawals, the root of the data hashes anchored in
///         it and a commitment to the posted batch data. Withdrawals and anchored hashes are proven
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
///
///      Batch data travels as a channel cut into frames (README "Batch format"; batcher/channel.ts):
///      each frame is one element of a call's `frames` (calldata) or one blob of the transaction.
///      A channel that fits one calldata frame is posted with `submitBatch` alone. A longer one
///      is posted with `appendFrames` calls, in frame order and within `channelTimeout()` L1
///      blocks of its first frame, and closed by `submitChannel`, which carries the last frames
///      and records the batch. A frame's hash is keccak256 of a calldata frame and the versioned
///      hash (`blobhash`) of a blob frame; the batch's dataHash chains them in frame order:
///      acc0 = 0, acc(i+1) = keccak256(acc(i) ‖ frameHash(i)), dataHash = acc(n). Between the
///      transactions of a channel the contract keeps the running acc, so the stored dataHash
///      commits to every frame, blobs included, and nothing but the last transaction records a
///      batch. A channel that times out can never be completed: the batcher posts its blocks
///      again under a new channel id, and derivation ignores its frames.
contract RollupAnchor is AccessControl {
    /// @notice Role allowed to submit batches.
    bytes32 public constant SEQUENCER_ROLE = keccak256("SEQUENCER_ROLE");

    /// @notice First L2 block the first batch must start at (block 0 is genesis, never posted).
    uint64 public constant FIRST_L2_BLOCK = 1;

    /// @notice Most frames in one channel (frames 0..1023). A channel of 1,024 calldata frames of
    ///         120,000 bytes carries 122 MB; a block's data (README "Limits") needs far fewer.
    uint256 public constant MAX_FRAMES_PER_CHANNEL = 1024;

    /// @notice Channel timeout set at deployment, in L1 blocks (an hour of 12-second blocks).
    uint64 public constant DEFAULT_CHANNEL_TIMEOUT = 300;

    /// @notice The commitments of a batch, given with the call that records it.
    struct BatchHeader {
        /// First L2 block; must be `lastBlock() + 1`.
        uint64 firstBlock;
        /// Last L2 block (inclusive); not before `firstBlock`.
        uint64 lastBlock;
        /// L2 state root after `lastBlock` (nonzero).
        bytes32 stateRoot;
        /// Hash of L2 block `lastBlock` (nonzero).
        bytes32 blockHash;
        /// Root of the batch's withdrawal tree (zero: none).
        bytes32 withdrawalRoot;
        /// Root of the batch's anchored data hashes (zero: none).
        bytes32 anchorRoot;
    }

    /// @notice A channel posted over several transactions, between its first and its last.
    struct Channel {
        /// Chained hash of the frames recorded so far (see the contract's @dev).
        bytes32 acc;
        /// L1 block number of its first frame; frames are refused after openedAt + timeout.
        uint64 openedAt;
        /// Number of the next frame expected (frames 0..nextFrame-1 are recorded).
        uint16 nextFrame;
        /// Set when submitChannel recorded its batch: no frame is taken after that.
        bool closed;
    }

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
        /// Chained hash of the batch's frames (calldata frames by keccak256, blobs by versioned hash).
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

    /// @notice Emitted by appendFrames: frames `firstFrame`.. of channel `channelId`, by hash, the
    ///         last `blobCount` of them blobs of this transaction (the others its calldata frames).
    event FramesAppended(bytes16 indexed channelId, uint16 firstFrame, bytes32[] frameHashes, uint256 blobCount);

    /// @notice Emitted when the admin changes the channel timeout.
    event ChannelTimeoutChanged(uint64 previousTimeout, uint64 newTimeout);

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
    /// @notice A batch must carry the data its blocks are rebuilt from: a call carried no frame.
    error EmptyBatchData();
    /// @notice A calldata frame of zero bytes (frame `frameNumber`).
    error EmptyFrame(uint256 frameNumber);
    /// @notice Blob `index` of the call is not in the transaction (blobhash is zero).
    error MissingBlob(uint256 index);
    /// @notice The transaction carries blob `index`, which the call does not record.
    error UnrecordedBlob(uint256 index);
    /// @notice Channel `channelId` expects frame `expected` next; the call starts at `got`.
    error FrameOutOfOrder(bytes16 channelId, uint256 expected, uint256 got);
    /// @notice A channel has at most MAX_FRAMES_PER_CHANNEL frames.
    error TooManyFrames(bytes16 channelId);
    /// @notice Channel `channelId` opened in L1 block `openedAt` and took no frame after `deadline`.
    error ChannelTimedOut(bytes16 channelId, uint64 openedAt, uint64 deadline);
    /// @notice Channel `channelId` already recorded its batch.
    error ChannelClosed(bytes16 channelId);
    /// @notice A channel timeout of zero blocks would refuse every channel of two transactions.
    error ZeroChannelTimeout();
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
    uint64 private _channelTimeout;
    IValidatorSet private _validatorSet;
    mapping(bytes16 channelId => Channel) private _channels;

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
        _channelTimeout = DEFAULT_CHANNEL_TIMEOUT;
        emit ChannelTimeoutChanged(0, DEFAULT_CHANNEL_TIMEOUT);
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

    /// @notice Records the next batch, whose channel is the one calldata frame `frame`. Only the
    ///         sequencer may call it, and only while it has at least the validator set's minimum
    ///         sequencer bond (the validator set's InsufficientSequencerBond otherwise): that bond
    ///         answers for the batch.
    /// @param firstBlock First L2 block; must be `lastBlock() + 1`.
    /// @param lastBlock_ Last L2 block (inclusive); not before `firstBlock`.
    /// @param stateRoot L2 state root after `lastBlock_` (nonzero).
    /// @param blockHash Hash of L2 block `lastBlock_` (nonzero).
    /// @param withdrawalRoot Root of the batch's withdrawal tree (zero: none).
    /// @param anchorRoot Root of the batch's anchored data hashes (zero: none).
    /// @param frame The batch data as one frame (the batcher's encoding of the blocks' timestamps
    ///        and transactions, compressed, behind a frame header). Only the commitment
    ///        keccak256(0³² ‖ keccak256(frame)) is stored: the bytes stay in this call's calldata,
    ///        where a node rebuilding the L2 from L1 reads them.
    /// @return batchIndex Index of the new batch.
    function submitBatch(
        uint64 firstBlock,
        uint64 lastBlock_,
        bytes32 stateRoot,
        bytes32 blockHash,
        bytes32 withdrawalRoot,
        bytes32 anchorRoot,
        bytes calldata frame
    ) external onlyRole(SEQUENCER_ROLE) returns (uint256 batchIndex) {
        if (frame.length == 0) revert EmptyBatchData();
        bytes32 dataHash = keccak256(abi.encode(bytes32(0), keccak256(frame)));
        return _record(BatchHeader(firstBlock, lastBlock_, stateRoot, blockHash, withdrawalRoot, anchorRoot), dataHash);
    }

    /// @notice Records frames `firstFrame`.. of channel `channelId` before its last: first the
    ///         calldata frames `frames`, then `blobCount` blobs of this transaction, in that frame
    ///         order. A channel's first call starts at frame 0 and opens it; each later call
    ///         starts where the previous one ended, within channelTimeout() L1 blocks of the
    ///         opening. Only the sequencer may call it.
    ///         Reverts with EmptyBatchData (no frame), EmptyFrame, MissingBlob (fewer blobs in the
    ///         transaction), UnrecordedBlob (more), FrameOutOfOrder, TooManyFrames,
    ///         ChannelTimedOut or ChannelClosed.
    /// @param channelId The channel's id (chosen by the batcher, new for every channel).
    /// @param firstFrame Number of the first frame carried.
    /// @param frames Calldata frames, each the full frame encoding.
    /// @param blobCount Blob frames of this transaction, after the calldata frames.
    function appendFrames(bytes16 channelId, uint16 firstFrame, bytes[] calldata frames, uint256 blobCount)
        external
        onlyRole(SEQUENCER_ROLE)
    {
        Channel storage ch = _channels[channelId];
        Channel memory c = ch;
        _checkNext(channelId, c, firstFrame);
        (bytes32 acc, bytes32[] memory hashes) = _frames(c.acc, firstFrame, frames, blobCount, channelId);
        if (c.nextFrame == 0) c.openedAt = uint64(block.number);
        ch.acc = acc;
        ch.openedAt = c.openedAt;
        ch.nextFrame = uint16(firstFrame + hashes.length);
        emit FramesAppended(channelId, firstFrame, hashes, blobCount);
    }

    /// @notice Records the next batch with the last frames of channel `channelId` (`firstFrame`
    ///         on: calldata frames `frames`, then `blobCount` blobs of this transaction); frames
    ///         0..firstFrame-1 must have been appended. With firstFrame 0 the whole channel is in
    ///         this call. dataHash chains every frame's hash. Same role, bond and batch checks as
    ///         submitBatch, same frame checks as appendFrames.
    /// @return batchIndex Index of the new batch.
    function submitChannel(
        BatchHeader calldata header,
        bytes16 channelId,
        uint16 firstFrame,
        bytes[] calldata frames,
        uint256 blobCount
    ) external onlyRole(SEQUENCER_ROLE) returns (uint256 batchIndex) {
        Channel storage ch = _channels[channelId];
        Channel memory c = ch;
        _checkNext(channelId, c, firstFrame);
        (bytes32 acc,) = _frames(c.acc, firstFrame, frames, blobCount, channelId);
        // a channel of one transaction leaves nothing in storage; a longer one is closed for good
        if (c.nextFrame != 0) ch.closed = true;
        return _record(header, acc);
    }

    /// @dev Checks that a call carrying frames from `firstFrame` on may extend channel `c`.
    function _checkNext(bytes16 channelId, Channel memory c, uint16 firstFrame) private view {
        if (c.closed) revert ChannelClosed(channelId);
        if (firstFrame != c.nextFrame) revert FrameOutOfOrder(channelId, c.nextFrame, firstFrame);
        if (c.nextFrame != 0) {
            uint64 deadline = c.openedAt + _channelTimeout;
            if (block.number > deadline) revert ChannelTimedOut(channelId, c.openedAt, deadline);
        }
    }

    /// @dev Chains the hashes of a call's frames onto `acc`: calldata frames, then the blobs.
    function _frames(bytes32 acc, uint16 firstFrame, bytes[] calldata frames, uint256 blobCount, bytes16 channelId)
        private
        view
        returns (bytes32, bytes32[] memory hashes)
    {
        uint256 n = frames.length + blobCount;
        if (n == 0) revert EmptyBatchData();
        if (uint256(firstFrame) + n > MAX_FRAMES_PER_CHANNEL) revert TooManyFrames(channelId);
        if (blobhash(blobCount) != bytes32(0)) revert UnrecordedBlob(blobCount);
        hashes = new bytes32[](n);
        for (uint256 i = 0; i < frames.length; i++) {
            if (frames[i].length == 0) revert EmptyFrame(firstFrame + i);
            hashes[i] = keccak256(frames[i]);
        }
        for (uint256 i = 0; i < blobCount; i++) {
            bytes32 versioned = blobhash(i);
            if (versioned == bytes32(0)) revert MissingBlob(i);
            hashes[frames.length + i] = versioned;
        }
        for (uint256 i = 0; i < n; i++) {
            acc = keccak256(abi.encode(acc, hashes[i]));
        }
        return (acc, hashes);
    }

    /// @dev Records the next batch: the batch checks, storage, event and the committee's hook.
    function _record(BatchHeader memory h, bytes32 dataHash) private returns (uint256 batchIndex) {
        IValidatorSet validatorSet_ = _validatorSet;
        if (address(validatorSet_) == address(0)) revert NoValidatorSet();
        uint64 expected = lastBlock() + 1;
        if (h.firstBlock != expected) revert BlockRangeGap(expected, h.firstBlock);
        if (h.lastBlock < h.firstBlock) revert InvalidRange(h.firstBlock, h.lastBlock);
        if (h.stateRoot == bytes32(0)) revert ZeroStateRoot();
        if (h.blockHash == bytes32(0)) revert ZeroBlockHash();

        batchIndex = _batchCount++;
        _batches[batchIndex] = Batch({
                firstBlock: h.firstBlock,
                lastBlock: h.lastBlock,
                submittedAt: uint64(block.timestamp),
                l1BlockNumber: uint64(block.number),
                challengeWindow: _challengeWindow,
                stateRoot: h.stateRoot,
                blockHash: h.blockHash,
                withdrawalRoot: h.withdrawalRoot,
                anchorRoot: h.anchorRoot,
                dataHash: dataHash
            });
        emit BatchSubmitted(
            batchIndex, h.firstBlock, h.lastBlock, h.stateRoot, h.blockHash, h.withdrawalRoot, h.anchorRoot, dataHash
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

    /// @notice Sets how many L1 blocks after its first frame a channel may take frames. Only the
    ///         admin may call it; it applies to open channels too.
    /// @param timeoutBlocks New timeout in L1 blocks (nonzero).
    function setChannelTimeout(uint64 timeoutBlocks) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (timeoutBlocks == 0) revert ZeroChannelTimeout();
        uint64 previous = _channelTimeout;
        _channelTimeout = timeoutBlocks;
        emit ChannelTimeoutChanged(previous, timeoutBlocks);
    }

    /// @notice L1 blocks after its first frame during which a channel takes frames.
    function channelTimeout() external view returns (uint64) {
        return _channelTimeout;
    }

    /// @notice A channel's state: opened in L1 block `openedAt` (0: never appended to), frames
    ///         0..nextFrame-1 recorded, chained into `acc`; `closed` once its batch is recorded.
    ///         A channel posted in one submitChannel or submitBatch call leaves no state.
    function channel(bytes16 channelId) external view returns (Channel memory) {
        return _channels[channelId];
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
