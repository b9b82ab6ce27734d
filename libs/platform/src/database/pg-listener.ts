import { Client } from 'pg';

/**
 * LISTEN on one PostgreSQL channel over a dedicated connection (a pooled connection cannot
 * listen), reconnecting after a second whenever the connection drops. `onReconnect` runs
 * after every (re)connection, because notifications sent while we were away are lost.
 */
export class PgListener {
  private client?: Client;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly onReconnect: () => void = () => undefined,
    /** Called as soon as the connection is lost, before any attempt to reconnect. */
    private readonly onDisconnect: () => void = () => undefined,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.url,
      application_name: `mayak-listen-${this.channel}`,
    });
    const retry = () => {
      if (this.client !== client) return;
      this.onDisconnect();
      this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.start(), 1_000).unref();
    };
    this.client = client;
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (message) => this.onNotify(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.onReconnect();
    } catch {
      retry();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
