// Reads the repository's own TypeScript sources as text: what a module exports (following `export *` and
// `export { … } from`), and which of our files it imports. Enough for our style of modules; no compiler needed.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = fileURLToPath(new URL('../..', import.meta.url))

const strip = (src: string): string => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

/** A relative specifier of `from` as a file of the repo (`./x.js` → `x.ts`, `./d` → `d/index.ts`), or null. */
function resolveSpec(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null
  const p = resolve(dirname(from), spec)
  for (const c of [p.replace(/\.js$/, '.ts'), `${p}.ts`, `${p}/index.ts`, p]) if (existsSync(c) && c.endsWith('.ts')) return c
  return null
}

export type NameKind = 'value' | 'type'

/** Every name a module exports, with whether it is a value or only a type. */
export function exportedNames(file: string): Map<string, NameKind> {
  const src = strip(readFileSync(file, 'utf8'))
  const out = new Map<string, NameKind>()
  for (const m of src.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (let part of m[2].split(',')) {
      part = part.trim()
      if (!part) continue
      let kind: NameKind = m[1] ? 'type' : 'value'
      if (part.startsWith('type ')) {
        kind = 'type'
        part = part.slice(5).trim()
      }
      const [name, alias] = part.split(/\s+as\s+/)
      out.set((alias ?? name).trim(), kind)
    }
  }
  for (const m of src.matchAll(/export\s+\*\s+from\s+'([^']+)'/g)) {
    const target = resolveSpec(file, m[1])
    if (target) for (const [k, v] of exportedNames(target)) out.set(k, v)
  }
  for (const m of src.matchAll(/export\s+(?:declare\s+)?(?:abstract\s+)?(async\s+function|function|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    out.set(m[2], m[1] === 'interface' || m[1] === 'type' ? 'type' : 'value')
  }
  return out
}

/** The repo files a module imports or re-exports (type-only and dynamic imports included), relative to the repo. */
export function importsOf(file: string): string[] {
  const src = strip(readFileSync(file, 'utf8'))
  const specs = [...src.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)].map((m) => m[1])
  return [...new Set(specs.map((s) => resolveSpec(file, s)).filter((f): f is string => f !== null).map((f) => relative(repo, f)))]
}

/** Every repo file reachable from `entry` (relative to the repo), `entry` included. */
export function reachable(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (rel: string): void => {
    if (seen.has(rel)) return
    seen.add(rel)
    for (const dep of importsOf(resolve(repo, rel))) visit(dep)
  }
  visit(relative(repo, resolve(repo, entry)))
  return seen
}
