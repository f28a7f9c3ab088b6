// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @title RebasingToken
/// @notice Test ERC-20 whose balances change by themselves, as stETH's or AMPL's do: each account
///         holds shares, and its balance is shares × index / 1e18. Anyone may set the index (a
///         rebase): below the current one every balance shrinks (a negative rebase, a slashing),
///         above it every balance grows (a positive rebase, yield). Errors are OpenZeppelin's
///         ERC-6093 ones, as a real token's would be.
contract RebasingToken is IERC20Errors {
    /// @notice The index at which one share is worth one base unit.
    uint256 public constant ONE = 1e18;

    /// @notice ERC-20 Transfer; `value` in base units at the index of the transfer.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20 Approval; also emitted when transferFrom spends an allowance.
    event Approval(address indexed owner, address indexed spender, uint256 value);
    /// @notice Emitted on every rebase: every balance is now shares × `index` / ONE.
    event IndexChanged(uint256 index);

    /// @notice An index of 0 would make every balance 0 and every transfer a division by zero.
    error ZeroIndex();

    /// @notice Base units per share, scaled by ONE.
    uint256 public index = ONE;
    /// @notice Shares held by `account`.
    mapping(address account => uint256) public sharesOf;
    /// @notice Sum of all shares.
    uint256 public totalShares;
    /// @notice ERC-20 allowances, in base units.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @notice ERC-20 name.
    function name() external pure returns (string memory) {
        return "Rebasing Token";
    }

    /// @notice ERC-20 symbol.
    function symbol() external pure returns (string memory) {
        return "REB";
    }

    /// @notice ERC-20 decimals.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @notice The balance of `account`: its shares at the current index (rounded down).
    function balanceOf(address account) public view returns (uint256) {
        return (sharesOf[account] * index) / ONE;
    }

    /// @notice All shares at the current index.
    function totalSupply() external view returns (uint256) {
        return (totalShares * index) / ONE;
    }

    /// @notice Rebases every balance to shares × `newIndex` / ONE; anyone may call it (test token).
    ///         Reverts with ZeroIndex for 0.
    function setIndex(uint256 newIndex) external {
        if (newIndex == 0) revert ZeroIndex();
        index = newIndex;
        emit IndexChanged(newIndex);
    }

    /// @notice Creates shares worth `amount` at the current index for `to`; anyone may call it
    ///         (test token).
    function mint(address to, uint256 amount) external {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 shares = _sharesFor(amount);
        sharesOf[to] += shares;
        totalShares += shares;
        emit Transfer(address(0), to, amount);
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice ERC-20 transfer of `amount` base units at the current index.
    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom; an allowance of type(uint256).max is never spent.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert ERC20InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
            emit Approval(from, msg.sender, allowed - amount);
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @dev Moves the shares worth `amount`, rounded up so that `to` receives at least `amount`
    ///      (the sender may lose one base unit more); a sender short of them gets
    ///      ERC20InsufficientBalance with its balance in base units, as OpenZeppelin's ERC20 reports it.
    function _transfer(address from, address to, uint256 amount) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 shares = _sharesFor(amount);
        uint256 held = sharesOf[from];
        if (held < shares) revert ERC20InsufficientBalance(from, balanceOf(from), amount);
        sharesOf[from] = held - shares;
        sharesOf[to] += shares;
        emit Transfer(from, to, amount);
    }

    function _sharesFor(uint256 amount) private view returns (uint256) {
        return (amount * ONE + index - 1) / index;
    }
}
