#!/usr/bin/env node
// `bitecs-multiuser <gen|relay> ...`: runs the command from its package, which the game installs beside this one:
//   gen    -> @bitecs-multiuser/codegen   (npm install -D @bitecs-multiuser/codegen)
//   relay  -> @bitecs-multiuser/relay     (npm install @bitecs-multiuser/relay)
//   host   -> this package (a checkout only, for now: src/host/cli.ts; needs node-datachannel and ws)
// The package is looked up from the current project first (strict installs such as pnpm's link a package only
// where it is declared), then beside this one. In a checkout of the repository (src/ exists; the published package
// has none) the TypeScript sources run through tsx, never a build that may be stale.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MIN_NODE = [22, 12]
const commands = {
  gen: { pkg: '@bitecs-multiuser/codegen', source: 'codegen/cli', install: 'npm install -D @bitecs-multiuser/codegen', what: 'generate typed bitECS stores and codecs from .proto files' },
  relay: { pkg: '@bitecs-multiuser/relay', source: 'relay/cli', install: 'npm install @bitecs-multiuser/relay', what: 'run the ATProto-gated signaling relay' },
  host: { pkg: 'bitecs-multiuser', source: 'host/cli', install: 'run it from a checkout of bitecs-multiuser (the published package does not ship the host yet)', what: 'run a host-mode game server (node-datachannel)' },
}
const [command, ...args] = process.argv.slice(2)
if (!command || !(command in commands)) {
  console.error(`usage: bitecs-multiuser <${Object.keys(commands).join('|')}> [options]   (--help for a command's options)\n` +
    Object.entries(commands).map(([name, c]) => `  ${name.padEnd(6)} ${c.what} (${c.pkg})`).join('\n'))
  process.exit(command ? 2 : 0)
}
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
  console.error(`bitecs-multiuser ${command}: needs Node >= ${MIN_NODE.join('.')} (this is ${process.version})`)
  process.exit(1)
}

const c = commands[command]
function resolveFrom(base) {
  try {
    const file = createRequire(base).resolve(`${c.pkg}/cli`)
    return existsSync(file) ? file : null
  } catch {
    return null
  }
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'src', `${c.source}.ts`)
const entry = existsSync(source) ? null : resolveFrom(join(process.cwd(), 'package.json')) ?? resolveFrom(import.meta.url)
let mod
if (existsSync(source)) {
  const { tsImport } = await import('tsx/esm/api')
  mod = await tsImport(pathToFileURL(source).href, import.meta.url)
} else if (entry) mod = await import(pathToFileURL(entry).href)
else {
  console.error(`bitecs-multiuser ${command}: this command lives in the package ${c.pkg}, which is not installed here.\n  ${c.install}`)
  process.exit(1)
}
process.exitCode = await mod.main(args)
