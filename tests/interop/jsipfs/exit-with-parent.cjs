// Loaded with NODE_OPTIONS=--require by the test harness: the node exits when its stdin (a pipe
// from the test process) closes, so a peer never outlives the test binary that started it,
// however that binary ends. Tests also kill their peers by PID when done.
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
