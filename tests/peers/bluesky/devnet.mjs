// A local AT Protocol network for smm's tests, started by tests/peers/bluesky.py as
//   node -r ./loopback.cjs devnet.mjs
// It prints ONE JSON line on stdout when ready ({"pds_url", "appview_url", "plc_url", ...})
// and stops cleanly on SIGTERM/SIGINT or when its stdin closes (the test session died).
//
// SMM_DEVNET_MODE=full (default): @atproto/dev-env TestNetwork: PLC + PDS + AppView + bsync +
//   Ozone. Needs DB_POSTGRES_URL (a database of its own; the fixture creates and drops it).
//   dev-env 0.6.7 asserts REDIS_HOST but nothing in it connects to Redis (checked in
//   @atproto/bsky 0.0.280: redisHost is never read), so REDIS_HOST is optional here.
// SMM_DEVNET_MODE=pds: TestNetworkNoAppView: PLC + PDS only (no PostgreSQL, no Redis); the
//   write path works, every app.bsky.* query answers "No service configured".
//
// Every port is a free one chosen by the OS; with loopback.cjs every listener is on 127.0.0.1.
import net from 'node:net'
import { TestNetwork, TestNetworkNoAppView, mockMailer } from '@atproto/dev-env'

const started = Date.now()
const mode = process.env.SMM_DEVNET_MODE || 'full'

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function redisHostFromEnv() {
  if (process.env.REDIS_HOST) return process.env.REDIS_HOST
  if (process.env.REDIS_URL) {
    const url = new URL(process.env.REDIS_URL)
    return `${url.hostname}:${url.port || 6379}`
  }
  return 'unused.invalid:6379' // asserted by TestNetwork.create(), never connected to (see above)
}

let network = null
let stopping = false
async function stop(code = 0) {
  if (stopping) return
  stopping = true
  const timer = setTimeout(() => process.exit(code || 1), 15000) // never hang the test session
  timer.unref()
  try {
    if (network) await network.close()
  } catch (err) {
    console.error('devnet: close failed', err)
    code = code || 1
  }
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
// The fixture keeps our stdin open; EOF means it is gone (even after SIGKILL), so do not linger.
process.stdin.on('end', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()

try {
  const pdsPort = await freePort()
  const pdsParams = { port: pdsPort, hostname: 'localhost', enableDidDocWithSession: true }
  if (mode === 'full') {
    const bskyPort = await freePort()
    process.env.REDIS_HOST = redisHostFromEnv()
    network = await TestNetwork.create({
      dbPostgresUrl: process.env.DB_POSTGRES_URL,
      dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'smm',
      pds: pdsParams,
      bsky: { port: bskyPort, publicUrl: `http://localhost:${bskyPort}` },
      // Ozone would otherwise try to reach a chat service on the internet.
      ozone: { chatUrl: 'http://localhost:1', chatDid: 'did:example:chat' },
    })
  } else if (mode === 'pds') {
    // No AppView: unset the placeholder https://appview.invalid dev-env sets, so app.bsky.*
    // queries fail at once ("No service configured") instead of trying DNS.
    network = await TestNetworkNoAppView.create({
      pds: { ...pdsParams, bskyAppViewUrl: undefined, bskyAppViewDid: undefined },
    })
  } else {
    throw new Error(`unknown SMM_DEVNET_MODE ${mode}`)
  }
  mockMailer(network.pds)
  const url = (port) => `http://127.0.0.1:${port}`
  const info = {
    mode,
    pds_url: url(network.pds.port),
    plc_url: url(network.plc.port),
    appview_url: network.bsky ? url(network.bsky.port) : null,
    appview_did: network.bsky ? network.bsky.serverDid : null,
    ozone_url: network.ozone ? url(network.ozone.port) : null,
    admin_password: 'admin-pass',
    ready_ms: Date.now() - started,
  }
  process.stdout.write(JSON.stringify(info) + '\n')
} catch (err) {
  console.error('devnet: start failed', err)
  await stop(1)
}
