import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SKIP = new Set(['node_modules', '.git'])

/** Every `.proto` under `dir`, as sorted forward-slash paths relative to it. */
export function collectProtoFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (SKIP.has(name) || name.startsWith('.')) continue
      const a = join(abs, name)
      const r = rel ? `${rel}/${name}` : name
      if (statSync(a).isDirectory()) walk(a, r)
      else if (name.endsWith('.proto')) out.push(r)
    }
  }
  walk(dir, '')
  return out.sort()
}
