'use strict';
/** `npm run bench`: the benchmarks (never part of `npm test`). Requires a build (the script builds first). */
const throughput = require('./processor-throughput');

throughput.main().catch((err) => {
  console.error(err);
  process.exit(1);
});
