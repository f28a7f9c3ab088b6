/**
 * Specification of contracts/examples/ExampleToken.sol, run by `npx hardhat test`
 * (mocha + chai + hardhat-viem) against the in-process Hardhat network.
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { expectRevert as expectRevertWith } from './revert';
import {
  getAddress,
  parseEventLogs,
  parseSignature,
  parseUnits,
  zeroAddress,
  type Hex,
} from 'viem';

const NAME = 'Example Token';
const SYMBOL = 'EXT';
const DECIMALS = 18;
const INITIAL_SUPPLY = parseUnits('1000000', DECIMALS);
// Includes the OpenZeppelin errors (ERC20InsufficientBalance, OwnableUnauthorizedAccount, ...).
const exampleTokenAbi = hre.artifacts.readArtifactSync('ExampleToken').abi;

async function deployTokenFixture() {
  const [owner, alice, bob] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const token = await hre.viem.deployContract('ExampleToken', [NAME, SYMBOL, DECIMALS, INITIAL_SUPPLY]);
  // The same contract seen through another signer's wallet.
  const as = (wallet: typeof alice) =>
    hre.viem.getContractAt('ExampleToken', token.address, { client: { wallet } });
  return { token, owner, alice, bob, publicClient, as };
}

async function deploySixDecimalsFixture() {
  return hre.viem.deployContract('ExampleToken', ['Six', 'SIX', 6, parseUnits('1000', 6)]);
}

/** Expects `action` to revert with ExampleToken's custom error `errorName`; returns its arguments. */
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, exampleTokenAbi, errorName);

describe('ExampleToken', function () {
  describe('deployment', function () {
    it('mints the whole initial supply to the deployer', async function () {
      const { token, owner } = await loadFixture(deployTokenFixture);
      expect(await token.read.totalSupply()).to.equal(INITIAL_SUPPLY);
      expect(await token.read.balanceOf([owner.account.address])).to.equal(INITIAL_SUPPLY);
    });

    it('makes the deployer the owner', async function () {
      const { token, owner } = await loadFixture(deployTokenFixture);
      expect(await token.read.owner()).to.equal(getAddress(owner.account.address));
    });

    it('reports the name and symbol given to the constructor', async function () {
      const { token } = await loadFixture(deployTokenFixture);
      expect(await token.read.name()).to.equal(NAME);
      expect(await token.read.symbol()).to.equal(SYMBOL);
    });
  });

  describe('decimals', function () {
    it('reports 18 when deployed with 18', async function () {
      const { token } = await loadFixture(deployTokenFixture);
      expect(await token.read.decimals()).to.equal(18);
    });

    it('reports 6 when deployed with 6', async function () {
      const token = await loadFixture(deploySixDecimalsFixture);
      expect(await token.read.decimals()).to.equal(6);
      expect(await token.read.totalSupply()).to.equal(1_000_000_000n);
    });
  });

  describe('transfer', function () {
    it('moves tokens to the recipient and emits Transfer', async function () {
      const { token, owner, alice, publicClient } = await loadFixture(deployTokenFixture);
      const amount = parseUnits('250', DECIMALS);

      const hash = await token.write.transfer([alice.account.address, amount]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });

      expect(receipt.status).to.equal('success');
      expect(await token.read.balanceOf([alice.account.address])).to.equal(amount);
      expect(await token.read.balanceOf([owner.account.address])).to.equal(INITIAL_SUPPLY - amount);
      const [transfer] = parseEventLogs({ abi: token.abi, eventName: 'Transfer', logs: receipt.logs });
      expect(transfer.args).to.deep.equal({
        from: getAddress(owner.account.address),
        to: getAddress(alice.account.address),
        value: amount,
      });
    });

    it("reverts with ERC20InsufficientBalance when the amount exceeds the sender's balance", async function () {
      const { token, alice, bob, as } = await loadFixture(deployTokenFixture);
      const balance = parseUnits('10', DECIMALS);
      await token.write.transfer([alice.account.address, balance]);
      const asAlice = await as(alice);

      const args = await expectRevert(
        asAlice.write.transfer([bob.account.address, balance + 1n]),
        'ERC20InsufficientBalance',
      );

      expect(args).to.deep.equal([getAddress(alice.account.address), balance, balance + 1n]);
      expect(await token.read.balanceOf([alice.account.address])).to.equal(balance);
      expect(await token.read.balanceOf([bob.account.address])).to.equal(0n);
    });
  });

  describe('mint', function () {
    it('lets the owner mint to any account, raising the supply and emitting Transfer from zero', async function () {
      const { token, alice, publicClient } = await loadFixture(deployTokenFixture);
      const amount = parseUnits('42', DECIMALS);

      const hash = await token.write.mint([alice.account.address, amount]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });

      expect(await token.read.balanceOf([alice.account.address])).to.equal(amount);
      expect(await token.read.totalSupply()).to.equal(INITIAL_SUPPLY + amount);
      const [transfer] = parseEventLogs({ abi: token.abi, eventName: 'Transfer', logs: receipt.logs });
      expect(transfer.args).to.deep.equal({
        from: zeroAddress,
        to: getAddress(alice.account.address),
        value: amount,
      });
    });

    it('reverts with OwnableUnauthorizedAccount when a non-owner mints', async function () {
      const { token, alice, as } = await loadFixture(deployTokenFixture);
      const asAlice = await as(alice);

      const args = await expectRevert(
        asAlice.write.mint([alice.account.address, 1n]),
        'OwnableUnauthorizedAccount',
      );

      expect(args).to.deep.equal([getAddress(alice.account.address)]);
      expect(await token.read.totalSupply()).to.equal(INITIAL_SUPPLY);
    });

    it('reverts with MintAmountIsZero when the amount is zero', async function () {
      const { token, alice } = await loadFixture(deployTokenFixture);
      await expectRevert(token.write.mint([alice.account.address, 0n]), 'MintAmountIsZero');
    });
  });

  describe('permit', function () {
    it('lets a spender use an allowance the holder signed off-chain for this chain', async function () {
      const { token, owner, alice, as, publicClient } = await loadFixture(deployTokenFixture);
      const value = parseUnits('5', DECIMALS);
      const deadline = (await publicClient.getBlock()).timestamp + 3600n;
      const nonce = await token.read.nonces([owner.account.address]);

      const signature: Hex = await owner.signTypedData({
        domain: {
          name: NAME,
          version: '1',
          chainId: await publicClient.getChainId(),
          verifyingContract: token.address,
        },
        types: {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        primaryType: 'Permit',
        message: { owner: owner.account.address, spender: alice.account.address, value, nonce, deadline },
      });
      const { r, s, yParity } = parseSignature(signature);
      const v = yParity + 27;

      const asAlice = await as(alice);
      await asAlice.write.permit([owner.account.address, alice.account.address, value, deadline, v, r, s]);
      await asAlice.write.transferFrom([owner.account.address, alice.account.address, value]);

      expect(await token.read.balanceOf([alice.account.address])).to.equal(value);
      expect(await token.read.allowance([owner.account.address, alice.account.address])).to.equal(0n);
      expect(await token.read.nonces([owner.account.address])).to.equal(nonce + 1n);
    });
  });
});
