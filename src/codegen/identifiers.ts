/**
 * Names a `.proto` may not give a message, enum or field, because the generated TypeScript could not declare it or
 * would silently change meaning: JavaScript and TypeScript reserved words (`message class`), globals the generated
 * modules themselves use (`message Uint8Array` would retype every decoder's input), ts-proto's own helpers, and the
 * field name `__proto__` (an object literal key that sets the prototype: the field would vanish from the store).
 * Each is refused with its `file:line:col` and a rename hint; nested messages are exempt (ts-proto prefixes them).
 */
import type { DescriptorProto, EnumDescriptorProto, FileDescriptorSet } from '@bufbuild/protobuf/wkt'
import type { ProtoDiagnostic } from './errors.js'
import type { LocationIndex } from './locations.js'

/** ECMAScript reserved words (strict mode included) and TypeScript's predefined type names. */
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'await', 'yield', 'let', 'static',
  'implements', 'interface', 'package', 'private', 'protected', 'public', 'arguments', 'eval',
  'any', 'boolean', 'bigint', 'never', 'number', 'object', 'string', 'symbol', 'undefined', 'unknown',
])

/** Globals and helpers the generated modules refer to by their bare name. */
const USED_BY_GENERATED_CODE = new Set([
  'Array', 'ArrayBuffer', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'globalThis', 'NaN', 'Infinity',
  // ts-proto's output: the protobuf runtime and the helpers it declares in every file.
  'BinaryReader', 'BinaryWriter', 'WireType', 'MessageFns', 'Builtin', 'DeepPartial', 'Exact', 'KeysOfUnion',
  'longToNumber', 'isSet', 'isObject', 'bytesFromBase64', 'base64FromBytes', 'protobufPackage', 'Long',
])

function nameProblem(name: string): string | undefined {
  if (RESERVED.has(name)) return `\`${name}\` is a reserved word in JavaScript/TypeScript, so the generated code cannot declare it`
  if (USED_BY_GENERATED_CODE.has(name)) return `\`${name}\` would shadow the \`${name}\` the generated code itself uses`
  return undefined
}

/** Appends a diagnostic for every unusable name declared in `files` of `set`. */
export function checkIdentifiers(set: FileDescriptorSet, files: readonly string[], locs: LocationIndex, displayOf: (file: string) => string, diagnostics: ProtoDiagnostic[]): void {
  const at = (key: string, file: string, message: string): void => {
    const loc = locs.get(key)
    diagnostics.push({ file: displayOf(loc?.file ?? file), line: loc?.line, column: loc?.column, message })
  }
  const fields = (m: DescriptorProto, fullName: string, file: string): void => {
    for (const f of m.field) {
      if (f.name === '__proto__') at(`${fullName}#${f.name}`, file, `${fullName}.__proto__: a field cannot be named \`__proto__\` (as a key of a JavaScript object it sets the prototype, so the field would vanish); rename it, e.g. \`proto\``)
    }
    for (const n of m.nestedType) fields(n, `${fullName}.${n.name}`, file)
  }
  for (const file of set.file) {
    if (!files.includes(file.name)) continue
    const scope = file.package ? `${file.package}.` : ''
    const top: Array<DescriptorProto | EnumDescriptorProto> = [...file.messageType, ...file.enumType]
    for (const t of top) {
      const problem = nameProblem(t.name)
      const kind = file.enumType.includes(t as EnumDescriptorProto) ? 'enum' : 'message'
      if (problem) at(`${scope}${t.name}`, file.name, `${scope}${t.name}: ${problem}; rename the ${kind} (e.g. \`${t.name.slice(0, 1).toUpperCase()}${t.name.slice(1)}State\`)`)
    }
    for (const m of file.messageType) fields(m, `${scope}${m.name}`, file.name)
  }
}
