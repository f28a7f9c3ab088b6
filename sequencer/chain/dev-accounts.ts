/**
 * The 20 dev accounts of the test mnemonic, derived once (BIP-32, m/44'/60'/0'/0/i) exactly as
 * Hardhat and Anvil derive them. Used by genesis generation, eth_accounts and dev-mode signing.
 */
import { mnemonicToSeedSync } from '@scure/bip39'
import { HDKey, privateKeyToAddress } from 'viem/accounts'
import { bytesToHex, type Hex, type Address } from 'viem'
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC } from './constants.ts'

export interface DevAccount {
  address: Address
  privateKey: Hex
}

let cached: DevAccount[] | undefined

export function devAccounts(): DevAccount[] {
  if (cached !== undefined) return cached
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC))
  cached = Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => {
    const key = root.derive(`m/44'/60'/0'/0/${i}`).privateKey
    if (key === null) throw new Error('dev account derivation failed')
    const privateKey = bytesToHex(key)
    return { address: privateKeyToAddress(privateKey), privateKey }
  })
  return cached
}
