/**
 * Specification of contracts/examples/ContentModeration.sol, run by `npx hardhat test` against
 * the in-process Hardhat network with the ModelRegistry and the InferenceCoordinator at their
 * predeploy addresses and three staked test wallets answering as nodes (coordinator-harness.ts).
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { encodeFunctionData, getAddress, parseEther, parseEventLogs, parseGwei, toHex, type Abi, type Address, type Hex } from 'viem';
import { expectRevert } from './revert';
import {
  COORDINATOR_ADDRESS,
  answer,
  classifierOutput,
  coordinatorAbi,
  coordinatorAs,
  coordinatorEvents,
  coordinatorPredeploysFixture,
  offchainModel,
  stakeAndServe,
  type Wallet,
} from './coordinator-harness';

const moderationAbi = [...hre.artifacts.readArtifactSync('ContentModeration').abi, ...coordinatorAbi] as Abi;
const CLASSIFIER = offchainModel('spam-classifier', 60, { input: 'text/bow-fnv1a:4096', output: 'int256[]' });
const PRICE = parseEther('0.001');
const BASE_FEE = parseGwei('1');
/** 3 nodes at PRICE + the callback's 100,000 gas at 1 gwei. */
const FEE = 3n * PRICE + 100_000n * BASE_FEE;
const Status = { None: 0, Pending: 1, Accepted: 2, Rejected: 3, Refunded: 4 } as const;

async function boardFixture() {
  const { registry, testClient } = await loadFixture(coordinatorPredeploysFixture);
  const wallets = await hre.viem.getWalletClients();
  const [, author, n1, n2, n3, other] = wallets;
  await registry.write.registerOffchain(CLASSIFIER.args);
  await stakeAndServe([n1, n2, n3], CLASSIFIER.modelId, [PRICE, PRICE, PRICE]);
  const board = await hre.viem.deployContract('ContentModeration', [COORDINATOR_ADDRESS, CLASSIFIER.modelId]);
  const asAuthor = await hre.viem.getContractAt('ContentModeration', board.address, { client: { wallet: author } });
  const publicClient = await hre.viem.getPublicClient();
  const byAddress = new Map(wallets.map((w) => [w.account.address.toLowerCase(), w]));
  const walletOf = (a: Address) => byAddress.get(a.toLowerCase()) as Wallet;

  /** `author` posts `text` with FEE + 0.01 ETH; returns the post, its request and its nodes. */
  const post = async (text: string) => {
    await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: BASE_FEE });
    const hash = await asAuthor.write.submitPost([text], { value: FEE + parseEther('0.01') });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const [submitted] = parseEventLogs({ abi: board.abi, eventName: 'PostSubmitted', logs: receipt.logs });
    const [assigned] = coordinatorEvents(receipt, 'NodesAssigned');
    return { receipt, postId: submitted.args.postId, requestId: submitted.args.requestId, nodes: assigned.nodes as Address[], commitDeadline: assigned.commitDeadline as bigint };
  };
  /** Every assigned node answers `outputs[i]`; returns the settling reveal's receipt. */
  const classify = async (requestId: bigint, nodes: Address[], outputs: Hex[]) => {
    const reveals = await answer(requestId, nodes, Object.fromEntries(nodes.map((n, i) => [n.toLowerCase(), outputs[i]])), walletOf);
    return reveals[reveals.length - 1];
  };
  return { board, asAuthor, author, other, n1, publicClient, testClient, post, classify };
}

describe('ContentModeration', function () {
  it('submitPost pays exactly the fee, returns the surplus, and asks for the classifier on the text', async function () {
    const { board, author, post, publicClient } = await loadFixture(boardFixture);
    const before = await publicClient.getBalance({ address: author.account.address });
    const { receipt, postId, requestId } = await post('hello, world');
    expect(postId).to.equal(1n);
    expect(await publicClient.getBalance({ address: author.account.address })).to.equal(before - FEE - receipt.gasUsed * receipt.effectiveGasPrice);
    expect(await publicClient.getBalance({ address: board.address })).to.equal(0n);
    const [requested] = coordinatorEvents(receipt, 'InferenceRequested');
    expect(requested).to.deep.include({ requestId, modelId: CLASSIFIER.modelId, requester: getAddress(board.address), input: toHex('hello, world'), redundancy: 3 });
    expect(await board.read.getPost([postId])).to.deep.equal({
      author: getAddress(author.account.address),
      status: Status.Pending,
      requestId,
      fee: FEE,
      spamProbability: 0n,
      text: 'hello, world',
    });
    expect(await board.read.postOfRequest([requestId])).to.equal(postId);
  });

  it('accepts a post the classifier calls ham (spam < 0.5) and emits PostAccepted', async function () {
    const { board, author, post, classify } = await loadFixture(boardFixture);
    const { postId, requestId, nodes } = await post('lunch at noon?');
    const settle = await classify(requestId, nodes, [classifierOutput('0.9', '0.1'), classifierOutput('0.9', '0.1'), classifierOutput('0.9', '0.1')]);
    expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(true);
    const [accepted] = parseEventLogs({ abi: board.abi, eventName: 'PostAccepted', logs: settle.logs });
    expect(accepted.args).to.deep.equal({ postId, author: getAddress(author.account.address), spamProbability: parseEther('0.1') });
    expect(await board.read.getPost([postId])).to.include({ status: Status.Accepted, spamProbability: parseEther('0.1') });
  });

  it('rejects spam (0.8), the threshold itself (0.5), and an answer that is not two probabilities (-1); accepts just under 0.5', async function () {
    const { board, post, classify } = await loadFixture(boardFixture);
    const cases: [Hex, number, bigint][] = [
      [classifierOutput('0.2', '0.8'), Status.Rejected, parseEther('0.8')],
      [classifierOutput('0.5', '0.5'), Status.Rejected, parseEther('0.5')],
      [classifierOutput('0.500000000000000001', '0.499999999999999999'), Status.Accepted, parseEther('0.5') - 1n],
      ['0x1234', Status.Rejected, -1n],
      [classifierOutput('0.1', '-0.1'), Status.Rejected, -parseEther('0.1')],
    ];
    for (const [output, status, spam] of cases) {
      const { postId, requestId, nodes } = await post('buy now');
      const settle = await classify(requestId, nodes, [output, output, output]);
      expect(await board.read.getPost([postId])).to.include({ status, spamProbability: spam });
      if (status === Status.Rejected) {
        expect(parseEventLogs({ abi: board.abi, eventName: 'PostRejected', logs: settle.logs })[0].args.spamProbability).to.equal(spam);
      }
    }
  });

  it('refunds the author through resolve when the request fails (no agreement), taking the refund from the coordinator', async function () {
    const { board, author, other, post, classify, publicClient } = await loadFixture(boardFixture);
    const { postId, requestId, nodes } = await post('contested');
    const settle = await classify(requestId, nodes, [classifierOutput('0.9', '0.1'), classifierOutput('0.2', '0.8'), classifierOutput('0.5', '0.5')]);
    expect(coordinatorEvents(settle, 'InferenceFailed')).to.deep.equal([{ requestId, reason: 1 }]);
    const coordinator = await hre.viem.getContractAt('InferenceCoordinator', COORDINATOR_ADDRESS);
    expect(await coordinator.read.balanceOf([board.address])).to.equal(FEE);
    const before = await publicClient.getBalance({ address: author.account.address });
    const asOther = await hre.viem.getContractAt('ContentModeration', board.address, { client: { wallet: other } });
    const r = await publicClient.waitForTransactionReceipt({ hash: await asOther.write.resolve([postId]) });
    expect(parseEventLogs({ abi: board.abi, eventName: 'PostRefunded', logs: r.logs })[0].args).to.deep.equal({ postId, author: getAddress(author.account.address), refund: FEE });
    expect(await publicClient.getBalance({ address: author.account.address })).to.equal(before + FEE);
    expect(await coordinator.read.balanceOf([board.address])).to.equal(0n);
    expect((await board.read.getPost([postId])).status).to.equal(Status.Refunded);
    expect(await expectRevert(asOther.write.resolve([postId]), moderationAbi, 'NotPending')).to.deep.equal([postId]);
  });

  it('refunds a post whose nodes never answered once the request is finalized', async function () {
    const { board, post } = await loadFixture(boardFixture);
    const { postId, requestId, commitDeadline } = await post('silence');
    expect(await expectRevert(board.write.resolve([postId]), moderationAbi, 'NotSettled')).to.deep.equal([postId]);
    await time.increaseTo(commitDeadline);
    const coordinator = await hre.viem.getContractAt('InferenceCoordinator', COORDINATOR_ADDRESS);
    await coordinator.write.finalize([requestId]);
    await board.write.resolve([postId]);
    expect((await board.read.getPost([postId])).status).to.equal(Status.Refunded);
  });

  it('resolve reverts with NotPending for an unknown or judged post', async function () {
    const { board, post, classify } = await loadFixture(boardFixture);
    expect(await expectRevert(board.write.resolve([5n]), moderationAbi, 'NotPending')).to.deep.equal([5n]);
    const { postId, requestId, nodes } = await post('ok');
    await classify(requestId, nodes, [classifierOutput('1', '0'), classifierOutput('1', '0'), classifierOutput('1', '0')]);
    await expectRevert(board.write.resolve([postId]), moderationAbi, 'NotPending');
  });

  it('submitPost reverts with EmptyPost, PostTooLong(281, 280), FeeTooLow, and the coordinator’s NotEnoughNodes', async function () {
    const { asAuthor, n1, testClient } = await loadFixture(boardFixture);
    await expectRevert(asAuthor.write.submitPost([''], { value: FEE }), moderationAbi, 'EmptyPost');
    expect(await expectRevert(asAuthor.write.submitPost(['x'.repeat(281)], { value: FEE }), moderationAbi, 'PostTooLong')).to.deep.equal([281n, 280n]);
    await asAuthor.write.submitPost(['x'.repeat(280)], { value: FEE * 2n });
    await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: BASE_FEE });
    expect(await expectRevert(asAuthor.write.submitPost(['hi'], { value: FEE - 1n }), moderationAbi, 'FeeTooLow')).to.deep.equal([FEE - 1n, FEE]);
    await (await coordinatorAs(n1)).write.requestExit();
    expect(await expectRevert(asAuthor.write.submitPost(['hi'], { value: FEE }), moderationAbi, 'NotEnoughNodes')).to.deep.equal([2n, 3]);
  });

  it('submitPost reverts with PaymentFailed when the author refuses its surplus', async function () {
    const { board, testClient } = await loadFixture(boardFixture);
    const author = await hre.viem.deployContract('ReentrantReceiver', [board.address]);
    await author.write.configure([true, '0x']);
    await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: BASE_FEE });
    const data = encodeFunctionData({ abi: board.abi, functionName: 'submitPost', args: ['hi'] });
    expect(await expectRevert(author.write.forward([data], { value: FEE + 1n }), moderationAbi, 'PaymentFailed')).to.deep.equal([getAddress(author.address), 1n]);
  });

  it('refuses results from anyone but the coordinator (NotCoordinator)', async function () {
    const { board, other } = await loadFixture(boardFixture);
    const asOther = await hre.viem.getContractAt('ContentModeration', board.address, { client: { wallet: other } });
    expect(await expectRevert(asOther.write.onInferenceResult([1n, classifierOutput('1', '0')]), moderationAbi, 'NotCoordinator')).to.deep.equal([getAddress(other.account.address)]);
  });
});
