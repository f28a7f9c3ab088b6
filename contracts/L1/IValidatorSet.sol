// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IValidatorSet
/// @notice What RollupAnchor asks of its validator committee (contracts/L1/ValidatorSet.sol): the
///         sequencer's bond at each submission, and whether a batch is final.
interface IValidatorSet {
    /// @notice The RollupAnchor this committee watches; RollupAnchor.setValidatorSet checks it.
    function rollupAnchor() external view returns (address);

    /// @notice Called by RollupAnchor for each accepted batch, in the same transaction. Reverts
    ///         when `poster` has less than the minimum sequencer bond, which reverts the submission.
    /// @param batchIndex Index the batch was stored at (an index freed by a deletion is reused).
    /// @param poster The account that submitted it: its bond answers for the batch.
    /// @param challengeDeadline L1 timestamp at which the batch's challenge window ends.
    function onBatchSubmitted(uint256 batchIndex, address poster, uint256 challengeDeadline) external;

    /// @notice Whether batch `batchIndex` is final (see ValidatorSet.isFinal for the rule).
    function isFinal(uint256 batchIndex) external view returns (bool);
}
