import { Module } from '@nestjs/common';
import { SecretBox } from './secret-box';

/** One SecretBox for the whole app (it may generate the development key file once). */
@Module({ providers: [SecretBox], exports: [SecretBox] })
export class SecretBoxModule {}
