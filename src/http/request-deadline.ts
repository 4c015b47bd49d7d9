import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { DomainError } from '../common/domain-error';

/**
 * The promise a 503 from the request deadline keeps: nothing of that request is committed.
 *
 * Every request gets one (installHttpLifecycle); a writing route hands it to TransactionRunner
 * (`@Deadline()` in the controller), which asks it before a transaction starts and again just
 * before COMMIT: once the deadline has answered, the work is
 * rolled back instead of committed. Once a COMMIT has begun the deadline no longer answers 503
 * at once; it waits (up to one more REQUEST_TIMEOUT_MS) for the real answer, because the commit
 * may already have happened. Only a database that stalls in the middle of that COMMIT gets the
 * late 503, and that one says the outcome is unknown.
 */
export class RequestDeadline {
  private expiredFlag = false;
  private commits = 0;

  get expired(): boolean {
    return this.expiredFlag;
  }

  /** The deadline fired. True when the 503 may be sent now (no COMMIT in progress). */
  expire(): boolean {
    if (this.commits > 0) return false;
    this.expiredFlag = true;
    return true;
  }

  /** The second deadline: answer anyway; whatever is committing may or may not commit. */
  forceExpire(): void {
    this.expiredFlag = true;
  }

  /** Throws once the request has been answered 503: its work must not start or commit. */
  assertOpen(): void {
    if (this.expiredFlag) throw new DomainError('REQUEST_TIMEOUT', 'Permintaan melewati batas waktu; tidak ada yang disimpan');
  }

  /** Called right before COMMIT; the deadline holds its 503 until endCommit(). */
  beginCommit(): void {
    this.assertOpen();
    this.commits++;
  }

  endCommit(): void {
    this.commits--;
  }
}

const deadlines = new WeakMap<object, RequestDeadline>();

/** Attaches the deadline to its request (installHttpLifecycle). */
export function attachDeadline(request: object, deadline: RequestDeadline): void {
  deadlines.set(request, deadline);
}

/**
 * The request's deadline, for a route that writes: pass it to TransactionRunner.run(work,
 * { deadline }). Passed explicitly rather than through AsyncLocalStorage, which would put a
 * promise hook on every promise of every request (the hot paths are measured to 5 %).
 */
export const Deadline = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestDeadline | undefined =>
  deadlines.get(ctx.switchToHttp().getRequest<object>()),
);
