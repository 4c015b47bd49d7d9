import { Reflector } from '@nestjs/core';

/**
 * A Reflector that reads each (key, target) once. Route metadata is fixed when the classes are
 * defined, and the guards that run on every request (the API-key guard, @nestjs/throttler's
 * guard with its six lookups per throttler) spent more CPU in reflect-metadata than in their
 * own work.
 */
export class MemoizedReflector extends Reflector {
  private readonly memo = new WeakMap<object, Map<unknown, unknown>>();

  override get: Reflector['get'] = (key: unknown, target: object) => {
    let byKey = this.memo.get(target);
    if (!byKey) {
      byKey = new Map();
      this.memo.set(target, byKey);
    }
    if (byKey.has(key)) return byKey.get(key);
    const value: unknown = (Reflector.prototype.get as (k: unknown, t: object) => unknown).call(this, key, target);
    byKey.set(key, value);
    return value;
  };
}
