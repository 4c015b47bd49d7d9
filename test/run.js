'use strict';
/**
 * `npm test` (and test:e2e, test:chaos): runs Jest under a Node that can load NestJS 12.
 *
 * Nest 12 is ESM-only. The built app loads it through require(esm) on Node 20.19+, but Jest's
 * module loader needs Node >= 24.9 with --experimental-vm-modules. The flag goes on the node
 * process that runs Jest, not into NODE_OPTIONS, which would reach the app processes the
 * multi-process specs start. On an older Node this fetches Node 24 from the npm registry into
 * the user's cache (test/support/node-runtime.js) with its own better-sqlite3 build, and runs
 * the suite under it; node_modules, and so `npm start` on the machine's Node, stay as they are.
 *
 * Arguments are passed to Jest as they are (`npm test -- test/beli.e2e-spec.ts`).
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { satisfies } = require('semver');
const runtime = require('./support/node-runtime');
const { engines } = require('../package.json');

const JEST_MIN = '24.9.0';

function say(line) {
  process.stdout.write(`[ppob tests] ${line}\n`);
}

function main() {
  const current = process.version.slice(1);
  if (!satisfies(current, engines.node)) {
    say(`Node ${current} is not supported (package.json engines: ${engines.node}): use Node 22 or 24 LTS`);
    return 1;
  }
  let node = runtime.currentNode();
  let binding = null;
  if (!runtime.atLeast(current, JEST_MIN)) {
    node = runtime.ensureNode(24, say);
    binding = runtime.ensureSqliteBinding(node, say);
    say(`Node ${current} cannot run Jest on NestJS 12 (needs >= ${JEST_MIN}): running the suite under Node ${node.version} from ${node.dir}`);
  } else {
    say(`running the suite under Node ${current}`);
  }

  const jest = join(runtime.PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const env = runtime.runtimeEnv(node, binding);
  // The machine's own Node, for the spec that proves `npm start` still works on it.
  env.PPOB_TEST_HOST_NODE = process.execPath;
  const child = spawn(node.bin, ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', jest, ...process.argv.slice(2)], {
    cwd: runtime.PROJECT_ROOT,
    env,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  return new Promise((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
  });
}

Promise.resolve()
  .then(main)
  .then(
    (code) => process.exit(code),
    (err) => {
      say(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
