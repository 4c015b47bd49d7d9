import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { sqlDateTime } from '../database/sql-time';
import { AdminAudit } from './audit.entity';
import { AuditResponseDto } from './audit.dto';

export interface AuditEntry {
  adminId: string;
  aksi: string;
  objek: string;
  sebelum: object | null;
  sesudah: object | null;
}

/**
 * The operator's audit log. record() runs in the caller's transaction, so a write and its audit
 * row commit or roll back together: there is no change without its record, and no record of a
 * change that did not happen.
 */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AdminAudit) private readonly audit: Repository<AdminAudit>) {}

  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.query('INSERT INTO admin_audit (admin_id, aksi, objek, sebelum, sesudah, waktu) VALUES (?, ?, ?, ?, ?, ?)', [
      entry.adminId,
      entry.aksi,
      entry.objek,
      entry.sebelum === null ? null : JSON.stringify(entry.sebelum),
      entry.sesudah === null ? null : JSON.stringify(entry.sesudah),
      sqlDateTime(new Date()),
    ]);
  }

  async list(limit: number, beforeId?: number): Promise<AuditResponseDto[]> {
    const rows = await this.audit.find({ where: beforeId ? { id: LessThan(beforeId) } : {}, order: { id: 'DESC' }, take: limit });
    return rows.map((row) => ({
      id: row.id,
      admin_id: row.adminId,
      aksi: row.aksi,
      objek: row.objek,
      sebelum: row.sebelum === null ? null : (JSON.parse(row.sebelum) as object),
      sesudah: row.sesudah === null ? null : (JSON.parse(row.sesudah) as object),
      waktu: row.waktu.toISOString(),
    }));
  }
}
