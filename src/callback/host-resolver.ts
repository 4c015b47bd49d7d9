import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/**
 * How a callback URL's host name becomes addresses (the SSRF rules then judge each one). A port,
 * so a spec can stand in a resolver that answers slowly or never, without real DNS.
 */
export abstract class HostResolver {
  abstract lookup(host: string): Promise<ResolvedAddress[]>;
}

/**
 * The system resolver (getaddrinfo: /etc/hosts, then DNS), as the OS would resolve the name.
 * It cannot be cancelled: checkCallbackTarget stops waiting for it at its deadline, and the
 * libuv thread it holds is freed when the OS resolver gives up by itself.
 */
@Injectable()
export class SystemHostResolver extends HostResolver {
  lookup(host: string): Promise<ResolvedAddress[]> {
    return lookup(host, { all: true, verbatim: true });
  }
}
