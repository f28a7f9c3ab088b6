// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {RollupAnchor} from "./RollupAnchor.sol";

/// @title L1Bridge
/// @notice The L1 half of the bridge. Deposits lock ETH or ERC-20 tokens here and emit
///         DepositInitiated, which the L2 node turns into an L2Bridge.finalizeDeposit
///         transaction. Withdrawals start on L2 (L2Bridge.WithdrawalInitiated); once the batch
///         holding a withdrawal is final on RollupAnchor, anyone may call finalizeWithdrawal
///         with the withdrawal and its Merkle proof, and this contract pays out of what it holds.
/// @dev Each token's locked balance counts what deposits brought in minus what withdrawals
///      took out; a withdrawal can never take more than that, whatever the L2 claims.
///      The owner can pause deposits and withdrawals (an emergency brake); nothing else.
///
///      Rebasing tokens (balances that change by themselves: stETH, AMPL, aTokens) are accepted,
///      not refused, and behave as follows. A deposit credits the balance it brought in, and
///      lockedBalance never follows a rebase; the L2 token (which does not rebase) holds that
///      nominal amount, and every withdrawal is paid its nominal amount, first come first served,
///      up to lockedBalance.
///      - After a negative rebase the bridge holds less than lockedBalance. Withdrawals are paid
///        while its balance lasts, so the shortfall falls on the last claimants: a withdrawal
///        larger than what the bridge still holds passes every check here and reverts in the
///        token's own transfer (for an OpenZeppelin-style token,
///        ERC20InsufficientBalance(bridge, balance, amount)). Nothing changes: it stays
///        unfinalized, can be retried, and is paid once the balance covers it again (a positive
///        rebase, or anyone transferring tokens to the bridge).
///      - After a positive rebase the bridge holds more than lockedBalance. The surplus is no
///        one's: withdrawals cannot take it (InsufficientLockedBalance once lockedBalance is 0),
///        later deposits do not credit it, and no function sweeps it. It stays in the bridge,
///        except that it covers a later negative rebase's shortfall.
///      Why not refuse them: a rebasing token cannot be recognised on-chain (balanceOf is an
///      ordinary view, and a token may start rebasing after an upgrade); checking that the
///      bridge's balance equals lockedBalance before each deposit would let anyone block a token's
///      deposits by sending the bridge one unit; and a denylist would give the owner a power over
///      tokens it is deliberately kept from. Bridge the non-rebasing wrapper (wstETH for stETH).
contract L1Bridge is Ownable, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Name put in a deposit's metadata when the token has no readable name().
    string public constant DEFAULT_NAME = "Bridged Token";
    /// @notice Symbol put in a deposit's metadata when the token has no readable symbol().
    string public constant DEFAULT_SYMBOL = "BRIDGED";
    /// @notice Decimals put in a deposit's metadata when the token has no readable decimals()
    ///         (the ERC-20 convention, and OpenZeppelin's default).
    uint8 public constant DEFAULT_DECIMALS = 18;
    /// @notice Longest name or symbol copied into the metadata, in bytes; a longer one is
    ///         replaced by the default, so that no token can make its deposits costly on L2.
    uint256 public constant MAX_METADATA_STRING_LENGTH = 128;

    /// @notice Emitted for each deposit; the L2 node pays it out by calling
    ///         L2Bridge.finalizeDeposit(nonce, l1Token, from, to, amount, tokenMetadata).
    /// @param l1Token The token deposited, or address(0) for ETH.
    /// @param amount What this contract received (for a fee-on-transfer token, after the fee).
    /// @param tokenMetadata abi.encode(string name, string symbol, uint8 decimals) of the token;
    ///        empty for ETH.
    event DepositInitiated(
        uint256 indexed nonce,
        address indexed l1Token,
        address indexed from,
        address to,
        uint256 amount,
        bytes tokenMetadata
    );
    /// @notice Emitted for each withdrawal paid out.
    /// @param l1Token The token paid out, or address(0) for ETH.
    event WithdrawalFinalized(
        bytes32 indexed withdrawalHash,
        uint256 indexed nonce,
        address indexed l1To,
        address l1Token,
        uint256 amount
    );

    /// @notice The constructor's RollupAnchor was the zero address.
    error ZeroRollupAnchor();
    /// @notice A deposit of nothing.
    error ZeroAmount();
    /// @notice A contract (`sender`) sent ETH without naming an L2 recipient: use depositETH(to).
    error PlainTransferFromContract(address sender);
    /// @notice A deposit to the zero address on L2.
    error ZeroRecipient();
    /// @notice depositERC20 was given address(0); ETH is deposited with depositETH.
    error ZeroToken();
    /// @notice The token transfer left this contract's balance of `l1Token` no higher.
    error NothingReceived(address l1Token);
    /// @notice No batch has index `batchIndex` on RollupAnchor.
    error UnknownBatch(uint256 batchIndex);
    /// @notice Batch `batchIndex`'s challenge window has not passed yet.
    error BatchNotFinal(uint256 batchIndex);
    /// @notice The proof does not lead from the withdrawal to the batch's withdrawal root.
    error InvalidWithdrawalProof();
    /// @notice The withdrawal `withdrawalHash` was already paid out.
    error WithdrawalAlreadyFinalized(bytes32 withdrawalHash);
    /// @notice The withdrawal asks for `amount` of `l1Token` but only `locked` is held for it.
    error InsufficientLockedBalance(address l1Token, uint256 locked, uint256 amount);
    /// @notice Sending `amount` wei to `to` failed; the withdrawal stays unfinalized.
    error ETHTransferFailed(address to, uint256 amount);

    /// @notice The contract whose final batches withdrawals are proven against.
    RollupAnchor public immutable rollupAnchor;

    uint256 private _nextDepositNonce;
    mapping(address l1Token => uint256) private _lockedBalance;
    mapping(bytes32 withdrawalHash => bool) private _withdrawalFinalized;

    /// @param rollupAnchor_ The RollupAnchor of the L2 (nonzero).
    /// @param owner_ May pause and unpause (nonzero: Ownable reverts OwnableInvalidOwner).
    constructor(address rollupAnchor_, address owner_) Ownable(owner_) {
        if (rollupAnchor_ == address(0)) revert ZeroRollupAnchor();
        rollupAnchor = RollupAnchor(rollupAnchor_);
    }

    /// @notice Deposits msg.value wei for msg.sender on L2 (the same address there). Only from an
    ///         account without code: a contract's address on L2 is usually nobody's (a Safe, an
    ///         exchange wallet), so a contract must name the recipient with depositETH(to).
    receive() external payable {
        if (msg.sender.code.length != 0) revert PlainTransferFromContract(msg.sender);
        _depositETH(msg.sender);
    }

    /// @notice Deposits msg.value wei for `to` on L2. Reverts with ZeroAmount without ETH,
    ///         ZeroRecipient for a zero `to`, EnforcedPause while paused.
    /// @param to The L2 recipient.
    /// @return nonce The deposit's nonce.
    function depositETH(address to) external payable returns (uint256 nonce) {
        return _depositETH(to);
    }

    /// @notice Deposits `amount` of `l1Token` for `to` on L2. Pulls the tokens with
    ///         transferFrom (approve this contract first) and credits what actually arrived,
    ///         so a fee-on-transfer token credits the amount after its fee. The event carries
    ///         the token's name, symbol and decimals (defaults where unreadable), which L2Bridge
    ///         uses on the token's first deposit. Reverts with ZeroAmount, ZeroRecipient,
    ///         ZeroToken, NothingReceived if the balance did not grow, EnforcedPause while paused.
    /// @param l1Token The token.
    /// @param to The L2 recipient.
    /// @param amount Amount in base units to pull from msg.sender.
    /// @return nonce The deposit's nonce.
    function depositERC20(address l1Token, address to, uint256 amount)
        external
        whenNotPaused
        nonReentrant
        returns (uint256 nonce)
    {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroRecipient();
        if (l1Token == address(0)) revert ZeroToken();
        IERC20 token = IERC20(l1Token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 afterwards = token.balanceOf(address(this));
        if (afterwards <= before) revert NothingReceived(l1Token);
        uint256 received = afterwards - before;

        _lockedBalance[l1Token] += received;
        nonce = _nextDepositNonce++;
        emit DepositInitiated(nonce, l1Token, msg.sender, to, received, tokenMetadata(l1Token));
    }

    /// @notice Pays out an L2 withdrawal once its batch is final. Anyone may call it; the
    ///         funds go to `l1To`. The arguments are those of L2Bridge's WithdrawalInitiated
    ///         event; `proof` is the withdrawal tree proof of withdrawalHash(...) in the batch.
    ///         Reverts with UnknownBatch, BatchNotFinal, WithdrawalAlreadyFinalized,
    ///         InvalidWithdrawalProof, InsufficientLockedBalance, ETHTransferFailed (ETH refused
    ///         by `l1To`: nothing changes, it can be retried), EnforcedPause while paused.
    /// @param batchIndex The RollupAnchor batch whose withdrawal root holds the withdrawal.
    /// @param nonce The L2 withdrawal nonce.
    /// @param l2Sender Who withdrew on L2.
    /// @param l1To The L1 recipient.
    /// @param l1Token The L1 token, or address(0) for ETH.
    /// @param amount Amount in wei or token base units.
    /// @param proof Sibling hashes from the withdrawal's leaf up to the root (sorted pairs).
    function finalizeWithdrawal(
        uint256 batchIndex,
        uint256 nonce,
        address l2Sender,
        address l1To,
        address l1Token,
        uint256 amount,
        bytes32[] calldata proof
    ) external whenNotPaused nonReentrant {
        bytes32 hash = withdrawalHash(nonce, l2Sender, l1To, l1Token, amount);
        if (batchIndex >= rollupAnchor.batchCount()) revert UnknownBatch(batchIndex);
        if (!rollupAnchor.isFinal(batchIndex)) revert BatchNotFinal(batchIndex);
        if (_withdrawalFinalized[hash]) revert WithdrawalAlreadyFinalized(hash);
        if (!rollupAnchor.verifyWithdrawal(batchIndex, hash, proof)) revert InvalidWithdrawalProof();
        uint256 locked = _lockedBalance[l1Token];
        if (amount > locked) revert InsufficientLockedBalance(l1Token, locked, amount);

        _withdrawalFinalized[hash] = true;
        _lockedBalance[l1Token] = locked - amount;
        emit WithdrawalFinalized(hash, nonce, l1To, l1Token, amount);

        if (l1Token == address(0)) {
            if (!LowLevelCall.callNoReturn(l1To, amount, "")) revert ETHTransferFailed(l1To, amount);
        } else {
            IERC20(l1Token).safeTransfer(l1To, amount);
        }
    }

    /// @notice Stops deposits and withdrawals. Only the owner; emits Paused.
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Lets deposits and withdrawals run again. Only the owner; emits Unpaused.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice What this contract holds for deposits of `l1Token` (address(0): ETH) that
    ///         withdrawals have not taken out yet.
    function lockedBalance(address l1Token) external view returns (uint256) {
        return _lockedBalance[l1Token];
    }

    /// @notice Whether withdrawal `withdrawalHash` has been paid out.
    function isWithdrawalFinalized(bytes32 withdrawalHash_) external view returns (bool) {
        return _withdrawalFinalized[withdrawalHash_];
    }

    /// @notice Nonce the next deposit will get (also the number of deposits so far).
    function nextDepositNonce() external view returns (uint256) {
        return _nextDepositNonce;
    }

    /// @notice The value a withdrawal stands for in the withdrawal tree, as L2Bridge computes
    ///         it: keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount)).
    function withdrawalHash(uint256 nonce, address l2Sender, address l1To, address l1Token, uint256 amount)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount));
    }

    /// @notice The metadata a deposit of `l1Token` carries: abi.encode(name, symbol, decimals),
    ///         each read from the token or replaced by its default when the call reverts, is
    ///         missing, returns something that does not decode, a string longer than
    ///         MAX_METADATA_STRING_LENGTH or decimals above 255. A bytes32 name or symbol (as
    ///         some early tokens return) is read up to its first zero byte.
    function tokenMetadata(address l1Token) public view returns (bytes memory) {
        return abi.encode(
            _readString(l1Token, IERC20Metadata.name.selector, DEFAULT_NAME),
            _readString(l1Token, IERC20Metadata.symbol.selector, DEFAULT_SYMBOL),
            _readDecimals(l1Token)
        );
    }

    function _depositETH(address to) private whenNotPaused nonReentrant returns (uint256 nonce) {
        if (msg.value == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroRecipient();
        _lockedBalance[address(0)] += msg.value;
        nonce = _nextDepositNonce++;
        emit DepositInitiated(nonce, address(0), msg.sender, to, msg.value, "");
    }

    /// @dev A low-level staticcall instead of try/catch: try/catch does not catch a return value
    ///      that fails to decode (a bytes32 name, say), which would make the token undepositable.
    function _readString(address token, bytes4 selector, string memory fallbackValue)
        private
        view
        returns (string memory)
    {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(selector));
        if (!ok) return fallbackValue;
        if (data.length == 32) return _bytes32ToString(bytes32(data));
        if (data.length < 64) return fallbackValue;
        uint256 offset;
        uint256 length;
        assembly ("memory-safe") {
            offset := mload(add(data, 32))
        }
        // What abi.decode would revert on: the length word and the string's bytes must lie
        // inside the return data.
        if (offset > data.length - 32) return fallbackValue;
        assembly ("memory-safe") {
            length := mload(add(add(data, 32), offset))
        }
        if (length > data.length - 32 - offset || length > MAX_METADATA_STRING_LENGTH) return fallbackValue;
        return abi.decode(data, (string));
    }

    /// @dev The bytes of `value` up to its first zero byte.
    function _bytes32ToString(bytes32 value) private pure returns (string memory) {
        uint256 length = 0;
        while (length < 32 && value[length] != 0) ++length;
        bytes memory out = new bytes(length);
        for (uint256 i = 0; i < length; ++i) out[i] = value[i];
        return string(out);
    }

    function _readDecimals(address token) private view returns (uint8) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20Metadata.decimals, ()));
        if (!ok || data.length < 32) return DEFAULT_DECIMALS;
        uint256 value = abi.decode(data, (uint256));
        return value <= type(uint8).max ? uint8(value) : DEFAULT_DECIMALS;
    }
}
