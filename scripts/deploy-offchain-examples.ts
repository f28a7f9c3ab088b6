/**
 * Deploys the two off-chain inference dApps on our node and uses each once:
 * ContentModeration (a post is accepted only when the spam classifier says it is not spam) and
 * TextGenerator (stores the text the tiny language model generates from a prompt). Both ask the
 * InferenceCoordinator predeploy; staked workers answer (docs/OFFCHAIN_INFERENCE.md). Prints the
 * addresses, each request's fee, gas, the callback's result and the time from request to result.
 *
 *   npm start -- --workers 3                  # devnet with three workers; registers the example models
 *   npm run deploy:offchain-examples          # the node at L2_RPC_URL
 *
 * Needs the two example models (worker/models/README.md) registered as off-chain models and
 * served by at least three workers: the devnet with --workers does both; elsewhere register them
 * first (`npm run models:register-offchain`) and run workers (`npm run worker`).
 *
 * Optional environment: POSTS (texts separated by "|"), PROMPT.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import hre from 'hardhat';
import { formatEther, keccak256, type Address, type Hex } from 'viem';
import { viemClients } from './lib/hardhat-chain';

const COORDINATOR: Address = '0x4200000000000000000000000000000000000400';
const CLASSIFIER_FILE = 'worker/models/spam-classifier.onnx';
const LM_FILE = 'worker/models/tiny-lm.onnx';
const DEFAULT_POSTS = [
  'Hi team, the meeting notes from the kernel build discussion are attached, see the patch for details.',
  'CLICK HERE to claim your FREE money now!!! Limited time offer, act now and get cash',
];
const DEFAULT_PROMPT = 'The model said ';
/** How long to wait for a callback before giving up (the models' phases are 30 s each on the devnet). */
const RESULT_TIMEOUT_MS = 120_000;

const modelIdOf = (file: string): Hex => keccak256(new Uint8Array(readFileSync(join(hre.config.paths.root, file))));

interface ListedModel {
  modelId: Hex;
  kind: string;
  name: string;
  nodes?: Hex;
}

async function main(): Promise<void> {
  const { publicClient, wallets } = await viemClients(hre);
  const [deployer] = wallets;
  const as = { client: { public: publicClient, wallet: deployer } };
  const mined = async (what: string, hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`${what} (tx ${hash}) reverted in block ${receipt.blockNumber}`);
    return receipt;
  };

  // 1. The models must be registered and served by enough nodes for redundancy 3.
  const classifierId = modelIdOf(CLASSIFIER_FILE);
  const lmId = modelIdOf(LM_FILE);
  const listed = (await hre.network.provider.send('ai_listModels', []).catch(() => undefined)) as ListedModel[] | undefined;
  if (listed === undefined) throw new Error(`network ${hre.network.name} does not answer ai_listModels: run this against our node (--network l2)`);
  for (const [id, file] of [[classifierId, CLASSIFIER_FILE], [lmId, LM_FILE]] as const) {
    const entry = listed.find((m) => m.modelId === id);
    if (entry === undefined) throw new Error(`${file} (${id}) is not registered: start the devnet with \`npm start -- --workers 3\` or run \`npm run models:register-offchain\``);
    if (BigInt(entry.nodes ?? 0) < 3n) throw new Error(`${entry.name} is served by ${BigInt(entry.nodes ?? 0)} node(s), the examples ask for 3: start workers (\`npm start -- --workers 3\`)`);
    console.log(`${entry.name} (${id}): ${BigInt(entry.nodes!)} nodes serving`);
  }

  // 2. The dApps.
  const moderation = await hre.viem.deployContract('ContentModeration', [COORDINATOR, classifierId], as);
  const generator = await hre.viem.deployContract('TextGenerator', [COORDINATOR, lmId], as);
  console.log(`ContentModeration at ${moderation.address}, TextGenerator at ${generator.address}`);

  const waitFor = async <T>(what: string, read: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + RESULT_TIMEOUT_MS;
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what}: no result after ${RESULT_TIMEOUT_MS / 1000} s (are the workers running?)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  /**
   * The fee to send: the quote as an eth_call sees it leaves out the callback's gas (an eth_call
   * runs with a base fee of 0, as geth's), so add it at twice the latest base fee; the dApp pays
   * the real quote and returns the rest at once. (The SDK's withCallbackGas; a Hardhat script
   * cannot import the SDK, which tsx resolves by tsconfig paths.)
   */
  const withCallbackGas = async (quote: bigint, callbackGas: number) => {
    const { baseFeePerGas } = await publicClient.getBlock();
    return quote + BigInt(callbackGas) * 2n * (baseFeePerGas ?? 0n);
  };

  // 3. Posts, judged by the classifier.
  const posts = process.env.POSTS ? process.env.POSTS.split('|') : DEFAULT_POSTS;
  const STATUS = ['none', 'pending', 'accepted', 'rejected', 'refunded'];
  for (const text of posts) {
    const fee = await withCallbackGas(await moderation.read.postFee(), await moderation.read.CALLBACK_GAS());
    const started = Date.now();
    const hash = await moderation.write.submitPost([text], { value: fee });
    const receipt = await mined('submitPost', hash);
    const postId = await moderation.read.postCount();
    const post = await waitFor(`post ${postId}`, async () => {
      const p = await moderation.read.getPost([postId]);
      return p.status === 1 ? undefined : p;
    });
    const spam = Number(post.spamProbability) / 1e18;
    console.log(
      `post ${postId} "${text.slice(0, 60)}${text.length > 60 ? '…' : ''}": ${STATUS[post.status]} ` +
        `(p(spam) ${spam.toFixed(4)}) in ${Date.now() - started} ms; sent ${formatEther(fee)} ETH, gas ${receipt.gasUsed}`,
    );
  }

  // 4. Text, generated by the language model.
  const prompt = process.env.PROMPT ?? DEFAULT_PROMPT;
  const fee = await withCallbackGas(await generator.read.generationFee(), await generator.read.CALLBACK_GAS());
  const started = Date.now();
  const hash = await generator.write.generate([prompt], { value: fee });
  const receipt = await mined('generate', hash);
  const [requestId] = (await generator.read.requestsOf([deployer.account.address])).slice(-1);
  const generation = await waitFor(`generation ${requestId}`, async () => {
    const g = await generator.read.getGeneration([requestId]);
    return g.status === 1 ? undefined : g;
  });
  console.log(
    `generated from "${prompt}": ${JSON.stringify(generation.text)} (${['none', 'pending', 'done', 'refunded'][generation.status]}) in ${Date.now() - started} ms; ` +
      `sent ${formatEther(fee)} ETH, gas ${receipt.gasUsed}`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
