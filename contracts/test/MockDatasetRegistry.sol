// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatasetRegistry} from "../ai/IDatasetRegistry.sol";

/// @title MockDatasetRegistry
/// @notice Test stand-in for the DatasetRegistry predeploy (0x4200…0500), installed with
///         hardhat_setCode (or in a test genesis) at its address, for the tests of
///         ModelRegistry's lineage. Only `exists` and `getDataset` are what the real registry
///         answers (same selectors and struct, so ModelRegistry's calls reach it unchanged);
///         `add` is the test's way in. It does not inherit IDatasetRegistry, whose registration
///         functions it does not implement.
/// @dev Ids are sequential from 1, as in the real registry; a dataset is owned by whoever adds it.
contract MockDatasetRegistry {
    uint256 private _count;
    mapping(uint256 datasetId => IDatasetRegistry.Dataset) private _datasets;

    /// @notice The id does not exist.
    error UnknownDataset(uint256 datasetId);

    /// @notice Adds a dataset version with root `root` named `name`; returns its id.
    function add(bytes32 root, uint64 itemCount, string calldata name) external returns (uint256 datasetId) {
        datasetId = ++_count;
        _datasets[datasetId] = IDatasetRegistry.Dataset({
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

    /// @notice Whether `datasetId` was added (IDatasetRegistry.exists).
    function exists(uint256 datasetId) external view returns (bool) {
        return _datasets[datasetId].owner != address(0);
    }

    /// @notice The dataset added as `datasetId` (IDatasetRegistry.getDataset); reverts for an unknown id.
    function getDataset(uint256 datasetId) external view returns (IDatasetRegistry.Dataset memory) {
        if (_datasets[datasetId].owner == address(0)) revert UnknownDataset(datasetId);
        return _datasets[datasetId];
    }
}
