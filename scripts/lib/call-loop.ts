/**
 * The code that costs the most CPU per unit of gas found in @ethereumjs: a loop of STATICCALLs to
 * a contract that only STOPs (130 gas a lap, about 0.3 µs a unit; README "Transactions that loop
 * calls"). Used by scripts/bench-heavy-tx.ts, scripts/stress-rpc.ts and the tests of the deadline,
 * the EVM patches and the builder's block time limit.
 */
import type { Hex } from 'viem'

/** Init code whose deployed runtime code is the one byte STOP. */
export const STOPPER_INIT = '0x6001600c60003960016000f300'

/** JUMPDEST; STATICCALL(gas, `stopper`, 0, 0, 0, 0); POP; JUMP 0: as runtime or init code, it burns all the gas it gets. */
export function callLoop(stopper: Hex): Hex {
  return `0x5b600060006000600073${stopper.slice(2)}5afa50600056`
}
