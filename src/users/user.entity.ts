import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/column-transformers';

@Entity('users')
export class User {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  nama!: string;

  /**
   * Stored trimmed, NFC-normalised and lower-cased (RegisterDto), under a unique index that
   * compares bytes on every engine (utf8mb4_bin on MySQL): one rule, josé@ and jose@ apart.
   */
  @Column({ type: 'varchar', length: 191 })
  email!: string;

  @Column({ type: 'varchar', length: 20, nullable: true })
  hp!: string | null;

  @Column({ type: 'bigint', transformer: bigintNumber })
  saldo!: number;

  /** SHA-256 of the API key; the key itself is never stored. */
  @Column({ name: 'api_key_hash', type: 'varchar', length: 64 })
  apiKeyHash!: string;

  /** SHA-256 of the private key (kept for users from before signed requests). */
  @Column({ name: 'private_key_hash', type: 'varchar', length: 64 })
  privateKeyHash!: string;

  /** The private key encrypted (SecretBox): it is the HMAC key of signed requests. */
  @Column({ name: 'private_key_enc', type: 'varchar', length: 255, nullable: true })
  privateKeyEnc!: string | null;

  @Column({ name: 'wajib_signature', type: 'boolean', default: false })
  wajibSignature!: boolean;

  /** JSON array of addresses/CIDRs; null or empty = any address. */
  @Column({ name: 'ip_allowlist', type: 'varchar', length: 4000, nullable: true })
  ipAllowlist!: string | null;

  /** Set by the operator; null = RATE_LIMIT_PER_MINUTE, 0 = not limited. */
  @Column({ name: 'rate_limit_per_minute', type: 'int', nullable: true })
  rateLimitPerMinute!: number | null;
  /** False: suspended by an operator; its key is refused with 403 (pending purchases still finish). */
  @Column({ type: 'boolean', default: true })
  aktif!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
