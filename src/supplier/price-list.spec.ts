import { insideCutOff, jakartaClock, readPriceListItem, sellingPrice } from './price-list';

const item = (extra: Record<string, unknown> = {}) => ({
  buyer_sku_code: 'xld10',
  price: 10_150,
  brand: 'XL',
  category: 'Pulsa',
  buyer_product_status: true,
  seller_product_status: true,
  unlimited_stock: false,
  stock: 5,
  start_cut_off: '0:0',
  end_cut_off: '0:0',
  ...extra,
});

describe('price list', () => {
  it('reads price as a number or a string, and refuses anything else', () => {
    expect(readPriceListItem(item({ price: '10150' }))!.hargaModal).toBe(10_150);
    expect(readPriceListItem(item())!.hargaModal).toBe(10_150);
    for (const price of ['10.5', 'abc', -1, 0, null, 10.5]) expect(readPriceListItem(item({ price }))).toBeNull();
  });

  it('is available only while both statuses are on and stock allows', () => {
    expect(readPriceListItem(item())!.tersedia).toBe(true);
    expect(readPriceListItem(item({ buyer_product_status: false }))!.tersedia).toBe(false);
    expect(readPriceListItem(item({ seller_product_status: false }))!.tersedia).toBe(false);
    expect(readPriceListItem(item({ stock: 0 }))!.tersedia).toBe(false);
    expect(readPriceListItem(item({ stock: 0, unlimited_stock: true }))!.tersedia).toBe(true);
  });

  it('reads the cut-off window, "0:0" to "0:0" being none', () => {
    expect(readPriceListItem(item())).toMatchObject({ cutOffMulai: null, cutOffSelesai: null });
    expect(readPriceListItem(item({ start_cut_off: '23:45', end_cut_off: '0:15' }))).toMatchObject({ cutOffMulai: '23:45', cutOffSelesai: '00:15' });
  });

  it('tells whether a time is inside a window, also across midnight', () => {
    expect(insideCutOff('23:50', '23:45', '00:15')).toBe(true);
    expect(insideCutOff('00:10', '23:45', '00:15')).toBe(true);
    expect(insideCutOff('00:15', '23:45', '00:15')).toBe(false);
    expect(insideCutOff('12:00', '11:00', '13:00')).toBe(true);
    expect(insideCutOff('13:00', '11:00', '13:00')).toBe(false);
    expect(insideCutOff('12:00', null, null)).toBe(false);
  });

  it('reads the clock in Western Indonesia Time', () => {
    expect(jakartaClock(new Date('2026-12-01T17:30:00Z'))).toBe('00:30');
    // Formatted once per minute: the next minute, and going back, are each their own.
    expect(jakartaClock(new Date('2026-12-01T17:30:59.999Z'))).toBe('00:30');
    expect(jakartaClock(new Date('2026-12-01T17:31:00Z'))).toBe('00:31');
    expect(jakartaClock(new Date('2026-12-01T04:05:00Z'))).toBe('11:05');
  });

  it('adds the markup: fixed rupiah, or a percent rounded up', () => {
    expect(sellingPrice(10_150, { kind: 'fixed', value: 850 })).toBe(11_000);
    expect(sellingPrice(10_150, { kind: 'percent', value: 2.5 })).toBe(10_404);
  });
});
