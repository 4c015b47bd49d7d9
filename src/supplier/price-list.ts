import type { DigiflazzConfig } from '../config/app.config';
import type { DigiflazzData } from '../ppob/digiflazz/digiflazz.client';

/** A price-list entry as the sync uses it, or null when the entry is unusable (its price, its code). */
export interface PriceListItem {
  kode: string;
  hargaModal: number;
  brand: string;
  kategori: string;
  /** Both statuses on and stock left. */
  tersedia: boolean;
  cutOffMulai: string | null;
  cutOffSelesai: string | null;
}

export function readPriceListItem(raw: DigiflazzData): PriceListItem | null {
  const kode = typeof raw.buyer_sku_code === 'string' ? raw.buyer_sku_code.trim() : '';
  // The supplier sends price as a number or as a string of digits.
  const price = typeof raw.price === 'number' ? raw.price : typeof raw.price === 'string' && /^\d+(\.0+)?$/.test(raw.price.trim()) ? Number(raw.price) : NaN;
  if (!kode || kode.length > 50 || !Number.isSafeInteger(price) || price <= 0) return null;
  const stockLeft = raw.unlimited_stock === true || (typeof raw.stock === 'number' && raw.stock > 0);
  const mulai = clock(raw.start_cut_off);
  const selesai = clock(raw.end_cut_off);
  return {
    kode,
    hargaModal: price,
    brand: typeof raw.brand === 'string' ? raw.brand.slice(0, 50) : '',
    kategori: typeof raw.category === 'string' ? raw.category.toLowerCase().slice(0, 50) : '',
    tersedia: raw.buyer_product_status === true && raw.seller_product_status === true && stockLeft,
    // "0:0" to "0:0" (or equal ends) is no window at all.
    cutOffMulai: mulai !== null && selesai !== null && mulai !== selesai ? mulai : null,
    cutOffSelesai: mulai !== null && selesai !== null && mulai !== selesai ? selesai : null,
  };
}

/** The reseller price: harga_modal plus the markup, a percent rounded up to a whole rupiah. */
export function sellingPrice(hargaModal: number, markup: DigiflazzConfig['markup']): number {
  if (markup.kind === 'fixed') return hargaModal + markup.value;
  return hargaModal + Math.ceil((hargaModal * markup.value) / 100);
}

/** "H:M" or "HH:MM" as "HH:MM", or null. */
function clock(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{1,2}):(\d{1,2})(?::\d{1,2})?$/.exec(value.trim());
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) return null;
  return `${match[1].padStart(2, '0')}:${match[2].padStart(2, '0')}`;
}

/** Whether `now` (HH:MM in the supplier's time zone) is inside the daily window; windows may cross midnight. */
export function insideCutOff(now: string, mulai: string | null, selesai: string | null): boolean {
  if (!mulai || !selesai) return false;
  return mulai < selesai ? now >= mulai && now < selesai : now >= mulai || now < selesai;
}

const JAKARTA = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

let lastMinute = NaN;
let lastClock = '';

/**
 * The supplier's cut-off times are Western Indonesia Time. Formatted once per minute: /produk
 * and /beli ask on every request, and Intl's format was 3 % of a /produk request's CPU.
 */
export function jakartaClock(at: Date): string {
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute !== lastMinute) {
    lastClock = JAKARTA.format(at);
    lastMinute = minute;
  }
  return lastClock;
}
