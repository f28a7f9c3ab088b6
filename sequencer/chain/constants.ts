/**
 * Chain-wide constants of the AI rollup's L2. Everything here is part of consensus
 * (changing it changes block hashes or state roots) unless its comment says otherwise.
 */

/** EIP-155 chain id of the L2 (0xa5b8). Not registered on chainlist; pick another with `--chain-id` for a private deployment. */
export const DEFAULT_CHAIN_ID = 42424n

/** Block gas limit in gas. 60M: twice the 2024 mainnet limit, room for ~2,850 plain transfers per block. */
export const DEFAULT_BLOCK_GAS_LIMIT = 60_000_000n

/** Base fee of the first block after genesis, in wei (1 gwei, as Hardhat and Anvil). */
export const INITIAL_BASE_FEE = 1_000_000_000n

/** Fee recipient (coinbase) of sealed blocks unless configured: the OP Stack's sequencer fee vault address. */
export const DEFAULT_FEE_RECIPIENT = '0x4200000000000000000000000000000000000011' as const

/** The mnemonic Hardhat, Anvil and every tutorial use for their 20 dev accounts. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk'

/** Number of dev accounts funded at genesis in dev mode. */
export const DEV_ACCOUNT_COUNT = 20

/** Balance of each dev account at genesis, in wei (10,000 ETH, as Hardhat and Anvil). */
export const DEV_ACCOUNT_BALANCE = 10_000n * 10n ** 18n

/** Timestamp of the genesis block (2026-01-01T00:00:00Z), fixed so every node derives the same genesis hash. */
export const GENESIS_TIMESTAMP = 1_767_225_600n

/** Name reported by web3_clientVersion. */
export const CLIENT_NAME = 'ai-rollup'
