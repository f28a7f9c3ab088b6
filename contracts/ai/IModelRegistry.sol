// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IModelRegistry
/// @notice The ModelRegistry predeploy at 0x4200000000000000000000000000000000000100: the list of
///         models of this chain, of two kinds. **On-chain** models (`register`) are ONNX models the
///         inference precompile may run, with what each costs and takes. **Off-chain** models
///         (`registerOffchain`) are too big or slow for a block: staked resource nodes run them
///         for the InferenceCoordinator (docs/OFFCHAIN_INFERENCE.md); the registry records their
///         content hash, where to fetch them and their formats.
/// @dev An on-chain model's bytes travel in the calldata of its `register` transaction, so a node
///      replaying the chain rebuilds its model store from chain data. An off-chain model's bytes
///      never touch the chain. One id is registered as one kind at most; `isRegistered`,
///      `getModel` and the precompile know on-chain models only, `modelKind`, `modelCount` and
///      the enumeration (`modelIdAt`, `modelIds`) cover both kinds.
///
///      **Lineage** (both kinds): a model's owner declares once, with `setLineage`, which model it is
///      a new version of (same owner) and which DatasetRegistry versions it was trained and
///      evaluated on; the declaration is then frozen. Versions form linear chains (v1 → v2 → …):
///      a previous version must have declared its own lineage first and may have one successor,
///      so every link points to a model frozen earlier and no cycle can form.
///
///      **Access** (on-chain models): public by default; the owner may restrict a model to an
///      allowlist of callers (`setAccess`, `allowCaller`). The inference precompile enforces it
///      from this contract's storage: the caller is the address whose code CALLs (or STATICCALLs,
///      or CALLCODEs) the precompile, or for a DELEGATECALL into the precompile the contract that
///      delegates. Anyone may still simulate a call with eth_call and any `from`: access rules
///      govern what transactions can do with a model, not who can read its (public) bytes.
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

    /// @notice What the registry knows of one off-chain model.
    struct OffchainModel {
        /// Account that registered the model; never zero for a registered model.
        address owner;
        /// Length of the model's bytes, in bytes (as declared; nodes check the bytes' hash, not this).
        uint64 size;
        /// Length of each of a request's two phases (commit, reveal), in seconds: 5 to 3,600.
        uint32 timeoutSeconds;
        /// Human-readable name, 1 to 64 bytes of UTF-8.
        string name;
        /// How a request's input bytes are read (docs/OFFCHAIN_INFERENCE.md "Formats"), 1 to 64 bytes.
        string inputFormat;
        /// How a result's output bytes are read, 1 to 64 bytes.
        string outputFormat;
        /// Where nodes fetch the model's bytes (http(s):// or file://), 1 to 256 bytes.
        string uri;
    }

    /// @notice A model was registered.
    /// @param modelId keccak256 of the model's ONNX bytes.
    /// @param owner The registering account.
    /// @param name The name given at registration.
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, string name);

    /// @notice An off-chain model was registered.
    /// @param modelId keccak256 of the model's bytes.
    /// @param owner The registering account.
    /// @param name The name given at registration.
    /// @param uri Where nodes fetch the bytes.
    event OffchainModelRegistered(bytes32 indexed modelId, address indexed owner, string name, string uri);

    /// @notice Owner `owner` declared model `modelId`'s lineage, frozen from now on.
    /// @param modelId The model.
    /// @param previous The model it is a new version of, or zero for a first version.
    /// @param version Its version number: 1 for a first version, the previous one's plus 1 otherwise.
    /// @param trainedOn DatasetRegistry ids of the dataset versions it was trained on.
    /// @param evaluatedOn DatasetRegistry ids of the dataset versions it was evaluated on.
    event LineageSet(
        bytes32 indexed modelId, bytes32 indexed previous, uint64 version, uint256[] trainedOn, uint256[] evaluatedOn
    );

    /// @notice On-chain model `modelId` became restricted to its allowlist (`restricted`) or public.
    event AccessChanged(bytes32 indexed modelId, bool restricted);

    /// @notice `caller` was put on (`allowed`) or taken off on-chain model `modelId`'s allowlist.
    event CallerAllowed(bytes32 indexed modelId, address indexed caller, bool allowed);

    /// @notice The same bytes (same modelId) are already registered, as either kind.
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
    /// @notice No model with this id is registered (of the kind asked for).
    error UnknownModel(bytes32 modelId);
    /// @notice An off-chain model's id may not be zero.
    error ZeroModelId();
    /// @notice An off-chain model's size may not be zero.
    error ZeroSize();
    /// @notice An input or output format may not be empty.
    error EmptyFormat();
    /// @notice A format is `length` bytes; at most `max` are allowed.
    error FormatTooLong(uint256 length, uint256 max);
    /// @notice An off-chain model needs a URI.
    error EmptyUri();
    /// @notice The URI is `length` bytes; at most `max` are allowed.
    error UriTooLong(uint256 length, uint256 max);
    /// @notice `timeoutSeconds` is outside [`min`, `max`].
    error TimeoutOutOfRange(uint32 timeoutSeconds, uint32 min, uint32 max);
    /// @notice modelIdAt(`index`) with only `count` models registered.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice Only model `modelId`'s owner may change its lineage or access; `caller` is not it.
    error NotModelOwner(bytes32 modelId, address caller);
    /// @notice Model `modelId`'s lineage was declared already; it is frozen.
    error LineageAlreadySet(bytes32 modelId);
    /// @notice A new version must have the owner of its previous version; `previous` belongs to `previousOwner`.
    error PreviousOwnerMismatch(bytes32 previous, address previousOwner);
    /// @notice `previous` has not declared its own lineage yet: declare it first (an empty one
    ///         will do), so that versions are frozen in order and cannot form a cycle.
    error PreviousLineageNotSet(bytes32 previous);
    /// @notice `previous` already has a newer version, `successor`: versions form a line.
    error PreviousHasSuccessor(bytes32 previous, bytes32 successor);
    /// @notice DatasetRegistry has no dataset version `datasetId`.
    error UnknownDataset(uint256 datasetId);
    /// @notice Dataset `datasetId` appears twice in the same list.
    error DuplicateDataset(uint256 datasetId);
    /// @notice A lineage list has `count` datasets; at most `max` are allowed.
    error TooManyDatasets(uint256 count, uint256 max);
    /// @notice The DatasetRegistry predeploy did not answer `exists` with a bool (e.g. no code
    ///         at its address); `returnData` is what it gave.
    error DatasetRegistryFailed(bytes returnData);
    /// @notice The zero address cannot be allowed as a caller.
    error ZeroCaller();

    /// @notice Registers the ONNX model `onnxModel` under `name`; the caller becomes its owner.
    /// @dev modelId = keccak256(onnxModel). The analyzer precompile validates the bytes and sets
    ///      gasPerCall and the shapes.
    /// @param onnxModel A serialized ONNX ModelProto.
    /// @param name 1 to 64 bytes of UTF-8.
    /// @return modelId keccak256(onnxModel).
    function register(bytes calldata onnxModel, string calldata name) external returns (bytes32 modelId);

    /// @notice Registers the off-chain model whose bytes hash to `modelId`; the caller becomes its owner.
    /// @dev The registry cannot check the bytes (they are not on chain): nodes fetch them from
    ///      `uri` and refuse bytes whose keccak256 is not `modelId`. Reverts with ZeroModelId,
    ///      ModelAlreadyRegistered (either kind), EmptyName, NameTooLong, ZeroSize, EmptyFormat,
    ///      FormatTooLong, EmptyUri, UriTooLong, TimeoutOutOfRange.
    /// @param modelId keccak256 of the model's bytes (the id an on-chain model of those bytes would have).
    /// @param name 1 to 64 bytes of UTF-8.
    /// @param size Length of the model's bytes; nonzero.
    /// @param inputFormat How request inputs are read, 1 to 64 bytes (docs/OFFCHAIN_INFERENCE.md "Formats").
    /// @param outputFormat How outputs are read, 1 to 64 bytes.
    /// @param uri Where nodes fetch the bytes, 1 to 256 bytes.
    /// @param timeoutSeconds Length of each phase of a request, 5 to 3,600 seconds.
    /// @return The model id, `modelId`.
    function registerOffchain(
        bytes32 modelId,
        string calldata name,
        uint64 size,
        string calldata inputFormat,
        string calldata outputFormat,
        string calldata uri,
        uint32 timeoutSeconds
    ) external returns (bytes32);

    /// @notice Whether an **on-chain** model with id `modelId` is registered (false for an
    ///         off-chain one: the precompile cannot run it). `modelKind` covers both kinds.
    function isRegistered(bytes32 modelId) external view returns (bool);

    /// @notice Everything known about on-chain model `modelId`; reverts with UnknownModel if no
    ///         on-chain model has this id.
    function getModel(bytes32 modelId) external view returns (ModelInfo memory);

    /// @notice Everything known about off-chain model `modelId`; reverts with UnknownModel if no
    ///         off-chain model has this id.
    function getOffchainModel(bytes32 modelId) external view returns (OffchainModel memory);

    /// @notice The phase length of off-chain model `modelId` in seconds, or 0 if no off-chain
    ///         model has this id: the one word the InferenceCoordinator reads per request.
    function offchainTimeoutSeconds(bytes32 modelId) external view returns (uint32);

    /// @notice 0 if `modelId` is not registered, 1 for an on-chain model, 2 for an off-chain one.
    function modelKind(bytes32 modelId) external view returns (uint8);

    /// @notice Number of models registered so far, of both kinds.
    function modelCount() external view returns (uint256);

    /// @notice The id of the `index`-th model registered (from 0, both kinds, in registration
    ///         order); reverts with IndexOutOfRange past the end.
    function modelIdAt(uint256 index) external view returns (bytes32);

    /// @notice Up to `limit` model ids from position `offset` on, in registration order (fewer
    ///         at the end, none past it).
    function modelIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory);

    /// @notice Declares model `modelId`'s lineage, once; it is frozen afterwards. Only its owner.
    /// @dev Either kind. Reverts with UnknownModel (modelId or previous not registered),
    ///      NotModelOwner, LineageAlreadySet, PreviousOwnerMismatch, PreviousLineageNotSet,
    ///      PreviousHasSuccessor, TooManyDatasets, UnknownDataset, DuplicateDataset,
    ///      DatasetRegistryFailed. Emits LineageSet.
    /// @param modelId The model.
    /// @param previous The model it is a new version of (same owner, lineage declared, no newer
    ///        version yet), or zero for a first version.
    /// @param trainedOn DatasetRegistry ids it was trained on, at most 32, each once.
    /// @param evaluatedOn DatasetRegistry ids it was evaluated on, at most 32, each once.
    function setLineage(
        bytes32 modelId,
        bytes32 previous,
        uint256[] calldata trainedOn,
        uint256[] calldata evaluatedOn
    ) external;

    /// @notice Model `modelId`'s declared lineage: its previous version (zero for a first
    ///         version or an undeclared lineage) and the dataset ids it was trained and evaluated
    ///         on. Reverts with UnknownModel for an unregistered id (either kind is known).
    function getLineage(bytes32 modelId)
        external
        view
        returns (bytes32 previous, uint256[] memory trainedOn, uint256[] memory evaluatedOn);

    /// @notice Where model `modelId` stands among its versions. Reverts with UnknownModel.
    /// @return version 1 for a first version (and for a model that has not declared a lineage),
    ///         the previous version's plus 1 otherwise.
    /// @return previous The version it replaces, or zero.
    /// @return next The version that replaced it, or zero.
    /// @return latest The newest version of its line (itself when there is none newer).
    /// @return frozen Whether its lineage has been declared (and is therefore final).
    function getVersion(bytes32 modelId)
        external
        view
        returns (uint64 version, bytes32 previous, bytes32 next, bytes32 latest, bool frozen);

    /// @notice The newest version of model `modelId`'s line (itself if none is newer). Reverts with UnknownModel.
    function latestVersion(bytes32 modelId) external view returns (bytes32);

    /// @notice Restricts on-chain model `modelId` to its allowlist (`restricted`) or makes it
    ///         public again (the allowlist is kept). Only its owner. Reverts with UnknownModel
    ///         for an id that is not an on-chain model, NotModelOwner. Emits AccessChanged.
    function setAccess(bytes32 modelId, bool restricted) external;

    /// @notice Puts `caller` on (`allowed`) or takes it off on-chain model `modelId`'s allowlist.
    ///         Only its owner. Reverts with UnknownModel, NotModelOwner, ZeroCaller. Emits CallerAllowed.
    function allowCaller(bytes32 modelId, address caller, bool allowed) external;

    /// @notice Whether on-chain model `modelId` is restricted, and how many callers its allowlist holds.
    ///         Reverts with UnknownModel for an id that is not an on-chain model.
    function getAccess(bytes32 modelId) external view returns (bool restricted, uint32 allowedCallers);

    /// @notice Whether the inference precompile lets `caller` run on-chain model `modelId`:
    ///         true for a public model, else whether `caller` is on the allowlist. False for an
    ///         id that is not an on-chain model.
    function mayCall(bytes32 modelId, address caller) external view returns (bool);
}
