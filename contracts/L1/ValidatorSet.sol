// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IValidatorSet} from "./IValidatorSet.sol";
import {RollupAnchor} from "./RollupAnchor.sol";

/// @title ValidatorSet
/// @notice The staked validator committee of one RollupAnchor, and the bonds that answer for its
///         batches. It decides when a batch is final and deletes a batch the committee votes wrong.
///
///         - Validators join with at least MIN_STAKE wei, leave with requestExit and withdraw after
///           the exit delay (exitUnlockTime: longer than the challenge window plus a whole
///           dispute). A stake never grows after join (leave and join again to change it), so no
///           stake can be moved in to make a quorum; it only shrinks by slashing.
///         - The sequencer posts only while it holds MIN_SEQUENCER_BOND (depositBond, anyone may
///           fund it). The bond stays locked until every batch it posted has passed its window
///           and any dispute, and no dispute on its batches is open or undecided.
///         - Validators sign EIP-712 attestations of a batch's commitment; anyone submits them
///           aggregated (attest). A batch whose attestations carry two thirds of the stake that
///           could attest it is final at once, and so is every earlier batch (an attestation
///           says "this batch and all before it re-derive to what L1 holds").
///         - Otherwise a batch is final when its challenge window has passed, unless a dispute is
///           open or undecided on it or on an earlier batch.
///         - An active validator may challenge a batch during its window with MIN_CHALLENGE_BOND;
///           the validators that were active when it opened then vote by commit-reveal, weighted
///           by stake. Two thirds of the eligible stake decide: "wrong" deletes the batch and
///           every later one and slashes the poster's whole bond (REPORTER_SHARE_BPS of it to the
///           challenger, the rest to the treasury); "correct" slashes the challenger's bond (all to
///           the treasury); no quorum leaves the batch undecided: it and every later batch stay
///           unfinal until a quorum of attestations or a new challenge settles it, and the
///           challenger gets its bond back.
///         - An eligible validator that did not reveal a vote loses NON_VOTER_PENALTY_BPS of its
///           stake; one that signed two commitments for one batch index loses all of it.
///         - Every payout (rewards, refunds, the treasury's share) is credited to `owed` and
///           withdrawn by its owner with withdrawOwed: no slashing or resolution ever sends ETH,
///           so no receiver can block or reenter them.
/// @dev Records are keyed by submission (batchKey: a counter), not by batch index, since an
///      index is reused after a deletion: attestations, votes and finality of a batch posted
///      again at the same index start clean.
///
///      Snapshot rule. A validator counts for a batch (attestation) when it joined in an L1 block
///      before the batch's block and had not asked to exit by then; for a dispute, when it joined
///      before the block the challenge opened in and had not asked to exit by then. The total
///      each quorum is measured against is the active stake at that moment, without the stake
///      that joined in that very block: `totalStake` of a batch, `eligibleStake` of a dispute.
///      What counts is the validator's stake when it attests or reveals, never more than then.
contract ValidatorSet is IValidatorSet, EIP712, ReentrancyGuard {
    /// @notice EIP-712 type of an attestation: `commitment` is RollupAnchor.batchCommitment(batchIndex).
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256("Attestation(uint256 batchIndex,bytes32 commitment)");
    /// @notice EIP-712 domain name; the version is "1", the chain id L1's, the verifying contract this one.
    string public constant EIP712_NAME = "ai-rollup ValidatorSet";
    /// @notice EIP-712 domain version.
    string public constant EIP712_VERSION = "1";
    /// @notice Basis points: 10,000 = 100 %.
    uint256 public constant BPS = 10_000;
    /// @notice Share of its stake an eligible validator loses for not revealing a vote: 10 %.
    uint256 public constant NON_VOTER_PENALTY_BPS = 1_000;
    /// @notice Share of a slashed amount paid to whoever proved the fault (the challenger of a
    ///         wrong batch, the reporter of an equivocation or of a non-voter): 50 %. The rest
    ///         goes to the treasury.
    uint256 public constant REPORTER_SHARE_BPS = 5_000;

    /// @notice Smallest stake a validator joins with, in wei.
    uint256 public immutable MIN_STAKE;
    /// @notice Bond the poster of a batch must hold, in wei.
    uint256 public immutable MIN_SEQUENCER_BOND;
    /// @notice Smallest bond a challenge comes with, in wei.
    uint256 public immutable MIN_CHALLENGE_BOND;
    /// @notice Length of a dispute's commit phase, in seconds from the challenge.
    uint256 public immutable COMMIT_PERIOD;
    /// @notice Length of a dispute's reveal phase, in seconds after the commit phase.
    uint256 public immutable REVEAL_PERIOD;
    /// @notice Receives the shares of slashed amounts not paid to a reporter (withdrawOwed).
    address public immutable treasury;

    RollupAnchor private immutable _anchor;

    /// @notice One validator. A zero stake with no exit requested means no validator.
    struct Validator {
        /// Stake in wei; fixed at join, lowered only by slashing.
        uint128 stake;
        /// L1 block of join.
        uint64 joinedBlock;
        /// L1 block of requestExit; zero while active.
        uint64 exitRequestedBlock;
        /// L1 timestamp from which withdrawStake pays out; zero while active.
        uint64 unlockAt;
    }

    /// @notice What the committee keeps per submitted batch (per batchKey).
    struct BatchRecord {
        /// The account whose bond answers for the batch.
        address poster;
        /// Stake that could attest the batch (snapshot at submission). uint96 holds 79 billion ETH.
        uint96 totalStake;
        /// Stake of the validators whose attestation was counted.
        uint128 attestedStake;
        /// Number of validators whose attestation was counted.
        uint64 attestations;
        /// The batch's latest dispute; zero if never challenged.
        uint64 disputeId;
    }

    /// @notice Where a dispute stands.
    enum DisputeStatus {
        None,
        /// Voting; the batch and every later one are not final.
        Open,
        /// Two thirds said the batch is correct: the challenger's bond was slashed.
        Correct,
        /// Two thirds said the batch is wrong: it and every later batch were deleted.
        Wrong,
        /// No two thirds either way: the batch stays unfinal until settled (see contract notice).
        NoQuorum,
        /// An earlier batch was voted wrong and deleted this one: the challenger got its bond back.
        Cancelled
    }

    /// @notice One challenge of one batch.
    struct Dispute {
        uint256 batchIndex;
        uint256 batchKey;
        address challenger;
        uint64 openedBlock;
        uint64 openedAt;
        uint128 bond;
        DisputeStatus status;
        /// Stake that may vote (snapshot when the challenge opened).
        uint128 eligibleStake;
        /// Revealed stake saying the stored commitment is right.
        uint128 correctStake;
        /// Revealed stake saying it is not.
        uint128 wrongStake;
    }

    /// @notice One validator's vote in one dispute.
    struct Vote {
        /// keccak256(abi.encode(batchIndex, claimedCommitment, salt, voter)); zero if none.
        bytes32 commitHash;
        bool revealed;
        bool penalized;
    }

    /// @notice A validator joined with `stake` wei.
    event ValidatorJoined(address indexed validator, uint256 stake);
    /// @notice A validator stopped counting for new batches and disputes; it may withdraw from `unlockAt`.
    event ExitRequested(address indexed validator, uint256 unlockAt);
    /// @notice A validator that had exited took back `amount` wei.
    event StakeWithdrawn(address indexed validator, uint256 amount);
    /// @notice `from` added `amount` wei to `sequencer`'s bond, which is now `bond`.
    event BondDeposited(address indexed sequencer, address indexed from, uint256 amount, uint256 bond);
    /// @notice `sequencer` withdrew `amount` wei of its bond, leaving `bond`.
    event BondWithdrawn(address indexed sequencer, uint256 amount, uint256 bond);
    /// @notice Batch `batchIndex` was submitted by `poster` as submission `batchKey`; `totalStake`
    ///         may attest it. `bondLockedUntil` is the poster's bond lock after it.
    event BatchTracked(uint256 indexed batchIndex, uint256 indexed batchKey, address indexed poster, uint256 totalStake, uint256 bondLockedUntil);
    /// @notice `validator`'s attestation of batch `batchIndex` counted with `stake` wei.
    event Attested(uint256 indexed batchIndex, uint256 indexed batchKey, address indexed validator, uint256 stake);
    /// @notice Batch `batchIndex` reached two thirds of its stake in attestations: it and every
    ///         earlier batch are final unless a dispute on one of them is open or undecided.
    event QuorumReached(uint256 indexed batchIndex, uint256 indexed batchKey, uint256 attestedStake, uint256 totalStake);
    /// @notice `challenger` disputed batch `batchIndex` with `bond` wei; votes are committed
    ///         before `commitDeadline` and revealed before `revealDeadline` (L1 timestamps).
    event ChallengeOpened(
        uint256 indexed batchIndex,
        uint256 indexed disputeId,
        address indexed challenger,
        uint256 bond,
        uint256 eligibleStake,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice `voter` committed a vote in dispute `disputeId`.
    event VoteCommitted(uint256 indexed batchIndex, uint256 indexed disputeId, address indexed voter);
    /// @notice `voter` revealed a vote: the batch is correct (`saysCorrect`) or not, with `stake` wei.
    event VoteRevealed(uint256 indexed batchIndex, uint256 indexed disputeId, address indexed voter, bool saysCorrect, uint256 stake);
    /// @notice Dispute `disputeId` ended with `status` (Correct, Wrong or NoQuorum).
    event DisputeResolved(
        uint256 indexed batchIndex, uint256 indexed disputeId, DisputeStatus status, uint256 correctStake, uint256 wrongStake, uint256 eligibleStake
    );
    /// @notice Dispute `disputeId` ended because batch `batchIndex` was deleted with an earlier one.
    event DisputeCancelled(uint256 indexed batchIndex, uint256 indexed disputeId);
    /// @notice A quorum of attestations settled batch `batchIndex`, undecided since dispute `disputeId`.
    event UndecidedBatchSettled(uint256 indexed batchIndex, uint256 indexed disputeId);
    /// @notice `sequencer` lost `amount` wei of bond for wrong batch `batchIndex`; `reward` went to the challenger.
    event SequencerSlashed(address indexed sequencer, uint256 indexed batchIndex, uint256 amount, uint256 reward);
    /// @notice The challenger of a batch voted correct lost its `bond` to the treasury.
    event ChallengerSlashed(address indexed challenger, uint256 indexed disputeId, uint256 bond);
    /// @notice `validator` lost `amount` wei for not voting in dispute `disputeId`; `reward` went to `reporter`.
    event NonVoterPenalized(address indexed validator, uint256 indexed disputeId, uint256 amount, address reporter, uint256 reward);
    /// @notice `validator` signed `commitmentA` and `commitmentB` for batch `batchIndex` and lost `amount` wei.
    event EquivocationSlashed(
        address indexed validator, uint256 indexed batchIndex, bytes32 commitmentA, bytes32 commitmentB, uint256 amount, address reporter, uint256 reward
    );
    /// @notice `amount` wei became withdrawable by `account` (a reward, a refund or the treasury's share).
    event Credited(address indexed account, uint256 amount);
    /// @notice `account` withdrew the `amount` wei it was owed.
    event OwedWithdrawn(address indexed account, uint256 amount);

    /// @notice The constructor's RollupAnchor was the zero address.
    error ZeroRollupAnchor();
    /// @notice The constructor's treasury was the zero address.
    error ZeroTreasury();
    /// @notice A minimum stake or bond of zero, or a commit or reveal phase of zero seconds.
    error ZeroParameter();
    /// @notice Only the RollupAnchor calls onBatchSubmitted.
    error NotRollupAnchor(address caller);
    /// @notice join() with `value` wei, below MIN_STAKE (`minimum`).
    error StakeBelowMinimum(uint256 value, uint256 minimum);
    /// @notice `account` is already a validator (active, or exited and not withdrawn).
    error AlreadyValidator(address account);
    /// @notice `account` is not an active validator with stake.
    error NotActiveValidator(address account);
    /// @notice `account` has not asked to exit.
    error NotExiting(address account);
    /// @notice The stake can be withdrawn from `unlockAt` on.
    error ExitDelayNotOver(uint256 unlockAt);
    /// @notice A dispute the caller may vote in is open: no exit until it is resolved.
    error DisputeInProgress();
    /// @notice Sending `amount` wei to `to` failed; nothing changed.
    error ETHTransferFailed(address to, uint256 amount);
    /// @notice A deposit of nothing.
    error ZeroAmount();
    /// @notice A bond for the zero address.
    error ZeroSequencer();
    /// @notice `poster` holds `bond` wei of bond, less than MIN_SEQUENCER_BOND (`minimum`).
    error InsufficientSequencerBond(address poster, uint256 bond, uint256 minimum);
    /// @notice Withdrawing `amount` wei from a bond of `bond`.
    error InsufficientBond(uint256 bond, uint256 amount);
    /// @notice The bond answers for batches until `lockedUntil` (L1 timestamp).
    error BondLocked(uint256 lockedUntil);
    /// @notice `count` disputes on the sequencer's batches are open or undecided.
    error BondInDispute(uint256 count);
    /// @notice No batch has index `batchIndex` (RollupAnchor's error, passed through).
    error UnknownBatch(uint256 batchIndex);
    /// @notice attest() without signatures.
    error NoSignatures();
    /// @notice Signature `index` is not a valid secp256k1 signature (length, v or r/s).
    error InvalidSignature(uint256 index);
    /// @notice Signature `index` has an s in the upper half of the curve order (a malleated copy).
    error MalleableSignature(uint256 index);
    /// @notice Signers must be strictly ascending: signature `index` recovers to `signer`, not above `previous`.
    error SignersNotAscending(uint256 index, address previous, address signer);
    /// @notice Signature `index` recovers to `signer`, which may not attest this batch (no
    ///         validator, joined too late, exiting, or a signature over other data).
    error NotEligibleSigner(uint256 index, address signer);
    /// @notice Every signer's attestation was already counted.
    error NothingNewAttested();
    /// @notice challenge() with `value` wei, below MIN_CHALLENGE_BOND (`minimum`).
    error ChallengeBondTooLow(uint256 value, uint256 minimum);
    /// @notice Batch `batchIndex`'s challenge window ended at `deadline`.
    error ChallengeWindowClosed(uint256 batchIndex, uint256 deadline);
    /// @notice Batch `batchIndex` is covered by a quorum of attestations: it cannot be challenged.
    error BatchAlreadyFinal(uint256 batchIndex);
    /// @notice Batch `batchIndex` is being disputed or was voted correct.
    error AlreadyChallenged(uint256 batchIndex);
    /// @notice Batch `batchIndex` has no open dispute.
    error NoOpenDispute(uint256 batchIndex);
    /// @notice Votes are committed before `deadline`.
    error CommitPeriodOver(uint256 deadline);
    /// @notice Votes are revealed from `start` on.
    error RevealPeriodNotStarted(uint256 start);
    /// @notice Votes are revealed before `deadline`.
    error RevealPeriodOver(uint256 deadline);
    /// @notice `voter` may not vote in this dispute (no stake when it opened, joined after, or exiting).
    error NotEligibleVoter(address voter);
    /// @notice A vote hash of zero.
    error ZeroVoteHash();
    /// @notice `voter` already committed a vote.
    error AlreadyCommitted(address voter);
    /// @notice `voter` committed no vote.
    error NotCommitted(address voter);
    /// @notice `voter` already revealed its vote.
    error AlreadyRevealed(address voter);
    /// @notice The revealed commitment and salt do not hash to the committed vote.
    error RevealMismatch(address voter);
    /// @notice The dispute can be resolved from `deadline` on.
    error VotingNotOver(uint256 deadline);
    /// @notice Dispute `disputeId` is not resolved (or was cancelled).
    error DisputeNotResolved(uint256 disputeId);
    /// @notice `validator` revealed a vote in the dispute.
    error VoteWasCast(address validator);
    /// @notice `validator` was already penalized for this dispute.
    error AlreadyPenalized(address validator);
    /// @notice Both signatures sign the same commitment.
    error SameCommitment();
    /// @notice The two signatures come from `signerA` and `signerB`.
    error DifferentSigners(address signerA, address signerB);
    /// @notice `validator` holds no stake.
    error NothingToSlash(address validator);
    /// @notice `account` is owed nothing.
    error NothingOwed(address account);

    mapping(address account => Validator) private _validators;
    /// Stake of validators that have not asked to exit.
    uint256 private _activeStake;
    /// Stake that joined in block _joinBlock: not counted by snapshots taken in that block.
    uint256 private _joinBlock;
    uint256 private _joinedInBlockStake;
    /// Latest end of a challenge window among batches submitted so far.
    uint256 private _latestChallengeDeadline;

    mapping(address sequencer => uint256) private _bond;
    mapping(address sequencer => uint256) private _bondLockedUntil;
    /// Disputes on the sequencer's batches that are open or undecided.
    mapping(address sequencer => uint256) private _unsettledDisputes;
    mapping(address account => uint256) private _owed;

    uint256 private _submissions;
    mapping(uint256 batchIndex => uint256 batchKey) private _batchKeyAt;
    mapping(uint256 batchKey => BatchRecord) private _records;
    mapping(uint256 batchKey => mapping(address validator => bool)) private _attested;
    /// Batch indices with a quorum of attestations, strictly ascending: the last one covers
    /// every batch up to it. Popped when a deletion removes them.
    uint256[] private _quorumIndices;

    uint256 private _disputeCount;
    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(uint256 disputeId => mapping(address voter => Vote)) private _votes;
    uint256 private _openDisputes;
    uint256 private _lastDisputeOpenedBlock;

    /// The batches that block finality (a dispute open or undecided on them), as a list sorted
    /// by index: node = batchIndex + 1, 0 = none. The head is the lowest blocked batch, so
    /// isFinal costs the same however many disputes there are; a deletion cuts the list's tail.
    uint256 private _head;
    uint256 private _tail;
    mapping(uint256 node => uint256) private _nextNode;
    mapping(uint256 node => uint256) private _prevNode;
    mapping(uint256 node => uint256 disputeId) private _nodeDispute;

    /// @param rollupAnchor_ The RollupAnchor whose batches this committee judges.
    /// @param treasury_ Receives the non-reporter share of slashed amounts.
    /// @param minStake MIN_STAKE, in wei (nonzero).
    /// @param minSequencerBond MIN_SEQUENCER_BOND, in wei (nonzero).
    /// @param minChallengeBond MIN_CHALLENGE_BOND, in wei (nonzero).
    /// @param commitPeriod COMMIT_PERIOD, in seconds (nonzero).
    /// @param revealPeriod REVEAL_PERIOD, in seconds (nonzero).
    constructor(
        address rollupAnchor_,
        address treasury_,
        uint256 minStake,
        uint256 minSequencerBond,
        uint256 minChallengeBond,
        uint256 commitPeriod,
        uint256 revealPeriod
    ) EIP712(EIP712_NAME, EIP712_VERSION) {
        if (rollupAnchor_ == address(0)) revert ZeroRollupAnchor();
        if (treasury_ == address(0)) revert ZeroTreasury();
        if (minStake == 0 || minSequencerBond == 0 || minChallengeBond == 0 || commitPeriod == 0 || revealPeriod == 0) {
            revert ZeroParameter();
        }
        _anchor = RollupAnchor(rollupAnchor_);
        treasury = treasury_;
        MIN_STAKE = minStake;
        MIN_SEQUENCER_BOND = minSequencerBond;
        MIN_CHALLENGE_BOND = minChallengeBond;
        COMMIT_PERIOD = commitPeriod;
        REVEAL_PERIOD = revealPeriod;
    }

    // ---------------------------------------------------------------- validators

    /// @notice Joins the committee with msg.value wei of stake (at least MIN_STAKE). The stake
    ///         counts for batches submitted and disputes opened in later L1 blocks. Reverts with
    ///         StakeBelowMinimum, AlreadyValidator.
    function join() external payable {
        if (msg.value < MIN_STAKE) revert StakeBelowMinimum(msg.value, MIN_STAKE);
        Validator storage v = _validators[msg.sender];
        if (v.stake != 0 || v.exitRequestedBlock != 0) revert AlreadyValidator(msg.sender);
        _validators[msg.sender] = Validator({stake: uint128(msg.value), joinedBlock: uint64(block.number), exitRequestedBlock: 0, unlockAt: 0});
        _activeStake += msg.value;
        if (_joinBlock != block.number) {
            _joinBlock = block.number;
            _joinedInBlockStake = 0;
        }
        _joinedInBlockStake += msg.value;
        emit ValidatorJoined(msg.sender, msg.value);
    }

    /// @notice Stops counting for new batches and disputes and starts the exit delay
    ///         (exitUnlockTime). Reverts with NotActiveValidator, or DisputeInProgress while a
    ///         dispute the caller may vote in is open.
    function requestExit() external {
        Validator storage v = _validators[msg.sender];
        if (v.stake == 0 || v.exitRequestedBlock != 0) revert NotActiveValidator(msg.sender);
        if (_inOpenDispute(v)) revert DisputeInProgress();
        uint256 unlockAt = exitUnlockTime();
        _removeActiveStake(v, v.stake);
        v.exitRequestedBlock = uint64(block.number);
        v.unlockAt = uint64(unlockAt);
        emit ExitRequested(msg.sender, unlockAt);
    }

    /// @notice Pays an exited validator its stake once the exit delay is over. Reverts with
    ///         NotExiting, ExitDelayNotOver, ETHTransferFailed.
    function withdrawStake() external nonReentrant {
        Validator memory v = _validators[msg.sender];
        if (v.exitRequestedBlock == 0) revert NotExiting(msg.sender);
        if (block.timestamp < v.unlockAt) revert ExitDelayNotOver(v.unlockAt);
        delete _validators[msg.sender];
        emit StakeWithdrawn(msg.sender, v.stake);
        _send(msg.sender, v.stake);
    }

    /// @notice When an exit requested now could withdraw: after every batch submitted so far has
    ///         passed its window and a whole dispute after it, and at least the current challenge
    ///         window plus a whole dispute (plus one second) from now.
    function exitUnlockTime() public view returns (uint256) {
        uint256 fromNow = block.timestamp + _anchor.challengeWindow();
        uint256 base = fromNow > _latestChallengeDeadline ? fromNow : _latestChallengeDeadline;
        return base + COMMIT_PERIOD + REVEAL_PERIOD + 1;
    }

    // ---------------------------------------------------------------- sequencer bond

    /// @notice Adds msg.value wei to `sequencer`'s bond (anyone may fund it). Reverts with
    ///         ZeroAmount, ZeroSequencer.
    /// @param sequencer The account that posts batches.
    function depositBond(address sequencer) external payable {
        if (msg.value == 0) revert ZeroAmount();
        if (sequencer == address(0)) revert ZeroSequencer();
        uint256 bond = _bond[sequencer] + msg.value;
        _bond[sequencer] = bond;
        emit BondDeposited(sequencer, msg.sender, msg.value, bond);
    }

    /// @notice Withdraws `amount` wei of the caller's bond once it is unlocked: every batch it
    ///         posted is past its window and a whole dispute, and no dispute on its batches is
    ///         open or undecided. Reverts with InsufficientBond, BondLocked, BondInDispute,
    ///         ETHTransferFailed.
    function withdrawBond(uint256 amount) external nonReentrant {
        uint256 bond = _bond[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (amount > bond) revert InsufficientBond(bond, amount);
        if (block.timestamp < _bondLockedUntil[msg.sender]) revert BondLocked(_bondLockedUntil[msg.sender]);
        if (_unsettledDisputes[msg.sender] != 0) revert BondInDispute(_unsettledDisputes[msg.sender]);
        _bond[msg.sender] = bond - amount;
        emit BondWithdrawn(msg.sender, amount, bond - amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc IValidatorSet
    function onBatchSubmitted(uint256 batchIndex, address poster, uint256 challengeDeadline) external {
        if (msg.sender != address(_anchor)) revert NotRollupAnchor(msg.sender);
        uint256 bond = _bond[poster];
        if (bond < MIN_SEQUENCER_BOND) revert InsufficientSequencerBond(poster, bond, MIN_SEQUENCER_BOND);
        uint256 key = ++_submissions;
        _batchKeyAt[batchIndex] = key;
        uint256 totalStake = _snapshotStake();
        _records[key] = BatchRecord({poster: poster, totalStake: uint96(totalStake), attestedStake: 0, attestations: 0, disputeId: 0});
        uint256 lockedUntil = challengeDeadline + COMMIT_PERIOD + REVEAL_PERIOD;
        if (lockedUntil > _bondLockedUntil[poster]) _bondLockedUntil[poster] = lockedUntil;
        else lockedUntil = _bondLockedUntil[poster];
        if (challengeDeadline > _latestChallengeDeadline) _latestChallengeDeadline = challengeDeadline;
        emit BatchTracked(batchIndex, key, poster, totalStake, lockedUntil);
    }

    // ---------------------------------------------------------------- attestations

    /// @notice Counts validators' EIP-712 attestations of batch `batchIndex` (see
    ///         attestationDigest). Anyone may submit them, aggregated. Signers must be strictly
    ///         ascending; each must be a validator that may attest the batch (snapshot rule);
    ///         one already counted for this batch is skipped. Reaching two thirds of the batch's
    ///         totalStake makes it and every earlier batch final (unless a dispute blocks).
    ///         Reverts with UnknownBatch, NoSignatures, InvalidSignature, MalleableSignature,
    ///         SignersNotAscending, NotEligibleSigner, NothingNewAttested.
    /// @param batchIndex The batch.
    /// @param signatures 65-byte signatures (r ‖ s ‖ v) of attestationDigest(batchIndex, commitment).
    function attest(uint256 batchIndex, bytes[] calldata signatures) external {
        RollupAnchor.Batch memory batch = _anchor.getBatch(batchIndex);
        if (signatures.length == 0) revert NoSignatures();
        uint256 key = _batchKeyAt[batchIndex];
        bytes32 digest = attestationDigest(batchIndex, keccak256(abi.encode(batch)));
        address previous = address(0);
        uint256 added = 0;
        uint256 count = 0;
        for (uint256 i = 0; i < signatures.length; ++i) {
            address signer = _recover(digest, signatures[i], i);
            if (signer <= previous) revert SignersNotAscending(i, previous, signer);
            previous = signer;
            Validator storage v = _validators[signer];
            if (!_eligible(v, batch.l1BlockNumber)) revert NotEligibleSigner(i, signer);
            if (_attested[key][signer]) continue;
            _attested[key][signer] = true;
            added += v.stake;
            ++count;
            emit Attested(batchIndex, key, signer, v.stake);
        }
        if (count == 0) revert NothingNewAttested();
        BatchRecord storage record = _records[key];
        uint256 before = record.attestedStake;
        uint256 attested = before + added;
        record.attestedStake = uint128(attested);
        record.attestations += uint64(count);
        if (!_isQuorum(before, record.totalStake) && _isQuorum(attested, record.totalStake)) {
            uint256 n = _quorumIndices.length;
            if (n == 0 || _quorumIndices[n - 1] < batchIndex) _quorumIndices.push(batchIndex);
            emit QuorumReached(batchIndex, key, attested, record.totalStake);
            _settleUndecidedUpTo(batchIndex);
        }
    }

    /// @notice Whether batch `batchIndex` is final: no dispute is open or undecided on it or on an
    ///         earlier batch, and either a quorum of attestations covers it (on it or on a later
    ///         batch) or its challenge window has passed (block.timestamp >= submittedAt +
    ///         challengeWindow). Reverts with UnknownBatch if there is no such batch.
    function isFinal(uint256 batchIndex) external view returns (bool) {
        RollupAnchor.Batch memory batch = _anchor.getBatch(batchIndex);
        if (_head != 0 && _head <= batchIndex + 1) return false;
        if (_coveredByQuorum(batchIndex)) return true;
        return block.timestamp >= uint256(batch.submittedAt) + batch.challengeWindow;
    }

    // ---------------------------------------------------------------- disputes

    /// @notice Disputes batch `batchIndex` with msg.value wei of bond (at least
    ///         MIN_CHALLENGE_BOND). Only an active validator; only during the batch's challenge
    ///         window and while no quorum of attestations covers it, except that an undecided
    ///         batch (NoQuorum) may be challenged again at any time. Reverts with
    ///         NotActiveValidator, ChallengeBondTooLow, UnknownBatch, AlreadyChallenged,
    ///         BatchAlreadyFinal, ChallengeWindowClosed.
    /// @param batchIndex The batch said to be wrong.
    /// @return disputeId The new dispute.
    function challenge(uint256 batchIndex) external payable returns (uint256 disputeId) {
        Validator storage v = _validators[msg.sender];
        if (v.stake == 0 || v.exitRequestedBlock != 0) revert NotActiveValidator(msg.sender);
        if (msg.value < MIN_CHALLENGE_BOND) revert ChallengeBondTooLow(msg.value, MIN_CHALLENGE_BOND);
        RollupAnchor.Batch memory batch = _anchor.getBatch(batchIndex);
        uint256 key = _batchKeyAt[batchIndex];
        BatchRecord storage record = _records[key];
        uint256 node = batchIndex + 1;
        DisputeStatus previous = _disputes[record.disputeId].status;
        bool undecided = previous == DisputeStatus.NoQuorum && _nodeDispute[node] == record.disputeId;
        if (previous == DisputeStatus.Open || previous == DisputeStatus.Correct) revert AlreadyChallenged(batchIndex);
        if (!undecided) {
            if (_coveredByQuorum(batchIndex)) revert BatchAlreadyFinal(batchIndex);
            uint256 deadline = uint256(batch.submittedAt) + batch.challengeWindow;
            if (block.timestamp >= deadline) revert ChallengeWindowClosed(batchIndex, deadline);
        }

        disputeId = ++_disputeCount;
        uint256 eligible = _snapshotStake();
        _disputes[disputeId] = Dispute({
            batchIndex: batchIndex,
            batchKey: key,
            challenger: msg.sender,
            openedBlock: uint64(block.number),
            openedAt: uint64(block.timestamp),
            bond: uint128(msg.value),
            status: DisputeStatus.Open,
            eligibleStake: uint128(eligible),
            correctStake: 0,
            wrongStake: 0
        });
        record.disputeId = uint64(disputeId);
        ++_openDisputes;
        _lastDisputeOpenedBlock = block.number;
        if (!undecided) {
            _insertBlocked(node);
            ++_unsettledDisputes[record.poster];
        }
        _nodeDispute[node] = disputeId;
        emit ChallengeOpened(
            batchIndex, disputeId, msg.sender, msg.value, eligible, block.timestamp + COMMIT_PERIOD, block.timestamp + COMMIT_PERIOD + REVEAL_PERIOD
        );
    }

    /// @notice Commits a vote in the open dispute on batch `batchIndex`, before the commit
    ///         deadline. Only validators eligible for the dispute (snapshot rule). Reverts with
    ///         NoOpenDispute, CommitPeriodOver, NotEligibleVoter, ZeroVoteHash, AlreadyCommitted.
    /// @param voteHash_ voteHash(batchIndex, claimedCommitment, salt, msg.sender).
    function commitVote(uint256 batchIndex, bytes32 voteHash_) external {
        (uint256 disputeId, Dispute storage d) = _openDispute(batchIndex);
        uint256 deadline = uint256(d.openedAt) + COMMIT_PERIOD;
        if (block.timestamp >= deadline) revert CommitPeriodOver(deadline);
        if (!_eligible(_validators[msg.sender], d.openedBlock)) revert NotEligibleVoter(msg.sender);
        if (voteHash_ == bytes32(0)) revert ZeroVoteHash();
        Vote storage vote = _votes[disputeId][msg.sender];
        if (vote.commitHash != bytes32(0)) revert AlreadyCommitted(msg.sender);
        vote.commitHash = voteHash_;
        emit VoteCommitted(batchIndex, disputeId, msg.sender);
    }

    /// @notice Reveals a committed vote during the reveal phase. Claiming the commitment
    ///         RollupAnchor stores (batchCommitment) says "the batch is correct"; anything else
    ///         says "wrong". Counts the voter's current stake. Reverts with NoOpenDispute,
    ///         RevealPeriodNotStarted, RevealPeriodOver, NotCommitted, AlreadyRevealed, RevealMismatch.
    function revealVote(uint256 batchIndex, bytes32 claimedCommitment, bytes32 salt) external {
        (uint256 disputeId, Dispute storage d) = _openDispute(batchIndex);
        uint256 start = uint256(d.openedAt) + COMMIT_PERIOD;
        if (block.timestamp < start) revert RevealPeriodNotStarted(start);
        if (block.timestamp >= start + REVEAL_PERIOD) revert RevealPeriodOver(start + REVEAL_PERIOD);
        Vote storage vote = _votes[disputeId][msg.sender];
        if (vote.commitHash == bytes32(0)) revert NotCommitted(msg.sender);
        if (vote.revealed) revert AlreadyRevealed(msg.sender);
        if (voteHash(batchIndex, claimedCommitment, salt, msg.sender) != vote.commitHash) revert RevealMismatch(msg.sender);
        vote.revealed = true;
        uint256 stake = _validators[msg.sender].stake;
        bool saysCorrect = claimedCommitment == keccak256(abi.encode(_anchor.getBatch(batchIndex)));
        if (saysCorrect) d.correctStake += uint128(stake);
        else d.wrongStake += uint128(stake);
        emit VoteRevealed(batchIndex, disputeId, msg.sender, saysCorrect, stake);
    }

    /// @notice Ends the open dispute on batch `batchIndex` after its reveal deadline. Anyone may
    ///         call it. Two thirds of eligibleStake saying wrong: the batch and every later one
    ///         are deleted (RollupAnchor.BatchesDeleted), the poster's whole bond is slashed
    ///         (REPORTER_SHARE_BPS to the challenger, the rest to the treasury), the challenger's
    ///         bond is refunded, later disputes are cancelled with their bonds refunded. Two
    ///         thirds saying correct: the challenger's bond goes to the treasury. Otherwise
    ///         NoQuorum: the bond is refunded and the batch stays unfinal. Reverts with
    ///         NoOpenDispute, VotingNotOver.
    function resolve(uint256 batchIndex) external {
        (uint256 disputeId, Dispute storage d) = _openDispute(batchIndex);
        uint256 deadline = uint256(d.openedAt) + COMMIT_PERIOD + REVEAL_PERIOD;
        if (block.timestamp < deadline) revert VotingNotOver(deadline);
        --_openDisputes;
        address poster = _records[d.batchKey].poster;
        uint256 node = batchIndex + 1;
        DisputeStatus status;
        if (_isQuorum(d.wrongStake, d.eligibleStake)) {
            status = DisputeStatus.Wrong;
            d.status = status;
            --_unsettledDisputes[poster];
            uint256 slashed = _bond[poster];
            _bond[poster] = 0;
            uint256 reward = (slashed * REPORTER_SHARE_BPS) / BPS;
            _credit(d.challenger, reward + d.bond);
            _credit(treasury, slashed - reward);
            emit SequencerSlashed(poster, batchIndex, slashed, reward);
            _cancelFrom(_nextNode[node]);
            _cutFrom(node);
            while (_quorumIndices.length != 0 && _quorumIndices[_quorumIndices.length - 1] >= batchIndex) _quorumIndices.pop();
            _anchor.deleteBatchesFrom(batchIndex);
        } else if (_isQuorum(d.correctStake, d.eligibleStake)) {
            status = DisputeStatus.Correct;
            d.status = status;
            --_unsettledDisputes[poster];
            _unlink(node);
            _credit(treasury, d.bond);
            emit ChallengerSlashed(d.challenger, disputeId, d.bond);
        } else {
            status = DisputeStatus.NoQuorum;
            d.status = status;
            _credit(d.challenger, d.bond);
        }
        emit DisputeResolved(batchIndex, disputeId, status, d.correctStake, d.wrongStake, d.eligibleStake);
        // Attestations that reached a quorum during the vote settle it now.
        if (status == DisputeStatus.NoQuorum && _coveredByQuorum(batchIndex)) _settleUndecidedUpTo(batchIndex);
    }

    /// @notice Takes NON_VOTER_PENALTY_BPS of the stake of `validator`, which could vote in
    ///         resolved dispute `disputeId` and did not reveal a vote; REPORTER_SHARE_BPS of it
    ///         goes to the caller, the rest to the treasury. Anyone may call it, once per
    ///         validator and dispute. Reverts with DisputeNotResolved, NotEligibleVoter,
    ///         VoteWasCast, AlreadyPenalized.
    function penalizeNonVoter(uint256 disputeId, address validator) external {
        Dispute storage d = _disputes[disputeId];
        DisputeStatus status = d.status;
        if (status != DisputeStatus.Correct && status != DisputeStatus.Wrong && status != DisputeStatus.NoQuorum) {
            revert DisputeNotResolved(disputeId);
        }
        Validator storage v = _validators[validator];
        if (!_eligible(v, d.openedBlock)) revert NotEligibleVoter(validator);
        Vote storage vote = _votes[disputeId][validator];
        if (vote.revealed) revert VoteWasCast(validator);
        if (vote.penalized) revert AlreadyPenalized(validator);
        vote.penalized = true;
        uint256 penalty = (uint256(v.stake) * NON_VOTER_PENALTY_BPS) / BPS;
        uint256 reward = _slash(validator, penalty);
        emit NonVoterPenalized(validator, disputeId, penalty, msg.sender, reward);
    }

    /// @notice Slashes the whole stake of a validator that signed two different commitments for
    ///         batch index `batchIndex`; REPORTER_SHARE_BPS goes to the caller, the rest to the
    ///         treasury. Reverts with SameCommitment, InvalidSignature, MalleableSignature,
    ///         DifferentSigners, NothingToSlash.
    function reportEquivocation(
        uint256 batchIndex,
        bytes32 commitmentA,
        bytes calldata signatureA,
        bytes32 commitmentB,
        bytes calldata signatureB
    ) external {
        if (commitmentA == commitmentB) revert SameCommitment();
        address signerA = _recover(attestationDigest(batchIndex, commitmentA), signatureA, 0);
        address signerB = _recover(attestationDigest(batchIndex, commitmentB), signatureB, 1);
        if (signerA != signerB) revert DifferentSigners(signerA, signerB);
        uint256 stake = _validators[signerA].stake;
        if (stake == 0) revert NothingToSlash(signerA);
        uint256 reward = _slash(signerA, stake);
        emit EquivocationSlashed(signerA, batchIndex, commitmentA, commitmentB, stake, msg.sender, reward);
    }

    /// @notice Pays the caller everything it is owed (rewards, refunds, the treasury's share).
    ///         Reverts with NothingOwed, ETHTransferFailed (nothing changes; retry later).
    function withdrawOwed() external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        emit OwedWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice The RollupAnchor this committee judges.
    function rollupAnchor() external view returns (address) {
        return address(_anchor);
    }

    /// @notice The EIP-712 digest a validator signs to attest batch `batchIndex` with
    ///         `commitment`: keccak256("\x19\x01" ‖ domainSeparator ‖ keccak256(abi.encode(
    ///         ATTESTATION_TYPEHASH, batchIndex, commitment))).
    function attestationDigest(uint256 batchIndex, bytes32 commitment) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, batchIndex, commitment)));
    }

    /// @notice The EIP-712 domain separator (name EIP712_NAME, version "1", L1 chain id, this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The hash a vote is committed as: keccak256(abi.encode(batchIndex, claimedCommitment, salt, voter)).
    function voteHash(uint256 batchIndex, bytes32 claimedCommitment, bytes32 salt, address voter) public pure returns (bytes32) {
        return keccak256(abi.encode(batchIndex, claimedCommitment, salt, voter));
    }

    /// @notice Validator `account` (all zero if none).
    function validatorOf(address account) external view returns (Validator memory) {
        return _validators[account];
    }

    /// @notice Stake of the validators that have not asked to exit, in wei.
    function activeStake() external view returns (uint256) {
        return _activeStake;
    }

    /// @notice `sequencer`'s bond in wei, the L1 time until which it is locked, and the number
    ///         of disputes on its batches that are open or undecided.
    function bondOf(address sequencer) external view returns (uint256 bond, uint256 lockedUntil, uint256 unsettledDisputes) {
        return (_bond[sequencer], _bondLockedUntil[sequencer], _unsettledDisputes[sequencer]);
    }

    /// @notice Wei `account` can withdraw with withdrawOwed.
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @notice Attestations of batch `batchIndex`: how many validators and how much stake were
    ///         counted, the stake that may attest it (`totalStake`), the stake a quorum needs
    ///         (ceil(2 · totalStake / 3); 0 with no stake: no quorum possible), whether a quorum
    ///         covers it (on it or a later batch), and the submission key. Reverts with UnknownBatch.
    function attestationsOf(uint256 batchIndex)
        external
        view
        returns (uint256 attestations, uint256 attestedStake, uint256 totalStake, uint256 stakeNeeded, bool quorum, uint256 batchKey)
    {
        _anchor.getBatch(batchIndex);
        batchKey = _batchKeyAt[batchIndex];
        BatchRecord storage record = _records[batchKey];
        totalStake = record.totalStake;
        stakeNeeded = (2 * totalStake + 2) / 3;
        return (record.attestations, record.attestedStake, totalStake, stakeNeeded, _coveredByQuorum(batchIndex), batchKey);
    }

    /// @notice Whether `validator`'s attestation of batch `batchIndex` was counted. Reverts with UnknownBatch.
    function hasAttested(uint256 batchIndex, address validator) external view returns (bool) {
        _anchor.getBatch(batchIndex);
        return _attested[_batchKeyAt[batchIndex]][validator];
    }

    /// @notice The poster of batch `batchIndex`. Reverts with UnknownBatch.
    function posterOf(uint256 batchIndex) external view returns (address) {
        _anchor.getBatch(batchIndex);
        return _records[_batchKeyAt[batchIndex]].poster;
    }

    /// @notice The latest dispute of batch `batchIndex` (disputeId 0 and an empty Dispute if
    ///         never challenged) and whether it blocks finality (open or undecided). Reverts with UnknownBatch.
    function disputeOf(uint256 batchIndex) external view returns (uint256 disputeId, Dispute memory dispute, bool blocking) {
        _anchor.getBatch(batchIndex);
        disputeId = _records[_batchKeyAt[batchIndex]].disputeId;
        dispute = _disputes[disputeId];
        blocking = disputeId != 0 && _nodeDispute[batchIndex + 1] == disputeId;
    }

    /// @notice Dispute `disputeId` (empty if none).
    function getDispute(uint256 disputeId) external view returns (Dispute memory) {
        return _disputes[disputeId];
    }

    /// @notice `voter`'s vote in dispute `disputeId`.
    function voteOf(uint256 disputeId, address voter) external view returns (Vote memory) {
        return _votes[disputeId][voter];
    }

    /// @notice Number of disputes opened so far (dispute ids run from 1).
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    /// @notice Number of disputes open (voting or waiting for resolve).
    function openDisputes() external view returns (uint256) {
        return _openDisputes;
    }

    /// @notice The lowest batch whose dispute is open or undecided (`blocked` false if none):
    ///         it and every later batch are not final.
    function firstBlockedBatch() external view returns (bool blocked, uint256 batchIndex) {
        return _head == 0 ? (false, 0) : (true, _head - 1);
    }

    /// @notice Number of batches a quorum of attestations covers: batches 0 to this minus one
    ///         (0 if none).
    function quorumCoveredCount() external view returns (uint256) {
        uint256 n = _quorumIndices.length;
        return n == 0 ? 0 : _quorumIndices[n - 1] + 1;
    }

    // ---------------------------------------------------------------- internals

    function _openDispute(uint256 batchIndex) private view returns (uint256 disputeId, Dispute storage d) {
        _anchor.getBatch(batchIndex);
        disputeId = _records[_batchKeyAt[batchIndex]].disputeId;
        d = _disputes[disputeId];
        if (d.status != DisputeStatus.Open) revert NoOpenDispute(batchIndex);
    }

    /// @dev May attest a batch submitted, or vote in a dispute opened, in L1 block `l1Block`.
    function _eligible(Validator storage v, uint256 l1Block) private view returns (bool) {
        return v.stake != 0 && v.joinedBlock < l1Block && (v.exitRequestedBlock == 0 || v.exitRequestedBlock > l1Block);
    }

    /// @dev Conservative: with any dispute open, a validator that joined before the latest one
    ///      opened may be eligible in one of them.
    function _inOpenDispute(Validator storage v) private view returns (bool) {
        return _openDisputes != 0 && v.joinedBlock < _lastDisputeOpenedBlock;
    }

    /// @dev The active stake without what joined in this block (it may not attest or vote here).
    function _snapshotStake() private view returns (uint256) {
        return _joinBlock == block.number ? _activeStake - _joinedInBlockStake : _activeStake;
    }

    function _isQuorum(uint256 stake, uint256 total) private pure returns (bool) {
        return total != 0 && stake * 3 >= total * 2;
    }

    function _coveredByQuorum(uint256 batchIndex) private view returns (bool) {
        uint256 n = _quorumIndices.length;
        return n != 0 && batchIndex <= _quorumIndices[n - 1];
    }

    function _recover(bytes32 digest, bytes calldata signature, uint256 index) private pure returns (address signer) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert MalleableSignature(index);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(index);
        return recovered;
    }

    function _removeActiveStake(Validator storage v, uint256 amount) private {
        _activeStake -= amount;
        if (v.joinedBlock == block.number && _joinBlock == block.number) _joinedInBlockStake -= amount;
    }

    /// @dev Takes `amount` of `validator`'s stake: REPORTER_SHARE_BPS to msg.sender, the rest to the treasury.
    function _slash(address validator, uint256 amount) private returns (uint256 reward) {
        Validator storage v = _validators[validator];
        v.stake -= uint128(amount);
        if (v.exitRequestedBlock == 0) _removeActiveStake(v, amount);
        reward = (amount * REPORTER_SHARE_BPS) / BPS;
        _credit(msg.sender, reward);
        _credit(treasury, amount - reward);
    }

    function _credit(address account, uint256 amount) private {
        if (amount == 0) return;
        _owed[account] += amount;
        emit Credited(account, amount);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert ETHTransferFailed(to, amount);
    }

    /// @dev A quorum of attestations on batch `batchIndex` settles every undecided (NoQuorum)
    ///      batch up to it: two thirds of the stake said they are right, as a vote would have.
    ///      Open disputes are left to their vote.
    function _settleUndecidedUpTo(uint256 batchIndex) private {
        uint256 node = _head;
        while (node != 0 && node <= batchIndex + 1) {
            uint256 next = _nextNode[node];
            uint256 disputeId = _nodeDispute[node];
            Dispute storage d = _disputes[disputeId];
            if (d.status == DisputeStatus.NoQuorum) {
                --_unsettledDisputes[_records[d.batchKey].poster];
                _unlink(node);
                emit UndecidedBatchSettled(d.batchIndex, disputeId);
            }
            node = next;
        }
    }

    /// @dev Inserts a node into the sorted list, searching from the tail (most challenges are of
    ///      recent batches).
    function _insertBlocked(uint256 node) private {
        uint256 before = _tail;
        while (before != 0 && before > node) before = _prevNode[before];
        uint256 after_ = before == 0 ? _head : _nextNode[before];
        _prevNode[node] = before;
        _nextNode[node] = after_;
        if (before == 0) _head = node;
        else _nextNode[before] = node;
        if (after_ == 0) _tail = node;
        else _prevNode[after_] = node;
    }

    function _unlink(uint256 node) private {
        uint256 before = _prevNode[node];
        uint256 after_ = _nextNode[node];
        if (before == 0) _head = after_;
        else _nextNode[before] = after_;
        if (after_ == 0) _tail = before;
        else _prevNode[after_] = before;
        delete _nodeDispute[node];
    }

    /// @dev Cancels the disputes of `node` and every later node (batches being deleted).
    function _cancelFrom(uint256 node) private {
        while (node != 0) {
            uint256 disputeId = _nodeDispute[node];
            Dispute storage d = _disputes[disputeId];
            if (d.status == DisputeStatus.Open) {
                --_openDisputes;
                _credit(d.challenger, d.bond);
            }
            d.status = DisputeStatus.Cancelled;
            --_unsettledDisputes[_records[d.batchKey].poster];
            delete _nodeDispute[node];
            emit DisputeCancelled(d.batchIndex, disputeId);
            node = _nextNode[node];
        }
    }

    /// @dev Drops `node` and every later node from the list.
    function _cutFrom(uint256 node) private {
        uint256 before = _prevNode[node];
        delete _nodeDispute[node];
        _tail = before;
        if (before == 0) _head = 0;
        else _nextNode[before] = 0;
    }
}
