// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatasetRegistry} from "../ai/IDatasetRegistry.sol";
import {DataAnchor} from "./DataAnchor.sol";

/// @title DatasetRegistry
/// @notice Predeploy at 0x4200000000000000000000000000000000000500: versions of AI datasets, each
///         a Merkle root over the dataset's items (README "Datasets": the canonical item
///         encoding, and `npm run dataset` which computes the root and writes one proof per item).
///         Registering a version anchors its root through the DataAnchor predeploy in the same
///         transaction, so the node puts the root in the batch's anchor tree and an item can be
///         proven against L1 alone: item → dataset root (the receipt's path) → batch anchor root
///         (`GET /v1/anchors/{root}`) → RollupAnchor on L1.
/// @dev A root is registered once, whoever asks (one root, one version: a receipt names one id).
///      Versions of a dataset form a line: a version names the one it replaces (`previous`, same
///      owner), and a version can be replaced once. `latestVersion` answers in O(1) from the
///      line's first version. Installed in genesis as runtime code: no constructor, no immutables.
contract DatasetRegistry is IDatasetRegistry {
    /// @notice Longest name accepted, in bytes of UTF-8.
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @notice Longest URI accepted, in bytes.
    uint256 public constant MAX_URI_LENGTH = 256;
    /// @notice The DataAnchor predeploy the roots are anchored through.
    address public constant DATA_ANCHOR = 0x4200000000000000000000000000000000000200;

    mapping(uint256 datasetId => Dataset) private _datasets;
    mapping(bytes32 root => uint256 datasetId) private _idOfRoot;
    /// @dev The version that replaced a version (0: none yet).
    mapping(uint256 datasetId => uint256 next) private _next;
    /// @dev The first version of a version's line (itself for a first version).
    mapping(uint256 datasetId => uint256 first) private _first;
    /// @dev The newest version of a line, keyed by the line's first version.
    mapping(uint256 first => uint256 latest) private _latest;
    uint256 private _count;

    /// @inheritdoc IDatasetRegistry
    function register(bytes32 root, uint64 itemCount, string calldata name, string calldata uri, uint256 previous)
        external
        returns (uint256 datasetId)
    {
        if (root == bytes32(0)) revert ZeroRoot();
        if (itemCount == 0) revert ZeroItemCount();
        if (bytes(name).length == 0) revert EmptyName();
        if (bytes(name).length > MAX_NAME_LENGTH) revert NameTooLong(bytes(name).length, MAX_NAME_LENGTH);
        if (bytes(uri).length > MAX_URI_LENGTH) revert UriTooLong(bytes(uri).length, MAX_URI_LENGTH);
        uint256 existing = _idOfRoot[root];
        if (existing != 0) revert RootAlreadyRegistered(root, existing);

        datasetId = ++_count;
        uint256 first = datasetId;
        if (previous != 0) {
            address previousOwner = _datasets[previous].owner;
            if (previousOwner == address(0)) revert UnknownDataset(previous);
            if (previousOwner != msg.sender) revert NotDatasetOwner(previous, previousOwner);
            if (_next[previous] != 0) revert AlreadySuperseded(previous, _next[previous]);
            _next[previous] = datasetId;
            first = _first[previous];
        }
        _first[datasetId] = first;
        _latest[first] = datasetId;
        _idOfRoot[root] = datasetId;
        _datasets[datasetId] = Dataset({
            root: root,
            itemCount: itemCount,
            registeredAt: uint64(block.timestamp),
            owner: msg.sender,
            previous: previous,
            name: name,
            uri: uri
        });
        emit DatasetRegistered(datasetId, msg.sender, root, previous, itemCount, name, uri);

        bytes32[] memory roots = new bytes32[](1);
        roots[0] = root;
        DataAnchor(DATA_ANCHOR).anchor(roots);
    }

    /// @inheritdoc IDatasetRegistry
    function exists(uint256 datasetId) external view returns (bool) {
        return _datasets[datasetId].owner != address(0);
    }

    /// @inheritdoc IDatasetRegistry
    function getDataset(uint256 datasetId) external view returns (Dataset memory) {
        _requireExists(datasetId);
        return _datasets[datasetId];
    }

    /// @inheritdoc IDatasetRegistry
    function datasetCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IDatasetRegistry
    function datasetIdOfRoot(bytes32 root) external view returns (uint256) {
        return _idOfRoot[root];
    }

    /// @inheritdoc IDatasetRegistry
    function nextVersion(uint256 datasetId) external view returns (uint256) {
        _requireExists(datasetId);
        return _next[datasetId];
    }

    /// @inheritdoc IDatasetRegistry
    function latestVersion(uint256 datasetId) external view returns (uint256) {
        _requireExists(datasetId);
        return _latest[_first[datasetId]];
    }

    function _requireExists(uint256 datasetId) private view {
        if (_datasets[datasetId].owner == address(0)) revert UnknownDataset(datasetId);
    }
}
