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

    /// @notice Version `datasetId` was registered (and its root anchored through DataAnchor).
    /// @param datasetId The new version's id.
    /// @param owner The registering account, owner of the version.
    /// @param root The Merkle root over the items.
    /// @param previous The version it replaces, or 0 for a first version.
    /// @param itemCount Number of items under the root.
    /// @param name The name given at registration.
    /// @param uri Where the items can be fetched.
    event DatasetRegistered(
        uint256 indexed datasetId,
        address indexed owner,
        bytes32 indexed root,
        uint256 previous,
        uint64 itemCount,
        string name,
        string uri
    );

    /// @notice The root is zero, which stands for "nothing" in the anchor tree.
    error ZeroRoot();
    /// @notice A version needs at least one item.
    error ZeroItemCount();
    /// @notice A version needs a name.
    error EmptyName();
    /// @notice The name is `length` bytes of UTF-8; at most `max` are allowed.
    error NameTooLong(uint256 length, uint256 max);
    /// @notice The URI is `length` bytes; at most `max` are allowed.
    error UriTooLong(uint256 length, uint256 max);
    /// @notice `root` is already registered, as version `datasetId`.
    error RootAlreadyRegistered(bytes32 root, uint256 datasetId);
    /// @notice No version with this id is registered.
    error UnknownDataset(uint256 datasetId);
    /// @notice Only `owner`, owner of version `datasetId`, may register a version replacing it.
    error NotDatasetOwner(uint256 datasetId, address owner);
    /// @notice Version `datasetId` was already replaced by version `next`: versions form a line, not a tree.
    error AlreadySuperseded(uint256 datasetId, uint256 next);

    /// @notice Registers a dataset version owned by the caller and anchors `root` through the
    ///         DataAnchor predeploy (one Anchored log, submitter this registry).
    /// @param root Merkle root over the items (nonzero, never registered before).
    /// @param itemCount Number of items under the root (nonzero).
    /// @param name 1 to 64 bytes of UTF-8.
    /// @param uri 0 to 256 bytes.
    /// @param previous The caller's version this one replaces (one not replaced yet), or 0.
    /// @return datasetId The new version's id (sequential from 1).
    function register(bytes32 root, uint64 itemCount, string calldata name, string calldata uri, uint256 previous)
        external
        returns (uint256 datasetId);

    /// @notice Whether `datasetId` is a registered version.
    function exists(uint256 datasetId) external view returns (bool);

    /// @notice The registered version `datasetId`; reverts for an unknown id.
    function getDataset(uint256 datasetId) external view returns (Dataset memory);

    /// @notice Number of registered versions: ids run from 1 to this.
    function datasetCount() external view returns (uint256);

    /// @notice The version registered with `root`, or 0 if none.
    function datasetIdOfRoot(bytes32 root) external view returns (uint256);

    /// @notice The version that replaced `datasetId`, or 0 if none did (yet); reverts for an unknown id.
    function nextVersion(uint256 datasetId) external view returns (uint256);

    /// @notice The newest version of `datasetId`'s line of versions (`datasetId` itself when
    ///         nothing replaced it); reverts for an unknown id.
    function latestVersion(uint256 datasetId) external view returns (uint256);
}
