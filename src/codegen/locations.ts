import type { DescriptorProto, FileDescriptorSet } from '@bufbuild/protobuf/wkt'

/** A position in a user's .proto (1-based line and column). */
export interface SourceLoc {
  /** Path relative to the proto dir. */
  file: string
  line: number
  column: number
}

/**
 * Where each message, field and option is declared, from the descriptors' source info.
 * Keys: `<full.Name>` for a message or a top-level enum, `<full.Name>#<field>` for a field, with `@options` appended for the
 * field's (or message's) option block when it has one.
 */
export type LocationIndex = ReadonlyMap<string, SourceLoc>

// Field numbers in descriptor.proto: FileDescriptorProto.message_type = 4, DescriptorProto.field = 2,
// DescriptorProto.nested_type = 3, DescriptorProto.options = 7, FieldDescriptorProto.options = 8.
const FILE_MESSAGE = 4
const FILE_ENUM = 5
const MSG_FIELD = 2
const MSG_NESTED = 3
const MSG_OPTIONS = 7
const FIELD_OPTIONS = 8

export function indexLocations(set: FileDescriptorSet, files: readonly string[]): LocationIndex {
  const out = new Map<string, SourceLoc>()
  for (const file of set.file) {
    if (!files.includes(file.name)) continue
    const spans = new Map<string, number[]>()
    for (const loc of file.sourceCodeInfo?.location ?? []) {
      const key = loc.path.join('.')
      if (!spans.has(key)) spans.set(key, loc.span)
    }
    const put = (key: string, path: number[]): void => {
      const span = spans.get(path.join('.'))
      if (span && span.length >= 2) out.set(key, { file: file.name, line: span[0] + 1, column: span[1] + 1 })
    }
    const walk = (msg: DescriptorProto, scope: string, path: number[]): void => {
      const name = scope ? `${scope}.${msg.name}` : msg.name
      put(name, path)
      put(`${name}@options`, [...path, MSG_OPTIONS])
      msg.field.forEach((f, i) => {
        put(`${name}#${f.name}`, [...path, MSG_FIELD, i])
        put(`${name}#${f.name}@options`, [...path, MSG_FIELD, i, FIELD_OPTIONS])
      })
      msg.nestedType.forEach((n, i) => walk(n, name, [...path, MSG_NESTED, i]))
    }
    file.messageType.forEach((m, i) => walk(m, file.package, [FILE_MESSAGE, i]))
    file.enumType.forEach((e, i) => put(file.package ? `${file.package}.${e.name}` : e.name, [FILE_ENUM, i]))
  }
  return out
}
