import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import { compileProtos, displayPath, PROVIDED_FILES } from './buf-image.js'
import { collectProtoFiles } from './collect.js'
import { declaredNames, emitSchemaModule, type DeclaredName, type EmitOptions } from './emit-schema-module.js'
import { CodegenError, type ProtoDiagnostic } from './errors.js'
import { canonicalSchema, fingerprintOf } from './fingerprint.js'
import { checkIdentifiers } from './identifiers.js'
import { reflectSchema } from './load-schema.js'
import { indexLocations } from './locations.js'
import type { PackageModel } from './model.js'
import { diffOutput, writeOutput } from './output.js'
import { runTsProto } from './ts-proto.js'
import { buildPackages } from './validate.js'

/** Options of {@link generate}. */
export interface GenerateOptions extends EmitOptions {
  /** Directory holding the game's .proto files (default `proto`). */
  protoDir?: string
  /** Output directory (default `generated`). */
  outDir?: string
  /** Compare only: write nothing, report stale files. */
  check?: boolean
  /** Base for relative dirs (default `process.cwd()`). */
  cwd?: string
}

/** What {@link generate} produced or, with `check`, would produce. */
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

function checkNames(packages: PackageModel[], tsProtoFiles: ReadonlyMap<string, string>, displayOf: (f: string) => string, diagnostics: ProtoDiagnostic[]): void {
  for (const p of packages) {
    const seen = new Map<string, DeclaredName>()
    const messages = new Map([...p.components, ...p.events].map((x) => [x.fullName, x]))
    for (const d of declaredNames(p)) {
      const first = seen.get(d.name)
      if (!first) {
        seen.set(d.name, d)
        continue
      }
      const culprit = messages.get(d.owner ?? first.owner ?? '')
      const by = (x: DeclaredName): string => (x.owner ? `message ${x.owner}` : 'the generated code itself')
      diagnostics.push({
        file: displayOf(culprit?.file ?? p.files[0]), line: culprit?.loc?.line, column: culprit?.loc?.column,
        message: `${culprit?.fullName ?? d.name}: the generated module ${p.outPath} would declare \`${d.name}\` twice (for ${by(first)} and for ${by(d)}); rename the message`,
      })
    }
    if (tsProtoFiles.has(p.outPath)) {
      diagnostics.push({ file: displayOf(p.files[0]), message: `the schema module of package ${p.pkg || p.stem} (${p.outPath}) would overwrite the messages generated from a .proto of the same path; rename that file` })
    }
  }
}

function byPosition(a: ProtoDiagnostic, b: ProtoDiagnostic): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
}

/** Produces every output file in memory; throws {@link CodegenError} on bad input before anything is written. */
export function buildOutputs(protoDir: string, options: EmitOptions = {}): Map<string, string> {
  if (!existsSync(protoDir) || !statSync(protoDir).isDirectory()) throw new CodegenError([{ file: displayPath(protoDir), message: 'proto directory not found' }])
  const userFiles = collectProtoFiles(protoDir)
  if (userFiles.length === 0) throw new CodegenError([{ file: displayPath(protoDir), message: 'no .proto files found' }])
  const work = mkdtempSync(join(tmpdir(), 'bitecs-multiuser-gen-'))
  try {
    const compiled = compileProtos(protoDir, userFiles, work)
    const locations = indexLocations(compiled.set, userFiles)
    // Names the generated code could not declare: refused before protobufjs or ts-proto sees them.
    const named: ProtoDiagnostic[] = []
    checkIdentifiers(compiled.set, userFiles, locations, compiled.displayOf, named)
    if (named.length > 0) throw new CodegenError(named.sort(byPosition))
    const reflected = reflectSchema(compiled.wsDir, userFiles, compiled.displayOf)
    const diagnostics: ProtoDiagnostic[] = []
    const packages = buildPackages(reflected, locations, compiled.displayOf, diagnostics)
    // options.proto only annotates schemas for this generator: no runtime messages to generate.
    const files = runTsProto(compiled.set, userFiles, PROVIDED_FILES)
    checkNames(packages, files, compiled.displayOf, diagnostics)
    if (diagnostics.length > 0) throw new CodegenError(diagnostics.sort(byPosition))
    for (const p of packages) files.set(p.outPath, emitSchemaModule(p, fingerprintOf(p), canonicalSchema(p), options))
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
  const files = buildOutputs(protoDir, options)
  const diff = diffOutput(outDir, files)
  if (!options.check) {
    try {
      writeOutput(outDir, files, diff)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      if (typeof err.code !== 'string') throw e
      throw new MultiuserError(ErrorCode.CODEGEN_OUTPUT, `cannot write the output directory ${displayPath(outDir)}: ${err.code}${err.path ? ` (${displayPath(err.path)})` : ''}`, { cause: e })
    }
  }
  return { files: [...files.keys()], changed: diff.changed, removed: diff.removed, upToDate: diff.changed.length === 0 && diff.removed.length === 0 }
}
