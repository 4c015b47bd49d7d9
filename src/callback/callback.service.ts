import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth.decorators';
import { SecretBox } from '../common/secret-box';
import { appConfig, AppConfig } from '../config/app.config';
import type { RequestDeadline } from '../http/request-deadline';
import { callbackNotSet, callbackUrlInvalid, deliveryInProgress, deliveryNotFound } from './callback-errors';
import { generateCallbackSecret } from './callback-signature';
import { checkCallbackTarget, parseCallbackUrl } from './callback-url';
import { CallbackDispatcher } from './callback.dispatcher';
import { CallbackResponseDto, CallbackSecretResponseDto, DeliveriesQueryDto, DeliveryResponseDto } from './callback.dto';
import { CallbackRepository } from './callback.repository';
import { HostResolver } from './host-resolver';

/** During a rotation the previous secret keeps signing this long, so receivers can switch. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

@Injectable()
export class CallbackService {
  constructor(
    private readonly repository: CallbackRepository,
    private readonly secrets: SecretBox,
    private readonly dispatcher: CallbackDispatcher,
    private readonly resolver: HostResolver,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  /**
   * Sets the endpoint. Every PUT issues a new secret (it is shown only in this answer); a
   * previous secret keeps signing for 24 h, so changing the URL never drops events in flight.
   */
  async setEndpoint(user: AuthUser, rawUrl: string, deadline?: RequestDeadline): Promise<CallbackSecretResponseDto> {
    const url = await this.checkedUrl(rawUrl);
    const had = (await this.repository.findEndpoint(user.id)) !== null;
    return this.issueSecret(user.id, url, had, deadline);
  }

  async getEndpoint(userId: number): Promise<CallbackResponseDto> {
    const endpoint = await this.repository.findEndpoint(userId);
    if (!endpoint) throw notSet();
    return { url: endpoint.url };
  }

  async deleteEndpoint(userId: number, deadline?: RequestDeadline): Promise<void> {
    if (!(await this.repository.deleteEndpoint(userId, deadline))) throw notSet();
  }

  async rotateSecret(userId: number, deadline?: RequestDeadline): Promise<CallbackSecretResponseDto> {
    const endpoint = await this.repository.findEndpoint(userId);
    if (!endpoint) throw notSet();
    return this.issueSecret(userId, null, true, deadline, endpoint.url);
  }

  /**
   * /beli's callback_url: the same rules as the endpoint's, and the reseller must have an
   * endpoint, whose secret signs the event.
   */
  async purchaseUrl(userId: number, rawUrl: string): Promise<string> {
    const url = await this.checkedUrl(rawUrl);
    if (!(await this.repository.findEndpoint(userId))) {
      throw callbackUrlInvalid('callback_url needs a callback secret: set an endpoint with PUT /callback first');
    }
    return url;
  }

  async listDeliveries(userId: number, query: DeliveriesQueryDto, limit: number): Promise<DeliveryResponseDto[]> {
    const events = await this.repository.listForUser(userId, { transaksiId: query.transaksi_id, status: query.status, beforeId: query.before_id, limit });
    return events.map((e) => ({
      id: e.id,
      webhook_id: e.msgId,
      type: e.type,
      transaksi_id: e.transaksiId,
      url: e.url,
      status: e.status,
      attempts: e.attempts,
      next_attempt_at: e.nextAt.toISOString(),
      attempt_log: e.attemptRows.map((a) => ({
        attempt: a.attempt,
        status_code: a.statusCode,
        duration_ms: a.durationMs,
        response_body: a.responseBody,
        error: a.error,
        waktu: a.waktu.toISOString(),
      })),
    }));
  }

  async redeliver(userId: number, eventId: number, deadline?: RequestDeadline): Promise<void> {
    const result = await this.repository.redeliver(userId, eventId, deadline);
    if (result === 'not-found') throw deliveryNotFound(eventId);
    if (result === 'in-progress') throw deliveryInProgress(eventId);
    this.dispatcher.wake();
  }

  private async checkedUrl(rawUrl: string): Promise<string> {
    const url = parseCallbackUrl(rawUrl);
    await checkCallbackTarget(url, this.config.callbacks.allowPrivate, this.resolver, this.saveLookupTimeoutMs());
    return url.toString();
  }

  /**
   * A hung resolver answers 503 CALLBACK_HOST_TIMEOUT, within half the request's own deadline
   * (the rest is the write's), and never later than an attempt would wait.
   */
  private saveLookupTimeoutMs(): number {
    return Math.min(this.config.callbacks.timeoutMs, Math.floor(this.config.requestTimeoutMs / 2));
  }

  private async issueSecret(userId: number, url: string | null, hadSecret: boolean, deadline?: RequestDeadline, currentUrl?: string): Promise<CallbackSecretResponseDto> {
    const secret = generateCallbackSecret();
    const oldUntil = new Date(Date.now() + SECRET_OVERLAP_MS);
    if (!(await this.repository.saveEndpoint(userId, url, this.secrets.seal(secret), oldUntil, deadline))) throw notSet();
    return { url: url ?? currentUrl!, secret, previous_secret_valid_until: hadSecret ? oldUntil.toISOString() : null };
  }
}

const notSet = callbackNotSet;
