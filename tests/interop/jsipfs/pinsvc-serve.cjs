// Starts mock-ipfs-pinning-service on 127.0.0.1 only (its own CLI binds every interface).
// usage: node pinsvc-serve.cjs PORT(0 = any free one) TOKEN
// Prints "pinsvc listening on http://127.0.0.1:<port>" once bound.
const http = require('http')
const { setup } = require('mock-ipfs-pinning-service')
const port = Number(process.argv[2] || 0)
const token = process.argv[3] || null
setup({ token, loglevel: 'error' }).then((app) => {
  const server = http.createServer(app)
  server.listen(port, '127.0.0.1', () => {
    console.log(`pinsvc listening on http://127.0.0.1:${server.address().port}`)
  })
  const stop = () => server.close(() => process.exit(0))
  process.on('SIGTERM', stop); process.on('SIGINT', stop)
})
