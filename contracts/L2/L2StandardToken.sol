// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title L2StandardToken
/// @notice The L2 representation of an L1 ERC-20 bridged through L2Bridge. Only the bridge
///         mints (on deposits) and burns (on withdrawals), so the supply on L2 never exceeds
///         what L1Bridge holds for the L1 token.
/// @dev The bridge deploys it with CREATE2 from this exact creation code, with no constructor
///      arguments, so that the token's address depends on the L1 token address alone (the
///      salt). Name, symbol and decimals therefore live in storage and are set once, right
///      after deployment, by `initialize`. The deployer is the bridge.
contract L2StandardToken is ERC20 {
    /// @notice Emitted once, when the bridge sets what the token stands for.
    event TokenInitialized(address indexed l1Token, string name, string symbol, uint8 decimals);

    /// @notice Only the bridge that deployed the token may initialize, mint and burn.
    error OnlyBridge(address caller);
    /// @notice `initialize` may run once.
    error AlreadyInitialized();
    /// @notice The L1 token address must be nonzero (zero would also leave the token initializable).
    error ZeroL1Token();

    /// @notice The L2Bridge that deployed this token.
    address public immutable bridge;

    address private _l1Token;
    string private _name;
    string private _symbol;
    uint8 private _decimals;

    /// @dev The ERC20 base's own name and symbol stay empty: this contract's overrides answer.
    constructor() ERC20("", "") {
        bridge = msg.sender;
    }

    modifier onlyBridge() {
        if (msg.sender != bridge) revert OnlyBridge(msg.sender);
        _;
    }

    /// @notice Sets the L1 token and the metadata copied from it. Only the bridge, only once.
    /// @param l1Token_ The L1 token this token represents (nonzero).
    /// @param name_ ERC-20 name, as read from the L1 token.
    /// @param symbol_ ERC-20 symbol, as read from the L1 token.
    /// @param decimals_ Decimals of the L1 token: amounts are the same numbers on both sides.
    function initialize(address l1Token_, string calldata name_, string calldata symbol_, uint8 decimals_)
        external
        onlyBridge
    {
        if (_l1Token != address(0)) revert AlreadyInitialized();
        if (l1Token_ == address(0)) revert ZeroL1Token();
        _l1Token = l1Token_;
        _name = name_;
        _symbol = symbol_;
        _decimals = decimals_;
        emit TokenInitialized(l1Token_, name_, symbol_, decimals_);
    }

    /// @notice Creates `amount` tokens for `to` (a deposit). Only the bridge.
    function mint(address to, uint256 amount) external onlyBridge {
        _mint(to, amount);
    }

    /// @notice Destroys `amount` of `from`'s tokens (a withdrawal). Only the bridge, which
    ///         calls it for `from == msg.sender` of the withdrawal, so no allowance is needed.
    function burn(address from, uint256 amount) external onlyBridge {
        _burn(from, amount);
    }

    /// @notice The L1 token this token represents; zero until initialized.
    function l1Token() external view returns (address) {
        return _l1Token;
    }

    /// @notice ERC-20 name copied from the L1 token.
    function name() public view override returns (string memory) {
        return _name;
    }

    /// @notice ERC-20 symbol copied from the L1 token.
    function symbol() public view override returns (string memory) {
        return _symbol;
    }

    /// @notice Decimals copied from the L1 token.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
