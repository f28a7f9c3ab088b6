// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice Test ERC-20 that burns a fee on every transfer (not on mint or burn), so the
///         receiver gets less than the amount sent: what the bridge must credit is the balance
///         it actually gained. The fee in basis points is settable (0 switches it off; 10,000
///         burns everything).
contract FeeOnTransferToken is ERC20 {
    /// @notice Emitted when the fee changes.
    event FeeChanged(uint256 feeBps);

    /// @notice A fee above 100 %.
    error FeeTooHigh(uint256 feeBps);

    /// @notice Fee burned on each transfer, in basis points of the amount.
    uint256 public feeBps;

    /// @param feeBps_ Initial fee in basis points (at most 10,000).
    constructor(uint256 feeBps_) ERC20("Fee Token", "FEE") {
        _setFee(feeBps_);
    }

    /// @notice Creates `amount` base units for `to`; anyone may call it (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the transfer fee; anyone may call it (test token).
    function setFee(uint256 feeBps_) external {
        _setFee(feeBps_);
    }

    function _setFee(uint256 feeBps_) private {
        if (feeBps_ > 10_000) revert FeeTooHigh(feeBps_);
        feeBps = feeBps_;
        emit FeeChanged(feeBps_);
    }

    /// @dev Transfers between two accounts burn `amount * feeBps / 10_000` from the sender's amount.
    function _update(address from, address to, uint256 amount) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = (amount * feeBps) / 10_000;
            super._update(from, address(0), fee);
            amount -= fee;
        }
        super._update(from, to, amount);
    }
}
