// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IOnnxInference
/// @notice The inference precompile at 0x00000000000000000000000000000000000000A1: runs a model
///         registered in the ModelRegistry on an input vector, inside the calling transaction.
/// @dev Float tensors cross the boundary as int256 fixed point scaled by 1e18, integer tensors as
///      plain integers. The call costs the model's `gasPerCall` (see IModelRegistry.ModelInfo)
///      plus 2,100 gas per access-rule word read (2,100 for a public model, 4,200 for a
///      restricted one), charged before the model runs: too little gas is an out-of-gas with
///      nothing run. A restricted model (IModelRegistry.setAccess) runs only for callers on its
///      allowlist: the calling contract, or for a DELEGATECALL the delegating one.
///      Failures revert with Error(string), e.g. "unknown model",
///      "caller 0x… is not allowed to call this model" or
///      "input has 3 values, the model takes 4". Prefer `AI.infer`, which bubbles those up unchanged.
interface IOnnxInference {
    /// @notice Emitted from the precompile's address by every successful call: the on-chain
    ///         record of which model saw which input and produced which output.
    /// @param modelId keccak256 of the model's ONNX bytes.
    /// @param inputHash keccak256 of the input values as consecutive 32-byte words (`AI.hashValues`).
    /// @param outputHash keccak256 of the output values as consecutive 32-byte words (`AI.hashValues`).
    event Inference(bytes32 indexed modelId, bytes32 inputHash, bytes32 outputHash);

    /// @notice Runs model `modelId` on `input` and returns its output vector.
    /// @dev Not `view`: each call emits `Inference`.
    /// @param modelId keccak256 of the registered model's ONNX bytes.
    /// @param input Exactly the model's `inputLength` values, fixed point 1e18 for float inputs.
    /// @return output The model's `outputLength` values, fixed point 1e18 for float outputs.
    function infer(bytes32 modelId, int256[] calldata input) external returns (int256[] memory output);
}
