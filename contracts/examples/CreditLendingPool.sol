// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AI} from "../ai/AI.sol";
import {IModelRegistry} from "../ai/IModelRegistry.sol";

/// @title CreditLendingPool
/// @notice An ETH lending pool that sets each borrower's collateral ratio from an on-chain
///         credit-risk model: a default probability p in [0, 1] maps linearly to a ratio from
///         110% (p = 0) to 200% (p = 1).
/// @dev Flow: lenders `deposit` ETH; a borrower calls `assess` with four credit features (fixed
///      point 1e18), the pool runs the model through `AI.infer` and stores the ratio; `borrow`
///      then lends ETH against ETH collateral of at least amount * ratio, and `repay` returns the
///      collateral. An example, not a product: borrowers report their own features, one open
///      loan per borrower, no interest, no liquidation.
contract CreditLendingPool is Ownable {
    /// @notice Number of features the credit model takes.
    uint256 public constant FEATURE_COUNT = 4;
    /// @notice Basis points in 100%.
    uint256 public constant BPS = 10_000;
    /// @notice Collateral ratio for p = 0 (110%).
    uint256 public constant MIN_COLLATERAL_RATIO_BPS = 11_000;
    /// @notice Collateral ratio for p = 1 (200%).
    uint256 public constant MAX_COLLATERAL_RATIO_BPS = 20_000;

    /// @notice A borrower's latest assessment.
    struct Assessment {
        /// Default probability used, fixed point 1e18, clamped into [0, 1e18].
        uint64 defaultProbability;
        /// Collateral required per unit borrowed, in basis points; 0 means never assessed.
        uint16 collateralRatioBps;
        /// Block of the assessment.
        uint64 blockNumber;
    }

    /// @notice A borrower's open loan.
    struct Loan {
        /// ETH lent, in wei; 0 means no open loan.
        uint256 principal;
        /// ETH held as collateral, in wei.
        uint256 collateral;
    }

    /// @notice Model that scores borrowers (keccak256 of its ONNX bytes).
    bytes32 public modelId;
    /// @notice ETH available to lend, in wei: deposits minus withdrawals minus open principal.
    uint256 public availableLiquidity;
    /// @notice ETH each lender has deposited and not withdrawn, in wei.
    mapping(address lender => uint256) public deposits;

    mapping(address borrower => Assessment) private _assessments;
    mapping(address borrower => Loan) private _loans;

    /// @notice The owner switched the credit model.
    event ModelChanged(bytes32 indexed previousModelId, bytes32 indexed newModelId);
    /// @notice `borrower` was scored: default probability `defaultProbability` (1e18 = 100%)
    ///         gives a collateral ratio of `collateralRatioBps`. The hashes match the inference
    ///         precompile's Inference log for this call.
    event Assessed(
        address indexed borrower,
        uint256 defaultProbability,
        uint256 collateralRatioBps,
        bytes32 inputHash,
        bytes32 outputHash
    );
    /// @notice `lender` added `amount` wei of liquidity.
    event Deposited(address indexed lender, uint256 amount);
    /// @notice `lender` took back `amount` wei of liquidity.
    event Withdrawn(address indexed lender, uint256 amount);
    /// @notice `borrower` borrowed `amount` wei against `collateral` wei at `collateralRatioBps`.
    event Borrowed(address indexed borrower, uint256 amount, uint256 collateral, uint256 collateralRatioBps);
    /// @notice `borrower` repaid `amount` wei and got `collateral` wei back.
    event Repaid(address indexed borrower, uint256 amount, uint256 collateral);

    /// @notice The model must take FEATURE_COUNT values and give one (the default probability).
    error ModelShapeMismatch(uint32 inputLength, uint32 outputLength);
    /// @notice The model gave `length` values instead of one.
    error UnexpectedOutputLength(uint256 length);
    /// @notice Borrowing needs an assessment first.
    error NotAssessed(address borrower);
    /// @notice The borrower already has an open loan; repay it first.
    error LoanAlreadyOpen(address borrower);
    /// @notice The borrower has no open loan.
    error NoOpenLoan(address borrower);
    /// @notice Deposits, withdrawals and loans must move some ETH.
    error ZeroAmount();
    /// @notice The collateral sent is below amount * ratio.
    error InsufficientCollateral(uint256 required, uint256 provided);
    /// @notice The pool has less ETH available than requested.
    error InsufficientLiquidity(uint256 requested, uint256 available);
    /// @notice A lender asked for more than they deposited.
    error InsufficientDeposit(uint256 requested, uint256 deposited);
    /// @notice A repayment must send exactly the principal owed.
    error WrongRepaymentAmount(uint256 owed, uint256 sent);
    /// @notice Sending ETH to `to` failed.
    error EthTransferFailed(address to, uint256 amount);

    /// @param modelId_ The credit model; must be registered and take 4 values and give 1.
    constructor(bytes32 modelId_) Ownable(msg.sender) {
        _setModel(modelId_);
    }

    /// @notice Switches the credit model. Only the owner. Existing assessments and loans stay.
    /// @dev Reverts with the registry's UnknownModel for an unregistered id and
    ///      ModelShapeMismatch unless the model takes 4 values and gives 1.
    function setModel(bytes32 newModelId) external onlyOwner {
        _setModel(newModelId);
    }

    /// @notice Scores the caller with the credit model and stores their collateral ratio.
    /// @dev Model errors (e.g. "unknown model") revert unchanged from the precompile.
    /// @param features The model's four inputs, fixed point 1e18.
    /// @return collateralRatioBps The caller's new collateral ratio in basis points.
    function assess(int256[4] calldata features) external returns (uint256 collateralRatioBps) {
        int256[] memory input = new int256[](FEATURE_COUNT);
        for (uint256 i = 0; i < FEATURE_COUNT; ++i) {
            input[i] = features[i];
        }
        int256[] memory output = AI.infer(modelId, input);
        if (output.length != 1) revert UnexpectedOutputLength(output.length);

        // A logistic model stays in [0, 1]; clamping guards against any other model.
        uint256 p = uint256(AI.clamp(output[0], 0, AI.ONE));
        collateralRatioBps =
            MIN_COLLATERAL_RATIO_BPS + (p * (MAX_COLLATERAL_RATIO_BPS - MIN_COLLATERAL_RATIO_BPS)) / uint256(AI.ONE);

        _assessments[msg.sender] = Assessment({
            defaultProbability: uint64(p),
            collateralRatioBps: uint16(collateralRatioBps),
            blockNumber: uint64(block.number)
        });
        emit Assessed(msg.sender, p, collateralRatioBps, AI.hashValues(input), AI.hashValues(output));
    }

    /// @notice Adds the ETH sent as liquidity for borrowers; the caller may withdraw it later.
    function deposit() external payable {
        if (msg.value == 0) revert ZeroAmount();
        deposits[msg.sender] += msg.value;
        availableLiquidity += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Takes back `amount` wei of the caller's deposit, if that much is not lent out.
    function withdraw(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 deposited = deposits[msg.sender];
        if (amount > deposited) revert InsufficientDeposit(amount, deposited);
        if (amount > availableLiquidity) revert InsufficientLiquidity(amount, availableLiquidity);
        deposits[msg.sender] = deposited - amount;
        availableLiquidity -= amount;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Borrows `amount` wei against the ETH sent with the call as collateral, which must
    ///         be at least amount * the caller's collateral ratio (rounded up to the wei).
    function borrow(uint256 amount) external payable {
        uint256 ratio = _assessments[msg.sender].collateralRatioBps;
        if (ratio == 0) revert NotAssessed(msg.sender);
        if (_loans[msg.sender].principal != 0) revert LoanAlreadyOpen(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 required = Math.mulDiv(amount, ratio, BPS, Math.Rounding.Ceil);
        if (msg.value < required) revert InsufficientCollateral(required, msg.value);
        if (amount > availableLiquidity) revert InsufficientLiquidity(amount, availableLiquidity);

        availableLiquidity -= amount;
        _loans[msg.sender] = Loan({principal: amount, collateral: msg.value});
        emit Borrowed(msg.sender, amount, msg.value, ratio);
        _send(msg.sender, amount);
    }

    /// @notice Repays the caller's open loan (send exactly the principal) and returns their collateral.
    function repay() external payable {
        Loan memory loan = _loans[msg.sender];
        if (loan.principal == 0) revert NoOpenLoan(msg.sender);
        if (msg.value != loan.principal) revert WrongRepaymentAmount(loan.principal, msg.value);

        delete _loans[msg.sender];
        availableLiquidity += loan.principal;
        emit Repaid(msg.sender, loan.principal, loan.collateral);
        _send(msg.sender, loan.collateral);
    }

    /// @notice `borrower`'s latest assessment (all zero if never assessed).
    function assessmentOf(address borrower) external view returns (Assessment memory) {
        return _assessments[borrower];
    }

    /// @notice `borrower`'s open loan (all zero if none).
    function loanOf(address borrower) external view returns (Loan memory) {
        return _loans[borrower];
    }

    /// @notice Collateral in wei that borrowing `amount` wei needs from `borrower` now; reverts with
    ///         NotAssessed if they were never assessed.
    function requiredCollateral(address borrower, uint256 amount) external view returns (uint256) {
        uint256 ratio = _assessments[borrower].collateralRatioBps;
        if (ratio == 0) revert NotAssessed(borrower);
        return Math.mulDiv(amount, ratio, BPS, Math.Rounding.Ceil);
    }

    function _setModel(bytes32 newModelId) private {
        IModelRegistry.ModelInfo memory info = AI.registry().getModel(newModelId);
        if (info.inputLength != FEATURE_COUNT || info.outputLength != 1) {
            revert ModelShapeMismatch(info.inputLength, info.outputLength);
        }
        emit ModelChanged(modelId, newModelId);
        modelId = newModelId;
    }

    /// @dev State is final before this runs (checks-effects-interactions), so re-entry sees
    ///      the updated balances.
    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert EthTransferFailed(to, amount);
    }
}
