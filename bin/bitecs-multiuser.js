#!/usr/bin/env node
// CLI entry: `bitecs-multiuser gen ...` (code generator) and `bitecs-multiuser relay ...` (signaling relay).
// Runs the built code from dist/ when present (installed package), else the TypeScript sources through tsx
// (a checkout of this repository).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const commands = { gen: 'codegen/cli', relay: 'relay/cli' }
const [command, ...args] = process.argv.slice(2)
if (!command || !(command in commands)) {
  console.error(`usage: bitecs-multiuser <${Object.keys(commands).join('|')}> [options]\n` +
    '  gen    generate typed bitECS stores and codecs from .proto files (--help for options)\n' +
    '  relay  run the ATProto-gated signaling relay (--help for options)')
  process.exit(command ? 2 : 0)
}
const built = join(root, 'dist', 'src', commands[command] + '.js')
let mod
if (existsSync(built)) mod = await import(pathToFileURL(built).href)
else {
  const { tsImport } = await import('tsx/esm/api')
  mod = await tsImport(pathToFileURL(join(root, 'src', commands[command] + '.ts')).href, import.meta.url)
}
process.exitCode = await mod.main(args)
