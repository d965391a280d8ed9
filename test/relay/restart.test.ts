/**
 * A relay restart must not split rooms: the signing key lives in the data directory (created on the first start),
 * so tickets and resume tokens stay valid and resumed peers keep their ids and admission times; a rotated key keeps
 * the old one for resumes; the DID document is revalidated on every fetch, so a key change is seen at once; an
 * ephemeral key is loudly warned about. Admission times come from the relay's clock, strictly increasing, and stay
 * monotonic across a restart even when the clock steps back.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { verifyTicket } from '../../src/signaling/ticket.js'
import { createRelay, rotateRelayKey, type Relay, type RelayOptions } from '../../src/relay/index.js'
import { AdmissionClock } from '../../src/relay/data-dir.js'
import { asJoin, memoryLogger, postJoin, RawPeer } from './helpers.js'

const dirs: string[] = []
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'relay-state-'))
  dirs.push(d)
  return d
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

const running: Relay[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})
async function start(opts: RelayOptions): Promise<Relay> {
  const r = createRelay({ auth: 'off', iceServers: [], logger: pino({ level: 'silent' }), ...opts })
  await r.listen()
  running.push(r)
  return r
}
async function stop(r: Relay): Promise<void> {
  running.splice(running.indexOf(r), 1)
  await r.close()
}
const didJson = async (r: Relay, headers: Record<string, string> = {}) => fetch(`${r.url}.well-known/did.json`, { headers })

describe('the signing key survives a restart', () => {
  it('is created in the data directory on the first start (0600) and used again after a restart: resumed peers keep id and admission time', async () => {
    const dataDir = await tempDir()
    const first = await start({ dataDir })
    expect(first.signingKeyInfo).toMatchObject({ source: 'data-dir', path: join(dataDir, 'signing-key'), created: true })
    expect(first.signingKeyInfo.warning).toBeUndefined()
    expect((await stat(join(dataDir, 'signing-key'))).mode & 0o777).toBe(0o600)
    const port = first.address.port
    const j = asJoin(await postJoin(first.url, 'room'))
    const p = RawPeer.forJoin(j)
    await p.next((m) => m.type === 'OPEN')
    await stop(first)
    await p.closed

    const second = await start({ dataDir, port })
    expect(second.signingKeyInfo).toMatchObject({ source: 'data-dir', created: false, did: first.signingKeyInfo.did })
    // The old ticket still verifies against the restarted relay's document; the resume is honoured.
    await verifyTicket(j.ticket, (await (await didJson(second)).json()) as never, { room: 'room', peerId: j.peerId })
    const again = asJoin(await postJoin(second.url, 'room', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } }))
    expect(again.peerId).toBe(j.peerId)
    expect(again.admittedAt).toBe(j.admittedAt)
    expect((await verifyTicket(again.ticket, second.didDocument, { room: 'room', peerId: j.peerId })).admittedAt).toBe(j.admittedAt)
    // A newcomer after the restart is admitted later than everyone admitted before it.
    const newcomer = asJoin(await postJoin(second.url, 'room'))
    expect(newcomer.admittedAt).toBeGreaterThan(j.admittedAt)
  })

  it('signingKey (--signing-key-file) wins over the data directory; a rotated key keeps resumes of the old one valid', async () => {
    const dataDir = await tempDir()
    const first = await start({ dataDir })
    const port = first.address.port
    const j = asJoin(await postJoin(first.url, 'room'))
    await stop(first)

    const { did, retired } = await rotateRelayKey(dataDir)
    expect(retired).toBe(first.signingKeyInfo.did)
    expect((await readFile(join(dataDir, 'previous-keys'), 'utf8')).trim()).toBe(retired)
    const rotated = await start({ dataDir, port })
    expect(rotated.signingKeyInfo.did).toBe(did)
    expect(did).not.toBe(first.signingKeyInfo.did)
    // New tickets are signed by the new key (the old document cannot verify them) ...
    const newcomer = asJoin(await postJoin(rotated.url, 'room'))
    await expect(verifyTicket(newcomer.ticket, first.didDocument, { room: 'room', peerId: newcomer.peerId })).rejects.toMatchObject({ code: 'TICKET_BAD_SIGNATURE' })
    // ... and an old peer resumes with its id and admission time.
    const resumed = asJoin(await postJoin(rotated.url, 'room', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } }))
    expect(resumed).toMatchObject({ peerId: j.peerId, admittedAt: j.admittedAt })
    await stop(rotated)

    // An explicit key wins over the data directory's (whose retired keys still count for resumes).
    const explicit = await start({ dataDir, port, signingKey: 'ab'.repeat(32) })
    expect(explicit.signingKeyInfo.source).toBe('option')
    expect(explicit.signingKeyInfo.did).not.toBe(did)
    expect(asJoin(await postJoin(explicit.url, 'room', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } })).peerId).toBe(j.peerId)
    await stop(explicit)
    // With a key it never had (a lost data directory), a resume is refused (a fresh id) rather than forged.
    const lostDir = await start({ port, signingKey: 'cd'.repeat(32) })
    const lost = asJoin(await postJoin(lostDir.url, 'room', { body: { resume: { peerId: j.peerId, token: j.resumeToken } } }))
    expect(lost.peerId).not.toBe(j.peerId)
  })

  it('warns loudly when the key is ephemeral: no data directory, or one that cannot be written', async () => {
    const logs = memoryLogger()
    const none = await start({ logger: logs.logger })
    expect(none.signingKeyInfo.source).toBe('ephemeral')
    expect(none.signingKeyInfo.warning).toMatch(/restart .* new peer id and splits the rooms/)
    const dir = await tempDir()
    await writeFile(join(dir, 'a-file'), 'x')
    const unwritable = await start({ logger: logs.logger, dataDir: join(dir, 'a-file', 'relay') }) // ENOTDIR, even as root
    expect(unwritable.signingKeyInfo).toMatchObject({ source: 'ephemeral' })
    expect(unwritable.signingKeyInfo.warning).toMatch(/not writable \(ENOTDIR\)/)
    const warned = logs.text().split('\n').filter((l) => l.includes('"ephemeral_signing_key"'))
    expect(warned).toHaveLength(2)
    expect(JSON.parse(warned[0]).level).toBe(40) // pino warn
  })

  it('refuses to start on a data directory whose key file is not a key (never replaced silently)', async () => {
    const dataDir = await tempDir()
    await writeFile(join(dataDir, 'signing-key'), 'not a key\n')
    const r = createRelay({ auth: 'off', logger: pino({ level: 'silent' }), dataDir })
    await expect(r.listen()).rejects.toThrow(/does not hold a hex P-256 key/)
    await r.close()
    expect(await readFile(join(dataDir, 'signing-key'), 'utf8')).toBe('not a key\n')
  })
})

describe('the DID document', () => {
  it('is revalidated on every fetch (no-cache, ETag = the key): a restart with another key is seen at once', async () => {
    const dataDir = await tempDir()
    const first = await start({ dataDir })
    const port = first.address.port
    const res = await didJson(first)
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const etag = res.headers.get('etag')!
    expect(etag).toBe(`"${first.signingKeyInfo.did.slice('did:key:'.length)}"`)
    expect((await didJson(first, { 'if-none-match': etag })).status).toBe(304)
    await stop(first)
    await rotateRelayKey(dataDir)
    const second = await start({ dataDir, port })
    const after = await didJson(second, { 'if-none-match': etag })
    expect(after.status).toBe(200)
    expect(((await after.json()) as { verificationMethod: { publicKeyMultibase: string }[] }).verificationMethod[0].publicKeyMultibase).toBe(second.signingKeyInfo.did.slice('did:key:'.length))
  })
})

describe('admission times', () => {
  it('strictly increase within a process, and stay above the last one handed out before a restart even if the clock stepped back', async () => {
    const dataDir = await tempDir()
    let now = 1_700_000_000_000
    const clock = await AdmissionClock.open(dataDir, () => now)
    const a = clock.next()
    const b = clock.next() // same millisecond
    now += 5
    const c = clock.next()
    expect([a, b, c]).toEqual([now - 5, now - 4, now])
    await clock.flush()
    now -= 60_000 // the machine's clock was stepped back an hour... a minute before the restart
    const restarted = await AdmissionClock.open(dataDir, () => now)
    expect(restarted.next()).toBe(c + 1)
  })
})
