import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MemoizedReflector } from './memoized-reflector';

const Tag = (value: string) => SetMetadata('tag', value);

@Tag('class')
class Controller {
  @Tag('method')
  tagged(): void {}

  plain(): void {}
}

describe('MemoizedReflector', () => {
  const memo = new MemoizedReflector();
  const plain = new Reflector();
  const proto = Controller.prototype;

  it('answers what Reflector answers, for methods, classes and missing keys, on every read', () => {
    for (let read = 0; read < 2; read++) {
      for (const target of [proto.tagged, proto.plain, Controller]) {
        for (const key of ['tag', 'other']) expect(memo.get(key, target)).toBe(plain.get(key, target));
      }
      expect(memo.getAllAndOverride('tag', [proto.tagged, Controller])).toBe('method');
      expect(memo.getAllAndOverride('tag', [proto.plain, Controller])).toBe('class');
      expect(memo.getAllAndOverride('other', [proto.plain, Controller])).toBeUndefined();
    }
  });

  it('reads each key of a target once', () => {
    const spy = jest.spyOn(Reflect, 'getMetadata');
    const fresh = new MemoizedReflector();
    for (let i = 0; i < 5; i++) fresh.getAllAndOverride('tag', [proto.plain, Controller]);
    expect(spy.mock.calls.filter(([key]) => key === 'tag')).toHaveLength(2);
    spy.mockRestore();
  });
});
