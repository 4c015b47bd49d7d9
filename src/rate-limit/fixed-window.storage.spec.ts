import { FixedWindowStorage } from './fixed-window.storage';

describe('FixedWindowStorage', () => {
  let now: number;
  let storage: FixedWindowStorage;
  const hit = (key = 'u1', limit = 3, ttl = 60_000, block = 60_000) => storage.increment(key, ttl, limit, block, 'default');

  beforeEach(() => {
    now = 1_000_000;
    storage = new FixedWindowStorage(() => now);
  });
  afterEach(() => storage.onApplicationShutdown());

  it('counts hits in one window and blocks the first hit past the limit', async () => {
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await hit();
    now += 20_000;
    expect(await hit()).toMatchObject({ totalHits: 3, timeToExpire: 40, isBlocked: false });
    expect(await hit()).toEqual({ totalHits: 4, timeToExpire: 40, isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
  });

  it('opens a new window when the old one has ended', async () => {
    for (let i = 0; i < 3; i++) await hit();
    now += 60_000;
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('lets a client through again once its block has run out', async () => {
    for (let i = 0; i < 4; i++) await hit();
    now += 60_000;
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('keeps keys and throttler names apart', async () => {
    for (let i = 0; i < 4; i++) await hit('u1');
    expect(await hit('u2')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('u1', 60_000, 3, 60_000, 'register')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('forgets a counter only when both its window and its block have ended', async () => {
    for (let i = 0; i < 4; i++) await hit('blocked', 3, 10_000, 60_000);
    await hit('idle', 3, 10_000, 60_000);
    now += 10_000;
    storage.sweep();
    expect(storage.size).toBe(1);
    expect(await hit('blocked', 3, 10_000, 60_000)).toMatchObject({ isBlocked: true });
    now += 60_000;
    storage.sweep();
    expect(storage.size).toBe(0);
  });
});
