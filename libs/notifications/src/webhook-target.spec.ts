import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  isInternalAddress,
  postPinned,
  ResolvedAddress,
  Resolver,
  WebhookTargetRefused,
  WebhookTargets,
} from './webhook-target';

/** A resolver that answers from a table, and counts how often it was asked. */
function table(entries: Record<string, string[][]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (host: string): Promise<ResolvedAddress[]> => {
    asked.push(host);
    const answers = entries[host];
    if (!answers) throw new Error('ENOTFOUND');
    // Each lookup takes the next answer; the last one stays (a rebinding name changes once).
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { asked });
}

async function refusal(targets: WebhookTargets, url: string): Promise<string | undefined> {
  try {
    await targets.check(url);
    return undefined;
  } catch (error) {
    if (error instanceof WebhookTargetRefused) return error.message;
    throw error;
  }
}

describe('where a webhook may go', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    'ff02::1',
  ])('%s is internal', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:93.184.215.14'])(
    '%s is public',
    (address) => {
      expect(isInternalAddress(address)).toBe(false);
    },
  );

  it('refuses the addresses and names that were accepted, and names no part of the URL', async () => {
    const targets = new WebhookTargets(
      [],
      table({
        '127.0.0.1.nip.io': [['127.0.0.1']],
        'bridge.example.org': [['93.184.215.14', '10.1.2.3']],
        'metadata.google.internal': [['169.254.169.254']],
      }),
    );
    const refused = {
      'http://127.0.0.1.nip.io:6379/': /https/,
      'https://127.0.0.1.nip.io:6379/': /public address/,
      'https://169.254.169.254/latest/meta-data': /public address/,
      'https://[::1]/': /public address/,
      'https://[::ffff:127.0.0.1]/': /public address/,
      'https://metadata.google.internal/': /public address/,
      // One internal address among public ones is enough to refuse.
      'https://bridge.example.org/hook': /public address/,
      'https://nowhere.invalid/': /does not resolve/,
      'https://user:pw@93.184.215.14/': /credentials/,
      'ftp://93.184.215.14/': /https/,
      'not a url': /https/,
    };
    for (const [url, reason] of Object.entries(refused)) {
      const message = await refusal(targets, url);
      expect({ url, message }).toEqual({ url, message: expect.stringMatching(reason) });
      expect(message).not.toContain('nip.io');
      expect(message).not.toContain('169.254');
    }
    expect(await refusal(targets, 'https://93.184.215.14/hook')).toBeUndefined();
  });

  it("an operator's allow-list lets a named host use plain http and an internal address", async () => {
    const targets = new WebhookTargets(
      ['bridge.local', '10.9.9.9'],
      table({ 'bridge.local': [['192.168.7.7']], 'other.local': [['192.168.7.8']] }),
    );
    expect(await refusal(targets, 'http://bridge.local:8080/pages')).toBeUndefined();
    expect(await refusal(targets, 'http://10.9.9.9/pages')).toBeUndefined();
    expect(await refusal(targets, 'https://other.local/')).toMatch(/public address/);
    expect(await refusal(targets, 'http://other.local/')).toMatch(/https/);
  });

  describe('a delivery', () => {
    let server: Server;
    let port: number;
    const received: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push(`${req.headers.host} ${body}`);
          res.statusCode = 202;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('connects to the address it checked, not to what the name resolves to next (DNS rebinding)', async () => {
      // The receiver's name is allowed to be local (a bridge on this machine). Looked up a
      // second time, it would say 10.66.66.66, where nothing listens.
      const resolver = table({ 'bridge.test': [['127.0.0.1'], ['10.66.66.66']] });
      const targets = new WebhookTargets(['bridge.test'], resolver);
      const target = await targets.check(`http://bridge.test:${port}/hook`);
      expect(target.address.address).toBe('127.0.0.1');
      const status = await postPinned(target, { 'content-type': 'text/plain' }, 'page', 2_000);
      expect(status).toBe(202);
      expect(received).toEqual([`bridge.test:${port} page`]);
      expect(resolver.asked).toEqual(['bridge.test']);
    });

    it('a name that rebinds to an internal address between setting and delivery is refused at delivery', async () => {
      const resolver = table({ 'hooks.example.org': [['93.184.215.14'], ['127.0.0.1']] });
      const targets = new WebhookTargets([], resolver);
      expect(await refusal(targets, 'https://hooks.example.org/')).toBeUndefined();
      expect(await refusal(targets, 'https://hooks.example.org/')).toMatch(/public address/);
    });
  });
});
