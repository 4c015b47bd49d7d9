import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { BeliDto, RiwayatQueryDto } from '../transaksi/transaksi.dto';
import { RegisterDto } from '../users/users.dto';
import { DomainError } from './domain-error';
import { createValidationPipe, ParseIdPipe } from './validation';

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });
const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype, data: undefined });

/** Fastify hands Nest query objects without a prototype. */
function queryString(values: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, values);
}

describe('createValidationPipe', () => {
  let sut: ValidationPipe;

  beforeEach(() => {
    sut = createValidationPipe();
  });

  /** Runs the pipe and returns the DomainError it throws. */
  async function rejection(value: unknown, metadata: ArgumentMetadata): Promise<DomainError> {
    const error = await sut.transform(value, metadata).then(
      (result: unknown) => {
        throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
      },
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }

  describe('a body that is not a JSON object', () => {
    it.each([
      ['an array', [{ produk_id: 1, nomor_tujuan: '087800000001' }]],
      ['null', null],
      ['a string', 'beli'],
      ['a number', 1],
      ['nothing', undefined],
    ])('refuses %s with "must be a JSON object"', async (_name, value) => {
      const error = await rejection(value, body(BeliDto));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.detail).toBe('the request body must be a JSON object ({...})');
    });
  });

  describe('a missing required field', () => {
    it('says it is required, not which type it should have', async () => {
      const error = await rejection({ nomor_tujuan: '087800000001' }, body(BeliDto));
      expect(error.errors).toEqual([{ field: 'produk_id', message: 'produk_id is required' }]);
    });

    it('still names the rule for a field that is present but wrong, null included', async () => {
      const error = await rejection({ produk_id: null, nomor_tujuan: '087800000001' }, body(BeliDto));
      expect(error.errors).toEqual([{ field: 'produk_id', message: expect.not.stringMatching(/required/) }]);
    });
  });

  describe('POST /beli body', () => {
    it('passes a valid body and returns a BeliDto', async () => {
      const result = await sut.transform({ produk_id: 1, nomor_tujuan: '087800000001', nominal: 10_000, ref_id: 'INV-2026.0001_a' }, body(BeliDto));
      expect(result).toBeInstanceOf(BeliDto);
      expect(result).toEqual({ produk_id: 1, nomor_tujuan: '087800000001', nominal: 10_000, ref_id: 'INV-2026.0001_a' });
    });

    it('passes a body without the optional fields', async () => {
      await expect(sut.transform({ produk_id: 3, nomor_tujuan: '123456' }, body(BeliDto))).resolves.toEqual({ produk_id: 3, nomor_tujuan: '123456' });
    });

    it('rejects an unknown field instead of dropping it', async () => {
      const error = await rejection({ produk_id: 1, nomor_tujuan: '087800000001', harga: 1 }, body(BeliDto));
      expect(error.errors).toEqual([{ field: 'harga', message: expect.stringContaining('harga') }]);
    });

    it('rejects "1" for produk_id: nothing is converted implicitly', async () => {
      const error = await rejection({ produk_id: '1', nomor_tujuan: '087800000001' }, body(BeliDto));
      expect(error.errors).toEqual([{ field: 'produk_id', message: expect.any(String) }]);
    });

    it('rejects a numeric nomor_tujuan', async () => {
      const error = await rejection({ produk_id: 1, nomor_tujuan: 87800000001 }, body(BeliDto));
      expect(error.errors?.map((e) => e.field)).toEqual(['nomor_tujuan']);
    });

    it.each([
      ['a fractional produk_id', { produk_id: 1.5, nomor_tujuan: '087800000001' }, 'produk_id'],
      ['produk_id 0', { produk_id: 0, nomor_tujuan: '087800000001' }, 'produk_id'],
      ['a produk_id beyond INT', { produk_id: 2_147_483_648, nomor_tujuan: '087800000001' }, 'produk_id'],
      ['a nomor_tujuan with letters', { produk_id: 1, nomor_tujuan: '0878abc00001' }, 'nomor_tujuan'],
      ['a nomor_tujuan of five digits', { produk_id: 1, nomor_tujuan: '12345' }, 'nomor_tujuan'],
      ['a nomor_tujuan of 21 digits', { produk_id: 1, nomor_tujuan: '1'.repeat(21) }, 'nomor_tujuan'],
      ['a ref_id with a space', { produk_id: 1, nomor_tujuan: '087800000001', ref_id: 'INV 1' }, 'ref_id'],
      ['a ref_id of 65 characters', { produk_id: 1, nomor_tujuan: '087800000001', ref_id: 'a'.repeat(65) }, 'ref_id'],
      ['an empty ref_id', { produk_id: 1, nomor_tujuan: '087800000001', ref_id: '' }, 'ref_id'],
      ['nominal 0', { produk_id: 1, nomor_tujuan: '087800000001', nominal: 0 }, 'nominal'],
      ['a string nominal', { produk_id: 1, nomor_tujuan: '087800000001', nominal: '10000' }, 'nominal'],
    ])('rejects %s', async (_label, value, field) => {
      const error = await rejection(value, body(BeliDto));
      expect(error.errors?.map((e) => e.field)).toEqual([field]);
    });

    it('gives one message per field, even when a field breaks several rules', async () => {
      // "abc" is not an integer, and not >= 1, and not <= INT max: only the type message is kept.
      const error = await rejection({ produk_id: 'abc', nomor_tujuan: 42, nominal: -5.5 }, body(BeliDto));
      expect(error.errors?.map((e) => e.field).sort()).toEqual(['nominal', 'nomor_tujuan', 'produk_id']);
    });

    it('reports a missing required field once', async () => {
      const error = await rejection({}, body(BeliDto));
      expect(error.errors?.map((e) => e.field).sort()).toEqual(['nomor_tujuan', 'produk_id']);
    });

    it('throws a VALIDATION_FAILED DomainError whose errors are {field, message} and whose detail lists them', async () => {
      const error = await rejection({ produk_id: '1', nomor_tujuan: 'x', extra: true }, body(BeliDto));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.errors).toEqual(
        expect.arrayContaining([
          { field: 'produk_id', message: expect.any(String) },
          { field: 'nomor_tujuan', message: 'nomor_tujuan must be 6-20 digits' },
          { field: 'extra', message: expect.any(String) },
        ]),
      );
      expect(error.errors).toHaveLength(3);
      for (const e of error.errors ?? []) {
        expect(Object.keys(e).sort()).toEqual(['field', 'message']);
        expect(error.detail).toContain(e.message);
      }
    });

    it.each([
      ['null', null],
      ['an array', [{ produk_id: 1, nomor_tujuan: '087800000001' }]],
      ['a string', 'produk_id=1'],
    ])('rejects a body that is %s', async (_label, value) => {
      const error = await rejection(value, body(BeliDto));
      expect(error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /register body', () => {
    it('passes a valid body, trims nama and email, and returns a RegisterDto', async () => {
      const result = await sut.transform({ nama: '  Toko Maju ', email: ' maju@example.com ', hp: '+6281234567890', saldo: 0 }, body(RegisterDto));
      expect(result).toBeInstanceOf(RegisterDto);
      expect(result).toEqual({ nama: 'Toko Maju', email: 'maju@example.com', hp: '+6281234567890', saldo: 0 });
    });

    it.each([
      ['a blank nama', { nama: '   ', email: 'a@example.com' }, 'nama'],
      ['a nama of 101 characters', { nama: 'n'.repeat(101), email: 'a@example.com' }, 'nama'],
      ['an invalid email', { nama: 'A', email: 'not-an-email' }, 'email'],
      ['a hp with letters', { nama: 'A', email: 'a@example.com', hp: '0812abc' }, 'hp'],
      ['a negative saldo', { nama: 'A', email: 'a@example.com', saldo: -1 }, 'saldo'],
      ['a string saldo', { nama: 'A', email: 'a@example.com', saldo: '100000' }, 'saldo'],
      ['an api_key smuggled in', { nama: 'A', email: 'a@example.com', api_key: 'f'.repeat(64) }, 'api_key'],
    ])('rejects %s', async (_label, value, field) => {
      const error = await rejection(value, body(RegisterDto));
      expect(error.errors?.map((e) => e.field)).toEqual([field]);
    });
  });

  describe('GET /riwayat query', () => {
    it('turns a numeric limit string into a number', async () => {
      const result = await sut.transform(queryString({ limit: '20' }), query(RiwayatQueryDto));
      expect(result).toBeInstanceOf(RiwayatQueryDto);
      expect(result).toEqual({ limit: 20 });
    });

    it('accepts limit 1 and 100, a before_id and a status', async () => {
      await expect(sut.transform(queryString({ limit: '1' }), query(RiwayatQueryDto))).resolves.toEqual({ limit: 1 });
      await expect(sut.transform(queryString({ limit: '100', before_id: '1200', status: 'gagal' }), query(RiwayatQueryDto))).resolves.toEqual({
        limit: 100,
        before_id: 1200,
        status: 'gagal',
      });
    });

    it('accepts an empty query', async () => {
      await expect(sut.transform(queryString({}), query(RiwayatQueryDto))).resolves.toEqual({});
    });

    it.each(['abc', '0', '101', '1.5', '-1', '', ' 5', '1e2'])('rejects limit=%p', async (limit) => {
      const error = await rejection(queryString({ limit }), query(RiwayatQueryDto));
      expect(error.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
    });

    it('rejects a repeated limit', async () => {
      const error = await rejection(queryString({ limit: ['1', '2'] }), query(RiwayatQueryDto));
      expect(error.errors?.map((e) => e.field)).toEqual(['limit']);
    });

    it.each(['0', 'x', '1.5'])('rejects before_id=%p', async (before_id) => {
      const error = await rejection(queryString({ before_id }), query(RiwayatQueryDto));
      expect(error.errors?.map((e) => e.field)).toEqual(['before_id']);
    });

    it('rejects an unknown status', async () => {
      const error = await rejection(queryString({ status: 'refunded' }), query(RiwayatQueryDto));
      expect(error.errors?.map((e) => e.field)).toEqual(['status']);
    });

    it('rejects an unknown query parameter', async () => {
      const error = await rejection(queryString({ page: '2' }), query(RiwayatQueryDto));
      expect(error.errors?.map((e) => e.field)).toEqual(['page']);
    });
  });
});

describe('ParseIdPipe', () => {
  let sut: ParseIdPipe;
  const param: ArgumentMetadata = { type: 'param', metatype: String, data: 'trx_id' };

  beforeEach(() => {
    sut = new ParseIdPipe();
  });

  it.each([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('turns %p into %p', (value, expected) => {
    expect(sut.transform(value, param)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', 'abc', '01', '99999999999999999999', '9007199254740992', '', ' 1', '1e3', '0x1'])('rejects %p', (value) => {
    expect(() => sut.transform(value, param)).toThrow(DomainError);
  });

  it('names the parameter in a VALIDATION_FAILED error', () => {
    let thrown: unknown;
    try {
      sut.transform('abc', param);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'trx_id', message: 'trx_id must be a positive integer' }],
    });
  });

  it('calls the parameter id when it has no name', () => {
    expect(() => sut.transform('x', { type: 'param', metatype: String, data: undefined })).toThrow('id must be a positive integer');
  });
});
