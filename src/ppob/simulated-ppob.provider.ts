import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { appConfig, AppConfig } from '../config/app.config';
import { dbTime, execute } from '../database/raw-sql';
import { sqlDateTime } from '../database/sql-time';
import { TransactionRunner } from '../database/transaction-runner';
import { PpobSimEksekusi } from './ppob-sim-eksekusi.entity';
import { PlnCustomer, PpobInProgressError, PpobInquiry, PpobProvider, PpobRequest, PpobResult, PpobUnavailableError } from './ppob.provider';
import { SANDBOX_NUMBERS } from './sandbox-numbers';

/**
 * A call still `proses` this long after its planned end died with its process (the simulated
 * upstream lives inside the instance). The upstream then has no record of it: it never executed.
 * Short, so a retry after a lease finds it forgotten and executes instead of waiting.
 */
const LOST_CALL_GRACE_MS = 1_000;

/**
 * The original service's proses.py: wait a while, then succeed with a serial number or fail.
 * Like a real upstream it is idempotent by key: a repeated request for a transaksi it already
 * executed returns the recorded outcome and executes nothing, and one it is still executing
 * answers "in progress".
 *
 * Its record (ppob_sim_eksekusi) is the upstream's side: a call with a delay is recorded as
 * `proses` when received and completed in place, so an inquiry from any instance sees a call in
 * flight for what it is. A call aborted before it executed leaves no record (it never ran).
 * With no delay there is nothing to see in between, so only the outcome is written (batched
 * with the outcomes of other calls that end together: the processor benchmarks run this path).
 *
 * Unlike a real upstream, this one dies with the instance that runs it (SIGKILL). A call left
 * `proses` past its planned end plus LOST_CALL_GRACE_MS is therefore forgotten by the next
 * inquiry, and the forgotten call, should its process come back (SIGCONT), cannot complete.
 */
type SimRecord = [transaksiId: number, instanceId: string, status: string, hasil: string, waktu: string];

/** Outcome records written by one statement at most. */
const MAX_RECORD_BATCH = 200;

@Injectable()
export class SimulatedPpobProvider extends PpobProvider {
  private readonly waitingRecords: Array<{ values: SimRecord; resolve: () => void; reject: (err: unknown) => void }> = [];
  private recording = false;

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
      if (previous.state === 'final') return previous.result;
      if (previous.state === 'in-progress') throw new PpobInProgressError(request.idempotencyKey);
    }

    const { delayMinMs, delayMaxMs, ignoreAbort } = this.config.ppobSim;
    const delayMs = delayMinMs === delayMaxMs ? delayMinMs : randomInt(delayMinMs, delayMaxMs + 1);
    const received = delayMs > 0 ? await this.receive(request, delayMs) : null;
    try {
      // An aborted call rejects here and executes nothing: the caller gave up waiting. With
      // PPOB_SIM_IGNORE_ABORT it runs on, like a request an upstream has already received.
      if (delayMs > 0) await sleep(delayMs, undefined, ignoreAbort ? {} : { signal });
      if (!ignoreAbort) signal?.throwIfAborted();
      if (request.nomorTujuan === SANDBOX_NUMBERS.UPSTREAM_ERROR) {
        throw new PpobUnavailableError('Simulated upstream timeout');
      }
    } catch (err) {
      if (received !== null) await this.forget(received);
      throw err;
    }
    const result = this.decide(request);
    await this.complete(request, received, result);
    return result;
  }

  async inquire(idempotencyKey: string): Promise<PpobInquiry> {
    const [previous]: Array<{ id: number | string; status: PpobSimEksekusi['status']; hasil: string; waktu: Date | string }> = await this.eksekusi.query(
      'SELECT id, status, hasil, waktu FROM ppob_sim_eksekusi WHERE transaksi_id = ? ORDER BY id LIMIT 1',
      [Number(idempotencyKey)],
    );
    if (!previous) return { state: 'not-found' };
    if (previous.status !== 'proses') return { state: 'final', result: resultOf(previous.status, previous.hasil) };
    if (dbTime(previous.waktu).getTime() + LOST_CALL_GRACE_MS > Date.now()) return { state: 'in-progress' };
    await this.forget(Number(previous.id));
    return this.inquire(idempotencyKey);
  }

  /**
   * Made-up but deterministic: the same number always names the same customer, so client
   * developers can test their screens. Numbers of fewer than 10 digits are unknown.
   */
  inquirePln(customerNo: string): Promise<PlnCustomer | null> {
    if (!/^\d{10,13}$/.test(customerNo)) return Promise.resolve(null);
    const h = createHash('sha256').update(customerNo).digest();
    const names = ['BUDI SANTOSO', 'SITI AMINAH', 'AGUS PRASETYO', 'DEWI LESTARI', 'RUDI HARTONO', 'NURUL HIDAYAH'];
    const power = ['R1 /000000900', 'R1 /000001300', 'R1 /000002200', 'R2 /000003500', 'B1 /000005500'];
    return Promise.resolve({
      customer_no: customerNo,
      meter_no: customerNo.padStart(11, '0').slice(-11),
      subscriber_id: String(h.readUInt32BE(0)).padStart(12, '5'),
      name: names[h[4] % names.length],
      segment_power: power[h[5] % power.length],
    });
  }

  /** The upstream has the request: recorded as in flight, `waktu` its planned end. */
  private async receive(request: PpobRequest, delayMs: number): Promise<number> {
    const now = Date.now();
    return this.tx.run(async (manager) => {
      const { insertId } = await execute(
        manager,
        "INSERT INTO ppob_sim_eksekusi (transaksi_id, instance_id, status, hasil, mulai, waktu) VALUES (?, ?, 'proses', '', ?, ?)",
        [request.transaksiId, this.config.processor.instanceId, sqlDateTime(new Date(now)), sqlDateTime(new Date(now + delayMs))],
      );
      return insertId;
    });
  }

  /** The call ended without executing (or died): the upstream keeps no record of it. */
  private async forget(id: number): Promise<void> {
    await this.tx.autocommit((manager) => manager.query("DELETE FROM ppob_sim_eksekusi WHERE id = ? AND status = 'proses'", [id]));
  }

  private async complete(request: PpobRequest, received: number | null, result: PpobResult): Promise<void> {
    const now = sqlDateTime(new Date());
    if (received === null) {
      await this.record([request.transaksiId, this.config.processor.instanceId, result.status, result.hasil, now]);
      return;
    }
    const { affected } = await this.tx.run((manager) =>
      execute(manager, "UPDATE ppob_sim_eksekusi SET status = ?, hasil = ?, waktu = ? WHERE id = ? AND status = 'proses'", [result.status, result.hasil, now, received]),
    );
    if (affected !== 1) throw new PpobUnavailableError('Simulated upstream lost the request');
  }

  /**
   * Writes an instant call's outcome. Outcomes that arrive while a write is in flight go together
   * in the next one (a multi-row INSERT): at a 0 ms upstream this record was the one statement
   * per purchase left in the processor's path (claims and final writes are already batched).
   * Each call still returns only once its own record is written.
   */
  private record(values: SimRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waitingRecords.push({ values, resolve, reject });
      if (!this.recording) void this.writeRecords();
    });
  }

  private async writeRecords(): Promise<void> {
    this.recording = true;
    try {
      while (this.waitingRecords.length > 0) {
        const batch = this.waitingRecords.splice(0, MAX_RECORD_BATCH);
        try {
          await this.tx.autocommit((manager) =>
            manager.query(
              `INSERT INTO ppob_sim_eksekusi (transaksi_id, instance_id, status, hasil, waktu) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
              batch.flatMap((r) => r.values),
            ),
          );
          for (const r of batch) r.resolve();
        } catch (err) {
          for (const r of batch) r.reject(err);
        }
      }
    } finally {
      this.recording = false;
    }
  }

  private decide(request: PpobRequest): PpobResult {
    const sukses =
      request.nomorTujuan === SANDBOX_NUMBERS.SUKSES ||
      (request.nomorTujuan !== SANDBOX_NUMBERS.GAGAL && Math.random() < this.config.ppobSim.successRate);
    if (sukses) {
      const sn = String(randomInt(0, 1e12)).padStart(12, '0') + String(request.transaksiId).padStart(8, '0');
      return { status: 'sukses', hasil: `Sukses. SN: ${sn}`, sn };
    }
    return { status: 'gagal', hasil: 'Gagal: transaksi ditolak oleh provider' };
  }
}

function resultOf(status: 'sukses' | 'gagal', hasil: string): PpobResult {
  if (status === 'gagal') return { status, hasil };
  const sn = /SN: (\S+)/.exec(hasil)?.[1] ?? null;
  return { status, hasil, sn };
}
