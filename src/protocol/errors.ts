/** Stable error codes a game can switch on. Every error the library throws is a {@link MultiuserError}. */
export const ErrorCode = {
  DECODE_ERROR: 'DECODE_ERROR',
  ENCODE_OVERFLOW: 'ENCODE_OVERFLOW',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  SCHEMA_MISMATCH: 'SCHEMA_MISMATCH',
  ALREADY_ATTACHED: 'ALREADY_ATTACHED',
  CAPACITY_EXCEEDED: 'CAPACITY_EXCEEDED',
  NOT_OWNER: 'NOT_OWNER',
  NOT_REPLICATED: 'NOT_REPLICATED',
  UNKNOWN_EVENT: 'UNKNOWN_EVENT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  SEND_QUEUE_FULL: 'SEND_QUEUE_FULL',
  PEER_UNKNOWN: 'PEER_UNKNOWN',
  TRANSPORT_CLOSED: 'TRANSPORT_CLOSED',
  /** The relay could not resume our peer id (it restarted with a key it never had): we rejoined as a new peer. */
  PEER_ID_CHANGED: 'PEER_ID_CHANGED',
  /** The code generator is missing a part it runs (`multiuser/options.proto`, `buf`, `ts-proto`, `protobufjs`). */
  CODEGEN_SETUP: 'CODEGEN_SETUP',
  /** The code generator could not write its output directory. */
  CODEGEN_OUTPUT: 'CODEGEN_OUTPUT',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export class MultiuserError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MultiuserError'
    this.code = code
  }
}

/** Thrown by every decoder on truncated or corrupted input; never an out-of-bounds read. */
export class DecodeError extends MultiuserError {
  constructor(message: string) {
    super(ErrorCode.DECODE_ERROR, message)
    this.name = 'DecodeError'
  }
}
