// `npm run dev`: the signaling relay (guests allowed, on 127.0.0.1:8787) and Vite's dev server, together; Ctrl-C stops both.
import { spawn } from 'node:child_process'

const run = (args) => spawn('npx', args, { stdio: 'inherit', detached: process.platform !== 'win32', shell: process.platform === 'win32' })
const children = [
  run(['bitecs-multiuser', 'relay', '--host', '127.0.0.1', '--port', '8787', '--auth', 'optional', '--data-dir', '.relay']),
  run(['vite']),
]
const stop = () => {
  for (const c of children) {
    try {
      process.kill(process.platform === 'win32' ? c.pid : -c.pid, 'SIGTERM')
    } catch {
      /* already gone */
    }
  }
}
for (const c of children) c.on('exit', (code) => (stop(), process.exit(code ?? 0)))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
