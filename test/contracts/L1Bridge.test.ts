/**
 * Specification of contracts/L1/L1Bridge.sol, run by `npx hardhat test` against the in-process
 * Hardhat network, with a real RollupAnchor whose batches carry withdrawal trees built here from
 * the same withdrawal hashes L2Bridge emits.
 */
import { loadFixture, time } from '@nomicfoundation/hardhat-toolbox-viem/network-helpers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { expect } from 'chai';
import hre from 'hardhat';
import { getAddress, keccak256, parseEther, parseEventLogs, toHex, zeroHash, type Address, type Hex } from 'viem';
import { ZERO_ADDRESS, tokenMetadata, withdrawalHash } from './bridge-harness';
import { deployRollup } from './committee-harness';
import { merkleTree } from './merkle';
import { expectRevert as expectRevertWith } from './revert';

const bridgeAbi = hre.artifacts.readArtifactSync('L1Bridge').abi;
const testTokenAbi = hre.artifacts.readArtifactSync('TestToken').abi;
const expectRevert = (action: Promise<unknown>, errorName: string) => expectRevertWith(action, bridgeAbi, errorName);

const WINDOW = 7n * 24n * 60n * 60n;
/** Modes of EthRecipientMock. */
const ACCEPT = 0;
const REFUSE = 1;

type PublicClient = Awaited<ReturnType<typeof hre.viem.getPublicClient>>;

/** The args of every `eventName` event of L1Bridge in a receipt. */
function eventsOf(receipt: { logs: Parameters<typeof parseEventLogs>[0]['logs'] }, eventName: string) {
  return parseEventLogs({ abi: bridgeAbi, logs: receipt.logs }).filter((e) => e.eventName === eventName).map((e) => e.args as Record<string, any>);
}

async function receiptOf(publicClient: PublicClient, hash: Hex) {
  return publicClient.waitForTransactionReceipt({ hash });
}

/** A distinct nonzero bytes32. */
const h = (label: string): Hex => keccak256(toHex(label));

async function l1BridgeFixture() {
  const [owner, , sequencer, alice, bob, relayer] = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const { anchor, validatorSet } = await deployRollup(owner, sequencer.account.address, WINDOW);
  const bridge = await hre.viem.deployContract('L1Bridge', [anchor.address, owner.account.address]);
  const as = (wallet: typeof alice) => hre.viem.getContractAt('L1Bridge', bridge.address, { client: { wallet } });
  const asAlice = await as(alice);
  const asRelayer = await as(relayer);
  const asSequencer = await hre.viem.getContractAt('RollupAnchor', anchor.address, { client: { wallet: sequencer } });

  const dai = await hre.viem.deployContract('TestToken', ['Dai Stablecoin', 'DAI', 18]);
  const usdc = await hre.viem.deployContract('TestToken', ['USD Coin', 'USDC', 6]);
  const feeToken = await hre.viem.deployContract('FeeOnTransferToken', [100n]); // 1 %
  const bare = await hre.viem.deployContract('NoMetadataToken');
  const odd = await hre.viem.deployContract('OddMetadataToken');
  for (const token of [dai, usdc, feeToken, bare, odd]) {
    const asHolder = await hre.viem.getContractAt('TestToken', token.address, { client: { wallet: alice } });
    await asHolder.write.mint([alice.account.address, parseEther('1000000')]);
    await asHolder.write.approve([bridge.address, parseEther('1000000')]);
  }
  return {
    anchor, validatorSet, bridge, asAlice, asRelayer, asSequencer, owner, alice, bob, relayer, publicClient, as,
    dai, usdc, feeToken, bare, odd,
  };
}

/** What alice holds of each test token before depositing: what finalized withdrawals restore. */
const ALICE_START = parseEther('1000000');

type Withdrawal = { nonce: bigint; l2Sender: Address; l1To: Address; l1Token: Address; amount: bigint };
const hashOf = (w: Withdrawal) => withdrawalHash(w.nonce, w.l2Sender, w.l1To, w.l1Token, w.amount);

/**
 * Alice deposited 10 ETH, 1,000 USDC and 50 DAI; three batches are posted: batch 0 holds the
 * withdrawals below, batch 1 other withdrawals, batch 2 none. Not yet final.
 */
async function postedFixture() {
  const f = await loadFixture(l1BridgeFixture);
  const alice = getAddress(f.alice.account.address);
  const bob = getAddress(f.bob.account.address);
  await f.asAlice.write.depositETH([alice], { value: parseEther('10') });
  await f.asAlice.write.depositERC20([f.usdc.address, alice, 1_000_000_000n]);
  await f.asAlice.write.depositERC20([f.dai.address, alice, parseEther('50')]);
  const refuser = await hre.viem.deployContract('EthRecipientMock', [REFUSE]);

  const w = {
    eth: { nonce: 0n, l2Sender: alice, l1To: bob, l1Token: ZERO_ADDRESS, amount: parseEther('4') },
    usdc: { nonce: 1n, l2Sender: alice, l1To: alice, l1Token: getAddress(f.usdc.address), amount: 1_000_000_000n },
    dai: { nonce: 2n, l2Sender: alice, l1To: bob, l1Token: getAddress(f.dai.address), amount: parseEther('20') },
    tooMuch: { nonce: 3n, l2Sender: alice, l1To: bob, l1Token: ZERO_ADDRESS, amount: parseEther('11') },
    refused: { nonce: 4n, l2Sender: alice, l1To: getAddress(refuser.address), l1Token: ZERO_ADDRESS, amount: parseEther('1') },
  } satisfies Record<string, Withdrawal>;
  const order = [w.eth, w.usdc, w.dai, w.tooMuch, w.refused];
  const tree = merkleTree(order.map(hashOf));
  const proofOf = (x: Withdrawal) => tree.proofs[order.indexOf(x)];
  const other = merkleTree([h('other-1'), h('other-2'), h('other-3')]);

  const submit = async (first: bigint, last: bigint, withdrawalRoot: Hex) =>
    receiptOf(
      f.publicClient,
      await f.asSequencer.write.submitBatch([first, last, h(`state-${last}`), h(`block-${last}`), withdrawalRoot, zeroHash, toHex(`data ${first}`)]),
    );
  const posted = await submit(1n, 10n, tree.root);
  await submit(11n, 20n, other.root);
  await submit(21n, 30n, zeroHash);
  const postedAt = (await f.publicClient.getBlock({ blockNumber: posted.blockNumber })).timestamp;

  /** finalizeWithdrawal arguments for withdrawal `x` proven in `batch`. */
  const args = (x: Withdrawal, batch = 0n, proof = proofOf(x)) =>
    [batch, x.nonce, x.l2Sender, x.l1To, x.l1Token, x.amount, proof] as const;
  return { ...f, w, tree, proofOf, args, refuser, postedAt };
}

/** postedFixture with the challenge window of every batch passed. */
async function finalFixture() {
  const f = await loadFixture(postedFixture);
  await time.increaseTo(f.postedAt + WINDOW + 10n);
  return f;
}

const rebasingAbi = hre.artifacts.readArtifactSync('RebasingToken').abi;
/** RebasingToken indexes, base units per share scaled by 1e18: ONE leaves balances as deposited. */
const ONE = 10n ** 18n;
const HALF = ONE / 2n;
const DOUBLE = ONE * 2n;

/**
 * Alice holds 1,000 of a RebasingToken (index 1) and deposited 100 of them; batch 0, final,
 * holds her withdrawals of that token: 40 to bob and 60 to herself (the 100 deposited), and 1
 * more to bob, beyond what deposits locked (as if a sequencer posted it).
 */
async function rebasingFixture() {
  const f = await loadFixture(l1BridgeFixture);
  const alice = getAddress(f.alice.account.address);
  const bob = getAddress(f.bob.account.address);
  const rebasing = await hre.viem.deployContract('RebasingToken');
  const asHolder = await hre.viem.getContractAt('RebasingToken', rebasing.address, { client: { wallet: f.alice } });
  await asHolder.write.mint([alice, parseEther('1000')]);
  await asHolder.write.approve([f.bridge.address, parseEther('1000000')]);
  await f.asAlice.write.depositERC20([rebasing.address, alice, parseEther('100')]);

  const token = getAddress(rebasing.address);
  const rw = {
    first: { nonce: 0n, l2Sender: alice, l1To: bob, l1Token: token, amount: parseEther('40') },
    last: { nonce: 1n, l2Sender: alice, l1To: alice, l1Token: token, amount: parseEther('60') },
    beyond: { nonce: 2n, l2Sender: alice, l1To: bob, l1Token: token, amount: parseEther('1') },
  } satisfies Record<string, Withdrawal>;
  const order = [rw.first, rw.last, rw.beyond];
  const tree = merkleTree(order.map(hashOf));
  const hash = await f.asSequencer.write.submitBatch([1n, 10n, h('state-10'), h('block-10'), tree.root, zeroHash, toHex('data 1')]);
  const posted = await receiptOf(f.publicClient, hash);
  const postedAt = (await f.publicClient.getBlock({ blockNumber: posted.blockNumber })).timestamp;
  await time.increaseTo(postedAt + WINDOW + 10n);
  const rargs = (x: Withdrawal) => [0n, x.nonce, x.l2Sender, x.l1To, x.l1Token, x.amount, tree.proofs[order.indexOf(x)]] as const;
  return { ...f, rebasing, rw, rargs };
}

describe('L1Bridge', function () {
  describe('deployment', function () {
    it('keeps the RollupAnchor and the owner, starts unpaused with deposit nonce 0', async function () {
      const { bridge, anchor, owner } = await loadFixture(l1BridgeFixture);
      expect(await bridge.read.rollupAnchor()).to.equal(getAddress(anchor.address));
      expect(await bridge.read.owner()).to.equal(getAddress(owner.account.address));
      expect(await bridge.read.paused()).to.equal(false);
      expect(await bridge.read.nextDepositNonce()).to.equal(0n);
      expect(await bridge.read.lockedBalance([ZERO_ADDRESS])).to.equal(0n);
    });

    it('reverts with ZeroRollupAnchor for a zero anchor and OwnableInvalidOwner(0) for a zero owner', async function () {
      const { anchor, owner } = await loadFixture(l1BridgeFixture);
      await expectRevert(hre.viem.deployContract('L1Bridge', [ZERO_ADDRESS, owner.account.address]), 'ZeroRollupAnchor');
      const args = await expectRevert(hre.viem.deployContract('L1Bridge', [anchor.address, ZERO_ADDRESS]), 'OwnableInvalidOwner');
      expect(args).to.deep.equal([ZERO_ADDRESS]);
    });
  });

  describe('depositETH', function () {
    it('locks msg.value and emits DepositInitiated(nonce 0, l1Token 0, from, to, amount, empty metadata)', async function () {
      const { bridge, asAlice, alice, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositETH([bob.account.address], { value: parseEther('3') }));
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(parseEther('3'));
      expect(await bridge.read.lockedBalance([ZERO_ADDRESS])).to.equal(parseEther('3'));
      expect(await bridge.read.nextDepositNonce()).to.equal(1n);
      expect(eventsOf(receipt, 'DepositInitiated')).to.deep.equal([
        {
          nonce: 0n,
          l1Token: ZERO_ADDRESS,
          from: getAddress(alice.account.address),
          to: getAddress(bob.account.address),
          amount: parseEther('3'),
          tokenMetadata: '0x',
        },
      ]);
    });

    it('returns the deposit nonce', async function () {
      const { asAlice, alice, bob } = await loadFixture(l1BridgeFixture);
      await asAlice.write.depositETH([bob.account.address], { value: 1n });
      const { result } = await asAlice.simulate.depositETH([bob.account.address], { account: alice.account.address, value: 1n });
      expect(result).to.equal(1n);
    });

    it('treats plain ETH sent to the contract as a deposit for the sender', async function () {
      const { bridge, alice, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await alice.sendTransaction({ to: bridge.address, value: parseEther('2') }));
      const sender = getAddress(alice.account.address);
      expect(eventsOf(receipt, 'DepositInitiated')).to.deep.equal([
        { nonce: 0n, l1Token: ZERO_ADDRESS, from: sender, to: sender, amount: parseEther('2'), tokenMetadata: '0x' },
      ]);
      expect(await bridge.read.lockedBalance([ZERO_ADDRESS])).to.equal(parseEther('2'));
    });

    it('reverts with PlainTransferFromContract when a contract sends plain ETH (it must name the recipient)', async function () {
      const { bridge } = await loadFixture(l1BridgeFixture);
      const sender = await hre.viem.deployContract('EthSender');
      const args = await expectRevert(sender.write.send([bridge.address], { value: parseEther('1') }), 'PlainTransferFromContract');
      expect(args).to.deep.equal([getAddress(sender.address)]);
      expect(await bridge.read.nextDepositNonce()).to.equal(0n);
    });

    it('reverts with ZeroAmount without ETH (also for a plain transfer of 0) and ZeroRecipient for a zero recipient', async function () {
      const { bridge, asAlice, alice, bob } = await loadFixture(l1BridgeFixture);
      await expectRevert(asAlice.write.depositETH([bob.account.address]), 'ZeroAmount');
      await expectRevert(alice.sendTransaction({ to: bridge.address, value: 0n }), 'ZeroAmount');
      await expectRevert(asAlice.write.depositETH([ZERO_ADDRESS], { value: 1n }), 'ZeroRecipient');
      expect(await bridge.read.nextDepositNonce()).to.equal(0n);
    });
  });

  describe('depositERC20', function () {
    it('pulls the tokens, locks them and emits DepositInitiated with abi.encode(name, symbol, decimals)', async function () {
      const { bridge, asAlice, dai, alice, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const hash = await asAlice.write.depositERC20([dai.address, bob.account.address, parseEther('50')]);
      const receipt = await receiptOf(publicClient, hash);
      expect(await dai.read.balanceOf([bridge.address])).to.equal(parseEther('50'));
      expect(await dai.read.balanceOf([alice.account.address])).to.equal(ALICE_START - parseEther('50'));
      expect(await bridge.read.lockedBalance([dai.address])).to.equal(parseEther('50'));
      expect(eventsOf(receipt, 'DepositInitiated')).to.deep.equal([
        {
          nonce: 0n,
          l1Token: getAddress(dai.address),
          from: getAddress(alice.account.address),
          to: getAddress(bob.account.address),
          amount: parseEther('50'),
          tokenMetadata: tokenMetadata('Dai Stablecoin', 'DAI', 18),
        },
      ]);
    });

    it('carries 6 decimals for a USDC-like token', async function () {
      const { asAlice, usdc, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositERC20([usdc.address, bob.account.address, 1_000_000n]));
      expect(eventsOf(receipt, 'DepositInitiated')[0].tokenMetadata).to.equal(tokenMetadata('USD Coin', 'USDC', 6));
    });

    it('gives ETH and token deposits one nonce sequence', async function () {
      const { bridge, asAlice, dai, usdc, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const to = bob.account.address;
      const nonces: bigint[] = [];
      for (const hash of [
        await asAlice.write.depositERC20([dai.address, to, 1n]),
        await asAlice.write.depositETH([to], { value: 1n }),
        await asAlice.write.depositERC20([usdc.address, to, 1n]),
      ]) {
        nonces.push(...eventsOf(await receiptOf(publicClient, hash), 'DepositInitiated').map((e) => e.nonce as bigint));
      }
      expect(nonces).to.deep.equal([0n, 1n, 2n]);
      expect(await bridge.read.nextDepositNonce()).to.equal(3n);
    });

    it('credits a fee-on-transfer token with what arrived, in the event and the locked balance', async function () {
      const { bridge, asAlice, feeToken, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositERC20([feeToken.address, bob.account.address, 1000n]));
      expect(await feeToken.read.balanceOf([bridge.address])).to.equal(990n);
      expect(await bridge.read.lockedBalance([feeToken.address])).to.equal(990n);
      expect(eventsOf(receipt, 'DepositInitiated').map((e) => e.amount)).to.deep.equal([990n]);
    });

    it('uses the defaults ("Bridged Token", "BRIDGED", 18) for a token without name, symbol and decimals', async function () {
      const { bridge, asAlice, bare, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositERC20([bare.address, bob.account.address, 5n]));
      const expected = tokenMetadata('Bridged Token', 'BRIDGED', 18);
      expect(eventsOf(receipt, 'DepositInitiated')[0].tokenMetadata).to.equal(expected);
      expect(await bridge.read.DEFAULT_NAME()).to.equal('Bridged Token');
      expect(await bridge.read.DEFAULT_SYMBOL()).to.equal('BRIDGED');
      expect(await bridge.read.DEFAULT_DECIMALS()).to.equal(18);
    });

    it('reads a bytes32 name and symbol up to the first zero byte, and defaults decimals above 255', async function () {
      const { asAlice, odd, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositERC20([odd.address, bob.account.address, 5n]));
      expect(eventsOf(receipt, 'DepositInitiated')[0].tokenMetadata).to.equal(tokenMetadata('Maker', 'MKR', 18));
    });

    it('keeps a name of MAX_METADATA_STRING_LENGTH (128) bytes and replaces a longer one by the default', async function () {
      const { bridge } = await loadFixture(l1BridgeFixture);
      expect(await bridge.read.MAX_METADATA_STRING_LENGTH()).to.equal(128n);
      const long = await hre.viem.deployContract('TestToken', ['n'.repeat(128), 's'.repeat(129), 8]);
      expect(await bridge.read.tokenMetadata([long.address])).to.equal(tokenMetadata('n'.repeat(128), 'BRIDGED', 8));
    });

    it('emits the same metadata that tokenMetadata(token) returns', async function () {
      const { bridge, asAlice, usdc, bob, publicClient } = await loadFixture(l1BridgeFixture);
      const receipt = await receiptOf(publicClient, await asAlice.write.depositERC20([usdc.address, bob.account.address, 1n]));
      expect(eventsOf(receipt, 'DepositInitiated')[0].tokenMetadata).to.equal(await bridge.read.tokenMetadata([usdc.address]));
    });

    it('reverts with ZeroAmount, ZeroRecipient, and ZeroToken for address(0) (ETH goes through depositETH)', async function () {
      const { bridge, asAlice, dai, bob } = await loadFixture(l1BridgeFixture);
      await expectRevert(asAlice.write.depositERC20([dai.address, bob.account.address, 0n]), 'ZeroAmount');
      await expectRevert(asAlice.write.depositERC20([dai.address, ZERO_ADDRESS, 1n]), 'ZeroRecipient');
      await expectRevert(asAlice.write.depositERC20([ZERO_ADDRESS, bob.account.address, 1n]), 'ZeroToken');
      expect(await bridge.read.nextDepositNonce()).to.equal(0n);
    });

    it('reverts with NothingReceived(token) when the transfer brings the bridge nothing', async function () {
      const { bridge, asAlice, feeToken, bob } = await loadFixture(l1BridgeFixture);
      await feeToken.write.setFee([10_000n]);
      const args = await expectRevert(asAlice.write.depositERC20([feeToken.address, bob.account.address, 1000n]), 'NothingReceived');
      expect(args).to.deep.equal([getAddress(feeToken.address)]);
      expect(await bridge.read.lockedBalance([feeToken.address])).to.equal(0n);
    });

    it("reverts with the token's ERC20InsufficientAllowance without approval", async function () {
      const { bridge, dai, bob } = await loadFixture(l1BridgeFixture);
      // bob has approved nothing
      const asBob = await hre.viem.getContractAt('L1Bridge', bridge.address, { client: { wallet: bob } });
      const args = await expectRevertWith(asBob.write.depositERC20([dai.address, bob.account.address, 1n]), testTokenAbi, 'ERC20InsufficientAllowance');
      expect(args).to.deep.equal([getAddress(bridge.address), 0n, 1n]);
    });
  });

  describe('finalizeWithdrawal', function () {
    it('pays ETH to l1To once the batch is final, marks it finalized and emits WithdrawalFinalized', async function () {
      const { bridge, asAlice, w, args, bob, publicClient } = await loadFixture(finalFixture);
      const before = await publicClient.getBalance({ address: bob.account.address });
      const receipt = await receiptOf(publicClient, await asAlice.write.finalizeWithdrawal(args(w.eth)));
      expect(await publicClient.getBalance({ address: bob.account.address })).to.equal(before + parseEther('4'));
      expect(await bridge.read.lockedBalance([ZERO_ADDRESS])).to.equal(parseEther('6'));
      expect(await publicClient.getBalance({ address: bridge.address })).to.equal(parseEther('6'));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(w.eth)])).to.equal(true);
      expect(eventsOf(receipt, 'WithdrawalFinalized')).to.deep.equal([
        { withdrawalHash: hashOf(w.eth), nonce: 0n, l1To: w.eth.l1To, l1Token: ZERO_ADDRESS, amount: parseEther('4') },
      ]);
    });

    it("accepts a proof from @openzeppelin/merkle-tree's StandardMerkleTree (the batcher's tree layout)", async function () {
      const { bridge, asAlice, asSequencer, w, args, postedAt, bob, publicClient } = await loadFixture(postedFixture);
      const values = [w.dai, w.eth, w.usdc].map((x) => [hashOf(x)]);
      const tree = StandardMerkleTree.of(values, ['bytes32']);
      await asSequencer.write.submitBatch([31n, 40n, h('state-40'), h('block-40'), tree.root as Hex, zeroHash, toHex('data 31')]);
      await time.increaseTo(postedAt + 2n * WINDOW);
      const before = await publicClient.getBalance({ address: bob.account.address });
      await asAlice.write.finalizeWithdrawal(args(w.eth, 3n, tree.getProof([hashOf(w.eth)]) as Hex[]));
      expect(await publicClient.getBalance({ address: bob.account.address })).to.equal(before + parseEther('4'));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(w.eth)])).to.equal(true);
    });

    it("pays tokens back: the depositor's balance is restored and the bridge holds none", async function () {
      const { bridge, asAlice, usdc, w, args, alice } = await loadFixture(finalFixture);
      await asAlice.write.finalizeWithdrawal(args(w.usdc));
      expect(await usdc.read.balanceOf([alice.account.address])).to.equal(ALICE_START);
      expect(await usdc.read.balanceOf([bridge.address])).to.equal(0n);
      expect(await bridge.read.lockedBalance([usdc.address])).to.equal(0n);
    });

    it('can be relayed by anyone: the funds still go to l1To', async function () {
      const { bridge, asRelayer, dai, w, args, bob, relayer } = await loadFixture(finalFixture);
      await asRelayer.write.finalizeWithdrawal(args(w.dai));
      expect(await dai.read.balanceOf([bob.account.address])).to.equal(parseEther('20'));
      expect(await dai.read.balanceOf([relayer.account.address])).to.equal(0n);
      expect(await bridge.read.lockedBalance([dai.address])).to.equal(parseEther('30'));
    });

    it('reverts with BatchNotFinal(batch) until the challenge window has passed, then pays', async function () {
      const { bridge, asAlice, w, args, postedAt } = await loadFixture(postedFixture);
      expect(await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth)), 'BatchNotFinal')).to.deep.equal([0n]);
      await time.setNextBlockTimestamp(postedAt + WINDOW - 1n);
      expect(await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth)), 'BatchNotFinal')).to.deep.equal([0n]);
      await time.setNextBlockTimestamp(postedAt + WINDOW);
      await asAlice.write.finalizeWithdrawal(args(w.eth));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(w.eth)])).to.equal(true);
    });

    it('reverts with WithdrawalAlreadyFinalized(hash) the second time', async function () {
      const { bridge, asAlice, w, args } = await loadFixture(finalFixture);
      await asAlice.write.finalizeWithdrawal(args(w.eth));
      const again = await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth)), 'WithdrawalAlreadyFinalized');
      expect(again).to.deep.equal([hashOf(w.eth)]);
      expect(await bridge.read.lockedBalance([ZERO_ADDRESS])).to.equal(parseEther('6'));
    });

    it("reverts with InvalidWithdrawalProof for another withdrawal's proof or a tampered proof", async function () {
      const { asAlice, w, args, proofOf } = await loadFixture(finalFixture);
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 0n, proofOf(w.usdc))), 'InvalidWithdrawalProof');
      const tampered = [...proofOf(w.eth)];
      tampered[0] = h('not a sibling');
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 0n, tampered)), 'InvalidWithdrawalProof');
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 0n, [])), 'InvalidWithdrawalProof');
    });

    it('reverts with InvalidWithdrawalProof against the wrong batch (other withdrawals, or none)', async function () {
      const { asAlice, w, args } = await loadFixture(finalFixture);
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 1n)), 'InvalidWithdrawalProof');
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 2n)), 'InvalidWithdrawalProof');
    });

    it('reverts with InvalidWithdrawalProof for a tampered amount, recipient, token, sender or nonce', async function () {
      const { asAlice, w, args, proofOf, relayer, dai } = await loadFixture(finalFixture);
      const proof = proofOf(w.eth);
      const tampered: Withdrawal[] = [
        { ...w.eth, amount: w.eth.amount + 1n },
        { ...w.eth, l1To: getAddress(relayer.account.address) },
        { ...w.eth, l1Token: getAddress(dai.address) },
        { ...w.eth, l2Sender: getAddress(relayer.account.address) },
        { ...w.eth, nonce: 9n },
      ];
      for (const x of tampered) await expectRevert(asAlice.write.finalizeWithdrawal(args(x, 0n, proof)), 'InvalidWithdrawalProof');
    });

    it('reverts with UnknownBatch(batch) for a batch not yet posted', async function () {
      const { asAlice, w, args } = await loadFixture(finalFixture);
      expect(await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth, 3n)), 'UnknownBatch')).to.deep.equal([3n]);
    });

    it('reverts with InsufficientLockedBalance(token, locked, amount) for more than deposits locked', async function () {
      const { asAlice, w, args } = await loadFixture(finalFixture);
      const reverted = await expectRevert(asAlice.write.finalizeWithdrawal(args(w.tooMuch)), 'InsufficientLockedBalance');
      expect(reverted).to.deep.equal([ZERO_ADDRESS, parseEther('10'), parseEther('11')]);
    });

    it('reverts with ETHTransferFailed(to, amount) when l1To refuses ETH, and pays once it accepts', async function () {
      const { bridge, asAlice, w, args, refuser, publicClient } = await loadFixture(finalFixture);
      const reverted = await expectRevert(asAlice.write.finalizeWithdrawal(args(w.refused)), 'ETHTransferFailed');
      expect(reverted).to.deep.equal([w.refused.l1To, parseEther('1')]);
      expect(await bridge.read.isWithdrawalFinalized([hashOf(w.refused)])).to.equal(false);
      await refuser.write.setMode([ACCEPT]);
      await asAlice.write.finalizeWithdrawal(args(w.refused));
      expect(await publicClient.getBalance({ address: refuser.address })).to.equal(parseEther('1'));
    });

    it('reverts with EnforcedPause while paused, and pays after unpause', async function () {
      const { bridge, asAlice, w, args } = await loadFixture(finalFixture);
      await bridge.write.pause();
      await expectRevert(asAlice.write.finalizeWithdrawal(args(w.eth)), 'EnforcedPause');
      await bridge.write.unpause();
      await asAlice.write.finalizeWithdrawal(args(w.eth));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(w.eth)])).to.equal(true);
    });
  });

  describe('rebasing tokens (documented behaviour, not refused)', function () {
    it('RebasingToken: a balance is shares × index / 1e18, and setIndex rebases every balance and emits IndexChanged', async function () {
      const { rebasing, alice, publicClient } = await loadFixture(rebasingFixture);
      expect(await rebasing.read.balanceOf([alice.account.address])).to.equal(parseEther('900'));
      const receipt = await receiptOf(publicClient, await rebasing.write.setIndex([HALF]));
      const events = parseEventLogs({ abi: rebasingAbi, logs: receipt.logs, eventName: 'IndexChanged' }).map((e) => e.args);
      expect(events).to.deep.equal([{ index: HALF }]);
      expect(await rebasing.read.balanceOf([alice.account.address])).to.equal(parseEther('450'));
      await expectRevertWith(rebasing.write.setIndex([0n]), rebasingAbi, 'ZeroIndex');
    });

    it('credits a deposit with the balance it brought in; lockedBalance does not follow a later rebase', async function () {
      const { bridge, rebasing } = await loadFixture(rebasingFixture);
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('100'));
      await rebasing.write.setIndex([HALF]);
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('50'));
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('100'));
      await rebasing.write.setIndex([DOUBLE]);
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('200'));
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('100'));
    });

    it("after a negative rebase pays withdrawals in full while the balance lasts; the last reverts with the token's ERC20InsufficientBalance(bridge, balance, amount) and stays unfinalized", async function () {
      const { bridge, asAlice, rebasing, rw, rargs, bob } = await loadFixture(rebasingFixture);
      await rebasing.write.setIndex([HALF]); // the bridge's 100 become 50
      await asAlice.write.finalizeWithdrawal(rargs(rw.first));
      expect(await rebasing.read.balanceOf([bob.account.address])).to.equal(parseEther('40'));
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('10'));
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('60'));

      const reverted = await expectRevertWith(asAlice.write.finalizeWithdrawal(rargs(rw.last)), rebasingAbi, 'ERC20InsufficientBalance');
      expect(reverted).to.deep.equal([getAddress(bridge.address), parseEther('10'), parseEther('60')]);
      expect(await bridge.read.isWithdrawalFinalized([hashOf(rw.last)])).to.equal(false);
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('60'));
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('10'));
    });

    it('pays the withdrawal a negative rebase left unpayable once the bridge holds enough again (here, tokens sent to it)', async function () {
      const { bridge, asAlice, rebasing, rw, rargs, alice } = await loadFixture(rebasingFixture);
      await rebasing.write.setIndex([HALF]);
      await asAlice.write.finalizeWithdrawal(rargs(rw.first));
      await expectRevertWith(asAlice.write.finalizeWithdrawal(rargs(rw.last)), rebasingAbi, 'ERC20InsufficientBalance');

      const asHolder = await hre.viem.getContractAt('RebasingToken', rebasing.address, { client: { wallet: alice } });
      await asHolder.write.transfer([bridge.address, parseEther('50')]); // 10 + 50 covers 60
      const before = await rebasing.read.balanceOf([alice.account.address]);
      await asAlice.write.finalizeWithdrawal(rargs(rw.last));
      expect(await rebasing.read.balanceOf([alice.account.address])).to.equal(before + parseEther('60'));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(rw.last)])).to.equal(true);
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(0n);
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(0n);
    });

    it('after a positive rebase pays every withdrawal its nominal amount and strands the surplus: InsufficientLockedBalance(token, 0, amount) once lockedBalance is spent', async function () {
      const { bridge, asAlice, rebasing, rw, rargs, bob, alice } = await loadFixture(rebasingFixture);
      await rebasing.write.setIndex([DOUBLE]); // the bridge's 100 become 200
      await asAlice.write.finalizeWithdrawal(rargs(rw.first));
      await asAlice.write.finalizeWithdrawal(rargs(rw.last));
      expect(await rebasing.read.balanceOf([bob.account.address])).to.equal(parseEther('40'));
      expect(await rebasing.read.balanceOf([alice.account.address])).to.equal(parseEther('1860')); // 900 × 2 + 60
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(0n);
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('100'));

      const reverted = await expectRevert(asAlice.write.finalizeWithdrawal(rargs(rw.beyond)), 'InsufficientLockedBalance');
      expect(reverted).to.deep.equal([getAddress(rebasing.address), 0n, parseEther('1')]);
      // A later deposit is credited only what it brings in, never the surplus.
      await asAlice.write.depositERC20([rebasing.address, alice.account.address, parseEther('10')]);
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(parseEther('10'));
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('110'));
    });

    it("covers a later negative rebase's shortfall out of an earlier positive rebase's surplus", async function () {
      const { bridge, asAlice, rebasing, rw, rargs } = await loadFixture(rebasingFixture);
      await rebasing.write.setIndex([DOUBLE]); // 100 shares worth 200
      await asAlice.write.finalizeWithdrawal(rargs(rw.first)); // 40 take 20 shares: 80 left
      await rebasing.write.setIndex([(ONE * 3n) / 4n]); // below the deposit's index 1: 80 shares worth 60
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(parseEther('60'));
      await asAlice.write.finalizeWithdrawal(rargs(rw.last));
      expect(await bridge.read.isWithdrawalFinalized([hashOf(rw.last)])).to.equal(true);
      expect(await bridge.read.lockedBalance([rebasing.address])).to.equal(0n);
      expect(await rebasing.read.balanceOf([bridge.address])).to.equal(0n);
    });
  });

  describe('withdrawalHash', function () {
    it("is keccak256(abi.encode(nonce, l2Sender, l1To, l1Token, amount)), the same as L2Bridge's", async function () {
      const { bridge, alice, bob, dai } = await loadFixture(l1BridgeFixture);
      const l2Bridge = await hre.viem.deployContract('L2Bridge');
      const args = [7n, getAddress(alice.account.address), getAddress(bob.account.address), getAddress(dai.address), 99n] as const;
      expect(await bridge.read.withdrawalHash([...args])).to.equal(withdrawalHash(...args));
      expect(await l2Bridge.read.withdrawalHash([...args])).to.equal(withdrawalHash(...args));
    });
  });

  describe('pause and unpause', function () {
    it('lets the owner pause (Paused event) and unpause (Unpaused event)', async function () {
      const { bridge, owner, publicClient } = await loadFixture(l1BridgeFixture);
      const paused = await receiptOf(publicClient, await bridge.write.pause());
      expect(await bridge.read.paused()).to.equal(true);
      expect(eventsOf(paused, 'Paused')).to.deep.equal([{ account: getAddress(owner.account.address) }]);
      const unpaused = await receiptOf(publicClient, await bridge.write.unpause());
      expect(await bridge.read.paused()).to.equal(false);
      expect(eventsOf(unpaused, 'Unpaused')).to.deep.equal([{ account: getAddress(owner.account.address) }]);
    });

    it('stops every kind of deposit with EnforcedPause while paused', async function () {
      const { bridge, asAlice, alice, bob, dai } = await loadFixture(l1BridgeFixture);
      await bridge.write.pause();
      await expectRevert(asAlice.write.depositETH([bob.account.address], { value: 1n }), 'EnforcedPause');
      await expectRevert(alice.sendTransaction({ to: bridge.address, value: 1n }), 'EnforcedPause');
      await expectRevert(asAlice.write.depositERC20([dai.address, bob.account.address, 1n]), 'EnforcedPause');
      await bridge.write.unpause();
      await asAlice.write.depositETH([bob.account.address], { value: 1n });
      expect(await bridge.read.nextDepositNonce()).to.equal(1n);
    });

    it('reverts with OwnableUnauthorizedAccount(caller) when anyone else pauses or unpauses', async function () {
      const { bridge, asAlice, alice } = await loadFixture(l1BridgeFixture);
      const caller = [getAddress(alice.account.address)];
      expect(await expectRevert(asAlice.write.pause(), 'OwnableUnauthorizedAccount')).to.deep.equal(caller);
      await bridge.write.pause();
      expect(await expectRevert(asAlice.write.unpause(), 'OwnableUnauthorizedAccount')).to.deep.equal(caller);
    });

    it('reverts with EnforcedPause when pausing twice and ExpectedPause when unpausing a running bridge', async function () {
      const { bridge } = await loadFixture(l1BridgeFixture);
      await expectRevert(bridge.write.unpause(), 'ExpectedPause');
      await bridge.write.pause();
      await expectRevert(bridge.write.pause(), 'EnforcedPause');
    });
  });
});
