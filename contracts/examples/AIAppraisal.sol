// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AI} from "../ai/AI.sol";
import {IDatasetRegistry} from "../ai/IDatasetRegistry.sol";
import {IModelRegistry} from "../ai/IModelRegistry.sol";

/// @title AIAppraisal
/// @notice ERC-721 tokens for real-world assets, each appraised on chain by a valuation model.
///         The stored appraisal carries the inference record (model, input and output hashes),
///         so anyone can match it to the inference precompile's log and re-run the model.
/// @dev Flow: the owner (the issuer) mints a token with the asset's features (fixed point
///      1e18); anyone may then call `appraise`, which runs the current valuation model on those
///      stored features. Neither the features nor the model are the caller's to choose, so
///      opening `appraise` to everyone lets nobody steer the value.
///      Provenance: `modelLineage` and `provenanceOf` read the valuation model's lineage from the
///      ModelRegistry (the dataset versions it was trained on, with their anchored Merkle roots
///      from the DatasetRegistry), so a holder can prove which data the value came from.
///      If the model's owner restricts it (IModelRegistry.setAccess), this contract must be on
///      its allowlist or `appraise` reverts with the precompile's "caller … is not allowed" reason.
contract AIAppraisal is ERC721, Ownable {
    /// @notice A token's latest appraisal.
    struct Appraisal {
        /// The model's output, fixed point 1e18 for a float model.
        int256 value;
        /// The valuation model used (keccak256 of its ONNX bytes).
        bytes32 modelId;
        /// keccak256 of the input (AI.hashValues), equal to the token's featuresHash.
        bytes32 inputHash;
        /// keccak256 of the output (AI.hashValues).
        bytes32 outputHash;
        /// Block in which the appraisal ran.
        uint64 blockNumber;
    }

    /// @notice Model used by `appraise` (keccak256 of its ONNX bytes).
    bytes32 public modelId;

    uint256 private _nextTokenId = 1;
    mapping(uint256 tokenId => int256[]) private _features;
    mapping(uint256 tokenId => Appraisal) private _appraisals;

    /// @notice The owner switched the valuation model.
    event ModelChanged(bytes32 indexed previousModelId, bytes32 indexed newModelId);
    /// @notice Token `tokenId` was minted to `to` for an asset with features hashing to `featuresHash`.
    event AssetMinted(uint256 indexed tokenId, address indexed to, bytes32 featuresHash);
    /// @notice Token `tokenId` was appraised at `value` by `modelId`; the hashes match the
    ///         inference precompile's Inference log for this call.
    event Appraised(
        uint256 indexed tokenId, bytes32 indexed modelId, int256 value, bytes32 inputHash, bytes32 outputHash
    );

    /// @notice The valuation model must give exactly one value.
    error ModelShapeMismatch(uint32 inputLength, uint32 outputLength);
    /// @notice The model gave `length` values instead of one.
    error UnexpectedOutputLength(uint256 length);
    /// @notice An asset needs at least one feature.
    error EmptyFeatures();
    /// @notice Token `tokenId` exists but has not been appraised yet.
    error NotAppraised(uint256 tokenId);

    /// @param modelId_ The valuation model; must be registered and give one value.
    constructor(bytes32 modelId_) ERC721("AI Appraisal", "AIAPR") Ownable(msg.sender) {
        _setModel(modelId_);
    }

    /// @notice Switches the valuation model. Only the owner. Existing appraisals stay as they are.
    /// @dev Reverts with the registry's UnknownModel for an unregistered id and
    ///      ModelShapeMismatch unless the model gives one value.
    function setModel(bytes32 newModelId) external onlyOwner {
        _setModel(newModelId);
    }

    /// @notice Mints a token to `to` for an asset described by `features`. Only the owner.
    /// @param features The valuation model's inputs, fixed point 1e18.
    /// @return tokenId The new token, numbered from 1.
    function mint(address to, int256[] calldata features) external onlyOwner returns (uint256 tokenId) {
        if (features.length == 0) revert EmptyFeatures();
        tokenId = _nextTokenId++;
        _features[tokenId] = features;
        emit AssetMinted(tokenId, to, AI.hashValues(features));
        _safeMint(to, tokenId);
    }

    /// @notice Runs the valuation model on token `tokenId`'s features and stores the result.
    /// @dev Reverts with ERC721NonexistentToken for an unknown token; model errors (e.g.
    ///      "input has 3 values, the model takes 4") revert unchanged from the precompile.
    /// @return value The appraised value.
    function appraise(uint256 tokenId) external returns (int256 value) {
        _requireOwned(tokenId);
        int256[] memory input = _features[tokenId];
        bytes32 model = modelId;
        int256[] memory output = AI.infer(model, input);
        if (output.length != 1) revert UnexpectedOutputLength(output.length);

        value = output[0];
        Appraisal memory appraisal = Appraisal({
            value: value,
            modelId: model,
            inputHash: AI.hashValues(input),
            outputHash: AI.hashValues(output),
            blockNumber: uint64(block.number)
        });
        _appraisals[tokenId] = appraisal;
        emit Appraised(tokenId, model, value, appraisal.inputHash, appraisal.outputHash);
    }

    /// @notice Token `tokenId`'s latest appraisal; reverts with NotAppraised if it has none.
    function appraisalOf(uint256 tokenId) external view returns (Appraisal memory) {
        _requireOwned(tokenId);
        Appraisal memory appraisal = _appraisals[tokenId];
        if (appraisal.blockNumber == 0) revert NotAppraised(tokenId);
        return appraisal;
    }

    /// @notice The features token `tokenId` was minted with.
    function featuresOf(uint256 tokenId) external view returns (int256[] memory) {
        _requireOwned(tokenId);
        return _features[tokenId];
    }

    /// @notice keccak256 of token `tokenId`'s features (AI.hashValues): the inputHash of its appraisals.
    function featuresHashOf(uint256 tokenId) external view returns (bytes32) {
        _requireOwned(tokenId);
        return AI.hashValues(_features[tokenId]);
    }

    /// @notice The current valuation model's lineage (IModelRegistry.getLineage, getVersion).
    /// @return version Its version number (1 for a first version).
    /// @return previous The version it replaced, or zero.
    /// @return trainedOn DatasetRegistry ids of the dataset versions it was trained on.
    /// @return evaluatedOn DatasetRegistry ids of the dataset versions it was evaluated on.
    function modelLineage()
        external
        view
        returns (uint64 version, bytes32 previous, uint256[] memory trainedOn, uint256[] memory evaluatedOn)
    {
        (version,,,,) = AI.registry().getVersion(modelId);
        (previous, trainedOn, evaluatedOn) = AI.registry().getLineage(modelId);
    }

    /// @notice Where token `tokenId`'s latest appraisal comes from: the model that computed it and
    ///         the dataset versions that model was trained on, with each one's Merkle root as
    ///         anchored in the DatasetRegistry (an item proof against that root shows a record
    ///         was in the training data). A lineage is frozen once declared, so the answer stays
    ///         the same unless the model had declared none yet when it was asked.
    /// @dev Reverts with NotAppraised for a token without an appraisal.
    function provenanceOf(uint256 tokenId)
        external
        view
        returns (bytes32 model, uint256[] memory trainedOn, bytes32[] memory roots)
    {
        _requireOwned(tokenId);
        model = _appraisals[tokenId].modelId;
        if (model == bytes32(0)) revert NotAppraised(tokenId);
        (, trainedOn,) = AI.registry().getLineage(model);
        roots = new bytes32[](trainedOn.length);
        for (uint256 i = 0; i < trainedOn.length; ++i) {
            roots[i] = IDatasetRegistry(AI.DATASET_REGISTRY).getDataset(trainedOn[i]).root;
        }
    }

    function _setModel(bytes32 newModelId) private {
        IModelRegistry.ModelInfo memory info = AI.registry().getModel(newModelId);
        if (info.outputLength != 1) revert ModelShapeMismatch(info.inputLength, info.outputLength);
        emit ModelChanged(modelId, newModelId);
        modelId = newModelId;
    }
}
