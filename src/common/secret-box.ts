import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { appConfig, AppConfig } from '../config/app.config';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1.';
export const GENERATED_KEY_FILE = 'encryption.key';

/**
 * Encrypts the secrets the server must use again later (callback secrets) with AES-256-GCM
 * under APP_ENCRYPTION_KEY; secrets it only checks are hashed instead. Stored form:
 * `v1.` + base64(iv | tag | ciphertext); a fresh random IV per value, so equal secrets do not
 * look equal at rest, and the tag makes a tampered value fail instead of decrypting to garbage.
 */
@Injectable()
export class SecretBox {
  private readonly logger = new Logger(SecretBox.name);
  private readonly key: Buffer;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.key = config.encryptionKey ?? this.developmentKey(config.dataDir);
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('sealed value has an unknown format');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /**
   * Outside production an unset APP_ENCRYPTION_KEY is generated once into the data folder, so
   * `npm start` works and the secrets survive a restart. (Production refuses to boot without it,
   * see loadConfig.) The log names the file, never the key.
   */
  private developmentKey(dataDir: string): Buffer {
    const file = join(dataDir, GENERATED_KEY_FILE);
    if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(32);
    try {
      // 'wx': of two processes starting at once, one writes and the other reads its key.
      writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      throw err;
    }
    chmodSync(file, 0o600);
    this.logger.warn(`APP_ENCRYPTION_KEY is not set: generated one into ${file}; set APP_ENCRYPTION_KEY in production`);
    return key;
  }
}
