/**
 * Framing of our reliable data channel (PeerJS `serialization: 'raw'`, binary only).
 * One type byte, then the payload:
 *   HELLO  utf-8 relay ticket (the first frame each side sends; also says "my unreliable channel exists")
 *   DATA   a whole application message
 *   FRAG   u32 total length (first fragment only, big endian) + part of a message larger than FRAGMENT_SIZE
 *   PING   keeps the link alive and proves the peer is still there; empty, or one byte: PROBE (answer at once)
 *          or PROBE_ANSWER (the answer)
 *   BYE    utf-8 reason; the sender is closing the link on purpose
 */
export const enum FrameType {
  HELLO = 1,
  DATA = 2,
  FRAG_FIRST = 3,
  FRAG_MORE = 4,
  PING = 5,
  BYE = 6,
}

/** Largest data-channel message we send: below every browser's SCTP max message size. */
export const FRAGMENT_SIZE = 16 * 1024

const utf8e = new TextEncoder()
const utf8d = new TextDecoder()

export function textFrame(type: FrameType.HELLO | FrameType.BYE, text: string): Uint8Array {
  const body = utf8e.encode(text)
  const out = new Uint8Array(1 + body.length)
  out[0] = type
  out.set(body, 1)
  return out
}

export function readText(frame: Uint8Array): string {
  return utf8d.decode(frame.subarray(1))
}

export const PING_FRAME = new Uint8Array([FrameType.PING])
/** "Are you there?": sent when the relay says the peer left; the peer answers with PROBE_ANSWER_FRAME at once. */
export const PROBE_FRAME = new Uint8Array([FrameType.PING, 1])
export const PROBE_ANSWER_FRAME = new Uint8Array([FrameType.PING, 2])

/** Splits an application message into frames of at most FRAGMENT_SIZE + 5 bytes. */
export function dataFrames(data: Uint8Array): Uint8Array[] {
  if (data.length + 1 <= FRAGMENT_SIZE) {
    const out = new Uint8Array(1 + data.length)
    out[0] = FrameType.DATA
    out.set(data, 1)
    return [out]
  }
  const frames: Uint8Array[] = []
  for (let off = 0; off < data.length; off += FRAGMENT_SIZE) {
    const part = data.subarray(off, Math.min(off + FRAGMENT_SIZE, data.length))
    const head = off === 0 ? 5 : 1
    const f = new Uint8Array(head + part.length)
    f[0] = off === 0 ? FrameType.FRAG_FIRST : FrameType.FRAG_MORE
    if (off === 0) new DataView(f.buffer).setUint32(1, data.length)
    f.set(part, head)
    frames.push(f)
  }
  return frames
}

/** Reassembles FRAG frames; refuses messages above `maxBytes`. */
export class Reassembler {
  private buf: Uint8Array | null = null
  private filled = 0
  constructor(private readonly maxBytes: number) {}

  /** Returns the completed message, null while incomplete; throws on a protocol violation. */
  push(frame: Uint8Array): Uint8Array | null {
    if (frame[0] === FrameType.FRAG_FIRST) {
      if (this.buf) throw new Error('fragment sequence restarted')
      if (frame.length < 5) throw new Error('short first fragment')
      const total = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1)
      if (total > this.maxBytes) throw new Error(`message of ${total} bytes exceeds ${this.maxBytes}`)
      this.buf = new Uint8Array(total)
      this.filled = 0
      return this.append(frame.subarray(5))
    }
    if (!this.buf) throw new Error('continuation fragment without a first one')
    return this.append(frame.subarray(1))
  }

  private append(part: Uint8Array): Uint8Array | null {
    const buf = this.buf!
    if (this.filled + part.length > buf.length) throw new Error('fragments overflow their message')
    buf.set(part, this.filled)
    this.filled += part.length
    if (this.filled < buf.length) return null
    this.buf = null
    return buf
  }
}

/** Data channels deliver ArrayBuffer, a typed array, or (some stacks) a Blob-less view: normalise to Uint8Array. */
export function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}
