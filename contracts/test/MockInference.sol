// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {AI} from "../ai/AI.sol";
import {IOnnxInference} from "../ai/IOnnxInference.sol";

/// @title MockInference
/// @notice Test stand-in for the inference precompile (0xA1), installed with hardhat_setCode
///         because the in-process Hardhat network cannot run our node's precompiles. The real
///         precompile is tested against the node in the vitest suites.
/// @dev Each model is configured with the input length it takes and the fixed output it gives.
///      Reverts with the real precompile's reason strings and emits its Inference log. Charges
///      no gasPerCall.
contract MockInference is IOnnxInference {
    struct MockModel {
        bool known;
        uint256 inputLength;
        int256[] output;
    }

    mapping(bytes32 modelId => MockModel) private _models;

    /// @notice Makes `modelId` known: it will take `inputLength` values and return `output`.
    function setModel(bytes32 modelId, uint256 inputLength, int256[] calldata output) external {
        _models[modelId] = MockModel({known: true, inputLength: inputLength, output: output});
    }

    /// @notice Returns the output configured for `modelId` and logs the inference.
    function infer(bytes32 modelId, int256[] calldata input) external returns (int256[] memory output) {
        MockModel storage model = _models[modelId];
        if (!model.known) revert("unknown model");
        if (input.length != model.inputLength) {
            revert(
                string.concat(
                    "input has ",
                    Strings.toString(input.length),
                    " values, the model takes ",
                    Strings.toString(model.inputLength)
                )
            );
        }
        output = model.output;
        emit Inference(modelId, AI.hashValues(input), AI.hashValues(output));
    }
}
