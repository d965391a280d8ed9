import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { ErrorCode, MultiuserError } from '../shared/errors.js'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

/** The proto file every game schema imports; the package ships it in `proto/` beside `dist/`. */
const OPTIONS_PROTO = join('multiuser', 'options.proto')

/**
 * The package's own .proto sources (`<package>/proto`), added to every include path so that
 * `import "multiuser/options.proto"` resolves. Found by walking up from this module: the installed package has
 * it at `packages/codegen/proto` (this file is `dist/src/codegen/paths.js`), a checkout at `proto/`
 * (`src/codegen/paths.ts`).
 */
export function packageProtoDir(): string {
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', OPTIONS_PROTO))) return join(dir, 'proto')
    if (dirname(dir) === dir) break
  }
  throw new MultiuserError(ErrorCode.CODEGEN_SETUP, `the code generator's ${OPTIONS_PROTO.split('\\').join('/')} was not found in any proto/ folder above ${here}; reinstall @bitecs-multiuser/codegen`)
}

/** Resolves a file of a dependency of the generator, or says which package to install. */
function resolveDependency(pkg: string, file: string, what: string): string {
  try {
    return require.resolve(`${pkg}/${file}`)
  } catch (e) {
    throw new MultiuserError(ErrorCode.CODEGEN_SETUP, `${what} (${pkg}) is not installed: reinstall @bitecs-multiuser/codegen (npm install -D @bitecs-multiuser/codegen)`, { cause: e })
  }
}

/** The `buf` CLI (a Node launcher that runs the platform binary from `@bufbuild/buf-<platform>`). */
export function bufLauncher(): string {
  return join(dirname(resolveDependency('@bufbuild/buf', 'package.json', 'the .proto compiler buf')), 'bin', 'buf')
}

/** ts-proto's protoc plugin entry (a CommonJS script reading a CodeGeneratorRequest on stdin). */
export function tsProtoPlugin(): string {
  return resolveDependency('ts-proto', 'build/src/plugin.js', 'the message code generator ts-proto')
}

/** protobufjs's bundled copy of descriptor.proto (needed to resolve custom options). */
export function protobufjsDescriptorProto(): string {
  return join(dirname(resolveDependency('protobufjs', 'package.json', 'the .proto reader protobufjs')), 'google', 'protobuf', 'descriptor.proto')
}

/** Relative path with forward slashes (stable across platforms, used in generated output and messages). */
export function toPosix(p: string): string {
  return p.split('\\').join('/')
}
