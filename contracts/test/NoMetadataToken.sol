// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title NoMetadataToken
/// @notice Test ERC-20 without the optional name(), symbol() and decimals(): the bridge must
///         fall back to its defaults. The bare minimum of balances and allowances, nothing else.
contract NoMetadataToken {
    /// @notice ERC-20 Transfer.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice ERC-20 Approval.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The balance or allowance does not cover the amount.
    error Insufficient();

    /// @notice ERC-20 balances.
    mapping(address account => uint256) public balanceOf;
    /// @notice ERC-20 allowances.
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    /// @notice Creates `amount` for `to`; anyone may call it (test token).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice ERC-20 approve.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    /// @notice ERC-20 transfer.
    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    /// @notice ERC-20 transferFrom.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (allowance[from][msg.sender] < amount) revert Insufficient();
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        if (balanceOf[from] < amount) revert Insufficient();
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
