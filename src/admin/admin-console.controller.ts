import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth.decorators';
import { AdminEnabledGuard } from './admin-key.guard';

/**
 * The operator console: one static page and its script, no build step. The page holds no data
 * and no key: it asks for the operator key and calls the /admin API with it, like curl would.
 * Read once at start-up (`npm run build` copies console/ into dist).
 */
const CONSOLE_DIR = join(__dirname, 'console');
const PAGE = readFileSync(join(CONSOLE_DIR, 'admin-console.html'), 'utf8');
const SCRIPT = readFileSync(join(CONSOLE_DIR, 'admin-console.js'), 'utf8');

/**
 * The script renders every value with textContent (a reseller's name is theirs to choose), and
 * the policy below would refuse any injected inline script or foreign request anyway.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

@ApiExcludeController()
@Public()
@UseGuards(AdminEnabledGuard)
@Controller('admin/ui')
export class AdminConsoleController {
  @Get()
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.headers({ ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
    return PAGE;
  }

  @Get('console.js')
  script(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.headers({ ...SECURITY_HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
    return SCRIPT;
  }
}
