// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test helper: a contract that sends ETH with a plain transfer and bubbles up reverts.
contract EthSender {
    function send(address payable to) external payable {
        (bool ok, bytes memory ret) = to.call{value: msg.value}("");
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
