import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers repeated lookups within the TTL from one load', async () => {
    const sut = new TtlCache<string, number>(500, 10);
    const load = jest.fn(async () => 7);
    expect(await sut.getOrLoad('k', load)).toBe(7);
    now += 499;
    expect(await sut.getOrLoad('k', load)).toBe(7);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads again once the TTL has passed', async () => {
    const sut = new TtlCache<string, number>(500, 10);
    let value = 1;
    const load = jest.fn(async () => value);
    await sut.getOrLoad('k', load);
    value = 2;
    now += 500;
    expect(await sut.getOrLoad('k', load)).toBe(2);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one load between concurrent lookups of a key', async () => {
    const sut = new TtlCache<string, number>(500, 10);
    let resolve!: (v: number) => void;
    const load = jest.fn(() => new Promise<number>((r) => (resolve = r)));
    const both = Promise.all([sut.getOrLoad('k', load), sut.getOrLoad('k', load)]);
    resolve(3);
    expect(await both).toEqual([3, 3]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not keep a miss or a failed load', async () => {
    const sut = new TtlCache<string, number>(500, 10);
    await sut.getOrLoad('miss', async () => null);
    await expect(sut.getOrLoad('err', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await sut.getOrLoad('miss', async () => 5)).toBe(5);
    expect(await sut.getOrLoad('err', async () => 6)).toBe(6);
  });

  it('forgets a deleted key at once', async () => {
    const sut = new TtlCache<string, number>(500, 10);
    await sut.getOrLoad('k', async () => 1);
    sut.delete('k');
    expect(await sut.getOrLoad('k', async () => 2)).toBe(2);
  });

  it('drops the oldest entry beyond its size bound', async () => {
    const sut = new TtlCache<string, number>(500, 2);
    for (const key of ['a', 'b', 'c']) await sut.getOrLoad(key, async () => 1);
    const load = jest.fn(async () => 9);
    expect(await sut.getOrLoad('a', load)).toBe(9);
    expect(await sut.getOrLoad('c', load)).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('calls the loader every time when the TTL is 0', async () => {
    const sut = new TtlCache<string, number>(0, 10);
    const load = jest.fn(async () => 1);
    await sut.getOrLoad('k', load);
    await sut.getOrLoad('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
