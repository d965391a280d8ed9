// Layers depend downward only (see README "Where things are"): each folder of src/ may import only the folders
// listed for it, type-only and dynamic imports included. A browser entry never reaches Node-only code.
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importsOf, reachable, repo } from '../helpers/source-graph.js'

/** Folder of src/ → the folders its files may import (besides their own). */
const ALLOWED: Record<string, string[]> = {
  shared: [],
  signaling: ['shared'],
  protocol: ['shared', 'generated/multiuser'],
  auth: ['shared', 'signaling'],
  atproto: ['shared', 'signaling', 'auth'],
  transport: ['shared', 'signaling', 'auth'],
  // The social client (friends, presence, invites, session records): the token source and session type of sign-in.
  social: ['shared', 'signaling', 'auth', 'atproto/token-source.ts'],
  ecs: ['shared', 'protocol', 'transport/transport.ts'],
  babylon: ['shared', 'protocol', 'ecs'],
  // The network panel reads a Network and sets a ConditionedTransport's conditions; no Babylon, no relay.
  inspector: ['shared', 'ecs', 'transport/conditions.ts', 'transport/transport.ts'],
  codegen: ['shared', 'protocol'],
  // Host mode's parts beside the replication core: the whitelist from the relay's session tickets, the registration with the relay's host registry (auth), the host game
  // runner, and the Node CLI (the PeerJS transport over node-datachannel).
  host: ['shared', 'signaling', 'auth', 'ecs', 'protocol', 'transport'],
  // The relay never imports client code (auth, transport, ecs, babylon): what it shares with clients is src/signaling.
  relay: ['shared', 'signaling'],
}

const filesOf = (dir: string): string[] =>
  readdirSync(`${repo}/src/${dir}`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `src/${dir}/${f}`)

describe('layers', () => {
  it('every folder of src/ has its rule', () => {
    const folders = readdirSync(`${repo}/src`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    expect(folders.sort()).toEqual(Object.keys(ALLOWED).sort())
  })

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`src/${folder} imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      const ok = (dep: string) => dep.startsWith(`src/${folder}/`) || allowed.some((a) => dep === `src/${a}` || dep.startsWith(a.startsWith('generated') ? a : `src/${a}/`))
      const bad = filesOf(folder).flatMap((f) => importsOf(`${repo}/${f}`).filter((d) => !ok(d)).map((d) => `${f} → ${d}`))
      expect(bad).toEqual([])
    })
  }

  it('the browser entries never reach the relay or the generator', () => {
    for (const entry of ['src/index.ts', 'src/babylon/index.ts', 'src/atproto/index.ts', 'src/social/index.ts', 'src/inspector/index.ts']) {
      const nodeOnly = [...reachable(entry)].filter((f) => f.startsWith('src/relay/') || f.startsWith('src/codegen/'))
      expect(nodeOnly, entry).toEqual([])
    }
  })

  it('the social entry reaches no ATProto library of its own (it talks to PDSes with fetch; sign-in brings the OAuth client)', () => {
    const atproto = [...reachable('src/social/index.ts')].filter((f) => /from '@atproto\//.test(readFileSync(`${repo}/${f}`, 'utf8')))
    expect(atproto).toEqual([])
  })

  it('the inspector is an entry of its own: no other entry reaches it', () => {
    for (const entry of ['src/index.ts', 'src/babylon/index.ts', 'src/atproto/index.ts', 'src/social/index.ts']) {
      expect([...reachable(entry)].filter((f) => f.startsWith('src/inspector/')), entry).toEqual([])
    }
  })

  it('the guest entries reach no ATProto library (sign-in is bitecs-multiuser/atproto)', () => {
    for (const entry of ['src/index.ts', 'src/babylon/index.ts']) {
      const atproto = [...reachable(entry)].filter((f) => /from '@atproto\//.test(readFileSync(`${repo}/${f}`, 'utf8')))
      expect(atproto, entry).toEqual([])
    }
  })
})
