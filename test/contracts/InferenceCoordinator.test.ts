/**
 * Specification of contracts/L2/InferenceCoordinator.sol (docs/OFFCHAIN_INFERENCE.md), run by
 * `npx hardhat test` against the in-process Hardhat network with the ModelRegistry and the
 * coordinator installed as runtime code at their predeploy addresses (coordinator-harness.ts).
 * Nodes are the test wallets (and impersonated accounts where a model needs 32 of them);
 * requesters are a wallet and ConsumerProbe (contracts/test), which records or misbehaves in
 * its callback. Gas of request, commit, reveal and settlement is measured in "gas".
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import {
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  keccak256,
  parseEther,
  parseGwei,
  toHex,
  zeroHash,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { expectRevert as expectRevertWith } from './revert';
import { mockModel } from './ai-harness';
import {
  COORDINATOR_ADDRESS,
  EXIT_DELAY,
  MAX_CALLBACK_GAS,
  MIN_STAKE,
  SLASH_BPS,
  answer,
  classifierOutput,
  commitmentOf,
  coordinatorAbi,
  coordinatorAs,
  coordinatorEvents,
  coordinatorPredeploysFixture,
  offchainModel,
  saltOf,
  stakeAndServe,
  type Wallet,
} from './coordinator-harness';

const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, coordinatorAbi, errorName);

const TIMEOUT = 60n;
const STAKE = parseEther('10');
const BASE_FEE = parseGwei('1');
/** n1, n2, n3's prices; n3's is odd so that 3 × it does not split evenly between two. */
const P1 = parseEther('0.001');
const P2 = parseEther('0.002');
const P3 = parseEther('0.003') + 1n;
const MODEL = offchainModel('spam-classifier', Number(TIMEOUT));
const OTHER = offchainModel('byte-lm', 600, { input: 'text/utf-8', output: 'text/greedy-ascii:32' });
const ONCHAIN = mockModel(4, 1, 'on-chain');
const INPUT = toHex('cheap watches, click here');
const HAM = classifierOutput('0.9', '0.1');
const SPAM = classifierOutput('0.2', '0.8');
const THIRD = classifierOutput('0.5', '0.5');

const Status = { None: 0, Pending: 1, Fulfilled: 2, Failed: 3 } as const;
const Phase = { None: 0, Commit: 1, Reveal: 2, Expired: 3, Settled: 4 } as const;
const Slash = { WrongOutput: 1, NoReveal: 2, NoCommit: 3 } as const;
const Fail = { NoAgreement: 1, TimedOut: 2 } as const;
const Mode = { Record: 0, Revert: 1, BurnGas: 2, Reenter: 3, Chain: 4 } as const;

const slashOf = (stake: bigint) => (stake * SLASH_BPS) / 10_000n;
const lower = (a: Address) => a.toLowerCase();

async function baseFixture() {
  const { registry, coordinator, testClient } = await loadFixture(coordinatorPredeploysFixture);
  const wallets = await hre.viem.getWalletClients();
  const [owner, requester, n1, n2, n3, n4, n5, outsider] = wallets;
  const publicClient = await hre.viem.getPublicClient();
  await registry.write.registerOffchain(MODEL.args);
  await registry.write.registerOffchain(OTHER.args);
  await registry.write.register([ONCHAIN, 'on-chain']);
  const byAddress = new Map<string, Wallet>(wallets.map((w) => [lower(w.account.address), w]));
  const walletOf = (a: Address): Wallet => {
    const w = byAddress.get(lower(a));
    if (w === undefined) throw new Error(`no wallet for ${a}`);
    return w;
  };
  const probe = await hre.viem.deployContract('ConsumerProbe', [COORDINATOR_ADDRESS]);
  const receipt = async (hash: Promise<Hex>) => publicClient.waitForTransactionReceipt({ hash: await hash });

  /** Base fee of the next block: callback fees are exact multiples of it. */
  const fixBaseFee = () => testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: BASE_FEE });

  type RequestOptions = { modelId?: Hex; input?: Hex; redundancy?: number; callbackGas?: number; value?: bigint; from?: Wallet };
  /** A request from a wallet (the requester by default) paying `value` (default: the quote plus 0.01 ETH). */
  const request = async (o: RequestOptions = {}) => {
    const modelId = o.modelId ?? MODEL.modelId;
    const redundancy = o.redundancy ?? 3;
    const callbackGas = o.callbackGas ?? 0;
    const nodeFee = await coordinator.read.quote([modelId, redundancy, 0]);
    const fee = nodeFee + BigInt(callbackGas) * BASE_FEE;
    const value = o.value ?? fee + parseEther('0.01');
    await fixBaseFee();
    const r = await receipt((await coordinatorAs(o.from ?? requester)).write.requestInference([modelId, o.input ?? INPUT, redundancy, callbackGas], { value }));
    return assigned(r, { fee, nodeFee, value });
  };
  /** A request from ConsumerProbe through InferenceConsumer._requestInference (it pays the quote exactly). */
  const requestFromProbe = async (o: { callbackGas?: number; redundancy?: number; fund?: bigint; modelId?: Hex } = {}) => {
    await fixBaseFee();
    const r = await receipt(
      probe.write.request([o.modelId ?? MODEL.modelId, INPUT, o.redundancy ?? 3, o.callbackGas ?? 200_000], { value: o.fund ?? parseEther('1') }),
    );
    return assigned(r, {});
  };
  const assigned = (r: TransactionReceipt, extra: { fee?: bigint; nodeFee?: bigint; value?: bigint }) => {
    const [a] = coordinatorEvents(r, 'NodesAssigned');
    return { receipt: r, requestId: a.requestId as bigint, nodes: a.nodes as Address[], commitDeadline: a.commitDeadline as bigint, revealDeadline: a.revealDeadline as bigint, ...extra };
  };
  /** Balances in the coordinator. */
  const balance = (a: Address) => coordinator.read.balanceOf([a]);
  const stakeOf = async (a: Address) => (await coordinator.read.getNode([a])).stake;

  return { registry, coordinator, testClient, publicClient, wallets, owner, requester, n1, n2, n3, n4, n5, outsider, probe, walletOf, receipt, request, requestFromProbe, fixBaseFee, balance, stakeOf };
}

/** n1, n2, n3 stake 10 ETH each and serve MODEL at P1, P2, P3. */
async function threeNodesFixture() {
  const f = await loadFixture(baseFixture);
  await stakeAndServe([f.n1, f.n2, f.n3], MODEL.modelId, [P1, P2, P3]);
  return f;
}

/** Outputs keyed by node: `answers[i]` for the i-th assigned node. */
const outputsFor = (nodes: readonly Address[], answers: (Hex | undefined)[]) => Object.fromEntries(nodes.map((n, i) => [lower(n), answers[i]]));

/** `count` funded, impersonated accounts beyond the 20 test wallets. */
async function extraWallets(count: number, tag: string): Promise<Wallet[]> {
  const testClient = await hre.viem.getTestClient();
  const out: Wallet[] = [];
  for (let i = 0; i < count; i++) {
    const address = getAddress(keccak256(toHex(`${tag} ${i}`)).slice(0, 42));
    await testClient.setBalance({ address, value: parseEther('100') });
    await testClient.impersonateAccount({ address });
    out.push((await hre.viem.getWalletClient(address)) as unknown as Wallet);
  }
  return out;
}

describe('InferenceCoordinator', function () {
  describe('as a genesis predeploy', function () {
    it('works from runtime code alone, with empty storage: no nodes, no requests, nothing slashed', async function () {
      const { coordinator, n1 } = await loadFixture(baseFixture);
      expect(await coordinator.read.requestCount()).to.equal(0n);
      expect(await coordinator.read.totalSlashed()).to.equal(0n);
      expect(await coordinator.read.market([MODEL.modelId])).to.deep.equal([0n, 0n]);
      expect(await coordinator.read.getNode([n1.account.address])).to.deep.equal({ stake: 0n, exitAt: 0n, openAssignments: 0, eligible: false, models: [] });
      expect(await coordinator.read.getRequest([1n])).to.deep.equal([Status.None, '0x']);
    });

    it('has the constants of docs/OFFCHAIN_INFERENCE.md', async function () {
      const { coordinator } = await loadFixture(baseFixture);
      expect(await coordinator.read.MIN_STAKE()).to.equal(MIN_STAKE);
      expect(await coordinator.read.SLASH_BPS()).to.equal(SLASH_BPS);
      expect(await coordinator.read.EXIT_DELAY()).to.equal(EXIT_DELAY);
      expect(await coordinator.read.MAX_NODES_PER_MODEL()).to.equal(32n);
      expect(await coordinator.read.MAX_MODELS_PER_NODE()).to.equal(16n);
      expect(await coordinator.read.MAX_REDUNDANCY()).to.equal(7);
      expect(await coordinator.read.MAX_CALLBACK_GAS()).to.equal(MAX_CALLBACK_GAS);
      expect(await coordinator.read.MAX_INPUT_BYTES()).to.equal(8192n);
      expect(await coordinator.read.MAX_OUTPUT_BYTES()).to.equal(8192n);
    });

    it('also works deployed by its (empty) constructor at another address', async function () {
      const { n1 } = await loadFixture(baseFixture);
      const deployed = await hre.viem.deployContract('InferenceCoordinator', []);
      const asN1 = await hre.viem.getContractAt('InferenceCoordinator', deployed.address, { client: { wallet: n1 } });
      await asN1.write.stake({ value: STAKE });
      await asN1.write.serve([MODEL.modelId, P1]);
      expect(await deployed.read.quote([MODEL.modelId, 1, 0])).to.equal(P1);
    });
  });

  describe('stake', function () {
    it('adds to the stake and emits NodeStaked(node, amount, stake)', async function () {
      const { n1, receipt, stakeOf } = await loadFixture(baseFixture);
      const c = await coordinatorAs(n1);
      await c.write.stake({ value: parseEther('0.4') });
      const r = await receipt(c.write.stake({ value: parseEther('0.6') }));
      expect(coordinatorEvents(r, 'NodeStaked')).to.deep.equal([{ node: getAddress(n1.account.address), amount: parseEther('0.6'), stake: parseEther('1') }]);
      expect(await stakeOf(n1.account.address)).to.equal(parseEther('1'));
      expect((await c.read.getNode([n1.account.address])).eligible).to.equal(true);
    });

    it('reverts with ZeroAmount without value', async function () {
      const { n1 } = await loadFixture(baseFixture);
      await expectRevert((await coordinatorAs(n1)).write.stake({ value: 0n }), 'ZeroAmount');
    });

    it('reverts with NodeExiting(node, exitAt) once the node asked to exit', async function () {
      const { n1 } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(n1);
      await c.write.requestExit();
      const { exitAt } = await c.read.getNode([n1.account.address]);
      expect(await expectRevert(c.write.stake({ value: 1n }), 'NodeExiting')).to.deep.equal([getAddress(n1.account.address), exitAt]);
    });
  });

  describe('serve and unserve', function () {
    it('lists the node with its price and emits ModelServed; a second serve changes the price', async function () {
      const { coordinator, n1, receipt } = await loadFixture(baseFixture);
      const c = await coordinatorAs(n1);
      await c.write.stake({ value: MIN_STAKE });
      const r = await receipt(c.write.serve([MODEL.modelId, P1]));
      expect(coordinatorEvents(r, 'ModelServed')).to.deep.equal([{ node: getAddress(n1.account.address), modelId: MODEL.modelId, price: P1 }]);
      expect(await coordinator.read.getOffer([n1.account.address, MODEL.modelId])).to.deep.equal([true, P1]);
      const again = await receipt(c.write.serve([MODEL.modelId, P2]));
      expect(coordinatorEvents(again, 'ModelServed')[0].price).to.equal(P2);
      expect(await coordinator.read.nodesServing([MODEL.modelId])).to.deep.equal([[getAddress(n1.account.address)], [P2]]);
      expect((await coordinator.read.getNode([n1.account.address])).models).to.deep.equal([MODEL.modelId]);
    });

    it('accepts a price of 0 and of MAX_PRICE', async function () {
      const { coordinator, n1 } = await loadFixture(baseFixture);
      const c = await coordinatorAs(n1);
      await c.write.stake({ value: MIN_STAKE });
      await c.write.serve([MODEL.modelId, 0n]);
      await c.write.serve([OTHER.modelId, (1n << 96n) - 1n]);
      expect(await coordinator.read.getOffer([n1.account.address, OTHER.modelId])).to.deep.equal([true, (1n << 96n) - 1n]);
    });

    it('reverts with StakeBelowMinimum(node, stake, MIN_STAKE) for a node without enough stake', async function () {
      const { n1 } = await loadFixture(baseFixture);
      const c = await coordinatorAs(n1);
      const node = getAddress(n1.account.address);
      expect(await expectRevert(c.write.serve([MODEL.modelId, P1]), 'StakeBelowMinimum')).to.deep.equal([node, 0n, MIN_STAKE]);
      await c.write.stake({ value: MIN_STAKE - 1n });
      expect(await expectRevert(c.write.serve([MODEL.modelId, P1]), 'StakeBelowMinimum')).to.deep.equal([node, MIN_STAKE - 1n, MIN_STAKE]);
    });

    it('reverts with NodeExiting for an exiting node', async function () {
      const { n1 } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(n1);
      await c.write.requestExit();
      await expectRevert(c.write.serve([MODEL.modelId, P1]), 'NodeExiting');
    });

    it('reverts with UnknownModel for an unregistered id and NotOffchainModel for an on-chain model', async function () {
      const { n1 } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(n1);
      const unknown = keccak256('0x1234');
      expect(await expectRevert(c.write.serve([unknown, P1]), 'UnknownModel')).to.deep.equal([unknown]);
      expect(await expectRevert(c.write.serve([keccak256(ONCHAIN), P1]), 'NotOffchainModel')).to.deep.equal([keccak256(ONCHAIN)]);
    });

    it('reverts with PriceTooHigh(price, MAX_PRICE) over 2^96 - 1', async function () {
      const { n1 } = await loadFixture(threeNodesFixture);
      expect(await expectRevert((await coordinatorAs(n1)).write.serve([MODEL.modelId, 1n << 96n]), 'PriceTooHigh')).to.deep.equal([1n << 96n, (1n << 96n) - 1n]);
    });

    it('reverts with TooManyModels(node, 16) for a 17th model', async function () {
      const { registry, n1 } = await loadFixture(baseFixture);
      const c = await coordinatorAs(n1);
      await c.write.stake({ value: MIN_STAKE });
      for (let i = 0; i < 16; i++) {
        const m = offchainModel(`many-${i}`);
        await registry.write.registerOffchain(m.args);
        await c.write.serve([m.modelId, 1n]);
      }
      const m = offchainModel('many-16');
      await registry.write.registerOffchain(m.args);
      expect(await expectRevert(c.write.serve([m.modelId, 1n]), 'TooManyModels')).to.deep.equal([getAddress(n1.account.address), 16n]);
      expect((await c.read.getNode([n1.account.address])).models).to.have.length(16);
    });

    it('unserve removes the offer (the last takes its place) and emits ModelUnserved', async function () {
      const { coordinator, n1, n2, n3, receipt } = await loadFixture(threeNodesFixture);
      const r = await receipt((await coordinatorAs(n1)).write.unserve([MODEL.modelId]));
      expect(coordinatorEvents(r, 'ModelUnserved')).to.deep.equal([{ node: getAddress(n1.account.address), modelId: MODEL.modelId }]);
      expect(await coordinator.read.nodesServing([MODEL.modelId])).to.deep.equal([
        [getAddress(n3.account.address), getAddress(n2.account.address)],
        [P3, P2],
      ]);
      expect(await coordinator.read.getOffer([n1.account.address, MODEL.modelId])).to.deep.equal([false, 0n]);
      expect((await coordinator.read.getNode([n1.account.address])).models).to.deep.equal([]);
      // the moved offer is still addressable
      await (await coordinatorAs(n3)).write.unserve([MODEL.modelId]);
      expect(await coordinator.read.nodesServing([MODEL.modelId])).to.deep.equal([[getAddress(n2.account.address)], [P2]]);
    });

    it('unserve reverts with NotServing(node, modelId)', async function () {
      const { n4 } = await loadFixture(threeNodesFixture);
      expect(await expectRevert((await coordinatorAs(n4)).write.unserve([MODEL.modelId]), 'NotServing')).to.deep.equal([getAddress(n4.account.address), MODEL.modelId]);
    });

    describe('a full model (32 nodes)', function () {
      async function fullFixture() {
        const f = await loadFixture(baseFixture);
        const nodes = await extraWallets(32, 'full');
        // prices 100, 101, ..., 131 wei; each with exactly MIN_STAKE
        await stakeAndServe(nodes, MODEL.modelId, nodes.map((_, i) => 100n + BigInt(i)), MIN_STAKE);
        return { ...f, nodes };
      }

      it('reverts with ModelFull(modelId, 32) for a price no lower than every listed one', async function () {
        const { n1 } = await loadFixture(fullFixture);
        const c = await coordinatorAs(n1);
        await c.write.stake({ value: STAKE });
        expect(await expectRevert(c.write.serve([MODEL.modelId, 131n]), 'ModelFull')).to.deep.equal([MODEL.modelId, 32n]);
      });

      it('takes a cheaper node in place of the highest-priced one, which gets ModelUnserved', async function () {
        const { coordinator, n1, nodes, receipt } = await loadFixture(fullFixture);
        const c = await coordinatorAs(n1);
        await c.write.stake({ value: STAKE });
        const r = await receipt(c.write.serve([MODEL.modelId, 130n]));
        expect(coordinatorEvents(r, 'ModelUnserved')).to.deep.equal([{ node: getAddress(nodes[31].account.address), modelId: MODEL.modelId }]);
        const [listed, prices] = await coordinator.read.nodesServing([MODEL.modelId]);
        expect(listed).to.have.length(32);
        expect(listed).to.include(getAddress(n1.account.address));
        expect(listed).to.not.include(getAddress(nodes[31].account.address));
        expect(prices.reduce((a, b) => (a > b ? a : b))).to.equal(130n);
        expect((await coordinator.read.getNode([nodes[31].account.address])).models).to.deep.equal([]);
      });

      it('takes any node in place of one no longer eligible (slashed below MIN_STAKE)', async function () {
        const { coordinator, n1, nodes, request, stakeOf } = await loadFixture(fullFixture);
        // the cheapest node alone answers a redundancy-1 request, does not commit, and is slashed
        const { requestId, commitDeadline, nodes: [cheapest] } = await request({ redundancy: 1 });
        expect(cheapest).to.equal(getAddress(nodes[0].account.address));
        await time.increaseTo(commitDeadline);
        await coordinator.write.finalize([requestId]);
        expect(await stakeOf(cheapest)).to.equal(MIN_STAKE - slashOf(MIN_STAKE));
        const c = await coordinatorAs(n1);
        await c.write.stake({ value: STAKE });
        await c.write.serve([MODEL.modelId, 1000n]);
        const [listed] = await coordinator.read.nodesServing([MODEL.modelId]);
        expect(listed).to.include(getAddress(n1.account.address));
        expect(listed).to.not.include(cheapest);
      });
    });
  });

  describe('requestExit and withdrawStake', function () {
    it('requestExit makes the node ineligible, drops its offers, sets exitAt = now + EXIT_DELAY and emits ExitRequested', async function () {
      const { coordinator, n1, receipt, publicClient } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(n1);
      await c.write.serve([OTHER.modelId, P1]);
      const r = await receipt(c.write.requestExit());
      const { timestamp } = await publicClient.getBlock({ blockNumber: r.blockNumber });
      expect(coordinatorEvents(r, 'ExitRequested')).to.deep.equal([{ node: getAddress(n1.account.address), exitAt: timestamp + EXIT_DELAY }]);
      expect(coordinatorEvents(r, 'ModelUnserved').map((e) => e.modelId)).to.have.members([MODEL.modelId, OTHER.modelId]);
      expect(await coordinator.read.getNode([n1.account.address])).to.deep.equal({ stake: STAKE, exitAt: timestamp + EXIT_DELAY, openAssignments: 0, eligible: false, models: [] });
      expect(await coordinator.read.market([MODEL.modelId])).to.deep.equal([2n, P2]);
      expect(await coordinator.read.nodesServing([OTHER.modelId])).to.deep.equal([[], []]);
    });

    it('requestExit reverts with NotNode without stake and NodeExiting the second time', async function () {
      const { n1, n4 } = await loadFixture(threeNodesFixture);
      expect(await expectRevert((await coordinatorAs(n4)).write.requestExit(), 'NotNode')).to.deep.equal([getAddress(n4.account.address)]);
      const c = await coordinatorAs(n1);
      await c.write.requestExit();
      await expectRevert(c.write.requestExit(), 'NodeExiting');
    });

    it('withdrawStake reverts with NotExiting, then ExitDelayNotOver(exitAt), then pays the stake and forgets the node', async function () {
      const { coordinator, n1, receipt, publicClient } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(n1);
      expect(await expectRevert(c.write.withdrawStake(), 'NotExiting')).to.deep.equal([getAddress(n1.account.address)]);
      await c.write.requestExit();
      const { exitAt } = await c.read.getNode([n1.account.address]);
      await time.increaseTo(exitAt - 2n); // the next block is one second before exitAt
      expect(await expectRevert(c.write.withdrawStake(), 'ExitDelayNotOver')).to.deep.equal([exitAt]);
      const before = await publicClient.getBalance({ address: n1.account.address });
      const r = await receipt(c.write.withdrawStake());
      expect(coordinatorEvents(r, 'StakeWithdrawn')).to.deep.equal([{ node: getAddress(n1.account.address), amount: STAKE }]);
      expect(await publicClient.getBalance({ address: n1.account.address })).to.equal(before + STAKE - r.gasUsed * r.effectiveGasPrice);
      expect(await coordinator.read.getNode([n1.account.address])).to.deep.equal({ stake: 0n, exitAt: 0n, openAssignments: 0, eligible: false, models: [] });
      // and it may join again
      await c.write.stake({ value: MIN_STAKE });
      expect((await c.read.getNode([n1.account.address])).eligible).to.equal(true);
    });

    it('withdrawStake reverts with HasOpenAssignments(count) until the node’s requests are settled (finalize closes an expired one)', async function () {
      const { coordinator, n1, request, stakeOf, publicClient, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, revealDeadline } = await request();
      const c = await coordinatorAs(n1);
      await c.write.requestExit();
      expect((await c.read.getNode([n1.account.address])).openAssignments).to.equal(1);
      await time.increase(EXIT_DELAY);
      expect(await expectRevert(c.write.withdrawStake(), 'HasOpenAssignments')).to.deep.equal([1n]);
      // nobody answered; the exit delay outlasted the request, so anyone may finalize it
      expect(await time.latest()).to.be.greaterThan(Number(revealDeadline));
      await coordinator.write.finalize([requestId]);
      const left = STAKE - slashOf(STAKE);
      expect(await stakeOf(n1.account.address)).to.equal(left);
      const before = await publicClient.getBalance({ address: n1.account.address });
      const r = await receipt(c.write.withdrawStake());
      expect(await publicClient.getBalance({ address: n1.account.address })).to.equal(before + left - r.gasUsed * r.effectiveGasPrice);
    });

    it('withdrawStake reverts with ETHTransferFailed when the node refuses the ETH', async function () {
      const { coordinator } = await loadFixture(baseFixture);
      const node = await hre.viem.deployContract('ReentrantReceiver', [COORDINATOR_ADDRESS]);
      await node.write.forward([encodeFunctionData({ abi: coordinatorAbi, functionName: 'stake' })], { value: MIN_STAKE });
      await node.write.forward([encodeFunctionData({ abi: coordinatorAbi, functionName: 'requestExit' })]);
      await time.increase(EXIT_DELAY);
      await node.write.configure([true, '0x']);
      const args = await expectRevert(node.write.forward([encodeFunctionData({ abi: coordinatorAbi, functionName: 'withdrawStake' })]), 'ETHTransferFailed');
      expect(args).to.deep.equal([getAddress(node.address), MIN_STAKE]);
      expect((await coordinator.read.getNode([node.address])).stake).to.equal(MIN_STAKE);
      // a node that re-enters withdrawStake from its receive() gets ReentrancyGuardReentrantCall
      const withdrawStake = encodeFunctionData({ abi: coordinatorAbi, functionName: 'withdrawStake' });
      await node.write.configure([false, withdrawStake]);
      await node.write.forward([withdrawStake]);
      expect(decodeErrorResult({ abi: coordinatorAbi, data: await node.read.lastReentryReturn() }).errorName).to.equal('ReentrancyGuardReentrantCall');
      expect((await coordinator.read.getNode([node.address])).stake).to.equal(0n);
    });
  });

  describe('quote and the clearing price', function () {
    it('is redundancy × the redundancy-th lowest eligible price, plus callbackGasLimit × basefee', async function () {
      const { coordinator, probe, requestFromProbe, publicClient } = await loadFixture(threeNodesFixture);
      expect(await coordinator.read.quote([MODEL.modelId, 1, 0])).to.equal(P1);
      expect(await coordinator.read.quote([MODEL.modelId, 2, 0])).to.equal(2n * P2);
      expect(await coordinator.read.quote([MODEL.modelId, 3, 0])).to.equal(3n * P3);
      // Hardhat runs eth_call with a basefee of 0: the callback part shows inside a transaction,
      // where InferenceConsumer quotes and pays exactly
      const before = await publicClient.getBalance({ address: probe.address });
      await requestFromProbe({ redundancy: 1, callbackGas: 100_000, fund: parseEther('1') });
      expect(before + parseEther('1') - (await publicClient.getBalance({ address: probe.address }))).to.equal(P1 + 100_000n * BASE_FEE);
    });

    it('ignores nodes that left and nodes slashed below MIN_STAKE; market() counts the eligible ones and their lowest price', async function () {
      const { coordinator, n1, n4, n5, request } = await loadFixture(threeNodesFixture);
      await stakeAndServe([n4], MODEL.modelId, [1n], MIN_STAKE); // cheapest, minimum stake
      expect(await coordinator.read.market([MODEL.modelId])).to.deep.equal([4n, 1n]);
      // n4 alone answers a redundancy-1 request and never commits: slashed below MIN_STAKE
      const { requestId, commitDeadline, nodes } = await request({ redundancy: 1 });
      expect(nodes).to.deep.equal([getAddress(n4.account.address)]);
      await time.increaseTo(commitDeadline);
      await coordinator.write.finalize([requestId]);
      expect((await coordinator.read.getNode([n4.account.address])).eligible).to.equal(false);
      expect((await coordinator.read.nodesServing([MODEL.modelId]))[0]).to.include(getAddress(n4.account.address));
      await (await coordinatorAs(n1)).write.requestExit();
      await stakeAndServe([n5], MODEL.modelId, [P3 + 5n]);
      expect(await coordinator.read.market([MODEL.modelId])).to.deep.equal([3n, P2]);
      expect(await coordinator.read.quote([MODEL.modelId, 1, 0])).to.equal(P2);
      expect(await coordinator.read.quote([MODEL.modelId, 3, 0])).to.equal(3n * (P3 + 5n));
      expect(await expectRevert(coordinator.read.quote([MODEL.modelId, 4, 0]), 'NotEnoughNodes')).to.deep.equal([3n, 4]);
    });

    const reverts: [string, Parameters<typeof quoteArgs>, string, (ids: { unknown: Hex; onchain: Hex }) => unknown[]][] = [
      ['an unknown model', ['unknown', 1, 0], 'UnknownModel', ({ unknown }) => [unknown]],
      ['an on-chain model', ['onchain', 1, 0], 'NotOffchainModel', ({ onchain }) => [onchain]],
      ['redundancy 0', ['model', 0, 0], 'BadRedundancy', () => [0, 7]],
      ['redundancy 8', ['model', 8, 0], 'BadRedundancy', () => [8, 7]],
      ['a callback gas limit over 2,000,000', ['model', 1, MAX_CALLBACK_GAS + 1], 'CallbackGasTooHigh', () => [MAX_CALLBACK_GAS + 1, MAX_CALLBACK_GAS]],
      ['more nodes than serve the model', ['model', 4, 0], 'NotEnoughNodes', () => [3n, 4]],
    ];
    function quoteArgs(model: 'unknown' | 'onchain' | 'model', redundancy: number, callbackGas: number) {
      const ids = { unknown: keccak256('0x1234') as Hex, onchain: keccak256(ONCHAIN), model: MODEL.modelId };
      return [ids[model], redundancy, callbackGas] as const;
    }
    for (const [what, args, error, expected] of reverts) {
      it(`quote and requestInference revert with ${error} for ${what}`, async function () {
        const { coordinator, requester } = await loadFixture(threeNodesFixture);
        const ids = { unknown: keccak256('0x1234') as Hex, onchain: keccak256(ONCHAIN) };
        const [modelId, redundancy, callbackGas] = quoteArgs(...args);
        expect(await expectRevert(coordinator.read.quote([modelId, redundancy, callbackGas]), error)).to.deep.equal(expected(ids));
        const c = await coordinatorAs(requester);
        expect(await expectRevert(c.write.requestInference([modelId, INPUT, redundancy, callbackGas], { value: parseEther('1') }), error)).to.deep.equal(expected(ids));
      });
    }

    it('accepts MAX_CALLBACK_GAS and MAX_REDUNDANCY', async function () {
      const { coordinator, wallets } = await loadFixture(threeNodesFixture);
      await stakeAndServe(wallets.slice(10, 14), MODEL.modelId, [1n, 2n, 3n, 4n]);
      expect(await coordinator.read.quote([MODEL.modelId, 7, 0])).to.equal(7n * P3);
      await coordinator.read.quote([MODEL.modelId, 7, MAX_CALLBACK_GAS]);
    });
  });

  describe('requestInference', function () {
    it('records the request, assigns redundancy nodes, credits the surplus and emits InferenceRequested, NodesAssigned, Refunded', async function () {
      const { coordinator, requester, n1, n2, n3, request, balance, publicClient } = await loadFixture(threeNodesFixture);
      const { receipt, requestId, nodes, commitDeadline, revealDeadline, fee, value } = await request({ callbackGas: 50_000 });
      const { timestamp, baseFeePerGas } = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
      expect(baseFeePerGas).to.equal(BASE_FEE);
      expect(fee).to.equal(3n * P3 + 50_000n * BASE_FEE);
      expect(requestId).to.equal(1n);
      expect(await coordinator.read.requestCount()).to.equal(1n);
      expect(coordinatorEvents(receipt, 'InferenceRequested')).to.deep.equal([
        { requestId, modelId: MODEL.modelId, requester: getAddress(requester.account.address), input: INPUT, redundancy: 3 },
      ]);
      expect(nodes).to.have.members([n1, n2, n3].map((w) => getAddress(w.account.address)));
      expect(commitDeadline).to.equal(timestamp + TIMEOUT);
      expect(revealDeadline).to.equal(timestamp + 2n * TIMEOUT);
      expect(coordinatorEvents(receipt, 'Refunded')).to.deep.equal([{ requestId, account: getAddress(requester.account.address), amount: value! - fee! }]);
      expect(await balance(requester.account.address)).to.equal(value! - fee!);
      expect(await publicClient.getBalance({ address: COORDINATOR_ADDRESS })).to.equal(3n * STAKE + value!);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Pending, '0x']);
      for (const n of nodes) expect((await coordinator.read.getNode([n])).openAssignments).to.equal(1);
      const a = await coordinator.read.getAssignment([requestId]);
      expect(a).to.deep.equal({
        requester: getAddress(requester.account.address),
        nodes,
        commitDeadline,
        revealDeadline,
        finalizableAt: commitDeadline,
        price: P3,
        callbackGasLimit: 50_000,
        committed: [false, false, false],
        revealed: [false, false, false],
        outputHashes: [zeroHash, zeroHash, zeroHash],
        phase: Phase.Commit,
      });
    });

    it('takes exactly the fee (no Refunded) and accepts an empty input and one of 8 KiB', async function () {
      const { request, balance, requester } = await loadFixture(threeNodesFixture);
      const { receipt } = await request({ value: 3n * P3, input: '0x' });
      expect(coordinatorEvents(receipt, 'Refunded')).to.deep.equal([]);
      await request({ value: 3n * P3, input: toHex(new Uint8Array(8192).fill(0x61)) });
      expect(await balance(requester.account.address)).to.equal(0n);
    });

    it('reverts with InputTooLong(length, 8192) over 8 KiB', async function () {
      const { requester } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(requester);
      const input = toHex(new Uint8Array(8193));
      expect(await expectRevert(c.write.requestInference([MODEL.modelId, input, 1, 0], { value: parseEther('1') }), 'InputTooLong')).to.deep.equal([8193n, 8192n]);
    });

    it('reverts with FeeTooLow(sent, fee) one wei short', async function () {
      const { requester, fixBaseFee } = await loadFixture(threeNodesFixture);
      const c = await coordinatorAs(requester);
      await fixBaseFee();
      const fee = 3n * P3 + 10_000n * BASE_FEE;
      expect(await expectRevert(c.write.requestInference([MODEL.modelId, INPUT, 3, 10_000], { value: fee - 1n }), 'FeeTooLow')).to.deep.equal([fee - 1n, fee]);
    });

    it('assigns only eligible nodes priced at most the clearing price: distinct, exactly redundancy of them, every such node in turn', async function () {
      const { coordinator, wallets, request } = await loadFixture(baseFixture);
      // prices: 10 10 20 20 30 90 (and a 5 that asked to exit); redundancy 3 clears at 20
      const nodes = wallets.slice(2, 9);
      await stakeAndServe(nodes, MODEL.modelId, [10n, 10n, 20n, 20n, 30n, 90n, 5n]);
      await (await coordinatorAs(nodes[6])).write.requestExit();
      const cheap = nodes.slice(0, 4).map((w) => getAddress(w.account.address));
      const seen = new Set<string>();
      for (let i = 0; i < 24; i++) {
        const { nodes: chosen } = await request({ redundancy: 3, value: 60n });
        expect(chosen).to.have.length(3);
        expect(new Set(chosen).size).to.equal(3);
        for (const n of chosen) {
          expect(cheap).to.include(n);
          seen.add(n);
        }
      }
      expect([...seen]).to.have.members(cheap);
      expect(await coordinator.read.quote([MODEL.modelId, 3, 0])).to.equal(60n);
    });

    it('draws all nodes when exactly redundancy are eligible', async function () {
      const { request, n1, n2, n3 } = await loadFixture(threeNodesFixture);
      for (let i = 0; i < 3; i++) {
        const { nodes } = await request();
        expect(nodes).to.have.members([n1, n2, n3].map((w) => getAddress(w.account.address)));
      }
    });
  });

  describe('commit', function () {
    it('records the commitment and emits Committed(requestId, node)', async function () {
      const { coordinator, request, walletOf, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, nodes } = await request();
      const r = await receipt((await coordinatorAs(walletOf(nodes[1]))).write.commit([requestId, commitmentOf(requestId, HAM, saltOf(requestId, nodes[1]), nodes[1])]));
      expect(coordinatorEvents(r, 'Committed')).to.deep.equal([{ requestId, node: nodes[1] }]);
      expect((await coordinator.read.getAssignment([requestId])).committed).to.deep.equal([false, true, false]);
    });

    it('reverts with UnknownRequest, NotAssigned, ZeroCommitment, AlreadyCommitted and CommitPhaseOver', async function () {
      const { request, walletOf, n4 } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline } = await request();
      const c = await coordinatorAs(walletOf(nodes[0]));
      const commitment = commitmentOf(requestId, HAM, saltOf(requestId, nodes[0]), nodes[0]);
      expect(await expectRevert(c.write.commit([7n, commitment]), 'UnknownRequest')).to.deep.equal([7n]);
      expect(await expectRevert((await coordinatorAs(n4)).write.commit([requestId, commitment]), 'NotAssigned')).to.deep.equal([requestId, getAddress(n4.account.address)]);
      await expectRevert(c.write.commit([requestId, zeroHash]), 'ZeroCommitment');
      await c.write.commit([requestId, commitment]);
      expect(await expectRevert(c.write.commit([requestId, commitment]), 'AlreadyCommitted')).to.deep.equal([requestId, nodes[0]]);
      await time.increaseTo(commitDeadline);
      const late = await coordinatorAs(walletOf(nodes[1]));
      expect(await expectRevert(late.write.commit([requestId, commitment]), 'CommitPhaseOver')).to.deep.equal([requestId, commitDeadline]);
    });

    it('reverts with RequestNotPending(requestId, status) once settled', async function () {
      const { request, walletOf } = await loadFixture(threeNodesFixture);
      const { requestId, nodes } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      const c = await coordinatorAs(walletOf(nodes[0]));
      expect(await expectRevert(c.write.commit([requestId, zeroHash]), 'RequestNotPending')).to.deep.equal([requestId, Status.Fulfilled]);
      expect(await expectRevert(c.write.reveal([requestId, HAM, zeroHash]), 'RequestNotPending')).to.deep.equal([requestId, Status.Fulfilled]);
      expect(await expectRevert(c.write.finalize([requestId]), 'RequestNotPending')).to.deep.equal([requestId, Status.Fulfilled]);
    });
  });

  describe('reveal', function () {
    it('reverts with CommitPhaseOpen(requestId, commitDeadline) while a node may still commit', async function () {
      const { request, walletOf } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, undefined]), walletOf, false);
      const c = await coordinatorAs(walletOf(nodes[0]));
      expect(await expectRevert(c.write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]), 'CommitPhaseOpen')).to.deep.equal([requestId, commitDeadline]);
      await time.increaseTo(commitDeadline);
      await c.write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]);
    });

    it('reverts with UnknownRequest, NotAssigned, NotCommitted, AlreadyRevealed, OutputTooLong, BadReveal and RevealPhaseOver', async function () {
      const { coordinator, request, walletOf, n4 } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline, revealDeadline } = await request();
      const long = toHex(new Uint8Array(8193));
      await answer(requestId, nodes, outputsFor(nodes, [HAM, long, undefined]), walletOf, false);
      await time.increaseTo(commitDeadline);
      const [a, b, c] = await Promise.all(nodes.map((n) => coordinatorAs(walletOf(n))));
      expect(await expectRevert(a.write.reveal([9n, HAM, zeroHash]), 'UnknownRequest')).to.deep.equal([9n]);
      expect(await expectRevert((await coordinatorAs(n4)).write.reveal([requestId, HAM, zeroHash]), 'NotAssigned')).to.deep.equal([requestId, getAddress(n4.account.address)]);
      expect(await expectRevert(c.write.reveal([requestId, HAM, saltOf(requestId, nodes[2])]), 'NotCommitted')).to.deep.equal([requestId, nodes[2]]);
      expect(await expectRevert(b.write.reveal([requestId, long, saltOf(requestId, nodes[1])]), 'OutputTooLong')).to.deep.equal([8193n, 8192n]);
      expect(await expectRevert(a.write.reveal([requestId, HAM, keccak256('0x01')]), 'BadReveal')).to.deep.equal([requestId, nodes[0]]);
      expect(await expectRevert(a.write.reveal([requestId, SPAM, saltOf(requestId, nodes[0])]), 'BadReveal')).to.deep.equal([requestId, nodes[0]]);
      await a.write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]);
      expect(await expectRevert(a.write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]), 'AlreadyRevealed')).to.deep.equal([requestId, nodes[0]]);
      expect((await coordinator.read.getAssignment([requestId])).outputHashes).to.deep.equal([keccak256(HAM), zeroHash, zeroHash]);
      await time.increaseTo(revealDeadline);
      expect(await expectRevert(b.write.reveal([requestId, long, saltOf(requestId, nodes[1])]), 'RevealPhaseOver')).to.deep.equal([requestId, revealDeadline]);
    });

    it('emits Revealed(requestId, node, outputHash) and moves getAssignment through commit, reveal, expired', async function () {
      const { coordinator, request, walletOf, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, revealDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf, false);
      const a = await coordinator.read.getAssignment([requestId]);
      expect([a.phase, a.finalizableAt, a.committed]).to.deep.equal([Phase.Reveal, revealDeadline, [true, true, true]]);
      const r = await receipt((await coordinatorAs(walletOf(nodes[2]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[2])]));
      expect(coordinatorEvents(r, 'Revealed')).to.deep.equal([{ requestId, node: nodes[2], outputHash: keccak256(HAM) }]);
      expect(coordinatorEvents(r, 'InferenceFulfilled')).to.deep.equal([]);
      await time.increaseTo(revealDeadline);
      expect((await coordinator.read.getAssignment([requestId])).phase).to.equal(Phase.Expired);
    });
  });

  describe('settlement', function () {
    it('3 nodes agree: the last reveal settles, the callback gets the output, each node is paid the clearing price, the settler the callback fee', async function () {
      const { coordinator, probe, requestFromProbe, walletOf, balance, publicClient } = await loadFixture(threeNodesFixture);
      const { receipt: req, requestId, nodes } = await requestFromProbe({ callbackGas: 200_000 });
      const callbackFee = 200_000n * BASE_FEE;
      const fee = 3n * P3 + callbackFee;
      expect(coordinatorEvents(req, 'Refunded')).to.deep.equal([]); // InferenceConsumer pays the quote exactly
      expect(await publicClient.getBalance({ address: probe.address })).to.equal(parseEther('1') - fee);
      const reveals = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      const settle = reveals[2];
      expect(coordinatorEvents(reveals[0], 'InferenceFulfilled')).to.deep.equal([]);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')).to.deep.equal([{ requestId, output: HAM, callbackSucceeded: true }]);
      expect(coordinatorEvents(settle, 'Rewarded')).to.deep.equal(nodes.map((node) => ({ requestId, node, amount: P3 })));
      expect(coordinatorEvents(settle, 'Slashed')).to.deep.equal([]);
      expect(coordinatorEvents(settle, 'CallbackReimbursed')).to.deep.equal([{ requestId, settler: nodes[2], amount: callbackFee }]);
      expect(await probe.read.lastRequestId()).to.equal(requestId);
      expect(await probe.read.lastOutput()).to.equal(HAM);
      expect(await probe.read.calls()).to.equal(1n);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]);
      expect(await balance(nodes[0])).to.equal(P3);
      expect(await balance(nodes[1])).to.equal(P3);
      expect(await balance(nodes[2])).to.equal(P3 + callbackFee);
      expect(await balance(probe.address)).to.equal(0n);
      for (const n of nodes) expect(await coordinator.read.getNode([n])).to.include({ stake: STAKE, openAssignments: 0 });
      // every wei the coordinator holds is a stake or a balance
      expect(await publicClient.getBalance({ address: COORDINATOR_ADDRESS })).to.equal(3n * STAKE + fee);
      const a = await coordinator.read.getAssignment([requestId]);
      expect([a.phase, a.finalizableAt, a.revealed, a.outputHashes]).to.deep.equal([Phase.Settled, 0n, [true, true, true], nodes.map(() => keccak256(HAM))]);
      // each node withdraws its earnings
      const c = await coordinatorAs(walletOf(nodes[2]));
      const before = await publicClient.getBalance({ address: nodes[2] });
      const w = await publicClient.waitForTransactionReceipt({ hash: await c.write.withdraw() });
      expect(coordinatorEvents(w, 'Withdrawn')).to.deep.equal([{ account: nodes[2], amount: P3 + callbackFee }]);
      expect(await publicClient.getBalance({ address: nodes[2] })).to.equal(before + P3 + callbackFee - w.gasUsed * w.effectiveGasPrice);
      expect(await balance(nodes[2])).to.equal(0n);
    });

    it('2 of 3 agree: the majority shares 3 × price (the odd wei to the first), the third is slashed for a wrong output', async function () {
      const { coordinator, probe, requestFromProbe, walletOf, balance, stakeOf } = await loadFixture(threeNodesFixture);
      const { requestId, nodes } = await requestFromProbe();
      const reveals = await answer(requestId, nodes, outputsFor(nodes, [SPAM, HAM, HAM]), walletOf);
      const settle = reveals[2];
      const share = (3n * P3) / 2n;
      expect(3n * P3 - 2n * share).to.equal(1n);
      expect(coordinatorEvents(settle, 'Rewarded')).to.deep.equal([
        { requestId, node: nodes[1], amount: share + 1n },
        { requestId, node: nodes[2], amount: share },
      ]);
      expect(coordinatorEvents(settle, 'Slashed')).to.deep.equal([{ node: nodes[0], requestId, amount: slashOf(STAKE), reason: Slash.WrongOutput }]);
      expect(await stakeOf(nodes[0])).to.equal(STAKE - slashOf(STAKE));
      expect(await coordinator.read.totalSlashed()).to.equal(slashOf(STAKE));
      expect(await balance(nodes[0])).to.equal(0n);
      expect(await probe.read.lastOutput()).to.equal(HAM);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]);
    });

    it('5 nodes, 2 colluding on one output: the 3 honest ones are paid, both colluders slashed', async function () {
      const { coordinator, wallets, request, walletOf, balance } = await loadFixture(threeNodesFixture);
      await stakeAndServe(wallets.slice(5, 7), MODEL.modelId, [P1, P1]);
      const { requestId, nodes } = await request({ redundancy: 5 });
      const outputs = [SPAM, HAM, SPAM, HAM, HAM];
      const reveals = await answer(requestId, nodes, outputsFor(nodes, outputs), walletOf);
      const settle = reveals[4];
      expect(coordinatorEvents(settle, 'InferenceFulfilled')[0]).to.include({ output: HAM, callbackSucceeded: false });
      expect(coordinatorEvents(settle, 'Slashed')).to.deep.equal([nodes[0], nodes[2]].map((node) => ({ node, requestId, amount: slashOf(STAKE), reason: Slash.WrongOutput })));
      const share = (5n * P3) / 3n;
      const rem = 5n * P3 - 3n * share;
      expect(coordinatorEvents(settle, 'Rewarded')).to.deep.equal([
        { requestId, node: nodes[1], amount: share + rem },
        { requestId, node: nodes[3], amount: share },
        { requestId, node: nodes[4], amount: share },
      ]);
      expect(await balance(nodes[0])).to.equal(0n);
      expect(await coordinator.read.totalSlashed()).to.equal(2n * slashOf(STAKE));
    });

    it('a node that committed and did not reveal is slashed (reason 2) when finalize settles after the reveal deadline', async function () {
      const { coordinator, request, walletOf, outsider, balance, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, revealDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, SPAM]), walletOf, false);
      for (const i of [0, 1]) await (await coordinatorAs(walletOf(nodes[i]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[i])]);
      expect((await coordinator.read.getRequest([requestId]))[0]).to.equal(Status.Pending);
      const c = await coordinatorAs(outsider);
      expect(await expectRevert(c.write.finalize([requestId]), 'FinalizeTooEarly')).to.deep.equal([requestId, revealDeadline]);
      await time.increaseTo(revealDeadline);
      const r = await receipt(c.write.finalize([requestId]));
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([{ node: nodes[2], requestId, amount: slashOf(STAKE), reason: Slash.NoReveal }]);
      expect(coordinatorEvents(r, 'InferenceFulfilled')).to.deep.equal([{ requestId, output: HAM, callbackSucceeded: false }]);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]); // read from storage: the settler revealed nothing
      expect(await balance(outsider.account.address)).to.equal(0n);
    });

    it('a node that did not commit is slashed (reason 3); the reveals after the commit deadline settle at once', async function () {
      const { coordinator, request, walletOf, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [undefined, HAM, HAM]), walletOf, false);
      await time.increaseTo(commitDeadline);
      await (await coordinatorAs(walletOf(nodes[1]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[1])]);
      const r = await receipt((await coordinatorAs(walletOf(nodes[2]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[2])]));
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([{ node: nodes[0], requestId, amount: slashOf(STAKE), reason: Slash.NoCommit }]);
      expect(coordinatorEvents(r, 'Rewarded').map((e) => e.node)).to.deep.equal([nodes[1], nodes[2]]);
      expect((await coordinator.read.getRequest([requestId]))[0]).to.equal(Status.Fulfilled);
    });

    it('a wrong salt is a BadReveal: the node stays unrevealed and is slashed as committed without a reveal', async function () {
      const { coordinator, request, walletOf, receipt } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, revealDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf, false);
      await expectRevert((await coordinatorAs(walletOf(nodes[0]))).write.reveal([requestId, HAM, keccak256('0xbad5')]), 'BadReveal');
      for (const i of [1, 2]) await (await coordinatorAs(walletOf(nodes[i]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[i])]);
      await time.increaseTo(revealDeadline);
      const r = await receipt(coordinator.write.finalize([requestId]));
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([{ node: nodes[0], requestId, amount: slashOf(STAKE), reason: Slash.NoReveal }]);
    });

    it('no majority (three outputs): InferenceFailed(NO_AGREEMENT), the requester gets back all it paid, nobody is slashed', async function () {
      const { coordinator, probe, requestFromProbe, walletOf, balance, publicClient } = await loadFixture(threeNodesFixture);
      const { requestId, nodes } = await requestFromProbe({ callbackGas: 100_000 });
      const paid = 3n * P3 + 100_000n * BASE_FEE;
      const reveals = await answer(requestId, nodes, outputsFor(nodes, [HAM, SPAM, THIRD]), walletOf);
      const settle = reveals[2];
      expect(coordinatorEvents(settle, 'InferenceFailed')).to.deep.equal([{ requestId, reason: Fail.NoAgreement }]);
      expect(coordinatorEvents(settle, 'Refunded')).to.deep.equal([{ requestId, account: getAddress(probe.address), amount: paid }]);
      expect(coordinatorEvents(settle, 'Slashed')).to.deep.equal([]);
      expect(coordinatorEvents(settle, 'Rewarded')).to.deep.equal([]);
      expect(await probe.read.calls()).to.equal(0n);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Failed, '0x']);
      for (const n of nodes) expect((await coordinator.read.getNode([n])).openAssignments).to.equal(0);
      // the consumer takes its refund back
      const before = await publicClient.getBalance({ address: probe.address });
      await probe.write.withdrawFromCoordinator();
      expect(await publicClient.getBalance({ address: probe.address })).to.equal(before + paid);
      expect(await balance(probe.address)).to.equal(0n);
    });

    it('two different reveals and a node that never committed: NO_AGREEMENT, only the silent node slashed', async function () {
      const { request, walletOf, receipt, requester, balance } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline, fee, value } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, SPAM, undefined]), walletOf, false);
      await time.increaseTo(commitDeadline);
      await (await coordinatorAs(walletOf(nodes[0]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]);
      const r = await receipt((await coordinatorAs(walletOf(nodes[1]))).write.reveal([requestId, SPAM, saltOf(requestId, nodes[1])]));
      expect(coordinatorEvents(r, 'InferenceFailed')).to.deep.equal([{ requestId, reason: Fail.NoAgreement }]);
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([{ node: nodes[2], requestId, amount: slashOf(STAKE), reason: Slash.NoCommit }]);
      expect(await balance(requester.account.address)).to.equal(value!); // surplus at request + the whole fee now
      expect(fee).to.equal(3n * P3);
    });

    it('too few commits: finalize after the commit deadline fails the request TIMED_OUT, slashing only the nodes that did not commit', async function () {
      const { coordinator, request, walletOf, receipt, requester, balance, outsider } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, commitDeadline, value } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, undefined, undefined]), walletOf, false);
      const c = await coordinatorAs(outsider);
      expect((await coordinator.read.getAssignment([requestId])).finalizableAt).to.equal(commitDeadline);
      expect(await expectRevert(c.write.finalize([requestId]), 'FinalizeTooEarly')).to.deep.equal([requestId, commitDeadline]);
      await time.increaseTo(commitDeadline);
      const r = await receipt(c.write.finalize([requestId]));
      expect(coordinatorEvents(r, 'InferenceFailed')).to.deep.equal([{ requestId, reason: Fail.TimedOut }]);
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([nodes[1], nodes[2]].map((node) => ({ node, requestId, amount: slashOf(STAKE), reason: Slash.NoCommit })));
      expect(await balance(requester.account.address)).to.equal(value!);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Failed, '0x']);
    });

    it('too few reveals: TIMED_OUT after the reveal deadline; the committed node that did not reveal is slashed too', async function () {
      const { request, walletOf, receipt, coordinator } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, revealDeadline } = await request();
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, undefined]), walletOf, false);
      await time.increaseTo((await coordinator.read.getAssignment([requestId])).commitDeadline);
      await (await coordinatorAs(walletOf(nodes[0]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[0])]);
      await time.increaseTo(revealDeadline);
      const r = await receipt(coordinator.write.finalize([requestId]));
      expect(coordinatorEvents(r, 'InferenceFailed')).to.deep.equal([{ requestId, reason: Fail.TimedOut }]);
      expect(coordinatorEvents(r, 'Slashed')).to.deep.equal([
        { node: nodes[1], requestId, amount: slashOf(STAKE), reason: Slash.NoReveal },
        { node: nodes[2], requestId, amount: slashOf(STAKE), reason: Slash.NoCommit },
      ]);
    });

    it('finalize and getAssignment revert with UnknownRequest', async function () {
      const { coordinator } = await loadFixture(threeNodesFixture);
      expect(await expectRevert(coordinator.write.finalize([1n]), 'UnknownRequest')).to.deep.equal([1n]);
      expect(await expectRevert(coordinator.read.getAssignment([1n]), 'UnknownRequest')).to.deep.equal([1n]);
    });

    it('finalize reverts with InsufficientGasForCallback too when it settles with a callback', async function () {
      const { coordinator, requestFromProbe, walletOf, outsider } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, revealDeadline } = await requestFromProbe({ callbackGas: 1_000_000 });
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf, false);
      for (const i of [0, 1]) await (await coordinatorAs(walletOf(nodes[i]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[i])]);
      await time.increaseTo(revealDeadline);
      const c = await coordinatorAs(outsider);
      await expectRevert(c.write.finalize([requestId], { gas: 900_000n }), 'InsufficientGasForCallback');
      expect((await coordinator.read.getRequest([requestId]))[0]).to.equal(Status.Pending);
      await c.write.finalize([requestId], { gas: 1_500_000n });
      expect((await coordinator.read.getRequest([requestId]))[0]).to.equal(Status.Fulfilled);
    });

    it('slashes 10 % of the stake at that moment, each time', async function () {
      const { coordinator, request, stakeOf } = await loadFixture(threeNodesFixture);
      for (let i = 0; i < 2; i++) {
        const { requestId, commitDeadline } = await request();
        await time.increaseTo(commitDeadline);
        await coordinator.write.finalize([requestId]);
      }
      const once = STAKE - slashOf(STAKE);
      expect(await stakeOf((await hre.viem.getWalletClients())[2].account.address)).to.equal(once - slashOf(once));
      expect(await coordinator.read.totalSlashed()).to.equal(3n * (slashOf(STAKE) + slashOf(once)));
    });
  });

  describe('the callback', function () {
    it('is not made for a requester without code: InferenceFulfilled(…, false) and the callback fee back to it', async function () {
      const { request, walletOf, requester, balance } = await loadFixture(threeNodesFixture);
      const { requestId, nodes, value, fee } = await request({ callbackGas: 100_000 });
      const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')).to.deep.equal([{ requestId, output: HAM, callbackSucceeded: false }]);
      expect(coordinatorEvents(settle, 'Refunded')).to.deep.equal([{ requestId, account: getAddress(requester.account.address), amount: 100_000n * BASE_FEE }]);
      expect(coordinatorEvents(settle, 'CallbackReimbursed')).to.deep.equal([]);
      expect(await balance(requester.account.address)).to.equal(value! - fee! + 100_000n * BASE_FEE);
    });

    it('is not made with a callbackGasLimit of 0', async function () {
      const { probe, requestFromProbe, walletOf } = await loadFixture(threeNodesFixture);
      const { requestId, nodes } = await requestFromProbe({ callbackGas: 0 });
      const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(false);
      expect(await probe.read.calls()).to.equal(0n);
    });

    it('that reverts is recorded false; the result and the payments stand', async function () {
      const { coordinator, probe, requestFromProbe, walletOf, balance } = await loadFixture(threeNodesFixture);
      await probe.write.setMode([Mode.Revert, '0x']);
      const { requestId, nodes } = await requestFromProbe();
      const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')).to.deep.equal([{ requestId, output: HAM, callbackSucceeded: false }]);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]);
      expect(await balance(nodes[0])).to.equal(P3);
      expect(await balance(nodes[2])).to.equal(P3 + 200_000n * BASE_FEE);
    });

    it('that burns all its gas is recorded false; the result and the payments stand', async function () {
      const { coordinator, probe, requestFromProbe, walletOf, balance } = await loadFixture(threeNodesFixture);
      await probe.write.setMode([Mode.BurnGas, '0x']);
      const { requestId, nodes } = await requestFromProbe({ callbackGas: 1_000_000 });
      const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(false);
      expect(settle.gasUsed > 1_000_000n).to.equal(true);
      expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]);
      expect(await balance(nodes[1])).to.equal(P3);
    });

    it('gets exactly callbackGasLimit: it sees gasleft() just under it, and a settling transaction with too little gas reverts InsufficientGasForCallback', async function () {
      const { probe, requestFromProbe, walletOf, publicClient } = await loadFixture(threeNodesFixture);
      const limit = 1_000_000;
      const { requestId, nodes } = await requestFromProbe({ callbackGas: limit });
      await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, undefined]), walletOf, false);
      const last = nodes[2];
      const c = await coordinatorAs(walletOf(last));
      await c.write.commit([requestId, commitmentOf(requestId, HAM, saltOf(requestId, last), last)]);
      // reveals were refused while the commit phase was open: reveal the first two now
      for (const i of [0, 1]) await (await coordinatorAs(walletOf(nodes[i]))).write.reveal([requestId, HAM, saltOf(requestId, nodes[i])]);
      const args = [requestId, HAM, saltOf(requestId, last)] as const;
      // the least gas the settling reveal succeeds with (eth_call at each gas limit)
      const succeeds = (gas: bigint) => c.simulate.reveal(args, { gas, account: last }).then(() => true, () => false);
      let [lo, hi] = [BigInt(limit), 2n * BigInt(limit)];
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (await succeeds(mid)) hi = mid;
        else lo = mid;
      }
      // with one gas less, the 63/64 rule would starve the callback: the transaction reverts instead
      const data = await expectRevert(c.write.reveal(args, { gas: lo }), 'InsufficientGasForCallback');
      expect(data[1]).to.equal(limit);
      const gasLeft = data[0] as bigint;
      expect(gasLeft - 5000n - (gasLeft - 5000n) / 64n <= BigInt(limit)).to.equal(true);
      expect(hi > BigInt(limit) + BigInt(limit) / 64n).to.equal(true);
      const r = await publicClient.waitForTransactionReceipt({ hash: await c.write.reveal(args, { gas: hi }) });
      expect(coordinatorEvents(r, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(true);
      const seen = await probe.read.gasAtEntry();
      expect(seen <= BigInt(limit)).to.equal(true);
      expect(seen > BigInt(limit) - 1_000n).to.equal(true);
    });

    for (const fn of ['reveal', 'finalize', 'withdraw'] as const) {
      it(`cannot re-enter ${fn} (ReentrancyGuardReentrantCall)`, async function () {
        const { coordinator, probe, requestFromProbe, walletOf } = await loadFixture(threeNodesFixture);
        const calldata =
          fn === 'reveal'
            ? encodeFunctionData({ abi: coordinatorAbi, functionName: 'reveal', args: [1n, HAM, zeroHash] })
            : fn === 'finalize'
              ? encodeFunctionData({ abi: coordinatorAbi, functionName: 'finalize', args: [1n] })
              : encodeFunctionData({ abi: coordinatorAbi, functionName: 'withdraw' });
        await probe.write.setMode([Mode.Reenter, calldata]);
        const { requestId, nodes } = await requestFromProbe({ callbackGas: 500_000 });
        const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
        expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(true);
        expect(await probe.read.reentrySucceeded()).to.equal(false);
        const ret = await probe.read.reentryReturn();
        expect(decodeErrorResult({ abi: coordinatorAbi, data: ret }).errorName).to.equal('ReentrancyGuardReentrantCall');
        expect(await coordinator.read.getRequest([requestId])).to.deep.equal([Status.Fulfilled, HAM]);
      });
    }

    it('may chain a new request (requestInference is not nonReentrant)', async function () {
      const { coordinator, probe, requestFromProbe, walletOf } = await loadFixture(threeNodesFixture);
      await probe.write.setMode([Mode.Chain, '0x']);
      await probe.write.setChain([MODEL.modelId, 1, 0]);
      const { requestId, nodes } = await requestFromProbe({ callbackGas: 500_000 });
      const [, , settle] = await answer(requestId, nodes, outputsFor(nodes, [HAM, HAM, HAM]), walletOf);
      expect(coordinatorEvents(settle, 'InferenceFulfilled')[0].callbackSucceeded).to.equal(true);
      const chained = coordinatorEvents(settle, 'InferenceRequested');
      expect(chained).to.deep.equal([{ requestId: requestId + 1n, modelId: MODEL.modelId, requester: getAddress(probe.address), input: HAM, redundancy: 1 }]);
      expect(await probe.read.chainedRequestId()).to.equal(requestId + 1n);
      expect((await coordinator.read.getRequest([requestId + 1n]))[0]).to.equal(Status.Pending);
    });

    it('InferenceConsumer refuses a zero coordinator (ZeroCoordinator)', async function () {
      const probeAbi = hre.artifacts.readArtifactSync('ConsumerProbe').abi;
      await expectRevertWith(hre.viem.deployContract('ConsumerProbe', ['0x0000000000000000000000000000000000000000']), probeAbi, 'ZeroCoordinator');
    });

    it('onInferenceResult refuses any caller but the coordinator (InferenceConsumer.NotCoordinator), and so does receive()', async function () {
      const { probe, outsider } = await loadFixture(threeNodesFixture);
      const probeAbi = hre.artifacts.readArtifactSync('ConsumerProbe').abi;
      const asOutsider = await hre.viem.getContractAt('ConsumerProbe', probe.address, { client: { wallet: outsider } });
      expect(await expectRevertWith(asOutsider.write.onInferenceResult([1n, HAM]), probeAbi, 'NotCoordinator')).to.deep.equal([getAddress(outsider.account.address)]);
      expect(await expectRevertWith(outsider.sendTransaction({ to: probe.address, value: 1n }), probeAbi, 'NotCoordinator')).to.deep.equal([getAddress(outsider.account.address)]);
    });
  });

  describe('withdraw', function () {
    it('reverts with NothingToWithdraw(account) at a zero balance', async function () {
      const { outsider } = await loadFixture(threeNodesFixture);
      expect(await expectRevert((await coordinatorAs(outsider)).write.withdraw(), 'NothingToWithdraw')).to.deep.equal([getAddress(outsider.account.address)]);
    });

    it('reverts with ETHTransferFailed when the account refuses the ETH, and keeps the balance', async function () {
      const { coordinator } = await loadFixture(threeNodesFixture);
      const account = await hre.viem.deployContract('ReentrantReceiver', [COORDINATOR_ADDRESS]);
      // a request paying 1 ETH over the fee leaves 1 ETH of surplus in its balance
      const fee = 3n * P3;
      await account.write.forward([encodeFunctionData({ abi: coordinatorAbi, functionName: 'requestInference', args: [MODEL.modelId, INPUT, 3, 0] })], { value: fee + parseEther('1') });
      await account.write.configure([true, '0x']);
      const data = encodeFunctionData({ abi: coordinatorAbi, functionName: 'withdraw' });
      expect(await expectRevert(account.write.forward([data]), 'ETHTransferFailed')).to.deep.equal([getAddress(account.address), parseEther('1')]);
      expect(await coordinator.read.balanceOf([account.address])).to.equal(parseEther('1'));
      // a receiver that re-enters withdraw gets ReentrancyGuardReentrantCall in its receive()
      await account.write.configure([false, data]);
      await account.write.forward([data]);
      expect(await account.read.lastReentrySucceeded()).to.equal(false);
      expect(decodeErrorResult({ abi: coordinatorAbi, data: await account.read.lastReentryReturn() }).errorName).to.equal('ReentrancyGuardReentrantCall');
      expect(await coordinator.read.balanceOf([account.address])).to.equal(0n);
    });
  });

  describe('gas', function () {
    it('of a redundancy-3 request, its commits, reveals and settlement (printed)', async function () {
      const { requestFromProbe, request, walletOf, probe, publicClient } = await loadFixture(threeNodesFixture);
      // warm-up: the first request ever writes fresh counters and balances
      const w = await request();
      await answer(w.requestId, w.nodes, outputsFor(w.nodes, [HAM, HAM, HAM]), walletOf);
      const play = async (requestId: bigint, nodes: Address[]) => {
        const commits: bigint[] = [];
        const reveals: bigint[] = [];
        for (const n of nodes) {
          const hash = await (await coordinatorAs(walletOf(n))).write.commit([requestId, commitmentOf(requestId, HAM, saltOf(requestId, n), n)]);
          commits.push((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
        }
        for (const n of nodes) {
          const hash = await (await coordinatorAs(walletOf(n))).write.reveal([requestId, HAM, saltOf(requestId, n)]);
          reveals.push((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
        }
        return { commits, reveals };
      };
      const eoa = await request();
      const plain = await play(eoa.requestId, eoa.nodes);
      const viaConsumer = await requestFromProbe({ callbackGas: 200_000 });
      const withCallback = await play(viaConsumer.requestId, viaConsumer.nodes);
      expect(await probe.read.calls()).to.equal(1n);
      console.log(
        `      gas, redundancy 3, 128-byte output, ${(INPUT.length - 2) / 2}-byte input: request ${eoa.receipt.gasUsed} (from an account) / ` +
          `${viaConsumer.receipt.gasUsed} (through InferenceConsumer: quote + request); commits ${plain.commits.join(', ')}; ` +
          `reveals ${plain.reveals.join(', ')} (the first stores the output, the last settles: 3 payments, no callback); ` +
          `settling reveal with ConsumerProbe's callback (stores the output) ${withCallback.reveals[2]}`,
      );
      expect(eoa.receipt.gasUsed < 220_000n).to.equal(true);
      for (const g of plain.commits) expect(g < 70_000n).to.equal(true);
      expect(plain.reveals[0] < 170_000n).to.equal(true);
      expect(plain.reveals[1] < 60_000n).to.equal(true);
      expect(plain.reveals[2] < 120_000n).to.equal(true);
    });
  });
});
