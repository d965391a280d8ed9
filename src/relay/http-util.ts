/** Small HTTP helpers: JSON replies, error replies, CORS. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCode, RelayError } from './errors.js'

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendError(res: ServerResponse, err: RelayError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, err.toJSON(), headers)
}

export function toRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err
  // With --redis: the shared state cannot be reached now (ioredis gives up on a command after one retry). Transient.
  if (err instanceof Error && (err.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable/.test(err.message))) {
    return new RelayError(ErrorCode.RELAY_BUSY, 'the relay cannot reach its shared state (Redis) now, retry', { cause: err })
  }
  return new RelayError(ErrorCode.INTERNAL, 'internal error', { cause: err })
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
    vary: 'origin',
  }
}

/**
 * Reads a JSON object body of at most `maxBytes` (an empty body is `{}`); anything else throws `RelayError(code)`.
 * Past `maxBytes` the rest is never read: the refusal is answered with `connection: close`, which ends the connection.
 */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, code: ErrorCode): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      res.shouldKeepAlive = false
      res.setHeader('connection', 'close')
      throw new RelayError(code, `body larger than ${maxBytes} bytes`)
    }
    chunks.push(chunk)
  }
  if (size === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new RelayError(code, 'body is not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RelayError(code, 'body must be a JSON object')
  return parsed as Record<string, unknown>
}

/** Path of a request without its query string (safe to log). */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]
}
