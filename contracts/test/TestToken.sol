// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice Test ERC-20 with the decimals chosen at deployment (6 like USDC, 18 like most) and a
///         mint open to anyone, so bridge tests can fund any account.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ Decimals the token reports.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Creates `amount` base units for `to`; anyone may call it (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Decimals fixed at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
