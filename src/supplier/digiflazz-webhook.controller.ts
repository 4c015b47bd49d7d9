import { timingSafeEqual } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators';
import { DomainError } from '../common/domain-error';
import { appConfig, AppConfig } from '../config/app.config';
import { readTransaction, TransactionVerdict } from '../ppob/digiflazz/digiflazz-answer';
import { DigiflazzPpobProvider } from '../ppob/digiflazz/digiflazz-ppob.provider';
import { PpobProvider } from '../ppob/ppob.provider';
import { HASIL } from '../transaksi/transaksi-outcome';
import { TransaksiRepository } from '../transaksi/transaksi.repository';
import type { RawBodyRequest } from '../common/raw-body';

export interface WebhookAnswer {
  diterima: true;
  /** True when this callback settled the purchase; a repeat, a stale Pending or an unknown ref_id change nothing. */
  diubah: boolean;
}

/**
 * The supplier's callback. With DIGIFLAZZ_WEBHOOK_SECRET set, the body is trusted once its
 * X-Hub-Signature matches (constant-time compare). Without a secret anybody can POST here, so the
 * body is only a hint: the purchase's status is asked from the supplier (the same ref_id
 * re-sent) and that answer settles it. Either way the write is the repository's fenced
 * settleFromUpstream, with the refund on a definite Gagal in the same transaction.
 */
@Public()
@Controller('webhook')
export class DigiflazzWebhookController {
  private readonly logger = new Logger('DigiflazzWebhook');

  constructor(
    private readonly provider: PpobProvider,
    private readonly transaksi: TransaksiRepository,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {}

  @Post('digiflazz')
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async digiflazz(
    @Req() request: RawBodyRequest,
    @Body() body: unknown,
    @Headers('x-digiflazz-event') event: string | undefined,
    @Headers('x-hub-signature') signature: string | undefined,
  ): Promise<WebhookAnswer> {
    const supplier = this.config.digiflazz;
    if (!supplier || !(this.provider instanceof DigiflazzPpobProvider)) throw new DomainError('NOT_FOUND', 'No supplier is configured (PPOB_PROVIDER=simulated)');
    if (supplier.webhookSignature && !validSignature(supplier.webhookSignature(request.rawBody ?? ''), signature)) {
      throw new DomainError('WEBHOOK_SIGNATURE_INVALID', 'X-Hub-Signature is missing or does not match');
    }
    if (event === 'ping') return { diterima: true, diubah: false };
    const data = (body as { data?: unknown } | null)?.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      const message = 'body must be {"data": {...}}';
      throw new DomainError('VALIDATION_FAILED', message, [{ field: 'data', message }]);
    }
    const refId = String((data as { ref_id?: unknown }).ref_id ?? '');
    // Our ref_ids are transaksi ids; anything else is not ours.
    if (!/^[1-9]\d{0,17}$/.test(refId)) return { diterima: true, diubah: false };
    const verdict = supplier.webhookSignature ? readTransaction(data as Record<string, unknown>, refId) : await this.askSupplier(this.provider, refId);
    if (verdict.kind !== 'final' && verdict.kind !== 'rejected') return { diterima: true, diubah: false };
    const { result } = verdict;
    const diubah = await this.transaksi.settleFromUpstream(Number(refId), {
      status: result.status,
      hasil: result.status === 'sukses' ? HASIL.sukses(result.sn) : HASIL.gagalProvider,
      refund: result.status === 'gagal',
      sn: result.status === 'sukses' ? (result.sn ?? null) : null,
      upstream: result.upstream,
    });
    if (diubah) this.logger.log(`transaksi ${refId}: settled ${result.status} by the supplier's callback (${result.hasil})`);
    return { diterima: true, diubah };
  }

  /**
   * Only for a purchase still in progress here: re-sending a ref_id the supplier never saw
   * would create a transaction, so an unknown or settled id is never sent.
   */
  private async askSupplier(provider: DigiflazzPpobProvider, refId: string): Promise<TransactionVerdict> {
    if (!(await this.transaksi.isInProgress(Number(refId)))) return { kind: 'unknown', reason: 'not in progress here' };
    try {
      return await provider.send(await provider.order(refId));
    } catch (err) {
      return { kind: 'unknown', reason: (err as Error).message };
    }
  }
}

function validSignature(expectedHeader: string, header: string | undefined): boolean {
  const expected = Buffer.from(expectedHeader);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
