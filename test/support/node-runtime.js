'use strict';
/**
 * Other Node versions for the tooling: `npm test` (Node 24 when the machine's is older than
 * 24.9), the CI start-up smoke (Node 22) and `npm run bench` (BENCH_NODES). Plain CommonJS
 * with no dependencies, because it runs on whatever Node the machine has, before any build.
 *
 * A Node comes from the npm registry, not nodejs.org: the `node-<platform>-<arch>` packages
 * carry the official binary and its headers, and the registry is the one host `npm ci` already
 * needs. Each version is unpacked once into the user's cache, outside the repository.
 *
 * better-sqlite3's native module is built for one Node ABI (NODE_MODULE_VERSION). Rebuilding
 * node_modules/better-sqlite3 for another Node would break `npm start` on the machine's own,
 * so each Node gets its own build in its cache folder, and the app is pointed at it through
 * SQLITE_NATIVE_BINDING.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync } = require('node:fs');
const { homedir } = require('node:os');
const { dirname, join, resolve } = require('node:path');

const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** The Node versions this project's tooling fetches: tested here, pinned so every run uses the same. */
const PINNED = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3' };

function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ppob-api');
}

/** `22` -> the pinned 22.x; `24.22.3` -> itself. */
function resolveVersion(spec) {
  const text = String(spec).replace(/^v/, '');
  if (/^\d+\.\d+\.\d+$/.test(text)) return text;
  if (PINNED[text]) return PINNED[text];
  throw new Error(`unknown Node version "${spec}": give a major this project pins (${Object.keys(PINNED).join(', ')}) or a full x.y.z`);
}

function packageName() {
  const platform = { linux: 'linux', darwin: 'darwin' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!platform || !arch) {
    throw new Error(`no Node package on the npm registry for ${process.platform}-${process.arch}: install Node 24 (>= 24.9) and run npm test with it`);
  }
  return `node-${platform}-${arch}`;
}

function versionOf(nodeBin) {
  return execFileSync(nodeBin, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
}

/** True when `version` (x.y.z) is at least `min` (x.y.z). */
function atLeast(version, min) {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/**
 * Node `spec` (a pinned major or x.y.z) from the npm registry, unpacked into the cache once.
 * Returns { version, dir, bin }. `log` gets one line when something is fetched.
 */
function ensureNode(spec, log = () => undefined) {
  const version = resolveVersion(spec);
  const name = packageName();
  const dir = join(cacheRoot(), `${name}-${version}`);
  const bin = join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    log(`fetching Node ${version} (${name}@${version} from the npm registry) into ${dir}`);
    mkdirSync(cacheRoot(), { recursive: true });
    const work = mkdtempSync(join(cacheRoot(), '.fetch-'));
    try {
      const out = execFileSync(npmCommand(), ['pack', `${name}@${version}`, '--silent', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const tarball = join(work, out.trim().split('\n').pop());
      execFileSync('tar', ['-xzf', tarball, '-C', work]);
      // Renamed into place whole, so an interrupted fetch never leaves a half-unpacked Node
      // behind; losing the race to another run that just put the same version there is fine.
      renameIfAbsent(join(work, 'package'), dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const reported = versionOf(bin);
  if (reported !== `v${version}`) throw new Error(`${bin} reports ${reported}, expected v${version}: delete ${dir} and retry`);
  return { version, dir, bin };
}

/**
 * better-sqlite3's native module built for `node` (from ensureNode), in that Node's cache folder;
 * compiled once (a minute or two) with node-gyp against that Node's own headers.
 */
function ensureSqliteBinding(node, log = () => undefined) {
  const source = join(PROJECT_ROOT, 'node_modules', 'better-sqlite3');
  const { version: sqliteVersion } = require(join(source, 'package.json'));
  const buildDir = join(node.dir, `better-sqlite3-${sqliteVersion}`);
  const binding = join(buildDir, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binding)) return binding;

  log(`building better-sqlite3 ${sqliteVersion} for Node ${node.version} into ${buildDir} (once; node_modules is not touched)`);
  const work = mkdtempSync(join(node.dir, '.build-'));
  try {
    cpSync(source, work, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) });
    // --nodedir on the command line and in the environment: npm exports its own `nodedir`
    // setting (here /usr, the machine's Node 20 headers) as npm_config_nodedir, and a build
    // against those "succeeds" but fails to load under the other Node.
    const result = spawnSync(process.execPath, [nodeGyp(), 'rebuild', '--release', `--nodedir=${node.dir}`], {
      cwd: work,
      env: { ...process.env, npm_config_nodedir: node.dir, PATH: `${join(node.dir, 'bin')}:${process.env.PATH}` },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`building better-sqlite3 for Node ${node.version} failed (needs python3, make and a C++ compiler):\n${(result.stderr || '').slice(-4000)}`);
    }
    renameIfAbsent(work, buildDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Prove it loads under that Node before anyone relies on it.
  const check = spawnSync(node.bin, ['-e', `new (require(${JSON.stringify(source)}))(':memory:', { nativeBinding: ${JSON.stringify(binding)} }).close()`], {
    encoding: 'utf8',
  });
  if (check.status !== 0) {
    rmSync(buildDir, { recursive: true, force: true });
    throw new Error(`the better-sqlite3 build for Node ${node.version} does not load under it:\n${check.stderr}`);
  }
  return binding;
}

/**
 * The environment for running the app (or Jest) under `node`: its bin folder first on PATH,
 * and SQLITE_NATIVE_BINDING pointing at its own better-sqlite3 build. For the machine's own
 * Node nothing changes (its build is node_modules').
 */
function runtimeEnv(node, binding, env = process.env) {
  if (node.bin === process.execPath) return { ...env };
  return { ...env, PATH: `${join(node.dir, 'bin')}:${env.PATH}`, SQLITE_NATIVE_BINDING: binding };
}

/** The machine's own Node, in the shape ensureNode returns. */
function currentNode() {
  return { version: process.version.slice(1), dir: dirname(dirname(process.execPath)), bin: process.execPath };
}

function renameIfAbsent(from, to) {
  try {
    renameSync(from, to);
  } catch (err) {
    if (!existsSync(to)) throw err;
  }
}

function npmCommand() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** node-gyp as shipped with npm (run by an npm script, npm says where it is; otherwise find npm on PATH). */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const dir of (process.env.PATH || '').split(':')) {
    const npm = join(dir, 'npm');
    if (!existsSync(npm)) continue;
    const real = realpathSync(npm);
    candidates.push(join(dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')}): it ships with npm`);
  return found;
}

module.exports = { PINNED, PROJECT_ROOT, atLeast, cacheRoot, currentNode, ensureNode, ensureSqliteBinding, runtimeEnv };
