import 'reflect-metadata';
import { ArgumentMetadata, Type, ValidationPipe } from '@nestjs/common';
import {
  CallerLookupRequest,
  CreateContactRequest,
  SavedUnderKeyRequest,
} from '../contacts/contact.dto';
import { fastAcceptor } from './fast-accept';
import { RequestValidationError, VALIDATION_OPTIONS, validationPipe } from './validation';

const body = () => ({
  channel: 'phone',
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  durationSeconds: 300,
  region: 'RU-MOW',
  caller: {
    pseudonym: 'Anna',
    ageBand: '25-34',
    genderIdentity: 'woman',
    orientation: 'lesbian',
    identifier: '+79121234567',
  },
  topics: ['police', 'detention'],
  immediateRisk: false,
  summary: 'Звонящий сообщает о задержании.',
  outcome: 'referred',
  consent: {
    scopes: ['service:legal', 'contact_back', 'statistics'],
    textVersion: '2026-01',
    retentionDays: 365,
    contactBack: { channel: 'phone', safeTimes: 'weekdays after 19:00' },
  },
  services: ['legal'],
});

/** As the body parser gives it (structuredClone would make objects of another realm under Jest). */
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  86_401,
  3651,
  '',
  'x',
  'phone',
  'RU-MOW',
  true,
  false,
  [],
  {},
  ['x'],
  ['police', 'police'],
  ['legal', 'legal'],
  [1],
  [null],
  [{}],
  '2026-01-01',
  'not a date',
  '2099-01-01T00:00:00Z',
  '2000-01-01T00:00:00Z',
  1_700_000_000_000,
  'a'.repeat(20_001),
  'a'.repeat(101),
  'ab',
  'a\ufe0f',
  '🏳️‍🌈',
  'x'.repeat(99) + '😀',
  '+7 (912) 123-45-67',
  'имя@handle',
  'bad;char',
  'abcd-1234',
  '3fa85f64-5717-4562-b3fc-2c963f66afa6',
];

/** The valid body, and each of its fields (nested ones too) missing, odd, or joined by a stranger. */
function variants(): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [['valid', body()]];
  const paths = (value: Record<string, unknown>, prefix: string[] = []): string[][] =>
    Object.entries(value).flatMap(([key, v]) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? [[...prefix, key], ...paths(v as Record<string, unknown>, [...prefix, key])]
        : [[...prefix, key]],
    );
  const at = (root: Record<string, unknown>, path: string[]) => {
    let o = root;
    for (const key of path.slice(0, -1)) o = o[key] as Record<string, unknown>;
    return o;
  };
  for (const path of paths(body())) {
    const name = path.join('.');
    const without = body();
    delete at(without, path)[path.at(-1)!];
    out.push([`${name} missing`, without]);
    for (const [n, odd] of ODD_VALUES.entries()) {
      const changed = body();
      at(changed, path)[path.at(-1)!] = clone(odd);
      out.push([`${name} = odd #${n}`, changed]);
    }
  }
  for (const path of [[], ['caller'], ['consent'], ['consent', 'contactBack']]) {
    const extra = body();
    at(extra, [...path, 'stranger']).stranger = 1;
    out.push([`stranger in ${path.join('.') || 'body'}`, extra]);
  }
  const referred = { ...body(), referralIds: ['3fa85f64-5717-4562-b3fc-2c963f66afa6'] };
  out.push(['with a referral', referred]);
  out.push(['not an object', ['channel']]);
  out.push(['a string', 'phone']);
  out.push(['empty', {}]);
  return out;
}

const meta = (metatype: Type<unknown>): ArgumentMetadata => ({ type: 'body', metatype, data: '' });

async function fullPipe(
  metatype: Type<unknown>,
  value: unknown,
): Promise<{ ok: unknown } | { error: unknown }> {
  try {
    return { ok: await new ValidationPipe(VALIDATION_OPTIONS).transform(value, meta(metatype)) };
  } catch (error) {
    return { error };
  }
}

describe('fastAcceptor: a quick yes, never a different answer', () => {
  it('accepts the intake body as ValidationPipe builds it: the same class, nested classes and Date', async () => {
    const accept = fastAcceptor(CreateContactRequest)!;
    expect(accept).toBeDefined();
    const value = body();
    const fast = accept(clone(value));
    const full = await fullPipe(CreateContactRequest, clone(value));
    expect(fast).toBeInstanceOf(CreateContactRequest);
    expect((fast as CreateContactRequest).startedAt).toBeInstanceOf(Date);
    expect(full).toHaveProperty('ok');
    expect(fast).toStrictEqual((full as { ok: unknown }).ok);
  });

  it('for every variant of the intake body: a yes only where the pipe says yes, and with what it builds', async () => {
    const accept = fastAcceptor(CreateContactRequest)!;
    let accepted = 0;
    let refused = 0;
    for (const [name, value] of variants()) {
      const fast = accept(clone(value));
      const full = await fullPipe(CreateContactRequest, clone(value));
      if ('error' in full) {
        refused++;
        expect([name, fast]).toEqual([name, undefined]);
      } else if (fast !== undefined) {
        accepted++;
        expect([name, fast]).toStrictEqual([name, full.ok]);
      }
    }
    // Both sides exercised: the variants are not all refused, nor all accepted.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(100);
  });

  it('the other bodies of the intake routes too', async () => {
    const cases: Array<[Type<unknown>, unknown]> = [
      [SavedUnderKeyRequest, { idempotencyKey: 'abcdefgh-1234' }],
      [SavedUnderKeyRequest, { idempotencyKey: 'short' }],
      [SavedUnderKeyRequest, { idempotencyKey: 'abcdefgh-1234', more: 1 }],
      [SavedUnderKeyRequest, { idempotencyKey: null }],
      [CallerLookupRequest, { identifier: '+79121234567' }],
      [CallerLookupRequest, { identifier: 'a;b;c' }],
      [CallerLookupRequest, {}],
    ];
    for (const [metatype, value] of cases) {
      const fast = fastAcceptor(metatype)?.(clone(value));
      const full = await fullPipe(metatype, clone(value));
      if ('error' in full) expect(fast).toBeUndefined();
      else if (fast !== undefined) expect(fast).toStrictEqual(full.ok);
    }
    expect(
      fastAcceptor(SavedUnderKeyRequest)?.({ idempotencyKey: 'abcdefgh-1234' }),
    ).toBeInstanceOf(SavedUnderKeyRequest);
  });

  it('bad input through the API pipe still gets the pipe’s field messages', async () => {
    const bad = { ...body(), durationSeconds: -1, stranger: true };
    await expect(validationPipe().transform(bad, meta(CreateContactRequest))).rejects.toEqual(
      expect.objectContaining({
        fields: {
          durationSeconds: ['durationSeconds must not be less than 0'],
          stranger: ['property stranger should not exist'],
        },
      }),
    );
    await expect(
      validationPipe().transform({ ...body(), startedAt: 'soon' }, meta(CreateContactRequest)),
    ).rejects.toBeInstanceOf(RequestValidationError);
  });
});
