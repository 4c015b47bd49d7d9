'use strict';
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or BENCH_CPU_PROF=<dir> npm run bench):
 * top functions by self time, and self time grouped by package (node_modules/<pkg>, node:
 * internals, the app's own dist/ code, GC, idle).
 *
 *   node bench/profile-summary.js <file.cpuprofile> [top=30]
 *   PROFILE_INCLUSIVE='typeorm|dist/src' node bench/profile-summary.js <file>   (adds inclusive times)
 */
const { readFileSync } = require('node:fs');

/**
 * Inclusive time (self + callees) per function, counted once per stack even under recursion.
 * Async continuations are separate stacks in a CPU profile, so for async functions this is the
 * synchronous part of each step, not the wall time of the whole call.
 */
function inclusive(profile, self) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map();
  const root = profile.nodes[0];
  const walk = (node, open) => {
    const key = frameKey(node.callFrame);
    const fresh = !open.has(key);
    if (fresh) open.add(key);
    let total = self.get(node.id) ?? 0;
    for (const childId of node.children ?? []) total += walk(byId.get(childId), open);
    if (fresh) {
      out.set(key, (out.get(key) ?? 0) + total);
      open.delete(key);
    }
    return total;
  };
  walk(root, new Set());
  return out;
}

function frameKey(cf) {
  const name = cf.functionName || '(anonymous)';
  const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
  return `${name} ${where}`.trim();
}

function summarise(file, top = 30, inclusivePattern = process.env.PROFILE_INCLUSIVE) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> microseconds
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample.
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byPkg = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = frameKey(cf);
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const pkg = packageOf(cf.url, name);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const busy = total - (byPkg.get('(idle)') ?? 0);
  const pct = (us, of) => `${((100 * us) / of).toFixed(1).padStart(5)}%`;
  const lines = [];
  lines.push(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle)`);
  lines.push('\nself time by package (% of busy):');
  for (const [pkg, us] of [...byPkg].filter(([p]) => p !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    lines.push(`  ${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${pkg}`);
  }
  lines.push(`\ntop ${top} functions by self time (% of busy):`);
  for (const [fn, us] of [...byFn].filter(([f]) => !f.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${fn}`);
  }
  if (inclusivePattern) {
    const re = new RegExp(inclusivePattern);
    lines.push(`\ninclusive (self + synchronous callees) of functions matching /${inclusivePattern}/ (% of busy):`);
    for (const [fn, us] of [...inclusive(profile, self)].filter(([f]) => re.test(f)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`  ${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${fn}`);
    }
  }
  return lines.join('\n');
}

function shortUrl(url) {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function packageOf(url, name) {
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  if (!url) return '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/dist/')) return `app: ${url.slice(url.indexOf('/dist/') + 1).split('/').slice(0, 3).join('/')}`;
  return url;
}

module.exports = { summarise };
if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summarise(file, Number(top ?? 30)));
}
