// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDatasetRegistry
/// @notice The DatasetRegistry predeploy at 0x4200000000000000000000000000000000000500: versions of
///         AI datasets, each a Merkle root over the dataset's items (README "Datasets" gives the
///         canonical item encoding). Registering a version also anchors its root through the
///         DataAnchor predeploy, so the root lands in a batch's anchor tree on L1 and an item can
///         be proven against L1 alone. ModelRegistry's lineage refers to these ids.
/// @dev Ids are sequential from 1; every version has its own id, and `previous` links a version
///      to the one it replaces (same owner). Installed in genesis as runtime code: no constructor,
///      no immutables.
interface IDatasetRegistry {
    /// @notice One registered dataset version.
    struct Dataset {
        /// Merkle root over the items (OpenZeppelin StandardMerkleTree over bytes32 leaves).
        bytes32 root;
        /// Number of items under the root.
        uint64 itemCount;
        /// Block timestamp of the registration.
        uint64 registeredAt;
        /// Account that registered the version; never zero for a registered id.
        address owner;
        /// Id of the version this one replaces, or 0 for a first version.
        uint256 previous;
        /// Human-readable name, 1 to 64 bytes of UTF-8.
        string name;
        /// Where the items can be fetched (any scheme), 0 to 256 bytes.
        string uri;
    }

    /// @notice Whether `datasetId` is a registered version.
    function exists(uint256 datasetId) external view returns (bool);

    /// @notice The registered version `datasetId`; reverts for an unknown id.
    function getDataset(uint256 datasetId) external view returns (Dataset memory);
}
