import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { PpobSimEksekusi } from './ppob-sim-eksekusi.entity';
import { PpobProvider, PpobRequest, PpobResult, PpobUnavailableError } from './ppob.provider';
import { SANDBOX_NUMBERS } from './sandbox-numbers';

/**
 * The original service's proses.py: wait a while, then succeed with a serial number or fail.
 * Like a real upstream it is idempotent by key: a repeated request for a transaksi it already
 * executed returns the recorded outcome and executes nothing.
 */
@Injectable()
export class SimulatedPpobProvider extends PpobProvider {
  constructor(
    @InjectRepository(PpobSimEksekusi) private readonly eksekusi: Repository<PpobSimEksekusi>,
    private readonly tx: TransactionRunner,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    super();
  }

  async execute(request: PpobRequest, signal?: AbortSignal): Promise<PpobResult> {
    if (request.attempt > 1) {
      const previous = await this.inquire(request.idempotencyKey);
      if (previous) return previous;
    }

    const { delayMinMs, delayMaxMs } = this.config.ppobSim;
    const delayMs = delayMinMs === delayMaxMs ? delayMinMs : randomInt(delayMinMs, delayMaxMs + 1);
    // An aborted call rejects here and executes nothing: the caller gave up waiting. With
    // PPOB_SIM_IGNORE_ABORT it runs on, like a request an upstream has already received.
    const { ignoreAbort } = this.config.ppobSim;
    if (delayMs > 0) await sleep(delayMs, undefined, ignoreAbort ? {} : { signal });
    if (!ignoreAbort) signal?.throwIfAborted();

    if (request.nomorTujuan === SANDBOX_NUMBERS.UPSTREAM_ERROR) {
      throw new PpobUnavailableError('Simulated upstream timeout');
    }
    const result = this.decide(request);
    await this.tx.autocommit((manager) =>
      manager.query('INSERT INTO ppob_sim_eksekusi (transaksi_id, instance_id, status, hasil, waktu) VALUES (?, ?, ?, ?, ?)', [
        request.transaksiId,
        this.config.processor.instanceId,
        result.status,
        result.hasil,
        sqlDateTime(new Date()),
      ]),
    );
    return result;
  }

  async inquire(idempotencyKey: string): Promise<PpobResult | null> {
    const [previous]: Array<{ status: PpobResult['status']; hasil: string }> = await this.eksekusi.query(
      'SELECT status, hasil FROM ppob_sim_eksekusi WHERE transaksi_id = ? ORDER BY id LIMIT 1',
      [Number(idempotencyKey)],
    );
    return previous ? { status: previous.status, hasil: previous.hasil } : null;
  }

  private decide(request: PpobRequest): PpobResult {
    const sukses =
      request.nomorTujuan === SANDBOX_NUMBERS.SUKSES ||
      (request.nomorTujuan !== SANDBOX_NUMBERS.GAGAL && Math.random() < this.config.ppobSim.successRate);
    if (sukses) {
      const sn = String(randomInt(0, 1e12)).padStart(12, '0') + String(request.transaksiId).padStart(8, '0');
      return { status: 'sukses', hasil: `Sukses. SN: ${sn}` };
    }
    return { status: 'gagal', hasil: 'Gagal: transaksi ditolak oleh provider' };
  }
}
