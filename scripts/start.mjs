#!/usr/bin/env node
// `npm start`: the signaling relay (anonymous players allowed) and the demo's Vite dev server, together.
// Prints the URL to open (in two tabs for two players); Ctrl-C stops both.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const relayPort = Number(process.env.RELAY_PORT ?? 8787)
const demoPort = Number(process.env.DEMO_PORT ?? 5173)
const host = process.env.HOST ?? '127.0.0.1'
const relayUrl = process.env.RELAY_URL ?? `http://${host}:${relayPort}/`

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`npm start needs Node >= 22 (this is ${process.version}); run \`. scripts/ensure-node.sh\` first.`)
  process.exit(1)
}

const children = []
function run(name, args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const prefix = (line) => `[${name}] ${line}`
  for (const stream of [child.stdout, child.stderr]) {
    let buf = ''
    stream.on('data', (d) => {
      buf += d
      const lines = buf.split('\n')
      buf = lines.pop()
      for (const l of lines) if (l.trim()) console.log(prefix(l))
    })
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(prefix(`exited (${signal ?? code}); stopping`))
      stop(code ?? 1)
    }
  })
  children.push(child)
  return child
}

let stopping = false
function stop(code = 0) {
  stopping = true
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  setTimeout(() => process.exit(code), 500).unref()
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

run('relay', ['bin/bitecs-multiuser.js', 'relay', '--port', String(relayPort), '--host', host, '--auth', 'optional', '--public-url', relayUrl])
run('demo', ['node_modules/vite/bin/vite.js', '--port', String(demoPort), '--strictPort', '--host', host], { VITE_RELAY_URL: relayUrl })

setTimeout(() => {
  if (!stopping) console.log(`\n  Demo:  http://${host}:${demoPort}/   (open it in two tabs)\n  Relay: ${relayUrl}\n  Ctrl-C stops both.\n`)
}, 1500)
