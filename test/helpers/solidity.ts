/**
 * Compiles small inline Solidity sources for tests with solcjs (the `solc` package, bundled
 * compiler, no downloads). One compile per distinct source per process, cached in memory:
 * solcjs takes a second or two per source.
 *
 *   const { abi, bytecode } = compile(`contract C { function f() external pure returns (uint) { return 1; } }`, 'C')
 */
import solc from 'solc'
import type { Abi, Hex } from 'viem'

export interface Compiled {
  abi: Abi
  /** Creation bytecode, 0x-prefixed. */
  bytecode: Hex
  /** Runtime bytecode, 0x-prefixed. */
  deployedBytecode: Hex
}

const cache = new Map<string, Record<string, Compiled>>()

/** Compiles `source` (no imports) and returns contract `name` from it; throws with solc's messages on errors. */
export function compile(source: string, name: string): Compiled {
  let contracts = cache.get(source)
  if (contracts === undefined) {
    contracts = compileAll(source)
    cache.set(source, contracts)
  }
  const c = contracts[name]
  if (c === undefined) throw new Error(`contract ${name} not in source (have ${Object.keys(contracts).join(', ')})`)
  return c
}

function compileAll(source: string): Record<string, Compiled> {
  const input = {
    language: 'Solidity',
    sources: { 'Test.sol': { content: source.includes('pragma solidity') ? source : `// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n${source}` } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`)
  const out: Record<string, Compiled> = {}
  for (const [name, c] of Object.entries(output.contracts?.['Test.sol'] ?? {})) {
    out[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` }
  }
  return out
}
