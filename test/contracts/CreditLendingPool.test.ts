/**
 * Specification of contracts/examples/CreditLendingPool.sol, run by `npx hardhat test` against
 * the in-process Hardhat network, with MockInference standing in for the inference precompile
 * and the real ModelRegistry at its predeploy address (see ai-harness.ts).
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEther, parseEventLogs, type Abi, type Hash } from 'viem';
import {
  INFERENCE_ADDRESS,
  MODEL_REGISTRY_ADDRESS,
  addModel,
  aiPredeploysFixture,
  expectRevert,
  fixed,
  hashValues,
  inferenceAbi,
  registryAbi,
  removeCode,
} from './ai-harness';

const poolArtifactAbi = hre.artifacts.readArtifactSync('CreditLendingPool').abi;
/** The pool's errors plus the registry's, which its setModel lets through. */
const poolAbi = [...poolArtifactAbi, ...registryAbi] as Abi;

/** Four credit features (fixed point): income, debt ratio, years of history, late payments. */
const FEATURES = [fixed('52.5'), fixed('0.31'), fixed('7'), fixed('-1')] as const;
const LIQUIDITY = parseEther('100');

async function poolFixture() {
  const { registry, inference } = await loadFixture(aiPredeploysFixture);
  const [owner, lender, borrower, other] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const modelId = await addModel(registry, inference, { inputLength: 4, output: [fixed('0.25')], tag: 'credit-risk' });
  const pool = await hre.viem.deployContract('CreditLendingPool', [modelId]);
  const as = (wallet: typeof owner) => hre.viem.getContractAt('CreditLendingPool', pool.address, { client: { wallet } });
  return {
    pool,
    registry,
    inference,
    modelId,
    owner,
    lender,
    borrower,
    other,
    publicClient,
    asLender: await as(lender),
    asBorrower: await as(borrower),
    asOther: await as(other),
  };
}

/** The pool holds LIQUIDITY from the lender. */
async function fundedPoolFixture() {
  const f = await loadFixture(poolFixture);
  await f.asLender.write.deposit({ value: LIQUIDITY });
  return f;
}

/** Funded, and the borrower is assessed at p = 0.25 (ratio 13,250 bps). */
async function assessedPoolFixture() {
  const f = await loadFixture(fundedPoolFixture);
  await f.asBorrower.write.assess([FEATURES]);
  return f;
}

/** The borrower owes 10 ETH against 13.25 ETH of collateral. */
async function openLoanFixture() {
  const f = await loadFixture(assessedPoolFixture);
  await f.asBorrower.write.borrow([parseEther('10')], { value: parseEther('13.25') });
  return f;
}

type Fixture = Awaited<ReturnType<typeof poolFixture>>;

/** Makes the credit model answer `p` and assesses the borrower; returns the receipt. */
async function assessAt(f: Fixture, p: bigint) {
  await f.inference.write.setModel([f.modelId, 4n, [p]]);
  const hash = await f.asBorrower.write.assess([FEATURES]);
  return f.publicClient.waitForTransactionReceipt({ hash });
}

/** Wei the transaction `hash` cost its sender in gas. */
async function gasCost(f: Fixture, hash: Hash): Promise<bigint> {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  return receipt.gasUsed * receipt.effectiveGasPrice;
}

describe('CreditLendingPool', function () {
  describe('deployment and setModel', function () {
    it('uses the model given at deployment and makes the deployer the owner', async function () {
      const { pool, modelId, owner } = await loadFixture(poolFixture);
      expect(await pool.read.modelId()).to.equal(modelId);
      expect(await pool.read.owner()).to.equal(getAddress(owner.account.address));
    });

    it("refuses an unregistered model with the registry's UnknownModel", async function () {
      await loadFixture(poolFixture);
      const unknown = keccak256('0x1234');
      const args = await expectRevert(hre.viem.deployContract('CreditLendingPool', [unknown]), poolAbi, 'UnknownModel');
      expect(args).to.deep.equal([unknown]);
    });

    it('refuses a model that does not take 4 values and give 1 with ModelShapeMismatch', async function () {
      const { pool, registry, inference } = await loadFixture(poolFixture);
      const wide = await addModel(registry, inference, { inputLength: 5, output: [1n, 2n], tag: 'wide' });
      const args = await expectRevert(pool.write.setModel([wide]), poolAbi, 'ModelShapeMismatch');
      expect(args).to.deep.equal([5, 2]);
    });

    it('lets the owner switch to another registered model and emits ModelChanged', async function () {
      const { pool, registry, inference, modelId, publicClient } = await loadFixture(poolFixture);
      const next = await addModel(registry, inference, { inputLength: 4, output: [0n], tag: 'credit-risk-v2' });
      const hash = await pool.write.setModel([next]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      expect(await pool.read.modelId()).to.equal(next);
      const [changed] = parseEventLogs({ abi: pool.abi, eventName: 'ModelChanged', logs: receipt.logs });
      expect(changed.args).to.deep.equal({ previousModelId: modelId, newModelId: next });
    });

    it('reverts with OwnableUnauthorizedAccount when a non-owner switches the model', async function () {
      const { asOther, other, modelId } = await loadFixture(poolFixture);
      const args = await expectRevert(asOther.write.setModel([modelId]), poolAbi, 'OwnableUnauthorizedAccount');
      expect(args).to.deep.equal([getAddress(other.account.address)]);
    });
  });

  describe('assess', function () {
    it('sets a 110% collateral ratio for a default probability of 0', async function () {
      const f = await loadFixture(poolFixture);
      await assessAt(f, 0n);
      expect((await f.pool.read.assessmentOf([f.borrower.account.address])).collateralRatioBps).to.equal(11_000);
    });

    it('sets a 155% collateral ratio for a default probability of 0.5', async function () {
      const f = await loadFixture(poolFixture);
      await assessAt(f, fixed('0.5'));
      const assessment = await f.pool.read.assessmentOf([f.borrower.account.address]);
      expect(assessment.collateralRatioBps).to.equal(15_500);
      expect(assessment.defaultProbability).to.equal(fixed('0.5'));
    });

    it('sets a 200% collateral ratio for a default probability of 1', async function () {
      const f = await loadFixture(poolFixture);
      await assessAt(f, fixed('1'));
      expect((await f.pool.read.assessmentOf([f.borrower.account.address])).collateralRatioBps).to.equal(20_000);
    });

    it('clamps a probability below 0 to 0 (110%)', async function () {
      const f = await loadFixture(poolFixture);
      await assessAt(f, fixed('-0.3'));
      const assessment = await f.pool.read.assessmentOf([f.borrower.account.address]);
      expect(assessment.defaultProbability).to.equal(0n);
      expect(assessment.collateralRatioBps).to.equal(11_000);
    });

    it('clamps a probability above 1 to 1 (200%)', async function () {
      const f = await loadFixture(poolFixture);
      await assessAt(f, fixed('7.5'));
      const assessment = await f.pool.read.assessmentOf([f.borrower.account.address]);
      expect(assessment.defaultProbability).to.equal(fixed('1'));
      expect(assessment.collateralRatioBps).to.equal(20_000);
    });

    it("emits Assessed with the same input and output hashes as the precompile's Inference log", async function () {
      const f = await loadFixture(poolFixture);
      const receipt = await assessAt(f, fixed('0.25'));

      const [assessed] = parseEventLogs({ abi: f.pool.abi, eventName: 'Assessed', logs: receipt.logs });
      expect(assessed.args).to.deep.equal({
        borrower: getAddress(f.borrower.account.address),
        defaultProbability: fixed('0.25'),
        collateralRatioBps: 13_250n,
        inputHash: hashValues(FEATURES),
        outputHash: hashValues([fixed('0.25')]),
      });
      const [inference] = parseEventLogs({ abi: inferenceAbi, eventName: 'Inference', logs: receipt.logs });
      expect(getAddress(inference.address)).to.equal(INFERENCE_ADDRESS);
      expect(inference.args).to.deep.equal({
        modelId: f.modelId,
        inputHash: assessed.args.inputHash,
        outputHash: assessed.args.outputHash,
      });
    });

    it('records the block of the assessment', async function () {
      const f = await loadFixture(poolFixture);
      const receipt = await assessAt(f, fixed('0.25'));
      expect((await f.pool.read.assessmentOf([f.borrower.account.address])).blockNumber).to.equal(receipt.blockNumber);
    });

    it("reverts with the precompile's reason, unchanged, when the precompile does not know the model", async function () {
      const { pool, registry, asBorrower } = await loadFixture(poolFixture);
      // Registered, so setModel accepts it, but never taught to the inference stand-in.
      const bytes = '0x080401' as const;
      await registry.write.register([bytes, 'unloaded']);
      await pool.write.setModel([keccak256(bytes)]);
      const args = await expectRevert(asBorrower.write.assess([FEATURES]), poolAbi, 'Error');
      expect(args).to.deep.equal(['unknown model']);
    });

    it('reverts with UnexpectedOutputLength when the model gives more than one value', async function () {
      const f = await loadFixture(poolFixture);
      await f.inference.write.setModel([f.modelId, 4n, [1n, 2n]]);
      const args = await expectRevert(f.asBorrower.write.assess([FEATURES]), poolAbi, 'UnexpectedOutputLength');
      expect(args).to.deep.equal([2n]);
    });

    it('reverts with InferenceOutputMalformed on a chain without the inference precompile', async function () {
      const { asBorrower } = await loadFixture(poolFixture);
      await removeCode(INFERENCE_ADDRESS);
      const args = await expectRevert(asBorrower.write.assess([FEATURES]), poolAbi, 'InferenceOutputMalformed');
      expect(args).to.deep.equal(['0x']);
    });
  });

  describe('deposit and withdraw', function () {
    it('adds the ETH sent to the available liquidity and emits Deposited', async function () {
      const { pool, asLender, lender, publicClient } = await loadFixture(poolFixture);
      const hash = await asLender.write.deposit({ value: parseEther('3') });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      expect(await pool.read.availableLiquidity()).to.equal(parseEther('3'));
      expect(await pool.read.deposits([lender.account.address])).to.equal(parseEther('3'));
      const [deposited] = parseEventLogs({ abi: pool.abi, eventName: 'Deposited', logs: receipt.logs });
      expect(deposited.args).to.deep.equal({ lender: getAddress(lender.account.address), amount: parseEther('3') });
    });

    it('reverts with ZeroAmount for a deposit of nothing', async function () {
      const { asLender } = await loadFixture(poolFixture);
      await expectRevert(asLender.write.deposit({ value: 0n }), poolAbi, 'ZeroAmount');
    });

    it("returns part of a lender's deposit and emits Withdrawn", async function () {
      const f = await loadFixture(fundedPoolFixture);
      const before = await f.publicClient.getBalance({ address: f.lender.account.address });
      const hash = await f.asLender.write.withdraw([parseEther('40')]);
      const after = await f.publicClient.getBalance({ address: f.lender.account.address });
      expect(after - before + (await gasCost(f, hash))).to.equal(parseEther('40'));
      expect(await f.pool.read.deposits([f.lender.account.address])).to.equal(parseEther('60'));
      expect(await f.pool.read.availableLiquidity()).to.equal(parseEther('60'));
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      const [withdrawn] = parseEventLogs({ abi: f.pool.abi, eventName: 'Withdrawn', logs: receipt.logs });
      expect(withdrawn.args.amount).to.equal(parseEther('40'));
    });

    it('reverts with InsufficientDeposit when a lender asks for more than they deposited', async function () {
      const { asLender, asOther } = await loadFixture(fundedPoolFixture);
      expect(await expectRevert(asLender.write.withdraw([LIQUIDITY + 1n]), poolAbi, 'InsufficientDeposit')).to.deep.equal([
        LIQUIDITY + 1n,
        LIQUIDITY,
      ]);
      expect(await expectRevert(asOther.write.withdraw([1n]), poolAbi, 'InsufficientDeposit')).to.deep.equal([1n, 0n]);
    });

    it('reverts with InsufficientLiquidity when the deposit is lent out', async function () {
      const f = await loadFixture(openLoanFixture);
      const args = await expectRevert(f.asLender.write.withdraw([LIQUIDITY]), poolAbi, 'InsufficientLiquidity');
      expect(args).to.deep.equal([LIQUIDITY, parseEther('90')]);
    });

    it('reverts with ZeroAmount for a withdrawal of nothing', async function () {
      const { asLender } = await loadFixture(fundedPoolFixture);
      await expectRevert(asLender.write.withdraw([0n]), poolAbi, 'ZeroAmount');
    });

    it('reverts with EthTransferFailed when the lender is a contract that refuses ETH', async function () {
      const { pool } = await loadFixture(poolFixture);
      // Any contract without a receive function will do: the registry predeploy is one.
      const lender = MODEL_REGISTRY_ADDRESS;
      const testClient = await hre.viem.getTestClient();
      await testClient.setBalance({ address: lender, value: parseEther('10') });
      await testClient.impersonateAccount({ address: lender });
      const wallet = await hre.viem.getWalletClient(lender);
      const asContract = await hre.viem.getContractAt('CreditLendingPool', pool.address, { client: { wallet } });
      await asContract.write.deposit({ value: parseEther('1') });

      const args = await expectRevert(asContract.write.withdraw([parseEther('1')]), poolAbi, 'EthTransferFailed');

      expect(args).to.deep.equal([lender, parseEther('1')]);
      expect(await pool.read.deposits([lender])).to.equal(parseEther('1'));
      await testClient.stopImpersonatingAccount({ address: lender });
    });
  });

  describe('borrow', function () {
    it('lends the amount against collateral of amount * ratio, records the loan and emits Borrowed', async function () {
      const f = await loadFixture(assessedPoolFixture);
      const amount = parseEther('10');
      const collateral = parseEther('13.25'); // ratio 13,250 bps at p = 0.25
      expect(await f.pool.read.requiredCollateral([f.borrower.account.address, amount])).to.equal(collateral);
      const before = await f.publicClient.getBalance({ address: f.borrower.account.address });

      const hash = await f.asBorrower.write.borrow([amount], { value: collateral });

      const after = await f.publicClient.getBalance({ address: f.borrower.account.address });
      expect(before - after - (await gasCost(f, hash))).to.equal(collateral - amount);
      expect(await f.pool.read.loanOf([f.borrower.account.address])).to.deep.equal({ principal: amount, collateral });
      expect(await f.pool.read.availableLiquidity()).to.equal(LIQUIDITY - amount);
      expect(await f.publicClient.getBalance({ address: f.pool.address })).to.equal(LIQUIDITY - amount + collateral);
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      const [borrowed] = parseEventLogs({ abi: f.pool.abi, eventName: 'Borrowed', logs: receipt.logs });
      expect(borrowed.args).to.deep.equal({
        borrower: getAddress(f.borrower.account.address),
        amount,
        collateral,
        collateralRatioBps: 13_250n,
      });
    });

    it('reverts with InsufficientCollateral(required, provided) one wei short of amount * ratio', async function () {
      const { asBorrower } = await loadFixture(assessedPoolFixture);
      const required = parseEther('13.25');
      const args = await expectRevert(
        asBorrower.write.borrow([parseEther('10')], { value: required - 1n }),
        poolAbi,
        'InsufficientCollateral',
      );
      expect(args).to.deep.equal([required, required - 1n]);
    });

    it('rounds the required collateral up to the wei', async function () {
      const { asBorrower } = await loadFixture(assessedPoolFixture);
      // 3 wei * 1.325 = 3.975 wei: 4 wei needed.
      const args = await expectRevert(asBorrower.write.borrow([3n], { value: 3n }), poolAbi, 'InsufficientCollateral');
      expect(args).to.deep.equal([4n, 3n]);
    });

    it('reverts with InsufficientLiquidity when the pool holds less than the amount', async function () {
      const { asBorrower } = await loadFixture(assessedPoolFixture);
      const amount = LIQUIDITY + 1n;
      const args = await expectRevert(
        asBorrower.write.borrow([amount], { value: amount * 2n }),
        poolAbi,
        'InsufficientLiquidity',
      );
      expect(args).to.deep.equal([amount, LIQUIDITY]);
    });

    it('reverts with NotAssessed when the borrower was never assessed', async function () {
      const { asOther, other, pool } = await loadFixture(fundedPoolFixture);
      const args = await expectRevert(asOther.write.borrow([1n], { value: 2n }), poolAbi, 'NotAssessed');
      expect(args).to.deep.equal([getAddress(other.account.address)]);
      await expectRevert(pool.read.requiredCollateral([other.account.address, 1n]), poolAbi, 'NotAssessed');
    });

    it('reverts with LoanAlreadyOpen for a second loan before the first is repaid', async function () {
      const { asBorrower, borrower } = await loadFixture(openLoanFixture);
      const args = await expectRevert(asBorrower.write.borrow([1n], { value: 2n }), poolAbi, 'LoanAlreadyOpen');
      expect(args).to.deep.equal([getAddress(borrower.account.address)]);
    });

    it('reverts with ZeroAmount for a loan of nothing', async function () {
      const { asBorrower } = await loadFixture(assessedPoolFixture);
      await expectRevert(asBorrower.write.borrow([0n], { value: 1n }), poolAbi, 'ZeroAmount');
    });
  });

  describe('repay', function () {
    it('takes the principal back, returns the collateral, closes the loan and emits Repaid', async function () {
      const f = await loadFixture(openLoanFixture);
      const before = await f.publicClient.getBalance({ address: f.borrower.account.address });

      const hash = await f.asBorrower.write.repay({ value: parseEther('10') });

      const after = await f.publicClient.getBalance({ address: f.borrower.account.address });
      expect(after - before + (await gasCost(f, hash))).to.equal(parseEther('3.25'));
      expect(await f.pool.read.loanOf([f.borrower.account.address])).to.deep.equal({ principal: 0n, collateral: 0n });
      expect(await f.pool.read.availableLiquidity()).to.equal(LIQUIDITY);
      expect(await f.publicClient.getBalance({ address: f.pool.address })).to.equal(LIQUIDITY);
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      const [repaid] = parseEventLogs({ abi: f.pool.abi, eventName: 'Repaid', logs: receipt.logs });
      expect(repaid.args).to.deep.equal({
        borrower: getAddress(f.borrower.account.address),
        amount: parseEther('10'),
        collateral: parseEther('13.25'),
      });
    });

    it('lets the borrower borrow again after repaying', async function () {
      const { asBorrower, pool, borrower } = await loadFixture(openLoanFixture);
      await asBorrower.write.repay({ value: parseEther('10') });
      await asBorrower.write.borrow([parseEther('1')], { value: parseEther('1.325') });
      expect((await pool.read.loanOf([borrower.account.address])).principal).to.equal(parseEther('1'));
    });

    it('reverts with WrongRepaymentAmount(owed, sent) unless exactly the principal is sent', async function () {
      const { asBorrower } = await loadFixture(openLoanFixture);
      const owed = parseEther('10');
      expect(await expectRevert(asBorrower.write.repay({ value: owed - 1n }), poolAbi, 'WrongRepaymentAmount')).to.deep.equal([
        owed,
        owed - 1n,
      ]);
      expect(await expectRevert(asBorrower.write.repay({ value: owed + 1n }), poolAbi, 'WrongRepaymentAmount')).to.deep.equal([
        owed,
        owed + 1n,
      ]);
    });

    it('reverts with NoOpenLoan when the caller owes nothing', async function () {
      const { asOther, other } = await loadFixture(openLoanFixture);
      const args = await expectRevert(asOther.write.repay({ value: 1n }), poolAbi, 'NoOpenLoan');
      expect(args).to.deep.equal([getAddress(other.account.address)]);
    });
  });
});
