/**
 * Specification of contracts/examples/TextGenerator.sol, run by `npx hardhat test` against the
 * in-process Hardhat network with the ModelRegistry and the InferenceCoordinator at their
 * predeploy addresses and three staked test wallets answering as nodes (coordinator-harness.ts).
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEther, parseEventLogs, parseGwei, toHex, type Abi, type Address } from 'viem';
import { expectRevert } from './revert';
import {
  COORDINATOR_ADDRESS,
  answer,
  coordinatorAbi,
  coordinatorEvents,
  coordinatorPredeploysFixture,
  offchainModel,
  stakeAndServe,
  type Wallet,
} from './coordinator-harness';

const generatorAbi = [...hre.artifacts.readArtifactSync('TextGenerator').abi, ...coordinatorAbi] as Abi;
const LM = offchainModel('byte-lm', 600, { input: 'text/utf-8', output: 'text/greedy-ascii:32' });
const PRICE = parseEther('0.002');
const BASE_FEE = parseGwei('1');
const FEE = 3n * PRICE + 1_500_000n * BASE_FEE;
const Status = { None: 0, Pending: 1, Done: 2, Refunded: 3 } as const;
const PROMPT = 'Once upon a time';
const TEXT = ', a rollup ran a language model off chain. ✨';

async function generatorFixture() {
  const { registry, testClient } = await loadFixture(coordinatorPredeploysFixture);
  const wallets = await hre.viem.getWalletClients();
  const [, user, n1, n2, n3, other] = wallets;
  await registry.write.registerOffchain(LM.args);
  await stakeAndServe([n1, n2, n3], LM.modelId, [PRICE, PRICE, PRICE]);
  const generator = await hre.viem.deployContract('TextGenerator', [COORDINATOR_ADDRESS, LM.modelId]);
  const asUser = await hre.viem.getContractAt('TextGenerator', generator.address, { client: { wallet: user } });
  const publicClient = await hre.viem.getPublicClient();
  const byAddress = new Map(wallets.map((w) => [w.account.address.toLowerCase(), w]));
  const walletOf = (a: Address) => byAddress.get(a.toLowerCase()) as Wallet;
  const generate = async (prompt: string) => {
    await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: BASE_FEE });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await asUser.write.generate([prompt], { value: FEE + parseEther('0.01') }) });
    const [assigned] = coordinatorEvents(receipt, 'NodesAssigned');
    return { receipt, requestId: assigned.requestId as bigint, nodes: assigned.nodes as Address[], revealDeadline: assigned.revealDeadline as bigint };
  };
  const reply = async (requestId: bigint, nodes: Address[], texts: string[]) => {
    const reveals = await answer(requestId, nodes, Object.fromEntries(nodes.map((n, i) => [n.toLowerCase(), toHex(texts[i])])), walletOf);
    return reveals[reveals.length - 1];
  };
  return { generator, asUser, user, other, publicClient, generate, reply };
}

describe('TextGenerator', function () {
  it('generate pays exactly the fee, returns the surplus, records the generation and emits GenerationRequested', async function () {
    const { generator, user, generate, publicClient } = await loadFixture(generatorFixture);
    const before = await publicClient.getBalance({ address: user.account.address });
    const { receipt, requestId } = await generate(PROMPT);
    expect(await publicClient.getBalance({ address: user.account.address })).to.equal(before - FEE - receipt.gasUsed * receipt.effectiveGasPrice);
    const [requested] = parseEventLogs({ abi: generator.abi, eventName: 'GenerationRequested', logs: receipt.logs });
    expect(requested.args).to.deep.equal({ requestId, requester: getAddress(user.account.address), promptHash: keccak256(toHex(PROMPT)), prompt: PROMPT });
    expect(coordinatorEvents(receipt, 'InferenceRequested')[0].input).to.equal(toHex(PROMPT));
    expect(await generator.read.getGeneration([requestId])).to.deep.equal({
      requester: getAddress(user.account.address),
      status: Status.Pending,
      fee: FEE,
      promptHash: keccak256(toHex(PROMPT)),
      text: '',
    });
    expect(await generator.read.requestsOf([user.account.address])).to.deep.equal([requestId]);
  });

  it('stores the agreed text in the callback and emits TextGenerated', async function () {
    const { generator, user, generate, reply } = await loadFixture(generatorFixture);
    const { requestId, nodes } = await generate(PROMPT);
    const settle = await reply(requestId, nodes, [TEXT, TEXT, 'something else']);
    expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(true);
    expect(parseEventLogs({ abi: generator.abi, eventName: 'TextGenerated', logs: settle.logs })[0].args).to.deep.equal({ requestId, requester: getAddress(user.account.address), text: TEXT });
    expect(await generator.read.getGeneration([requestId])).to.include({ status: Status.Done, text: TEXT });
  });

  it('a text too long for the callback gas is stored by resolve from the coordinator’s record', async function () {
    const { generator, other, generate, reply } = await loadFixture(generatorFixture);
    const long = 'All work and no play. '.repeat(150); // 3,300 bytes
    const { requestId, nodes } = await generate(PROMPT);
    const settle = await reply(requestId, nodes, [long, long, long]);
    expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(false);
    expect((await generator.read.getGeneration([requestId])).status).to.equal(Status.Pending);
    const asOther = await hre.viem.getContractAt('TextGenerator', generator.address, { client: { wallet: other } });
    await asOther.write.resolve([requestId]);
    expect(await generator.read.getGeneration([requestId])).to.include({ status: Status.Done, text: long });
    expect(await expectRevert(asOther.write.resolve([requestId]), generatorAbi, 'NotPending')).to.deep.equal([requestId]);
  });

  it('refunds the requester through resolve when the request times out', async function () {
    const { generator, user, generate, publicClient } = await loadFixture(generatorFixture);
    const { requestId, revealDeadline } = await generate(PROMPT);
    expect(await expectRevert(generator.write.resolve([requestId]), generatorAbi, 'NotSettled')).to.deep.equal([requestId]);
    await time.increaseTo(revealDeadline);
    const coordinator = await hre.viem.getContractAt('InferenceCoordinator', COORDINATOR_ADDRESS);
    await coordinator.write.finalize([requestId]);
    const before = await publicClient.getBalance({ address: user.account.address });
    const r = await publicClient.waitForTransactionReceipt({ hash: await generator.write.resolve([requestId]) });
    expect(parseEventLogs({ abi: generator.abi, eventName: 'GenerationRefunded', logs: r.logs })[0].args).to.deep.equal({ requestId, requester: getAddress(user.account.address), refund: FEE });
    expect(await publicClient.getBalance({ address: user.account.address })).to.equal(before + FEE);
    expect((await generator.read.getGeneration([requestId])).status).to.equal(Status.Refunded);
  });

  it('generate reverts with EmptyPrompt, PromptTooLong(1025, 1024) and FeeTooLow', async function () {
    const { asUser } = await loadFixture(generatorFixture);
    await expectRevert(asUser.write.generate([''], { value: FEE }), generatorAbi, 'EmptyPrompt');
    expect(await expectRevert(asUser.write.generate(['p'.repeat(1025)], { value: FEE }), generatorAbi, 'PromptTooLong')).to.deep.equal([1025n, 1024n]);
    const [sent] = await expectRevert(asUser.write.generate([PROMPT], { value: 3n * PRICE }), generatorAbi, 'FeeTooLow');
    expect(sent).to.equal(3n * PRICE);
  });

  it('resolve reverts with NotPending for an unknown request', async function () {
    const { generator } = await loadFixture(generatorFixture);
    expect(await expectRevert(generator.write.resolve([3n]), generatorAbi, 'NotPending')).to.deep.equal([3n]);
  });
});
