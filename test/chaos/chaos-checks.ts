import type { DataSource } from 'typeorm';
import { checkLedger, doubleExecutions, wrongDebitsAndRefunds } from '../support/invariants';
import type { HttpEvent, PurchaseResult } from './load-client';

/**
 * The chaos suite's invariants, recomputed from the database (and from the client's own record
 * of every HTTP answer) after the run. Each check adds breaches to a category; the spec has one
 * `it` per category, so a failure names what broke, and the summary lists every breach.
 */
export const CATEGORIES = {
  purchases: 'every purchase got a definite answer, and every refusal was an expected one',
  transaksi: 'every accepted purchase is one transaksi, final (sukses or gagal); no transaksi the client was not given',
  execution: 'no purchase executed twice; each final status agrees with what the provider executed',
  money: "each user's saldo = start - harga of their sukses, and their ledger sums to it and ends on it",
  http: 'no 5xx other than 503, and 503 only while the database was away (plus the grace)',
  processes: 'no process exited unless the suite stopped it; SIGTERMed instances exited 0 within the bound',
  suite: 'the faults really happened under load (the run tested what it claims)',
} as const;

export type Category = keyof typeof CATEGORIES;

export class Breaches {
  readonly byCategory = new Map<Category, string[]>(Object.keys(CATEGORIES).map((c) => [c as Category, []]));

  add(category: Category, message: string): void {
    this.byCategory.get(category)!.push(message);
  }

  of(category: Category): string[] {
    return this.byCategory.get(category)!;
  }

  get total(): number {
    return [...this.byCategory.values()].reduce((n, list) => n + list.length, 0);
  }
}

/** A period during which the database was away, as the 503 rule sees it (the grace already added to `end`). */
export interface DbWindow {
  name: string;
  start: number;
  end: number;
}

export interface RegisteredUser {
  email: string;
  startSaldo: number;
}

export const SANDBOX = { SUKSES: '087800000001', GAGAL: '087800000002', UPSTREAM_ERROR: '087800000003' } as const;

/** Purchases: definite answers, expected refusals only. */
export function checkPurchases(breaches: Breaches, results: PurchaseResult[]): void {
  for (const r of results) {
    const p = r.purchase;
    const label = `purchase #${p.index} (user ${p.user}, ref_id ${p.refId}, produk ${p.produkId}, ${p.nomor})`;
    if (r.result === 'undecided') {
      breaches.add('purchases', `${label}: no definite answer after ${r.requests} requests over ${r.decidedAt - r.firstSentAt} ms${r.code ? ` (${r.code})` : ''}`);
    } else if (r.result === 'refused') {
      const expected = (r.status === 402 && r.code === 'INSUFFICIENT_SALDO') || (p.kind === 'bad-produk' && r.status === 422 && r.code === 'PRODUK_NOT_FOUND');
      if (!expected) breaches.add('purchases', `${label}: refused with an unexpected ${r.status} ${r.code ?? ''}`);
    } else if (p.kind === 'bad-produk') {
      breaches.add('purchases', `${label}: a purchase of a product that does not exist was accepted (id ${r.id})`);
    }
  }
}

interface TransaksiRow {
  id: number;
  userId: number;
  refId: string;
  status: string;
  harga: number;
  nomor: string;
  attempts: number;
  lockedBy: string | null;
}

export interface DbFacts {
  transaksi: TransaksiRow[];
  sukses: number;
  gagal: number;
  open: number;
  /** gagal without any provider execution: never delivered, refunded (e.g. the upstream-error number). */
  gagalUnexecuted: number;
  executions: number;
}

/** transaksi, provider executions and money, from the database. */
export async function checkDatabase(
  breaches: Breaches,
  ds: DataSource,
  results: PurchaseResult[],
  users: RegisteredUser[],
): Promise<DbFacts> {
  const userRows: Array<{ id: string; email: string }> = await ds.query('SELECT id, email FROM users');
  const userIdByEmail = new Map(userRows.map((u) => [u.email, Number(u.id)]));
  const userIdOf = (index: number) => userIdByEmail.get(users[index].email);

  const transaksi: TransaksiRow[] = (
    await ds.query('SELECT id, user_id, ref_id, status, harga, nomor_tujuan, attempts, locked_by FROM transaksi ORDER BY id')
  ).map((r: any) => ({
    id: Number(r.id),
    userId: Number(r.user_id),
    refId: String(r.ref_id),
    status: String(r.status),
    harga: Number(r.harga),
    nomor: String(r.nomor_tujuan),
    attempts: Number(r.attempts),
    lockedBy: r.locked_by,
  }));
  const byId = new Map(transaksi.map((t) => [t.id, t]));

  // --- transaksi: accepted purchases <-> rows, one to one, all final.
  const acceptedIds = new Set<number>();
  for (const r of results) {
    if (r.result !== 'accepted') continue;
    const p = r.purchase;
    const row = byId.get(r.id!);
    if (acceptedIds.has(r.id!)) {
      breaches.add('transaksi', `transaksi ${r.id} was returned for two different purchases (second: #${p.index} ${p.refId})`);
    }
    acceptedIds.add(r.id!);
    if (!row) {
      breaches.add('transaksi', `purchase #${p.index} (${p.refId}) was accepted as transaksi ${r.id}, which is not in the database`);
      continue;
    }
    if (row.userId !== userIdOf(p.user) || row.refId !== p.refId || row.nomor !== p.nomor) {
      breaches.add('transaksi', `transaksi ${row.id} is user ${row.userId} ref_id ${row.refId} ${row.nomor}, but was returned for #${p.index} ${p.refId} ${p.nomor}`);
    }
    if (row.status !== 'sukses' && row.status !== 'gagal') {
      breaches.add('transaksi', `transaksi ${row.id} (#${p.index}) is still ${row.status} (attempts ${row.attempts}, locked_by ${row.lockedBy})`);
    }
  }
  for (const row of transaksi) {
    if (!acceptedIds.has(row.id)) {
      breaches.add('transaksi', `transaksi ${row.id} (user ${row.userId}, ref_id ${row.refId}, ${row.status}) exists, but the client was never given it (accepted elsewhere or refused)`);
    }
  }

  // --- execution: at most once, and the status matches what the provider did.
  for (const id of await doubleExecutions(ds)) {
    const rows = await ds.query('SELECT id, instance_id, status, waktu FROM ppob_sim_eksekusi WHERE transaksi_id = ? ORDER BY id', [id]);
    breaches.add('execution', `transaksi ${id} was executed ${rows.length} times: ${JSON.stringify(rows)}`);
  }
  const executions: Array<{ transaksi_id: string; status: string }> = await ds.query(
    'SELECT transaksi_id, MIN(status) AS status FROM ppob_sim_eksekusi GROUP BY transaksi_id',
  );
  const executedAs = new Map(executions.map((e) => [Number(e.transaksi_id), e.status]));
  let gagalUnexecuted = 0;
  for (const row of transaksi) {
    const executed = executedAs.get(row.id);
    if (row.status === 'sukses' && executed !== 'sukses') {
      breaches.add('execution', `transaksi ${row.id} is sukses (charged) but the provider ${executed ? `executed it as ${executed}` : 'never executed it'}`);
    }
    if (row.status === 'gagal' && executed === 'sukses') {
      breaches.add('execution', `transaksi ${row.id} is gagal (refunded) but the provider delivered it (sukses)`);
    }
    if (row.status === 'gagal' && !executed) gagalUnexecuted++;
    if (row.nomor === SANDBOX.UPSTREAM_ERROR && executed) {
      breaches.add('execution', `transaksi ${row.id} to the upstream-error number ${row.nomor} has a provider execution (${executed})`);
    }
    if (row.nomor === SANDBOX.SUKSES && executed && executed !== 'sukses') {
      breaches.add('execution', `transaksi ${row.id} to ${row.nomor} (always sukses) was executed as ${executed}`);
    }
    if (row.nomor === SANDBOX.GAGAL && executed && executed !== 'gagal') {
      breaches.add('execution', `transaksi ${row.id} to ${row.nomor} (always gagal) was executed as ${executed}`);
    }
  }
  for (const id of executedAs.keys()) {
    if (!byId.has(id)) breaches.add('execution', `ppob_sim_eksekusi has an execution of transaksi ${id}, which does not exist`);
  }

  // --- money: saldo from the suite's own start figure, and the ledger.
  if (userRows.length !== users.length) {
    breaches.add('money', `${userRows.length} users in the database, ${users.length} registered`);
  }
  const suksesHarga = new Map<number, number>();
  for (const row of transaksi) {
    if (row.status === 'sukses') suksesHarga.set(row.userId, (suksesHarga.get(row.userId) ?? 0) + row.harga);
  }
  const ledger = new Map((await checkLedger(ds)).map((c) => [c.userId, c]));
  users.forEach((user, index) => {
    const id = userIdByEmail.get(user.email);
    if (id === undefined) {
      breaches.add('money', `user ${index} (${user.email}) is missing from the database`);
      return;
    }
    const check = ledger.get(id)!;
    const expected = user.startSaldo - (suksesHarga.get(id) ?? 0);
    const label = `user ${index} (id ${id})`;
    if (check.saldo !== expected) {
      breaches.add('money', `${label}: saldo ${check.saldo}, expected ${expected} = start ${user.startSaldo} - ${suksesHarga.get(id) ?? 0} of sukses (off by ${check.saldo - expected})`);
    }
    if (check.ledgerSum !== check.saldo) breaches.add('money', `${label}: ledger (mutasi) sums to ${check.ledgerSum}, saldo is ${check.saldo}`);
    if (check.lastSaldoAkhir !== check.saldo) breaches.add('money', `${label}: last saldo_akhir is ${check.lastSaldoAkhir}, saldo is ${check.saldo}`);
  });
  const wrong = await wrongDebitsAndRefunds(ds, 50);
  for (const w of wrong) {
    breaches.add('money', `transaksi ${w.id} (${w.status}) has ${w.debits} debit and ${w.refunds} refund ledger rows (want 1 debit, ${w.status === 'gagal' ? 1 : 0} refund)`);
  }

  return {
    transaksi,
    sukses: transaksi.filter((t) => t.status === 'sukses').length,
    gagal: transaksi.filter((t) => t.status === 'gagal').length,
    open: transaksi.filter((t) => t.status !== 'sukses' && t.status !== 'gagal').length,
    gagalUnexecuted,
    executions: executions.length,
  };
}

/**
 * HTTP answers: a 5xx other than 503 is always a breach. A 503 is allowed only if the request
 * was under way while the database was away: its [sent, answered] interval overlaps a DB window
 * (fault start until the database answers again, plus the grace). Overlap rather than "answered
 * inside": a request sent just before SIGSTOP legitimately waits for its connect timeout.
 * One exception, by the app's documented shutdown: 503 SHUTTING_DOWN from an instance the suite
 * had already sent SIGTERM (a request that raced the suite taking it out of the rotation).
 */
export function checkHttp(breaches: Breaches, events: HttpEvent[], windows: DbWindow[], sigtermAt: Map<string, number>, t0: number): void {
  const at = (ms: number) => `+${((ms - t0) / 1000).toFixed(1)}s`;
  for (const e of events) {
    if (typeof e.outcome !== 'number' || e.outcome < 500) continue;
    const label = `${e.kind} ${e.purchase !== undefined ? `#${e.purchase} ` : ''}to ${e.instance}, sent ${at(e.sentAt)}, answered ${at(e.receivedAt)}: ${e.outcome} ${e.code ?? ''}`;
    if (e.outcome !== 503) {
      breaches.add('http', label);
    } else if (e.code === 'SHUTTING_DOWN' && sigtermAt.has(e.instance) && e.receivedAt >= sigtermAt.get(e.instance)!) {
      continue;
    } else if (!windows.some((w) => e.sentAt <= w.end && e.receivedAt >= w.start)) {
      breaches.add('http', `${label}, outside every database outage window`);
    }
  }
}

export interface OutcomeTally {
  [outcome: string]: number;
}

/** Counts of each outcome, by the period the answer arrived in (a fault window, or 'calm'). */
export function tallyByPeriod(events: HttpEvent[], periods: Array<{ name: string; start: number; end: number }>): Map<string, OutcomeTally> {
  const result = new Map<string, OutcomeTally>();
  for (const p of periods) result.set(p.name, {});
  result.set('calm (no fault)', {});
  for (const e of events) {
    const period = periods.find((p) => e.receivedAt >= p.start && e.receivedAt <= p.end)?.name ?? 'calm (no fault)';
    const tally = result.get(period)!;
    const key = e.outcome === 503 && e.code ? `503 ${e.code}` : String(e.outcome);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return result;
}
