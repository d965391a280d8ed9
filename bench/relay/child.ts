/** Entry of the relay bench's child processes: `BITECS_RELAY_BENCH_ROLE=server|load` (spawned by runner.ts). */
import { ROLE_ENV } from './config.js'
import { loadRole } from './load-role.js'
import { serverRole } from './server-role.js'

const role = process.env[ROLE_ENV]
if (role === 'server') await serverRole()
else if (role === 'load') await loadRole()
else throw new Error(`${ROLE_ENV} must be server or load, not ${role}`)
