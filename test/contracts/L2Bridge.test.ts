/**
 * Specification of contracts/L2/L2Bridge.sol, run by `npx hardhat test` against the in-process
 * Hardhat network. The bridge is deployed normally (it has no constructor, so it behaves as at
 * its predeploy address) and the system sender is impersonated to finalize deposits.
 */
import { loadFixture } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { expect } from 'chai';
import hre from 'hardhat';
import {
  createWalletClient,
  custom,
  getAddress,
  getContractAddress,
  pad,
  parseEther,
  parseEventLogs,
  type Address,
  type Hex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { SYSTEM_SENDER, SYSTEM_SENDER_KEY, ZERO_ADDRESS, systemSenderWallet, tokenMetadata, withdrawalHash } from './bridge-harness';
import { expectRevert as expectRevertWith } from './revert';

const bridgeAbi = hre.artifacts.readArtifactSync('L2Bridge').abi;
const tokenArtifact = hre.artifacts.readArtifactSync('L2StandardToken');
const tokenAbi = tokenArtifact.abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, bridgeAbi, errorName);

/** contracts/L2/L2Bridge.sol's predeploy address (precompiles/addresses.ts L2_BRIDGE). */
const L2_BRIDGE_ADDRESS: Address = getAddress('0x4200000000000000000000000000000000000300');
/** Stand-ins for L1 token addresses: the L2 side never calls them. */
const L1_USDC: Address = getAddress('0x00000000000000000000000000000000000a0006');
const L1_DAI: Address = getAddress('0x00000000000000000000000000000000000b0018');
const USDC_METADATA = tokenMetadata('USD Coin', 'USDC', 6);
const DAI_METADATA = tokenMetadata('Dai Stablecoin', 'DAI', 18);
/** An L1 depositor (only recorded in the event). */
const L1_FROM: Address = getAddress('0x000000000000000000000000000000000000f00d');
/** Modes of EthRecipientMock. */
const ACCEPT = 0;
const REFUSE = 1;
const BURN_GAS = 2;

type PublicClient = Awaited<ReturnType<typeof hre.viem.getPublicClient>>;

async function l2BridgeFixture() {
  const [deployer, alice, bob] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const bridge = await hre.viem.deployContract('L2Bridge');
  const system = await systemSenderWallet();
  const as = (wallet: typeof alice) => hre.viem.getContractAt('L2Bridge', bridge.address, { client: { wallet } });
  const asSystem = await as(system);
  const asAlice = await as(alice);
  return { bridge, asSystem, asAlice, deployer, alice, bob, publicClient, as };
}

/** Alice holds 1,000 USDC (6 decimals) and 5 DAI (18 decimals) on L2, from deposits 0 and 1. */
async function fundedFixture() {
  const f = await loadFixture(l2BridgeFixture);
  const alice = f.alice.account.address;
  await f.asSystem.write.finalizeDeposit([0n, L1_USDC, L1_FROM, alice, 1_000_000_000n, USDC_METADATA]);
  await f.asSystem.write.finalizeDeposit([1n, L1_DAI, L1_FROM, alice, parseEther('5'), DAI_METADATA]);
  const usdc = await hre.viem.getContractAt('L2StandardToken', await f.bridge.read.l2TokenFor([L1_USDC]));
  const dai = await hre.viem.getContractAt('L2StandardToken', await f.bridge.read.l2TokenFor([L1_DAI]));
  return { ...f, usdc, dai };
}

async function receiptOf(publicClient: PublicClient, hash: Hex) {
  return publicClient.waitForTransactionReceipt({ hash });
}

/** The args of every `eventName` event of L2Bridge in a receipt. */
function eventsOf(receipt: { logs: Parameters<typeof parseEventLogs>[0]['logs'] }, eventName: string) {
  return parseEventLogs({ abi: bridgeAbi, logs: receipt.logs }).filter((e) => e.eventName === eventName).map((e) => e.args as Record<string, any>);
}

describe('L2Bridge', function () {
  describe('finalizeDeposit: ETH', function () {
    it('sends the amount to an EOA, marks the nonce processed, counts it and emits DepositFinalized with l2Token 0', async function () {
      const { bridge, asSystem, bob, publicClient } = await loadFixture(l2BridgeFixture);
      const to = bob.account.address;
      const before = await publicClient.getBalance({ address: to });
      const hash = await asSystem.write.finalizeDeposit([7n, ZERO_ADDRESS, L1_FROM, to, parseEther('2'), '0x'], {
        value: parseEther('2'),
      });
      const receipt = await receiptOf(publicClient, hash);
      expect(await publicClient.getBalance({ address: to })).to.equal(before + parseEther('2'));
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(0n);
      expect(await bridge.read.depositProcessed([7n])).to.equal(true);
      expect(await bridge.read.depositProcessed([6n])).to.equal(false);
      expect(await bridge.read.totalETHDeposited()).to.equal(parseEther('2'));
      expect(eventsOf(receipt, 'DepositFinalized')).to.deep.equal([
        { depositNonce: 7n, l1Token: ZERO_ADDRESS, to: getAddress(to), from: L1_FROM, l2Token: ZERO_ADDRESS, amount: parseEther('2') },
      ]);
      expect(eventsOf(receipt, 'DepositHeld')).to.deep.equal([]);
    });

    it('delivers to a contract that accepts ETH', async function () {
      const { asSystem, publicClient } = await loadFixture(l2BridgeFixture);
      const recipient = await hre.viem.deployContract('EthRecipientMock', [ACCEPT]);
      await asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, recipient.address, 1000n, '0x'], { value: 1000n });
      expect(await publicClient.getBalance({ address: recipient.address })).to.equal(1000n);
    });

    it('holds the ETH for a contract that refuses it: heldETH, totalETHHeld, DepositHeld, and the deposit succeeds', async function () {
      const { bridge, asSystem, publicClient } = await loadFixture(l2BridgeFixture);
      const recipient = await hre.viem.deployContract('EthRecipientMock', [REFUSE]);
      const hash = await asSystem.write.finalizeDeposit([3n, ZERO_ADDRESS, L1_FROM, recipient.address, 1000n, '0x'], {
        value: 1000n,
      });
      const receipt = await receiptOf(publicClient, hash);
      expect(receipt.status).to.equal('success');
      expect(await publicClient.getBalance({ address: recipient.address })).to.equal(0n);
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(1000n);
      expect(await bridge.read.heldETH([recipient.address])).to.equal(1000n);
      expect(await bridge.read.totalETHHeld()).to.equal(1000n);
      expect(await bridge.read.depositProcessed([3n])).to.equal(true);
      expect(eventsOf(receipt, 'DepositHeld')).to.deep.equal([{ depositNonce: 3n, to: getAddress(recipient.address), amount: 1000n }]);
      expect(eventsOf(receipt, 'DepositFinalized')).to.have.length(1);
    });

    it('holds the ETH for a contract that burns all the gas it gets, within a 300,000 gas transaction', async function () {
      const { bridge, asSystem, publicClient } = await loadFixture(l2BridgeFixture);
      const recipient = await hre.viem.deployContract('EthRecipientMock', [BURN_GAS]);
      const hash = await asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, recipient.address, 1000n, '0x'], {
        value: 1000n,
        gas: 300_000n,
      });
      expect((await receiptOf(publicClient, hash)).status).to.equal('success');
      expect(await bridge.read.heldETH([recipient.address])).to.equal(1000n);
    });

    it('adds up several held deposits for the same recipient', async function () {
      const { bridge, asSystem } = await loadFixture(l2BridgeFixture);
      const recipient = await hre.viem.deployContract('EthRecipientMock', [REFUSE]);
      await asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, recipient.address, 1000n, '0x'], { value: 1000n });
      await asSystem.write.finalizeDeposit([1n, ZERO_ADDRESS, L1_FROM, recipient.address, 234n, '0x'], { value: 234n });
      expect(await bridge.read.heldETH([recipient.address])).to.equal(1234n);
      expect(await bridge.read.totalETHDeposited()).to.equal(1234n);
    });

    it('reverts with ValueMismatch(value, amount) when msg.value is more or less than the amount', async function () {
      const { bridge, asSystem, bob } = await loadFixture(l2BridgeFixture);
      const to = bob.account.address;
      const less = asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, to, 1000n, '0x'], { value: 999n });
      expect(await expectRevert(less, 'ValueMismatch')).to.deep.equal([999n, 1000n]);
      const more = asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, to, 1000n, '0x'], { value: 1001n });
      expect(await expectRevert(more, 'ValueMismatch')).to.deep.equal([1001n, 1000n]);
      expect(await bridge.read.depositProcessed([0n])).to.equal(false);
    });
  });

  describe('finalizeDeposit: tokens', function () {
    it("deploys the token's L2StandardToken at l2TokenFor(l1Token) on its first deposit, initialized from the metadata", async function () {
      const { bridge, asSystem, alice, publicClient } = await loadFixture(l2BridgeFixture);
      const expected = await bridge.read.l2TokenFor([L1_DAI]);
      expect(await publicClient.getCode({ address: expected })).to.equal(undefined);
      const hash = await asSystem.write.finalizeDeposit([0n, L1_DAI, L1_FROM, alice.account.address, parseEther('5'), DAI_METADATA]);
      const receipt = await receiptOf(publicClient, hash);

      const token = await hre.viem.getContractAt('L2StandardToken', expected);
      expect(await token.read.name()).to.equal('Dai Stablecoin');
      expect(await token.read.symbol()).to.equal('DAI');
      expect(await token.read.decimals()).to.equal(18);
      expect(await token.read.l1Token()).to.equal(L1_DAI);
      expect(await token.read.bridge()).to.equal(getAddress(bridge.address));
      expect(await bridge.read.l1TokenOf([expected])).to.equal(L1_DAI);
      expect(eventsOf(receipt, 'L2TokenDeployed')).to.deep.equal([{ l1Token: L1_DAI, l2Token: expected }]);
    });

    it('mints the amount to the recipient and emits DepositFinalized with the L2 token', async function () {
      const { bridge, asSystem, alice, publicClient } = await loadFixture(l2BridgeFixture);
      const to = getAddress(alice.account.address);
      const hash = await asSystem.write.finalizeDeposit([4n, L1_DAI, L1_FROM, to, parseEther('5'), DAI_METADATA]);
      const receipt = await receiptOf(publicClient, hash);
      const l2Token = await bridge.read.l2TokenFor([L1_DAI]);
      const token = await hre.viem.getContractAt('L2StandardToken', l2Token);
      expect(await token.read.balanceOf([to])).to.equal(parseEther('5'));
      expect(await token.read.totalSupply()).to.equal(parseEther('5'));
      expect(await bridge.read.depositProcessed([4n])).to.equal(true);
      expect(eventsOf(receipt, 'DepositFinalized')).to.deep.equal([
        { depositNonce: 4n, l1Token: L1_DAI, to, from: L1_FROM, l2Token, amount: parseEther('5') },
      ]);
    });

    it('copies 6 decimals from the metadata (a USDC-like token)', async function () {
      const { usdc, alice } = await loadFixture(fundedFixture);
      expect(await usdc.read.decimals()).to.equal(6);
      expect(await usdc.read.name()).to.equal('USD Coin');
      expect(await usdc.read.symbol()).to.equal('USDC');
      expect(await usdc.read.balanceOf([alice.account.address])).to.equal(1_000_000_000n);
    });

    it("reuses the token on later deposits and ignores their metadata, even when empty or different", async function () {
      const { bridge, asSystem, usdc, alice, bob, publicClient } = await loadFixture(fundedFixture);
      const hash = await asSystem.write.finalizeDeposit([2n, L1_USDC, L1_FROM, bob.account.address, 5n, '0x']);
      const receipt = await receiptOf(publicClient, hash);
      await asSystem.write.finalizeDeposit([3n, L1_USDC, L1_FROM, bob.account.address, 7n, tokenMetadata('Other', 'OTH', 18)]);
      expect(await bridge.read.l2TokenFor([L1_USDC])).to.equal(usdc.address);
      expect(eventsOf(receipt, 'L2TokenDeployed')).to.deep.equal([]);
      expect(await usdc.read.balanceOf([bob.account.address])).to.equal(12n);
      expect(await usdc.read.balanceOf([alice.account.address])).to.equal(1_000_000_000n);
      expect(await usdc.read.totalSupply()).to.equal(1_000_000_012n);
      expect(await usdc.read.name()).to.equal('USD Coin');
      expect(await usdc.read.decimals()).to.equal(6);
    });

    it('gives each L1 token its own L2 token', async function () {
      const { usdc, dai } = await loadFixture(fundedFixture);
      expect(usdc.address).to.not.equal(dai.address);
      expect(await dai.read.l1Token()).to.equal(L1_DAI);
      expect(await usdc.read.l1Token()).to.equal(L1_USDC);
    });

    it('reverts with ValueMismatch(value, 0) when ETH comes with a token deposit', async function () {
      const { bridge, asSystem, alice } = await loadFixture(l2BridgeFixture);
      const action = asSystem.write.finalizeDeposit([0n, L1_DAI, L1_FROM, alice.account.address, 5n, DAI_METADATA], { value: 5n });
      expect(await expectRevert(action, 'ValueMismatch')).to.deep.equal([5n, 0n]);
      expect(await bridge.read.depositProcessed([0n])).to.equal(false);
    });
  });

  describe('finalizeDeposit: access and replay', function () {
    it('reverts with OnlySystem(caller) for any other caller, the deployer included', async function () {
      const { bridge, asAlice, alice, deployer } = await loadFixture(l2BridgeFixture);
      const eth = asAlice.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, alice.account.address, 1n, '0x'], { value: 1n });
      expect(await expectRevert(eth, 'OnlySystem')).to.deep.equal([getAddress(alice.account.address)]);
      const token = bridge.write.finalizeDeposit([0n, L1_DAI, L1_FROM, alice.account.address, 1n, DAI_METADATA]);
      expect(await expectRevert(token, 'OnlySystem')).to.deep.equal([getAddress(deployer.account.address)]);
      expect(await bridge.read.depositProcessed([0n])).to.equal(false);
    });

    it('accepts a transaction signed with the published system key keccak256("ai-rollup/system-sender/v1")', async function () {
      const { bridge, bob, publicClient } = await loadFixture(l2BridgeFixture);
      const signer = createWalletClient({
        account: privateKeyToAccount(SYSTEM_SENDER_KEY),
        chain: publicClient.chain,
        transport: custom(hre.network.provider),
      });
      expect(signer.account.address).to.equal(SYSTEM_SENDER);
      const asKey = await hre.viem.getContractAt('L2Bridge', bridge.address, { client: { wallet: signer } });
      await asKey.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, bob.account.address, 1n, '0x'], { value: 1n });
      expect(await bridge.read.depositProcessed([0n])).to.equal(true);
    });

    it('reverts with DepositAlreadyProcessed(nonce) for a nonce processed before, whatever the other arguments', async function () {
      const { asSystem, alice, bob } = await loadFixture(fundedFixture);
      const again = asSystem.write.finalizeDeposit([0n, L1_USDC, L1_FROM, alice.account.address, 1_000_000_000n, USDC_METADATA]);
      expect(await expectRevert(again, 'DepositAlreadyProcessed')).to.deep.equal([0n]);
      const asEth = asSystem.write.finalizeDeposit([1n, ZERO_ADDRESS, L1_FROM, bob.account.address, 1n, '0x'], { value: 1n });
      expect(await expectRevert(asEth, 'DepositAlreadyProcessed')).to.deep.equal([1n]);
    });

    it('accepts nonces in any order (the node, not the bridge, keeps L1 order)', async function () {
      const { bridge, asSystem, bob } = await loadFixture(l2BridgeFixture);
      await asSystem.write.finalizeDeposit([5n, ZERO_ADDRESS, L1_FROM, bob.account.address, 1n, '0x'], { value: 1n });
      await asSystem.write.finalizeDeposit([2n, ZERO_ADDRESS, L1_FROM, bob.account.address, 1n, '0x'], { value: 1n });
      expect(await bridge.read.depositProcessed([5n])).to.equal(true);
      expect(await bridge.read.depositProcessed([2n])).to.equal(true);
    });
  });

  describe('claimHeldETH', function () {
    /** 1,000 wei held for an EthRecipientMock that refuses ETH. */
    async function heldFixture() {
      const f = await loadFixture(l2BridgeFixture);
      const recipient = await hre.viem.deployContract('EthRecipientMock', [REFUSE]);
      await f.asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, recipient.address, 1000n, '0x'], { value: 1000n });
      return { ...f, recipient };
    }

    it('pays the held ETH to the given recipient, clears it and emits HeldETHClaimed', async function () {
      const { bridge, recipient, bob, publicClient } = await loadFixture(heldFixture);
      const to = bob.account.address;
      const before = await publicClient.getBalance({ address: to });
      const receipt = await receiptOf(publicClient, await recipient.write.claimHeldETH([bridge.address, to]));
      expect(await publicClient.getBalance({ address: to })).to.equal(before + 1000n);
      expect(await bridge.read.heldETH([recipient.address])).to.equal(0n);
      expect(await bridge.read.totalETHHeld()).to.equal(0n);
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(0n);
      expect(eventsOf(receipt, 'HeldETHClaimed')).to.deep.equal([
        { account: getAddress(recipient.address), recipient: getAddress(to), amount: 1000n },
      ]);
    });

    it('pays the holder itself once it accepts ETH, with all the gas it needs', async function () {
      const { bridge, recipient, publicClient } = await loadFixture(heldFixture);
      await recipient.write.setMode([ACCEPT]);
      await recipient.write.claimHeldETH([bridge.address, recipient.address]);
      expect(await publicClient.getBalance({ address: recipient.address })).to.equal(1000n);
    });

    it('reverts with NothingHeld(account) when nothing is held, or after the claim', async function () {
      const { bridge, asAlice, alice, recipient, bob } = await loadFixture(heldFixture);
      expect(await expectRevert(asAlice.write.claimHeldETH([bob.account.address]), 'NothingHeld')).to.deep.equal([
        getAddress(alice.account.address),
      ]);
      await recipient.write.claimHeldETH([bridge.address, bob.account.address]);
      const again = recipient.write.claimHeldETH([bridge.address, bob.account.address]);
      expect(await expectRevert(again, 'NothingHeld')).to.deep.equal([getAddress(recipient.address)]);
    });

    it('reverts with ZeroRecipient for the zero address', async function () {
      const { bridge, recipient } = await loadFixture(heldFixture);
      await expectRevert(recipient.write.claimHeldETH([bridge.address, ZERO_ADDRESS]), 'ZeroRecipient');
      expect(await bridge.read.heldETH([recipient.address])).to.equal(1000n);
    });

    it('reverts with ETHTransferFailed(recipient, amount) when the recipient refuses, and keeps the ETH held', async function () {
      const { bridge, recipient } = await loadFixture(heldFixture);
      const args = await expectRevert(recipient.write.claimHeldETH([bridge.address, recipient.address]), 'ETHTransferFailed');
      expect(args).to.deep.equal([getAddress(recipient.address), 1000n]);
      expect(await bridge.read.heldETH([recipient.address])).to.equal(1000n);
      expect(await bridge.read.totalETHHeld()).to.equal(1000n);
    });
  });

  describe('withdrawETH', function () {
    it('keeps the ETH, counts it and emits WithdrawalInitiated with nonce 0 and the withdrawal hash', async function () {
      const { bridge, asAlice, alice, bob, publicClient } = await loadFixture(l2BridgeFixture);
      const sender = getAddress(alice.account.address);
      const l1To = getAddress(bob.account.address);
      const receipt = await receiptOf(publicClient, await asAlice.write.withdrawETH([l1To], { value: parseEther('1') }));
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(parseEther('1'));
      expect(await bridge.read.totalETHWithdrawn()).to.equal(parseEther('1'));
      expect(await bridge.read.nextWithdrawalNonce()).to.equal(1n);
      expect(eventsOf(receipt, 'WithdrawalInitiated')).to.deep.equal([
        {
          nonce: 0n,
          l2Sender: sender,
          l1To,
          l1Token: ZERO_ADDRESS,
          amount: parseEther('1'),
          withdrawalHash: withdrawalHash(0n, sender, l1To, ZERO_ADDRESS, parseEther('1')),
        },
      ]);
    });

    it('returns the nonce and gives each withdrawal the next one', async function () {
      const { asAlice, alice, bob, publicClient } = await loadFixture(l2BridgeFixture);
      const from = { account: alice.account.address, value: 1n };
      expect((await asAlice.simulate.withdrawETH([bob.account.address], from)).result).to.equal(0n);
      await asAlice.write.withdrawETH([bob.account.address], { value: 1n });
      expect((await asAlice.simulate.withdrawETH([bob.account.address], from)).result).to.equal(1n);
      const receipt = await receiptOf(publicClient, await asAlice.write.withdrawETH([bob.account.address], { value: 2n }));
      expect(eventsOf(receipt, 'WithdrawalInitiated').map((e) => e.nonce)).to.deep.equal([1n]);
    });

    it('reverts with ZeroAmount without ETH and ZeroRecipient for a zero L1 recipient', async function () {
      const { bridge, asAlice, bob } = await loadFixture(l2BridgeFixture);
      await expectRevert(asAlice.write.withdrawETH([bob.account.address]), 'ZeroAmount');
      await expectRevert(asAlice.write.withdrawETH([ZERO_ADDRESS], { value: 1n }), 'ZeroRecipient');
      expect(await bridge.read.nextWithdrawalNonce()).to.equal(0n);
    });
  });

  describe('withdrawERC20', function () {
    it('burns the tokens from the sender and emits WithdrawalInitiated with the L1 token and the hash', async function () {
      const { usdc, asAlice, alice, bob, publicClient } = await loadFixture(fundedFixture);
      const sender = getAddress(alice.account.address);
      const l1To = getAddress(bob.account.address);
      const receipt = await receiptOf(publicClient, await asAlice.write.withdrawERC20([usdc.address, l1To, 400_000_000n]));
      expect(await usdc.read.balanceOf([sender])).to.equal(600_000_000n);
      expect(await usdc.read.totalSupply()).to.equal(600_000_000n);
      expect(eventsOf(receipt, 'WithdrawalInitiated')).to.deep.equal([
        {
          nonce: 0n,
          l2Sender: sender,
          l1To,
          l1Token: L1_USDC,
          amount: 400_000_000n,
          withdrawalHash: withdrawalHash(0n, sender, l1To, L1_USDC, 400_000_000n),
        },
      ]);
    });

    it('needs no allowance and emits the token Transfer to address(0)', async function () {
      const { usdc, asAlice, alice, bob, publicClient } = await loadFixture(fundedFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.withdrawERC20([usdc.address, bob.account.address, 1n]));
      const transfers = parseEventLogs({ abi: tokenAbi, eventName: 'Transfer', logs: receipt.logs });
      expect(transfers.map((e) => e.args)).to.deep.equal([{ from: getAddress(alice.account.address), to: ZERO_ADDRESS, value: 1n }]);
    });

    it('shares one nonce sequence with ETH withdrawals', async function () {
      const { bridge, dai, usdc, asAlice, bob, publicClient } = await loadFixture(fundedFixture);
      const to = bob.account.address;
      const nonces: bigint[] = [];
      for (const hash of [
        await asAlice.write.withdrawERC20([usdc.address, to, 1n]),
        await asAlice.write.withdrawETH([to], { value: 1n }),
        await asAlice.write.withdrawERC20([dai.address, to, 1n]),
      ]) {
        nonces.push(...eventsOf(await receiptOf(publicClient, hash), 'WithdrawalInitiated').map((e) => e.nonce as bigint));
      }
      expect(nonces).to.deep.equal([0n, 1n, 2n]);
      expect(await bridge.read.nextWithdrawalNonce()).to.equal(3n);
    });

    it('reverts with ZeroAmount for nothing and ZeroRecipient for a zero L1 recipient', async function () {
      const { usdc, asAlice, bob } = await loadFixture(fundedFixture);
      await expectRevert(asAlice.write.withdrawERC20([usdc.address, bob.account.address, 0n]), 'ZeroAmount');
      await expectRevert(asAlice.write.withdrawERC20([usdc.address, ZERO_ADDRESS, 1n]), 'ZeroRecipient');
    });

    it('reverts with UnknownL2Token(token) for a token this bridge did not deploy, or an L1 token address', async function () {
      const { asAlice, alice, bob } = await loadFixture(fundedFixture);
      const foreign = await hre.viem.deployContract('TestToken', ['Foreign', 'FRN', 18]);
      await foreign.write.mint([alice.account.address, 10n]);
      const args = await expectRevert(asAlice.write.withdrawERC20([foreign.address, bob.account.address, 1n]), 'UnknownL2Token');
      expect(args).to.deep.equal([getAddress(foreign.address)]);
      const l1 = await expectRevert(asAlice.write.withdrawERC20([L1_USDC, bob.account.address, 1n]), 'UnknownL2Token');
      expect(l1).to.deep.equal([L1_USDC]);
    });

    it("reverts with the token's ERC20InsufficientBalance for more than the sender holds", async function () {
      const { usdc, asAlice, alice, bob } = await loadFixture(fundedFixture);
      const args = await expectRevertWith(
        asAlice.write.withdrawERC20([usdc.address, bob.account.address, 1_000_000_001n]),
        tokenAbi,
        'ERC20InsufficientBalance',
      );
      expect(args).to.deep.equal([getAddress(alice.account.address), 1_000_000_000n, 1_000_000_001n]);
    });
  });

  describe('withdrawalHash', function () {
    it('is keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount))', async function () {
      const { bridge, alice, bob } = await loadFixture(l2BridgeFixture);
      const args = [42n, getAddress(alice.account.address), getAddress(bob.account.address), L1_DAI, 123n] as const;
      expect(await bridge.read.withdrawalHash([...args])).to.equal(withdrawalHash(...args));
    });
  });

  describe('l2TokenFor', function () {
    it('is CREATE2(bridge, salt = the L1 address as bytes32, keccak256(L2StandardToken creation code))', async function () {
      const { bridge } = await loadFixture(l2BridgeFixture);
      const expected = getContractAddress({
        opcode: 'CREATE2',
        from: bridge.address,
        salt: pad(L1_USDC),
        bytecode: tokenArtifact.bytecode as Hex,
      });
      expect(await bridge.read.l2TokenFor([L1_USDC])).to.equal(expected);
    });
  });

  describe('as installed in genesis', function () {
    /** The runtime code alone at the predeploy address, as genesis installs it: no constructor runs. */
    async function predeployFixture() {
      const f = await loadFixture(l2BridgeFixture);
      const { deployedBytecode } = await hre.artifacts.readArtifact('L2Bridge');
      const testClient = await hre.viem.getTestClient();
      await testClient.setCode({ address: L2_BRIDGE_ADDRESS, bytecode: deployedBytecode as Hex });
      const system = await systemSenderWallet();
      const predeploy = await hre.viem.getContractAt('L2Bridge', L2_BRIDGE_ADDRESS, { client: { wallet: system } });
      return { ...f, predeploy };
    }

    it('deploys tokens at addresses computed from the predeploy address, mints and burns them', async function () {
      const { predeploy, alice, bob } = await loadFixture(predeployFixture);
      await predeploy.write.finalizeDeposit([0n, L1_USDC, L1_FROM, alice.account.address, 10n, USDC_METADATA]);
      const l2Token = getContractAddress({
        opcode: 'CREATE2',
        from: L2_BRIDGE_ADDRESS,
        salt: pad(L1_USDC),
        bytecode: tokenArtifact.bytecode as Hex,
      });
      expect(await predeploy.read.l2TokenFor([L1_USDC])).to.equal(l2Token);
      const token = await hre.viem.getContractAt('L2StandardToken', l2Token);
      expect(await token.read.bridge()).to.equal(L2_BRIDGE_ADDRESS);
      expect(await token.read.balanceOf([alice.account.address])).to.equal(10n);
      const asAlice = await hre.viem.getContractAt('L2Bridge', L2_BRIDGE_ADDRESS, { client: { wallet: alice } });
      await asAlice.write.withdrawERC20([l2Token, bob.account.address, 4n]);
      expect(await token.read.balanceOf([alice.account.address])).to.equal(6n);
      expect(await predeploy.read.nextWithdrawalNonce()).to.equal(1n);
    });
  });

  describe('ETH accounting', function () {
    it('keeps balance = totalETHWithdrawn + totalETHHeld across deposits, holds, claims and withdrawals', async function () {
      const { bridge, asSystem, asAlice, bob, publicClient } = await loadFixture(l2BridgeFixture);
      const refuser = await hre.viem.deployContract('EthRecipientMock', [REFUSE]);
      await asSystem.write.finalizeDeposit([0n, ZERO_ADDRESS, L1_FROM, bob.account.address, 500n, '0x'], { value: 500n });
      await asSystem.write.finalizeDeposit([1n, ZERO_ADDRESS, L1_FROM, refuser.address, 300n, '0x'], { value: 300n });
      await asAlice.write.withdrawETH([bob.account.address], { value: 70n });
      const balance = await publicClient.getBalance({ address: bridge.address });
      expect(balance).to.equal((await bridge.read.totalETHWithdrawn()) + (await bridge.read.totalETHHeld()));
      expect(balance).to.equal(370n);
      expect(await bridge.read.totalETHDeposited()).to.equal(800n);
    });

    it('refuses plain ETH transfers (they would be neither a deposit nor a withdrawal)', async function () {
      const { bridge, alice, publicClient } = await loadFixture(l2BridgeFixture);
      let reverted = false;
      try {
        await alice.sendTransaction({ to: bridge.address, value: 1n });
      } catch {
        reverted = true;
      }
      expect(reverted).to.equal(true);
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(0n);
    });
  });
});
