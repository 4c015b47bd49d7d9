import { createHash } from 'node:crypto';
import { generateKey, hashKey, looksLikeKey } from './api-key';

describe('generateKey', () => {
  it('gives 64 lowercase hex characters', () => {
    expect(generateKey()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a different key on every call', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateKey()));
    expect(keys.size).toBe(50);
  });

  it('gives keys that looksLikeKey accepts', () => {
    expect(looksLikeKey(generateKey())).toBe(true);
  });
});

describe('hashKey', () => {
  it('is the SHA-256 of the key as 64 hex characters', () => {
    const key = 'a'.repeat(64);
    expect(hashKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches the published SHA-256 test vector', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('ignores the case of the key, so an upper-case copy still authenticates', () => {
    const key = generateKey();
    expect(hashKey(key.toUpperCase())).toBe(hashKey(key));
  });

  it('gives different keys different hashes', () => {
    expect(hashKey('0'.repeat(64))).not.toBe(hashKey(`${'0'.repeat(63)}1`));
  });

  it('never returns the key itself', () => {
    const key = generateKey();
    expect(hashKey(key)).not.toBe(key);
  });
});

describe('looksLikeKey', () => {
  it.each(['0'.repeat(64), 'abcdef0123456789'.repeat(4), 'ABCDEF0123456789'.repeat(4)])('accepts %s', (value) => {
    expect(looksLikeKey(value)).toBe(true);
  });

  it.each([
    ['63 characters', 'a'.repeat(63)],
    ['65 characters', 'a'.repeat(65)],
    ['a non-hex character', `${'a'.repeat(63)}g`],
    ['surrounding whitespace', ` ${'a'.repeat(64)} `],
    ['an empty string', ''],
    ['a number', 123],
    ['undefined', undefined],
    ['an array of one key', ['a'.repeat(64)]],
  ])('rejects %s', (_label, value) => {
    expect(looksLikeKey(value)).toBe(false);
  });
});
