// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IInferenceConsumer, IInferenceCoordinator, IInferenceCoordinatorNodes} from "./IInferenceCoordinator.sol";

/// @title InferenceConsumer
/// @notice Base contract for a dApp that asks the InferenceCoordinator for off-chain inferences.
///         A dApp calls `_requestInference` and implements `_onInferenceResult`:
///
///         contract MyDApp is InferenceConsumer {
///             constructor() InferenceConsumer(AI.INFERENCE_COORDINATOR) {}
///             function ask(bytes calldata input) external payable {
///                 (uint256 requestId, uint256 fee) = _requestInference(MODEL, input, 3, 100_000, msg.value);
///                 ... // record the request; return msg.value - fee to the caller
///             }
///             function _onInferenceResult(uint256 requestId, bytes calldata output) internal override { ... }
///         }
///
/// @dev The callback gets exactly the callbackGasLimit given at request; if it reverts or runs
///      out of gas the result still stands (the coordinator records callbackSucceeded = false
///      and getRequest returns the output), so keep it cheap and total, or let anyone finish
///      the work from getRequest. A failed request (no agreement, timed out) calls nothing
///      back: its fee is credited to this contract's balance in the coordinator, taken with
///      `_withdrawFromCoordinator` (receive() accepts ETH from the coordinator only).
abstract contract InferenceConsumer is IInferenceConsumer {
    /// @notice The coordinator this contract asks and accepts results from.
    IInferenceCoordinator public immutable coordinator;

    /// @notice onInferenceResult or receive() called by `caller`, not the coordinator.
    error NotCoordinator(address caller);
    /// @notice The constructor's coordinator was the zero address.
    error ZeroCoordinator();
    /// @notice A request would cost `fee` wei; at most `maxFee` may be spent on it.
    error FeeTooLow(uint256 maxFee, uint256 fee);

    /// @param coordinator_ The InferenceCoordinator: AI.INFERENCE_COORDINATOR on this chain.
    constructor(address coordinator_) {
        if (coordinator_ == address(0)) revert ZeroCoordinator();
        coordinator = IInferenceCoordinator(coordinator_);
    }

    /// @inheritdoc IInferenceConsumer
    /// @dev Only the coordinator; passes the result to `_onInferenceResult`.
    function onInferenceResult(uint256 requestId, bytes calldata output) external {
        if (msg.sender != address(coordinator)) revert NotCoordinator(msg.sender);
        _onInferenceResult(requestId, output);
    }

    /// @notice Accepts the ETH of the coordinator's withdraw() (`_withdrawFromCoordinator`).
    receive() external payable virtual {
        if (msg.sender != address(coordinator)) revert NotCoordinator(msg.sender);
    }

    /// @dev What the dApp does with the agreed `output` of its request `requestId`.
    function _onInferenceResult(uint256 requestId, bytes calldata output) internal virtual;

    /// @dev Asks for an inference and pays exactly its quote (same block, same fee) from this
    ///      contract's balance. Reverts with the coordinator's errors (NotEnoughNodes, ...).
    /// @return requestId The coordinator's request id, passed back to `_onInferenceResult`.
    /// @return fee What was paid.
    function _requestInference(bytes32 modelId, bytes memory input, uint8 redundancy, uint32 callbackGasLimit)
        internal
        returns (uint256 requestId, uint256 fee)
    {
        fee = coordinator.quote(modelId, redundancy, callbackGasLimit);
        requestId = coordinator.requestInference{value: fee}(modelId, input, redundancy, callbackGasLimit);
    }

    /// @dev As `_requestInference` above, spending at most `maxFee`: reverts with
    ///      FeeTooLow(maxFee, fee) before paying anything when the quote is higher. A payable
    ///      entry point that makes its caller pay passes msg.value (the surplus is its to return).
    function _requestInference(bytes32 modelId, bytes memory input, uint8 redundancy, uint32 callbackGasLimit, uint256 maxFee)
        internal
        returns (uint256 requestId, uint256 fee)
    {
        fee = coordinator.quote(modelId, redundancy, callbackGasLimit);
        if (fee > maxFee) revert FeeTooLow(maxFee, fee);
        requestId = coordinator.requestInference{value: fee}(modelId, input, redundancy, callbackGasLimit);
    }

    /// @dev Moves this contract's balance in the coordinator (refunds of failed requests) to
    ///      this contract; returns the amount (0: nothing to take).
    function _withdrawFromCoordinator() internal returns (uint256 amount) {
        amount = IInferenceCoordinatorNodes(address(coordinator)).balanceOf(address(this));
        if (amount != 0) IInferenceCoordinatorNodes(address(coordinator)).withdraw();
    }
}
