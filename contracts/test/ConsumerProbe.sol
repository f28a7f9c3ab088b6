// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InferenceConsumer} from "../ai/InferenceConsumer.sol";

/// @title ConsumerProbe
/// @notice Test requester for the InferenceCoordinator: asks through InferenceConsumer and
///         records what its callback saw, or misbehaves in a chosen way (revert, burn all its
///         gas, call back into the coordinator, chain a new request).
contract ConsumerProbe is InferenceConsumer {
    /// @notice What the callback does.
    enum Mode {
        Record,
        Revert,
        BurnGas,
        Reenter,
        Chain
    }

    /// @notice Emitted by every callback that returns.
    event ResultReceived(uint256 indexed requestId, bytes output, uint256 gasAtEntry);

    Mode public mode;
    /// @notice Calldata the Reenter mode sends to the coordinator.
    bytes public reentryData;
    /// @notice The model, redundancy and callback gas of the request the Chain mode makes (input: the output received).
    bytes32 public chainModel;
    uint8 public chainRedundancy;
    uint32 public chainCallbackGas;

    uint256 public calls;
    uint256 public lastRequestId;
    bytes public lastOutput;
    /// @notice gasleft() on entry to _onInferenceResult.
    uint256 public gasAtEntry;
    bool public reentrySucceeded;
    bytes public reentryReturn;
    uint256 public chainedRequestId;

    constructor(address coordinator_) InferenceConsumer(coordinator_) {}

    function setMode(Mode mode_, bytes calldata reentryData_) external {
        mode = mode_;
        reentryData = reentryData_;
    }

    function setChain(bytes32 modelId, uint8 redundancy, uint32 callbackGas) external {
        (chainModel, chainRedundancy, chainCallbackGas) = (modelId, redundancy, callbackGas);
    }

    /// @notice Asks through InferenceConsumer._requestInference (pays the quote from this
    ///         contract's balance; msg.value adds to it).
    function request(bytes32 modelId, bytes calldata input, uint8 redundancy, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId, uint256 fee)
    {
        return _requestInference(modelId, input, redundancy, callbackGasLimit);
    }

    function withdrawFromCoordinator() external returns (uint256) {
        return _withdrawFromCoordinator();
    }

    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        uint256 g = gasleft();
        Mode m = mode;
        if (m == Mode.Revert) revert("probe refuses the result");
        if (m == Mode.BurnGas) {
            assembly {
                invalid()
            }
        }
        ++calls;
        lastRequestId = requestId;
        lastOutput = output;
        gasAtEntry = g;
        if (m == Mode.Reenter) {
            (bool ok, bytes memory ret) = address(coordinator).call(reentryData);
            (reentrySucceeded, reentryReturn) = (ok, ret);
        } else if (m == Mode.Chain) {
            (chainedRequestId, ) = _requestInference(chainModel, output, chainRedundancy, chainCallbackGas);
        }
        emit ResultReceived(requestId, output, g);
    }
}
