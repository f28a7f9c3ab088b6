/**
 * Checks that sequencer/chain/genesis.dev.json carries the current runtime code of every L2
 * predeploy: a contract changed without `npm run genesis` would leave the dev chain running the
 * old code while these Hardhat tests pass on the new one.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import hre from 'hardhat';

/** Predeploy address → contract name; the same table as PREDEPLOYS in scripts/make-genesis.ts. */
const PREDEPLOYS = {
  '0x4200000000000000000000000000000000000100': 'ModelRegistry',
  '0x4200000000000000000000000000000000000200': 'DataAnchor',
  '0x4200000000000000000000000000000000000300': 'L2Bridge',
  '0x4200000000000000000000000000000000000400': 'InferenceCoordinator',
  '0x4200000000000000000000000000000000000500': 'DatasetRegistry',
} as const;

describe('genesis.dev.json', function () {
  const genesis = JSON.parse(readFileSync(join(hre.config.paths.root, 'sequencer', 'chain', 'genesis.dev.json'), 'utf8')) as {
    alloc: Record<string, { code?: string; nonce?: string }>;
  };

  for (const [address, name] of Object.entries(PREDEPLOYS)) {
    it(`holds ${name}'s current runtime code at ${address} (else run npm run genesis)`, async function () {
      const { deployedBytecode } = await hre.artifacts.readArtifact(name);
      const account = genesis.alloc[address];
      expect(account, `${address} in alloc`).to.not.equal(undefined);
      expect(account.code).to.equal(deployedBytecode);
      expect(account.nonce).to.equal('0x1');
    });
  }
});
