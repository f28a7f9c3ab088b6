/**
 * Specification of contracts/L2/L2StandardToken.sol, run by `npx hardhat test` against the
 * in-process Hardhat network. The token is deployed straight from a dev account, which then plays
 * the bridge (the deployer); L2Bridge.test.ts covers it as deployed by the real bridge.
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, parseEventLogs, type Address } from 'viem';
import { ZERO_ADDRESS } from './bridge-harness';
import { expectRevert as expectRevertWith } from './revert';

const tokenAbi = hre.artifacts.readArtifactSync('L2StandardToken').abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, tokenAbi, errorName);
const L1_TOKEN: Address = getAddress('0x00000000000000000000000000000000000a0006');

async function tokenFixture() {
  const [bridge, alice] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const token = await hre.viem.deployContract('L2StandardToken');
  const asAlice = await hre.viem.getContractAt('L2StandardToken', token.address, { client: { wallet: alice } });
  return { token, asAlice, bridge, alice, publicClient };
}

async function initializedFixture() {
  const f = await loadFixture(tokenFixture);
  await f.token.write.initialize([L1_TOKEN, 'USD Coin', 'USDC', 6]);
  return f;
}

describe('L2StandardToken', function () {
  describe('deployment', function () {
    it('records the deployer as the bridge and starts uninitialized, with empty metadata', async function () {
      const { token, bridge } = await loadFixture(tokenFixture);
      expect(await token.read.bridge()).to.equal(getAddress(bridge.account.address));
      expect(await token.read.l1Token()).to.equal(ZERO_ADDRESS);
      expect(await token.read.name()).to.equal('');
      expect(await token.read.symbol()).to.equal('');
      expect(await token.read.decimals()).to.equal(0);
    });
  });

  describe('initialize', function () {
    it('sets the L1 token, name, symbol and decimals and emits TokenInitialized', async function () {
      const { token, publicClient } = await loadFixture(tokenFixture);
      const hash = await token.write.initialize([L1_TOKEN, 'USD Coin', 'USDC', 6]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      expect(await token.read.l1Token()).to.equal(L1_TOKEN);
      expect(await token.read.name()).to.equal('USD Coin');
      expect(await token.read.symbol()).to.equal('USDC');
      expect(await token.read.decimals()).to.equal(6);
      const events = parseEventLogs({ abi: tokenAbi, eventName: 'TokenInitialized', logs: receipt.logs });
      expect(events.map((e) => e.args)).to.deep.equal([{ l1Token: L1_TOKEN, name: 'USD Coin', symbol: 'USDC', decimals: 6 }]);
    });

    it('reverts with AlreadyInitialized the second time', async function () {
      const { token } = await loadFixture(initializedFixture);
      await expectRevert(token.write.initialize([L1_TOKEN, 'Other', 'OTH', 18]), 'AlreadyInitialized');
      expect(await token.read.name()).to.equal('USD Coin');
    });

    it('reverts with ZeroL1Token for the zero address', async function () {
      const { token } = await loadFixture(tokenFixture);
      await expectRevert(token.write.initialize([ZERO_ADDRESS, 'USD Coin', 'USDC', 6]), 'ZeroL1Token');
    });

    it('reverts with OnlyBridge(caller) for anyone but the bridge', async function () {
      const { asAlice, alice } = await loadFixture(tokenFixture);
      const args = await expectRevert(asAlice.write.initialize([L1_TOKEN, 'Fake', 'FAKE', 18]), 'OnlyBridge');
      expect(args).to.deep.equal([getAddress(alice.account.address)]);
    });
  });

  describe('mint and burn', function () {
    it('lets the bridge mint and burn, as ERC-20 Transfers from and to address(0)', async function () {
      const { token, alice, publicClient } = await loadFixture(initializedFixture);
      const who = getAddress(alice.account.address);
      const minted = await publicClient.waitForTransactionReceipt({ hash: await token.write.mint([who, 500n]) });
      const burned = await publicClient.waitForTransactionReceipt({ hash: await token.write.burn([who, 200n]) });
      expect(await token.read.balanceOf([who])).to.equal(300n);
      expect(await token.read.totalSupply()).to.equal(300n);
      const transfers = parseEventLogs({ abi: tokenAbi, eventName: 'Transfer', logs: [...minted.logs, ...burned.logs] });
      expect(transfers.map((e) => e.args)).to.deep.equal([
        { from: ZERO_ADDRESS, to: who, value: 500n },
        { from: who, to: ZERO_ADDRESS, value: 200n },
      ]);
    });

    it('reverts with OnlyBridge(caller) when anyone else mints or burns, the holder included', async function () {
      const { token, asAlice, alice } = await loadFixture(initializedFixture);
      await token.write.mint([alice.account.address, 500n]);
      const caller = [getAddress(alice.account.address)];
      expect(await expectRevert(asAlice.write.mint([alice.account.address, 1n]), 'OnlyBridge')).to.deep.equal(caller);
      expect(await expectRevert(asAlice.write.burn([alice.account.address, 1n]), 'OnlyBridge')).to.deep.equal(caller);
      expect(await token.read.balanceOf([alice.account.address])).to.equal(500n);
    });

    it('reverts with ERC20InsufficientBalance when burning more than the balance', async function () {
      const { token, alice } = await loadFixture(initializedFixture);
      await token.write.mint([alice.account.address, 5n]);
      const args = await expectRevert(token.write.burn([alice.account.address, 6n]), 'ERC20InsufficientBalance');
      expect(args).to.deep.equal([getAddress(alice.account.address), 5n, 6n]);
    });
  });

  describe('transfers', function () {
    it('moves tokens between holders like any ERC-20', async function () {
      const { token, asAlice, alice, bridge } = await loadFixture(initializedFixture);
      await token.write.mint([alice.account.address, 10n]);
      await asAlice.write.transfer([bridge.account.address, 4n]);
      expect(await token.read.balanceOf([alice.account.address])).to.equal(6n);
      expect(await token.read.balanceOf([bridge.account.address])).to.equal(4n);
    });
  });
});
