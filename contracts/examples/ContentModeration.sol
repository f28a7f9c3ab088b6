// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {InferenceConsumer} from "../ai/InferenceConsumer.sol";

/// @title ContentModeration
/// @notice A message board whose posts an off-chain spam classifier screens: a post is
///         published only when three staked nodes agree its spam probability is under 50 %.
/// @dev Flow: `submitPost(text)` with at least `postFee()` asks the InferenceCoordinator to run
///      the classifier on the text's UTF-8 bytes (the surplus goes straight back to the author);
///      the agreed output, an ABI-encoded int256[] of two 1e18 fixed-point probabilities
///      [ham, spam], arrives in `_onInferenceResult`, which accepts or rejects the post.
///      If the request fails (no agreement, timed out), the coordinator credits its fee to this
///      contract's coordinator balance and calls nothing: anyone may then call `resolve(postId)`,
///      which refunds the author. `resolve` also finishes a post whose callback did not run
///      to the end, from the output the coordinator stores. The fee of a post that was answered
///      (accepted or rejected) paid the nodes and is not refunded.
contract ContentModeration is InferenceConsumer {
    /// @notice Where a post stands.
    enum Status {
        None,
        /// Waiting for the classifier.
        Pending,
        /// Spam probability under SPAM_THRESHOLD: published.
        Accepted,
        /// Spam probability at or over SPAM_THRESHOLD, or an answer that is not two probabilities.
        Rejected,
        /// The classifier request failed; the fee went back to the author.
        Refunded
    }

    /// @notice One post.
    struct Post {
        address author;
        Status status;
        /// The coordinator's request.
        uint256 requestId;
        /// What the author paid for the classification, in wei.
        uint256 fee;
        /// The classifier's spam probability (1e18 = 100 %); -1 for an unreadable answer.
        int256 spamProbability;
        string text;
    }

    /// @notice Posts with a spam probability under this (1e18 fixed point) are accepted.
    int256 public constant SPAM_THRESHOLD = 0.5e18;
    /// @notice Nodes that answer each post.
    uint8 public constant REDUNDANCY = 3;
    /// @notice Gas the classification callback gets: enough to record the verdict.
    uint32 public constant CALLBACK_GAS = 100_000;
    /// @notice Longest post, in bytes of UTF-8.
    uint256 public constant MAX_POST_BYTES = 280;
    /// @notice The coordinator's status of a failed request (IInferenceCoordinator.getRequest).
    uint8 private constant REQUEST_FULFILLED = 2;
    uint8 private constant REQUEST_FAILED = 3;

    /// @notice The classifier (an off-chain model: keccak256 of its bytes).
    bytes32 public immutable classifier;
    /// @notice Number of posts submitted; post ids run from 1.
    uint256 public postCount;
    /// @notice The post each coordinator request screens.
    mapping(uint256 requestId => uint256 postId) public postOfRequest;
    mapping(uint256 postId => Post) private _posts;

    /// @notice `author` submitted post `postId`; request `requestId` classifies it.
    event PostSubmitted(uint256 indexed postId, address indexed author, uint256 indexed requestId, string text);
    /// @notice Post `postId` was published.
    event PostAccepted(uint256 indexed postId, address indexed author, int256 spamProbability);
    /// @notice Post `postId` was refused as spam (-1: the answer was not two probabilities).
    event PostRejected(uint256 indexed postId, address indexed author, int256 spamProbability);
    /// @notice Post `postId`'s classification failed; `refund` wei went back to `author`.
    event PostRefunded(uint256 indexed postId, address indexed author, uint256 refund);

    /// @notice A post needs text.
    error EmptyPost();
    /// @notice The post is `length` bytes; at most `max`.
    error PostTooLong(uint256 length, uint256 max);
    /// @notice Post `postId` is not waiting for the classifier.
    error NotPending(uint256 postId);
    /// @notice Post `postId`'s request is still pending at the coordinator.
    error NotSettled(uint256 postId);
    /// @notice Sending `amount` wei to `to` failed.
    error PaymentFailed(address to, uint256 amount);

    /// @param coordinator_ The InferenceCoordinator (AI.INFERENCE_COORDINATOR).
    /// @param classifier_ The spam classifier: an off-chain model whose output is [ham, spam].
    constructor(address coordinator_, bytes32 classifier_) InferenceConsumer(coordinator_) {
        classifier = classifier_;
    }

    /// @notice What a post costs now (send a little more: the fee depends on the block's base
    ///         fee, and the surplus is returned).
    function postFee() external view returns (uint256) {
        return coordinator.quote(classifier, REDUNDANCY, CALLBACK_GAS);
    }

    /// @notice Submits `text` for classification, paying its fee; the surplus is returned.
    ///         Reverts with EmptyPost, PostTooLong, FeeTooLow, or the coordinator's errors
    ///         (e.g. NotEnoughNodes).
    function submitPost(string calldata text) external payable returns (uint256 postId) {
        if (bytes(text).length == 0) revert EmptyPost();
        if (bytes(text).length > MAX_POST_BYTES) revert PostTooLong(bytes(text).length, MAX_POST_BYTES);
        (uint256 requestId, uint256 fee) = _requestInference(classifier, bytes(text), REDUNDANCY, CALLBACK_GAS, msg.value);
        postId = ++postCount;
        _posts[postId] = Post({author: msg.sender, status: Status.Pending, requestId: requestId, fee: fee, spamProbability: 0, text: text});
        postOfRequest[requestId] = postId;
        emit PostSubmitted(postId, msg.sender, requestId, text);
        _pay(msg.sender, msg.value - fee);
    }

    /// @notice Finishes a pending post from the coordinator's record: applies the output if the
    ///         request was fulfilled (its callback did not finish), refunds the author if it
    ///         failed. Anyone. Reverts with NotPending, NotSettled, PaymentFailed.
    function resolve(uint256 postId) external {
        Post storage post = _posts[postId];
        if (post.status != Status.Pending) revert NotPending(postId);
        (uint8 status, bytes memory output) = coordinator.getRequest(post.requestId);
        if (status == REQUEST_FULFILLED) {
            _judge(postId, post, output);
        } else if (status == REQUEST_FAILED) {
            post.status = Status.Refunded;
            emit PostRefunded(postId, post.author, post.fee);
            // The refund sits in this contract's coordinator balance until taken.
            if (address(this).balance < post.fee) _withdrawFromCoordinator();
            _pay(post.author, post.fee);
        } else {
            revert NotSettled(postId);
        }
    }

    /// @notice Post `postId`.
    function getPost(uint256 postId) external view returns (Post memory) {
        return _posts[postId];
    }

    /// @dev The classifier's verdict on the post of `requestId`.
    function _onInferenceResult(uint256 requestId, bytes calldata output) internal override {
        uint256 postId = postOfRequest[requestId];
        Post storage post = _posts[postId];
        if (post.status == Status.Pending) _judge(postId, post, output);
    }

    /// @dev Accepts the post if the output reads as [ham, spam] with 0 <= spam < SPAM_THRESHOLD.
    function _judge(uint256 postId, Post storage post, bytes memory output) private {
        int256 spam = _spamProbability(output);
        post.spamProbability = spam;
        if (spam >= 0 && spam < SPAM_THRESHOLD) {
            post.status = Status.Accepted;
            emit PostAccepted(postId, post.author, spam);
        } else {
            post.status = Status.Rejected;
            emit PostRejected(postId, post.author, spam);
        }
    }

    /// @dev The second value of `output` read as an ABI-encoded int256[] of two, or -1 if it is
    ///      not exactly that (abi.decode would revert on a malformed answer and leave the post
    ///      pending).
    function _spamProbability(bytes memory output) private pure returns (int256 spam) {
        if (output.length != 128) return -1;
        uint256 offset;
        uint256 length;
        assembly ("memory-safe") {
            offset := mload(add(output, 0x20))
            length := mload(add(output, 0x40))
            spam := mload(add(output, 0x80))
        }
        if (offset != 32 || length != 2) return -1;
    }

    /// @dev Sends `amount` wei to `to` (nothing for 0); reverts with PaymentFailed.
    function _pay(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert PaymentFailed(to, amount);
    }
}
