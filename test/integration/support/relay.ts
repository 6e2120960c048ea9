// A TCP relay from a local port to the API server, that a test can cut and restore:
// the API server "goes away" for the clients behind it and comes back, while it
// keeps serving everyone else.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly port: number;
  private readonly target: URL;

  private constructor(port: number, target: URL) {
    this.port = port;
    this.target = target;
  }

  static async start(port: number, target: URL): Promise<Relay> {
    const relay = new Relay(port, target);
    await relay.restore();
    return relay;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((done) => server.close(done));
  }

  /** Accepts connections again. */
  restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((done, fail) => {
      server.once('error', fail);
      server.listen(this.port, '127.0.0.1', () => done());
    });
  }
}
