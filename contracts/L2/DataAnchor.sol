// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DataAnchor
/// @notice Predeploy at 0x4200000000000000000000000000000000000200 that timestamps data hashes
///         on the L2: each anchored hash is one Anchored log. The node collects the hashes
///         anchored in a batch into the batch's anchor tree, whose root is posted to L1
///         (RollupAnchor.anchorRoot), so a hash can later be proven against L1 alone.
/// @dev Stateless on purpose: the log is the record, so anchoring costs no storage (about
///      2,200 gas per hash for the log and calldata). Installed in genesis as runtime code, so
///      it must never gain a constructor or immutables.
///
///      Duplicates are accepted, within one call and across calls: the node's per-batch tree
///      deduplicates, and refusing them would need storage. Anchoring the same hash again only
///      adds another log (and another submitter).
contract DataAnchor {
    /// @notice Most hashes one call may anchor (about 21.7M gas of logs and calldata at the cap).
    uint256 public constant MAX_HASHES = 10_000;

    /// @notice Emitted once per anchored hash, in the order of the array.
    /// @param dataHash The anchored hash (e.g. keccak256 or sha256 of a document).
    /// @param submitter The caller of `anchor` (the node's system sender for HTTP anchors).
    event Anchored(bytes32 indexed dataHash, address indexed submitter);

    /// @notice `anchor` was called with an empty array.
    error NoHashes();
    /// @notice `anchor` was called with `count` hashes; at most `max` are accepted per call.
    error TooManyHashes(uint256 count, uint256 max);
    /// @notice Entry `index` was the zero hash, which stands for "nothing" in the anchor tree.
    error ZeroHash(uint256 index);

    /// @notice Anchors each of `hashes`: emits Anchored(hash, msg.sender) for each, in order.
    ///         Reverts with NoHashes for an empty array, TooManyHashes above MAX_HASHES and
    ///         ZeroHash(index) for a zero entry (nothing is anchored then).
    /// @param hashes The hashes to anchor (nonzero; duplicates allowed).
    function anchor(bytes32[] calldata hashes) external {
        uint256 count = hashes.length;
        if (count == 0) revert NoHashes();
        if (count > MAX_HASHES) revert TooManyHashes(count, MAX_HASHES);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 dataHash = hashes[i];
            if (dataHash == bytes32(0)) revert ZeroHash(i);
            emit Anchored(dataHash, msg.sender);
        }
    }
}
