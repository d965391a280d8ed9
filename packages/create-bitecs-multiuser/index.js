#!/usr/bin/env node
// `npm create bitecs-multiuser@latest my-game`: copies the template into ./my-game (refusing a folder that is not
// empty), names the project after the folder, and says what to run next. Plain Node, no dependencies.
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const usage = 'usage: npm create bitecs-multiuser@latest <folder>'
const arg = process.argv[2]
if (!arg || arg.startsWith('-')) {
  console.error(arg === '--help' || arg === '-h' ? usage : `create-bitecs-multiuser: say where to create the game\n${usage}`)
  process.exit(arg === '--help' || arg === '-h' ? 0 : 1)
}
const dir = resolve(arg)
if (existsSync(dir) && readdirSync(dir).length > 0) {
  console.error(`create-bitecs-multiuser: ${arg} exists and is not empty; pick another folder`)
  process.exit(1)
}
const template = fileURLToPath(new URL('./template', import.meta.url))
cpSync(template, dir, { recursive: true })
// npm leaves .gitignore files out of packages: the template carries it as _gitignore.
renameSync(join(dir, '_gitignore'), join(dir, '.gitignore'))
const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'my-game'
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
delete manifest.name
writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, ...manifest }, null, 2)}\n`)
console.log(`created ${arg}: a multiplayer bitECS + Babylon.js game\n\n  cd ${arg}\n  npm install\n  npm run dev      # the relay and the game: open the page in two tabs\n`)
