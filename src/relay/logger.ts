/**
 * Structured logging (pino). Tokens never reach the logger: the relay logs codes, rooms, peer ids and DIDs, never
 * headers or URLs with query strings. The redaction list is a second line of defence.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

export const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'token', '*.token', 'joinToken', '*.joinToken', 'ticket', '*.ticket', 'jwt', '*.jwt', 'url', '*.url',
  'credential', '*.credential', 'turnSecret', '*.turnSecret', 'resumeToken', '*.resumeToken',
]

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options = { name: 'bitecs-relay', level: opts.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }
  return opts.destination ? pino(options, opts.destination) : pino(options)
}
