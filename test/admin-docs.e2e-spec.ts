import { adminEnv } from './support/admin';
import { describeEachEngine } from './support/test-app';

interface Operation {
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema?: { $ref?: string }; examples?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const OPERATOR_ROUTES: Array<[string, string]> = [
  ['get', '/admin/deposit'],
  ['post', '/admin/deposit/{id}/konfirmasi'],
  ['post', '/admin/deposit/{id}/tolak'],
  ['get', '/admin/users'],
  ['patch', '/admin/users/{id}'],
  ['post', '/admin/users/{id}/saldo'],
  ['get', '/admin/produk'],
  ['post', '/admin/produk'],
  ['post', '/admin/produk/sync'],
  ['patch', '/admin/produk/{id}'],
  ['get', '/admin/transaksi'],
  ['post', '/admin/transaksi/{id}/selesaikan'],
  ['get', '/admin/laporan'],
  ['get', '/admin/audit'],
];

describeEachEngine(
  'OpenAPI for the operator and deposit routes',
  (t) => {
    let doc: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { in: string; name: string }>; schemas: Record<string, { properties?: Record<string, { example?: unknown }> }> } };
    beforeAll(async () => {
      doc = (await t.app.inject({ method: 'GET', url: '/docs-json' })).json();
    });

    it('puts every operator route under the operator tag and the x-admin-key scheme only', () => {
      expect(doc.components.securitySchemes['x-admin-key']).toEqual(expect.objectContaining({ in: 'header', name: 'x-admin-key' }));
      for (const [method, path] of OPERATOR_ROUTES) {
        const op = doc.paths[path]?.[method];
        expect({ path, method, tags: op?.tags, security: op?.security }).toEqual({ path, method, tags: ['operator'], security: [{ 'x-admin-key': [] }] });
        expect({ path, ok: Boolean(op.responses['200']?.content), unauthorized: Boolean(op.responses['401']) }).toEqual({ path, ok: true, unauthorized: true });
      }
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin')).sort()).toEqual([...new Set(OPERATOR_ROUTES.map(([, p]) => p))].sort());
    });

    it('documents every request body with examples, field by field and as a whole', () => {
      for (const [method, path] of [...OPERATOR_ROUTES, ['post', '/deposit']]) {
        const body = doc.paths[path][method].requestBody?.content['application/json'];
        if (!body) continue;
        const schema = doc.components.schemas[body.schema!.$ref!.split('/').pop()!];
        for (const [field, property] of Object.entries(schema.properties ?? {})) {
          expect({ path, field, example: property.example !== undefined }).toEqual({ path, field, example: true });
        }
        if (path.startsWith('/admin')) expect({ path, examples: Boolean(body.examples) }).toEqual({ path, examples: true });
      }
    });

    it('puts the reseller deposit routes under x-api-key', () => {
      for (const method of ['get', 'post']) expect(doc.paths['/deposit'][method].security).toEqual([{ 'x-api-key': [] }]);
    });
  },
  adminEnv(),
);
