import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { relative } from 'node:path'
import { ErrorCode, MultiuserError } from '../shared/errors.js'
import { generate } from './generate.js'
import { toPosix } from './paths.js'

const HELP = `usage: bitecs-multiuser gen [--proto <dir>] [--out <dir>] [--check]

Generates ts-proto message codecs and typed bitECS component stores from .proto files.
A .proto may \`import "multiuser/options.proto"\` without copying it: the package's own proto/ is
always on the include path.

  --proto <dir>  directory of .proto files (default: proto)
  --out <dir>    output directory (default: generated)
  --check        write nothing; exit 1 listing stale files if the output is not fresh
  -h, --help     show this help
`

/** `bitecs-multiuser gen ...`; returns the process exit code (0 ok, 1 stale or invalid schema, 2 usage). */
export async function main(args: string[]): Promise<number> {
  const argv = args[0] === 'gen' ? args.slice(1) : args
  let values: { proto?: string; out?: string; check?: boolean; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        proto: { type: 'string' },
        out: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    process.stderr.write(`bitecs-multiuser gen: ${(e as Error).message}\n\n${HELP}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const outDir = values.out ?? 'generated'
  const show = (rel: string): string => toPosix(relative(process.cwd(), `${outDir}/${rel}`)) || rel
  try {
    const t0 = performance.now()
    const result = generate({ protoDir: values.proto ?? 'proto', outDir, check: values.check === true })
    const ms = Math.round(performance.now() - t0)
    if (values.check) {
      if (result.upToDate) {
        process.stdout.write(`bitecs-multiuser gen --check: ${result.files.length} files up to date\n`)
        return 0
      }
      process.stderr.write('bitecs-multiuser gen --check: generated files are stale; run `bitecs-multiuser gen`\n')
      for (const f of result.changed) process.stderr.write(`  stale: ${show(f)}\n`)
      for (const f of result.removed) process.stderr.write(`  extra: ${show(f)}\n`)
      return 1
    }
    process.stdout.write(`bitecs-multiuser gen: ${result.files.length} files, ${result.changed.length} written, ${result.removed.length} removed (${ms} ms)\n`)
    return 0
  } catch (e) {
    // Every failure is a message, never a stack trace: schema errors are `file:line:col: message` lines.
    if (e instanceof MultiuserError) process.stderr.write(e.code === ErrorCode.SCHEMA_INVALID ? `${e.message}\n` : `bitecs-multiuser gen: ${e.message}\n`)
    else process.stderr.write(`bitecs-multiuser gen: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2))
}
