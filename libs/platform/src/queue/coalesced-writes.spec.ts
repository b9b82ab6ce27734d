import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import { coalesceWrites } from './coalesced-writes';

describe('coalesceWrites', () => {
  let server: Server;
  let received: Buffer[];
  let client: Socket;

  beforeEach(async () => {
    received = [];
    server = createServer((peer) => peer.on('data', (chunk: Buffer) => received.push(chunk)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new Socket();
    await new Promise<void>((resolve) => client.connect(port, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const arrived = async (text: string) => {
    for (let i = 0; i < 200 && Buffer.concat(received).toString() !== text; i += 1)
      await new Promise((r) => setTimeout(r, 5));
    return Buffer.concat(received).toString();
  };

  it('sends the writes of one turn in one system call, in order, by the end of the turn', async () => {
    coalesceWrites(client);
    const writev = jest.spyOn(client as unknown as { _writev: () => void }, '_writev');
    client.write('one ');
    client.write(Buffer.from('two '));
    client.write('three');
    expect(writev).not.toHaveBeenCalled(); // held until the turn ends
    await new Promise((r) => process.nextTick(r));
    expect(writev).toHaveBeenCalledTimes(1);
    expect(await arrived('one two three')).toBe('one two three');
  });

  it('sends each later turn on its own, and wraps a socket once', async () => {
    coalesceWrites(client);
    coalesceWrites(client);
    client.write('a');
    await new Promise((r) => setImmediate(r));
    client.write('b');
    await new Promise((r) => setImmediate(r));
    expect(await arrived('ab')).toBe('ab');
    expect(client.writableCorked).toBe(0);
  });
});
