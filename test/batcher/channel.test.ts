/**
 * Frames and channels: the frame encoding round-trips and refuses malformed input; a channel's
 * frames reassemble in any order and across L1 blocks; duplicates, conflicts, frames after the
 * last and frames of a timed-out channel are refused; the commitment chains the frame hashes.
 */
import { describe, expect, it } from 'vitest'
import { keccak256 } from '../../sequencer/chain/crypto.ts'
import {
  ChannelAssembler,
  type AssembledChannel,
  decodeFrame,
  encodeFrame,
  FRAME_HEADER_BYTES,
  frameCommitment,
  FrameError,
  framesFor,
  splitChannel,
  type Frame,
  type L1Frame,
} from '../../batcher/channel.ts'

const id = (n: number) => new Uint8Array(16).fill(n)
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)
const onL1 = (frame: Frame, l1Block: number): L1Frame => ({ frame, hash: keccak256(encodeFrame(frame)), l1Block })

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('frame encoding', () => {
  it('round-trips, header first', () => {
    const f: Frame = { channelId: id(7), number: 513, last: true, data: bytes(300) }
    const enc = encodeFrame(f)
    expect(enc.length).toBe(FRAME_HEADER_BYTES + 300)
    expect([...enc.subarray(0, 24)]).toEqual([0, ...id(7), 0x02, 0x01, 1, 0, 0, 0x01, 0x2c])
    expect(decodeFrame(enc)).toEqual(f)
  })

  it('accepts zero padding only where asked (a blob), and nothing else after the frame', () => {
    const enc = encodeFrame({ channelId: id(1), number: 0, last: false, data: bytes(10) })
    const padded = new Uint8Array(enc.length + 50)
    padded.set(enc)
    expect(decodeFrame(padded, true).data).toEqual(bytes(10))
    expect(() => decodeFrame(padded)).toThrow(/50 extra bytes/)
    padded[enc.length + 49] = 1
    expect(() => decodeFrame(padded, true)).toThrow(/non-zero padding/)
  })

  it('refuses short, truncated, unknown-version and bad-flag frames', () => {
    const enc = encodeFrame({ channelId: id(1), number: 3, last: false, data: bytes(10) })
    expect(() => decodeFrame(enc.subarray(0, 20))).toThrow(FrameError)
    expect(() => decodeFrame(enc.subarray(0, enc.length - 1))).toThrow(/says 10 data bytes/)
    expect(() => decodeFrame(Uint8Array.from([1, ...enc.subarray(1)]))).toThrow(/unknown frame version 1/)
    const bad = enc.slice()
    bad[19] = 2
    expect(() => decodeFrame(bad)).toThrow(/isLast must be 0 or 1/)
  })

  it('splits a channel into frames that fit and rejoin to the data', () => {
    const data = bytes(10_000)
    const frames = splitChannel(id(2), data, 1_024)
    expect(frames.length).toBe(framesFor(10_000, 1_024))
    expect(frames.length).toBe(Math.ceil(10_000 / 1_000))
    expect(frames.every((f) => encodeFrame(f).length <= 1_024)).toBe(true)
    expect(frames.map((f) => f.last)).toEqual(frames.map((_, i) => i === frames.length - 1))
    expect(Buffer.concat(frames.map((f) => f.data))).toEqual(Buffer.from(data))
    expect(splitChannel(id(2), new Uint8Array(0), 1_024)).toHaveLength(1)
  })
})

describe('channel commitment', () => {
  it('chains the frame hashes in order', () => {
    const h = [keccak256(Uint8Array.of(1)), keccak256(Uint8Array.of(2))]
    const step1 = keccak256(Buffer.concat([new Uint8Array(32), h[0]]))
    expect(frameCommitment(h)).toEqual(keccak256(Buffer.concat([step1, h[1]])))
    expect(frameCommitment([h[1], h[0]])).not.toEqual(frameCommitment(h))
    // the chain can be resumed from a stored accumulator (what RollupAnchor does across transactions)
    expect(frameCommitment([h[1]], frameCommitment([h[0]]))).toEqual(frameCommitment(h))
  })
})

describe('channel assembly', () => {
  const data = bytes(5_000, 9)
  const frames = splitChannel(id(3), data, 524) // 10 frames

  it.each([1, 2, 3, 4])('reassembles frames in any order across L1 blocks (order %i)', (seed) => {
    const asm = new ChannelAssembler(100)
    const order = shuffled(frames, seed)
    let done: AssembledChannel | undefined
    order.forEach((f, i) => {
      const out = asm.add(onL1(f, 1000 + i))
      if (i < order.length - 1) expect(out).toBeUndefined()
      else done = out
    })
    expect(done).toBeDefined()
    expect(Buffer.from(done!.data)).toEqual(Buffer.from(data))
    expect(done!.frames.map((x) => x.frame.number)).toEqual(frames.map((f) => f.number))
    expect(done!.openedAt).toBe(1000)
    expect(asm.pendingCount).toBe(0)
  })

  it('keeps channels apart when their frames interleave', () => {
    const other = splitChannel(id(4), bytes(2_000, 5), 524)
    const asm = new ChannelAssembler(100)
    const out: (ReturnType<ChannelAssembler['add']>)[] = []
    for (let i = 0; i < Math.max(frames.length, other.length); i++) {
      if (i < other.length) out.push(asm.add(onL1(other[i], 10)))
      if (i < frames.length) out.push(asm.add(onL1(frames[i], 10)))
    }
    const complete = out.filter((x) => x !== undefined)
    expect(complete.map((c) => c!.channelId[0])).toEqual([4, 3])
  })

  it('refuses a duplicate frame and a conflicting one, keeping the first', () => {
    const asm = new ChannelAssembler(100)
    asm.add(onL1(frames[0], 1))
    expect(() => asm.add(onL1(frames[0], 2))).toThrow(/frame 0 duplicated/)
    const conflicting = { ...frames[0], data: bytes(frames[0].data.length, 77) }
    expect(() => asm.add(onL1(conflicting, 2))).toThrow(/frame 0 conflicts/)
    let done: AssembledChannel | undefined
    for (const f of frames.slice(1)) done = asm.add(onL1(f, 3))
    expect(Buffer.from(done!.data)).toEqual(Buffer.from(data))
  })

  it('refuses frames after the last one, and a second last frame', () => {
    const asm = new ChannelAssembler(100)
    const last = frames[frames.length - 1]
    asm.add(onL1(last, 1))
    expect(() => asm.add(onL1({ ...frames[0], number: last.number + 1 }, 1))).toThrow(/conflicts with last frame 9/)
    expect(() => asm.add(onL1({ ...frames[2], last: true }, 1))).toThrow(/conflicts with last frame 9/)
    const asm2 = new ChannelAssembler(100)
    asm2.add(onL1(frames[5], 1))
    expect(() => asm2.add(onL1({ ...frames[3], last: true }, 1))).toThrow(/last frame 3 comes before frame 5/)
  })

  it('drops a channel not complete within its timeout, and refuses its later frames', () => {
    const asm = new ChannelAssembler(10)
    asm.add(onL1(frames[0], 100))
    asm.add(onL1(frames[1], 110)) // exactly at the timeout: still in
    expect(() => asm.add(onL1(frames[2], 111))).toThrow(/past the timeout/)
    expect(() => asm.add(onL1(frames[3], 105))).toThrow(/after the channel timed out/)
    const asm2 = new ChannelAssembler(10)
    asm2.add(onL1(frames[0], 100))
    expect(asm2.expire(110)).toEqual([])
    expect(asm2.expire(111)).toEqual([Buffer.from(id(3)).toString('hex')])
    expect(asm2.pendingCount).toBe(0)
    expect(() => asm2.add(onL1(frames[1], 111))).toThrow(/timed out/)
    // the batcher re-posts under a new channel id, which assembles as any other
    const again = splitChannel(id(9), data, 524)
    let done: AssembledChannel | undefined
    for (const f of again) done = asm2.add(onL1(f, 120))
    expect(Buffer.from(done!.data)).toEqual(Buffer.from(data))
  })
})
