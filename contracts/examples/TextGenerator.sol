// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InferenceConsumer} from "../ai/InferenceConsumer.sol";

/// @title TextGenerator
/// @notice Text generation by an off-chain language model: anyone pays for a prompt, three
///         staked nodes run the model, and the text they agree on is stored on chain by request,
///         with its requester and the prompt's hash.
/// @dev Flow: `generate(prompt)` with at least `generationFee()` asks the InferenceCoordinator to
///      run the model on the prompt's UTF-8 bytes (the surplus goes straight back); the agreed
///      output (the generated text's UTF-8 bytes, stored as the nodes agreed on them, not
///      checked to be valid UTF-8) arrives in `_onInferenceResult`. Storing text costs about
///      22,000 gas per 32 bytes, so CALLBACK_GAS stores about 2 KB; a longer text leaves the
///      callback out of gas, and anyone may then call `resolve(requestId)` to store it from the
///      coordinator's record at their own gas cost. `resolve` also refunds the requester of a
///      failed request (the coordinator credits the fee to this contract and calls nothing).
contract TextGenerator is InferenceConsumer {
    /// @notice Where a generation stands.
    enum Status {
        None,
        /// Waiting for the nodes.
        Pending,
        /// The text is stored.
        Done,
        /// The request failed; the fee went back to the requester.
        Refunded
    }

    /// @notice One generation.
    struct Generation {
        address requester;
        Status status;
        /// What the requester paid, in wei.
        uint256 fee;
        /// keccak256 of the prompt's UTF-8 bytes (the prompt itself is in GenerationRequested).
        bytes32 promptHash;
        /// The generated text.
        string text;
    }

    /// @notice Nodes that answer each prompt.
    uint8 public constant REDUNDANCY = 3;
    /// @notice Gas the callback gets: enough to store about 2 KB of text.
    uint32 public constant CALLBACK_GAS = 1_500_000;
    /// @notice Longest prompt, in bytes of UTF-8.
    uint256 public constant MAX_PROMPT_BYTES = 1024;
    uint8 private constant REQUEST_FULFILLED = 2;
    uint8 private constant REQUEST_FAILED = 3;

    /// @notice The language model (an off-chain model: keccak256 of its bytes).
    bytes32 public immutable model;
    mapping(uint256 requestId => Generation) private _generations;
    mapping(address requester => uint256[]) private _requestsOf;

    /// @notice `requester` asked for a completion of `prompt` (request `requestId`).
    event GenerationRequested(uint256 indexed requestId, address indexed requester, bytes32 indexed promptHash, string prompt);
    /// @notice The model's `text` for request `requestId` is stored.
    event TextGenerated(uint256 indexed requestId, address indexed requester, string text);
    /// @notice Request `requestId` failed; `refund` wei went back to `requester`.
    event GenerationRefunded(uint256 indexed requestId, address indexed requester, uint256 refund);

    /// @notice A prompt needs text.
    error EmptyPrompt();
    /// @notice The prompt is `length` bytes; at most `max`.
    error PromptTooLong(uint256 length, uint256 max);
    /// @notice No pending generation has id `requestId`.
    error NotPending(uint256 requestId);
    /// @notice Request `requestId` is still pending at the coordinator.
    error NotSettled(uint256 requestId);
    /// @notice Sending `amount` wei to `to` failed.
    error PaymentFailed(address to, uint256 amount);

    /// @param coordinator_ The InferenceCoordinator (AI.INFERENCE_COORDINATOR).
    /// @param model_ The language model: an off-chain model whose input and output are UTF-8 text.
    constructor(address coordinator_, bytes32 model_) InferenceConsumer(coordinator_) {
        model = model_;
    }

    /// @notice What a generation costs now (send a little more; the surplus is returned).
    function generationFee() external view returns (uint256) {
        return coordinator.quote(model, REDUNDANCY, CALLBACK_GAS);
    }

    /// @notice Asks the model to continue `prompt`, paying its fee; the surplus is returned.
    ///         Reverts with EmptyPrompt, PromptTooLong, FeeTooLow, or the coordinator's errors.
    /// @return requestId The coordinator's request id, which names the generation here too.
    function generate(string calldata prompt) external payable returns (uint256 requestId) {
        if (bytes(prompt).length == 0) revert EmptyPrompt();
        if (bytes(prompt).length > MAX_PROMPT_BYTES) revert PromptTooLong(bytes(prompt).length, MAX_PROMPT_BYTES);
        uint256 fee;
        (requestId, fee) = _requestInference(model, bytes(prompt), REDUNDANCY, CALLBACK_GAS, msg.value);
        bytes32 promptHash = keccak256(bytes(prompt));
        _generations[requestId] = Generation({requester: msg.sender, status: Status.Pending, fee: fee, promptHash: promptHash, text: ""});
        _requestsOf[msg.sender].push(requestId);
        emit GenerationRequested(requestId, msg.sender, promptHash, prompt);
        _pay(msg.sender, msg.value - fee);
    }

    /// @notice Finishes a pending generation from the coordinator's record: stores the text if
    ///         the request was fulfilled (its callback did not finish), refunds the requester if
    ///         it failed. Anyone. Reverts with NotPending, NotSettled, PaymentFailed.
    function resolve(uint256 requestId) external {
        Generation storage g = _generations[requestId];
        if (g.status != Status.Pending) revert NotPending(requestId);
        (uint8 status, bytes memory output) = coordinator.getRequest(requestId);
        if (status == REQUEST_FULFILLED) {
            _store(requestId, g, output);
        } else if (status == REQUEST_FAILED) {
            g.status = Status.Refunded;
            emit GenerationRefunded(requestId, g.requester, g.fee);
            if (address(this).balance < g.fee) _withdrawFromCoordinator();
            _pay(g.requester, g.fee);
        } else {
            revert NotSettled(requestId);
        }
    }

    /// @notice Generation `requestId`.
    function getGeneration(uint256 requestId) external view returns (Generation memory) {
        return _generations[requestId];
    }

    /// @notice The generations `requester` asked for, oldest first.
    function requestsOf(address requester) external view returns (uint256[] memory) {
        return _requestsOf[requester];
    }

    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        Generation storage g = _generations[requestId];
        if (g.status == Status.Pending) _store(requestId, g, output);
    }

    function _store(uint256 requestId, Generation storage g, bytes memory output) private {
        g.status = Status.Done;
        g.text = string(output);
        emit TextGenerated(requestId, g.requester, string(output));
    }

    /// @dev Sends `amount` wei to `to` (nothing for 0); reverts with PaymentFailed.
    function _pay(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert PaymentFailed(to, amount);
    }
}
