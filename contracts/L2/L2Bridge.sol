// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {L2StandardToken} from "./L2StandardToken.sol";
import {SystemSender} from "./SystemSender.sol";

/// @title L2Bridge
/// @notice Predeploy at 0x4200000000000000000000000000000000000300, the L2 half of the bridge.
///         Deposits: the node turns each L1Bridge DepositInitiated event into a
///         `finalizeDeposit` transaction from the system sender, which pays out ETH or mints the
///         token's L2 representation. Withdrawals: users hand ETH or tokens to this contract,
///         which takes them out of circulation and emits WithdrawalInitiated; the node puts each
///         withdrawal hash in its batch's withdrawal tree, and L1Bridge pays out against it once
///         the batch is final.
/// @dev Installed in genesis as runtime code: no constructor, no immutables, storage starts
///      empty. The L2 token of an L1 token is created with CREATE2 from this address, salt
///      `bytes32(uint256(uint160(l1Token)))`, and L2StandardToken's creation code (no arguments),
///      so its address is known before the first deposit: see l2TokenFor.
///
///      ETH arriving with a deposit is `msg.value` of the system sender's transaction: the node
///      must give the system sender `amount` wei of L2 ETH for it (that is where bridged ETH is
///      minted on L2). ETH withdrawn stays in this contract, out of circulation.
contract L2Bridge {
    /// @notice Gas given to an ETH deposit's recipient. Capped so that a recipient that burns
    ///         all the gas it gets still leaves enough for the deposit to be recorded as held;
    ///         a recipient that needs more can claim with claimHeldETH, which forwards all gas.
    uint256 public constant DEPOSIT_RECIPIENT_GAS = 100_000;

    /// @notice Emitted for each processed deposit.
    /// @param l2Token The L2StandardToken minted, or address(0) for ETH.
    event DepositFinalized(
        uint256 indexed depositNonce,
        address indexed l1Token,
        address indexed to,
        address from,
        address l2Token,
        uint256 amount
    );
    /// @notice Emitted, besides DepositFinalized, when an ETH deposit's recipient refused the
    ///         ETH: it is held for `to` until `to` calls claimHeldETH.
    event DepositHeld(uint256 indexed depositNonce, address indexed to, uint256 amount);
    /// @notice Emitted when `account` pays out the ETH held for it to `recipient`.
    event HeldETHClaimed(address indexed account, address indexed recipient, uint256 amount);
    /// @notice Emitted when the first deposit of `l1Token` deploys its L2 token.
    event L2TokenDeployed(address indexed l1Token, address indexed l2Token);
    /// @notice Emitted for each withdrawal. `withdrawalHash` is the value the node puts in the
    ///         batch's withdrawal tree: withdrawalHash(nonce, l2Sender, l1To, l1Token, amount).
    /// @param l1Token The L1 token to pay out, or address(0) for ETH.
    event WithdrawalInitiated(
        uint256 indexed nonce,
        address indexed l2Sender,
        address indexed l1To,
        address l1Token,
        uint256 amount,
        bytes32 withdrawalHash
    );

    /// @notice Only the node's system sender may finalize deposits.
    error OnlySystem(address caller);
    /// @notice Deposit `nonce` was already processed; each L1 deposit pays out once.
    error DepositAlreadyProcessed(uint256 nonce);
    /// @notice The ETH sent (`value`) must equal an ETH deposit's amount, and be 0 for a token.
    error ValueMismatch(uint256 value, uint256 amount);
    /// @notice A withdrawal of nothing.
    error ZeroAmount();
    /// @notice A withdrawal to, or a claim paid to, the zero address.
    error ZeroRecipient();
    /// @notice `l2Token` was not deployed by this bridge, so it cannot be withdrawn through it.
    error UnknownL2Token(address l2Token);
    /// @notice No ETH is held for `account`.
    error NothingHeld(address account);
    /// @notice Sending `amount` wei to `recipient` failed; the ETH stays held.
    error ETHTransferFailed(address recipient, uint256 amount);

    mapping(uint256 depositNonce => bool) private _depositProcessed;
    mapping(address account => uint256) private _heldETH;
    mapping(address l2Token => address) private _l1TokenOf;
    uint256 private _nextWithdrawalNonce;
    uint256 private _totalETHDeposited;
    uint256 private _totalETHWithdrawn;
    uint256 private _totalETHHeld;

    /// @dev The transaction must come from the system sender too, not only the call: the system
    ///      sender's key is public, and a contract delegated to its address (EIP-7702) would make
    ///      msg.sender the system sender inside a user's transaction. The node also refuses any
    ///      authorization signed by that key; this check holds even if that refusal were missed.
    modifier onlySystem() {
        // solhint-disable-next-line avoid-tx-origin
        if (msg.sender != SystemSender.ADDRESS || tx.origin != SystemSender.ADDRESS) revert OnlySystem(msg.sender);
        _;
    }

    /// @notice Pays out L1 deposit `depositNonce`. Only the system sender, once per nonce.
    ///         ETH (`l1Token == address(0)`): `msg.value` must equal `amount`; it is sent to
    ///         `to` with DEPOSIT_RECIPIENT_GAS gas, or held for `to` if `to` does not take it.
    ///         Token: `msg.value` must be 0; the first deposit of `l1Token` deploys its
    ///         L2StandardToken at l2TokenFor(l1Token), initialized from `tokenMetadata`; then
    ///         `amount` is minted to `to`. Never reverts because of what `to` does.
    /// @param depositNonce The nonce L1Bridge gave the deposit.
    /// @param l1Token The L1 token deposited, or address(0) for ETH.
    /// @param from The L1 depositor (recorded in the event only).
    /// @param to The L2 recipient.
    /// @param amount Amount in wei or token base units (what L1Bridge actually received).
    /// @param tokenMetadata abi.encode(string name, string symbol, uint8 decimals) of the L1
    ///        token, as L1Bridge emitted it; read only on a token's first deposit.
    function finalizeDeposit(
        uint256 depositNonce,
        address l1Token,
        address from,
        address to,
        uint256 amount,
        bytes calldata tokenMetadata
    ) external payable onlySystem {
        if (_depositProcessed[depositNonce]) revert DepositAlreadyProcessed(depositNonce);
        _depositProcessed[depositNonce] = true;

        if (l1Token == address(0)) {
            if (msg.value != amount) revert ValueMismatch(msg.value, amount);
            _totalETHDeposited += amount;
            emit DepositFinalized(depositNonce, address(0), to, from, address(0), amount);
            if (!_sendCapped(to, amount)) {
                _heldETH[to] += amount;
                _totalETHHeld += amount;
                emit DepositHeld(depositNonce, to, amount);
            }
        } else {
            if (msg.value != 0) revert ValueMismatch(msg.value, 0);
            address l2Token = l2TokenFor(l1Token);
            if (_l1TokenOf[l2Token] == address(0)) _deployToken(l1Token, l2Token, tokenMetadata);
            L2StandardToken(l2Token).mint(to, amount);
            emit DepositFinalized(depositNonce, l1Token, to, from, l2Token, amount);
        }
    }

    /// @notice Pays the ETH held for msg.sender (deposits its code refused) to `recipient`,
    ///         forwarding all gas. Reverts with NothingHeld if there is none, ZeroRecipient for
    ///         the zero address, ETHTransferFailed if `recipient` refuses it (it stays held).
    /// @param recipient Where to send the ETH; may be msg.sender itself once it accepts ETH.
    function claimHeldETH(address payable recipient) external {
        if (recipient == address(0)) revert ZeroRecipient();
        uint256 amount = _heldETH[msg.sender];
        if (amount == 0) revert NothingHeld(msg.sender);
        _heldETH[msg.sender] = 0;
        _totalETHHeld -= amount;
        emit HeldETHClaimed(msg.sender, recipient, amount);
        if (!LowLevelCall.callNoReturn(recipient, amount, "")) revert ETHTransferFailed(recipient, amount);
    }

    /// @notice Withdraws `msg.value` wei to `l1To` on L1. The ETH stays in this contract (out
    ///         of circulation); L1Bridge pays it out once the batch holding the withdrawal is
    ///         final. Reverts with ZeroAmount without ETH, ZeroRecipient for a zero `l1To`.
    /// @param l1To The L1 recipient.
    /// @return nonce The withdrawal's nonce.
    function withdrawETH(address l1To) external payable returns (uint256 nonce) {
        if (msg.value == 0) revert ZeroAmount();
        if (l1To == address(0)) revert ZeroRecipient();
        _totalETHWithdrawn += msg.value;
        return _initiateWithdrawal(l1To, address(0), msg.value);
    }

    /// @notice Withdraws `amount` of bridged token `l2Token` to `l1To` on L1: burns them from
    ///         msg.sender (no allowance needed) and emits WithdrawalInitiated with the L1 token.
    ///         Reverts with ZeroAmount, ZeroRecipient, UnknownL2Token for a token this bridge did
    ///         not deploy, and the token's ERC20InsufficientBalance for more than the balance.
    /// @param l2Token The L2StandardToken to withdraw.
    /// @param l1To The L1 recipient.
    /// @param amount Amount in token base units.
    /// @return nonce The withdrawal's nonce.
    function withdrawERC20(address l2Token, address l1To, uint256 amount) external returns (uint256 nonce) {
        if (amount == 0) revert ZeroAmount();
        if (l1To == address(0)) revert ZeroRecipient();
        address l1Token = _l1TokenOf[l2Token];
        if (l1Token == address(0)) revert UnknownL2Token(l2Token);
        L2StandardToken(l2Token).burn(msg.sender, amount);
        return _initiateWithdrawal(l1To, l1Token, amount);
    }

    /// @notice The value a withdrawal stands for in the withdrawal tree (and on L1Bridge):
    ///         keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount)).
    function withdrawalHash(uint256 nonce, address l2Sender, address l1To, address l1Token, uint256 amount)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount));
    }

    /// @notice Address of `l1Token`'s L2StandardToken, whether deployed yet or not: CREATE2 from
    ///         this contract with salt bytes32(uint256(uint160(l1Token))).
    function l2TokenFor(address l1Token) public view returns (address) {
        return Create2.computeAddress(_salt(l1Token), keccak256(type(L2StandardToken).creationCode));
    }

    /// @notice The L1 token of `l2Token` if this bridge deployed it, else address(0).
    function l1TokenOf(address l2Token) external view returns (address) {
        return _l1TokenOf[l2Token];
    }

    /// @notice Whether deposit `depositNonce` has been processed.
    function depositProcessed(uint256 depositNonce) external view returns (bool) {
        return _depositProcessed[depositNonce];
    }

    /// @notice ETH held for `account` because its code refused a deposit; see claimHeldETH.
    function heldETH(address account) external view returns (uint256) {
        return _heldETH[account];
    }

    /// @notice Nonce the next withdrawal will get (also the number of withdrawals so far).
    function nextWithdrawalNonce() external view returns (uint256) {
        return _nextWithdrawalNonce;
    }

    /// @notice Wei received through ETH deposits, in total.
    function totalETHDeposited() external view returns (uint256) {
        return _totalETHDeposited;
    }

    /// @notice Wei taken out of circulation by withdrawETH, in total.
    function totalETHWithdrawn() external view returns (uint256) {
        return _totalETHWithdrawn;
    }

    /// @notice Wei held for recipients that refused deposits and have not claimed yet.
    function totalETHHeld() external view returns (uint256) {
        return _totalETHHeld;
    }

    function _initiateWithdrawal(address l1To, address l1Token, uint256 amount) private returns (uint256 nonce) {
        nonce = _nextWithdrawalNonce++;
        bytes32 hash = withdrawalHash(nonce, msg.sender, l1To, l1Token, amount);
        emit WithdrawalInitiated(nonce, msg.sender, l1To, l1Token, amount, hash);
    }

    function _deployToken(address l1Token, address l2Token, bytes calldata tokenMetadata) private {
        (string memory name, string memory symbol, uint8 decimals) =
            abi.decode(tokenMetadata, (string, string, uint8));
        // Same address as l2TokenFor by construction; CREATE2 reverts rather than deploy twice.
        L2StandardToken token = new L2StandardToken{salt: _salt(l1Token)}();
        _l1TokenOf[l2Token] = l1Token;
        token.initialize(l1Token, name, symbol, decimals);
        emit L2TokenDeployed(l1Token, l2Token);
    }

    /// @dev A call with value and at most DEPOSIT_RECIPIENT_GAS gas that copies no return data,
    ///      so neither the recipient's gas use nor its return data can make the deposit revert.
    function _sendCapped(address to, uint256 amount) private returns (bool ok) {
        uint256 gasLimit = DEPOSIT_RECIPIENT_GAS;
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0)
        }
    }

    function _salt(address l1Token) private pure returns (bytes32) {
        return bytes32(uint256(uint160(l1Token)));
    }
}
