import { ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { DomainError, ErrorCode } from './domain-error';
import { HttpErrorFilter } from './http-error.filter';

interface FakeReply {
  status: jest.Mock<FakeReply, [number]>;
  send: jest.Mock<FakeReply, [unknown]>;
}

/** A stand-in for FastifyReply that records what the filter sends. */
function fakeReply(): { reply: FakeReply; calls: { status?: number; body?: unknown } } {
  const calls: { status?: number; body?: unknown } = {};
  const reply: FakeReply = {
    status: jest.fn((code: number) => {
      calls.status = code;
      return reply;
    }),
    send: jest.fn((body: unknown) => {
      calls.body = body;
      return reply;
    }),
  };
  return { reply, calls };
}

function hostFor(reply: unknown): ArgumentsHost {
  return { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({}) }) } as unknown as ArgumentsHost;
}

describe('HttpErrorFilter', () => {
  let sut: HttpErrorFilter;
  let loggedErrors: jest.SpyInstance;

  beforeEach(() => {
    sut = new HttpErrorFilter();
    loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('toBody', () => {
    it.each<[ErrorCode, number]>([
      ['EMAIL_TAKEN', 409],
      ['REF_ID_CONFLICT', 409],
      ['INSUFFICIENT_SALDO', 402],
      ['PRODUK_NOT_FOUND', 422],
      ['NOMINAL_MISMATCH', 422],
      ['TRANSAKSI_NOT_FOUND', 404],
      ['UNAUTHORIZED', 401],
      ['SALDO_NOT_ALLOWED', 400],
    ])('answers DomainError %s with %i and its detail', (code, status) => {
      expect(sut.toBody(new DomainError(code, 'pesan untuk klien'))).toEqual({ statusCode: status, code, detail: 'pesan untuk klien' });
    });

    it('keeps the field errors of a validation DomainError', () => {
      const errors = [
        { field: 'produk_id', message: 'produk_id must be an integer number' },
        { field: 'nomor_tujuan', message: 'nomor_tujuan must be 6-20 digits' },
      ];
      const body = sut.toBody(new DomainError('VALIDATION_FAILED', 'two problems', errors));
      expect(body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', detail: 'two problems', errors });
    });

    it('leaves errors out of a DomainError body that has none', () => {
      expect(sut.toBody(new DomainError('EMAIL_TAKEN', 'User/email sudah terdaftar'))).not.toHaveProperty('errors');
    });

    it("maps Nest's NotFoundException (unknown route) to 404 NOT_FOUND with a detail", () => {
      expect(sut.toBody(new NotFoundException('Cannot GET /nope'))).toEqual({ statusCode: 404, code: 'NOT_FOUND', detail: 'Cannot GET /nope' });
    });

    it('gives a NotFoundException without a message a detail all the same', () => {
      const body = sut.toBody(new NotFoundException());
      expect(body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      expect(body.detail).toEqual(expect.any(String));
      expect(body.detail.length).toBeGreaterThan(0);
    });

    it('joins the messages of an HttpException that carries several', () => {
      expect(sut.toBody(new BadRequestException(['a is bad', 'b is bad']))).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        detail: 'a is bad; b is bad',
      });
    });

    it('gives an HttpException with an unmapped status an HTTP_<status> code', () => {
      expect(sut.toBody(new HttpException('Method Not Allowed', 405))).toEqual({ statusCode: 405, code: 'HTTP_405', detail: 'Method Not Allowed' });
    });

    it("maps Fastify's body-too-large error to 413 PAYLOAD_TOO_LARGE", () => {
      const fastifyError = { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'Request body is too large' };
      expect(sut.toBody(fastifyError)).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'Request body is too large' });
    });

    it("maps Fastify's unsupported media type error to 415", () => {
      const fastifyError = Object.assign(new Error("Unsupported Media Type: 'text/xml'"), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
      expect(sut.toBody(fastifyError)).toEqual({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: "Unsupported Media Type: 'text/xml'" });
    });

    it("maps Fastify's invalid JSON body error to 400", () => {
      const fastifyError = Object.assign(new Error("Body is not valid JSON but content-type is set to 'application/json'"), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      expect(sut.toBody(fastifyError)).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    });

    it('does not trust a statusCode on an error that is not from Fastify', () => {
      const foreign = Object.assign(new Error('secret upstream detail'), { statusCode: 418, code: 'SOMETHING_ELSE' });
      expect(sut.toBody(foreign)).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', detail: 'Internal server error' });
    });

    it('answers 503 DATABASE_UNAVAILABLE for a refused connection', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
      expect(sut.toBody(refused)).toEqual({ statusCode: 503, code: 'DATABASE_UNAVAILABLE', detail: expect.any(String) });
    });

    it('answers 503 DATABASE_UNAVAILABLE for a lost connection wrapped by TypeORM', () => {
      const wrapped = Object.assign(new Error('Connection lost: The server closed the connection.'), {
        driverError: { code: 'PROTOCOL_CONNECTION_LOST' },
      });
      expect(sut.toBody(wrapped)).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    });

    // What a Galera node without quorum (or still joining) answers to every statement but SELECT 1's kin.
    it('answers 503 DATABASE_UNAVAILABLE, not 500, when a cluster node is not ready (1047 WSREP has not yet prepared node)', () => {
      const notReady = Object.assign(new Error('WSREP has not yet prepared node for application use'), {
        driverError: Object.assign(new Error('WSREP has not yet prepared node for application use'), { code: 'ER_UNKNOWN_COM_ERROR', errno: 1047, sqlState: '08S01' }),
      });
      expect(sut.toBody(notReady)).toEqual({ statusCode: 503, code: 'DATABASE_UNAVAILABLE', detail: expect.any(String) });
    });

    it.each([
      ['a read-only node (1290, e.g. an InnoDB Cluster secondary)', 'ER_OPTION_PREVENTS_STATEMENT', 1290],
      ['read-only mode (1836)', 'ER_READ_ONLY_MODE', 1836],
      ['a group-replication member outside the primary partition (3100)', 'ER_RUN_HOOK_ERROR', 3100],
      ['a connection killed by a node shutting down (1927)', 'ER_CONNECTION_KILLED', 1927],
      ['a COMMIT a Galera node could not replicate after losing the primary component (1180)', 'ER_ERROR_DURING_COMMIT', 1180],
    ])('answers 503 for %s', (_label, code, errno) => {
      const err = Object.assign(new Error(String(code)), { driverError: { code, errno } });
      expect(sut.toBody(err)).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    });

    it('does not reveal the 503 cause to the client', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:3306'), { code: 'ECONNREFUSED' });
      expect(sut.toBody(refused).detail).not.toContain('10.1.2.3');
    });

    it('answers an unexpected Error with 500 INTERNAL_ERROR and hides its message and stack', () => {
      const err = new Error("ER_BAD_FIELD_ERROR: Unknown column 'key_hash' in 'users'");
      const body = sut.toBody(err);
      expect(body).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', detail: expect.any(String) });
      expect(body.detail).not.toContain('key_hash');
      expect(body.detail).not.toContain('ER_BAD_FIELD_ERROR');
      expect(JSON.stringify(body)).not.toContain('at ');
    });

    it.each([
      ['a string', 'boom'],
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
    ])('answers a thrown %s with 500 INTERNAL_ERROR', (_label, thrown) => {
      expect(sut.toBody(thrown)).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', detail: 'Internal server error' });
    });
  });

  describe('catch', () => {
    it('sends the error body with its status on the reply', () => {
      const { reply, calls } = fakeReply();
      sut.catch(new DomainError('INSUFFICIENT_SALDO', 'Saldo tidak cukup'), hostFor(reply));
      expect(calls).toEqual({ status: 402, body: { statusCode: 402, code: 'INSUFFICIENT_SALDO', detail: 'Saldo tidak cukup' } });
      expect(reply.status).toHaveBeenCalledTimes(1);
      expect(reply.send).toHaveBeenCalledTimes(1);
    });

    it('logs the stack of an unexpected error but sends only the generic body', () => {
      const { reply, calls } = fakeReply();
      const err = new Error('secret internals');
      sut.catch(err, hostFor(reply));
      expect(calls.status).toBe(500);
      expect(JSON.stringify(calls.body)).not.toContain('secret internals');
      expect(loggedErrors).toHaveBeenCalledWith(expect.stringContaining('secret internals'));
    });

    it('does not log client errors or an unreachable database as server faults', () => {
      const { reply } = fakeReply();
      sut.catch(new DomainError('EMAIL_TAKEN', 'User/email sudah terdaftar'), hostFor(reply));
      sut.catch(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), hostFor(reply));
      expect(reply.status.mock.calls).toEqual([[409], [503]]);
      expect(loggedErrors).not.toHaveBeenCalled();
    });
  });
});
