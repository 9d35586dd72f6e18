// Node 20 lacks Promise.withResolvers (Node 22+); newer transitive deps of js-ipfs 0.66 use it.
// Loaded with NODE_OPTIONS=--require by the tests that start the node.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
