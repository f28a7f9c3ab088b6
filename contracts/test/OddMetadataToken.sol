// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {NoMetadataToken} from "./NoMetadataToken.sol";

/// @title OddMetadataToken
/// @notice Test ERC-20 whose metadata getters return what some early tokens return (name and
///         symbol as bytes32, as MKR does) and nonsense (decimals above 255): a try/catch on
///         IERC20Metadata could not decode either, yet the bridge must still take deposits of it.
contract OddMetadataToken is NoMetadataToken {
    /// @notice Decimals out of uint8's range.
    uint256 public constant decimals = 300;

    /// @notice "Maker" as bytes32, like MKR's name.
    function name() external pure returns (bytes32) {
        return "Maker";
    }

    /// @notice "MKR" as bytes32, like MKR's symbol.
    function symbol() external pure returns (bytes32) {
        return "MKR";
    }
}
