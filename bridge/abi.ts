/**
 * The parts of the bridge contracts' ABI the node and the bridge CLI use, written out so neither
 * depends on Hardhat's build artifacts at run time (they must match contracts/L1/L1Bridge.sol and
 * contracts/L2/L2Bridge.sol; the bridge tests run them against the compiled contracts, so a
 * mismatch fails there).
 */
import { parseAbi } from 'viem'

export const l1BridgeAbi = parseAbi([
  'event DepositInitiated(uint256 indexed nonce, address indexed l1Token, address indexed from, address to, uint256 amount, bytes tokenMetadata)',
  'event WithdrawalFinalized(bytes32 indexed withdrawalHash, uint256 indexed nonce, address indexed l1To, address l1Token, uint256 amount)',
  'function depositETH(address to) payable returns (uint256 nonce)',
  'function depositERC20(address l1Token, address to, uint256 amount) returns (uint256 nonce)',
  'function finalizeWithdrawal(uint256 batchIndex, uint256 nonce, address l2Sender, address l1To, address l1Token, uint256 amount, bytes32[] proof)',
  'function lockedBalance(address l1Token) view returns (uint256)',
  'function isWithdrawalFinalized(bytes32 withdrawalHash) view returns (bool)',
  'function nextDepositNonce() view returns (uint256)',
  'function withdrawalHash(uint256 nonce, address l2Sender, address l1To, address l1Token, uint256 amount) pure returns (bytes32)',
  'function rollupAnchor() view returns (address)',
  'function paused() view returns (bool)',
  'error ZeroAmount()',
  'error ZeroRecipient()',
  'error ZeroToken()',
  'error NothingReceived(address l1Token)',
  'error UnknownBatch(uint256 batchIndex)',
  'error BatchNotFinal(uint256 batchIndex)',
  'error InvalidWithdrawalProof()',
  'error WithdrawalAlreadyFinalized(bytes32 withdrawalHash)',
  'error InsufficientLockedBalance(address l1Token, uint256 locked, uint256 amount)',
  'error ETHTransferFailed(address to, uint256 amount)',
  'error EnforcedPause()',
  'error SafeERC20FailedOperation(address token)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
])

export const l2BridgeAbi = parseAbi([
  'event DepositFinalized(uint256 indexed depositNonce, address indexed l1Token, address indexed to, address from, address l2Token, uint256 amount)',
  'event WithdrawalInitiated(uint256 indexed nonce, address indexed l2Sender, address indexed l1To, address l1Token, uint256 amount, bytes32 withdrawalHash)',
  'function finalizeDeposit(uint256 depositNonce, address l1Token, address from, address to, uint256 amount, bytes tokenMetadata) payable',
  'function withdrawETH(address l1To) payable returns (uint256 nonce)',
  'function withdrawERC20(address l2Token, address l1To, uint256 amount) returns (uint256 nonce)',
  'function l2TokenFor(address l1Token) view returns (address)',
  'function l1TokenOf(address l2Token) view returns (address)',
  'function depositProcessed(uint256 depositNonce) view returns (bool)',
  'function heldETH(address account) view returns (uint256)',
  'function nextWithdrawalNonce() view returns (uint256)',
  'function totalETHDeposited() view returns (uint256)',
  'function totalETHWithdrawn() view returns (uint256)',
  'function totalETHHeld() view returns (uint256)',
  'error ZeroAmount()',
  'error ZeroRecipient()',
  'error UnknownL2Token(address l2Token)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
])

/** The ERC-20 calls the CLI makes (balances, approvals, test-token minting). */
export const erc20Abi = parseAbi([
  'function balanceOf(address account) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function totalSupply() view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function name() view returns (string)',
  'function mint(address to, uint256 amount)',
])
