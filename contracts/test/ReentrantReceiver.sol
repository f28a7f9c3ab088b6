// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ReentrantReceiver
/// @notice Test account for ValidatorSet's payouts: it forwards any call to a target (so it can
///         join, challenge, vote and withdraw as a validator), and its receive() either refuses
///         ETH or calls back into the target with preset calldata, recording how that call ended.
contract ReentrantReceiver {
    /// @notice Emitted by receive() after its call back into the target.
    event Reentered(bool success, bytes returnData);

    /// @notice receive() reverts with this while `refuse` is set.
    error Refused();

    /// @notice The contract receive() calls back into.
    address public target;
    /// @notice Calldata receive() sends to the target; empty: no call.
    bytes public reentryData;
    /// @notice Whether receive() refuses ETH.
    bool public refuse;
    /// @notice How the last call back ended, and what it returned (the revert data on failure).
    bool public lastReentrySucceeded;
    bytes public lastReentryReturn;
    /// @notice Number of times receive() accepted ETH.
    uint256 public receivedCount;

    constructor(address target_) {
        target = target_;
    }

    /// @notice Sets what receive() does: refuse, or call back into the target with `data`.
    function configure(bool refuse_, bytes calldata data) external {
        refuse = refuse_;
        reentryData = data;
    }

    /// @notice Calls the target with `data` and msg.value, bubbling up a revert.
    function forward(bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    /// @notice Refuses, or calls back into the target once per payment and records the outcome.
    receive() external payable {
        if (refuse) revert Refused();
        ++receivedCount;
        if (reentryData.length != 0) {
            (bool ok, bytes memory ret) = target.call(reentryData);
            lastReentrySucceeded = ok;
            lastReentryReturn = ret;
            emit Reentered(ok, ret);
        }
    }
}
