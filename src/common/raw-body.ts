import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A request with the JSON body's text exactly as it arrived. */
export type RawBodyRequest = FastifyRequest & { rawBody?: string };

/**
 * Fastify's own JSON parser (bodyLimit, prototype-poisoning checks) keeps working, and the text it
 * parsed is kept on the request: signatures are over the raw bytes, which a re-serialised object
 * would not match (x-signature's body hash on every route, X-Hub-Signature on /webhook/digiflazz).
 */
export function keepRawJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as RawBodyRequest).rawBody = body as string;
    parseJson(request, body as string, done);
  });
}
