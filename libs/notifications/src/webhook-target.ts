import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, LookupFunction } from 'node:net';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the system's resolver by default). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Where a delivery connects: the URL, and the one checked address it is pinned to. */
export interface WebhookTarget {
  url: URL;
  /** The URL's host without brackets, lower-case: what TLS checks the certificate against. */
  host: string;
  address: ResolvedAddress;
}

/** Why a URL is refused; the message is safe to show (it quotes no part of the URL). */
export class WebhookTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetRefused';
  }
}

/**
 * Addresses a webhook must not reach unless an operator names the host: this machine, private
 * and shared networks, link-local (where cloud metadata lives), unique-local, multicast,
 * documentation and reserved ranges. An IPv4 address written inside IPv6 (mapped, NAT64,
 * 6to4 is not used by receivers) is judged as the IPv4 address.
 */
const INTERNAL = (() => {
  const list = new BlockList();
  const v4: Array<[string, number]> = [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16], // link-local: 169.254.169.254 is the cloud metadata service
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, and the broadcast address
  ];
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  const v6: Array<[string, number]> = [
    ['::', 128],
    ['::1', 128],
    ['100::', 64], // discard
    ['2001:db8::', 32], // documentation
    ['fc00::', 7], // unique-local (fd00:ec2::254 is a cloud metadata service)
    ['fe80::', 10], // link-local
    ['fec0::', 10], // site-local, deprecated
    ['ff00::', 8], // multicast
  ];
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96) one. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

export function isInternalAddress(address: string): boolean {
  const v4 = isIP(address) === 4 ? address : embeddedIpv4(address);
  if (v4) return INTERNAL.check(v4, 'ipv4');
  return isIP(address) === 6 ? INTERNAL.check(address, 'ipv6') : true;
}

/**
 * Decides where a webhook may go, when it is set and again at each delivery: https only, and
 * every address the host resolves to public, unless the operator's allow-list
 * (WEBHOOK_ALLOWED_HOSTS) names the host or the address. A delivery connects to the address
 * checked here and to no other (`target.address`), so a name that resolves to a public
 * address for the check and to an internal one for the connection (DNS rebinding) reaches
 * nothing.
 */
export class WebhookTargets {
  private readonly allowed: Set<string>;

  constructor(
    allowedHosts: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  }

  /** The URL's syntax: absolute, http(s), no credentials, https unless the host is allowed. */
  parse(url: string): { url: URL; host: string } {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WebhookTargetRefused('url must be an absolute https URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new WebhookTargetRefused('url must be an absolute https URL');
    if (parsed.username || parsed.password)
      throw new WebhookTargetRefused('url must not carry credentials; use the secret');
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (parsed.protocol === 'http:' && !this.allowed.has(host))
      throw new WebhookTargetRefused(
        'url must be https (plain http only to a host the operator allows)',
      );
    return { url: parsed, host };
  }

  /** Parses, resolves, and checks every address; the first is the one to connect to. */
  async check(url: string): Promise<WebhookTarget> {
    const { url: parsed, host } = this.parse(url);
    let addresses: ResolvedAddress[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        throw new WebhookTargetRefused("url's host does not resolve");
      }
      if (addresses.length === 0) throw new WebhookTargetRefused("url's host does not resolve");
    }
    if (!this.allowed.has(host))
      for (const a of addresses)
        if (isInternalAddress(a.address) && !this.allowed.has(a.address.toLowerCase()))
          throw new WebhookTargetRefused(
            'url must reach a public address: this machine, private, link-local and ' +
              'unique-local networks are refused unless the operator allows the host',
          );
    return { url: parsed, host, address: addresses[0] };
  }
}

/**
 * POSTs `body` to the target, connected to its checked address whatever the name resolves to
 * now; TLS still checks the certificate against the host name. No redirect is followed.
 * Resolves to the status; rejects on a network failure or after `timeoutMs` in all, however
 * slowly the receiver trickles its answer (a delivery's lease must outlast the send).
 */
export function postPinned(
  target: WebhookTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  const { url, host, address } = target;
  const pinned = ((
    _hostname: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const deadline = setTimeout(
      () => req.destroy(new Error('webhook receiver timed out')),
      timeoutMs,
    );
    const req = request(
      {
        protocol: url.protocol,
        host: isIP(host) ? host : undefined,
        hostname: isIP(host) ? undefined : host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        servername: isIP(host) ? undefined : host,
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        clearTimeout(deadline);
        response.resume(); // the receiver's body is not read
        resolve(response.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('webhook receiver timed out')));
    req.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    req.end(body);
  });
}
