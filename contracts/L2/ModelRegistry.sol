// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AI} from "../ai/AI.sol";
import {IDatasetRegistry} from "../ai/IDatasetRegistry.sol";
import {IModelAnalyzer} from "../ai/IModelAnalyzer.sol";
import {IModelRegistry} from "../ai/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Predeploy at 0x4200000000000000000000000000000000000100 listing the models of this
///         chain. Registering is open to anyone; a model's id is the keccak256 of its bytes, so
///         the same bytes can be registered once, as one kind:
///         - on-chain models (`register`): ONNX bytes in calldata, checked by the analyzer
///           precompile, run by the inference precompile;
///         - off-chain models (`registerOffchain`): only their hash, URI and formats, run by the
///           resource nodes of the InferenceCoordinator (docs/OFFCHAIN_INFERENCE.md).
///         `isRegistered` and `getModel` answer for on-chain models only, exactly as before the
///         off-chain kind existed (the precompile, `ai_getModel` and the SDK rely on that);
///         `modelKind` tells the kinds apart and `modelIds` lists both.
/// @dev Installed in genesis as runtime code: the constructor never runs, so the contract has no
///      immutables and no constructor state, and its storage starts empty.
///
///      Storage layout, read directly by the node (do not reorder, insert or inherit anything
///      with storage before `_access`):
///      - slot 0: `_models`, on-chain models only. Model `modelId`'s ModelInfo starts at slot
///        keccak256(modelId . 0) (abi.encode(modelId, uint256(0))). That first word packs, from
///        the low-order end: owner (bits 0-159), gasPerCall (bits 160-223), size (bits 224-255).
///        An on-chain model is registered iff its owner bits are nonzero (an off-chain model
///        leaves them zero, so the precompile answers "unknown model" for it). The next word
///        packs inputLength (bits 0-31), outputLength (32-63), inputType (64-71), outputType
///        (72-79); the one after holds name.
///      - slot 1: `_modelIds`, the ids of both kinds in registration order: the slot holds their
///        number (modelCount; it held the on-chain count before the off-chain kind, and still
///        does on a chain without off-chain models), the ids start at keccak256(1).
///      - slot 2: `_offchainModels`. Model `modelId`'s OffchainModel starts at keccak256(modelId . 2);
///        its first word packs owner (bits 0-159), size (160-223), timeoutSeconds (224-255).
///      - slot 3: `_access`, read by the inference precompile on every call. Model `modelId`'s
///        Access starts at A = keccak256(modelId . 3); word A packs restricted (bits 0-7, 0 or 1)
///        and allowedCallers (bits 8-39). Caller `c` is allowed iff the word at
///        keccak256(c . (A + 1)) (abi.encode(address c, uint256(A + 1))) is nonzero. A public
///        model (word A zero) costs the precompile one extra read, a restricted one two.
///      - slot 4: `_lineages` (Lineage at keccak256(modelId . 4): previous, next, first, then
///        version, then the two dataset arrays); slot 5: `_latest` (newest version by a line's
///        first version). Only this contract reads these.
///      test/contracts/ModelRegistry.test.ts asserts this layout.
contract ModelRegistry is IModelRegistry {
    /// @notice Longest name accepted, in bytes of UTF-8.
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @notice Longest input or output format of an off-chain model, in bytes.
    uint256 public constant MAX_FORMAT_LENGTH = 64;
    /// @notice Longest URI of an off-chain model, in bytes.
    uint256 public constant MAX_URI_LENGTH = 256;
    /// @notice Shortest phase of an off-chain request, in seconds.
    uint32 public constant MIN_TIMEOUT_SECONDS = 5;
    /// @notice Longest phase of an off-chain request, in seconds (the coordinator's EXIT_DELAY
    ///         is longer than two of them).
    uint32 public constant MAX_TIMEOUT_SECONDS = 3600;

    /// @notice modelKind of an id that is not registered.
    uint8 public constant KIND_NONE = 0;
    /// @notice modelKind of an on-chain model (`register`).
    uint8 public constant KIND_ONCHAIN = 1;
    /// @notice modelKind of an off-chain model (`registerOffchain`).
    uint8 public constant KIND_OFFCHAIN = 2;

    /// @notice Most dataset ids in each of a lineage's two lists.
    uint256 public constant MAX_LINEAGE_DATASETS = 32;

    /// @dev Error(string)'s selector, bytes4(keccak256("Error(string)")).
    bytes4 private constant ERROR_STRING_SELECTOR = 0x08c379a0;

    /// @dev Must stay at slot 0 with `owner` first: see the storage notes above.
    mapping(bytes32 modelId => ModelInfo) private _models;
    /// @dev Slot 1: its length word is the model count (see the storage notes above).
    bytes32[] private _modelIds;
    mapping(bytes32 modelId => OffchainModel) private _offchainModels;
    /// @dev Slot 3, read by the inference precompile: keep the field order (see the storage notes above).
    mapping(bytes32 modelId => Access) private _access;
    /// @dev Slot 4.
    mapping(bytes32 modelId => Lineage) private _lineages;
    /// @dev Slot 5: the newest version of each line, keyed by the line's first version.
    mapping(bytes32 firstVersion => bytes32 latest) private _latest;

    /// @dev Who may call an on-chain model through the inference precompile.
    struct Access {
        /// Whether only the allowlist may call (false: anyone).
        bool restricted;
        /// Number of addresses with `allowed` true.
        uint32 allowedCallers;
        mapping(address caller => bool) allowed;
    }

    /// @dev A model's declared lineage; `version` is zero until it is declared.
    struct Lineage {
        bytes32 previous;
        bytes32 next;
        /// The first version of its line (itself for a first version).
        bytes32 first;
        uint64 version;
        uint256[] trainedOn;
        uint256[] evaluatedOn;
    }

    /// @dev Reverts with UnknownModel unless `modelId` is registered (either kind), and with
    ///      NotModelOwner unless the sender owns it.
    modifier onlyModelOwner(bytes32 modelId) {
        address owner = _ownerOf(modelId);
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        _;
    }

    /// @dev Reverts with UnknownModel unless `modelId` is an on-chain model, and with
    ///      NotModelOwner unless the sender owns it.
    modifier onlyOnchainOwner(bytes32 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        _;
    }

    /// @inheritdoc IModelRegistry
    function register(bytes calldata onnxModel, string calldata name) external returns (bytes32 modelId) {
        if (bytes(name).length == 0) revert EmptyName();
        if (bytes(name).length > MAX_NAME_LENGTH) revert NameTooLong(bytes(name).length, MAX_NAME_LENGTH);
        modelId = keccak256(onnxModel);
        if (_kind(modelId) != KIND_NONE) revert ModelAlreadyRegistered(modelId);

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
        _modelIds.push(modelId);
        emit ModelRegistered(modelId, msg.sender, name);
    }

    /// @inheritdoc IModelRegistry
    function registerOffchain(
        bytes32 modelId,
        string calldata name,
        uint64 size,
        string calldata inputFormat,
        string calldata outputFormat,
        string calldata uri,
        uint32 timeoutSeconds
    ) external returns (bytes32) {
        if (modelId == bytes32(0)) revert ZeroModelId();
        if (_kind(modelId) != KIND_NONE) revert ModelAlreadyRegistered(modelId);
        if (bytes(name).length == 0) revert EmptyName();
        if (bytes(name).length > MAX_NAME_LENGTH) revert NameTooLong(bytes(name).length, MAX_NAME_LENGTH);
        if (size == 0) revert ZeroSize();
        _checkFormat(inputFormat);
        _checkFormat(outputFormat);
        if (bytes(uri).length == 0) revert EmptyUri();
        if (bytes(uri).length > MAX_URI_LENGTH) revert UriTooLong(bytes(uri).length, MAX_URI_LENGTH);
        if (timeoutSeconds < MIN_TIMEOUT_SECONDS || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
            revert TimeoutOutOfRange(timeoutSeconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
        }

        OffchainModel storage m = _offchainModels[modelId];
        m.owner = msg.sender;
        m.size = size;
        m.timeoutSeconds = timeoutSeconds;
        m.name = name;
        m.inputFormat = inputFormat;
        m.outputFormat = outputFormat;
        m.uri = uri;
        _modelIds.push(modelId);
        emit OffchainModelRegistered(modelId, msg.sender, name, uri);
        return modelId;
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
    function getOffchainModel(bytes32 modelId) external view returns (OffchainModel memory) {
        OffchainModel storage m = _offchainModels[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
        return m;
    }

    /// @inheritdoc IModelRegistry
    function offchainTimeoutSeconds(bytes32 modelId) external view returns (uint32) {
        return _offchainModels[modelId].timeoutSeconds;
    }

    /// @inheritdoc IModelRegistry
    function modelKind(bytes32 modelId) external view returns (uint8) {
        return _kind(modelId);
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelIds.length;
    }

    /// @inheritdoc IModelRegistry
    function modelIdAt(uint256 index) external view returns (bytes32) {
        if (index >= _modelIds.length) revert IndexOutOfRange(index, _modelIds.length);
        return _modelIds[index];
    }

    /// @inheritdoc IModelRegistry
    function modelIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids) {
        uint256 count = _modelIds.length;
        uint256 n = offset >= count ? 0 : count - offset;
        if (limit < n) n = limit;
        ids = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            ids[i] = _modelIds[offset + i];
        }
    }

    /// @inheritdoc IModelRegistry
    function setLineage(
        bytes32 modelId,
        bytes32 previous,
        uint256[] calldata trainedOn,
        uint256[] calldata evaluatedOn
    ) external onlyModelOwner(modelId) {
        Lineage storage lineage = _lineages[modelId];
        if (lineage.version != 0) revert LineageAlreadySet(modelId);
        uint64 version = 1;
        bytes32 first = modelId;
        if (previous != bytes32(0)) {
            address previousOwner = _ownerOf(previous);
            if (previousOwner == address(0)) revert UnknownModel(previous);
            if (previousOwner != msg.sender) revert PreviousOwnerMismatch(previous, previousOwner);
            Lineage storage prior = _lineages[previous];
            // `modelId` is not frozen yet and `previous` is (so previous != modelId): every link
            // goes from a model frozen now to one frozen before, which rules out cycles.
            if (prior.version == 0) revert PreviousLineageNotSet(previous);
            if (prior.next != bytes32(0)) revert PreviousHasSuccessor(previous, prior.next);
            prior.next = modelId;
            version = prior.version + 1;
            first = prior.first;
        }
        _checkDatasets(trainedOn);
        _checkDatasets(evaluatedOn);
        lineage.previous = previous;
        lineage.first = first;
        lineage.version = version;
        lineage.trainedOn = trainedOn;
        lineage.evaluatedOn = evaluatedOn;
        _latest[first] = modelId;
        emit LineageSet(modelId, previous, version, trainedOn, evaluatedOn);
    }

    /// @inheritdoc IModelRegistry
    function getLineage(bytes32 modelId)
        external
        view
        returns (bytes32 previous, uint256[] memory trainedOn, uint256[] memory evaluatedOn)
    {
        if (_ownerOf(modelId) == address(0)) revert UnknownModel(modelId);
        Lineage storage lineage = _lineages[modelId];
        return (lineage.previous, lineage.trainedOn, lineage.evaluatedOn);
    }

    /// @inheritdoc IModelRegistry
    function getVersion(bytes32 modelId)
        external
        view
        returns (uint64 version, bytes32 previous, bytes32 next, bytes32 latest, bool frozen)
    {
        if (_ownerOf(modelId) == address(0)) revert UnknownModel(modelId);
        Lineage storage lineage = _lineages[modelId];
        frozen = lineage.version != 0;
        version = frozen ? lineage.version : 1;
        return (version, lineage.previous, lineage.next, _latestOf(modelId), frozen);
    }

    /// @inheritdoc IModelRegistry
    function latestVersion(bytes32 modelId) external view returns (bytes32) {
        if (_ownerOf(modelId) == address(0)) revert UnknownModel(modelId);
        return _latestOf(modelId);
    }

    /// @inheritdoc IModelRegistry
    function setAccess(bytes32 modelId, bool restricted) external onlyOnchainOwner(modelId) {
        _access[modelId].restricted = restricted;
        emit AccessChanged(modelId, restricted);
    }

    /// @inheritdoc IModelRegistry
    function allowCaller(bytes32 modelId, address caller, bool allowed) external onlyOnchainOwner(modelId) {
        if (caller == address(0)) revert ZeroCaller();
        Access storage access = _access[modelId];
        if (access.allowed[caller] != allowed) {
            access.allowed[caller] = allowed;
            if (allowed) ++access.allowedCallers;
            else --access.allowedCallers;
        }
        emit CallerAllowed(modelId, caller, allowed);
    }

    /// @inheritdoc IModelRegistry
    function getAccess(bytes32 modelId) external view returns (bool restricted, uint32 allowedCallers) {
        if (_models[modelId].owner == address(0)) revert UnknownModel(modelId);
        Access storage access = _access[modelId];
        return (access.restricted, access.allowedCallers);
    }

    /// @inheritdoc IModelRegistry
    function mayCall(bytes32 modelId, address caller) external view returns (bool) {
        if (_models[modelId].owner == address(0)) return false;
        Access storage access = _access[modelId];
        return !access.restricted || access.allowed[caller];
    }

    /// @dev The owner of `modelId` as either kind, or zero if it is not registered.
    function _ownerOf(bytes32 modelId) private view returns (address) {
        address owner = _models[modelId].owner;
        return owner != address(0) ? owner : _offchainModels[modelId].owner;
    }

    /// @dev The newest version of `modelId`'s line; a model that has not declared its lineage
    ///      has no successor (a successor needs a declared previous version), so it is its own.
    function _latestOf(bytes32 modelId) private view returns (bytes32) {
        Lineage storage lineage = _lineages[modelId];
        return lineage.version == 0 ? modelId : _latest[lineage.first];
    }

    /// @dev Reverts unless `ids` holds at most MAX_LINEAGE_DATASETS distinct ids that the
    ///      DatasetRegistry predeploy knows.
    function _checkDatasets(uint256[] calldata ids) private view {
        if (ids.length > MAX_LINEAGE_DATASETS) revert TooManyDatasets(ids.length, MAX_LINEAGE_DATASETS);
        for (uint256 i = 0; i < ids.length; ++i) {
            for (uint256 j = 0; j < i; ++j) {
                if (ids[j] == ids[i]) revert DuplicateDataset(ids[i]);
            }
            if (!_datasetExists(ids[i])) revert UnknownDataset(ids[i]);
        }
    }

    /// @dev Asks the DatasetRegistry predeploy whether `datasetId` exists. A low-level call so
    ///      that a missing registry (a call to an address without code succeeds with no data)
    ///      is a named error rather than a revert without data.
    function _datasetExists(uint256 datasetId) private view returns (bool) {
        (bool ok, bytes memory returnData) =
            AI.DATASET_REGISTRY.staticcall(abi.encodeCall(IDatasetRegistry.exists, (datasetId)));
        if (!ok || returnData.length != 32) revert DatasetRegistryFailed(returnData);
        uint256 answer = abi.decode(returnData, (uint256));
        if (answer > 1) revert DatasetRegistryFailed(returnData);
        return answer == 1;
    }

    /// @dev Which kind `modelId` is registered as, if any.
    function _kind(bytes32 modelId) private view returns (uint8) {
        if (_models[modelId].owner != address(0)) return KIND_ONCHAIN;
        if (_offchainModels[modelId].owner != address(0)) return KIND_OFFCHAIN;
        return KIND_NONE;
    }

    /// @dev Reverts unless `format` is 1 to MAX_FORMAT_LENGTH bytes.
    function _checkFormat(string calldata format) private pure {
        if (bytes(format).length == 0) revert EmptyFormat();
        if (bytes(format).length > MAX_FORMAT_LENGTH) revert FormatTooLong(bytes(format).length, MAX_FORMAT_LENGTH);
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
