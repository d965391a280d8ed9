import { resolve, sep } from 'node:path'
import type { Plugin, ViteDevServer } from 'vite'
import { MultiuserError } from '../shared/errors.js'
import { generate, type GenerateResult } from './generate.js'

/** Options of {@link multiuserCodegen}. */
export interface MultiuserCodegenPluginOptions {
  /** Directory of .proto files (default `proto`, relative to `cwd`). */
  protoDir?: string
  /** Output directory (default `generated`, relative to `cwd`). */
  outDir?: string
  /** Base for the two dirs (default `process.cwd()`, where `vite` was started). */
  cwd?: string
  /** Quiet period after a .proto change before regenerating (default 50 ms). */
  debounceMs?: number
  /** Called after each regeneration during `vite dev` (tests, custom logging). */
  onGenerate?: (result: GenerateResult | MultiuserError) => void
}

/**
 * Vite plugin: runs the generator when Vite starts (dev and build) and, during `vite dev`, again whenever
 * a `.proto` under the proto dir is added, changed or removed. Rewritten files in the out dir then reach
 * the page through Vite's own module graph (HMR or reload). A schema error fails `vite build`; in dev it
 * is printed and shown in the error overlay, and the previous output stays in place; the next successful generation
 * clears the overlay.
 */
export function multiuserCodegen(options: MultiuserCodegenPluginOptions = {}): Plugin {
  const cwd = options.cwd ?? process.cwd()
  const protoDir = resolve(cwd, options.protoDir ?? 'proto')
  const outDir = resolve(cwd, options.outDir ?? 'generated')
  const run = (): GenerateResult => generate({ protoDir, outDir })
  let timer: ReturnType<typeof setTimeout> | undefined
  /** The last regeneration failed, so the page shows Vite's error overlay. */
  let failed = false

  const regenerate = (server: ViteDevServer): void => {
    try {
      const result = run()
      if (result.changed.length > 0 || result.removed.length > 0) {
        server.config.logger.info(`bitecs-multiuser: regenerated ${result.changed.length + result.removed.length} file(s) from ${options.protoDir ?? 'proto'}/`, { timestamp: true })
      }
      // A fix that brings the output back to what it was changes no file, so no HMR update would clear the
      // overlay: an empty update does (the page keeps its state).
      if (failed) server.ws.send({ type: 'update', updates: [] })
      failed = false
      options.onGenerate?.(result)
    } catch (e) {
      if (!(e instanceof MultiuserError)) throw e
      failed = true
      server.config.logger.error(`bitecs-multiuser gen:\n${e.message}`, { timestamp: true })
      server.ws.send({ type: 'error', err: { message: `bitecs-multiuser gen:\n${e.message}`, stack: '' } })
      options.onGenerate?.(e)
    }
  }

  return {
    name: 'bitecs-multiuser:codegen',
    buildStart() {
      try {
        run()
      } catch (e) {
        if (e instanceof MultiuserError) this.error(`bitecs-multiuser gen:\n${e.message}`)
        throw e
      }
    },
    configureServer(server) {
      server.watcher.add(protoDir)
      const onFile = (file: string): void => {
        if (!file.endsWith('.proto') || !resolve(file).startsWith(protoDir + sep)) return
        if (timer) clearTimeout(timer)
        timer = setTimeout(() => {
          timer = undefined
          regenerate(server)
        }, options.debounceMs ?? 50)
      }
      server.watcher.on('add', onFile)
      server.watcher.on('change', onFile)
      server.watcher.on('unlink', onFile)
      server.httpServer?.once('close', () => timer && clearTimeout(timer))
    },
  }
}
