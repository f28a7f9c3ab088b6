/**
 * Deploys the two example AI dApps on our node and uses each once:
 * registers the credit-risk model (precompiles/models/credit-risk.onnx) if it is not registered
 * yet, deploys CreditLendingPool and AIAppraisal with it, deposits ETH liquidity into the pool,
 * scores account #1 with `assess`, mints an asset token and `appraise`s it. Prints the addresses,
 * the collateral ratio, the appraised value, the gas of every transaction and the inference records
 * (`ai_getInferences`) of the two transactions that ran the model.
 *
 *   npx hardhat run scripts/deploy-examples.ts --network l2      # the node at L2_RPC_URL
 *   npm run deploy:examples
 *
 * Needs our node: the in-process Hardhat network has neither the ModelRegistry predeploy nor the
 * inference precompile. AIAppraisal uses the credit model as its valuation model (any registered
 * model with one output works), so the demo "value" is a default probability.
 *
 * Optional environment: POOL_DEPOSIT (ETH, default 10).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import hre from 'hardhat';
import { formatEther, formatUnits, keccak256, parseEther, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import { viemClients } from './lib/hardhat-chain';

/** The predeploy's fixed address (precompiles/addresses.ts), if the node does not report one. */
const MODEL_REGISTRY: Address = '0x4200000000000000000000000000000000000100';
const CREDIT_MODEL_FILE = 'precompiles/models/credit-risk.onnx';
const CREDIT_MODEL_NAME = 'credit-risk';
const DEFAULT_DEPOSIT = '10';

/** 1e18 fixed point from a decimal string. */
const fixed = (n: string): bigint => parseEther(n);
/**
 * Borrower features for the credit model (precompiles/models/README.md): income / $100k,
 * debt ratio, credit years / 10, late payments / 5. Here $50k, 30% debt, 10 years, 1 late payment.
 */
const BORROWER_FEATURES = [fixed('0.5'), fixed('0.3'), fixed('1'), fixed('0.2')] as const;
/** The asset's features, in the same four slots: $80k, 25%, 15 years, no late payments. */
const ASSET_FEATURES = [fixed('0.8'), fixed('0.25'), fixed('1.5'), fixed('0')] as const;

interface InferenceRecord {
  modelId: Hex;
  inputHash: Hex;
  outputHash: Hex;
  logIndex: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
}

async function registryAddress(): Promise<Address> {
  const config = (await hre.network.provider.send('rollup_getConfig').catch(() => undefined)) as
    | { predeploys?: { ModelRegistry?: Address } }
    | undefined;
  return config?.predeploys?.ModelRegistry ?? MODEL_REGISTRY;
}

async function inferencesOf(hash: Hex): Promise<InferenceRecord[]> {
  const records = (await hre.network.provider.send('ai_getInferences', [hash])) as InferenceRecord[] | null;
  if (records === null) throw new Error(`ai_getInferences: transaction ${hash} is not mined`);
  return records;
}

function printRecords(records: InferenceRecord[]): void {
  console.log(`  ai_getInferences: ${JSON.stringify(records, null, 2).replace(/\n/g, '\n  ')}`);
}

async function main(): Promise<void> {
  const deposit = parseEther(process.env.POOL_DEPOSIT || DEFAULT_DEPOSIT);
  const { publicClient, wallets } = await viemClients(hre);
  if (wallets.length < 2) throw new Error(`network ${hre.network.name} exposes fewer than 2 accounts`);
  const [deployer, borrower] = wallets;
  const chainId = await publicClient.getChainId();
  console.log(
    `network ${hre.network.name} (chain ${chainId}), deployer ${deployer.account.address}, ` +
      `account #1 ${borrower.account.address}`,
  );

  const asDeployer = { client: { public: publicClient, wallet: deployer } };
  const asBorrower = { client: { public: publicClient, wallet: borrower } };
  const mined = async (what: string, hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`${what} (tx ${hash}) reverted in block ${receipt.blockNumber}`);
    return receipt;
  };

  // 1. The credit model, registered once (model id = keccak256 of its bytes).
  const registryAt = await registryAddress();
  if ((await publicClient.getCode({ address: registryAt })) === undefined) {
    throw new Error(
      `no ModelRegistry at ${registryAt} on network ${hre.network.name}: run this against our node (--network l2)`,
    );
  }
  const registry = await hre.viem.getContractAt('IModelRegistry', registryAt, asDeployer);
  const creditModel = new Uint8Array(readFileSync(join(hre.config.paths.root, CREDIT_MODEL_FILE)));
  const creditModelId = keccak256(creditModel);
  if (await registry.read.isRegistered([creditModelId])) {
    console.log(`credit model ${creditModelId} already registered`);
  } else {
    const hash = await registry.write.register([toHex(creditModel), CREDIT_MODEL_NAME]);
    const receipt = await mined('registering the credit model', hash);
    console.log(`registered credit model ${creditModelId} in tx ${hash} (gas ${receipt.gasUsed})`);
  }
  const model = await registry.read.getModel([creditModelId]);
  console.log(`credit model "${model.name}": ${model.inputLength} inputs, ${model.outputLength} output, gas per call ${model.gasPerCall}`);

  // 2. The two dApps.
  const deployed = async (name: string, address: Address, hash: Hex) => {
    const receipt = await mined(`deploying ${name}`, hash);
    console.log(`${name} deployed at ${address} (tx ${hash}, gas ${receipt.gasUsed})`);
  };
  const poolDeployment = await hre.viem.sendDeploymentTransaction('CreditLendingPool', [creditModelId], asDeployer);
  const pool = poolDeployment.contract;
  await deployed('CreditLendingPool', pool.address, poolDeployment.deploymentTransaction.hash);
  const appraisalDeployment = await hre.viem.sendDeploymentTransaction('AIAppraisal', [creditModelId], asDeployer);
  const appraisal = appraisalDeployment.contract;
  await deployed('AIAppraisal', appraisal.address, appraisalDeployment.deploymentTransaction.hash);

  // 3. Liquidity, then account #1 is scored by the credit model.
  const depositHash = await pool.write.deposit({ value: deposit });
  const depositReceipt = await mined('deposit', depositHash);
  console.log(`deposited ${formatEther(deposit)} ETH into the pool in tx ${depositHash} (gas ${depositReceipt.gasUsed})`);

  const poolAsBorrower = await hre.viem.getContractAt('CreditLendingPool', pool.address, asBorrower);
  const assessHash = await poolAsBorrower.write.assess([[...BORROWER_FEATURES]]);
  const assessReceipt = await mined('assess', assessHash);
  const assessment = await pool.read.assessmentOf([borrower.account.address]);
  const ratio = BigInt(assessment.collateralRatioBps);
  console.log(
    `assessed account #1: default probability ${formatUnits(assessment.defaultProbability, 18)}, ` +
      `collateral ratio ${ratio} bps (${formatUnits(ratio, 2)}%) in tx ${assessHash} (gas ${assessReceipt.gasUsed})`,
  );
  const assessRecords = await inferencesOf(assessHash);
  printRecords(assessRecords);
  const [assessed] = parseEventLogs({ abi: pool.abi, eventName: 'Assessed', logs: assessReceipt.logs });
  if (
    assessRecords.length !== 1 ||
    assessRecords[0].modelId !== creditModelId ||
    assessRecords[0].inputHash !== assessed?.args.inputHash ||
    assessRecords[0].outputHash !== assessed?.args.outputHash
  ) {
    throw new Error('the Assessed event does not match the inference record');
  }

  // 4. An asset token, appraised by the model.
  const mintHash = await appraisal.write.mint([borrower.account.address, [...ASSET_FEATURES]]);
  const mintReceipt = await mined('mint', mintHash);
  const [minted] = parseEventLogs({ abi: appraisal.abi, eventName: 'AssetMinted', logs: mintReceipt.logs });
  if (minted === undefined) throw new Error(`mint ${mintHash} emitted no AssetMinted`);
  const tokenId = minted.args.tokenId;
  console.log(`minted asset token ${tokenId} to account #1 in tx ${mintHash} (gas ${mintReceipt.gasUsed})`);

  const appraiseHash = await appraisal.write.appraise([tokenId]);
  const appraiseReceipt = await mined('appraise', appraiseHash);
  const appraised = await appraisal.read.appraisalOf([tokenId]);
  console.log(
    `appraised token ${tokenId}: appraisal value ${appraised.value} (${formatUnits(appraised.value, 18)}) ` +
      `in tx ${appraiseHash} (gas ${appraiseReceipt.gasUsed})`,
  );
  const appraiseRecords = await inferencesOf(appraiseHash);
  printRecords(appraiseRecords);
  if (
    appraiseRecords.length !== 1 ||
    appraiseRecords[0].modelId !== appraised.modelId ||
    appraiseRecords[0].inputHash !== appraised.inputHash ||
    appraiseRecords[0].outputHash !== appraised.outputHash
  ) {
    throw new Error('the stored appraisal does not match the inference record');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
