/**
 * The bridge from the command line: deposits on L1, withdrawals on L2, and paying a withdrawal
 * out on L1 once its batch is final.
 *
 *   npm run bridge -- <command> [arguments] [--l1-rpc URL] [--l2-rpc URL] [--deployments FILE] [--key 0x…] [--json]
 *
 *   deploy-token [--name N] [--symbol S] [--decimals 18] [--mint 1000000]  a test ERC-20 on L1, minted to you
 *   deposit-eth <amount> [--to 0x…] [--wait]                 L1Bridge.depositETH
 *   deposit-erc20 <l1Token> <amount> [--to 0x…] [--wait]     approve (if needed) + L1Bridge.depositERC20
 *   deposit-status <nonce>                                   what the L2 node made of a deposit
 *   withdraw-eth <amount> [--to 0x…]                         L2Bridge.withdrawETH on L2
 *   withdraw-erc20 <token> <amount> [--to 0x…]               L2Bridge.withdrawERC20 (L1 or L2 token address)
 *   status <l2TxHash>                                        where a withdrawal stands, when it is claimable
 *   prove <l2TxHash>                                         the node's proof (bridge_getWithdrawalProof) as JSON
 *   finalize <l2TxHash> [--wait]                             L1Bridge.finalizeWithdrawal with that proof
 *   balances [--account 0x…] [--token 0x…]                   ETH (and a token) on L1 and L2
 *
 * Amounts are in whole units (1.5 ETH, 100 USDC), converted with the token's decimals. The key
 * comes from --key or the environment variable BRIDGE_PRIVATE_KEY; without either, the dev
 * account #0 of the test mnemonic is used (the same address on the embedded L1 and the dev L2;
 * a public key, never for real funds). Exit codes: 0 done, 1 failed (revert, not claimable yet,
 * unknown transaction), 2 usage error or an endpoint down.
 *
 * The node's proof is not trusted: L1Bridge checks it against the batch's withdrawal root on
 * RollupAnchor, and the L1 addresses come from the deployments file, not from the node. The
 * bridge logic is the SDK's (sdk/src/bridge.ts); this file is the command line around it.
 */
import { parseArgs } from 'node:util'
import { erc20Abi, formatUnits, getAddress, isAddress, isHash, parseUnits, zeroAddress, type Address, type Hex, type PublicClient } from 'viem'
import {
  BridgeError,
  connectBridge,
  ConnectionError,
  depositERC20,
  depositETH,
  DEVNET_L1_RPC_URL,
  DEVNET_L2_RPC_URL,
  finalizeWithdrawal,
  getDepositStatus,
  getWithdrawalProof,
  InvalidArgumentError,
  isoTime,
  L2_BRIDGE,
  l1BridgeAbi,
  l2BridgeAbi,
  resolveL2Token,
  sendOrExplain,
  successfulReceipt,
  waitForDeposit,
  withdrawERC20,
  withdrawETH,
  type BridgeClients,
  type L1Deployments,
} from '@ai-rollup/sdk'
import { DEVNET_DEPLOYMENTS_PATH, readDeployments } from '@ai-rollup/sdk/node'
import { ANVIL_PRIVATE_KEYS } from './lib/anvil.ts'
import { readArtifact } from './lib/deploy-l1.ts'

/** Dev account #0 of the test mnemonic: funded on the embedded L1 (Anvil) and in the dev L2 genesis. */
export const DEV_KEY = ANVIL_PRIVATE_KEYS[0]

/** The command line is wrong or an endpoint cannot be reached; exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface BridgeClientOptions {
  l1RpcUrl?: string
  l2RpcUrl?: string
  deploymentsPath?: string
  /** Also accepted: the deployments themselves (tests). */
  deployments?: L1Deployments
  privateKey?: Hex
  /** Receipt polling interval, in ms. */
  pollingIntervalMs?: number
}

/**
 * The SDK's connectBridge with the CLI's defaults: the devnet's deployments file and dev account #0.
 * @example
 * const c = await connect({ l1RpcUrl: 'http://127.0.0.1:8545', l2RpcUrl: 'http://127.0.0.1:9545' })
 */
export async function connect(opts: BridgeClientOptions = {}): Promise<BridgeClients> {
  try {
    const deployments = opts.deployments ?? readDeployments(opts.deploymentsPath ?? DEVNET_DEPLOYMENTS_PATH)
    return await connectBridge({ ...opts, deployments, account: opts.privateKey ?? DEV_KEY })
  } catch (err) {
    if (err instanceof InvalidArgumentError || err instanceof ConnectionError) throw new UsageError(err.message)
    throw err
  }
}

// ---- test token ----

/** Deploys contracts/test/TestToken.sol on L1 and mints `mint` base units to the caller. */
export async function deployTestToken(c: BridgeClients, p: { name?: string; symbol?: string; decimals?: number; mint?: bigint } = {}): Promise<{ address: Address; txHash: Hex; minted: bigint; decimals: number }> {
  const artifact = readArtifact('test/TestToken.sol/TestToken.json')
  if (artifact === undefined) throw new UsageError('TestToken is not compiled: run `npx hardhat compile`')
  const decimals = p.decimals ?? 18
  const name = p.name ?? `Test Token ${decimals}`
  const symbol = p.symbol ?? `TT${decimals}`
  const txHash = await sendOrExplain('deploying TestToken', () => c.l1Wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [name, symbol, decimals] }))
  const receipt = await successfulReceipt(c.l1, txHash, 'deploying TestToken')
  const address = getAddress(receipt.contractAddress!)
  const minted = p.mint ?? parseUnits('1000000', decimals)
  const mintHash = await sendOrExplain('TestToken.mint', () => c.l1Wallet.writeContract({ address, abi: artifact.abi, functionName: 'mint', args: [c.account.address, minted] }))
  await successfulReceipt(c.l1, mintHash, 'TestToken.mint')
  return { address, txHash, minted, decimals }
}

/** "1.5 ETH", "40 USDC (0x…)", or base units when the token does not say its decimals. */
async function describeAmount(c: BridgeClients, l1Token: Address, amount: bigint): Promise<string> {
  if (l1Token === zeroAddress) return `${formatUnits(amount, 18)} ETH`
  try {
    const [decimals, symbol] = await Promise.all([
      c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'decimals' }),
      c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'symbol' }),
    ])
    return `${formatUnits(amount, decimals)} ${symbol} (${l1Token})`
  } catch {
    return `${amount} base units of ${l1Token}`
  }
}

/** The token's symbol, or 'tokens' when it has none (symbol() is optional in ERC-20). */
async function tokenSymbol(client: PublicClient, token: Address): Promise<string> {
  return client.readContract({ address: token, abi: erc20Abi, functionName: 'symbol' }).catch(() => 'tokens')
}

// ---- command line ----

const USAGE = `usage: npm run bridge -- <command> [arguments] [options]
commands:
  deploy-token [--name N] [--symbol S] [--decimals 18] [--mint 1000000]   deploy a test ERC-20 on L1, minted to you
  deposit-eth <amount> [--to 0x…] [--wait]               deposit ETH on L1 (whole ETH, e.g. 1.5)
  deposit-erc20 <l1Token> <amount> [--to 0x…] [--wait]   approve + deposit an ERC-20 on L1 (whole tokens)
  deposit-status <nonce>                                 what the L2 node made of a deposit
  withdraw-eth <amount> [--to 0x…]                       withdraw ETH on L2 to L1
  withdraw-erc20 <token> <amount> [--to 0x…]             withdraw a bridged token on L2 (its L1 or L2 address)
  status <l2TxHash>                                      where a withdrawal stands and when it is claimable
  prove <l2TxHash>                                       the node's proof and finalizeWithdrawal arguments (JSON)
  finalize <l2TxHash> [--wait]                           pay a withdrawal out on L1 (--wait: until its batch is final)
  balances [--account 0x…] [--token 0x…]                 ETH, and a token, on L1 and L2
options:
  --l1-rpc <url>          L1 JSON-RPC (default ${DEVNET_L1_RPC_URL})
  --l2-rpc <url>          L2 node JSON-RPC (default ${DEVNET_L2_RPC_URL})
  --deployments <file>    L1 deployments file (default ${DEVNET_DEPLOYMENTS_PATH})
  --key <0x…>             private key (or env BRIDGE_PRIVATE_KEY; default: dev account #0, a public test key)
  --json                  print results as JSON
exit codes: 0 done, 1 failed, 2 usage error or an endpoint down`

const ARGS = {
  'deploy-token': 0,
  'deposit-eth': 1,
  'deposit-erc20': 2,
  'deposit-status': 1,
  'withdraw-eth': 1,
  'withdraw-erc20': 2,
  status: 1,
  prove: 1,
  finalize: 1,
  balances: 0,
} as const

type Command = keyof typeof ARGS

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'l1-rpc': { type: 'string' },
        'l2-rpc': { type: 'string' },
        deployments: { type: 'string' },
        key: { type: 'string' },
        to: { type: 'string' },
        token: { type: 'string' },
        account: { type: 'string' },
        name: { type: 'string' },
        symbol: { type: 'string' },
        decimals: { type: 'string' },
        mint: { type: 'string' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help === true || positionals.length === 0) {
    out(USAGE)
    return values.help === true ? 0 : 2
  }
  const [command, ...args] = positionals
  const json = values.json === true
  const print = (human: string[], data: unknown) => (json ? out(JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)) : human.forEach((l) => out(l)))
  try {
    if (!(command in ARGS)) throw new UsageError(`unknown command ${command}`)
    if (args.length !== ARGS[command as Command]) throw new UsageError(`${command} takes ${ARGS[command as Command]} argument(s), got ${args.length}`)
    const key = values.key ?? process.env.BRIDGE_PRIVATE_KEY
    if (key !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('the key must be 0x and 32 bytes of hex')
    const address = (flag: string, v: string | undefined): Address | undefined => {
      if (v === undefined) return undefined
      if (!isAddress(v, { strict: false })) throw new UsageError(`${flag} must be an address, got ${v}`)
      return getAddress(v)
    }
    const to = address('--to', values.to)
    const c = await connect({ l1RpcUrl: values['l1-rpc'], l2RpcUrl: values['l2-rpc'], deploymentsPath: values.deployments, privateKey: key as Hex | undefined })
    if (key === undefined && !json) err(`using dev account #0 ${c.account.address} (public test key; --key or BRIDGE_PRIVATE_KEY for another)`)
    const txHashArg = (v: string): Hex => {
      if (!isHash(v)) throw new UsageError(`expected an L2 transaction hash (0x and 32 bytes), got ${v}`)
      return v
    }
    const amountArg = (v: string, decimals: number): bigint => {
      try {
        const n = parseUnits(v, decimals)
        if (n <= 0n) throw new Error('not positive')
        return n
      } catch {
        throw new UsageError(`the amount must be a positive number with at most ${decimals} decimals, got ${v}`)
      }
    }
    /** Prints a deposit; with --wait first waits for the L2 block that includes it (exit 1 if it failed there). */
    const reportDeposit = async (human: string[], r: { nonce: bigint }): Promise<number> => {
      if (values.wait !== true) {
        print([...human, `  follow it: npm run bridge -- deposit-status ${r.nonce}`], r)
        return 0
      }
      const s = await waitForDeposit(c, r.nonce, undefined, () => !json && err(`waiting for deposit ${r.nonce} to reach L2 (L1 confirmations first)…`))
      human.push(s.status === 'included' ? `  on L2 in block ${s.l2!.blockNumber} (tx ${s.l2!.txHash})` : `  FAILED on L2 (tx ${s.l2!.txHash}): see bridge_getStatus`)
      print(human, { ...r, l2: s })
      return s.status === 'included' ? 0 : 1
    }

    switch (command as Command) {
      case 'deploy-token': {
        const decimals = values.decimals === undefined ? 18 : Number(values.decimals)
        if (!Number.isInteger(decimals) || decimals < 0 || decimals > 255) throw new UsageError('--decimals must be 0..255')
        const r = await deployTestToken(c, { name: values.name, symbol: values.symbol, decimals, mint: values.mint === undefined ? undefined : amountArg(values.mint, decimals) })
        print([`TestToken (${decimals} decimals) deployed on L1 at ${r.address}`, `  minted ${formatUnits(r.minted, decimals)} to ${c.account.address}`, `  next: npm run bridge -- deposit-erc20 ${r.address} 100 --wait`], r)
        return 0
      }
      case 'deposit-eth': {
        const r = await depositETH(c, { amount: amountArg(args[0], 18), to })
        return reportDeposit([`deposited ${formatUnits(r.amount, 18)} ETH for ${r.to} on L2: deposit nonce ${r.nonce}, L1 tx ${r.l1TxHash} (block ${r.l1BlockNumber})`], r)
      }
      case 'deposit-erc20': {
        const token = address('token', args[0])!
        const decimals = await c.l1.readContract({ address: token, abi: erc20Abi, functionName: 'decimals' }).catch(() => 18)
        const r = await depositERC20(c, { token, amount: amountArg(args[1], decimals), to })
        const human = [
          `deposited ${formatUnits(r.amount, decimals)} ${await tokenSymbol(c.l1, token)} (${token}) for ${r.to} on L2: deposit nonce ${r.nonce}, L1 tx ${r.l1TxHash}${r.approveTxHash ? ` (approved in ${r.approveTxHash})` : ''}`,
          `  L2 token: ${r.l2Token}`,
        ]
        return reportDeposit(human, r)
      }
      case 'deposit-status': {
        if (!/^\d+$/.test(args[0])) throw new UsageError(`the nonce must be a whole number, got ${args[0]}`)
        const nonce = BigInt(args[0])
        const s = await getDepositStatus(c, nonce)
        if (s === null) {
          const next = await c.l1.readContract({ address: c.deployments.l1Bridge, abi: l1BridgeAbi, functionName: 'nextDepositNonce' })
          print([nonce < next ? `deposit ${nonce} is on L1; the L2 node has not read it yet (it waits for L1 confirmations)` : `there is no deposit ${nonce} on L1 (${next} so far)`], { nonce, status: nonce < next ? 'unconfirmed' : 'unknown' })
          return nonce < next ? 0 : 1
        }
        print([`deposit ${nonce}: ${s.status}${s.l2 === null ? '' : ` in L2 block ${s.l2.blockNumber} (tx ${s.l2.txHash})`}${s.l2?.l2Token ? `, L2 token ${s.l2.l2Token}` : ''}`], s)
        return s.status === 'failed' ? 1 : 0
      }
      case 'withdraw-eth': {
        const r = await withdrawETH(c, { amount: amountArg(args[0], 18), to })
        print([`withdrew ${formatUnits(r.amount, 18)} ETH to ${r.l1To} on L1: L2 tx ${r.l2TxHash} (withdrawal nonce ${r.nonce})`, `  next: npm run bridge -- status ${r.l2TxHash}`], r)
        return 0
      }
      case 'withdraw-erc20': {
        const token = address('token', args[0])!
        const l2Token = await resolveL2Token(c, token)
        const decimals = await c.l2.readContract({ address: l2Token, abi: erc20Abi, functionName: 'decimals' })
        const r = await withdrawERC20(c, { token: l2Token, amount: amountArg(args[1], decimals), to })
        print([`withdrew ${formatUnits(r.amount, decimals)} ${await tokenSymbol(c.l2, l2Token)} (L2 token ${l2Token}, L1 ${r.l1Token}) to ${r.l1To}: L2 tx ${r.l2TxHash} (withdrawal nonce ${r.nonce})`, `  next: npm run bridge -- status ${r.l2TxHash}`], r)
        return 0
      }
      case 'status': {
        const p = await getWithdrawalProof(c, txHashArg(args[0]))
        const head = await c.l1.getBlock({ blockTag: 'latest' })
        const lines = [`L2 tx ${p.txHash} (block ${p.blockNumber}): ${p.withdrawals.length} withdrawal(s)`]
        for (const w of p.withdrawals) {
          lines.push(`  withdrawal ${w.nonce}: ${await describeAmount(c, w.l1Token as Address, BigInt(w.amount))} to ${w.l1To}: ${w.status.toUpperCase()}`)
          if (w.status === 'pending') lines.push('    not in a posted batch yet; the batcher posts it shortly')
          if (w.status === 'posted') {
            const left = w.claimableAt! - Number(head.timestamp)
            lines.push(`    in batch ${w.batchIndex}; claimable from ${isoTime(w.claimableAt!)} (L1 time${left > 0 ? `, in ${left} s` : ''})`)
            lines.push(`    then: npm run bridge -- finalize ${p.txHash}   (or now with --wait)`)
          }
          if (w.status === 'final') lines.push(`    in batch ${w.batchIndex}, final: npm run bridge -- finalize ${p.txHash}`)
          if (w.status === 'finalized') lines.push('    paid out on L1')
        }
        print(lines, p)
        return 0
      }
      case 'prove': {
        out(JSON.stringify(await getWithdrawalProof(c, txHashArg(args[0])), null, 2))
        return 0
      }
      case 'finalize': {
        const results = await finalizeWithdrawal(c, txHashArg(args[0]), { wait: values.wait === true, onWait: (line) => !json && err(`waiting: ${line}`) })
        print(
          results.flatMap((r) => [
            r.alreadyFinalized
              ? `withdrawal ${r.nonce} of L2 tx ${r.l2TxHash} was already paid out on L1`
              : `finalized withdrawal ${r.nonce} of L2 tx ${r.l2TxHash} on L1: L1 tx ${r.l1TxHash} (gas ${r.gasUsed}, fee ${formatUnits(r.feeWei!, 18)} ETH)`,
            `  withdrawal hash ${r.withdrawalHash}`,
          ]),
          results,
        )
        return 0
      }
      case 'balances': {
        const who = address('--account', values.account) ?? c.account.address
        const [l1Eth, l2Eth] = await Promise.all([c.l1.getBalance({ address: who }), c.l2.getBalance({ address: who })])
        const lines = [`${who}`, `  ETH   L1 ${formatUnits(l1Eth, 18)}   L2 ${formatUnits(l2Eth, 18)}`]
        const data: Record<string, unknown> = { account: who, eth: { l1: l1Eth, l2: l2Eth } }
        const token = address('--token', values.token)
        if (token !== undefined) {
          const l2Token = await resolveL2Token(c, token).catch(() => undefined)
          const l1Token = l2Token === token ? await c.l2.readContract({ address: L2_BRIDGE, abi: l2BridgeAbi, functionName: 'l1TokenOf', args: [token] }) : token
          const decimals = await c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'decimals' }).catch(() => 18)
          const l1Bal = await c.l1.readContract({ address: l1Token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
          const l2Bal = l2Token === undefined ? 0n : await c.l2.readContract({ address: l2Token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
          const symbol = await tokenSymbol(c.l1, l1Token)
          lines.push(`  ${symbol.padEnd(5)} L1 ${formatUnits(l1Bal, decimals)} (${l1Token})   L2 ${formatUnits(l2Bal, decimals)} (${l2Token ?? 'not deposited yet'})`)
          data.token = { l1Token, l2Token: l2Token ?? null, symbol, l1: l1Bal, l2: l2Bal, decimals }
        }
        print(lines, data)
        return 0
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`)
      return 2
    }
    if (e instanceof BridgeError) {
      err(`error: ${e.message}`)
      return 1
    }
    err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    return 1
  }
  return 2
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code))
}
