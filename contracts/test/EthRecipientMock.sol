// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {L2Bridge} from "../L2/L2Bridge.sol";

/// @title EthRecipientMock
/// @notice Test recipient whose receive() accepts ETH, refuses it (revert) or burns all the gas
///         it is given, and which can claim ETH an L2Bridge holds for it.
contract EthRecipientMock {
    /// @notice What receive() does.
    enum Mode {
        Accept,
        Refuse,
        BurnGas
    }

    /// @notice Emitted when the mode changes.
    event ModeChanged(Mode mode);

    /// @notice receive() refuses ETH in Refuse mode.
    error Refused();

    /// @notice Current behaviour of receive().
    Mode public mode;

    /// @param mode_ Initial behaviour of receive().
    constructor(Mode mode_) {
        mode = mode_;
    }

    /// @notice Accepts, refuses or burns all gas, depending on `mode`.
    receive() external payable {
        if (mode == Mode.Refuse) revert Refused();
        if (mode == Mode.BurnGas) {
            // An endless loop of storage writes: runs out of whatever gas it was given.
            uint256 i;
            while (true) {
                assembly ("memory-safe") {
                    sstore(add(100, i), 1)
                }
                ++i;
            }
        }
    }

    /// @notice Changes receive()'s behaviour; anyone may call it (test contract).
    function setMode(Mode mode_) external {
        mode = mode_;
        emit ModeChanged(mode_);
    }

    /// @notice Claims the ETH `bridge` holds for this contract, paid to `recipient`.
    function claimHeldETH(L2Bridge bridge, address payable recipient) external {
        bridge.claimHeldETH(recipient);
    }
}
