import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import protobuf from 'protobufjs'
import { CodegenError } from './errors.js'
import { protobufjsDescriptorProto, toPosix } from './paths.js'

/** `(multiuser.component)` as written (proto3 defaults filled in later). */
export interface ComponentOption {
  sync?: string
  interpolate?: boolean
  id?: number
  priority?: number
  /** `NO_ROTATION` / `QUATERNION` (or the enum's number). */
  rotation?: string | number
  rotation_bits?: number
}

/** A message declared in one of the user's files. */
export interface ReflectedMessage {
  type: protobuf.Type
  /** Without the leading dot: `game.Transform`. */
  fullName: string
  name: string
  /** Proto package ('' when the file has none). */
  pkg: string
  /** File relative to the proto dir. */
  file: string
  /** Declared at file level (not nested inside another message). */
  topLevel: boolean
  component?: ComponentOption
  /** `(multiuser.input) = {}`: a player input (host mode). */
  input?: Record<string, never>
}

export interface ReflectedSchema {
  root: protobuf.Root
  messages: ReflectedMessage[]
  /** Full names of messages used as a field type by some message of the user's files. */
  referenced: ReadonlySet<string>
}

/** Reads a (possibly merged) aggregate option from protobufjs's `parsedOptions`. */
export function readOption<T extends object>(parsed: ReadonlyArray<Record<string, unknown>> | null | undefined, name: string): T | undefined {
  if (!parsed) return undefined
  let out: Record<string, unknown> | undefined
  for (const entry of parsed) {
    for (const [key, value] of Object.entries(entry)) {
      if (key === name && value && typeof value === 'object') out = { ...out, ...(value as Record<string, unknown>) }
      else if (key.startsWith(`${name}.`)) out = { ...out, [key.slice(name.length + 1)]: value }
    }
  }
  return out as T | undefined
}

function packageOf(t: protobuf.ReflectionObject): string {
  let p = t.parent
  while (p && p instanceof protobuf.Type) p = p.parent
  return p && p.fullName ? p.fullName.replace(/^\./, '') : ''
}

/**
 * Reflects the compiled workspace (`wsDir`: the user's files plus the package's provided ones) with
 * protobufjs; custom options come from `parsedOptions`. Only messages of `userFiles` are returned.
 */
export function reflectSchema(wsDir: string, userFiles: readonly string[], displayOf: (file: string) => string): ReflectedSchema {
  const root = new protobuf.Root()
  const descriptor = protobufjsDescriptorProto()
  root.resolvePath = (_origin: string, target: string): string => {
    if (target === 'google/protobuf/descriptor.proto') return descriptor
    if (target.startsWith(wsDir)) return target
    const inWs = join(wsDir, target)
    return existsSync(inWs) ? inWs : target
  }
  try {
    root.loadSync(userFiles.map((f) => join(wsDir, f)), { keepCase: true })
    root.resolveAll()
  } catch (e) {
    const msg = (e as Error).message.split(wsDir + '/').join('')
    throw new CodegenError([{ file: displayOf(userFiles[0]), message: `protobufjs: ${msg}` }])
  }
  const rel = (filename: string | null): string => toPosix(relative(wsDir, filename ?? ''))
  const files = new Set(userFiles)
  const messages: ReflectedMessage[] = []
  const referenced = new Set<string>()
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) {
        const file = rel(child.filename)
        if (files.has(file)) {
          const fullName = child.fullName.replace(/^\./, '')
          messages.push({
            type: child,
            fullName,
            name: child.name,
            pkg: packageOf(child),
            file,
            topLevel: !(child.parent instanceof protobuf.Type),
            component: readOption<ComponentOption>(child.parsedOptions as Array<Record<string, unknown>> | null, '(multiuser.component)'),
            input: readOption<Record<string, never>>(child.parsedOptions as Array<Record<string, unknown>> | null, '(multiuser.input)'),
          })
          for (const f of child.fieldsArray) {
            if (f.resolvedType instanceof protobuf.Type) referenced.add(f.resolvedType.fullName.replace(/^\./, ''))
          }
        }
      }
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) visit(child)
    }
  }
  visit(root)
  messages.sort((a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0))
  return { root, messages, referenced }
}
