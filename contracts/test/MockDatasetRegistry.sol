// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatasetRegistry} from "../ai/IDatasetRegistry.sol";

/// @title MockDatasetRegistry
/// @notice Test stand-in for the DatasetRegistry predeploy (0x4200…0500), installed with
///         hardhat_setCode (or in a test genesis) at its address, for the tests of
///         ModelRegistry's lineage. Only `exists` and `getDataset` are what the real registry
///         answers; `add` is the test's way in.
/// @dev Ids are sequential from 1, as in the real registry; a dataset is owned by whoever adds it.
contract MockDatasetRegistry is IDatasetRegistry {
    uint256 private _count;
    mapping(uint256 datasetId => Dataset) private _datasets;

    /// @notice The id does not exist.
    error UnknownDataset(uint256 datasetId);

    /// @notice Adds a dataset version with root `root` named `name`; returns its id.
    function add(bytes32 root, uint64 itemCount, string calldata name) external returns (uint256 datasetId) {
        datasetId = ++_count;
        _datasets[datasetId] = Dataset({
            root: root,
            itemCount: itemCount,
            // the block number, not the timestamp: a test that replays the chain on a fresh node
            // at another time must reach the same state roots
            registeredAt: uint64(block.number),
            owner: msg.sender,
            previous: 0,
            name: name,
            uri: ""
        });
    }

    /// @inheritdoc IDatasetRegistry
    function exists(uint256 datasetId) external view returns (bool) {
        return _datasets[datasetId].owner != address(0);
    }

    /// @inheritdoc IDatasetRegistry
    function getDataset(uint256 datasetId) external view returns (Dataset memory) {
        if (_datasets[datasetId].owner == address(0)) revert UnknownDataset(datasetId);
        return _datasets[datasetId];
    }
}
