#!/usr/bin/env node
// `bitecs-multiuser-relay ...`, the same as `bitecs-multiuser relay ...`.
import { main } from '../dist/src/relay/cli.js'

process.exitCode = await main(process.argv.slice(2))
