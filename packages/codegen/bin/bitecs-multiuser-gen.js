#!/usr/bin/env node
// `bitecs-multiuser-gen ...`, the same as `bitecs-multiuser gen ...`.
import { main } from '../dist/src/codegen/cli.js'

process.exitCode = await main(process.argv.slice(2))
