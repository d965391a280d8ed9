import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

/** Root of the installed bitecs-multiuser package (works from src/codegen and dist/codegen). */
export const packageRoot: string = fileURLToPath(new URL('../../', import.meta.url))

/** The package's own .proto sources; added to every include path so `import "multiuser/options.proto"` resolves. */
export const packageProtoDir: string = join(packageRoot, 'proto')

const require = createRequire(import.meta.url)

/** The `buf` CLI (a Node launcher that runs the platform binary from `@bufbuild/buf-<platform>`). */
export function bufLauncher(): string {
  return join(dirname(require.resolve('@bufbuild/buf/package.json')), 'bin', 'buf')
}

/** ts-proto's protoc plugin entry (a CommonJS script reading a CodeGeneratorRequest on stdin). */
export function tsProtoPlugin(): string {
  return require.resolve('ts-proto/build/src/plugin.js')
}

/** protobufjs's bundled copy of descriptor.proto (needed to resolve custom options). */
export function protobufjsDescriptorProto(): string {
  return join(dirname(require.resolve('protobufjs/package.json')), 'google', 'protobuf', 'descriptor.proto')
}

/** Relative path with forward slashes (stable across platforms, used in generated output and messages). */
export function toPosix(p: string): string {
  return p.split('\\').join('/')
}
