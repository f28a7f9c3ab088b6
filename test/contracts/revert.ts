/**
 * Revert assertions shared by the Hardhat tests: find the revert data anywhere in a viem error's
 * cause chain and decode it against a contract's ABI.
 */
import { expect } from 'chai';
import { ContractFunctionRevertedError, decodeErrorResult, isHex, type Abi, type Hex } from 'viem';

/** Hex revert data carried somewhere in an error's cause chain. */
export function findRevertData(err: unknown): Hex | undefined {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ContractFunctionRevertedError && e.raw !== undefined) return e.raw;
    // The in-process Hardhat network reports reverts as a SolidityError with the raw
    // data and no JSON-RPC code 3, so viem does not decode them by itself.
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && isHex(data)) return data;
  }
  return undefined;
}

/**
 * Awaits `action`, expects it to revert with error `errorName` of `abi` (or 'Error' for a
 * reason string), and returns the decoded error arguments.
 */
export async function expectRevert(action: Promise<unknown>, abi: Abi, errorName: string): Promise<readonly unknown[]> {
  try {
    await action;
  } catch (err) {
    const data = findRevertData(err);
    expect(data, `revert data in:\n${String(err)}`).to.be.a('string');
    const decoded = decodeErrorResult({ abi, data: data! });
    expect(decoded.errorName).to.equal(errorName);
    return decoded.args ?? [];
  }
  expect.fail(`expected a revert with ${errorName}, but the call succeeded`);
}
