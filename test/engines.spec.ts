import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, satisfies, validRange } from 'semver';

/**
 * `npm ci` warns (EBADENGINE) for every installed package whose `engines.node` excludes the
 * running Node. The README promises the Nodes in package.json's `engines`; a dependency that
 * declares a narrower range (content-disposition 3 through @fastify/static 10 wanted Node 22)
 * makes that promise look false on the first command a user runs. The lockfile records every
 * package's engines, so this reads it rather than running npm.
 */
const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
// The tooling's own Nodes (test/support/node-runtime.js): Node 24 for Jest, 22 for the CI smoke.
const { PINNED } = require('./support/node-runtime') as { PINNED: Record<string, string> };

/** The oldest Node of each `||` branch of the promise (20.19.0, 22.12.0), and the pinned ones. */
function promisedNodes(): string[] {
  const branches = String(pkg.engines.node).split('||');
  const oldest = branches.map((branch) => minVersion(branch.trim())!.version);
  return [...new Set([...oldest, ...Object.values(PINNED)])];
}

describe('the Node versions the project promises', () => {
  it('are a valid range that the pinned tooling Nodes fall in', () => {
    expect(validRange(pkg.engines.node)).not.toBeNull();
    for (const version of Object.values(PINNED)) expect([version, satisfies(version, pkg.engines.node)]).toEqual([version, true]);
  });

  it.each(promisedNodes())('are declared by every installed package on Node %s (npm ci prints no EBADENGINE)', (version) => {
    const refusing = Object.entries(lock.packages as Record<string, { version?: string; engines?: Record<string, string> | string[] }>)
      .filter(([path, entry]) => path !== '' && entry.engines && !Array.isArray(entry.engines) && entry.engines.node)
      .filter(([, entry]) => !satisfies(version, (entry.engines as Record<string, string>).node, { includePrerelease: true }))
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version} wants node ${(entry.engines as Record<string, string>).node}`);
    expect(refusing).toEqual([]);
  });
});
