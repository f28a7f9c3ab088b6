/**
 * The parts of ModelRegistry and InferenceCoordinator a resource node uses, hand-written like the
 * node's other ABI subsets (batcher/abi.ts, validator/abi.ts) and checked against the compiled
 * artifacts by test/worker/abi.test.ts.
 */
import { parseAbi } from 'viem'

/** The InferenceCoordinator predeploy (contracts/L2/InferenceCoordinator.sol): the SDK's constant. */
export { INFERENCE_COORDINATOR } from '@ai-rollup/sdk'

export const registryAbi = parseAbi([
  'struct OffchainModel { address owner; uint64 size; uint32 timeoutSeconds; string name; string inputFormat; string outputFormat; string uri; }',
  'function modelCount() view returns (uint256)',
  'function modelIds(uint256 offset, uint256 limit) view returns (bytes32[])',
  'function modelKind(bytes32 modelId) view returns (uint8)',
  'function getOffchainModel(bytes32 modelId) view returns (OffchainModel)',
])

/** ModelRegistry.modelKind of an off-chain model. */
export const KIND_OFFCHAIN = 2

export const coordinatorAbi = parseAbi([
  'struct NodeInfo { uint256 stake; uint64 exitAt; uint32 openAssignments; bool eligible; bytes32[] models; }',
  'struct Assignment { address requester; address[] nodes; uint64 commitDeadline; uint64 revealDeadline; uint64 finalizableAt; uint256 price; uint32 callbackGasLimit; bool[] committed; bool[] revealed; bytes32[] outputHashes; uint8 phase; }',
  'function MIN_STAKE() view returns (uint256)',
  'function stake() payable',
  'function serve(bytes32 modelId, uint256 price)',
  'function commit(uint256 requestId, bytes32 commitment)',
  'function reveal(uint256 requestId, bytes output, bytes32 salt)',
  'function finalize(uint256 requestId)',
  'function withdraw()',
  'function balanceOf(address account) view returns (uint256)',
  'function getNode(address node) view returns (NodeInfo)',
  'function getOffer(address node, bytes32 modelId) view returns (bool serving, uint256 price)',
  'function getAssignment(uint256 requestId) view returns (Assignment)',
  'function getRequest(uint256 requestId) view returns (uint8 status, bytes output)',
  'event InferenceRequested(uint256 indexed requestId, bytes32 indexed modelId, address indexed requester, bytes input, uint8 redundancy)',
  'event NodesAssigned(uint256 indexed requestId, address[] nodes, uint64 commitDeadline, uint64 revealDeadline)',
  'event InferenceFulfilled(uint256 indexed requestId, bytes output, bool callbackSucceeded)',
  'event InferenceFailed(uint256 indexed requestId, uint8 reason)',
  'event Rewarded(uint256 indexed requestId, address indexed node, uint256 amount)',
  'event Slashed(address indexed node, uint256 indexed requestId, uint256 amount, uint8 reason)',
  'error UnknownRequest(uint256 requestId)',
  'error RequestNotPending(uint256 requestId, uint8 status)',
  'error NotAssigned(uint256 requestId, address node)',
  'error AlreadyCommitted(uint256 requestId, address node)',
  'error CommitPhaseOver(uint256 requestId, uint64 deadline)',
  'error CommitPhaseOpen(uint256 requestId, uint64 deadline)',
  'error NotCommitted(uint256 requestId, address node)',
  'error AlreadyRevealed(uint256 requestId, address node)',
  'error RevealPhaseOver(uint256 requestId, uint64 deadline)',
  'error OutputTooLong(uint256 length, uint256 max)',
  'error BadReveal(uint256 requestId, address node)',
  'error FinalizeTooEarly(uint256 requestId, uint64 at)',
  'error InsufficientGasForCallback(uint256 gasLeft, uint32 callbackGasLimit)',
  'error NothingToWithdraw(address account)',
  'error ZeroAmount()',
  'error NodeExiting(address node, uint256 exitAt)',
  'error StakeBelowMinimum(address node, uint256 stake, uint256 minimum)',
  'error UnknownModel(bytes32 modelId)',
  'error NotOffchainModel(bytes32 modelId)',
  'error PriceTooHigh(uint256 price, uint256 max)',
  'error TooManyModels(address node, uint256 max)',
  'error ModelFull(bytes32 modelId, uint256 max)',
])

/** getAssignment's phase. */
export const Phase = { None: 0, Commit: 1, Reveal: 2, Expired: 3, Settled: 4 } as const

/** Slashed's reason. */
export const SLASH_REASONS: Record<number, string> = { 1: 'a different output than the majority', 2: 'committed without revealing', 3: 'did not commit' }

/** InferenceFailed's reason. */
export const FAILURE_REASONS: Record<number, string> = { 1: 'no agreement', 2: 'timed out' }

/** getRequest's status. */
export const RequestStatus = { None: 0, Pending: 1, Fulfilled: 2, Failed: 3 } as const
