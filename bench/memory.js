'use strict';
// Heap held per run: N runs parked in flight at once, then released.
const v8 = require('node:v8');
const vm = require('node:vm');
const { drained } = require('./baselines');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function settledHeap() {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Bytes per run in flight and after it finished, net of what the same
 * undecorated call holds (its pending promise and closure): what the library
 * itself adds.
 */
async function heapPerRun(agent, n) {
  const measure = async (start) => {
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const before = settledHeap();
    const pending = [];
    for (let i = 0; i < n; i++) pending.push(start(gate));
    const during = settledHeap();
    release();
    await Promise.all(pending);
    pending.length = 0;
    // The lines the runs wrote are the destination's until it has written them out.
    await drained();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = settledHeap();
    return { inFlight: (during - before) / n, finished: (after - before) / n };
  };
  const plain = Object.getPrototypeOf(agent).park; // the decorated method
  await measure((gate) => plain.call(agent, gate)); // warm up
  const bare = await measure(async (gate) => {
    await gate;
  });
  const decorated = await measure((gate) => agent.park(gate));
  return {
    inFlight: decorated.inFlight - bare.inFlight,
    finished: decorated.finished - bare.finished,
    rawInFlight: decorated.inFlight,
  };
}

module.exports = { heapPerRun };
