import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AuditResponseDto } from '../audit/audit.dto';
import { AuditService } from '../audit/audit.service';
import { BODY_ERRORS } from '../common/api-docs.decorators';
import { DomainError } from '../common/domain-error';
import { bodyNotObject, invalidField } from '../common/errors';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../common/page-query.dto';
import { NoBodyPipe, ParseIdPipe } from '../common/validation';
import { Deadline, RequestDeadline } from '../http/request-deadline';
import { AdminDepositQueryDto, AdminDepositResponseDto, DepositKonfirmasiResponseDto } from '../deposit/deposit.dto';
import { DepositService } from '../deposit/deposit.service';
import { LaporanQueryDto, LaporanResponseDto } from '../laporan/laporan.dto';
import { LaporanService } from '../laporan/laporan.service';
import { AdminAuth, AdminErrors, CurrentAdmin } from './admin-auth.decorators';
import type { AdminCaller } from './admin-key.guard';
import { AdminProdukResponseDto, CreateProdukDto, PatchProdukDto } from './admin-produk.dto';
import { AdminProdukService } from './admin-produk.service';
import { AdminTransaksiQueryDto, AdminTransaksiResponseDto, SelesaikanDto } from './admin-transaksi.dto';
import { AdminTransaksiService } from './admin-transaksi.service';
import { AdminUserResponseDto, AdminUsersQueryDto, KoreksiResponseDto, KoreksiSaldoDto, PatchUserDto } from './admin-users.dto';
import { AdminUsersService } from './admin-users.service';
import { SyncReportDto } from '../supplier/price-sync.dto';
import { PriceSyncService } from '../supplier/price-sync.service';

const ID = { name: 'id', type: Number, example: 12 };

// The examples in /docs: what these routes answer (ids as in the examples, 12).
const BAD_ID = invalidField('id', 'id must be a positive integer');
const BAD_LIMIT = invalidField('limit', 'limit must not be greater than 100');
const DEPOSIT_ERRORS = [
  BAD_ID,
  new DomainError('DEPOSIT_NOT_FOUND', 'Deposit 12 tidak ditemukan'),
  new DomainError('DEPOSIT_NOT_PENDING', 'Deposit 12 sudah berstatus sukses; tidak ada yang diubah'),
  new DomainError('DEPOSIT_EXPIRED', 'Deposit 12 sudah kedaluwarsa; minta reseller membuat tiket baru'),
];
const USER_NOT_FOUND = new DomainError('USER_NOT_FOUND', 'User 12 tidak ditemukan');
const KODE_TAKEN = new DomainError('PRODUK_KODE_TAKEN', 'Kode produk PULSA25 sudah dipakai produk lain');
const BODY = [bodyNotObject(), ...BODY_ERRORS];

/**
 * The operator API: thin routes over the services; every write is audited by its service and
 * passes the request's deadline, so a write answered 503 has committed nothing.
 */
@AdminAuth()
@Controller('admin')
export class AdminController {
  constructor(
    private readonly deposits: DepositService,
    private readonly users: AdminUsersService,
    private readonly produk: AdminProdukService,
    private readonly transaksi: AdminTransaksiService,
    private readonly laporan: LaporanService,
    private readonly audit: AuditService,
    private readonly priceSync: PriceSyncService,
  ) {}

  @Get('deposit')
  @ApiOperation({ summary: 'Deposit tickets of every reseller, newest first' })
  @ApiOkResponse({ type: [AdminDepositResponseDto] })
  @AdminErrors('GET /admin/deposit', BAD_LIMIT)
  listDeposits(@Query() q: AdminDepositQueryDto): Promise<AdminDepositResponseDto[]> {
    return this.deposits.listAll(q.limit ?? DEFAULT_PAGE_SIZE, q.before_id, q.status);
  }

  @Post('deposit/:id/konfirmasi')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a deposit: credits jumlah_transfer once (ledger row `deposit`)', description: 'A second confirmation, or one of an expired or rejected ticket, credits nothing: 409.' })
  @ApiParam(ID)
  @ApiOkResponse({ type: DepositKonfirmasiResponseDto })
  @AdminErrors('POST /admin/deposit/12/konfirmasi', ...DEPOSIT_ERRORS)
  konfirmasi(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body(NoBodyPipe) _body: undefined, @Deadline() deadline?: RequestDeadline): Promise<DepositKonfirmasiResponseDto> {
    return this.deposits.konfirmasi(admin, id, deadline);
  }

  @Post('deposit/:id/tolak')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject an open deposit ticket (nothing is credited)' })
  @ApiParam(ID)
  @ApiOkResponse({ type: AdminDepositResponseDto })
  @AdminErrors('POST /admin/deposit/12/tolak', ...DEPOSIT_ERRORS)
  tolak(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body(NoBodyPipe) _body: undefined, @Deadline() deadline?: RequestDeadline): Promise<AdminDepositResponseDto> {
    return this.deposits.tolak(admin, id, deadline);
  }

  @Get('users')
  @ApiOperation({ summary: 'Resellers, newest first; search by part of the email' })
  @ApiOkResponse({ type: [AdminUserResponseDto] })
  @AdminErrors('GET /admin/users', BAD_LIMIT)
  listUsers(@Query() q: AdminUsersQueryDto): Promise<AdminUserResponseDto[]> {
    return this.users.list(q.limit ?? DEFAULT_PAGE_SIZE, q.before_id, q.email);
  }

  @Patch('users/:id')
  @ApiOperation({ summary: 'Suspend (aktif: false) or reinstate a reseller; set its own rate limit (rate_limit_per_minute)', description: 'A suspended key gets 403 USER_SUSPENDED at once on this instance, within AUTH_CACHE_TTL_MS on the others. Accepted purchases still finish.' })
  @ApiParam(ID)
  @ApiBody({ type: PatchUserDto, examples: { suspend: { value: { aktif: false } }, rateLimit: { value: { rate_limit_per_minute: 120000 } } } })
  @ApiOkResponse({ type: AdminUserResponseDto })
  @AdminErrors('PATCH /admin/users/12', invalidField('aktif', 'aktif is required'), ...BODY, USER_NOT_FOUND)
  patchUser(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body() dto: PatchUserDto, @Deadline() deadline?: RequestDeadline): Promise<AdminUserResponseDto> {
    return this.users.patch(admin, id, dto, deadline);
  }

  @Post('users/:id/saldo')
  @HttpCode(200)
  @ApiOperation({ summary: 'Adjust a saldo (ledger row `koreksi`), once per ref, never below zero' })
  @ApiParam(ID)
  @ApiBody({ type: KoreksiSaldoDto, examples: { debit: { value: { jumlah: -5000, keterangan: 'Koreksi transfer ganda', ref: 'ADJ-1' } } } })
  @ApiOkResponse({ type: KoreksiResponseDto })
  @AdminErrors(
    'POST /admin/users/12/saldo',
    invalidField('jumlah', 'jumlah is required'),
    ...BODY,
    USER_NOT_FOUND,
    new DomainError('KOREKSI_REF_CONFLICT', 'ref ADJ-1 sudah dipakai untuk koreksi lain (user 12, jumlah -5000)'),
    new DomainError('KOREKSI_BELOW_ZERO', 'Koreksi -5000 akan membuat saldo user 12 negatif; tidak ada yang diubah'),
  )
  koreksi(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body() dto: KoreksiSaldoDto, @Deadline() deadline?: RequestDeadline): Promise<KoreksiResponseDto> {
    return this.users.koreksi(admin, id, dto, deadline);
  }

  @Get('produk')
  @ApiOperation({ summary: 'Every product, active or not' })
  @ApiOkResponse({ type: [AdminProdukResponseDto] })
  @AdminErrors('GET /admin/produk')
  listProduk(): Promise<AdminProdukResponseDto[]> {
    return this.produk.list();
  }

  @Post('produk')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a product', description: 'Seen by /produk on this instance at once, on the others within PRODUK_CACHE_TTL_MS.' })
  @ApiBody({ type: CreateProdukDto, examples: { pulsa: { value: { nama: 'Pulsa 25k', kode: 'PULSA25', kategori: 'pulsa', harga: 27000, nominal: 25000 } } } })
  @ApiOkResponse({ type: AdminProdukResponseDto })
  @AdminErrors('POST /admin/produk', invalidField('nama', 'nama is required'), ...BODY, KODE_TAKEN)
  createProduk(@CurrentAdmin() admin: AdminCaller, @Body() dto: CreateProdukDto, @Deadline() deadline?: RequestDeadline): Promise<AdminProdukResponseDto> {
    return this.produk.create(admin, dto, deadline);
  }

  @Post('produk/sync')
  @HttpCode(200)
  @ApiOperation({
    summary: "Sync products with the supplier's price list now; answers what changed",
    description:
      'Matches products by kode (buyer_sku_code): stores harga_modal, derives harga = harga_modal + DIGIFLAZZ_MARKUP unless harga was set by hand, and whether the supplier sells it. ' +
      'The supplier allows one price list per 5 minutes (503 SUPPLIER_UNAVAILABLE otherwise); 409 while another sync runs or with the simulated provider.',
  })
  @ApiOkResponse({ type: SyncReportDto })
  @AdminErrors(
    'POST /admin/produk/sync',
    new DomainError('SUPPLIER_NOT_CONFIGURED', 'Tidak ada supplier (PPOB_PROVIDER=simulated): tidak ada daftar harga untuk disinkronkan'),
    new DomainError('SUPPLIER_SYNC_RUNNING', 'Sinkronisasi daftar harga sedang berjalan di instance lain; coba lagi sebentar lagi'),
    new DomainError('SUPPLIER_UNAVAILABLE', 'Supplier: daftar harga diminta terlalu sering (rc 83); coba lagi setelah 5 menit'),
  )
  syncProduk(@CurrentAdmin() admin: AdminCaller, @Body(NoBodyPipe) _body: undefined, @Deadline() deadline?: RequestDeadline): Promise<SyncReportDto> {
    return this.priceSync.syncNow(admin, deadline);
  }

  @Patch('produk/:id')
  @ApiOperation({ summary: 'Change a product (never deleted: aktif false retires it)' })
  @ApiParam(ID)
  @ApiBody({ type: PatchProdukDto, examples: { price: { value: { harga: 12500 } }, retire: { value: { aktif: false } } } })
  @ApiOkResponse({ type: AdminProdukResponseDto })
  @AdminErrors(
    'PATCH /admin/produk/12',
    invalidField('body', 'Kirim minimal satu field: nama, kode, kategori, harga, nominal, deskripsi, aktif'),
    ...BODY,
    KODE_TAKEN,
    new DomainError('PRODUK_NOT_FOUND', 'Produk 12 tidak ditemukan'),
  )
  patchProduk(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body() dto: PatchProdukDto, @Deadline() deadline?: RequestDeadline): Promise<AdminProdukResponseDto> {
    return this.produk.patch(admin, id, dto, deadline);
  }

  @Get('transaksi')
  @ApiOperation({ summary: 'Purchases of every reseller, newest first, with filters' })
  @ApiOkResponse({ type: [AdminTransaksiResponseDto] })
  @AdminErrors('GET /admin/transaksi', BAD_LIMIT, invalidField('perlu_operator', 'perlu_operator must be true or false'))
  listTransaksi(@Query() q: AdminTransaksiQueryDto): Promise<AdminTransaksiResponseDto[]> {
    return this.transaksi.list(q, q.limit ?? DEFAULT_PAGE_SIZE);
  }

  @Post('transaksi/:id/selesaikan')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Settle by hand a purchase that waits for an operator',
    description: 'Only a purchase the processor gave up on (perlu_operator); one the processor is working on is 409. gagal refunds the harga once.',
  })
  @ApiParam(ID)
  @ApiBody({ type: SelesaikanDto, examples: { sukses: { value: { status: 'sukses', sn: '0123456789012345' } }, gagal: { value: { status: 'gagal' } } } })
  @ApiOkResponse({ type: AdminTransaksiResponseDto })
  @AdminErrors(
    'POST /admin/transaksi/12/selesaikan',
    invalidField('sn', 'sn is only for sukses'),
    ...BODY,
    new DomainError('TRANSAKSI_NOT_FOUND', 'Transaksi 12 tidak ditemukan'),
    new DomainError('TRANSAKSI_NOT_SETTLEABLE', 'Transaksi 12 sedang dikerjakan processor; tidak ada yang diubah'),
  )
  selesaikan(@CurrentAdmin() admin: AdminCaller, @Param('id', ParseIdPipe) id: number, @Body() dto: SelesaikanDto, @Deadline() deadline?: RequestDeadline): Promise<AdminTransaksiResponseDto> {
    return this.transaksi.selesaikan(admin, id, dto, deadline);
  }

  @Get('laporan')
  @ApiOperation({ summary: "A business day's figures and the ledger check", description: 'The day is a TZ_LAPORAN day (Asia/Jakarta by default). `npm run laporan -- YYYY-MM-DD` prints the same.' })
  @ApiOkResponse({ type: LaporanResponseDto })
  @AdminErrors('GET /admin/laporan', invalidField('tanggal', 'tanggal must be a real date YYYY-MM-DD'))
  harian(@Query() q: LaporanQueryDto): Promise<LaporanResponseDto> {
    return this.laporan.harian(q.tanggal);
  }

  @Get('audit')
  @ApiOperation({ summary: 'Operator writes, newest first' })
  @ApiOkResponse({ type: [AuditResponseDto] })
  @AdminErrors('GET /admin/audit', BAD_LIMIT)
  listAudit(@Query() q: PageQueryDto): Promise<AuditResponseDto[]> {
    return this.audit.list(q.limit ?? DEFAULT_PAGE_SIZE, q.before_id);
  }
}
