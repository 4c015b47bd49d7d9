import { readFakeUpstreamEnv } from '../config/fake-upstream.config';
import { FakeDigiflazz } from './fake-digiflazz';

/** `npm run fake-upstream`: the fake supplier on FAKE_UPSTREAM_PORT (default: a free port, printed). */
async function main(): Promise<void> {
  const config = readFakeUpstreamEnv();
  const fake = new FakeDigiflazz(config.options);
  const url = await fake.listen(config.port);
  console.log(`fake Digiflazz listening on ${url} (set DIGIFLAZZ_URL=${url})`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
