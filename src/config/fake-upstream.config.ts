import type { FakeOptions } from '../fake-upstream/fake-digiflazz';
import { ConfigError } from './app.config';

export interface FakeUpstreamConfig {
  port: number;
  options: FakeOptions;
}

/**
 * `npm run fake-upstream` is a development tool, not the server: its few variables are read
 * here (src/config stays the one reader of the environment) and documented in docs/supplier.md.
 */
export function loadFakeUpstreamConfig(env: Record<string, string | undefined>): FakeUpstreamConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) > max) problems.push(`${name} must be a whole number from 0 to ${max}, got "${raw}"`);
    return Number(raw);
  };
  const mode = env.FAKE_UPSTREAM_LIVE_MODE?.trim() || 'sukses';
  if (mode !== 'sukses' && mode !== 'pending') problems.push(`FAKE_UPSTREAM_LIVE_MODE must be sukses or pending, got "${mode}"`);
  const config: FakeUpstreamConfig = {
    port: int('FAKE_UPSTREAM_PORT', 0, 65_535),
    options: {
      username: env.DIGIFLAZZ_USERNAME?.trim() || 'fakebuyer',
      apiKey: env.DIGIFLAZZ_API_KEY?.trim() || 'fake-api-key',
      webhookUrl: env.FAKE_UPSTREAM_WEBHOOK_URL?.trim() || '',
      webhookSecret: env.DIGIFLAZZ_WEBHOOK_SECRET?.trim() || null,
      pendingMs: int('FAKE_UPSTREAM_PENDING_MS', 2_000, 3_600_000),
      liveMode: mode === 'pending' ? 'pending' : 'sukses',
      // The supplier's own 5 minutes by default; 0 lets a local setup sync again at once.
      priceListMinIntervalMs: int('FAKE_UPSTREAM_PRICE_LIST_INTERVAL_MS', 300_000, 86_400_000),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export function readFakeUpstreamEnv(): FakeUpstreamConfig {
  return loadFakeUpstreamConfig(process.env);
}
