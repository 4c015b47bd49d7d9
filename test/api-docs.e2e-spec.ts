import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ERROR_STATUS, ErrorCode } from '../src/common/domain-error';
import { registerUser, TestUser } from './support/factories';
import { describeEachEngine } from './support/test-app';

interface ErrorExample {
  statusCode: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface MediaObject {
  example?: ErrorExample;
  examples?: Record<string, { summary?: string; value: ErrorExample }>;
}
type OpenApiDoc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, MediaObject> }> }>> };

/** Every error example documented for one status of one route. */
function examplesOf(doc: OpenApiDoc, method: string, path: string, status: number): ErrorExample[] {
  const media = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json'];
  if (!media) return [];
  return [...(media.example ? [media.example] : []), ...Object.values(media.examples ?? {}).map((e) => e.value)];
}

/** A documented detail as a pattern: its numbers stand for any number (ids differ per run). */
function detailPattern(detail: string): RegExp {
  const escaped = detail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\d+/g, '\\d+')}$`);
}

const REF_ID = 'INV-2026-0001';
type InjectOptions = Exclude<Parameters<NestFastifyApplication['inject']>[0], string | undefined>;

describeEachEngine(
  'the error examples in /docs',
  (t) => {
    let doc: OpenApiDoc;
    let buyer: TestUser;
    let broke: TestUser;

    beforeAll(async () => {
      doc = (await t.app.inject({ method: 'GET', url: '/docs-json' })).json();
      buyer = await registerUser(t.app, { saldo: 100_000 });
      broke = await registerUser(t.app, { saldo: 0 });
    });

    function errorStatuses(): Array<[string, string, number]> {
      const result: Array<[string, string, number]> = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          for (const status of Object.keys(operation.responses)) {
            if (Number(status) >= 400) result.push([method, path, Number(status)]);
          }
        }
      }
      return result;
    }

    it('gives every error status of every route its own examples, each with that statusCode and a code of that status', () => {
      const statuses = errorStatuses();
      expect(statuses.length).toBeGreaterThan(20);
      for (const [method, path, status] of statuses) {
        const examples = examplesOf(doc, method, path, status);
        const where = `${method.toUpperCase()} ${path} ${status}`;
        expect({ where, count: examples.length > 0 }).toEqual({ where, count: true });
        for (const example of examples) {
          expect({ where, statusCode: example.statusCode }).toEqual({ where, statusCode: status });
          expect({ where, code: example.code, statusOfCode: ERROR_STATUS[example.code as ErrorCode] }).toEqual({ where, code: example.code, statusOfCode: status });
          expect({ where, detail: typeof example.detail === 'string' && example.detail.trim().length > 0 }).toEqual({ where, detail: true });
        }
      }
    });

    it('never shows the same example under two statuses of one route', () => {
      const seen = new Map<string, string>();
      for (const [method, path, status] of errorStatuses()) {
        for (const example of examplesOf(doc, method, path, status)) {
          const key = `${method} ${path} ${JSON.stringify(example)}`;
          const first = seen.get(key);
          expect({ example: key, alsoUnder: first }).toEqual({ example: key, alsoUnder: undefined });
          seen.set(key, String(status));
        }
      }
    });

    /**
     * The documented examples are real: each request below makes the route answer one status,
     * and the answer must be one of the examples documented for it (numbers aside).
     */
    const CASES: Array<[string, string, number, (u: { buyer: TestUser; broke: TestUser }) => InjectOptions]> = [
      ['post', '/register', 400, () => ({ method: 'POST', url: '/register', payload: { email: 'tanpa-nama@example.com' } })],
      ['post', '/register', 409, ({ buyer }) => ({ method: 'POST', url: '/register', payload: { nama: 'Lagi', email: buyer.email } })],
      ['post', '/register', 413, () => ({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: `{"nama":"${'x'.repeat(20_000)}"}` })],
      ['post', '/register', 415, () => ({ method: 'POST', url: '/register', headers: { 'content-type': 'text/plain' }, payload: 'nama=x' })],
      ['get', '/produk', 401, () => ({ method: 'GET', url: '/produk' })],
      ['get', '/produk', 401, () => ({ method: 'GET', url: '/produk', headers: { 'x-api-key': 'f'.repeat(64) } })],
      ['post', '/generate-key', 401, () => ({ method: 'POST', url: '/generate-key', headers: { 'x-api-key': 'salah' } })],
      ['get', '/saldo', 401, () => ({ method: 'GET', url: '/saldo' })],
      ['post', '/beli', 400, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: { produk_id: 1, nomor_tujuan: '0812-3456' } })],
      ['post', '/beli', 402, ({ broke }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': broke.apiKey }, payload: { produk_id: 1, nomor_tujuan: '087800000001' } })],
      ['post', '/beli', 409, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: { produk_id: 2, nomor_tujuan: '087800000001', ref_id: REF_ID } })],
      ['post', '/beli', 422, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: { produk_id: 99, nomor_tujuan: '087800000001' } })],
      ['post', '/beli', 422, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: { produk_id: 1, nomor_tujuan: '087800000001', nominal: 20_000 } })],
      ['post', '/beli', 413, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey, 'content-type': 'application/json' }, payload: `{"ref_id":"${'x'.repeat(20_000)}"}` })],
      ['post', '/beli', 415, ({ buyer }) => ({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'produk_id=1' })],
      ['get', '/status/{trx_id}', 400, ({ buyer }) => ({ method: 'GET', url: '/status/abc', headers: { 'x-api-key': buyer.apiKey } })],
      ['get', '/status/{trx_id}', 404, ({ buyer }) => ({ method: 'GET', url: '/status/999999', headers: { 'x-api-key': buyer.apiKey } })],
      ['get', '/riwayat', 400, ({ buyer }) => ({ method: 'GET', url: '/riwayat?limit=500', headers: { 'x-api-key': buyer.apiKey } })],
      ['get', '/mutasi', 400, ({ buyer }) => ({ method: 'GET', url: '/mutasi?before_id=abc', headers: { 'x-api-key': buyer.apiKey } })],
    ];

    it.each(CASES)('%s %s answers %i with one of its documented examples', async (method, path, status, request) => {
      if (status === 409 && path === '/beli') {
        const first = await t.app.inject({ method: 'POST', url: '/beli', headers: { 'x-api-key': buyer.apiKey }, payload: { produk_id: 1, nomor_tujuan: '087800000001', ref_id: REF_ID } });
        expect(first.statusCode).toBe(200);
      }
      const res = await t.app.inject(request({ buyer, broke }));
      expect(`${res.statusCode} ${res.body}`).toMatch(new RegExp(`^${status} `));
      const actual: ErrorExample = res.json();
      const documented = examplesOf(doc, method, path, status);
      const match = documented.find(
        (example) =>
          example.code === actual.code &&
          detailPattern(example.detail).test(actual.detail) &&
          JSON.stringify(example.errors?.map((e) => e.field)) === JSON.stringify(actual.errors?.map((e) => e.field)),
      );
      expect({ actual, documented: match ? 'yes' : documented }).toEqual({ actual, documented: 'yes' });
    });
  },
  { ALLOW_REGISTER_SALDO: 'true', PROCESSOR_ENABLED: 'false' },
);
