/**
 * Hardhat 2 configuration: compiles contracts/ with the solcjs build from the
 * `solc` npm package (never a download), runs the mocha tests in test/contracts,
 * and talks to our L2 node through the `l2` network.
 */
import { subtask, task, type HardhatUserConfig } from 'hardhat/config';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import type { SolcBuild } from 'hardhat/types';
import '@nomicfoundation/hardhat-toolbox-viem';

// Hardhat reads this after loading the config; the prompt would block any
// non-interactive run that happens to have a TTY.
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT ??= 'true';

/** Must equal the version of the installed `solc` npm package exactly. */
const SOLC_VERSION = '0.8.30';

/** Chain id of our L2 (must match the sequencer's genesis config). */
const L2_CHAIN_ID = 42424;
const L2_DEFAULT_RPC_URL = 'http://127.0.0.1:9545';

/** Well-known dev mnemonic; never use it for anything holding value. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

// Hardhat would otherwise download solc from binaries.soliditylang.org, which
// is unreachable here. Serve the solcjs (wasm) build shipped in node_modules.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(
  async ({ solcVersion }: { solcVersion: string }): Promise<SolcBuild> => {
    // Loaded lazily: initialising soljson costs ~0.5 s on every Hardhat command otherwise.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const solc = require('solc') as { version(): string };
    const longVersion = solc.version();
    if (solcVersion !== SOLC_VERSION || !longVersion.startsWith(`${solcVersion}+`)) {
      throw new Error(
        `Solidity ${solcVersion} was requested but only the solc npm package ${longVersion} is available offline; ` +
          `pin pragmas and hardhat.config.ts to ${SOLC_VERSION}.`,
      );
    }
    return {
      compilerPath: require.resolve('solc/soljson.js'),
      isSolcJs: true,
      version: solcVersion,
      longVersion,
    };
  },
);

// `npx hardhat models:register --network l2 ./model.onnx --name "my model"`: what
// `npm run models:register` does (scripts/register-models.ts), against the network's URL, from dev account #0.
task('models:register', 'Registers an ONNX model file with the L2 ModelRegistry (without a file: the three example models)')
  .addOptionalPositionalParam('file', 'the .onnx file to register')
  .addOptionalParam('name', 'its registry name (default: the file name without .onnx)')
  .setAction(async ({ file, name }: { file?: string; name?: string }, hre) => {
    const url = 'url' in hre.network.config ? hre.network.config.url : L2_DEFAULT_RPC_URL;
    // Run under tsx, as `npm run models:register` runs it: the script uses the SDK workspace from
    // its sources through tsconfig.json's `paths`, which tsx honours and Hardhat's ts-node does not.
    const { spawnSync } = await import('node:child_process');
    const args = [...(file === undefined ? [] : [file]), ...(name === undefined ? [] : ['--name', name]), '--rpc', url];
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/register-models.ts', ...args], { cwd: __dirname, stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`models:register failed (exit ${run.status ?? run.signal})`);
  });

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'prague',
    },
  },
  paths: {
    sources: './contracts',
    // vitest owns the rest of test/; only mocha contract tests live here.
    tests: './test/contracts',
    cache: './cache',
    artifacts: './artifacts',
  },
  networks: {
    hardhat: {
      chainId: 31337,
    },
    l2: {
      url: process.env.L2_RPC_URL ?? L2_DEFAULT_RPC_URL,
      chainId: L2_CHAIN_ID,
      accounts: {
        mnemonic: DEV_MNEMONIC,
        path: "m/44'/60'/0'/0",
        initialIndex: 0,
        count: 20,
      },
    },
  },
};

export default config;
