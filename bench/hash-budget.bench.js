'use strict';
// `npm run bench:hash`: what hashing a value far past the budget costs, against
// what merely listing its keys costs, measured in the same run. A million-key
// object costs one native Object.keys (no JavaScript can learn an object's key
// count for less) and nothing after it; a Proxy claiming a million keys is
// asked about the budget's worth of them.
const { createHasher } = require('../dist/cjs/core/hashing/hasher');

const KEYS = Number(process.env.BENCH_HASH_KEYS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function best(fn) {
  let min = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return min;
}

const wide = {};
for (let i = 0; i < KEYS; i++) wide[`k${i}`] = i;
const hasher = createHasher();

const keys = best(() => Object.keys(wide).length);
const ownKeys = best(() => Reflect.ownKeys(wide).length);
const hash = best(() => hasher({ args: wide }));
const stringify = best(() => JSON.stringify(wide).length);

let traps = 0;
const proxy = new Proxy(wide, {
  getOwnPropertyDescriptor: (t, k) => (traps++, Reflect.getOwnPropertyDescriptor(t, k)),
  get: (t, k) => (traps++, Reflect.get(t, k)),
});
hasher({ args: proxy });
const proxyTraps = traps;

console.log(`\nHashing a ${KEYS.toLocaleString('en')}-key object (budget 65,536) — Node ${process.version}, best of ${ROUNDS}\n`);
console.table([
  { task: 'Object.keys (baseline: listing the keys once)', ms: keys.toFixed(1), 'vs Object.keys': '1.00' },
  { task: 'Reflect.ownKeys (what the hasher used to pay first)', ms: ownKeys.toFixed(1), 'vs Object.keys': (ownKeys / keys).toFixed(2) },
  { task: 'engine hasher ([TooManyKeys], nothing sorted or read)', ms: hash.toFixed(1), 'vs Object.keys': (hash / keys).toFixed(2) },
  { task: 'JSON.stringify (for reference)', ms: stringify.toFixed(1), 'vs Object.keys': (stringify / keys).toFixed(2) },
]);
console.log(`A Proxy over it: ${proxyTraps.toLocaleString('en')} traps called by the hasher (budget 65,536; the object has ${KEYS.toLocaleString('en')} keys).`);
