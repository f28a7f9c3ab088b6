/**
 * `npm start`: the embedded devnet. Starts a local L1 (Anvil on 127.0.0.1:8545, its chain kept
 * in data/l1/anvil-state.json), deploys the L1 contracts once (data/l1/deployments.json), then
 * the L2 node with its batcher (data/l2), and prints every URL and address.
 *
 * Why Anvil and not Hardhat's node: Hardhat's node keeps its chain in memory, so every restart
 * would bring up an empty L1 under an L2 that remembers everything (docs/ARCHITECTURE.md §4). Anvil writes its
 * state every second and on exit, so a restart finds the contracts and the posted batches where
 * they were. If the L1 state is lost anyway (file deleted), the contracts are deployed again
 * and the batcher, finding no batches there, re-posts the whole chain from block 1: an L1 reset
 * is an L1 reorg to genesis.
 *
 * One devnet per data directory: `<data-dir>/devnet.lock` records the running devnet's pid, start
 * time and ports (scripts/lib/process-lock.ts). A second `npm start` on the same directory finds
 * the owner alive, changes nothing (above all, does not stop the first devnet's Anvil) and exits
 * with status 1; a lock left by a devnet that died (kill -9) is taken over, and the Anvil it
 * orphaned is stopped before its state file is loaded.
 *
 * Another L1: `npm start -- --l1-rpc <url> --deployer-key <0x..>` skips Anvil (or run the node
 * alone, `npm run node -- --l1-rpc ... --deployments ... --batcher-key ...`; see the README).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createPublicClient, createWalletClient, formatEther, http, parseEther } from 'viem'
import { defineL1Chain } from '@ai-rollup/sdk'
import { privateKeyToAccount } from 'viem/accounts'
import { readDeployments, writeDeployments, type L1Deployments } from '../batcher/deployments.ts'
import { rollupAnchorAbi } from '../batcher/abi.ts'
import { startNode, type RunningNode } from '../sequencer/node.ts'
import { validatorSetAbi } from '../validator/index.ts'
import { startWorker, type InferenceWorker } from '../worker/index.ts'
import { createLogger } from '../sequencer/log.ts'
import { devAccounts } from '../sequencer/chain/dev-accounts.ts'
import { defineAiRollupChain, INFERENCE_COORDINATOR } from '@ai-rollup/sdk'
import { l1TuningFromCli, NODE_OPTION_SECTIONS, nodeInputFromCli, parseApiKeys, parseCli, usage, type CliSection } from '../sequencer/cli.ts'
import { DEV_ANCHOR_API_KEY } from '../sequencer/config.ts'
import { DATA_ANCHOR, L2_BRIDGE, MODEL_REGISTRY } from '../precompiles/addresses.ts'
import { ANVIL_PRIVATE_KEYS, pruneBlobSidecars, startAnvil, type RunningAnvil } from './lib/anvil.ts'
import { deployL1 } from './lib/deploy-l1.ts'
import { registerOffchainExamples } from './lib/offchain-models.ts'
import { acquireLock } from './lib/process-lock.ts'

/** The devnet validators' L1 keys: Anvil's last dev accounts, #9 down (#0 deploys, #1 posts batches). */
const DEV_VALIDATOR_KEYS = [ANVIL_PRIVATE_KEYS[9], ANVIL_PRIVATE_KEYS[8], ANVIL_PRIVATE_KEYS[7], ANVIL_PRIVATE_KEYS[6], ANVIL_PRIVATE_KEYS[5]]
/** Each devnet validator's stake: equal stakes, so any two thirds of them make a quorum. */
const DEV_VALIDATOR_STAKE = parseEther('1')

/**
 * The devnet workers' L2 keys: the genesis dev accounts #19 down (the ones scripts and wallets
 * reach for last), each staking DEV_WORKER_STAKE at DEV_WORKER_PRICE per request.
 */
const DEV_WORKER_ACCOUNTS = devAccounts().slice(-5).reverse()
const DEV_WORKER_STAKE = parseEther('2')
/** 0.001 ETH per request and node: a request with redundancy 3 costs 0.003 ETH plus its callback gas. */
const DEV_WORKER_PRICE = parseEther('0.001')

/** How the usage names this command. */
const COMMAND = 'npm start --'

/** The devnet's own options; every other node option (sequencer/cli.ts) is accepted and passed to the L2 node. */
const DEVNET_SECTION: CliSection = {
  title: '',
  options: [
    { name: 'data-dir', type: 'string', arg: '<dir>', help: "root of the devnet's data (default ./data): l1/ and l2/ inside" },
    { name: 'l1-port', type: 'string', arg: '<port>', help: 'embedded L1 port (default 8545)' },
    { name: 'l1-block-time', type: 'string', arg: '<s>', help: 'embedded L1 block interval in seconds (default 2)' },
    { name: 'l1-blob-retention', type: 'string', arg: '<blocks>', help: 'embedded L1: keep blob sidecars of the newest N L1 blocks in its state file (default 1800: an hour; Ethereum keeps ~18 days)' },
    { name: 'l1-state-max-mb', type: 'string', arg: '<MB>', help: 'embedded L1: when its state file passes this, restart it with older blob sidecars pruned (default 256)' },
    { name: 'challenge-window', type: 'string', arg: '<s>', help: 'challenge window of a new deployment (default 30 s in the devnet)' },
    { name: 'validators', type: 'string', arg: '<n>', help: `validators to run, 1 ETH of stake each, on the ports after the L2's (default 1; 0 = none; at most ${DEV_VALIDATOR_KEYS.length})` },
    { name: 'workers', type: 'string', arg: '<n>', help: `off-chain inference workers to run in this process, ${formatEther(DEV_WORKER_STAKE)} ETH of stake each; with any, the example off-chain models are registered (default 0; at most ${DEV_WORKER_ACCOUNTS.length}; 3 for the example dApps)` },
    { name: 'l1-rpc', type: 'string', arg: '<url>', help: 'use this L1 instead of starting Anvil' },
    { name: 'deployer-key', type: 'string', arg: '<0x..>', help: 'with --l1-rpc: admin key for the deployment (or env L1_DEPLOYER_KEY)' },
    { name: 'batcher-key', type: 'string', arg: '<0x..>', help: 'with --l1-rpc: key holding the sequencer role (or env BATCHER_PRIVATE_KEY)' },
  ],
}
/** Node options the devnet sets itself (its own --data-dir, --l1-rpc, --batcher-key above; the deployments file it writes). */
const MANAGED = new Set(['data-dir', 'l1-rpc', 'batcher-key', 'deployments'])
const SECTIONS: CliSection[] = [
  DEVNET_SECTION,
  { title: 'The L2 node\'s options, passed to it (the devnet defaults to --l1-confirmations 1, --batch-max-age 2000, --bridge-confirmations 1):', options: [] },
  ...NODE_OPTION_SECTIONS.map((section) => ({
    title: section.title.startsWith('L1 ') ? 'L1 tuning:' : section.title,
    options: section.options.filter((o) => !MANAGED.has(o.name)),
  })),
]

/** Devnet timings: seconds where production uses minutes or days. */
const DEV_CHALLENGE_WINDOW_S = 30
/** A dispute's commit and reveal phases in the devnet, each (the exit delay and bond lock follow). */
const DEV_VOTING_PHASE_S = 15
const DEV_BATCH_AGE_MS = 2_000
/** Blob sidecars of this many newest L1 blocks stay in the devnet L1's state file (an hour of 2-second blocks). */
const DEV_BLOB_RETENTION_BLOCKS = 1_800
const DEV_L1_STATE_MAX_MB = 256
/** Blob sidecars a replica or validator started late can still read, whatever the size: ~2 minutes of L1. */
const DEV_BLOB_MIN_KEEP_BLOCKS = 64
/** How often the devnet looks at the L1 state file's size (ms). */
const L1_STATE_CHECK_MS = 60_000
/** In the data directory: who runs the devnet on it (pid, start time, ports). */
const DEVNET_LOCK_FILE = 'devnet.lock'

/** Prunes the embedded L1's state file of old blob sidecars (scripts/lib/anvil.ts) and says what it did. */
function pruneL1State(statePath: string, retention: { keepBlocks: number; maxBlobBytes: number; minKeepBlocks: number }): void {
  if (!existsSync(statePath)) return
  const r = pruneBlobSidecars(statePath, retention)
  if (r.blobsPruned > 0) {
    console.log(`L1 state: pruned ${r.blobsPruned} old blob sidecars (${r.blobsKept} kept): ${(r.bytesBefore / 1e6).toFixed(0)} MB → ${(r.bytesAfter / 1e6).toFixed(0)} MB`)
  }
}

async function main(): Promise<void> {
  const values = parseCli(process.argv.slice(2), COMMAND, SECTIONS)
  if (values.help === true) return console.log(usage(COMMAND, SECTIONS))
  const str = (name: string) => values[name] as string | undefined
  const root = resolve(str('data-dir') ?? 'data')
  const deploymentsPath = join(root, 'l1', 'deployments.json')
  const l2Port = Number(str('port') ?? 9545)
  const validatorCount = Number(str('validators') ?? 1)
  if (!Number.isInteger(validatorCount) || validatorCount < 0 || validatorCount > DEV_VALIDATOR_KEYS.length) throw new Error(`--validators takes 0 to ${DEV_VALIDATOR_KEYS.length}, got ${str('validators')}`)
  const workerCount = Number(str('workers') ?? 0)
  if (!Number.isInteger(workerCount) || workerCount < 0 || workerCount > DEV_WORKER_ACCOUNTS.length) throw new Error(`--workers takes 0 to ${DEV_WORKER_ACCOUNTS.length}, got ${str('workers')}`)

  // 0. one devnet per data directory: a second start must not touch the first one's L1
  mkdirSync(root, { recursive: true })
  const lock = acquireLock(join(root, DEVNET_LOCK_FILE), { l2Port, l1Port: str('l1-rpc') === undefined ? Number(str('l1-port') ?? 8545) : undefined, l1Rpc: str('l1-rpc') })
  if (!lock.acquired) {
    console.error(`a devnet is already running from this data directory (pid ${lock.owner.pid}, L2 on :${lock.owner.l2Port}); stop it with Ctrl-C or use --data-dir`)
    process.exit(1)
  }
  process.once('exit', () => lock.release())

  // 1. the L1
  let anvil: RunningAnvil | undefined
  let l1Url = str('l1-rpc')
  const deployerKey = (str('deployer-key') ?? process.env.L1_DEPLOYER_KEY ?? ANVIL_PRIVATE_KEYS[0]) as `0x${string}`
  const batcherKey = (str('batcher-key') ?? process.env.BATCHER_PRIVATE_KEY ?? ANVIL_PRIVATE_KEYS[1]) as `0x${string}`
  const statePath = join(root, 'l1', 'anvil-state.json')
  const anvilOptions = { port: Number(str('l1-port') ?? 8545), statePath, blockTime: Number(str('l1-block-time') ?? 2), silent: true, logFile: join(root, 'l1', 'anvil.log') }
  const keepBlocks = Number(str('l1-blob-retention') ?? DEV_BLOB_RETENTION_BLOCKS)
  const retention = { keepBlocks, maxBlobBytes: (Number(str('l1-state-max-mb') ?? DEV_L1_STATE_MAX_MB) * 1024 * 1024) / 2, minKeepBlocks: Math.min(keepBlocks, DEV_BLOB_MIN_KEEP_BLOCKS) }
  if (l1Url === undefined) {
    pruneL1State(statePath, retention)
    anvil = await startAnvil(anvilOptions)
    l1Url = anvil.url
    if (anvil.restoredFromBackup) console.warn('L1 state file was damaged; restored its last good copy (the L1 lost its last blocks: the batcher re-posts what is missing)')
  }

  // 2. the L1 contracts: reuse the deployment while its contract is there, else deploy
  const l2Fresh = !existsSync(join(root, 'l2', 'chain.sqlite'))
  const deployments = await ensureDeployments(l1Url, deploymentsPath, deployerKey, privateKeyToAccount(batcherKey).address, Number(str('challenge-window') ?? DEV_CHALLENGE_WINDOW_S), l2Fresh)
  await topUpSequencerBond(l1Url, deployments, deployerKey)

  // 3. the L2 node and its batcher
  let node
  try {
    const fromCli = nodeInputFromCli(values)
    node = await startNode({
      ...fromCli,
      dataDir: join(root, 'l2'),
      rpc: { ...fromCli.rpc, port: l2Port },
      // blobs by default (the devnet's Anvil takes version-0 sidecars); --data-availability calldata|auto to change it
      l1: { rpcUrl: l1Url, deploymentsPath, batcherKey, confirmations: 1, maxBatchAgeMs: DEV_BATCH_AGE_MS, pollIntervalMs: 500, resubmitAfterMs: 15_000, dataAvailability: 'blobs', blobSidecarVersion: 0, ...l1TuningFromCli(values) },
      bridge: { confirmations: 1, pollIntervalMs: 500, ...fromCli.bridge },
      anchoring: { ...fromCli.anchoring, apiKeys: fromCli.anchoring?.apiKeys ?? parseApiKeys(process.env.ANCHOR_API_KEYS ?? DEV_ANCHOR_API_KEY) },
      logLevel: fromCli.logLevel ?? 'info',
      // people watch the devnet: human lines unless --log-format json
      logFormat: fromCli.logFormat ?? 'pretty',
    })
  } catch (err) {
    await anvil?.stop()
    throw err
  }

  // 4. the validators: replicas of the L2 from L1 that stake, attest and dispute (README "Running a validator")
  const validators: RunningNode[] = []
  try {
    for (let i = 0; i < validatorCount; i++) {
      validators.push(
        await startNode({
          dataDir: join(root, `validator-${i + 1}`),
          rpc: { port: l2Port + 1 + i },
          calls: { workers: 1 },
          replica: { l1RpcUrl: l1Url, deploymentsPath, sequencerRpcUrl: node.url, confirmations: 1, pollIntervalMs: 500 },
          validator: { privateKey: DEV_VALIDATOR_KEYS[i], stakeWei: DEV_VALIDATOR_STAKE, attestConfirmations: 1, pollIntervalMs: 500 },
          logLevel: node.config.logLevel,
          logFormat: node.config.logFormat,
        }),
      )
    }
  } catch (err) {
    for (const v of validators) await v.close()
    await node.close()
    await anvil?.stop()
    throw err
  }

  // 5. off-chain inference: the example models registered (file:// URIs into this checkout), and the workers
  const workers: InferenceWorker[] = []
  let offchainModels: { name: string; modelId: string }[] = []
  if (workerCount > 0) {
    try {
      const chain = defineAiRollupChain(node.url, Number(node.chainId))
      const client = createPublicClient({ chain, transport: http(node.url), pollingInterval: 100 })
      const wallet = createWalletClient({ chain, transport: http(node.url), account: privateKeyToAccount(DEV_KEY_0) })
      offchainModels = await registerOffchainExamples(wallet, client)
      for (let i = 0; i < workerCount; i++) {
        workers.push(
          startWorker(
            { privateKey: DEV_WORKER_ACCOUNTS[i].privateKey, l2RpcUrl: node.url, l2WsUrl: node.wsUrl, stakeWei: DEV_WORKER_STAKE, priceWei: DEV_WORKER_PRICE, dataDir: join(root, `worker-${i + 1}`), modelCacheDir: join(root, 'worker-models') },
            createLogger(node.config.logLevel, `worker-${i + 1}`, { format: node.config.logFormat }),
          ),
        )
      }
    } catch (err) {
      for (const w of workers) await w.stop()
      for (const v of validators) await v.close()
      await node.close()
      await anvil?.stop()
      throw err
    }
  }

  const apiKeys = node.config.anchoring.apiKeys
  console.log(
    [
      '',
      'ai-rollup devnet is up',
      `  L1 (Anvil${anvil === undefined ? ', external' : ''})   ${l1Url}   chain ${deployments.l1ChainId}`,
      `    RollupAnchor         ${deployments.rollupAnchor}   (challenge window ${deployments.challengeWindowSeconds} s)`,
      `    ValidatorSet         ${deployments.validatorSet}   (validator stakes, sequencer bond, attestations, disputes)`,
      `    L1Bridge             ${deployments.l1Bridge ?? '(not deployed)'}`,
      `    deployments file     ${deploymentsPath}`,
      `  L2 JSON-RPC           ${node.url}   ${node.wsUrl}   chain ${node.chainId}`,
      node.config.explorer.enabled ? `  explorer              ${node.url}/   (blocks, transactions, batches, anchors with Verify on L1, models; --no-explorer to turn it off)` : '  explorer              off (--no-explorer)',
      `    ModelRegistry        ${MODEL_REGISTRY}`,
      `    DataAnchor           ${DATA_ANCHOR}`,
      `    L2Bridge             ${L2_BRIDGE}`,
      `  anchoring API         POST ${node.url}/v1/anchors   GET ${node.url}/v1/anchors/{hash}   key: ${apiKeys.includes(DEV_ANCHOR_API_KEY) ? DEV_ANCHOR_API_KEY : '(configured)'}`,
      `  batcher               ${node.batcher?.sender}   posts every ${node.config.l1!.maxBatchAgeMs / 1000} s of new blocks, in ${node.config.l1!.dataAvailability === 'auto' ? 'blobs or calldata (auto)' : node.config.l1!.dataAvailability}`,
      validators.length === 0
        ? `  validators            none (--validators 0): batches are final when their ${deployments.challengeWindowSeconds} s window passes`
        : `  validators            ${validators.length}, ${formatEther(DEV_VALIDATOR_STAKE)} ETH of stake each: every batch they re-derive is attested and final within seconds; a wrong one is challenged`,
      ...validators.map((v) => `    ${v.validator!.address}   ${v.url}   (replica + validator_getStatus)`),
      `    InferenceCoordinator ${INFERENCE_COORDINATOR}`,
      workers.length === 0
        ? `  inference workers     none (--workers 0): off-chain requests find no nodes; \`npm start -- --workers 3\` runs three`
        : `  inference workers     ${workers.length}, ${formatEther(DEV_WORKER_STAKE)} ETH of stake each, ${formatEther(DEV_WORKER_PRICE)} ETH per request: ${offchainModels.map((m) => `${m.name} ${m.modelId}`).join(', ')}`,
      ...workers.map((w) => `    ${w.address}`),
      `  data                  ${root}`,
      '',
      ...nextSteps({ l2Url: node.url, l2ChainId: node.chainId, l1Url, deploymentsPath }),
      '',
    ].join('\n'),
  )

  let stopping = false
  // the embedded L1's state file keeps every blob: past its size limit, a short L1 restart prunes
  // the oldest sidecars (the batcher and validators ride through it as through any L1 outage)
  const maxStateBytes = retention.maxBlobBytes * 2
  const stateCheck = setInterval(() => {
    if (anvil === undefined || stopping || !existsSync(statePath) || statSync(statePath).size <= maxStateBytes) return
    // restart only for a prune worth it: a quarter of the limit at least (the newest blocks' blobs stay whatever the size)
    let prunable = 0
    try {
      prunable = pruneBlobSidecars(statePath, { ...retention, dryRun: true }).blobBytesPruned
    } catch {
      return // read while Anvil rewrote it: next time
    }
    if (prunable < maxStateBytes / 4) return
    void (async () => {
      console.log(`L1 state file passed ${maxStateBytes / 1024 / 1024} MB: restarting the L1 to prune old blob sidecars`)
      await anvil!.stop()
      pruneL1State(statePath, retention)
      anvil = await startAnvil(anvilOptions)
    })().catch((err: unknown) => console.error(`L1 restart for pruning failed: ${(err as Error).message}`))
  }, L1_STATE_CHECK_MS)
  stateCheck.unref()
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    clearInterval(stateCheck)
    console.log(`${signal}: stopping the workers, the validators, the L2 node${anvil === undefined ? '' : ' and the L1'}`)
    for (const w of workers) await w.stop()
    for (const v of validators) await v.close()
    await node.close()
    await anvil?.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/** Dev account #0 of the L2 genesis (= Anvil's account #0): public, for the devnet only. */
const DEV_KEY_0 = ANVIL_PRIVATE_KEYS[0]

/**
 * The banner's last lines: what to do next, with the flags the commands need when this devnet
 * is not on their default URLs and paths (scripts/bridge.ts, scripts/register-models.ts,
 * hardhat.config.ts's l2 network).
 */
function nextSteps(p: { l2Url: string; l2ChainId: number | bigint; l1Url: string; deploymentsPath: string }): string[] {
  const defaultL2 = p.l2Url === 'http://127.0.0.1:9545'
  const rpcFlag = defaultL2 ? '' : ` --rpc ${p.l2Url}`
  const bridgeFlags = [
    p.l1Url === 'http://127.0.0.1:8545' ? '' : ` --l1-rpc ${p.l1Url}`,
    defaultL2 ? '' : ` --l2-rpc ${p.l2Url}`,
    p.deploymentsPath === resolve('data/l1/deployments.json') ? '' : ` --deployments ${p.deploymentsPath}`,
  ].join('')
  return [
    'next steps',
    `  MetaMask              Add network: RPC URL ${p.l2Url}, chain ID ${p.l2ChainId}, currency ETH; import dev account #0 (public test key, devnet only):`,
    `                        ${DEV_KEY_0}`,
    `  models                npm run models:register${rpcFlag === '' ? '' : ` --${rpcFlag}`}   the three example models`,
    `                        npm run models:register -- ./model.onnx --name "my model"${rpcFlag}   your own ONNX file`,
    `  examples              ${defaultL2 ? '' : `L2_RPC_URL=${p.l2Url} `}npm run deploy:examples   dApps calling the credit model (register the models first)`,
    `                        ${defaultL2 ? '' : `L2_RPC_URL=${p.l2Url} `}npm run deploy:offchain-examples   content moderation and text generation by off-chain inference (start with --workers 3)`,
    `  bridge                npm run bridge -- deposit-eth 1 --wait${bridgeFlags}   (npm run bridge -- --help: withdraw, status, finalize)`,
    '  stop                  Ctrl-C (the L1 and L2 keep their state in the data directory)',
  ]
}

/**
 * The deployment to use: the recorded one while its RollupAnchor is on the L1 and fits the L2's
 * data (a fresh L2 data dir cannot continue batches of an older chain), otherwise a new one.
 */
/** Whether the RollupAnchor at `address` takes channels of frames (it answers channelTimeout()). */
async function hasChannels(l1: ReturnType<typeof createPublicClient>, address: `0x${string}`): Promise<boolean> {
  return l1.readContract({ address, abi: rollupAnchorAbi, functionName: 'channelTimeout' }).then(
    () => true,
    () => false,
  )
}

async function ensureDeployments(l1Url: string, path: string, deployerKey: `0x${string}`, sequencer: `0x${string}`, challengeWindowSeconds: number, l2Fresh: boolean): Promise<L1Deployments> {
  const l1 = createPublicClient({ transport: http(l1Url, { retryCount: 0 }) })
  const chainId = await l1.getChainId()
  if (existsSync(path)) {
    const existing = readDeployments(path)
    const code = existing.l1ChainId === chainId ? await l1.getCode({ address: existing.rollupAnchor }) : undefined
    if (existing.validatorSet === undefined) {
      // Its RollupAnchor predates the committee: it has no validator set to attest or dispute batches.
      console.warn(`${path} names no ValidatorSet (deployed by an older version): deploying fresh contracts; the batcher will re-post the L2 chain from block 1`)
    } else if (code === undefined || code === '0x') {
      console.warn(`${path} names contracts the L1 at ${l1Url} does not have (L1 state lost?): deploying again; the batcher will re-post the L2 chain from block 1`)
    } else if (!(await hasChannels(l1, existing.rollupAnchor))) {
      // Its RollupAnchor predates channels and blobs (no appendFrames, channelTimeout): this batcher cannot post to it.
      console.warn(`RollupAnchor ${existing.rollupAnchor} predates batch channels (deployed by an older version): deploying fresh contracts; the batcher will re-post the L2 chain from block 1`)
    } else {
      const batches = await l1.readContract({ address: existing.rollupAnchor, abi: rollupAnchorAbi, functionName: 'batchCount' })
      if (!l2Fresh || batches === 0n) return existing
      console.warn(`the L2 data dir is new but RollupAnchor ${existing.rollupAnchor} holds ${batches} batches of an earlier chain: deploying fresh contracts`)
    }
  }
  // The deployer (dev account #0) posts the sequencer's bond, so the batcher can post at once.
  const deployments = await deployL1({
    rpcUrl: l1Url,
    privateKey: deployerKey,
    sequencer,
    challengeWindowSeconds,
    committee: { commitPeriodSeconds: DEV_VOTING_PHASE_S, revealPeriodSeconds: DEV_VOTING_PHASE_S },
    onProgress: (m) => console.log(m),
  })
  writeDeployments(path, deployments)
  return deployments
}

/**
 * The devnet's sequencer must hold its bond to post: after a wrong batch was voted down (the
 * wrong-root demonstration) its bond is gone; the deployer tops it up at start, and says so.
 */
async function topUpSequencerBond(l1Url: string, deployments: L1Deployments, deployerKey: `0x${string}`): Promise<void> {
  if (deployments.validatorSet === undefined) return
  const chain = defineL1Chain(l1Url, deployments.l1ChainId)
  const l1 = createPublicClient({ chain, transport: http(l1Url, { retryCount: 0 }), pollingInterval: 100 })
  const [bond] = await l1.readContract({ address: deployments.validatorSet, abi: validatorSetAbi, functionName: 'bondOf', args: [deployments.sequencer] })
  const minimum = await l1.readContract({ address: deployments.validatorSet, abi: validatorSetAbi, functionName: 'MIN_SEQUENCER_BOND' })
  if (bond >= minimum) return
  const wallet = createWalletClient({ chain, transport: http(l1Url, { retryCount: 0 }), account: privateKeyToAccount(deployerKey) })
  const hash = await wallet.writeContract({ address: deployments.validatorSet, abi: validatorSetAbi, functionName: 'depositBond', args: [deployments.sequencer], value: minimum - bond })
  await l1.waitForTransactionReceipt({ hash })
  console.warn(`the sequencer's bond was ${formatEther(bond)} ETH (slashed for a wrong batch?): the deployer topped it up to ${formatEther(minimum)} ETH so the batcher can post again`)
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
