// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IModelAnalyzer
/// @notice The model analysis precompile at 0x00000000000000000000000000000000000000A2: validates
///         ONNX bytes and computes the model's static cost and shapes. The ModelRegistry calls it
///         at registration; anyone may call it, e.g. to check a model before registering it.
/// @dev A pure function of the bytes. An invalid model (not ONNX, a disallowed operator, over the
///      size cap, not one fixed-shape input and output) reverts with Error(string) naming the rule.
///      Tensor types are ONNX TensorProto.DataType codes (1 = float32, 2 = uint8, 3 = int8,
///      6 = int32, 7 = int64); `AI` names them.
interface IModelAnalyzer {
    /// @notice Validates `onnxModel` and returns what a call to it will cost and take.
    /// @param onnxModel A serialized ONNX ModelProto.
    /// @return gasPerCall Gas the inference precompile charges per call of this model.
    /// @return inputLength Number of values the model's single input takes.
    /// @return outputLength Number of values the model's single output gives.
    /// @return inputType ONNX TensorProto.DataType of the input.
    /// @return outputType ONNX TensorProto.DataType of the output.
    function analyze(bytes calldata onnxModel)
        external
        pure
        returns (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType);
}
