/**
 * The fetch the relay gives `@atproto/identity`'s `IdResolver`: DID documents come from attacker-chosen hosts
 * (did:web), so: http(s) only, no redirects, streamed body cap, timeout, and private/loopback/link-local addresses
 * refused. The address check runs inside the connection's DNS lookup, so the address checked is the address used
 * (no DNS rebinding between check and connect). Trusted origins (the PLC directory) skip the address check, not the
 * concurrency cap.
 *
 * Failures are told apart: an upstream that cannot answer now (no connection, timeout, a 429 or 5xx answer) throws
 * a transient `DidFetchError`, which the caches never remember as "this DID does not exist"; a refusal of ours
 * (private address, redirect, oversized body) or a definite answer (404, another 4xx) is not transient.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent, fetch as undiciFetch } from 'undici'
import type { FetchLimiter } from './fetch-limiter.js'
import { isPrivateAddress } from './ip-policy.js'

export interface SafeFetchOptions {
  /** Allow private, loopback and link-local addresses (tests only). */
  allowPrivateHosts: boolean
  /** Origins (e.g. the configured PLC URL) exempt from the private-address check. */
  trustedOrigins?: string[]
  timeoutMs: number
  maxBodyBytes: number
  /** Concurrency caps, the trusted origins' apart (held until the body is read). */
  limiter?: FetchLimiter
}

export class DidFetchError extends Error {
  /** The upstream cannot answer now (no connection, timeout, 429, 5xx): says nothing about the DID. */
  readonly transient: boolean
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options)
    this.name = 'DidFetchError'
    this.transient = options?.transient ?? false
  }
}

/** Connection errors that are an answer (the name does not exist, or our address policy refused it), not an outage. */
const DEFINITE_CONNECT_ERRORS = new Set(['ENOTFOUND', 'EPRIVATEADDR'])

function connectErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string') return code
  }
  return undefined
}

type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

function checkedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0)
      const list = addresses as LookupAddress[]
      const usable = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address))
      if (usable.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`refusing to connect to ${hostname}: private address`)
        e.code = 'EPRIVATEADDR'
        return callback(e, '', 0)
      }
      if ((options as { all?: boolean }).all) return callback(null, usable)
      callback(null, usable[0].address, usable[0].family)
    })
  }) as LookupFunction
}

/** Creates the SSRF-safe fetch. Call `close()` on the result's `dispatcher` when the relay stops. */
export function createSafeFetch(opts: SafeFetchOptions): { fetch: FetchFn; close(): Promise<void> } {
  const trusted = new Set((opts.trustedOrigins ?? []).map((o) => new URL(o).origin))
  const guarded = new Agent({ connect: { lookup: checkedLookup(opts.allowPrivateHosts), timeout: opts.timeoutMs }, maxRedirections: 0 } as ConstructorParameters<typeof Agent>[0])
  const open = new Agent({ connect: { timeout: opts.timeoutMs } })

  const safeFetch: FetchFn = async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new DidFetchError(`refusing ${url.protocol} URL`)
    if (url.username || url.password) throw new DidFetchError('refusing URL with credentials')
    const isTrusted = trusted.has(url.origin)
    if (!isTrusted && !opts.allowPrivateHosts && isIP(url.hostname.replace(/^\[|\]$/g, '')) && isPrivateAddress(url.hostname)) {
      throw new DidFetchError(`refusing private address ${url.hostname}`)
    }
    const release = !opts.limiter ? undefined : isTrusted ? opts.limiter.acquireTrusted() : opts.limiter.acquire(url.hostname.replace(/^\[|\]$/g, ''))
    try {
      return await fetchGuarded(url, isTrusted, init)
    } finally {
      release?.()
    }
  }

  const fetchGuarded = async (url: URL, isTrusted: boolean, init: RequestInit | undefined): Promise<Response> => {
    const timeout = AbortSignal.timeout(opts.timeoutMs)
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout
    let res: Awaited<ReturnType<typeof undiciFetch>>
    try {
      res = await undiciFetch(url, {
        method: 'GET',
        headers: { accept: 'application/did+ld+json,application/json' },
        redirect: 'manual',
        signal,
        dispatcher: isTrusted ? open : guarded,
      })
    } catch (err) {
      const code = connectErrorCode(err)
      const transient = code === undefined || !DEFINITE_CONNECT_ERRORS.has(code)
      throw new DidFetchError(`fetch ${url.origin} failed: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err, transient })
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel()
      throw new DidFetchError(`${url.origin} answered ${res.status}`, { transient: true })
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel()
      throw new DidFetchError(`refusing redirect from ${url.origin}`)
    }
    const declared = Number(res.headers.get('content-length') ?? '0')
    if (declared > opts.maxBodyBytes) {
      await res.body?.cancel()
      throw new DidFetchError(`DID document larger than ${opts.maxBodyBytes} bytes`)
    }
    const chunks: Uint8Array[] = []
    let total = 0
    if (res.body) {
      const reader = res.body.getReader()
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          throw new DidFetchError(`reading ${url.origin} failed`, { cause: err, transient: true })
        }
        if (chunk.done) break
        total += chunk.value.byteLength
        if (total > opts.maxBodyBytes) {
          await reader.cancel()
          throw new DidFetchError(`DID document larger than ${opts.maxBodyBytes} bytes`)
        }
        chunks.push(chunk.value)
      }
    }
    const body = new Uint8Array(total)
    let off = 0
    for (const c of chunks) {
      body.set(c, off)
      off += c.byteLength
    }
    return new Response(res.status === 204 || res.status === 304 ? null : body, {
      status: res.status,
      statusText: res.statusText,
      headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
    })
  }
  return {
    fetch: safeFetch,
    async close() {
      await Promise.all([guarded.close(), open.close()])
    },
  }
}
