/**
 * Test helper: a real ATProto PDS with an in-process PLC directory, on loopback, for integration tests.
 *
 *   const pds = await startTestPds()
 *   const alice = await pds.createAccount('alice')        // handle alice.test
 *   const { data } = await alice.agent.com.atproto.server.getServiceAuth({ aud, lxm })
 *   ...
 *   await pds.close()
 *
 * PLC: `@did-plc/server` with its in-memory database. PDS: `@atproto/pds` in dev mode with a temporary data
 * directory, handles under `.test`, no invites, no outbound crawlers or app view. Start takes ~2-3 s and
 * 200-300 MB, so share one per test file (beforeAll/afterAll).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair, type Keypair } from '@atproto/crypto'
import { PDS, type ServerEnvironment } from '@atproto/pds'
import { Database as PlcDatabase, PlcServer } from '@did-plc/server'

export interface TestAccount {
  did: string
  /** Full handle, e.g. `alice.test`. */
  handle: string
  password: string
  /** Logged-in password session against the test PDS. */
  agent: AtpAgent
  /**
   * The account's repo signing key (the `#atproto` key of its DID document), read from the PDS's actor store, so
   * tests can mint service-auth tokens with arbitrary claims (expired, future `iat`, no `jti`, ...).
   */
  signingKey(): Promise<Keypair>
}

export interface TestPds {
  /** e.g. `http://127.0.0.1:40123` (the PLC directory). */
  plcUrl: string
  /** e.g. `http://localhost:40124` (the PDS; `localhost` because the PDS derives its public URL from it). */
  pdsUrl: string
  /** Creates an account `<name>.test` (or the full handle if it already ends in `.test`) and logs in. */
  createAccount(name: string): Promise<TestAccount>
  /** Resolves a handle to a DID through the PDS (`com.atproto.identity.resolveHandle`); undefined if unknown. */
  resolveHandle(handle: string): Promise<string | undefined>
  /** The running PDS, for tests that need its internals. */
  server: PDS
  close(): Promise<void>
}

export interface StartTestPdsOptions {
  /** Extra PDS environment overrides. */
  env?: Partial<ServerEnvironment>
}

/** A free TCP port on loopback (the PDS needs its port up front: its public URL contains it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export async function startTestPds(opts: StartTestPdsOptions = {}): Promise<TestPds> {
  const plc = PlcServer.create({ db: PlcDatabase.mock(), port: 0 })
  const plcServer = await plc.start()
  const plcUrl = `http://127.0.0.1:${(plcServer.address() as AddressInfo).port}`

  const dataDirectory = await mkdtemp(join(tmpdir(), 'bitecs-multiuser-pds-'))
  const port = await freePort()
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const env: ServerEnvironment = {
    port,
    hostname: 'localhost',
    devMode: true,
    version: '0.0.0-test',
    dataDirectory,
    blobstoreDiskLocation: join(dataDirectory, 'blobs'),
    didPlcUrl: plcUrl,
    inviteRequired: false,
    disableSsrfProtection: true,
    serviceHandleDomains: ['.test'],
    jwtSecret: randomBytes(16).toString('hex'),
    adminPassword: 'admin-pass',
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
    crawlers: [],
    rateLimitsEnabled: false,
    ...opts.env,
  } as ServerEnvironment
  let pds: PDS
  try {
    pds = await PDS.fromEnv(env)
    await pds.start()
  } catch (err) {
    await plc.destroy()
    await rm(dataDirectory, { recursive: true, force: true })
    throw err
  }
  const pdsUrl = `http://localhost:${port}`

  return {
    plcUrl,
    pdsUrl,
    async createAccount(name: string): Promise<TestAccount> {
      const handle = name.endsWith('.test') ? name : `${name}.test`
      const password = `pw-${randomBytes(8).toString('hex')}`
      const agent = new AtpAgent({ service: pdsUrl })
      const res = await agent.createAccount({ handle, password, email: `${handle}@example.test` })
      const did = res.data.did
      return { did, handle: res.data.handle, password, agent, signingKey: () => pds.ctx.actorStore.keypair(did) }
    },
    async resolveHandle(handle: string) {
      try {
        const res = await new AtpAgent({ service: pdsUrl }).com.atproto.identity.resolveHandle({ handle })
        return res.data.did
      } catch {
        return undefined
      }
    },
    server: pds,
    async close() {
      await pds.destroy()
      await plc.destroy()
      await rm(dataDirectory, { recursive: true, force: true })
    },
  }
}

/**
 * Signs `who` in from a page whose form is `#signin` (`#handle` and a submit button), through the PDS's own OAuth
 * pages (password, then consent), and waits until the page is back on `appUrl`'s origin.
 */
export async function signInThroughPds(page: import('playwright-core').Page, who: TestAccount, pdsUrl: string, appUrl: string): Promise<void> {
  await page.fill('#handle', who.handle)
  await page.click('#signin button[type=submit]')
  await page.waitForURL((u) => u.origin === new URL(pdsUrl).origin, { timeout: 30_000 })
  const password = page.locator('input[autocomplete="current-password"]')
  await password.waitFor({ timeout: 30_000 })
  await password.fill(who.password)
  await page.locator('button[type="submit"]').click()
  await page.getByRole('button', { name: 'Authorize' }).click({ timeout: 30_000 })
  await page.waitForURL((u) => u.origin === new URL(appUrl).origin, { timeout: 30_000 })
}
