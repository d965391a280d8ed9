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

/** Path of a request without its query string (safe to log). */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0]
}
