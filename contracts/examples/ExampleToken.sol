// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title ExampleToken
/// @notice A minimal owner-mintable ERC-20 used to exercise the L2 end to end
///         (deploy, transfer, revert decoding, EIP-712 signatures bound to our chain id).
/// @dev Everything except `decimals` and `mint` is stock OpenZeppelin 5. Minting emits
///      the standard ERC-20 `Transfer(address(0), to, amount)` event.
contract ExampleToken is ERC20, ERC20Permit, Ownable {
    /// @notice Minting zero tokens would emit a Transfer event that moves nothing.
    error MintAmountIsZero();

    uint8 private immutable _decimals;

    /// @param name_ ERC-20 name; also the EIP-712 domain name used by `permit`.
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ Number of decimals the token reports (e.g. 6 or 18).
    /// @param initialSupply Amount in base units minted to the deployer, who becomes the owner.
    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        uint256 initialSupply
    ) ERC20(name_, symbol_) ERC20Permit(name_) Ownable(msg.sender) {
        _decimals = decimals_;
        _mint(msg.sender, initialSupply);
    }

    /// @notice Number of decimals used to display amounts, fixed at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Creates `amount` base units and assigns them to `to`. Only the owner may mint.
    /// @dev Reverts with OwnableUnauthorizedAccount for non-owners, MintAmountIsZero for a
    ///      zero amount and ERC20InvalidReceiver for the zero address.
    /// @param to Recipient of the new tokens.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyOwner {
        if (amount == 0) revert MintAmountIsZero();
        _mint(to, amount);
    }
}
