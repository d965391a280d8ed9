import { interestProbe } from '../test/helpers/netcode/interest-probe.js'
for (let i = 0; i < 3; i++) console.log(JSON.stringify(interestProbe({ ticks: 60 })))
