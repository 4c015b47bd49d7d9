import { Writable } from 'node:stream';
import { createRootLogger } from './logger';

describe('the root logger', () => {
  it('redacts an operator key if a request or its headers are ever logged', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const sut = createRootLogger('log', sink as unknown as Parameters<typeof createRootLogger>[1]);
    const key = 'operator-key-that-must-never-be-logged-0123456789';
    sut.info({ req: { headers: { 'x-admin-key': key } } }, 'request');
    sut.info({ headers: { 'x-admin-key': key } }, 'headers');
    sut.flush();
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain(key);
    expect(lines.join('')).toContain('[redacted]');
  });
});
