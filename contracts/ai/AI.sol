// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IOnnxInference} from "./IOnnxInference.sol";
import {IModelAnalyzer} from "./IModelAnalyzer.sol";
import {IModelRegistry} from "./IModelRegistry.sol";

/// @title AI
/// @notice What a dApp needs to use on-chain models, in one import: the precompile and registry
///         addresses, `infer`, the record hashes and 1e18 fixed-point helpers.
/// @dev Data flow: a model's ONNX bytes go to `IModelRegistry.register` (the registry asks the
///      analyzer precompile at MODEL_ANALYZER for its cost and shapes); `AI.infer` then sends a
///      modelId and an input vector to the inference precompile at INFERENCE, which charges the
///      model's gasPerCall, runs it, logs `IOnnxInference.Inference` and returns the output.
///      Float tensors are int256 scaled by ONE (1e18); integer tensors are plain integers.
library AI {
    /// @notice The inference precompile (IOnnxInference).
    address internal constant INFERENCE = 0x00000000000000000000000000000000000000A1;
    /// @notice The model analysis precompile (IModelAnalyzer).
    address internal constant MODEL_ANALYZER = 0x00000000000000000000000000000000000000A2;
    /// @notice The ModelRegistry predeploy (IModelRegistry).
    address internal constant MODEL_REGISTRY = 0x4200000000000000000000000000000000000100;
    /// @notice The InferenceCoordinator predeploy (IInferenceCoordinator): off-chain models,
    ///         run by staked nodes and delivered by callback (contracts/ai/InferenceConsumer.sol).
    address internal constant INFERENCE_COORDINATOR = 0x4200000000000000000000000000000000000400;
    /// @notice The DatasetRegistry predeploy (IDatasetRegistry): anchored dataset versions, which
    ///         a model's lineage names (IModelRegistry.getLineage).
    address internal constant DATASET_REGISTRY = 0x4200000000000000000000000000000000000500;

    /// @notice 1.0 in the fixed-point format float tensors use.
    int256 internal constant ONE = 1e18;

    /// @notice ONNX TensorProto.DataType codes reported in ModelInfo.inputType / outputType.
    uint8 internal constant TYPE_FLOAT32 = 1;
    uint8 internal constant TYPE_UINT8 = 2;
    uint8 internal constant TYPE_INT8 = 3;
    uint8 internal constant TYPE_INT32 = 6;
    uint8 internal constant TYPE_INT64 = 7;

    /// @notice The inference precompile returned something that is not an int256[]: on a chain
    ///         without the precompile a call to its address succeeds with no data.
    error InferenceOutputMalformed(bytes returnData);

    /// @notice Runs model `modelId` on `input` through the inference precompile.
    /// @dev Reverts with the precompile's revert data unchanged (Error(string) such as
    ///      "unknown model"), so callers and wallets see the node's reason. Uses CALL, not
    ///      STATICCALL, because the precompile logs the inference; so the caller cannot be `view`.
    /// @param modelId keccak256 of the registered model's ONNX bytes.
    /// @param input The model's input values (fixed point 1e18 for float inputs).
    /// @return output The model's output values (fixed point 1e18 for float outputs).
    function infer(bytes32 modelId, int256[] memory input) internal returns (int256[] memory output) {
        (bool ok, bytes memory returnData) = INFERENCE.call(abi.encodeCall(IOnnxInference.infer, (modelId, input)));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(returnData, 0x20), mload(returnData))
            }
        }
        // An int256[] is at least an offset word and a length word; abi.decode would revert
        // without data on less, which tells the caller nothing.
        if (returnData.length < 64) revert InferenceOutputMalformed(returnData);
        output = abi.decode(returnData, (int256[]));
    }

    /// @notice The ModelRegistry predeploy.
    function registry() internal pure returns (IModelRegistry) {
        return IModelRegistry(MODEL_REGISTRY);
    }

    /// @notice The model analysis precompile.
    function analyzer() internal pure returns (IModelAnalyzer) {
        return IModelAnalyzer(MODEL_ANALYZER);
    }

    /// @notice keccak256 of `values` as consecutive 32-byte two's-complement words, i.e.
    ///         keccak256(abi.encodePacked(values)): the inputHash / outputHash of the
    ///         precompile's `Inference` log, so a dApp can store the same record.
    function hashValues(int256[] memory values) internal pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            hash := keccak256(add(values, 0x20), mul(mload(values), 0x20))
        }
    }

    /// @notice `whole` as fixed point (whole * 1e18); reverts on overflow.
    function toFixed(int256 whole) internal pure returns (int256) {
        return whole * ONE;
    }

    /// @notice numerator / denominator as fixed point, rounded toward zero; reverts on a zero denominator.
    function toFixed(int256 numerator, int256 denominator) internal pure returns (int256) {
        return (numerator * ONE) / denominator;
    }

    /// @notice The whole part of fixed-point `x`, rounded toward zero.
    function fromFixed(int256 x) internal pure returns (int256) {
        return x / ONE;
    }

    /// @notice a * b for fixed-point a and b, rounded toward zero.
    function mulFixed(int256 a, int256 b) internal pure returns (int256) {
        return (a * b) / ONE;
    }

    /// @notice a / b for fixed-point a and b, rounded toward zero.
    function divFixed(int256 a, int256 b) internal pure returns (int256) {
        return (a * ONE) / b;
    }

    /// @notice `x` limited to [lo, hi] (lo <= hi), e.g. a model's probability into [0, ONE].
    function clamp(int256 x, int256 lo, int256 hi) internal pure returns (int256) {
        return x < lo ? lo : x > hi ? hi : x;
    }
}
