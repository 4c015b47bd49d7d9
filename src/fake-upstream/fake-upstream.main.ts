import { FakeDigiflazz } from './fake-digiflazz';

/**
 * `npm run fake-upstream`: the fake supplier on FAKE_UPSTREAM_PORT (default: a free port, printed).
 * A development tool, not part of the server, so it reads its own few variables here.
 */
async function main(): Promise<void> {
  const env = process.env;
  const fake = new FakeDigiflazz({
    username: env.DIGIFLAZZ_USERNAME || 'fakebuyer',
    apiKey: env.DIGIFLAZZ_API_KEY || 'fake-api-key',
    webhookUrl: env.FAKE_UPSTREAM_WEBHOOK_URL || '',
    webhookSecret: env.DIGIFLAZZ_WEBHOOK_SECRET || null,
    pendingMs: Number(env.FAKE_UPSTREAM_PENDING_MS || 2_000),
    liveMode: env.FAKE_UPSTREAM_LIVE_MODE === 'pending' ? 'pending' : 'sukses',
  });
  const url = await fake.listen(Number(env.FAKE_UPSTREAM_PORT || 0));
  console.log(`fake Digiflazz listening on ${url} (set DIGIFLAZZ_URL=${url})`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
