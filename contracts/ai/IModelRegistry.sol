// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IModelRegistry
/// @notice The ModelRegistry predeploy at 0x4200000000000000000000000000000000000100: the list of
///         ONNX models the inference precompile may run, with what each costs and takes.
/// @dev A model's bytes travel in the calldata of its `register` transaction, so a node replaying
///      the chain rebuilds its model store from chain data.
interface IModelRegistry {
    /// @notice What the registry knows of one model.
    /// @dev Field order is part of the node's contract (see ModelRegistry's storage notes): do not reorder.
    struct ModelInfo {
        /// Account that registered the model; never zero for a registered model.
        address owner;
        /// Gas the inference precompile charges per call, from the analyzer's static cost.
        uint64 gasPerCall;
        /// Length of the ONNX bytes, in bytes.
        uint32 size;
        /// Number of values in the model's input.
        uint32 inputLength;
        /// Number of values in the model's output.
        uint32 outputLength;
        /// ONNX TensorProto.DataType of the input (1 = float32, 2 = uint8, 3 = int8, 6 = int32, 7 = int64).
        uint8 inputType;
        /// ONNX TensorProto.DataType of the output.
        uint8 outputType;
        /// Human-readable name, 1 to 64 bytes of UTF-8.
        string name;
    }

    /// @notice A model was registered.
    /// @param modelId keccak256 of the model's ONNX bytes.
    /// @param owner The registering account.
    /// @param name The name given at registration.
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, string name);

    /// @notice The same bytes (same modelId) are already registered.
    error ModelAlreadyRegistered(bytes32 modelId);
    /// @notice A model needs a name.
    error EmptyName();
    /// @notice The name is `length` bytes of UTF-8; at most `max` are allowed.
    error NameTooLong(uint256 length, uint256 max);
    /// @notice The analyzer refused the model; `reason` is its Error(string) reason, unchanged.
    error ModelRejected(string reason);
    /// @notice The analyzer failed without a reason string (e.g. it ran out of gas) or returned
    ///         something other than its five values; `returnData` is what it gave.
    error ModelAnalysisFailed(bytes returnData);
    /// @notice No model with this id is registered.
    error UnknownModel(bytes32 modelId);

    /// @notice Registers the ONNX model `onnxModel` under `name`; the caller becomes its owner.
    /// @dev modelId = keccak256(onnxModel). The analyzer precompile validates the bytes and sets
    ///      gasPerCall and the shapes.
    /// @param onnxModel A serialized ONNX ModelProto.
    /// @param name 1 to 64 bytes of UTF-8.
    /// @return modelId keccak256(onnxModel).
    function register(bytes calldata onnxModel, string calldata name) external returns (bytes32 modelId);

    /// @notice Whether a model with id `modelId` is registered.
    function isRegistered(bytes32 modelId) external view returns (bool);

    /// @notice Everything known about model `modelId`; reverts with UnknownModel if it is not registered.
    function getModel(bytes32 modelId) external view returns (ModelInfo memory);

    /// @notice Number of models registered so far.
    function modelCount() external view returns (uint256);
}
