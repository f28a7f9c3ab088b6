/**
 * Channels and frames: how one batch's data travels to L1 across several L1 transactions.
 *
 * A channel is one batch's data (codec.ts: version ‖ compression ‖ compressed RLP of its blocks),
 * cut into frames small enough for one L1 transaction's calldata or one blob each:
 *
 *   frame = version (1 byte, 0x00) ‖ channelId (16 bytes) ‖ frameNumber (uint16, big-endian)
 *         ‖ isLast (1 byte, 0 or 1) ‖ dataLength (uint32, big-endian) ‖ data (dataLength bytes)
 *
 * Frames are numbered from 0; exactly the last one has isLast = 1; the channel's data is the
 * frames' data in frame order. Each frame is either the bytes of one element of a RollupAnchor
 * call's `frames` argument (calldata), or the content of one blob (blob.ts: 31 bytes per field
 * element, the frame followed by zero padding).
 *
 * RollupAnchor commits to a channel's frames by hash (keccak256 of a calldata frame, the versioned
 * hash of a blob frame), chained in frame order (`frameCommitment`). Derivation gathers a
 * channel's frames from L1 in whatever order and L1 blocks they come in (`ChannelAssembler`),
 * refuses a second copy of a frame (duplicate or conflicting), frames after the last, and a channel
 * not complete within its timeout; then checks the chained hashes against the batch's dataHash.
 */
import { randomBytes } from 'node:crypto'
import { keccak256 } from '../sequencer/chain/crypto.ts'

export const FRAME_VERSION = 0x00
/** version + channelId + frameNumber + isLast + dataLength. */
export const FRAME_HEADER_BYTES = 1 + 16 + 2 + 1 + 4
export const CHANNEL_ID_BYTES = 16
/** Frame numbers are uint16 in the frame and in RollupAnchor. */
export const MAX_FRAMES_PER_CHANNEL = 0x10000

export interface Frame {
  /** 16 bytes. */
  channelId: Uint8Array
  number: number
  last: boolean
  data: Uint8Array
}

export class FrameError extends Error {
  override readonly name = 'FrameError'
}

export function encodeFrame(f: Frame): Uint8Array {
  if (f.channelId.length !== CHANNEL_ID_BYTES) throw new Error(`a channel id has ${CHANNEL_ID_BYTES} bytes, not ${f.channelId.length}`)
  if (!Number.isInteger(f.number) || f.number < 0 || f.number >= MAX_FRAMES_PER_CHANNEL) throw new Error(`frame number ${f.number} out of range`)
  const out = new Uint8Array(FRAME_HEADER_BYTES + f.data.length)
  const view = new DataView(out.buffer)
  out[0] = FRAME_VERSION
  out.set(f.channelId, 1)
  view.setUint16(17, f.number)
  out[19] = f.last ? 1 : 0
  view.setUint32(20, f.data.length)
  out.set(f.data, FRAME_HEADER_BYTES)
  return out
}

/**
 * Decodes one frame. `padded`: the bytes may go on after the frame with zeros only (a blob's
 * content); otherwise the frame must be the whole input (a calldata frame).
 */
export function decodeFrame(bytes: Uint8Array, padded = false): Frame {
  if (bytes.length < FRAME_HEADER_BYTES) throw new FrameError(`a frame has at least ${FRAME_HEADER_BYTES} bytes, got ${bytes.length}`)
  if (bytes[0] !== FRAME_VERSION) throw new FrameError(`unknown frame version ${bytes[0]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const number = view.getUint16(17)
  const lastByte = bytes[19]
  if (lastByte > 1) throw new FrameError(`frame ${number}: isLast must be 0 or 1, got ${lastByte}`)
  const length = view.getUint32(20)
  const end = FRAME_HEADER_BYTES + length
  if (end > bytes.length) throw new FrameError(`frame ${number} says ${length} data bytes, only ${bytes.length - FRAME_HEADER_BYTES} follow`)
  if (end < bytes.length) {
    if (!padded) throw new FrameError(`frame ${number} is followed by ${bytes.length - end} extra bytes`)
    for (let i = end; i < bytes.length; i++) if (bytes[i] !== 0) throw new FrameError(`frame ${number} is followed by non-zero padding`)
  }
  return { channelId: bytes.slice(1, 17), number, last: lastByte === 1, data: bytes.slice(FRAME_HEADER_BYTES, end) }
}

/**
 * Cuts a channel's data into frames of at most `maxFrameBytes` bytes each (header included).
 * Empty data still makes one (last) frame.
 */
export function splitChannel(channelId: Uint8Array, data: Uint8Array, maxFrameBytes: number): Frame[] {
  const room = maxFrameBytes - FRAME_HEADER_BYTES
  if (room <= 0) throw new Error(`frames of ${maxFrameBytes} bytes leave no room for data`)
  const count = Math.max(1, Math.ceil(data.length / room))
  if (count > MAX_FRAMES_PER_CHANNEL) throw new Error(`${data.length} bytes need ${count} frames, more than a channel holds`)
  return Array.from({ length: count }, (_, i) => ({ channelId, number: i, last: i === count - 1, data: data.subarray(i * room, (i + 1) * room) }))
}

/** A channel of one frame, as submitBatch takes it (a random channel id unless given). */
export function singleFrame(data: Uint8Array, channelId: Uint8Array = Uint8Array.from(randomBytes(CHANNEL_ID_BYTES))): Uint8Array {
  return encodeFrame({ channelId, number: 0, last: true, data })
}

/** Frames needed for `dataBytes` of channel data in frames of `maxFrameBytes`. */
export function framesFor(dataBytes: number, maxFrameBytes: number): number {
  return Math.max(1, Math.ceil(dataBytes / (maxFrameBytes - FRAME_HEADER_BYTES)))
}

/**
 * RollupAnchor's dataHash of a channel: acc₀ = 0³², acc₍ᵢ₊₁₎ = keccak256(accᵢ ‖ frameHashᵢ), over the
 * frames in order; frameHash is keccak256(frame) for a calldata frame, the versioned hash for a blob.
 */
export function frameCommitment(frameHashes: Uint8Array[], start: Uint8Array = new Uint8Array(32)): Uint8Array {
  let acc = start
  const buf = new Uint8Array(64)
  for (const h of frameHashes) {
    buf.set(acc, 0)
    buf.set(h, 32)
    acc = keccak256(buf)
  }
  return acc
}

export const calldataFrameHash = (frame: Uint8Array): Uint8Array => keccak256(frame)

/** A frame as derivation found it on L1. */
export interface L1Frame {
  frame: Frame
  /** keccak256 of the calldata frame, or the blob's versioned hash. */
  hash: Uint8Array
  /** L1 block it was recorded in. */
  l1Block: number
}

export interface AssembledChannel {
  channelId: Uint8Array
  data: Uint8Array
  frames: L1Frame[]
  /** L1 block of the earliest frame. */
  openedAt: number
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

interface PendingChannel {
  openedAt: number
  frames: Map<number, L1Frame>
  lastNumber: number | undefined
}

/**
 * Reassembles channels from frames arriving in any order across L1 blocks. A channel not complete
 * within `timeoutL1Blocks` of its first frame's L1 block is dropped, and its later frames are
 * refused. A second frame with a number already seen is refused (a duplicate when its bytes are
 * the same, a conflict otherwise), and so is a frame after the last one or a second last frame:
 * the first one stays.
 */
export class ChannelAssembler {
  private readonly pending = new Map<string, PendingChannel>()
  private readonly timedOut = new Set<string>()

  constructor(private readonly timeoutL1Blocks: number) {}

  /** Adds a frame; returns the channel if this frame completed it. Throws FrameError for a refused frame. */
  add(f: L1Frame): AssembledChannel | undefined {
    const key = hex(f.frame.channelId)
    if (this.timedOut.has(key)) throw new FrameError(`channel ${key}: frame ${f.frame.number} arrived after the channel timed out`)
    let ch = this.pending.get(key)
    if (ch === undefined) {
      ch = { openedAt: f.l1Block, frames: new Map(), lastNumber: undefined }
      this.pending.set(key, ch)
    }
    if (f.l1Block > ch.openedAt + this.timeoutL1Blocks) {
      this.drop(key)
      throw new FrameError(`channel ${key}: frame ${f.frame.number} in L1 block ${f.l1Block}, past the timeout (opened in ${ch.openedAt}, ${this.timeoutL1Blocks} blocks)`)
    }
    const seen = ch.frames.get(f.frame.number)
    if (seen !== undefined) {
      const same = hex(seen.hash) === hex(f.hash)
      throw new FrameError(`channel ${key}: frame ${f.frame.number} ${same ? 'duplicated' : 'conflicts with the one already seen'} (L1 blocks ${seen.l1Block} and ${f.l1Block})`)
    }
    if (ch.lastNumber !== undefined && (f.frame.number > ch.lastNumber || (f.frame.last && f.frame.number !== ch.lastNumber))) {
      throw new FrameError(`channel ${key}: frame ${f.frame.number}${f.frame.last ? ' (last)' : ''} conflicts with last frame ${ch.lastNumber}`)
    }
    if (f.frame.last) {
      const beyond = [...ch.frames.keys()].find((n) => n > f.frame.number)
      if (beyond !== undefined) throw new FrameError(`channel ${key}: last frame ${f.frame.number} comes before frame ${beyond} already seen`)
      ch.lastNumber = f.frame.number
    }
    ch.frames.set(f.frame.number, f)
    ch.openedAt = Math.min(ch.openedAt, f.l1Block)
    if (ch.lastNumber === undefined || ch.frames.size !== ch.lastNumber + 1) return undefined
    this.pending.delete(key)
    const frames = Array.from({ length: ch.lastNumber + 1 }, (_, i) => ch.frames.get(i)!)
    const total = frames.reduce((n, x) => n + x.frame.data.length, 0)
    const data = new Uint8Array(total)
    let at = 0
    for (const x of frames) {
      data.set(x.frame.data, at)
      at += x.frame.data.length
    }
    return { channelId: f.frame.channelId, data, frames, openedAt: ch.openedAt }
  }

  /** Drops every channel still incomplete at L1 block `l1Block` past its timeout; returns their ids (hex). */
  expire(l1Block: number): string[] {
    const dropped: string[] = []
    for (const [key, ch] of this.pending) {
      if (l1Block > ch.openedAt + this.timeoutL1Blocks) {
        this.drop(key)
        dropped.push(key)
      }
    }
    return dropped
  }

  /** Channels still waiting for frames. */
  get pendingCount(): number {
    return this.pending.size
  }

  private drop(key: string): void {
    this.pending.delete(key)
    this.timedOut.add(key)
  }
}
