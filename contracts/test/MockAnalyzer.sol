// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IModelAnalyzer} from "../ai/IModelAnalyzer.sol";

/// @title MockAnalyzer
/// @notice Test stand-in for the model analysis precompile (0xA2), installed with
///         hardhat_setCode because the in-process Hardhat network cannot run our node's
///         precompiles. The real analyzer is tested against the node in the vitest suites.
/// @dev Not ONNX: a "model" is `0x08 | inputLength (1 byte) | outputLength (1 byte) | any bytes`.
///      (0x08 is how every real ModelProto starts: the tag of field 1, ir_version.) Any other
///      first byte is refused the way the real analyzer refuses a disallowed operator.
contract MockAnalyzer is IModelAnalyzer {
    /// @notice First byte of an acceptable mock model.
    bytes1 public constant MAGIC = 0x08;
    /// @notice gasPerCall = BASE_GAS + GAS_PER_BYTE * size, so tests can predict it.
    uint64 public constant BASE_GAS = 1_000;
    uint64 public constant GAS_PER_BYTE = 10;
    /// @notice Every mock model takes and gives float32 tensors.
    uint8 public constant TYPE_FLOAT32 = 1;

    /// @notice Accepts `0x08 | inputLength | outputLength | ...`; reverts with Error(string) otherwise.
    function analyze(bytes calldata onnxModel)
        external
        pure
        returns (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType)
    {
        if (onnxModel.length == 0 || onnxModel[0] != MAGIC) revert("operator Loop is not allowed");
        if (onnxModel.length < 3) revert("model is truncated");
        return (
            BASE_GAS + GAS_PER_BYTE * uint64(onnxModel.length),
            uint8(onnxModel[1]),
            uint8(onnxModel[2]),
            TYPE_FLOAT32,
            TYPE_FLOAT32
        );
    }
}
