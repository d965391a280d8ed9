import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { compileProtos, PROVIDED_FILES } from './buf-image.js'
import { collectProtoFiles } from './collect.js'
import { CodegenError } from './errors.js'
import { diffOutput, writeOutput } from './output.js'
import { runTsProto } from './ts-proto.js'

export interface GenerateOptions {
  /** Directory holding the game's .proto files (default `proto`). */
  protoDir?: string
  /** Output directory (default `generated`). */
  outDir?: string
  /** Compare only: write nothing, report stale files. */
  check?: boolean
  /** Base for relative dirs (default `process.cwd()`). */
  cwd?: string
}

export interface GenerateResult {
  /** Every file the sources produce, relative to the out dir, sorted. */
  files: string[]
  /** Files that were (or, with `check`, would be) written because they differ or are missing. */
  changed: string[]
  /** Generated files that were (or would be) deleted because no source produces them any more. */
  removed: string[]
  /** True when the out dir already matched the sources. */
  upToDate: boolean
}

/** Produces every output file in memory; throws {@link CodegenError} on bad input before anything is written. */
export function buildOutputs(protoDir: string): Map<string, string> {
  if (!existsSync(protoDir) || !statSync(protoDir).isDirectory()) throw new CodegenError([{ file: protoDir, message: 'proto directory not found' }])
  const userFiles = collectProtoFiles(protoDir)
  if (userFiles.length === 0) throw new CodegenError([{ file: protoDir, message: 'no .proto files found' }])
  const work = mkdtempSync(join(tmpdir(), 'bitecs-multiuser-gen-'))
  try {
    const compiled = compileProtos(protoDir, userFiles, work)
    // options.proto only annotates schemas for this generator: no runtime messages to generate.
    const files = runTsProto(compiled.set, userFiles, PROVIDED_FILES)
    return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Generates ts-proto messages and typed bitECS schema modules from a directory of .proto files. */
export function generate(options: GenerateOptions = {}): GenerateResult {
  const cwd = options.cwd ?? process.cwd()
  const protoDir = resolve(cwd, options.protoDir ?? 'proto')
  const outDir = resolve(cwd, options.outDir ?? 'generated')
  const files = buildOutputs(protoDir)
  const diff = diffOutput(outDir, files)
  if (!options.check) writeOutput(outDir, files, diff)
  return { files: [...files.keys()], changed: diff.changed, removed: diff.removed, upToDate: diff.changed.length === 0 && diff.removed.length === 0 }
}
