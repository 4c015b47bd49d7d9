import { describeEachEngine, startTestApp, TestApp } from './support/test-app';
import { describeFor, ENGINES } from './support/test-db';

interface OpenApiOperation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  security?: Array<Record<string, string[]>>;
  components: {
    securitySchemes: Record<string, { type: string; in?: string; name?: string }>;
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
  };
};

const ROUTES: Array<[string, string]> = [
  ['post', '/register'],
  ['post', '/generate-key'],
  ['get', '/produk'],
  ['post', '/beli'],
  ['get', '/status/{trx_id}'],
  ['get', '/riwayat'],
  ['get', '/saldo'],
  ['get', '/mutasi'],
  ['get', '/health'],
];
const PUBLIC = new Set(['/register', '/health']);

describe.each(ENGINES)('/health and /docs on %s', (engine) => {
  describeFor(engine)(engine, () => {
    let t: TestApp;
    let doc: OpenApiDoc;

    beforeAll(async () => {
      t = await startTestApp(engine);
      doc = (await t.app.inject({ method: 'GET', url: '/docs-json' })).json();
    });
    afterAll(async () => {
      await t?.close();
    });

    /** The name of the security scheme that is the x-api-key header. */
    function apiKeySchemeName(): string | undefined {
      return Object.entries(doc.components?.securitySchemes ?? {}).find(
        ([, scheme]) => scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name?.toLowerCase() === 'x-api-key',
      )?.[0];
    }

    function errorSchema(operation: OpenApiOperation, status: string) {
      const ref = operation.responses[status]?.content?.['application/json']?.schema?.$ref;
      expect({ status, ref }).toEqual({ status, ref: expect.stringMatching(/^#\/components\/schemas\//) });
      return doc.components.schemas[ref!.split('/').pop()!];
    }

    it('answers GET /health with 200 {status: ok, db: up} without a key', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', db: 'up' });
    });

    it('serves the Swagger UI as HTML at /docs without a key', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toMatch(/<html/i);
      expect(res.body).toMatch(/swagger/i);
    });

    it('serves an OpenAPI document at /docs-json listing every route', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs-json' });
      expect(res.statusCode).toBe(200);
      expect(doc.openapi).toMatch(/^3\./);
      for (const [method, path] of ROUTES) {
        expect({ path, method, documented: Boolean(doc.paths?.[path]?.[method]) }).toEqual({ path, method, documented: true });
      }
    });

    it('declares the x-api-key header scheme and requires it on exactly the protected routes', async () => {
      const scheme = apiKeySchemeName();
      expect(scheme).toBeDefined();
      for (const [method, path] of ROUTES) {
        const security = doc.paths[path][method].security ?? doc.security ?? [];
        const needsKey = security.some((requirement) => scheme! in requirement);
        expect({ path, needsKey }).toEqual({ path, needsKey: !PUBLIC.has(path) });
      }
    });

    it('documents the error responses of /beli with the common error schema', async () => {
      const beli = doc.paths['/beli'].post;
      for (const status of ['400', '401', '402', '409', '422']) {
        const schema = errorSchema(beli, status);
        expect(schema?.properties).toEqual(expect.objectContaining({ statusCode: expect.anything(), code: expect.anything(), detail: expect.anything() }));
        expect(schema?.required).toEqual(expect.arrayContaining(['statusCode', 'code', 'detail']));
      }
      expect(errorSchema(doc.paths['/register'].post, '409')).toBe(errorSchema(beli, '409'));
      expect(errorSchema(doc.paths['/status/{trx_id}'].get, '404')).toBe(errorSchema(beli, '409'));
    });

    it('answers an unknown route with 404 and a detail', async () => {
      for (const [method, url] of [
        ['GET', '/tidak-ada'],
        ['DELETE', '/produk/1'],
      ] as const) {
        const res = await t.app.inject({ method, url });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ statusCode: 404, code: expect.any(String), detail: expect.stringMatching(/\S/) });
      }
    });
  });
});

describeEachEngine('/health without a database', (t) => {
  it('answers 503 DATABASE_UNAVAILABLE when the database cannot be reached', async () => {
    await t.dataSource.destroy();
    const res = await t.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      statusCode: 503,
      code: 'DATABASE_UNAVAILABLE',
      detail: expect.stringMatching(/\S/),
      status: 'error',
      db: 'down',
      reason: 'unreachable',
    });
  });
}, { PROCESSOR_ENABLED: 'false' });
