/**
 * The eth_ namespace. Deviations from geth, all documented in the README:
 * - 'pending' as a block means the latest sealed block (the sequencer keeps no pending block);
 *   eth_getTransactionCount(addr, 'pending') does count the pool's transactions.
 * - eth_sendTransaction signs only with the dev accounts, and only in dev mode.
 */
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes, setLengthLeft, type PrefixedHexString } from '@ethereumjs/util'
import { getMerkleStateProof } from '@ethereumjs/statemanager'
import { TransactionType, createTx } from '@ethereumjs/tx'
import type { StoredBlock } from '../../chain/chain.ts'
import type { TxRow } from '../../store/store.ts'
import { ErrorCode, InvalidParamsError, RpcError, responseTooLargeError } from '../errors.ts'
import { formatBlock, formatReceipt, formatTx, hex, q, type TxPosition } from '../format.ts'
import { method, type MethodTable } from '../methods.ts'
import * as p from '../params.ts'
import type { RpcContext } from '../context.ts'

/** Tip eth_maxPriorityFeePerGas suggests when recent blocks paid none, in wei (0.001 gwei). */
export const DEFAULT_SUGGESTED_TIP = 1_000_000n
/** Blocks eth_maxPriorityFeePerGas looks back over. */
const TIP_SAMPLE_BLOCKS = 20
/**
 * A formatted log is at least this many bytes of JSON (address, two hashes, indices): a receipt
 * answer whose log count alone passes rpc.maxResponseBytes is refused before it is built (a
 * receipt of 72k logs took 2.6 s and 26 MB to build only to be refused).
 */
const MIN_LOG_JSON_BYTES = 300
/** Most blocks one eth_feeHistory call covers (geth's limit). */
const FEE_HISTORY_MAX_BLOCKS = 1024

export function ethMethods(ctx: RpcContext): MethodTable {
  const { chain, store, pool, calls, common } = ctx

  // ---- block resolution ----

  const numberOf = (ref: p.BlockNumberOrTag): number => chain.numberOf(ref)

  /** The block a state query runs against; a missing one is geth's "header not found". */
  const blockFor = (ref: p.BlockRef): StoredBlock => {
    if (typeof ref === 'object') {
      const b = chain.byHash(ref.hash)
      if (b === undefined) throw new RpcError(ErrorCode.server, `header for hash not found`)
      return b
    }
    const b = chain.byNumber(numberOf(ref))
    if (b === undefined) throw new RpcError(ErrorCode.server, 'header not found')
    return b
  }

  const stateFor = (ref: p.BlockRef) => ctx.stateAt(blockFor(ref).header.stateRoot)

  // ---- transactions ----

  const decode = (row: TxRow): TypedTransaction => createTxFromRLP(row.raw, { common })

  const positionOf = (row: TxRow, block: StoredBlock): TxPosition => ({
    blockHash: block.row.hash,
    blockNumber: block.header.number,
    blockTimestamp: block.header.timestamp,
    index: row.txIndex,
    baseFee: block.header.baseFeePerGas ?? 0n,
  })

  const minedTx = (row: TxRow | undefined) => {
    if (row === undefined) return null
    const block = chain.byNumber(row.blockNumber)
    if (block === undefined) return null
    return formatTx(decode(row), row.hash, row.sender, positionOf(row, block))
  }

  const receiptOf = (row: TxRow, block: StoredBlock, blockLogs?: ReturnType<typeof store.getLogsInBlock>) => {
    // one receipt reads its own logs only: a neighbour with 70k logs must not make it slow
    const logs = blockLogs === undefined ? store.getLogsOfTx(row.blockNumber, row.firstLogIndex, row.logCount) : blockLogs.filter((l) => l.txIndex === row.txIndex)
    return formatReceipt(decode(row), row, block.row.hash, block.header.timestamp, logs)
  }

  const blockJson = (block: StoredBlock | undefined, full: boolean) => {
    if (block === undefined) return null
    const rows = block.row.txCount === 0 ? [] : store.getTxsInBlock(block.row.number)
    const txs = full ? rows.map((r) => formatTx(decode(r), r.hash, r.sender, positionOf(r, block))) : rows.map((r) => hex(r.hash))
    return formatBlock(block.header, block.row.hash, block.row.size, txs)
  }

  const blockByRef = (ref: p.BlockNumberOrTag) => chain.byNumber(numberOf(ref))

  const checkLogVolume = (logCount: number) => {
    if (logCount * MIN_LOG_JSON_BYTES > ctx.config.rpc.maxResponseBytes) throw responseTooLargeError(ctx.config.rpc.maxResponseBytes)
  }

  // ---- fees ----

  const nextBaseFee = () => chain.head().header.calcNextBaseFee()

  const suggestedTip = (): bigint => {
    const tips: bigint[] = []
    const head = chain.headNumber
    for (let n = head; n > 0 && n > head - TIP_SAMPLE_BLOCKS; n--) {
      const block = chain.byNumber(n)
      if (block === undefined || block.row.txCount === 0) continue
      const baseFee = block.header.baseFeePerGas ?? 0n
      for (const row of store.getTxsInBlock(n)) tips.push(row.effectiveGasPrice - baseFee)
    }
    if (tips.length === 0) return DEFAULT_SUGGESTED_TIP
    tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const median = tips[Math.floor(tips.length * 0.6)]
    return median > DEFAULT_SUGGESTED_TIP ? median : DEFAULT_SUGGESTED_TIP
  }

  const feeHistory = (count: number, newest: p.BlockNumberOrTag, percentiles: number[] | undefined) => {
    if (count === 0) return { oldestBlock: '0x0', baseFeePerGas: [], gasUsedRatio: [], baseFeePerBlobGas: [], blobGasUsedRatio: [] }
    const last = Math.min(numberOf(newest), chain.headNumber)
    if (numberOf(newest) > chain.headNumber) throw new InvalidParamsError(`invalid argument 1: requested block ${numberOf(newest)} is after the head ${chain.headNumber}`)
    const first = Math.max(0, last - Math.min(count, FEE_HISTORY_MAX_BLOCKS) + 1)
    const baseFees: string[] = []
    const ratios: number[] = []
    const rewards: string[][] = []
    for (let n = first; n <= last; n++) {
      const block = chain.byNumber(n) as StoredBlock
      const h = block.header
      baseFees.push(q(h.baseFeePerGas ?? 0n))
      ratios.push(Number(h.gasUsed) / Number(h.gasLimit))
      if (percentiles !== undefined) rewards.push(rewardPercentiles(block, percentiles))
    }
    baseFees.push(q(chain.byNumber(last)!.header.calcNextBaseFee()))
    const blocks = last - first + 1
    const result: Record<string, unknown> = {
      oldestBlock: q(first),
      baseFeePerGas: baseFees,
      gasUsedRatio: ratios,
      baseFeePerBlobGas: new Array(blocks + 1).fill('0x0'),
      blobGasUsedRatio: new Array(blocks).fill(0),
    }
    if (percentiles !== undefined) result.reward = rewards
    return result
  }

  /** Tips at the given gas-weighted percentiles of the block's transactions, as geth computes them. */
  const rewardPercentiles = (block: StoredBlock, percentiles: number[]): string[] => {
    if (block.row.txCount === 0) return percentiles.map(() => '0x0')
    const baseFee = block.header.baseFeePerGas ?? 0n
    const rows = store.getTxsInBlock(block.row.number)
    const sorted = rows.map((r) => ({ tip: r.effectiveGasPrice - baseFee, gas: BigInt(r.gasUsed) })).sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
    const total = Number(block.header.gasUsed)
    const out: string[] = []
    let i = 0
    let sum = Number(sorted[0].gas)
    for (const pct of percentiles) {
      const threshold = (total * pct) / 100
      while (sum < threshold && i < sorted.length - 1) {
        i++
        sum += Number(sorted[i].gas)
      }
      out.push(q(sorted[i].tip))
    }
    return out
  }

  const percentilesParam: p.Param<number[]> = (v, where) => {
    const list = p.arrayOf((x, w) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 100) throw new InvalidParamsError(`${w}: percentile must be a number in [0, 100]`)
      return x
    }, 100)(v, where)
    for (let i = 1; i < list.length; i++) if (list[i] < list[i - 1]) throw new InvalidParamsError(`${where}: percentiles must be ascending`)
    return list
  }

  // ---- logs ----

  const getLogs = (filter: p.LogFilter) => {
    let from: number
    let to: number
    if (filter.blockHash !== undefined) {
      const b = chain.byHash(filter.blockHash)
      if (b === undefined) throw new RpcError(ErrorCode.server, 'unknown block')
      from = to = b.row.number
    } else {
      from = numberOf(filter.fromBlock ?? 'latest')
      to = Math.min(numberOf(filter.toBlock ?? 'latest'), chain.headNumber)
      if (from > to && from <= chain.headNumber) throw new InvalidParamsError('invalid block range params')
      if (to - from + 1 > ctx.config.rpc.logsBlockRange) {
        throw new RpcError(ErrorCode.limitExceeded, `query exceeds max block range ${ctx.config.rpc.logsBlockRange}; narrow fromBlock..toBlock`)
      }
    }
    return ctx.filters.queryLogs(from, to, filter)
  }

  const slotParam: p.Param<Uint8Array> = (v, where) => {
    // geth accepts any hex up to 32 bytes ("0x0" and full hashes alike)
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) throw new InvalidParamsError(`${where}: storage slot must be hex of at most 32 bytes`)
    const digits = v.length % 2 === 0 ? v.slice(2) : `0${v.slice(2)}`
    return setLengthLeft(hexToBytes(`0x${digits}` as PrefixedHexString), 32)
  }

  const sendRaw = async (raw: Uint8Array) => {
    const ptx = await pool.add(raw)
    return ptx.hashHex
  }

  return {
    eth_chainId: method([], () => q(common.chainId())),
    eth_syncing: method([], () => false),
    eth_accounts: method([], () => ctx.devSigner?.addresses() ?? []),
    eth_blockNumber: method([], () => q(chain.headNumber)),
    eth_coinbase: method([], () => ctx.config.sequencer.feeRecipient.toLowerCase()),
    eth_mining: method([], () => true),
    eth_hashrate: method([], () => '0x0'),

    eth_getBalance: method([p.address, p.withDefault(p.blockRef, 'latest')], async (address, ref) => {
      const account = await stateFor(ref).getAccount(address)
      return q(account?.balance ?? 0n)
    }, 1),

    eth_getCode: method([p.address, p.withDefault(p.blockRef, 'latest')], async (address, ref) => hex(await stateFor(ref).getCode(address)), 1),

    eth_getStorageAt: method([p.address, slotParam, p.withDefault(p.blockRef, 'latest')], async (address, slot, ref) => {
      const value = await stateFor(ref).getStorage(address, slot)
      return hex(setLengthLeft(value, 32))
    }, 2),

    eth_getTransactionCount: method([p.address, p.withDefault(p.blockRef, 'latest')], async (address, ref) => {
      const account = await stateFor(ref === 'pending' ? 'latest' : ref).getAccount(address)
      const nonce = account?.nonce ?? 0n
      return q(ref === 'pending' ? pool.pendingNonce(address.toString(), nonce) : nonce)
    }, 1),

    eth_getProof: method([p.address, p.arrayOf(slotParam, 1024), p.withDefault(p.blockRef, 'latest')], async (address, slots, ref) => {
      const proof = await getMerkleStateProof(stateFor(ref), address, slots)
      return {
        address: proof.address.toLowerCase(),
        accountProof: proof.accountProof,
        balance: q(BigInt(proof.balance)),
        codeHash: proof.codeHash,
        nonce: q(BigInt(proof.nonce)),
        storageHash: proof.storageHash,
        storageProof: proof.storageProof.map((s) => ({ key: s.key, value: q(BigInt(s.value)), proof: s.proof })),
      }
    }, 2),

    eth_call: method([p.callRequest, p.withDefault(p.blockRef, 'latest'), p.optional(p.stateOverrides)], async (req, ref, overrides, origin) => {
      return calls.call(req, blockFor(ref), overrides, origin.batch)
    }, 1),

    eth_estimateGas: method([p.callRequest, p.withDefault(p.blockRef, 'latest'), p.optional(p.stateOverrides)], async (req, ref, overrides, origin) => {
      return q(await calls.estimateGas(req, blockFor(ref), overrides, origin.batch))
    }, 1),

    eth_createAccessList: method([p.callRequest, p.withDefault(p.blockRef, 'latest')], async (req, ref, origin) => {
      const r = await calls.createAccessList(req, blockFor(ref), origin.batch)
      const out: Record<string, unknown> = {
        accessList: r.accessList.map((item) => ({ address: item.address.toLowerCase(), storageKeys: item.storageKeys })),
        gasUsed: q(r.gasUsed),
      }
      if (r.error !== undefined) out.error = r.error
      return out
    }, 1),

    eth_gasPrice: method([], () => q(nextBaseFee() + suggestedTip())),
    eth_maxPriorityFeePerGas: method([], () => q(suggestedTip())),
    eth_blobBaseFee: method([], () => '0x1'),
    eth_feeHistory: method([p.smallQuantity, p.blockNumberOrTag, p.optional(percentilesParam)], (count, newest, percentiles) => feeHistory(count, newest, percentiles), 2),

    eth_sendRawTransaction: method([p.data], (raw) => sendRaw(raw)),

    eth_sendTransaction: method([p.callRequest], async (req, origin) => {
      if (ctx.devSigner === undefined) throw new RpcError(ErrorCode.methodNotFound, 'eth_sendTransaction needs an unlocked account; this node only signs in dev mode')
      if (req.from === undefined) throw new InvalidParamsError('invalid argument 0: field from is required')
      const from = req.from.toString()
      const account = await ctx.stateAt(chain.head().header.stateRoot).getAccount(req.from)
      const nonce = req.nonce ?? pool.pendingNonce(from, account?.nonce ?? 0n)
      const gasLimit = req.gas ?? (await calls.estimateGas(req, chain.head(), undefined, origin.batch))
      const tip = req.maxPriorityFeePerGas ?? suggestedTip()
      const unsigned = req.gasPrice !== undefined
        ? createTx({ type: TransactionType.Legacy, nonce, gasLimit, gasPrice: req.gasPrice, to: req.to, value: req.value, data: req.data }, { common })
        : createTx({ type: TransactionType.FeeMarketEIP1559, nonce, gasLimit, to: req.to, value: req.value, data: req.data, accessList: req.accessList ?? [],
            maxPriorityFeePerGas: tip, maxFeePerGas: req.maxFeePerGas ?? nextBaseFee() * 2n + tip }, { common })
      const signed = ctx.devSigner.sign(from, unsigned)
      if (signed === undefined) throw new RpcError(ErrorCode.server, `unknown account ${from}`)
      return sendRaw(signed.serialize())
    }),

    eth_getTransactionByHash: method([p.hash32], (hash) => {
      const mined = minedTx(store.getTx(hash))
      if (mined !== null) return mined
      const pending = pool.get(bytesToHex(hash))
      return pending === undefined ? null : formatTx(pending.tx, pending.hash, pending.sender.bytes)
    }),

    eth_getRawTransactionByHash: method([p.hash32], (hash) => {
      const row = store.getTx(hash)
      if (row !== undefined) return hex(row.raw)
      const pending = pool.get(bytesToHex(hash))
      return pending === undefined ? null : hex(pending.tx.serialize())
    }),

    eth_getTransactionReceipt: method([p.hash32], (hash) => {
      const row = store.getTx(hash)
      const block = row && chain.byNumber(row.blockNumber)
      if (row === undefined || block === undefined) return null
      checkLogVolume(row.logCount)
      return receiptOf(row, block)
    }),

    eth_getBlockByNumber: method([p.blockNumberOrTag, p.bool], (ref, full) => blockJson(blockByRef(ref), full)),
    eth_getBlockByHash: method([p.hash32, p.bool], (hash, full) => blockJson(chain.byHash(hash), full)),

    eth_getBlockReceipts: method([p.blockRef], (ref) => {
      const block = typeof ref === 'object' ? chain.byHash(ref.hash) : blockByRef(ref)
      if (block === undefined) return null
      const rows = store.getTxsInBlock(block.row.number)
      checkLogVolume(rows.reduce((n, r) => n + r.logCount, 0))
      const logs = store.getLogsInBlock(block.row.number)
      return rows.map((row) => receiptOf(row, block, logs))
    }),

    eth_getBlockTransactionCountByNumber: method([p.blockNumberOrTag], (ref) => {
      const block = blockByRef(ref)
      return block === undefined ? null : q(block.row.txCount)
    }),
    eth_getBlockTransactionCountByHash: method([p.hash32], (hash) => {
      const block = chain.byHash(hash)
      return block === undefined ? null : q(block.row.txCount)
    }),
    eth_getUncleCountByBlockNumber: method([p.blockNumberOrTag], (ref) => (blockByRef(ref) === undefined ? null : '0x0')),
    eth_getUncleCountByBlockHash: method([p.hash32], (hash) => (chain.byHash(hash) === undefined ? null : '0x0')),
    eth_getUncleByBlockNumberAndIndex: method([p.blockNumberOrTag, p.smallQuantity], () => null),
    eth_getUncleByBlockHashAndIndex: method([p.hash32, p.smallQuantity], () => null),

    eth_getTransactionByBlockNumberAndIndex: method([p.blockNumberOrTag, p.smallQuantity], (ref, index) => {
      const block = blockByRef(ref)
      return block === undefined ? null : minedTx(store.getTxByPosition(block.row.number, index))
    }),
    eth_getTransactionByBlockHashAndIndex: method([p.hash32, p.smallQuantity], (hash, index) => {
      const block = chain.byHash(hash)
      return block === undefined ? null : minedTx(store.getTxByPosition(block.row.number, index))
    }),

    eth_getLogs: method([p.logFilter], (filter) => getLogs(filter)),

    eth_newFilter: method([p.logFilter], (filter, origin) => ctx.filters.newLogFilter(filter, origin.client)),
    eth_newBlockFilter: method([], (origin) => ctx.filters.newBlockFilter(origin.client)),
    eth_newPendingTransactionFilter: method([], (origin) => ctx.filters.newPendingTxFilter(origin.client)),
    eth_getFilterChanges: method([p.str], (id) => ctx.filters.changes(id)),
    eth_getFilterLogs: method([p.str], (id) => ctx.filters.allLogs(id)),
    eth_uninstallFilter: method([p.str], (id) => ctx.filters.uninstall(id)),

    eth_subscribe: method([p.str, p.optional((v) => v)], (kind, params, origin) => {
      if (origin.subscriptions === undefined) throw new RpcError(ErrorCode.unsupported, 'notifications not supported: eth_subscribe needs a WebSocket connection')
      return origin.subscriptions.subscribe(kind, params === undefined ? [] : [params])
    }, 1),
    eth_unsubscribe: method([p.str], (id, origin) => {
      if (origin.subscriptions === undefined) throw new RpcError(ErrorCode.unsupported, 'notifications not supported: eth_unsubscribe needs a WebSocket connection')
      return origin.subscriptions.unsubscribe(id)
    }),
  }
}

