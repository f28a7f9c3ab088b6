// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AI} from "../ai/AI.sol";
import {IModelAnalyzer} from "../ai/IModelAnalyzer.sol";
import {IModelRegistry} from "../ai/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Predeploy at 0x4200000000000000000000000000000000000100 listing the ONNX models the
///         inference precompile may run. Registering is open to anyone; a model's id is the
///         keccak256 of its bytes, so the same bytes can be registered once.
/// @dev Installed in genesis as runtime code: the constructor never runs, so the contract has no
///      immutables and no constructor state, and its storage starts empty.
///
///      Storage layout, read directly by the node (do not reorder, insert or inherit anything
///      with storage before `_models`):
///      - slot 0: `_models`. Model `modelId`'s ModelInfo starts at slot keccak256(modelId . 0)
///        (abi.encode(modelId, uint256(0))). That first word packs, from the low-order end:
///        owner (bits 0-159), gasPerCall (bits 160-223), size (bits 224-255). A model is
///        registered iff its owner bits are nonzero. The next word packs inputLength (bits 0-31),
///        outputLength (32-63), inputType (64-71), outputType (72-79); the one after holds name.
///      - slot 1: `_modelCount`.
///      test/contracts/ModelRegistry.test.ts asserts this layout.
contract ModelRegistry is IModelRegistry {
    /// @notice Longest name accepted, in bytes of UTF-8.
    uint256 public constant MAX_NAME_LENGTH = 64;

    /// @dev Error(string)'s selector, bytes4(keccak256("Error(string)")).
    bytes4 private constant ERROR_STRING_SELECTOR = 0x08c379a0;

    /// @dev Must stay at slot 0 with `owner` first: see the storage notes above.
    mapping(bytes32 modelId => ModelInfo) private _models;
    uint256 private _modelCount;

    /// @inheritdoc IModelRegistry
    function register(bytes calldata onnxModel, string calldata name) external returns (bytes32 modelId) {
        if (bytes(name).length == 0) revert EmptyName();
        if (bytes(name).length > MAX_NAME_LENGTH) revert NameTooLong(bytes(name).length, MAX_NAME_LENGTH);
        modelId = keccak256(onnxModel);
        if (_models[modelId].owner != address(0)) revert ModelAlreadyRegistered(modelId);

        (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType) =
            _analyze(onnxModel);

        _models[modelId] = ModelInfo({
            owner: msg.sender,
            gasPerCall: gasPerCall,
            // The analyzer rejects anything over the node's size cap (1 MiB by default), and
            // calldata cannot approach 4 GiB anyway.
            size: uint32(onnxModel.length),
            inputLength: inputLength,
            outputLength: outputLength,
            inputType: inputType,
            outputType: outputType,
            name: name
        });
        ++_modelCount;
        emit ModelRegistered(modelId, msg.sender, name);
    }

    /// @inheritdoc IModelRegistry
    function isRegistered(bytes32 modelId) external view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    /// @inheritdoc IModelRegistry
    function getModel(bytes32 modelId) external view returns (ModelInfo memory) {
        ModelInfo storage info = _models[modelId];
        if (info.owner == address(0)) revert UnknownModel(modelId);
        return info;
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @dev Asks the analyzer precompile for the model's cost and shapes. A low-level call rather
    ///      than try/catch so that a malformed success (e.g. no precompile: empty return data)
    ///      is a named error instead of a revert without data.
    function _analyze(bytes calldata onnxModel)
        private
        view
        returns (uint64 gasPerCall, uint32 inputLength, uint32 outputLength, uint8 inputType, uint8 outputType)
    {
        (bool ok, bytes memory returnData) =
            AI.MODEL_ANALYZER.staticcall(abi.encodeCall(IModelAnalyzer.analyze, (onnxModel)));
        if (!ok) {
            if (returnData.length >= 68 && bytes4(returnData) == ERROR_STRING_SELECTOR) {
                revert ModelRejected(_errorReason(returnData));
            }
            revert ModelAnalysisFailed(returnData);
        }
        if (returnData.length != 5 * 32) revert ModelAnalysisFailed(returnData);
        return abi.decode(returnData, (uint64, uint32, uint32, uint8, uint8));
    }

    /// @dev The string inside Error(string) revert data (selector already checked).
    function _errorReason(bytes memory revertData) private pure returns (string memory) {
        // Drop the 4-byte selector in place: move the length word up by 4 bytes, over the
        // selector, so what follows is the plain ABI encoding of (string).
        bytes memory encoded;
        assembly ("memory-safe") {
            encoded := add(revertData, 4)
            mstore(encoded, sub(mload(revertData), 4))
        }
        return abi.decode(encoded, (string));
    }
}
