/**
 * Writes sequencer/chain/genesis.dev.json: the dev chain's genesis (chain id, gas limit, base fee,
 * and 10,000 ETH for each of the test mnemonic's 20 accounts). Run with `npm run genesis`.
 */
import { writeFileSync } from 'node:fs'
import { toHex } from 'viem'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_CHAIN_ID, DEV_ACCOUNT_BALANCE, GENESIS_TIMESTAMP, INITIAL_BASE_FEE } from '../sequencer/chain/constants.ts'
import { DEFAULT_GENESIS_PATH, type GenesisFile } from '../sequencer/chain/genesis.ts'

const genesis: GenesisFile = {
  config: { chainId: Number(DEFAULT_CHAIN_ID) },
  timestamp: toHex(GENESIS_TIMESTAMP),
  gasLimit: toHex(DEFAULT_BLOCK_GAS_LIMIT),
  baseFeePerGas: toHex(INITIAL_BASE_FEE),
  extraData: '0x',
  alloc: Object.fromEntries(devAccounts().map((a) => [a.address, { balance: toHex(DEV_ACCOUNT_BALANCE) }])),
}
writeFileSync(DEFAULT_GENESIS_PATH, JSON.stringify(genesis, null, 2) + '\n')
console.log(`wrote ${DEFAULT_GENESIS_PATH}`)
