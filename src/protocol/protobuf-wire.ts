/**
 * `bitecs-multiuser/wire`: the protobuf binary reader and writer that ts-proto's generated message codecs use.
 * A game's generated code imports them from here, so the game needs no dependency of its own on
 * `@bufbuild/protobuf` (strict, non-hoisting installs such as pnpm's refuse undeclared imports).
 *
 * @packageDocumentation
 */
export { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire'
