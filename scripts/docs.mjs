#!/usr/bin/env node
// `npm run docs`: the API reference, generated from the TSDoc of every public entry point into docs/api/ (Markdown).
//
// API Extractor reads each entry's built .d.ts (`npm run build:all` first, done here) and writes a doc model
// (.api.json); API Documenter turns the models into one Markdown page per package entry and item. API Extractor is
// the tool because it brings its own TypeScript compiler (this repository's TypeScript 7 has no compiler API, which
// TypeDoc needs as a peer dependency, capped below 7), and because it checks what we want checked: an export without
// documentation (`ae-undocumented`) and a `{@link}` that resolves to nothing (`ae-unresolved-link`) are errors here.
// Then every relative link of the generated pages must name a page that exists.
//
// `npm run docs -- --check` (CI) writes nothing under docs/: it fails when an export is undocumented, a link is
// broken, or docs/api/ is not what the sources produce.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor'

const root = fileURLToPath(new URL('..', import.meta.url))
const check = process.argv.includes('--check')
const out = join(root, 'docs', 'api')

/**
 * Every public entry point, read from the `exports` of the three packages (so a new entry cannot be left out): the
 * name a game imports, its package folder, and its built declaration file. `./cli` entries are commands, not API.
 */
const ENTRIES = ['.', 'packages/codegen', 'packages/relay'].flatMap((pkg) => {
  const manifest = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8'))
  return Object.entries(manifest.exports)
    .filter(([key, target]) => typeof target === 'object' && key !== './cli')
    .map(([key, target]) => ({ name: manifest.name + key.slice(1), pkg, dts: target.types.replace(/^\.\//, '') }))
})

/** A valid package name standing for a subpath entry: `bitecs-multiuser/babylon` → `bitecs-multiuser--babylon`. */
const standInOf = (name) => (name.startsWith('@') ? name : name.replace('/', '--'))

const fail = (msg) => {
  console.error(`docs: ${msg}`)
  process.exit(1)
}

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-package.mjs'), 'runtime', 'codegen', 'relay'], { stdio: ['ignore', 'ignore', 'inherit'] })
if (build.status !== 0) fail('the build failed')

const work = mkdtempSync(join(tmpdir(), 'bmu-docs-'))
const models = join(work, 'models')
mkdirSync(models)
const problems = []
try {
  for (const entry of ENTRIES) {
    const file = entry.name.replace(/^@/, '').replace(/\//g, '-')
    const projectFolder = join(root, entry.pkg)
    const config = ExtractorConfig.prepare({
      configObjectFullPath: join(projectFolder, 'api-extractor.json'),
      packageJsonFullPath: join(projectFolder, 'package.json'),
      configObject: {
        projectFolder,
        mainEntryPointFilePath: join(projectFolder, entry.dts),
        compiler: {
          overrideTsconfig: {
            compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: ['node'], strict: true, skipLibCheck: true },
            files: [join(projectFolder, entry.dts)],
          },
        },
        // The report is not kept: it is what makes API Extractor tell undocumented items.
        apiReport: { enabled: true, reportFolder: work, reportTempFolder: work, reportFileName: `${file}.api.md` },
        docModel: { enabled: true, apiJsonFilePath: join(models, `${file}.api.json`) },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          extractorMessageReporting: {
            default: { logLevel: 'warning' },
            'ae-undocumented': { logLevel: 'warning', addToApiReportFile: false },
            'ae-unresolved-link': { logLevel: 'warning', addToApiReportFile: false },
            // Types of another entry (e.g. `Network` in bitecs-multiuser/babylon) are documented there.
            'ae-forgotten-export': { logLevel: 'none' },
            'ae-missing-release-tag': { logLevel: 'none' },
          },
          tsdocMessageReporting: { default: { logLevel: 'warning' } },
        },
      },
    })
    const result = Extractor.invoke(config, {
      localBuild: true,
      messageCallback(m) {
        m.handled = true
        if (m.logLevel === ExtractorLogLevel.None || m.logLevel === ExtractorLogLevel.Verbose || m.logLevel === ExtractorLogLevel.Info) return
        if (m.messageId === 'console-api-report-created' || m.messageId === 'console-api-report-changed' || m.messageId === 'console-api-report-unchanged') return
        const where = m.sourceFilePath ? `${relative(root, m.sourceFilePath)}:${m.sourceFileLine}:${m.sourceFileColumn}: ` : ''
        problems.push(`${entry.name}: ${where}${m.text} (${m.messageId})`)
      },
    })
    if (!result.succeeded && result.errorCount > 0) problems.push(`${entry.name}: API Extractor failed (${result.errorCount} errors)`)
    // API Documenter names pages after the package and wants a valid package name: each subpath entry gets a stand-in
    // (bitecs-multiuser--babylon) that the pages then show as what a game imports (bitecs-multiuser/babylon).
    const modelFile = join(models, `${file}.api.json`)
    const model = JSON.parse(readFileSync(modelFile, 'utf8'))
    const from = model.name
    const standIn = standInOf(entry.name)
    model.name = standIn
    writeFileSync(modelFile, JSON.stringify(model, null, 2).split(`"${from}!`).join(`"${standIn}!`))
  }
  if (problems.length > 0) fail(`${problems.length} problem(s) in the public API's documentation:\n  ${problems.join('\n  ')}`)

  const pages = join(work, 'pages')
  const documenter = join(root, 'node_modules', '@microsoft', 'api-documenter', 'bin', 'api-documenter')
  const r = spawnSync(process.execPath, [documenter, 'markdown', '--input-folder', models, '--output-folder', pages], { encoding: 'utf8' })
  if (r.status !== 0) fail(`api-documenter failed:\n${r.stdout}${r.stderr}`)
  const files = readdirSync(pages).filter((f) => f.endsWith('.md')).sort()
  // The stand-in names back to the entries' own, in the text (file names and link targets keep them).
  for (const f of files) {
    const text = readFileSync(join(pages, f), 'utf8').replace(/(?<![./\w])bitecs-multiuser--(\w+)/g, 'bitecs-multiuser/$1')
    writeFileSync(join(pages, f), text)
  }
  // Every relative link of every page names a page that exists.
  const broken = []
  for (const f of files) {
    for (const [, target] of readFileSync(join(pages, f), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue
      const path = target.split('#')[0]
      if (!existsSync(join(pages, path))) broken.push(`${f} → ${target}`)
    }
  }
  if (broken.length > 0) fail(`${broken.length} broken link(s) in the generated pages:\n  ${broken.join('\n  ')}`)

  if (check) {
    const have = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.md')).sort() : []
    const stale = [...new Set([...files, ...have])].filter((f) => !existsSync(join(out, f)) || !existsSync(join(pages, f)) || readFileSync(join(out, f), 'utf8') !== readFileSync(join(pages, f), 'utf8'))
    if (stale.length > 0) fail(`docs/api/ is not what the sources produce (${stale.length} file(s), e.g. ${stale.slice(0, 5).join(', ')}): run npm run docs`)
    console.log(`docs: ${files.length} pages up to date, every export documented, no broken link`)
  } else {
    rmSync(out, { recursive: true, force: true })
    mkdirSync(dirname(out), { recursive: true })
    cpSync(pages, out, { recursive: true })
    console.log(`docs: ${files.length} pages in ${relative(root, out)}/ (start at ${relative(root, out)}/index.md)`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
