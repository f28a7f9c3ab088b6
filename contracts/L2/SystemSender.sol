// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SystemSender
/// @notice The L2 account the node signs its own transactions with: L1 deposits (L2Bridge.
///         finalizeDeposit) and hashes anchored over HTTP (DataAnchor.anchor) enter L2 blocks as
///         ordinary signed transactions from this address, so a node rebuilding the chain from L1
///         re-executes them like any other transaction.
/// @dev The private key is public by design, keccak256("ai-rollup/system-sender/v1"): anyone can
///      derive it. What makes the address trustworthy is the node's mempool, which refuses every
///      transaction from it that the node did not create itself. A contract that trusts
///      `msg.sender == SystemSender.ADDRESS` therefore trusts the sequencer.
library SystemSender {
    /// @notice Address of keccak256("ai-rollup/system-sender/v1") as a secp256k1 private key.
    address internal constant ADDRESS = 0x4ea248b2bEfB8cB0fd16c8C8C73433F9a1b46a0C;
}
