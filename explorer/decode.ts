/**
 * Names and decodings the pages show: the project's own contracts (the predeploys' ABIs from the
 * SDK, generated from the Hardhat artifacts) and any ERC-20's Transfer and Approval, by viem.
 */
import {
  dataAnchorAbi,
  DATA_ANCHOR,
  inferenceCoordinatorAbi,
  INFERENCE_COORDINATOR,
  INFERENCE_PRECOMPILE,
  L2_BRIDGE,
  l2BridgeAbi,
  l2StandardTokenAbi,
  MODEL_ANALYZER_PRECOMPILE,
  MODEL_REGISTRY,
  modelRegistryAbi,
  onnxInferenceAbi,
} from '@ai-rollup/sdk'
import { decodeErrorResult, decodeEventLog, decodeFunctionData, parseAbi, type Abi, type Hex } from 'viem'

/** The system sender (README "Deviations": hashes anchored over HTTP and L1 deposits come from it). */
const SYSTEM_SENDER = '0x4ea248b2befb8cb0fd16c8c8c73433f9a1b46a0c'

const KNOWN: Record<string, string> = {
  [MODEL_REGISTRY.toLowerCase()]: 'ModelRegistry',
  [DATA_ANCHOR.toLowerCase()]: 'DataAnchor',
  [L2_BRIDGE.toLowerCase()]: 'L2Bridge',
  [INFERENCE_COORDINATOR.toLowerCase()]: 'InferenceCoordinator',
  [INFERENCE_PRECOMPILE.toLowerCase()]: 'inference precompile',
  [MODEL_ANALYZER_PRECOMPILE.toLowerCase()]: 'model analyzer precompile',
  [SYSTEM_SENDER]: 'system sender',
}

/** The name of a predeploy, precompile or the system sender; undefined for anything else. */
export function knownName(address: string | null | undefined): string | undefined {
  return address === null || address === undefined ? undefined : KNOWN[address.toLowerCase()]
}

const ERC20 = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
])

/** ABIs by contract address (the predeploys), and the ones tried for any address. */
const BY_ADDRESS: Record<string, Abi> = {
  [MODEL_REGISTRY.toLowerCase()]: modelRegistryAbi as Abi,
  [DATA_ANCHOR.toLowerCase()]: dataAnchorAbi as Abi,
  [L2_BRIDGE.toLowerCase()]: l2BridgeAbi as Abi,
  [INFERENCE_COORDINATOR.toLowerCase()]: inferenceCoordinatorAbi as Abi,
  [INFERENCE_PRECOMPILE.toLowerCase()]: onnxInferenceAbi as Abi,
}
/** Tried on any contract: an ERC-20's events (bridged tokens are L2StandardTokens, which add Mint/Burn). */
const ANYWHERE: Abi[] = [ERC20 as Abi, l2StandardTokenAbi as Abi]
/** Every project ABI, for errors (a revert may come from a callee). */
const ALL: Abi[] = [...Object.values(BY_ADDRESS), ...ANYWHERE]

export interface DecodedLog {
  /** The contract's name when it is one of the project's. */
  contract?: string
  event: string
  args: [string, unknown][]
}

export interface RpcLog {
  address: string
  topics: Hex[]
  data: Hex
  logIndex: string
}

/** The event a log is, when the project's ABIs or ERC-20's know it; undefined otherwise. */
export function decodeLog(log: RpcLog): DecodedLog | undefined {
  const address = log.address.toLowerCase()
  const abis = BY_ADDRESS[address] !== undefined ? [BY_ADDRESS[address], ...ANYWHERE] : ANYWHERE
  for (const abi of abis) {
    try {
      const d = decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true })
      const args = Array.isArray(d.args) ? d.args.map((v, i) => [String(i), v] as [string, unknown]) : Object.entries((d.args ?? {}) as Record<string, unknown>)
      return { contract: KNOWN[address], event: d.eventName ?? '?', args }
    } catch {
      // not this ABI's event: try the next
    }
  }
  return undefined
}

/** The function a transaction calls, when the project's ABIs or ERC-20's know it. */
export function decodeCall(to: string | null, input: Hex): { name: string; args: [string, unknown][] } | undefined {
  if (to === null || input.length < 10) return undefined
  const own = BY_ADDRESS[to.toLowerCase()]
  for (const abi of own !== undefined ? [own, ...ANYWHERE] : ANYWHERE) {
    try {
      const d = decodeFunctionData({ abi, data: input })
      const item = abi.find((i) => i.type === 'function' && i.name === d.functionName) as { inputs?: { name?: string }[] } | undefined
      return { name: d.functionName, args: (d.args ?? []).map((v, i) => [item?.inputs?.[i]?.name || String(i), v] as [string, unknown]) }
    } catch {
      // next
    }
  }
  return undefined
}

/** Revert data as text: Error(string), Panic(uint256), or a custom error of the project's contracts; else the raw bytes. */
export function decodeRevert(data: Hex | undefined): string | undefined {
  if (data === undefined || data === '0x') return undefined
  for (const abi of [[] as Abi, ...ALL]) {
    try {
      const d = decodeErrorResult({ abi, data })
      if (d.errorName === 'Error') return String(d.args?.[0])
      if (d.errorName === 'Panic') return `panic ${String(d.args?.[0])}`
      return `${d.errorName}(${(d.args ?? []).map(show).join(', ')})`
    } catch {
      // next
    }
  }
  return `unknown error ${data.length > 74 ? `${data.slice(0, 74)}…` : data}`
}

/** A decoded value as text (bigints in decimal, arrays in brackets). */
export function show(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')}}`
  return String(v)
}
