/**
 * Genesis: a geth-style genesis file (config.chainId, timestamp, gasLimit, baseFeePerGas, alloc)
 * turned into the state trie and block 0. The default file, genesis.dev.json, funds the 20 accounts
 * of the well-known test mnemonic as Hardhat and Anvil do; `npm run genesis` regenerates it.
 */
import { readFileSync } from 'node:fs'
import { createBlockHeader, type BlockHeader } from '@ethereumjs/block'
import { Account, Address, hexToBytes, setLengthLeft, type PrefixedHexString } from '@ethereumjs/util'
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'

export interface GenesisAccount {
  balance: PrefixedHexString
  nonce?: PrefixedHexString
  code?: PrefixedHexString
  storage?: Record<PrefixedHexString, PrefixedHexString>
}

export interface GenesisFile {
  config: { chainId: number }
  timestamp: PrefixedHexString
  gasLimit: PrefixedHexString
  baseFeePerGas: PrefixedHexString
  extraData?: PrefixedHexString
  alloc: Record<PrefixedHexString, GenesisAccount>
}

export const DEFAULT_GENESIS_PATH = new URL('./genesis.dev.json', `file://${__filename}`).pathname

export function readGenesis(path: string): GenesisFile {
  const genesis = JSON.parse(readFileSync(path, 'utf8')) as GenesisFile
  const chainId = genesis.config?.chainId
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new Error(`genesis ${path}: config.chainId must be a positive integer`)
  for (const field of ['timestamp', 'gasLimit', 'baseFeePerGas'] as const) {
    if (typeof genesis[field] !== 'string' || !/^0x[0-9a-f]+$/i.test(genesis[field])) throw new Error(`genesis ${path}: ${field} must be a hex quantity`)
  }
  return genesis
}

/** Writes the genesis allocation into `state` and returns block 0's header (state root included). */
export async function applyGenesis(genesis: GenesisFile, state: MerkleStateManager, common: Common): Promise<BlockHeader> {
  for (const [address, account] of Object.entries(genesis.alloc)) {
    const addr = new Address(hexToBytes(address as PrefixedHexString))
    await state.putAccount(addr, new Account(BigInt(account.nonce ?? 0), BigInt(account.balance)))
    if (account.code !== undefined) await state.putCode(addr, hexToBytes(account.code))
    for (const [slot, value] of Object.entries(account.storage ?? {})) {
      await state.putStorage(addr, setLengthLeft(hexToBytes(slot as PrefixedHexString), 32), hexToBytes(value))
    }
  }
  const stateRoot = await state.getStateRoot()
  return createBlockHeader(
    {
      number: 0n,
      timestamp: BigInt(genesis.timestamp),
      gasLimit: BigInt(genesis.gasLimit),
      baseFeePerGas: BigInt(genesis.baseFeePerGas),
      extraData: hexToBytes(genesis.extraData ?? '0x'),
      stateRoot,
    },
    { common },
  )
}
