/**
 * Writes sequencer/chain/genesis.dev.json: the dev chain's genesis (chain id, gas limit, base fee,
 * 10,000 ETH for each of the test mnemonic's 20 accounts, and the predeploys' runtime code from
 * the Hardhat artifacts). Run with `npm run genesis` (which compiles first).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toHex } from 'viem'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_CHAIN_ID, DEV_ACCOUNT_BALANCE, GENESIS_TIMESTAMP, INITIAL_BASE_FEE } from '../sequencer/chain/constants.ts'
import { DEFAULT_GENESIS_PATH, type GenesisAccount, type GenesisFile } from '../sequencer/chain/genesis.ts'
import { DATA_ANCHOR, DATASET_REGISTRY, INFERENCE_COORDINATOR, L2_BRIDGE, MODEL_REGISTRY } from '../precompiles/addresses.ts'

/** Predeploys: address → contract (artifact path under artifacts/contracts). Their storage starts empty; none has a constructor to run. */
const PREDEPLOYS: Record<string, string> = {
  [MODEL_REGISTRY]: 'L2/ModelRegistry.sol/ModelRegistry.json',
  [DATA_ANCHOR]: 'L2/DataAnchor.sol/DataAnchor.json',
  [L2_BRIDGE]: 'L2/L2Bridge.sol/L2Bridge.json',
  [INFERENCE_COORDINATOR]: 'L2/InferenceCoordinator.sol/InferenceCoordinator.json',
  [DATASET_REGISTRY]: 'L2/DatasetRegistry.sol/DatasetRegistry.json',
}

function predeploy(artifact: string): GenesisAccount {
  const path = join(__dirname, '..', 'artifacts', 'contracts', artifact)
  const { deployedBytecode } = JSON.parse(readFileSync(path, 'utf8')) as { deployedBytecode: `0x${string}` }
  // nonce 1, as EIP-161 gives contracts
  return { balance: '0x0', nonce: '0x1', code: deployedBytecode }
}

const genesis: GenesisFile = {
  config: { chainId: Number(DEFAULT_CHAIN_ID) },
  timestamp: toHex(GENESIS_TIMESTAMP),
  gasLimit: toHex(DEFAULT_BLOCK_GAS_LIMIT),
  baseFeePerGas: toHex(INITIAL_BASE_FEE),
  extraData: '0x',
  alloc: {
    ...Object.fromEntries(devAccounts().map((a) => [a.address, { balance: toHex(DEV_ACCOUNT_BALANCE) }])),
    ...Object.fromEntries(Object.entries(PREDEPLOYS).map(([address, artifact]) => [address, predeploy(artifact)])),
  },
}
writeFileSync(DEFAULT_GENESIS_PATH, JSON.stringify(genesis, null, 2) + '\n')
console.log(`wrote ${DEFAULT_GENESIS_PATH}`)
