// The `bitecs-multiuser` entry (browser-safe). Generated schema modules import their runtime from here.
export * from './protocol/index.js'
