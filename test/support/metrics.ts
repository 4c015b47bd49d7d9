import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** GET /metrics as text; fails the test on anything but 200. */
export async function scrape(app: NestFastifyApplication, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers });
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}: ${res.body}`);
  return res.body;
}

/**
 * The value of one series in Prometheus text, e.g. metricValue(text, 'ppob_transaksi_processed_total',
 * { status: 'sukses' }); undefined when the series is absent. Labels not given are not checked.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const seen = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => seen[key] === value)) return Number(match[3]);
  }
  return undefined;
}
