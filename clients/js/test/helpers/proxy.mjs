/**
 * A TCP proxy in the test process, between a client and roomd: every accepted
 * connection is piped to the server; `cut()` destroys every open connection (both
 * sides), as a network failure would. When the server is down, the upstream
 * connect fails and the client's connection is closed at once.
 */

import net from "node:net";

export class CuttingProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.cuts = 0;
    this.connectionsCut = 0;
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetPort) {
    const proxy = new CuttingProxy(targetPort);
    await new Promise((res, rej) => {
      proxy.server.once("error", rej);
      proxy.server.listen(0, "127.0.0.1", res);
    });
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  accept(client) {
    const upstream = net.connect(this.targetPort, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Destroys every open connection now; returns how many there were. */
  cut() {
    this.cuts += 1;
    const n = this.pairs.size;
    for (const { client, upstream } of [...this.pairs]) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    this.connectionsCut += n;
    return n;
  }

  async close() {
    this.cut();
    await new Promise((res) => this.server.close(res));
  }
}
