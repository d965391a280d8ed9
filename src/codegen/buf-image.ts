import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, relative } from 'node:path'
import { fromBinary } from '@bufbuild/protobuf'
import { FileDescriptorSetSchema, type FileDescriptorSet } from '@bufbuild/protobuf/wkt'
import { CodegenError, type ProtoDiagnostic } from './errors.js'
import { bufLauncher, packageProtoDir, toPosix } from './paths.js'

/** Files the package provides to every user schema (resolved when the user's dir lacks them). */
export const PROVIDED_FILES = ['multiuser/options.proto'] as const

export interface CompiledProtos {
  /** Every file with its imports, source info included (google/protobuf/* from buf's built-ins). */
  set: FileDescriptorSet
  /** The user's files (relative to the proto dir), sorted. */
  userFiles: string[]
  /** The private workspace buf compiled (the user's files plus the provided ones). */
  wsDir: string
  /** How to show a compiled file to the user (path relative to the current directory). */
  displayOf(file: string): string
}

/** A path as shown in messages: relative to the current directory when inside it, else absolute. */
export function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs)
  return toPosix(rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel)
}

interface BufJsonError {
  path?: string
  start_line?: number
  start_column?: number
  message?: string
}

/**
 * Compiles the user's .proto files with buf (offline, no buf.yaml needed): copies them into a private
 * workspace in `workDir`, adds the package's provided files, and returns the descriptor set.
 * Syntax and link errors become a {@link CodegenError} with `file:line:col` pointing at the user's file.
 */
export function compileProtos(protoDir: string, userFiles: string[], workDir: string): CompiledProtos {
  const ws = join(workDir, 'ws')
  const sources = new Map<string, string>()
  for (const f of userFiles) sources.set(f, join(protoDir, f))
  for (const f of PROVIDED_FILES) if (!sources.has(f)) sources.set(f, join(packageProtoDir(), f))
  for (const [rel, abs] of sources) {
    const to = join(ws, rel)
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(abs, to)
  }
  const image = join(workDir, 'image.binpb')
  const res = spawnSync(process.execPath, [bufLauncher(), 'build', '.', '-o', image, '--error-format', 'json'], {
    cwd: ws,
    encoding: 'utf8',
    env: { ...process.env, BUF_CACHE_DIR: join(workDir, 'buf-cache') },
  })
  const display = (rel: string): string => {
    const abs = sources.get(rel)
    return abs ? displayPath(abs) : rel
  }
  if (res.error) throw res.error
  if (res.status !== 0 || !existsSync(image)) {
    const diagnostics: ProtoDiagnostic[] = []
    for (const line of `${res.stdout}\n${res.stderr}`.split('\n')) {
      const t = line.trim()
      if (!t) continue
      let parsed: BufJsonError | undefined
      if (t.startsWith('{')) {
        try {
          parsed = JSON.parse(t) as BufJsonError
        } catch {
          parsed = undefined
        }
      }
      if (parsed?.message) {
        diagnostics.push({ file: parsed.path ? display(toPosix(parsed.path)) : protoDir, line: parsed.start_line, column: parsed.start_column, message: parsed.message })
      } else diagnostics.push({ file: displayPath(protoDir), message: t })
    }
    if (diagnostics.length === 0) diagnostics.push({ file: displayPath(protoDir), message: `buf exited with status ${res.status}` })
    throw new CodegenError(diagnostics)
  }
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(image))
  return { set, userFiles, wsDir: ws, displayOf: display }
}
