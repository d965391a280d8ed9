import { ErrorCode, MultiuserError } from '../shared/errors.js'

/** A problem in a .proto source, located where the parser or the descriptor's source info says. */
export interface ProtoDiagnostic {
  /** Path as the user sees it (relative to the current directory when possible). */
  file: string
  /** 1-based line, when known. */
  line?: number
  /** 1-based column, when known. */
  column?: number
  /** What is wrong, naming the message and field. */
  message: string
}

/** One diagnostic as `file:line:col: message`. */
export function formatDiagnostic(d: ProtoDiagnostic): string {
  const at = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file
  return `${at}: ${d.message}`
}

/**
 * Thrown by the generator for syntax errors and invalid schemas (code `SCHEMA_INVALID`).
 * `message` lists every diagnostic as `file:line:col: message`, one per line.
 */
export class CodegenError extends MultiuserError {
  /** Every problem found, in file order. */
  readonly diagnostics: readonly ProtoDiagnostic[]
  constructor(diagnostics: readonly ProtoDiagnostic[]) {
    super(ErrorCode.SCHEMA_INVALID, diagnostics.map(formatDiagnostic).join('\n'))
    this.name = 'CodegenError'
    this.diagnostics = diagnostics
  }
}
