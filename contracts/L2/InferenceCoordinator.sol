// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AI} from "../ai/AI.sol";
import {IInferenceConsumer, IInferenceCoordinator, IInferenceCoordinatorNodes} from "../ai/IInferenceCoordinator.sol";
import {IModelRegistry} from "../ai/IModelRegistry.sol";

/// @title InferenceCoordinator
/// @notice Predeploy at 0x4200000000000000000000000000000000000400: off-chain inference by staked
///         resource nodes, for models registered with ModelRegistry.registerOffchain.
///         docs/OFFCHAIN_INFERENCE.md is the specification; in short:
///         - nodes stake (MIN_STAKE to be eligible) and serve models at a price per request;
///         - a request pays redundancy × clearing price (the redundancy-th lowest eligible price)
///           plus callbackGasLimit × basefee, and is assigned to `redundancy` distinct eligible
///           nodes priced at most the clearing price, drawn by a partial Fisher–Yates shuffle;
///         - nodes commit keccak256(abi.encode(requestId, keccak256(output), salt, node)), then
///           reveal once every node committed or the commit deadline passed;
///         - the output a strict majority of the assigned nodes revealed is stored and delivered
///           by a callback with exactly callbackGasLimit gas; the majority shares the node fee,
///           the other assigned nodes lose SLASH_BPS of their stake; without a majority the
///           requester is refunded and the nodes that did not reveal are slashed.
/// @dev Installed in genesis as runtime code: no constructor runs, so there are no immutables
///      and storage starts empty (every zero below is a valid initial state). The reentrancy
///      guard is ReentrancyGuardTransient (EIP-1153, prague): nothing in storage to initialize.
///
///      Gas: loops are bounded by MAX_NODES_PER_MODEL (32, selection and eviction),
///      MAX_MODELS_PER_NODE (16, requestExit) and MAX_REDUNDANCY (7, commit, reveal,
///      settlement). Per request the contract stores three header words and one word per
///      assigned node; per node one word (its commitment, overwritten by its output hash); per
///      distinct revealed output its bytes once (the first node to reveal it pays for them).
///      The reveal that settles with its own output delivers it from calldata.
contract InferenceCoordinator is IInferenceCoordinator, IInferenceCoordinatorNodes, ReentrancyGuardTransient {
    /// @notice Smallest stake of an eligible node.
    uint256 public constant MIN_STAKE = 1 ether;
    /// @notice Basis points: 10,000 = 100 %.
    uint256 public constant BPS = 10_000;
    /// @notice Share of its stake a node loses per faulty request: 10 %.
    uint256 public constant SLASH_BPS = 1_000;
    /// @notice Time from requestExit to withdrawStake: two phases of the longest timeout
    ///         (ModelRegistry.MAX_TIMEOUT_SECONDS, 3,600 s each).
    uint256 public constant EXIT_DELAY = 2 hours;
    /// @notice Most nodes one model lists.
    uint256 public constant MAX_NODES_PER_MODEL = 32;
    /// @notice Most models one node serves.
    uint256 public constant MAX_MODELS_PER_NODE = 16;
    /// @notice Most nodes one request is assigned to.
    uint8 public constant MAX_REDUNDANCY = 7;
    /// @notice Most gas a callback may ask for.
    uint32 public constant MAX_CALLBACK_GAS = 2_000_000;
    /// @notice Longest input of a request, in bytes.
    uint256 public constant MAX_INPUT_BYTES = 8192;
    /// @notice Longest output a node may reveal, in bytes.
    uint256 public constant MAX_OUTPUT_BYTES = 8192;
    /// @notice Highest price per request a node may ask, in wei.
    uint256 public constant MAX_PRICE = type(uint96).max;

    /// @notice getRequest status: no such request.
    uint8 public constant STATUS_NONE = 0;
    /// @notice getRequest status: waiting for commits, reveals or finalize.
    uint8 public constant STATUS_PENDING = 1;
    /// @notice getRequest status: a majority agreed; the output is stored.
    uint8 public constant STATUS_FULFILLED = 2;
    /// @notice getRequest status: no majority; the requester was refunded.
    uint8 public constant STATUS_FAILED = 3;

    /// @notice InferenceFailed reason: enough reveals for a majority, but no output had one.
    uint8 public constant NO_AGREEMENT = 1;
    /// @notice InferenceFailed reason: too few reveals for a majority.
    uint8 public constant TIMED_OUT = 2;

    /// @notice Slashed reason: revealed an output other than the majority's.
    uint8 public constant SLASH_WRONG_OUTPUT = 1;
    /// @notice Slashed reason: committed but did not reveal.
    uint8 public constant SLASH_NO_REVEAL = 2;
    /// @notice Slashed reason: did not commit.
    uint8 public constant SLASH_NO_COMMIT = 3;

    /// @notice getAssignment phase: no such request.
    uint8 public constant PHASE_NONE = 0;
    /// @notice getAssignment phase: commits accepted.
    uint8 public constant PHASE_COMMIT = 1;
    /// @notice getAssignment phase: reveals accepted.
    uint8 public constant PHASE_REVEAL = 2;
    /// @notice getAssignment phase: the reveal deadline passed; finalize settles.
    uint8 public constant PHASE_EXPIRED = 3;
    /// @notice getAssignment phase: settled (fulfilled or failed).
    uint8 public constant PHASE_SETTLED = 4;

    /// @dev Gas kept back from the callback's budget for the CALL itself and the instructions
    ///      between the check and it (VRFCoordinatorV2's GAS_FOR_CALL_EXACT_CHECK).
    uint256 private constant GAS_FOR_CALL_EXACT_CHECK = 5_000;

    /// @dev One node: one storage word.
    struct Node {
        /// Stake in wei (uint128 holds far more ETH than exists).
        uint128 stake;
        /// Timestamp from which withdrawStake pays; 0 while no exit was requested.
        uint64 exitAt;
        /// Requests assigned and not yet settled.
        uint32 openAssignments;
    }

    /// @dev One node's offer for one model: one storage word.
    struct Offer {
        address node;
        uint96 price;
    }

    /// @dev One request: three storage words (the third only with a callback fee).
    struct Request {
        address requester;
        uint8 status;
        uint8 redundancy;
        /// Bit i: assigned node i committed.
        uint8 committedMask;
        /// Bit i: assigned node i revealed.
        uint8 revealedMask;
        /// 1 + the index of a node of the majority once fulfilled; 0 before.
        uint8 winner;
        uint32 callbackGasLimit;
        uint64 commitDeadline;
        uint64 revealDeadline;
        /// The clearing price: what each assigned node is paid.
        uint96 price;
        /// callbackGasLimit × basefee at request.
        uint256 callbackFee;
    }

    mapping(address node => Node) private _nodes;
    /// The models each node serves (at most MAX_MODELS_PER_NODE).
    mapping(address node => bytes32[]) private _modelsOf;
    /// The offers for each model (at most MAX_NODES_PER_MODEL), in no particular order.
    mapping(bytes32 modelId => Offer[]) private _offers;
    /// 1 + the position of `node`'s offer in _offers[modelId]; 0 if it does not serve it.
    mapping(bytes32 modelId => mapping(address node => uint256)) private _offerSlot;

    uint256 private _requestCount;
    mapping(uint256 requestId => Request) private _requests;
    /// The assigned nodes (the first `redundancy` entries).
    mapping(uint256 requestId => address[MAX_REDUNDANCY]) private _assigned;
    /// Per assigned node: its commitment, replaced by keccak256(output) when it reveals.
    mapping(uint256 requestId => bytes32[MAX_REDUNDANCY]) private _answers;
    /// Each distinct revealed output, by its hash.
    mapping(uint256 requestId => mapping(bytes32 outputHash => bytes)) private _outputs;

    mapping(address account => uint256) private _balances;
    uint256 private _totalSlashed;

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc IInferenceCoordinatorNodes
    function stake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Node storage n = _nodes[msg.sender];
        if (n.exitAt != 0) revert NodeExiting(msg.sender, n.exitAt);
        uint256 newStake = n.stake + msg.value;
        n.stake = uint128(newStake);
        emit NodeStaked(msg.sender, msg.value, newStake);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function serve(bytes32 modelId, uint256 price) external {
        Node storage n = _nodes[msg.sender];
        if (n.exitAt != 0) revert NodeExiting(msg.sender, n.exitAt);
        if (n.stake < MIN_STAKE) revert StakeBelowMinimum(msg.sender, n.stake, MIN_STAKE);
        _timeoutOf(modelId);
        if (price > MAX_PRICE) revert PriceTooHigh(price, MAX_PRICE);

        uint256 slot = _offerSlot[modelId][msg.sender];
        if (slot != 0) {
            _offers[modelId][slot - 1].price = uint96(price);
            emit ModelServed(msg.sender, modelId, price);
            return;
        }
        if (_modelsOf[msg.sender].length >= MAX_MODELS_PER_NODE) revert TooManyModels(msg.sender, MAX_MODELS_PER_NODE);
        Offer[] storage offers = _offers[modelId];
        if (offers.length >= MAX_NODES_PER_MODEL) {
            address evicted = _evictionCandidate(offers, price);
            if (evicted == address(0)) revert ModelFull(modelId, MAX_NODES_PER_MODEL);
            _removeOffer(evicted, modelId);
            _removeModelOf(evicted, modelId);
        }
        offers.push(Offer({node: msg.sender, price: uint96(price)}));
        _offerSlot[modelId][msg.sender] = offers.length;
        _modelsOf[msg.sender].push(modelId);
        emit ModelServed(msg.sender, modelId, price);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function unserve(bytes32 modelId) external {
        if (_offerSlot[modelId][msg.sender] == 0) revert NotServing(msg.sender, modelId);
        _removeOffer(msg.sender, modelId);
        _removeModelOf(msg.sender, modelId);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function requestExit() external {
        Node storage n = _nodes[msg.sender];
        if (n.exitAt != 0) revert NodeExiting(msg.sender, n.exitAt);
        if (n.stake == 0) revert NotNode(msg.sender);
        uint256 exitAt = block.timestamp + EXIT_DELAY;
        n.exitAt = uint64(exitAt);
        bytes32[] storage models = _modelsOf[msg.sender];
        for (uint256 i = models.length; i > 0; --i) {
            _removeOffer(msg.sender, models[i - 1]);
            models.pop();
        }
        emit ExitRequested(msg.sender, exitAt);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function withdrawStake() external nonReentrant {
        Node storage n = _nodes[msg.sender];
        if (n.exitAt == 0) revert NotExiting(msg.sender);
        if (block.timestamp < n.exitAt) revert ExitDelayNotOver(n.exitAt);
        if (n.openAssignments != 0) revert HasOpenAssignments(n.openAssignments);
        uint256 amount = n.stake;
        delete _nodes[msg.sender];
        emit StakeWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- requests

    /// @inheritdoc IInferenceCoordinator
    function quote(bytes32 modelId, uint8 redundancy, uint32 callbackGasLimit) external view returns (uint256 fee) {
        _timeoutOf(modelId);
        _checkRequestParams(redundancy, callbackGasLimit);
        (, , uint256 price) = _candidates(modelId, redundancy);
        return redundancy * price + uint256(callbackGasLimit) * block.basefee;
    }

    /// @inheritdoc IInferenceCoordinator
    /// @dev Not nonReentrant: a callback may chain a new request.
    function requestInference(bytes32 modelId, bytes calldata input, uint8 redundancy, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        uint256 timeout = _timeoutOf(modelId);
        _checkRequestParams(redundancy, callbackGasLimit);
        if (input.length > MAX_INPUT_BYTES) revert InputTooLong(input.length, MAX_INPUT_BYTES);
        requestId = ++_requestCount;
        Request storage r = _requests[requestId];
        address[] memory nodes = _open(requestId, r, modelId, redundancy, callbackGasLimit, timeout);
        emit InferenceRequested(requestId, modelId, msg.sender, input, redundancy);
        emit NodesAssigned(requestId, nodes, r.commitDeadline, r.revealDeadline);
    }

    /// @dev Prices, checks the fee, records and assigns request `requestId`, credits the surplus.
    function _open(uint256 requestId, Request storage r, bytes32 modelId, uint8 redundancy, uint32 callbackGasLimit, uint256 timeout)
        private
        returns (address[] memory nodes)
    {
        (address[] memory candidates, uint256 count, uint256 price) = _candidates(modelId, redundancy);
        uint256 callbackFee = uint256(callbackGasLimit) * block.basefee;
        uint256 fee = redundancy * price + callbackFee;
        if (msg.value < fee) revert FeeTooLow(msg.value, fee);

        r.requester = msg.sender;
        r.status = STATUS_PENDING;
        r.redundancy = redundancy;
        r.callbackGasLimit = callbackGasLimit;
        r.commitDeadline = uint64(block.timestamp + timeout);
        r.revealDeadline = uint64(block.timestamp + 2 * timeout);
        r.price = uint96(price);
        if (callbackFee != 0) r.callbackFee = callbackFee;

        nodes = _draw(requestId, candidates, count, redundancy);
        address[MAX_REDUNDANCY] storage assigned = _assigned[requestId];
        for (uint256 i = 0; i < redundancy; ++i) {
            assigned[i] = nodes[i];
            ++_nodes[nodes[i]].openAssignments;
        }

        uint256 surplus = msg.value - fee;
        if (surplus != 0) {
            _balances[msg.sender] += surplus;
            emit Refunded(requestId, msg.sender, surplus);
        }
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function commit(uint256 requestId, bytes32 commitment) external {
        Request storage r = _pending(requestId);
        uint256 i = _indexOf(requestId, r.redundancy, msg.sender);
        if (commitment == bytes32(0)) revert ZeroCommitment();
        if (_has(r.committedMask, i)) revert AlreadyCommitted(requestId, msg.sender);
        if (block.timestamp >= r.commitDeadline) revert CommitPhaseOver(requestId, r.commitDeadline);
        r.committedMask |= _bit(i);
        _answers[requestId][i] = commitment;
        emit Committed(requestId, msg.sender);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function reveal(uint256 requestId, bytes calldata output, bytes32 salt) external nonReentrant {
        Request storage r = _pending(requestId);
        uint256 i = _indexOf(requestId, r.redundancy, msg.sender);
        uint8 committed = r.committedMask;
        if (committed != _fullMask(r.redundancy) && block.timestamp < r.commitDeadline) {
            revert CommitPhaseOpen(requestId, r.commitDeadline);
        }
        if (block.timestamp >= r.revealDeadline) revert RevealPhaseOver(requestId, r.revealDeadline);
        if (!_has(committed, i)) revert NotCommitted(requestId, msg.sender);
        uint8 revealed = r.revealedMask;
        if (_has(revealed, i)) revert AlreadyRevealed(requestId, msg.sender);
        if (output.length > MAX_OUTPUT_BYTES) revert OutputTooLong(output.length, MAX_OUTPUT_BYTES);
        bytes32 outputHash = keccak256(output);
        if (keccak256(abi.encode(requestId, outputHash, salt, msg.sender)) != _answers[requestId][i]) {
            revert BadReveal(requestId, msg.sender);
        }

        _answers[requestId][i] = outputHash;
        revealed |= _bit(i);
        r.revealedMask = revealed;
        if (output.length != 0 && _outputs[requestId][outputHash].length == 0) _outputs[requestId][outputHash] = output;
        emit Revealed(requestId, msg.sender, outputHash);

        if (revealed == committed) _settle(requestId, r, false, outputHash, output);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function finalize(uint256 requestId) external nonReentrant {
        Request storage r = _pending(requestId);
        uint64 at = _finalizableAt(r);
        if (block.timestamp < at) revert FinalizeTooEarly(requestId, at);
        _settle(requestId, r, block.timestamp < r.revealDeadline, bytes32(0), "");
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function withdraw() external nonReentrant {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IInferenceCoordinator
    function getRequest(uint256 requestId) external view returns (uint8 status, bytes memory output) {
        Request storage r = _requests[requestId];
        status = r.status;
        if (status == STATUS_FULFILLED) output = _outputs[requestId][_answers[requestId][r.winner - 1]];
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function getNode(address node) external view returns (NodeInfo memory) {
        Node storage n = _nodes[node];
        return NodeInfo({
            stake: n.stake,
            exitAt: n.exitAt,
            openAssignments: n.openAssignments,
            eligible: _eligible(n),
            models: _modelsOf[node]
        });
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function getOffer(address node, bytes32 modelId) external view returns (bool serving, uint256 price) {
        uint256 slot = _offerSlot[modelId][node];
        if (slot == 0) return (false, 0);
        return (true, _offers[modelId][slot - 1].price);
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function nodesServing(bytes32 modelId) external view returns (address[] memory nodes, uint256[] memory prices) {
        Offer[] storage offers = _offers[modelId];
        nodes = new address[](offers.length);
        prices = new uint256[](offers.length);
        for (uint256 i = 0; i < offers.length; ++i) {
            Offer memory o = offers[i];
            (nodes[i], prices[i]) = (o.node, o.price);
        }
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function market(bytes32 modelId) external view returns (uint256 eligibleNodes, uint256 lowestPrice) {
        Offer[] storage offers = _offers[modelId];
        for (uint256 i = 0; i < offers.length; ++i) {
            Offer memory o = offers[i];
            if (!_eligible(_nodes[o.node])) continue;
            if (eligibleNodes == 0 || o.price < lowestPrice) lowestPrice = o.price;
            ++eligibleNodes;
        }
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function getAssignment(uint256 requestId) external view returns (Assignment memory a) {
        Request storage r = _requests[requestId];
        if (r.status == STATUS_NONE) revert UnknownRequest(requestId);
        uint256 redundancy = r.redundancy;
        a.requester = r.requester;
        a.nodes = new address[](redundancy);
        a.committed = new bool[](redundancy);
        a.revealed = new bool[](redundancy);
        a.outputHashes = new bytes32[](redundancy);
        for (uint256 i = 0; i < redundancy; ++i) {
            a.nodes[i] = _assigned[requestId][i];
            a.committed[i] = _has(r.committedMask, i);
            a.revealed[i] = _has(r.revealedMask, i);
            if (a.revealed[i]) a.outputHashes[i] = _answers[requestId][i];
        }
        a.commitDeadline = r.commitDeadline;
        a.revealDeadline = r.revealDeadline;
        a.price = r.price;
        a.callbackGasLimit = r.callbackGasLimit;
        if (r.status != STATUS_PENDING) {
            a.phase = PHASE_SETTLED;
        } else {
            a.finalizableAt = _finalizableAt(r);
            if (block.timestamp >= r.revealDeadline) a.phase = PHASE_EXPIRED;
            else if (r.committedMask == _fullMask(r.redundancy) || block.timestamp >= r.commitDeadline) a.phase = PHASE_REVEAL;
            else a.phase = PHASE_COMMIT;
        }
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IInferenceCoordinatorNodes
    function totalSlashed() external view returns (uint256) {
        return _totalSlashed;
    }

    // ---------------------------------------------------------------- settlement

    /// @dev Settles a pending request: pays the majority and slashes the rest, or refunds the
    ///      requester and slashes the nodes that did not reveal. `early`: finalize before the
    ///      reveal deadline (too few commits): committed nodes still had time to reveal, so only
    ///      nodes that did not commit are slashed. `knownHash`/`knownOutput`: an output in
    ///      calldata (the settling reveal's own), used instead of storage if it wins.
    ///      Everything is written before the callback, the last call of the transaction.
    function _settle(uint256 requestId, Request storage r, bool early, bytes32 knownHash, bytes memory knownOutput) private {
        bytes32[MAX_REDUNDANCY] memory answers = _answers[requestId];
        // The output revealed by a strict majority of the assigned nodes, if any.
        (uint256 winner, uint256 votes) = _majority(answers, r.revealedMask, r.redundancy);
        if (winner == type(uint256).max) {
            _fail(requestId, r, early);
            return;
        }

        bytes32 winningHash = answers[winner];
        r.status = STATUS_FULFILLED;
        r.winner = uint8(winner + 1);
        _pay(requestId, r, answers, winningHash, votes);
        bytes memory output = knownOutput;
        if (winningHash != knownHash) output = _outputs[requestId][winningHash];
        _deliver(requestId, r, output);
    }

    /// @dev Splits the node fee among the nodes that revealed `winningHash` (`votes` of them;
    ///      the remainder to the first) and slashes every other assigned node.
    function _pay(uint256 requestId, Request storage r, bytes32[MAX_REDUNDANCY] memory answers, bytes32 winningHash, uint256 votes)
        private
    {
        uint256 redundancy = r.redundancy;
        uint256 share = (redundancy * r.price) / votes;
        uint256 remainder = redundancy * r.price - share * votes;
        for (uint256 i = 0; i < redundancy; ++i) {
            address node = _assigned[requestId][i];
            --_nodes[node].openAssignments;
            if (_has(r.revealedMask, i) && answers[i] == winningHash) {
                _balances[node] += share + remainder;
                emit Rewarded(requestId, node, share + remainder);
                remainder = 0;
            } else {
                _slash(node, requestId, _has(r.revealedMask, i) ? SLASH_WRONG_OUTPUT : _has(r.committedMask, i) ? SLASH_NO_REVEAL : SLASH_NO_COMMIT);
            }
        }
    }

    /// @dev Credits the callback fee (to the settler if a callback runs, else back to the
    ///      requester), then calls back with exactly callbackGasLimit gas and emits InferenceFulfilled.
    function _deliver(uint256 requestId, Request storage r, bytes memory output) private {
        address requester = r.requester;
        uint32 callbackGasLimit = r.callbackGasLimit;
        bool callback = callbackGasLimit != 0 && requester.code.length != 0;
        uint256 callbackFee = r.callbackFee;
        if (callbackFee != 0) {
            if (callback) {
                _balances[msg.sender] += callbackFee;
                emit CallbackReimbursed(requestId, msg.sender, callbackFee);
            } else {
                _balances[requester] += callbackFee;
                emit Refunded(requestId, requester, callbackFee);
            }
        }
        bool ok;
        if (callback) {
            ok = _callWithExactGas(
                callbackGasLimit, requester, abi.encodeCall(IInferenceConsumer.onInferenceResult, (requestId, output))
            );
        }
        emit InferenceFulfilled(requestId, output, ok);
    }

    /// @dev The failed branch of _settle.
    function _fail(uint256 requestId, Request storage r, bool early) private {
        uint256 redundancy = r.redundancy;
        uint8 committed = r.committedMask;
        uint8 revealed = r.revealedMask;
        uint8 reason = 2 * _popcount(revealed) > redundancy ? NO_AGREEMENT : TIMED_OUT;
        r.status = STATUS_FAILED;
        for (uint256 i = 0; i < redundancy; ++i) {
            address node = _assigned[requestId][i];
            --_nodes[node].openAssignments;
            if (!_has(committed, i)) _slash(node, requestId, SLASH_NO_COMMIT);
            else if (!_has(revealed, i) && !early) _slash(node, requestId, SLASH_NO_REVEAL);
        }
        uint256 refund = redundancy * r.price + r.callbackFee;
        if (refund != 0) {
            _balances[r.requester] += refund;
            emit Refunded(requestId, r.requester, refund);
        }
        emit InferenceFailed(requestId, reason);
    }

    /// @dev Index of the first revealed answer held by more than half of `redundancy`, and its
    ///      number of votes; type(uint256).max if none.
    function _majority(bytes32[MAX_REDUNDANCY] memory answers, uint8 revealed, uint256 redundancy)
        private
        pure
        returns (uint256 winner, uint256 votes)
    {
        for (uint256 i = 0; i < redundancy; ++i) {
            if (!_has(revealed, i)) continue;
            votes = 0;
            for (uint256 j = i; j < redundancy; ++j) {
                if (_has(revealed, j) && answers[j] == answers[i]) ++votes;
            }
            if (2 * votes > redundancy) return (i, votes);
        }
        return (type(uint256).max, 0);
    }

    /// @dev Takes SLASH_BPS of `node`'s stake for good.
    function _slash(address node, uint256 requestId, uint8 reason) private {
        Node storage n = _nodes[node];
        uint256 amount = (uint256(n.stake) * SLASH_BPS) / BPS;
        n.stake -= uint128(amount);
        _totalSlashed += amount;
        emit Slashed(node, requestId, amount, reason);
    }

    /// @dev Calls `target` with exactly `gasAmount` gas (VRFCoordinatorV2's callWithExactGas):
    ///      reverts with InsufficientGasForCallback when the 63/64 rule would give it less, so
    ///      that the sender cannot starve the callback into failing. No return data is copied.
    function _callWithExactGas(uint32 gasAmount, address target, bytes memory data) private returns (bool success) {
        uint256 g = gasleft();
        if (g < GAS_FOR_CALL_EXACT_CHECK || (g - GAS_FOR_CALL_EXACT_CHECK) - (g - GAS_FOR_CALL_EXACT_CHECK) / 64 <= gasAmount) {
            revert InsufficientGasForCallback(g, gasAmount);
        }
        assembly ("memory-safe") {
            success := call(gasAmount, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    // ---------------------------------------------------------------- helpers

    /// @dev The request, if pending; reverts with UnknownRequest or RequestNotPending.
    function _pending(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        uint8 status = r.status;
        if (status == STATUS_NONE) revert UnknownRequest(requestId);
        if (status != STATUS_PENDING) revert RequestNotPending(requestId, status);
    }

    /// @dev Position of `node` among the request's assigned nodes; reverts with NotAssigned.
    function _indexOf(uint256 requestId, uint256 redundancy, address node) private view returns (uint256) {
        address[MAX_REDUNDANCY] storage assigned = _assigned[requestId];
        for (uint256 i = 0; i < redundancy; ++i) {
            if (assigned[i] == node) return i;
        }
        revert NotAssigned(requestId, node);
    }

    /// @dev When finalize works: the commit deadline while too few nodes committed for a
    ///      majority (more can commit until then), else the reveal deadline.
    function _finalizableAt(Request storage r) private view returns (uint64) {
        return 2 * _popcount(r.committedMask) > r.redundancy ? r.revealDeadline : r.commitDeadline;
    }

    /// @dev The phase length of off-chain model `modelId`; reverts with UnknownModel or NotOffchainModel.
    function _timeoutOf(bytes32 modelId) private view returns (uint256 timeout) {
        IModelRegistry registry = AI.registry();
        timeout = registry.offchainTimeoutSeconds(modelId);
        if (timeout == 0) {
            if (registry.modelKind(modelId) == 0) revert UnknownModel(modelId);
            revert NotOffchainModel(modelId);
        }
    }

    /// @dev Reverts with BadRedundancy or CallbackGasTooHigh.
    function _checkRequestParams(uint8 redundancy, uint32 callbackGasLimit) private pure {
        if (redundancy == 0 || redundancy > MAX_REDUNDANCY) revert BadRedundancy(redundancy, MAX_REDUNDANCY);
        if (callbackGasLimit > MAX_CALLBACK_GAS) revert CallbackGasTooHigh(callbackGasLimit, MAX_CALLBACK_GAS);
    }

    /// @dev The clearing price (the `redundancy`-th lowest price among eligible nodes serving
    ///      `modelId`) and the eligible nodes priced at most it (`candidates[0..count)`);
    ///      reverts with NotEnoughNodes.
    function _candidates(bytes32 modelId, uint8 redundancy)
        private
        view
        returns (address[] memory candidates, uint256 count, uint256 price)
    {
        Offer[] storage offers = _offers[modelId];
        uint256 length = offers.length;
        candidates = new address[](length);
        uint256[] memory prices = new uint256[](length);
        uint256 eligible;
        for (uint256 i = 0; i < length; ++i) {
            Offer memory o = offers[i];
            if (!_eligible(_nodes[o.node])) continue;
            candidates[eligible] = o.node;
            prices[eligible] = o.price;
            ++eligible;
        }
        if (eligible < redundancy) revert NotEnoughNodes(eligible, redundancy);

        // The redundancy-th lowest price: partial selection sort of a copy of the prices.
        uint256[] memory sorted = new uint256[](eligible);
        for (uint256 i = 0; i < eligible; ++i) {
            sorted[i] = prices[i];
        }
        for (uint256 i = 0; i < redundancy; ++i) {
            uint256 lowest = i;
            for (uint256 j = i + 1; j < eligible; ++j) {
                if (sorted[j] < sorted[lowest]) lowest = j;
            }
            (sorted[i], sorted[lowest]) = (sorted[lowest], sorted[i]);
        }
        price = sorted[redundancy - 1];

        // Keep the eligible nodes priced at most the clearing price, in order.
        for (uint256 i = 0; i < eligible; ++i) {
            if (prices[i] <= price) candidates[count++] = candidates[i];
        }
    }

    /// @dev `redundancy` distinct nodes of `candidates[0..count)` by a partial Fisher–Yates
    ///      shuffle seeded with keccak256(blockhash(block.number - 1), requestId, requester).
    function _draw(uint256 requestId, address[] memory candidates, uint256 count, uint8 redundancy)
        private
        view
        returns (address[] memory nodes)
    {
        bytes32 seed = keccak256(abi.encode(blockhash(block.number - 1), requestId, msg.sender));
        nodes = new address[](redundancy);
        for (uint256 i = 0; i < redundancy; ++i) {
            uint256 j = i + uint256(keccak256(abi.encode(seed, i))) % (count - i);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
            nodes[i] = candidates[i];
        }
    }

    /// @dev Who a new offer at `price` replaces in a full list: the first ineligible node,
    ///      else the highest-priced one if it asks more than `price`; address(0) if nobody.
    function _evictionCandidate(Offer[] storage offers, uint256 price) private view returns (address) {
        address highest;
        uint256 highestPrice;
        for (uint256 i = 0; i < offers.length; ++i) {
            Offer memory o = offers[i];
            if (!_eligible(_nodes[o.node])) return o.node;
            if (highest == address(0) || o.price > highestPrice) (highest, highestPrice) = (o.node, o.price);
        }
        return highestPrice > price ? highest : address(0);
    }

    /// @dev Removes `node`'s offer for `modelId` (swap with the last) and emits ModelUnserved.
    function _removeOffer(address node, bytes32 modelId) private {
        Offer[] storage offers = _offers[modelId];
        uint256 position = _offerSlot[modelId][node] - 1;
        uint256 last = offers.length - 1;
        if (position != last) {
            Offer memory moved = offers[last];
            offers[position] = moved;
            _offerSlot[modelId][moved.node] = position + 1;
        }
        offers.pop();
        delete _offerSlot[modelId][node];
        emit ModelUnserved(node, modelId);
    }

    /// @dev Removes `modelId` from `node`'s list of models (swap with the last).
    function _removeModelOf(address node, bytes32 modelId) private {
        bytes32[] storage models = _modelsOf[node];
        uint256 last = models.length - 1;
        for (uint256 i = 0; i <= last; ++i) {
            if (models[i] == modelId) {
                if (i != last) models[i] = models[last];
                models.pop();
                return;
            }
        }
    }

    function _eligible(Node storage n) private view returns (bool) {
        return n.stake >= MIN_STAKE && n.exitAt == 0;
    }

    /// @dev Bits 0..redundancy-1 set.
    function _fullMask(uint8 redundancy) private pure returns (uint8) {
        return uint8((uint256(1) << redundancy) - 1);
    }

    /// @dev Bit `i` of a node mask (i < MAX_REDUNDANCY).
    function _bit(uint256 i) private pure returns (uint8) {
        return uint8(uint256(1) << i);
    }

    /// @dev Whether bit `i` of `mask` is set.
    function _has(uint8 mask, uint256 i) private pure returns (bool) {
        return (uint256(mask) >> i) & 1 != 0;
    }

    function _popcount(uint8 mask) private pure returns (uint256 count) {
        for (; mask != 0; mask &= mask - 1) ++count;
    }

    /// @dev Sends `amount` wei to `to`; reverts with ETHTransferFailed.
    function _send(address to, uint256 amount) private {
        (bool ok, ) = to.call{value: amount}("");
        if (!ok) revert ETHTransferFailed(to, amount);
    }
}
