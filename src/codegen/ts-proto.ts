import { spawnSync } from 'node:child_process'
import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import {
  CodeGeneratorRequestSchema, CodeGeneratorResponseSchema, FileDescriptorProtoSchema,
  type FileDescriptorProto, type FileDescriptorSet,
} from '@bufbuild/protobuf/wkt'
import { tsProtoPlugin } from './paths.js'

/**
 * ts-proto options (see FACTS.md): plain interfaces + encode/decode, ESM imports with `.js`,
 * int64 as number; the output imports only the protobuf wire runtime (from `bitecs-multiuser/wire` for a game's code).
 */
export const TS_PROTO_OPTIONS: readonly string[] = [
  'esModuleInterop=true',
  'env=browser',
  'forceLong=number',
  'outputJsonMethods=false',
  'outputPartialMethods=false',
  'outputServices=false',
  'useDate=false',
  'oneof=unions-value',
  'useOptionals=messages',
  'exportCommonSymbols=false',
  'outputIndex=true',
  'importSuffix=.js',
]

/**
 * Drops imports of annotation-only files (multiuser/options.proto): no generated code refers to them, and
 * keeping them would make ts-proto emit options.ts and the whole of descriptor.proto next to the game's files.
 */
function withoutImports(file: FileDescriptorProto, drop: readonly string[]): FileDescriptorProto {
  if (!file.dependency.some((d) => drop.includes(d))) return file
  const keep = file.dependency.map((d, i) => ({ d, i })).filter(({ d }) => !drop.includes(d))
  const newIndex = new Map(keep.map(({ i }, j) => [i, j]))
  const remap = (idx: number[]): number[] => idx.filter((i) => newIndex.has(i)).map((i) => newIndex.get(i)!)
  return create(FileDescriptorProtoSchema, {
    ...file,
    dependency: keep.map(({ d }) => d),
    publicDependency: remap(file.publicDependency),
    weakDependency: remap(file.weakDependency),
  })
}

/** Removes what would differ between machines (ts-proto and protoc versions) from a file's header. */
function stripVersions(content: string): string {
  return content.replace(/^\/\/ versions:\n(\/\/ {3}\S+ +\S+\n)+/m, '')
}

/** The protobuf runtime ts-proto's output imports, and where a game's generated code takes it from instead. */
const WIRE_IMPORT = /from "@bufbuild\/protobuf\/wire";/g
export const GAME_WIRE_IMPORT = 'from "bitecs-multiuser/wire";'

/** The library's own packages (`multiuser`, `multiuser.*`): their code may import the library's dependencies. */
const isLibraryPackage = (pkg: string): boolean => pkg === 'multiuser' || pkg.startsWith('multiuser.')

/** Runs ts-proto's plugin in-process-free (a child Node) on the compiled descriptors; returns path → content. */
export function runTsProto(set: FileDescriptorSet, filesToGenerate: readonly string[], annotationOnly: readonly string[] = []): Map<string, string> {
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: filesToGenerate.filter((f) => !annotationOnly.includes(f)),
    parameter: TS_PROTO_OPTIONS.join(','),
    protoFile: set.file.filter((f) => !annotationOnly.includes(f.name)).map((f) => withoutImports(f, annotationOnly)),
  })
  const res = spawnSync(process.execPath, [tsProtoPlugin()], { input: toBinary(CodeGeneratorRequestSchema, request), maxBuffer: 256 * 1024 * 1024 })
  if (res.error) throw res.error
  if (res.status !== 0) throw new Error(`ts-proto failed (status ${res.status}): ${res.stderr.toString()}`)
  const response = fromBinary(CodeGeneratorResponseSchema, res.stdout)
  if (response.error) throw new Error(`ts-proto: ${response.error}`)
  // A game's generated code imports only bitecs-multiuser (its one declared dependency), never the protobuf runtime
  // directly: strict installs (pnpm, npm's linked strategy) refuse imports of undeclared packages.
  const library = new Set(set.file.filter((f) => isLibraryPackage(f.package)).map((f) => f.name.replace(/\.proto$/, '.ts')))
  const out = new Map<string, string>()
  for (const f of response.file) {
    const content = stripVersions(f.content)
    out.set(f.name, library.has(f.name) ? content : content.replace(WIRE_IMPORT, GAME_WIRE_IMPORT))
  }
  return out
}
