import net from 'node:net';

/**
 * A TCP proxy between the app and the test MySQL server, so a test can make the database go
 * away without touching the shared server: `pause()` stops forwarding bytes in both directions
 * (what the app sees when the server is frozen: connections open, nothing answers), `cut()`
 * drops every connection and refuses new ones (a stopped server), `restore()` undoes either.
 */
export class DbProxy {
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private paused = false;
  private refusing = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<DbProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new DbProxy(server, (server.address() as net.AddressInfo).port, target);
  }

  /** A proxy in front of the server of `url` (mysql://user@host:port/db). */
  static inFrontOf(url: string): Promise<DbProxy> {
    const direct = new URL(url);
    return DbProxy.start({ host: direct.hostname, port: Number(direct.port || 3306) });
  }

  /** `url` (mysql://user@host:port/db) rewritten to go through this proxy. */
  route(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  pause(): void {
    this.paused = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  cut(): void {
    this.refusing = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.paused = false;
    this.refusing = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.refusing) {
      // The listener stays open (the port keeps its number); an immediate reset reads as a
      // refused or lost connection to the driver.
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (this.paused) {
      client.pause();
      upstream.pause();
    }
  }
}
