import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/** A loopback port on which nothing listens (bound once, then released; another program may take it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A loopback port on which nothing listens, outside the kernel's range for port 0 (32768 and up
 * on Linux by default; checked): a process that binds port 0 (dtx's INTERNAL_GRPC_PORT: 0, another test's server) cannot
 * take it after it was released, as it could take freePort()'s. For a connection that must be
 * refused. Drawn from 12000–19999, below the project's fixed test ports (22379 and up).
 */
export async function refusedPort(): Promise<number> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  if (!(low > 20_000)) throw new Error(`the kernel hands out ports from ${low} on: refusedPort's 12000-19999 are not outside that range`);
  for (;;) {
    const port = 12_000 + Math.floor(Math.random() * 8_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}
