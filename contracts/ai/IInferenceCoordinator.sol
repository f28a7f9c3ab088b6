// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IInferenceCoordinator
/// @notice The requester's side of the InferenceCoordinator predeploy at
///         0x4200000000000000000000000000000000000400: ask for an off-chain inference of a model
///         registered with ModelRegistry.registerOffchain, and get its output by callback
///         (IInferenceConsumer) or by getRequest. docs/OFFCHAIN_INFERENCE.md describes the protocol.
/// @dev A request pays `quote(...)`: `redundancy` staked nodes run the model, commit, reveal; the
///      output a strict majority of them revealed is delivered. With no majority the request
///      fails and the requester is credited everything it paid (IInferenceCoordinatorNodes.balanceOf,
///      taken with withdraw()). Errors are declared in IInferenceCoordinatorNodes.
interface IInferenceCoordinator {
    /// @notice `requester` asked for model `modelId` on `input`, answered by `redundancy` nodes.
    event InferenceRequested(uint256 indexed requestId, bytes32 indexed modelId, address indexed requester, bytes input, uint8 redundancy);
    /// @notice A majority agreed on `output`; `callbackSucceeded` is false when there was a
    ///         callback and it reverted or ran out of gas, and also when there was none (an
    ///         account without code, or a callbackGasLimit of 0).
    event InferenceFulfilled(uint256 indexed requestId, bytes output, bool callbackSucceeded);
    /// @notice The request failed: `reason` 1 no agreement (enough reveals, no majority), 2 timed
    ///         out (too few reveals for a majority); the requester is refunded.
    event InferenceFailed(uint256 indexed requestId, uint8 reason); // 1 no agreement, 2 timed out; the requester is refunded

    /// @notice What a request costs now: redundancy × clearing price + callbackGasLimit × basefee,
    ///         the clearing price being the `redundancy`-th lowest price among eligible nodes
    ///         serving the model. Reverts with UnknownModel, NotOffchainModel, BadRedundancy,
    ///         CallbackGasTooHigh, NotEnoughNodes.
    function quote(bytes32 modelId, uint8 redundancy, uint32 callbackGasLimit) external view returns (uint256 fee);

    /// @notice Asks `redundancy` nodes (1 to 7) to run `modelId` on `input` (at most 8 KiB) and
    ///         to deliver the output by calling `onInferenceResult` on the sender with exactly
    ///         `callbackGasLimit` gas (none if 0 or if the sender has no code). msg.value must be
    ///         at least quote(...); the surplus is credited to the sender's balance at once.
    ///         Reverts as quote, and with InputTooLong, FeeTooLow.
    /// @return requestId The request's id, from 1.
    function requestInference(bytes32 modelId, bytes calldata input, uint8 redundancy, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId);

    /// @notice Where request `requestId` stands: status 0 none, 1 pending, 2 fulfilled, 3 failed;
    ///         `output` is the agreed output once fulfilled, empty otherwise.
    function getRequest(uint256 requestId) external view returns (uint8 status, bytes memory output); // 0 none, 1 pending, 2 fulfilled, 3 failed
}

/// @title IInferenceConsumer
/// @notice What a contract implements to receive results from the InferenceCoordinator.
///         contracts/ai/InferenceConsumer.sol implements the sender check.
interface IInferenceConsumer {
    /// @notice The agreed output of request `requestId`.
    function onInferenceResult(uint256 requestId, bytes calldata output) external; // called only by the coordinator, with exactly callbackGasLimit gas
}

/// @title IInferenceCoordinatorNodes
/// @notice The resource nodes' side of the InferenceCoordinator (stake, serve models, commit
///         and reveal answers, get paid), the balances of every account (earnings and refunds),
///         the views a worker and the node's `ai_listModels` read, and the errors of both sides.
/// @dev Every payout is credited to balanceOf and taken with withdraw(); only withdraw and
///      withdrawStake send ETH. Slashed ETH stays in the contract for good (totalSlashed).
interface IInferenceCoordinatorNodes {
    /// @notice One node, as getNode reports it.
    struct NodeInfo {
        /// Stake in wei; lowered only by slashing and withdrawStake.
        uint256 stake;
        /// Timestamp from which withdrawStake pays out; 0 while the node has not asked to exit.
        uint64 exitAt;
        /// Requests assigned to the node and not yet settled.
        uint32 openAssignments;
        /// Whether new requests may be assigned to it: stake >= MIN_STAKE and no exit requested.
        bool eligible;
        /// The off-chain models it serves.
        bytes32[] models;
    }

    /// @notice One request's assignment, as getAssignment reports it.
    struct Assignment {
        /// The account that asked (and receives the callback or the refund).
        address requester;
        /// The assigned nodes, in draw order.
        address[] nodes;
        /// Commits are accepted before this timestamp.
        uint64 commitDeadline;
        /// Reveals are accepted before this timestamp.
        uint64 revealDeadline;
        /// finalize() works from this timestamp (the commit deadline if too few nodes committed
        /// for a majority, the reveal deadline otherwise); 0 once settled.
        uint64 finalizableAt;
        /// What each assigned node is paid on success (the clearing price at request).
        uint256 price;
        /// Gas the callback gets.
        uint32 callbackGasLimit;
        /// Per node: committed.
        bool[] committed;
        /// Per node: revealed.
        bool[] revealed;
        /// Per node: keccak256 of the revealed output; zero until revealed.
        bytes32[] outputHashes;
        /// 0 none, 1 commit, 2 reveal, 3 expired (reveal deadline passed: finalize), 4 settled.
        uint8 phase;
    }

    /// @notice `node` added `amount` wei of stake, now `stake`.
    event NodeStaked(address indexed node, uint256 amount, uint256 stake);
    /// @notice `node` serves `modelId` at `price` wei per request (new, or a price change).
    event ModelServed(address indexed node, bytes32 indexed modelId, uint256 price);
    /// @notice `node` no longer serves `modelId` (unserve, requestExit, or evicted from a full model).
    event ModelUnserved(address indexed node, bytes32 indexed modelId);
    /// @notice `node` is no longer eligible; it may withdraw its stake from `exitAt`.
    event ExitRequested(address indexed node, uint256 exitAt);
    /// @notice `node` took back its `amount` wei of stake.
    event StakeWithdrawn(address indexed node, uint256 amount);
    /// @notice Request `requestId` is assigned to `nodes`: commit before `commitDeadline`, reveal
    ///         before `revealDeadline`.
    event NodesAssigned(uint256 indexed requestId, address[] nodes, uint64 commitDeadline, uint64 revealDeadline);
    /// @notice `node` committed its answer to `requestId`.
    event Committed(uint256 indexed requestId, address indexed node);
    /// @notice `node` revealed an output hashing to `outputHash` for `requestId`.
    event Revealed(uint256 indexed requestId, address indexed node, bytes32 outputHash);
    /// @notice `node` lost `amount` wei of stake over `requestId`: `reason` 1 wrong output,
    ///         2 committed without revealing, 3 did not commit.
    event Slashed(address indexed node, uint256 indexed requestId, uint256 amount, uint8 reason);
    /// @notice `node`, in the majority of `requestId`, was credited `amount` wei.
    event Rewarded(uint256 indexed requestId, address indexed node, uint256 amount);
    /// @notice `account` (the requester) was credited `amount` wei back: the surplus over the
    ///         fee at request, the callback fee of a request without callback, or everything it
    ///         paid for a failed request.
    event Refunded(uint256 indexed requestId, address indexed account, uint256 amount);
    /// @notice `settler`, whose transaction ran the callback of `requestId`, was credited the
    ///         callback fee `amount` (callbackGasLimit × basefee at request).
    event CallbackReimbursed(uint256 indexed requestId, address indexed settler, uint256 amount);
    /// @notice `account` withdrew its balance of `amount` wei.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice stake() without value.
    error ZeroAmount();
    /// @notice `node` asked to exit (it may withdraw from `exitAt`): no staking, serving or second exit.
    error NodeExiting(address node, uint256 exitAt);
    /// @notice `node` holds `stake` wei, less than MIN_STAKE (`minimum`).
    error StakeBelowMinimum(address node, uint256 stake, uint256 minimum);
    /// @notice No model has id `modelId`.
    error UnknownModel(bytes32 modelId);
    /// @notice `modelId` is an on-chain model: the inference precompile runs it, not the nodes.
    error NotOffchainModel(bytes32 modelId);
    /// @notice A price of `price` wei; at most `max`.
    error PriceTooHigh(uint256 price, uint256 max);
    /// @notice `node` already serves `max` models.
    error TooManyModels(address node, uint256 max);
    /// @notice `modelId` has `max` nodes, all eligible and priced at most the new price.
    error ModelFull(bytes32 modelId, uint256 max);
    /// @notice `node` does not serve `modelId`.
    error NotServing(address node, bytes32 modelId);
    /// @notice `account` has no stake.
    error NotNode(address account);
    /// @notice `node` has not asked to exit.
    error NotExiting(address node);
    /// @notice The stake can be withdrawn from `exitAt` on.
    error ExitDelayNotOver(uint256 exitAt);
    /// @notice The node still has `count` requests to answer (finalize expired ones to close them).
    error HasOpenAssignments(uint256 count);
    /// @notice `account` has a balance of zero.
    error NothingToWithdraw(address account);
    /// @notice Sending `amount` wei to `to` failed; nothing changed.
    error ETHTransferFailed(address to, uint256 amount);
    /// @notice `redundancy` is outside 1..`max`.
    error BadRedundancy(uint8 redundancy, uint8 max);
    /// @notice `callbackGasLimit` is over `max`.
    error CallbackGasTooHigh(uint32 callbackGasLimit, uint32 max);
    /// @notice The input is `length` bytes; at most `max`.
    error InputTooLong(uint256 length, uint256 max);
    /// @notice Only `available` eligible nodes serve the model; `redundancy` are needed.
    error NotEnoughNodes(uint256 available, uint8 redundancy);
    /// @notice `sent` wei sent, `fee` needed.
    error FeeTooLow(uint256 sent, uint256 fee);
    /// @notice No request has id `requestId`.
    error UnknownRequest(uint256 requestId);
    /// @notice Request `requestId` is settled (`status` 2 fulfilled or 3 failed).
    error RequestNotPending(uint256 requestId, uint8 status);
    /// @notice `node` is not assigned to `requestId`.
    error NotAssigned(uint256 requestId, address node);
    /// @notice A commitment of zero.
    error ZeroCommitment();
    /// @notice `node` already committed to `requestId`.
    error AlreadyCommitted(uint256 requestId, address node);
    /// @notice Commits to `requestId` were accepted before `deadline`.
    error CommitPhaseOver(uint256 requestId, uint64 deadline);
    /// @notice Reveals of `requestId` open when every node has committed or at `deadline`.
    error CommitPhaseOpen(uint256 requestId, uint64 deadline);
    /// @notice `node` did not commit to `requestId`.
    error NotCommitted(uint256 requestId, address node);
    /// @notice `node` already revealed for `requestId`.
    error AlreadyRevealed(uint256 requestId, address node);
    /// @notice Reveals of `requestId` were accepted before `deadline`.
    error RevealPhaseOver(uint256 requestId, uint64 deadline);
    /// @notice The output is `length` bytes; at most `max`.
    error OutputTooLong(uint256 length, uint256 max);
    /// @notice The output and salt do not open `node`'s commitment to `requestId`.
    error BadReveal(uint256 requestId, address node);
    /// @notice Request `requestId` can be finalized from `at` on.
    error FinalizeTooEarly(uint256 requestId, uint64 at);
    /// @notice The settling transaction has `gasLeft` gas, too little to give the callback its
    ///         `callbackGasLimit` (after the 63/64 rule): send it with more gas.
    error InsufficientGasForCallback(uint256 gasLeft, uint32 callbackGasLimit);

    /// @notice Adds msg.value to the caller's stake. Reverts with ZeroAmount, NodeExiting.
    function stake() external payable;

    /// @notice Serves off-chain model `modelId` at `price` wei per request, or changes the price.
    ///         The caller must be eligible. A model with MAX_NODES_PER_MODEL nodes takes a new one
    ///         in place of an ineligible node, else of the highest-priced node if it asks more
    ///         than `price`. Reverts with NodeExiting, StakeBelowMinimum, UnknownModel,
    ///         NotOffchainModel, PriceTooHigh, TooManyModels, ModelFull.
    function serve(bytes32 modelId, uint256 price) external;

    /// @notice Stops serving `modelId` (open assignments still have to be answered). Reverts with NotServing.
    function unserve(bytes32 modelId) external;

    /// @notice Makes the caller ineligible at once, stops every model it serves and starts
    ///         EXIT_DELAY. Reverts with NotNode, NodeExiting.
    function requestExit() external;

    /// @notice Pays an exited node its stake once EXIT_DELAY is over and no assignment is open.
    ///         Reverts with NotExiting, ExitDelayNotOver, HasOpenAssignments, ETHTransferFailed.
    function withdrawStake() external;

    /// @notice Commits the caller's answer to `requestId`:
    ///         commitment = keccak256(abi.encode(requestId, keccak256(output), salt, node)).
    ///         Reverts with UnknownRequest, RequestNotPending, NotAssigned, ZeroCommitment,
    ///         AlreadyCommitted, CommitPhaseOver.
    function commit(uint256 requestId, bytes32 commitment) external;

    /// @notice Reveals the committed `output` with its `salt`; the reveal that makes every
    ///         committed node revealed settles the request. Reverts with UnknownRequest,
    ///         RequestNotPending, NotAssigned, CommitPhaseOpen, RevealPhaseOver, NotCommitted,
    ///         AlreadyRevealed, OutputTooLong, BadReveal, InsufficientGasForCallback.
    function reveal(uint256 requestId, bytes calldata output, bytes32 salt) external;

    /// @notice Settles `requestId` after its reveal deadline, or after its commit deadline when
    ///         too few nodes committed for a majority. Anyone. Reverts with UnknownRequest,
    ///         RequestNotPending, FinalizeTooEarly, InsufficientGasForCallback.
    function finalize(uint256 requestId) external;

    /// @notice Sends the caller its whole balance. Reverts with NothingToWithdraw, ETHTransferFailed.
    function withdraw() external;

    /// @notice Wei `account` may withdraw: earnings, refunds, callback reimbursements.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Node `node`; a zero stake and exitAt mean no node.
    function getNode(address node) external view returns (NodeInfo memory);

    /// @notice Whether `node` serves `modelId`, and at what price.
    function getOffer(address node, bytes32 modelId) external view returns (bool serving, uint256 price);

    /// @notice Every node serving `modelId` (eligible or not: see getNode) and its price.
    function nodesServing(bytes32 modelId) external view returns (address[] memory nodes, uint256[] memory prices);

    /// @notice Number of eligible nodes serving `modelId` and the lowest of their prices (0 when none).
    function market(bytes32 modelId) external view returns (uint256 eligibleNodes, uint256 lowestPrice);

    /// @notice Request `requestId`'s nodes, deadlines and progress; reverts with UnknownRequest.
    function getAssignment(uint256 requestId) external view returns (Assignment memory);

    /// @notice Number of requests made so far (the last request id).
    function requestCount() external view returns (uint256);

    /// @notice Wei slashed so far, locked in the contract for good.
    function totalSlashed() external view returns (uint256);
}
