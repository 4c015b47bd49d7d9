import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Requests whose exact bytes a route must see (a signature is over the raw body, not over re-serialised JSON). */
export const RAW_BODY_PREFIX = '/webhook/';

export type RawBodyRequest = FastifyRequest & { rawBody?: string };

/**
 * Fastify's own JSON parser (body limit, prototype-poisoning checks) keeps working; under
 * RAW_BODY_PREFIX the text it parsed is kept on the request as well.
 */
export function keepRawJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (request.url.startsWith(RAW_BODY_PREFIX)) (request as RawBodyRequest).rawBody = body as string;
    parseJson(request, body as string, done);
  });
}
